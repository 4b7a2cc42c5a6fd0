/**
 * The layering of src/, as data: one row per top-level folder. test/unit/layering.test.ts checks
 * every import against it, and the rule table in docs/architecture.md is rendered from it
 * (`renderLayerTable`), so the test and the doc cannot say different things.
 */
export interface LayerRule {
  /** The folder under src/. */
  readonly layer: string;
  /** What the folder holds, one line, for the doc. */
  readonly holds: string;
  /** Layers (or sub-folders such as `core/findings`) its files may import; its own layer is always allowed. */
  readonly mayImport: readonly string[] | 'anything';
  /** Sub-folders of allowed layers it still may not import (policy the host layer must not reach). */
  readonly never: readonly string[];
  /** Whether it may import Node's built-in modules (`node:fs`, `node:worker_threads`…): I/O. */
  readonly nodeBuiltins: boolean;
}

export const LAYERS: readonly LayerRule[] = [
  {
    layer: 'core',
    holds: 'pure code: types, parsers, analysis, plans, result types, report builders, finding rules',
    mayImport: [],
    never: [],
    nodeBuiltins: false,
  },
  {
    layer: 'render',
    holds: 'renderers: a result in, text/markdown/perfdata out; computes nothing',
    mayImport: ['core'],
    never: [],
    nodeBuiltins: false,
  },
  {
    layer: 'host',
    holds: 'the only code that touches /proc, /sys, files, child processes, namespaces',
    mayImport: ['core'],
    never: ['core/findings', 'core/reports'],
    nodeBuiltins: true,
  },
  {
    layer: 'analysisRuntime',
    holds: 'threads, slot rings, pipelines, the WebAssembly engine loader; tableAnalysis.ts dispatches',
    mayImport: ['core', 'host'],
    never: [],
    nodeBuiltins: true,
  },
  {
    layer: 'collectors',
    holds: 'one unit per source of readings: data or a reason, and its duration; never sleeps',
    mayImport: ['core', 'host', 'analysisRuntime'],
    never: [],
    nodeBuiltins: true,
  },
  {
    layer: 'actions',
    holds: 'changes to the system: plan → apply → journal → rollback',
    mayImport: ['core', 'host', 'collectors', 'analysisRuntime'],
    never: [],
    nodeBuiltins: true,
  },
  {
    layer: 'lab',
    holds: 'throwaway network namespaces, workloads and measurements (tests use it too)',
    mayImport: ['core', 'render', 'host', 'analysisRuntime', 'collectors', 'actions'],
    never: [],
    nodeBuiltins: true,
  },
  {
    layer: 'cli',
    holds: 'one thin file per command: options → collectors/actions → result → renderer → exit code',
    mayImport: 'anything',
    never: [],
    nodeBuiltins: true,
  },
  {
    layer: 'daemon',
    holds: '(to come) `serve`: the sampler loop, HTTP, alerts',
    mayImport: 'anything',
    never: [],
    nodeBuiltins: true,
  },
];

export function layerRule(layer: string): LayerRule | undefined {
  return LAYERS.find((rule) => rule.layer === layer);
}

/** The markdown table docs/architecture.md carries between its layer-rules markers. */
export function renderLayerTable(layers: readonly LayerRule[] = LAYERS): string {
  const code = (name: string) => `\`${name}\``;
  const rows = layers.map((rule) => {
    const imports =
      rule.mayImport === 'anything'
        ? 'anything'
        : [rule.layer, ...rule.mayImport].map((name) => code(`src/${name}`)).join(', ');
    const never = [
      ...rule.never.map((name) => code(`src/${name}`)),
      ...(rule.nodeBuiltins ? [] : ['`node:` modules']),
    ];
    return `| ${code(`src/${rule.layer}/`)} | ${rule.holds} | ${imports} | ${never.join(', ') || '—'} |`;
  });
  return ['| Folder | Holds | May import | Never imports |', '|---|---|---|---|', ...rows].join('\n');
}
