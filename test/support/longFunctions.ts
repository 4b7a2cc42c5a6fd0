import ts from 'typescript';
import type { SourceFiles } from './importGraph.js';

/** Longer than this many lines (first line of the function to its closing brace) needs a reason. */
export const MAX_FUNCTION_LINES = 60;

/** The words that mark a written reason in the comment right above a long function. */
export const LONG_REASON_MARKER = 'Long because';

export interface LongFunction {
  readonly file: string;
  /** 1-based line the function starts on. */
  readonly line: number;
  readonly name: string;
  readonly lines: number;
  /** The comment right above it says why it is long (contains {@link LONG_REASON_MARKER}). */
  readonly reasoned: boolean;
}

/** `file:line name (N lines)`, the way a failure lists it. */
export function describeLongFunction(found: LongFunction): string {
  return `${found.file}:${found.line} ${found.name} (${found.lines} lines)`;
}

/**
 * Every function, method, accessor, constructor, function expression and arrow function longer
 * than `maxLines`, read with the TypeScript parser, with whether a reason is written above it.
 */
export function longFunctions(files: SourceFiles, maxLines = MAX_FUNCTION_LINES): LongFunction[] {
  const found: LongFunction[] = [];
  for (const [file, text] of files) {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
    const visit = (node: ts.Node) => {
      if (isFunctionWithBody(node)) {
        const line = lineOf(node.getStart(source));
        const lines = lineOf(node.getEnd()) - line + 1;
        if (lines > maxLines) {
          found.push({ file, line, name: functionName(node), lines, reasoned: hasReason(node, source) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node)) &&
    node.body !== undefined
  );
}

/** Its own name, or the name it is given (`const parse = () => …`, `{ parse: () => … }`), or the class's. */
function functionName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return `${className(node.parent)}.constructor`;
  if (node.name && !ts.isComputedPropertyName(node.name)) {
    const name = node.name.getText();
    return ts.isClassLike(node.parent) ? `${className(node.parent)}.${name}` : name;
  }
  const holder = node.parent;
  if ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder)) && ts.isIdentifier(holder.name)) {
    return holder.name.text;
  }
  if (ts.isPropertyDeclaration(holder) && ts.isClassLike(holder.parent)) {
    return `${className(holder.parent)}.${holder.name.getText()}`;
  }
  return '(anonymous)';
}

function className(node: ts.Node): string {
  return ts.isClassLike(node) && node.name ? node.name.text : '(anonymous class)';
}

/**
 * The comment block right above the function (no blank line between) contains the marker. For a
 * function given to a name (`export const f = () => …`), the comment sits above the statement.
 */
function hasReason(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): boolean {
  return commentAbove(statementOf(node), source).includes(LONG_REASON_MARKER);
}

function statementOf(node: ts.Node): ts.Node {
  let current = node;
  while (
    ts.isVariableDeclaration(current.parent) ||
    ts.isVariableDeclarationList(current.parent) ||
    ts.isVariableStatement(current.parent) ||
    ts.isPropertyAssignment(current.parent) ||
    ts.isPropertyDeclaration(current.parent) ||
    ts.isExportAssignment(current.parent)
  ) {
    current = current.parent;
  }
  return current;
}

function commentAbove(node: ts.Node, source: ts.SourceFile): string {
  const text = source.text;
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const block: string[] = [];
  let nextLine = lineOf(node.getStart(source));
  for (const range of [...ranges].reverse()) {
    if (lineOf(range.end) < nextLine - 1) break;
    block.unshift(text.slice(range.pos, range.end));
    nextLine = lineOf(range.pos);
  }
  return block.join('\n');
}
