import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { runCli } from './cli.js';
import { REPO_ROOT } from './paths.js';

/** Where the published schemas are: one file per `schema` id, plus the definitions they share. */
export const SCHEMA_DIR = join(REPO_ROOT, 'docs', 'schemas');

/** `ctdoctor.persist-check/v1` → `persist-check.v1.schema.json`. */
export function schemaFileFor(id: string): string {
  const match = /^ctdoctor\.([a-z-]+)\/(v\d+)$/.exec(id);
  if (!match) throw new Error(`${id} is not a ctdoctor schema id (ctdoctor.<name>/v<N>)`);
  return `${match[1]}.${match[2]}.schema.json`;
}

function compileAll(): Ajv {
  // strict: a keyword ajv does not know, or one on the wrong type, is an error in the schema itself;
  // strictRequired is off because an if/then names fields the parent schema defines.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  for (const file of readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.schema.json')))
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')), file);
  return ajv;
}

/** Every `schema: 'ctdoctor.<name>/v<N>'` the source prints, sorted: the ids that need a schema file. */
export function schemaIdsInSource(): string[] {
  const ids = new Set<string>();
  for (const file of readdirSync(join(REPO_ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(REPO_ROOT, 'src', file), 'utf8');
    for (const match of text.matchAll(/\bschema: '(ctdoctor\.[^']+)'/g)) ids.add(match[1]!);
  }
  return [...ids].sort();
}

/** Ids checked so far in this test file, nested ones (a plan inside a result) included. */
export const validatedIds = new Set<string>();

function recordSchemaIds(value: unknown): void {
  if (Array.isArray(value)) value.forEach(recordSchemaIds);
  else if (typeof value === 'object' && value !== null) {
    const { schema } = value as { schema?: unknown };
    if (typeof schema === 'string') validatedIds.add(schema);
    Object.values(value).forEach(recordSchemaIds);
  }
}

let ajv: Ajv | undefined;

/** The compiled schema of `id` (ajv compiles each once, on first use). */
export function validatorFor(id: string): ValidateFunction {
  ajv ??= compileAll();
  const validate = ajv.getSchema(schemaFileFor(id));
  if (!validate) throw new Error(`no schema for ${id}: expected ${join(SCHEMA_DIR, schemaFileFor(id))}`);
  return validate;
}

/**
 * Asserts that a command's --json output is what its published schema says: its `schema` field is
 * `id` and the rest validates (every error listed, with where it is).
 */
export function assertMatchesSchema(output: unknown, id: string): void {
  assert.equal((output as { schema?: unknown })?.schema, id, 'the output names its schema');
  const validate = validatorFor(id);
  if (!validate(output)) {
    const errors = (validate.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
    );
    assert.fail(`output does not match ${schemaFileFor(id)}:\n  ${errors.join('\n  ')}`);
  }
  recordSchemaIds(output);
}

/**
 * Runs `ctdoctor <args> --json` as a user would, asserts its exit code (`exit`, 0 by default; a
 * list when the verdict depends on the machine), and checks its output against the schema `id`.
 */
export async function jsonOf(
  id: string,
  args: string[],
  options: { exit?: number | number[]; input?: string; as?: string[] } = {},
): Promise<Record<string, unknown>> {
  const result = await runCli([...args, '--json'], { input: options.input, as: options.as });
  const exits = [options.exit ?? 0].flat();
  assert.ok(
    exits.includes(result.code),
    `ctdoctor ${args.join(' ')} --json exited ${result.code}: ${result.stderr}`,
  );
  let output: Record<string, unknown>;
  try {
    output = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`ctdoctor ${args.join(' ')} --json printed no JSON: ${result.stderr || result.stdout}`);
  }
  assertMatchesSchema(output, id);
  return output;
}
