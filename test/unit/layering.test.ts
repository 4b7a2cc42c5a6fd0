import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importCycles, importEdges, layerViolations } from '../support/importGraph.js';
import { LAYERS, renderLayerTable } from '../support/layers.js';
import { REPO_ROOT } from '../support/paths.js';
import { readSourceTree } from '../support/sourceTree.js';

const ARCHITECTURE_DOC = join(REPO_ROOT, 'docs', 'architecture.md');
const TABLE_BEGIN = '<!-- layer-rules:begin';
const TABLE_END = '<!-- layer-rules:end -->';

function files(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

function violationsOf(entries: Record<string, string>): string[] {
  return layerViolations(importEdges(files(entries))).map((violation) => violation.message);
}

describe('layering: the checker', () => {
  it('reports a core file importing the host layer, naming both files and both layers', () => {
    const found = violationsOf({
      'src/core/status.ts': "import { readFile } from '../host/fileRead.js';\nexport const x = readFile;\n",
      'src/host/fileRead.ts': 'export function readFile() {}\n',
    });
    assert.deepEqual(found, ['src/core/status.ts imports src/host/fileRead.ts: core may not import host']);
  });

  it('counts type-only imports, re-exports, dynamic import() and import types', () => {
    const edges = importEdges(
      files({
        'src/render/a.ts': [
          "import type { A } from '../actions/a.js';",
          "import { type B } from '../actions/b.js';",
          "export { C } from '../actions/c.js';",
          "export async function load() { return import('../actions/d.js'); }",
          "export type E = import('../actions/e.js').E;",
          '',
        ].join('\n'),
        'src/actions/a.ts': 'export type A = 1;\n',
        'src/actions/b.ts': 'export type B = 1;\n',
        'src/actions/c.ts': 'export const C = 1;\n',
        'src/actions/d.ts': 'export const D = 1;\n',
        'src/actions/e.ts': 'export type E = 1;\n',
      }),
    );
    assert.deepEqual(
      edges.map((edge) => [edge.to, edge.kind, edge.line]),
      [
        ['src/actions/a.ts', 'type', 1],
        ['src/actions/b.ts', 'type', 2],
        ['src/actions/c.ts', 'export', 3],
        ['src/actions/d.ts', 'dynamic', 4],
        ['src/actions/e.ts', 'type', 5],
      ],
    );
    assert.equal(layerViolations(edges).length, 5);
  });

  it('ignores imports written in comments and strings', () => {
    const found = violationsOf({
      'src/core/a.ts': [
        "// import { x } from '../host/b.js';",
        "/* import('../host/b.js') */",
        'export const text = "import { x } from \'../host/b.js\'";',
        '',
      ].join('\n'),
      'src/host/b.ts': 'export const x = 1;\n',
    });
    assert.deepEqual(found, []);
  });

  it('keeps node: modules (and their bare names) out of core and render, packages allowed', () => {
    const found = violationsOf({
      'src/core/a.ts': "import { readFileSync } from 'node:fs';\nimport ipaddr from 'ipaddr.js';\n",
      'src/render/b.ts': "import { join } from 'path';\nimport pc from 'picocolors';\n",
      'src/host/c.ts': "import { readFileSync } from 'node:fs';\n",
    });
    assert.deepEqual(found, [
      'src/core/a.ts imports node:fs: core may not import node: modules (no I/O)',
      'src/render/b.ts imports path: render may not import node: modules (no I/O)',
    ]);
  });

  it('lets the host layer import core but not its policy (core/findings, core/reports)', () => {
    const found = violationsOf({
      'src/host/a.ts': [
        "import type { Plan } from '../core/plan/x.js';",
        "import type { Finding } from '../core/findings/registry.js';",
        "import type { Report } from '../core/reports/doctorReport.js';",
        '',
      ].join('\n'),
      'src/core/plan/x.ts': 'export type Plan = 1;\n',
      'src/core/findings/registry.ts': 'export type Finding = 1;\n',
      'src/core/reports/doctorReport.ts': 'export type Report = 1;\n',
    });
    assert.deepEqual(found, [
      'src/host/a.ts imports src/core/findings/registry.ts: host may not import core/findings',
      'src/host/a.ts imports src/core/reports/doctorReport.ts: host may not import core/reports',
    ]);
  });

  it('follows every row of the table: lab may import all but cli, cli anything', () => {
    const found = violationsOf({
      'src/lab/a.ts': "import '../actions/x.js';\nimport '../render/x.js';\nimport '../cli/x.js';\n",
      'src/cli/a.ts': "import '../lab/a.js';\nimport '../collectors/x.js';\n",
      'src/collectors/x.ts': "import '../analysisRuntime/x.js';\nimport '../actions/x.js';\n",
      'src/analysisRuntime/x.ts': "import '../collectors/x.js';\n",
      'src/actions/x.ts': "import '../collectors/x.js';\nimport '../render/x.js';\n",
      'src/render/x.ts': '',
      'src/cli/x.ts': '',
    });
    assert.deepEqual(found, [
      'src/lab/a.ts imports src/cli/x.ts: lab may not import cli',
      'src/collectors/x.ts imports src/actions/x.ts: collectors may not import actions',
      'src/analysisRuntime/x.ts imports src/collectors/x.ts: analysisRuntime may not import collectors',
      'src/actions/x.ts imports src/render/x.ts: actions may not import render',
    ]);
  });

  it('reports a file in a folder the table does not know', () => {
    const found = violationsOf({ 'src/misc/a.ts': "import '../core/b.js';\n", 'src/core/b.ts': '' });
    assert.deepEqual(found, [
      'src/misc/a.ts imports src/core/b.ts: src/misc is not a layer: add it to test/support/layers.ts',
    ]);
  });

  it('counts a Worker script named by new URL(…, import.meta.url) as a dependency, not an import circle', () => {
    const edges = importEdges(
      files({
        'src/host/a.ts': "new Worker(new URL('../actions/b.js', import.meta.url));\n",
        'src/actions/b.ts': "import '../host/a.js';\n",
      }),
    );
    assert.deepEqual(
      layerViolations(edges).map((violation) => violation.message),
      ['src/host/a.ts imports src/actions/b.ts: host may not import actions'],
    );
    assert.deepEqual(importCycles(edges), []);
  });

  it('reports an import circle with its path, type-only links included', () => {
    const cycles = importCycles(
      importEdges(
        files({
          'src/core/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
          'src/core/b.ts': "import { c } from './c.js';\nexport const b = c;\n",
          'src/core/c.ts': "import type { A } from './a.js';\nexport const c = 1;\n",
          'src/core/d.ts': "import { a } from './a.js';\n",
          'src/core/self.ts': "export * from './self.js';\n",
        }),
      ),
    );
    assert.deepEqual(cycles, [
      ['src/core/a.ts', 'src/core/b.ts', 'src/core/c.ts', 'src/core/a.ts'],
      ['src/core/self.ts', 'src/core/self.ts'],
    ]);
  });
});

describe('layering: src/', () => {
  const edges = importEdges(readSourceTree('src'));
  const violations = layerViolations(edges);

  it('imports only along the layer rule (docs/architecture.md)', () => {
    assert.deepEqual(
      violations.map((violation) => `${violation.message} (line ${violation.edge.line})`),
      [],
      'imports against the layering: move the type or the code to the layer that may hold it',
    );
  });

  it('has no import circle', () => {
    assert.deepEqual(
      importCycles(edges).map((cycle) => cycle.join(' → ')),
      [],
      'import circles: move the shared types to a leaf module both sides import',
    );
  });

  it('read the imports of every layer that exists (so an empty reading cannot pass)', () => {
    const layersSeen = new Set(edges.map((edge) => edge.from.split('/')[1]));
    const missing = LAYERS.map((rule) => rule.layer).filter(
      (layer) => existsSync(join(REPO_ROOT, 'src', layer)) && !layersSeen.has(layer),
    );
    assert.deepEqual(missing, []);
  });
});

describe('layering: docs/architecture.md', () => {
  it('lists the same rules as the check', () => {
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
    const begin = doc.indexOf(TABLE_BEGIN);
    const end = doc.indexOf(TABLE_END);
    assert.ok(
      begin >= 0 && end > begin,
      `docs/architecture.md lacks its ${TABLE_BEGIN} … ${TABLE_END} block`,
    );
    const table = doc.slice(doc.indexOf('\n', begin) + 1, end).trim();
    assert.equal(
      table,
      renderLayerTable(),
      'docs/architecture.md: replace the table between the layer-rules markers with the expected one',
    );
  });
});
