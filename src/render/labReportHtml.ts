import type { LabReport, TuningResult } from '../core/lab/labResult.js';
import { LAB_TOPOLOGY_MEANING } from '../core/lab/routerTopology.js';
import { formatBytes, formatCount, formatMilliseconds, formatPercent } from './format.js';
import { drawLabReportCharts } from './labReportCharts.js';
import { anyHelpers, helpersAssigned, labWorkloadText } from './labWorkload.js';

/** uPlot, inlined: the page opens offline, from a file, with nothing beside it. */
export interface LabReportAssets {
  uplotJs: string;
  uplotCss: string;
}

/**
 * Inline code only, and nothing fetched: the page works from a mail attachment or an air-gapped
 * machine, and a label that slipped past the escaping could still not send anything anywhere.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const PAGE_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 76rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.meta { color: #555; margin: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dt { color: #555; }
dd { margin: 0; }
.scroll { overflow-x: auto; }
.scroll table { border-collapse: collapse; }
.scroll th, .scroll td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
.scroll th:first-child, .scroll td:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 10rem; max-width: 24rem; }
.scroll thead th { border-bottom: 2px solid #999; vertical-align: bottom; white-space: normal; }
.warnings li { color: #8a4b00; }
.failed { color: #b00020; font-weight: 600; }
figure { margin: 1rem 0; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
figcaption small { font-weight: normal; color: #555; }
`;

/** Text as HTML text or a quoted attribute value: every character markup could start with, escaped. */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!,
  );
}

/**
 * JSON inside <script>: the HTML parser ends a script at `</script` and reads `<!--` specially,
 * whatever JSON thinks of it, so no `<` may stay (`\u003c` is the same string to JSON.parse);
 * `>` and `&` go too, so no fragment of markup survives in the page's source.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** An asset inlined into <script>/<style>: `</script` or `</style` in it would end the element early. */
function inlineAsset(text: string, element: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${element})`, 'gi'), '<\\/$1');
}

const cells = (tag: 'td' | 'th', values: readonly string[]) =>
  values.map((value) => `<${tag}>${escapeHtml(value)}</${tag}>`).join('');

const COMPARISON_HEADINGS = [
  'tuning',
  'max',
  'buckets',
  'drops',
  'success',
  'failed connects',
  'p50 set-up',
  'p99 set-up',
  'peak entries',
  'memory at peak',
  'long pool alive',
  'resize stall',
  'softirq',
];

function comparisonRow(run: TuningResult, withHelpers: boolean): string[] {
  const pool = run.longPool;
  const helperCells = withHelpers
    ? [
        helpersAssigned(run) || '–',
        formatCount(run.helpers.entriesPeak),
        formatCount(run.helpers.expectationsCreated),
      ]
    : [];
  return [
    run.label,
    formatCount(run.settings.max),
    formatCount(run.settings.buckets),
    formatCount(run.drops.total),
    run.successRatio === null ? '–' : formatPercent(run.successRatio),
    formatCount(run.failedConnects),
    run.setupMs ? formatMilliseconds(run.setupMs.p50) : '–',
    run.setupMs ? formatMilliseconds(run.setupMs.p99) : '–',
    formatCount(run.peakEntries),
    formatBytes(run.memoryAtPeakBytes),
    pool ? `${pool.survived}/${pool.wanted}` : '–',
    run.resize ? formatMilliseconds(run.resize.stallMs) : '–',
    run.softirqPercent === null ? '–' : `${run.softirqPercent.toFixed(1)}%`,
    ...helperCells,
  ];
}

function setupSection(report: LabReport): string {
  const facts: [string, string][] = [
    ['scenario', report.scenario.texts.join(' + ')],
    ['workload', labWorkloadText(report)],
    ['topology', `${report.topology}: ${LAB_TOPOLOGY_MEANING[report.topology]}`],
    ['per tuning', `${report.seconds} s`],
    ['kernel', report.kernel],
    [
      'host table',
      `${formatCount(report.host.count)} of ${formatCount(report.host.max)} entries, ${formatCount(report.host.buckets)} buckets`,
    ],
    ['entry size', formatBytes(report.entryBytes)],
  ];
  const timeouts =
    report.baseTimeouts.length === 0
      ? "<p>Timeouts: the kernel's own (--timeouts kernel).</p>"
      : `<p>Timeouts shortened for the lab, so the table is steady in seconds (entries scale with them):</p>
<div class="scroll"><table id="timeouts"><thead><tr>${cells('th', ['timeout', 'lab', 'kernel default'])}</tr></thead><tbody>
${report.baseTimeouts
  .map(
    (timeout) =>
      `<tr>${cells('td', [timeout.name, `${timeout.seconds} s`, timeout.kernelDefault === null ? '–' : `${timeout.kernelDefault} s`])}</tr>`,
  )
  .join('\n')}
</tbody></table></div>`;
  return `<section id="setup"><h2>What ran</h2>
<dl>${facts.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>
${timeouts}
</section>`;
}

const HELPER_HEADINGS = ['helpers', 'helper entries', 'expectations'];

function comparisonSection(report: LabReport): string {
  const withHelpers = anyHelpers(report);
  const headings = [...COMPARISON_HEADINGS, ...(withHelpers ? HELPER_HEADINGS : [])];
  return `<section><h2>Comparison</h2>
<div class="scroll"><table id="comparison"><thead><tr>${cells('th', headings)}</tr></thead><tbody>
${report.runs.map((run) => `<tr>${cells('td', comparisonRow(run, withHelpers))}</tr>`).join('\n')}
</tbody></table></div>
</section>`;
}

/** The report's warnings, then what a reader must act on: a machine-wide value not put back, a cut run. */
function warningsSection(report: LabReport): string {
  const items = report.warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`);
  for (const change of report.globalChanges)
    if (!change.restored)
      items.push(
        `<li class="failed">${escapeHtml(`machine-wide nf_conntrack_${change.setting} could NOT be restored to ${change.original}: set it by hand`)}</li>`,
      );
  if (report.interrupted) items.push('<li>interrupted: the rows above cover the part that ran</li>');
  if (items.length === 0) return '';
  return `<section class="warnings"><h2>Warnings</h2><ul>\n${items.join('\n')}\n</ul></section>`;
}

const CHARTS_SECTION = `<section class="charts">
<figure><figcaption>Entries over time <small>(nf_conntrack_count, what the max is checked against; dashed: the live entries a dump lists)</small></figcaption><div id="chart-entries"></div></figure>
<figure><figcaption>Drops over time <small>(drop + early_drop + insert_failed since the run began)</small></figcaption><div id="chart-drops"></div></figure>
</section>`;

/**
 * `ctdoctor lab --report FILE.html`: one page that opens offline — what ran, the comparison, the
 * warnings and two uPlot charts — with the report itself inside as JSON (the charts draw from it).
 * Labels are the user's `--compare` text: every string reaches the page escaped.
 */
export function renderLabReportHtml(report: LabReport, assets: LabReportAssets): string {
  const title = `ctdoctor lab: ${report.scenario.texts.join(' + ')}, ${report.seconds} s per tuning`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${inlineAsset(assets.uplotCss, 'style')}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(`started ${report.startedAt} · schema ${report.schema}`)}</p></header>
<main>
${setupSection(report)}
${comparisonSection(report)}
${warningsSection(report)}
${CHARTS_SECTION}
</main>
<script type="application/json" id="lab-report">${jsonForScript(report)}</script>
<script>${inlineAsset(assets.uplotJs, 'script')}</script>
<script>(${inlineAsset(String(drawLabReportCharts), 'script')})();</script>
</body>
</html>
`;
}
