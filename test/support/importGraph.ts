import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import ts from 'typescript';
import { LAYERS, type LayerRule } from './layers.js';

/**
 * How one file reaches another. `url` is `new URL('./x.js', import.meta.url)`, the way a Worker or
 * a child process names its script: a dependency on that file's layer, but loaded in another
 * thread or process, so not a link in an import circle.
 */
export type ImportKind = 'import' | 'type' | 'export' | 'dynamic' | 'url';

export interface ImportEdge {
  readonly from: string;
  /** A repository path (`src/host/x.ts`), or the specifier as written for a package or a built-in. */
  readonly to: string;
  readonly kind: ImportKind;
  readonly target: 'file' | 'builtin' | 'package';
  /** 1-based line of the import in `from`. */
  readonly line: number;
}

/** Source files by repository path (`src/core/x.ts` → its text). */
export type SourceFiles = ReadonlyMap<string, string>;

const BUILTINS = new Set(builtinModules);

/** Every import of every file, read with the TypeScript parser (comments and strings cannot fool it). */
export function importEdges(files: SourceFiles): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [path, text] of files) {
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const add = (specifier: string, kind: ImportKind, node: ts.Node) => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const edge = resolve(path, specifier, files);
      if (edge) edges.push({ from: path, kind, line, ...edge });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, isTypeOnlyImport(node) ? 'type' : 'import', node);
      } else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        add(node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'export', node);
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        const expression = node.moduleReference.expression;
        if (ts.isStringLiteral(expression)) add(expression.text, 'import', node);
      } else if (ts.isImportTypeNode(node)) {
        // `import('../host/x.js').Type` in a type position.
        const argument = node.argument;
        if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal)) {
          add(argument.literal.text, 'type', node);
        }
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument && ts.isStringLiteralLike(argument)) add(argument.text, 'dynamic', node);
      } else if (isModuleUrl(node)) {
        add(node.arguments[0].text, 'url', node);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  // `import { type A, type B } from` loads nothing either.
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

function isModuleUrl(
  node: ts.Node,
): node is ts.NewExpression & { arguments: readonly [ts.StringLiteralLike, ...ts.Expression[]] } {
  if (!ts.isNewExpression(node) || !ts.isIdentifier(node.expression) || node.expression.text !== 'URL') {
    return false;
  }
  const [specifier, base] = node.arguments ?? [];
  return (
    specifier !== undefined &&
    ts.isStringLiteralLike(specifier) &&
    specifier.text.startsWith('.') &&
    base !== undefined &&
    base.getText() === 'import.meta.url'
  );
}

/**
 * A relative specifier names a `.js` file that tsc compiles from the `.ts` beside it; one that
 * leaves the source set (`native/table-engine.wasm`, a bundle built from another file) is not a
 * module of ours and is left out.
 */
function resolve(
  from: string,
  specifier: string,
  files: SourceFiles,
): Pick<ImportEdge, 'to' | 'target'> | undefined {
  if (specifier.startsWith('.')) {
    const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
    const candidates = [joined.replace(/\.js$/, '.ts'), joined, `${joined}.ts`, `${joined}/index.ts`];
    const to = candidates.find((candidate) => files.has(candidate));
    return to ? { to, target: 'file' } : undefined;
  }
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { to: specifier, target: 'builtin' };
  return { to: specifier, target: 'package' };
}

/** The layer a repository path belongs to: its folder under src/ (`src/core/plan/x.ts` → `core`). */
export function layerOf(path: string): string | undefined {
  const match = /^src\/([^/]+)\//.exec(path);
  return match?.[1];
}

export interface LayerViolation {
  readonly edge: ImportEdge;
  /** `src/x/a.ts imports src/y/b.ts: <layer> may not import <layer>`. */
  readonly message: string;
}

/** Every edge that goes against the table, and every file in a folder the table does not know. */
export function layerViolations(edges: readonly ImportEdge[], layers: readonly LayerRule[] = LAYERS) {
  const violations: LayerViolation[] = [];
  for (const edge of edges) {
    const reason = violation(edge, layers);
    if (reason) violations.push({ edge, message: `${edge.from} imports ${edge.to}: ${reason}` });
  }
  return violations;
}

function violation(edge: ImportEdge, layers: readonly LayerRule[]): string | undefined {
  const fromLayer = layerOf(edge.from);
  const rule = layers.find((candidate) => candidate.layer === fromLayer);
  if (!rule) return `src/${fromLayer ?? ''} is not a layer: add it to test/support/layers.ts`;
  if (edge.target === 'builtin') {
    return rule.nodeBuiltins ? undefined : `${rule.layer} may not import node: modules (no I/O)`;
  }
  if (edge.target === 'package') return undefined;
  const toLayer = layerOf(edge.to);
  const inside = (folder: string) => edge.to.startsWith(`src/${folder}/`);
  const barred = rule.never.find(inside);
  if (barred) return `${rule.layer} may not import ${barred}`;
  if (toLayer === rule.layer || rule.mayImport === 'anything') return undefined;
  if (rule.mayImport.some(inside)) return undefined;
  return `${rule.layer} may not import ${toLayer ?? posix.dirname(edge.to)}`;
}

/**
 * Every import circle among files, one path each (`a → b → a`): the strongly connected
 * components of the import graph (Tarjan), each walked back to its first file. Worker URLs are
 * left out (another thread or process, not a module cycle); type-only imports count, as the layer rule says.
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.target !== 'file' || edge.kind === 'url') continue;
    const targets = next.get(edge.from) ?? [];
    if (!targets.includes(edge.to)) targets.push(edge.to);
    next.set(edge.from, targets);
  }
  return stronglyConnected(next)
    .filter((component) => component.length > 1 || next.get(component[0]!)?.includes(component[0]!))
    .map((component) => cyclePath(component, next));
}

function stronglyConnected(next: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

/** The shortest way from the component's first file back to itself (breadth-first, inside it). */
function cyclePath(component: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[] {
  const start = component[0]!;
  const members = new Set(component);
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const target of next.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let step: string | undefined = node; step !== start && step; step = cameFrom.get(step)) {
          path.splice(1, 0, step);
        }
        return [...path, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
