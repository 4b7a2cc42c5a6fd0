/**
 * The dashboard's script, run by the browser (tsc compiles it; nothing is built at run time). It
 * polls the JSON API once per sample and draws with uPlot, loaded before it as a global. Every
 * string from the API (netns names come from the system) reaches the page as a text node, never
 * as HTML.
 */
import type UPlot from 'uplot';
import type { ServeDriftBody } from '../apiDrift.js';
import type { ServeFindingsBody } from '../apiFindings.js';
import type { NamespaceHistory, ServeHistoryBody } from '../apiHistory.js';
import type { NamespaceStatus, ServeStatusBody } from '../apiStatus.js';

declare const uPlot: typeof UPlot;

type ChartName = 'usage' | 'entries' | 'loss';

declare global {
  interface Window {
    /** The charts, for a look from the console (and the browser test, which reads their data). */
    ctdoctorDashboard?: { charts: Partial<Record<ChartName, UPlot>> };
  }
}

const TOKEN_KEY = 'ctdoctor-token';
const HOUR_SECONDS = 3600;
/** When the API cannot be reached, ask again this often (the daemon may be restarting). */
const RETRY_MS = 5000;
const CHART_HEIGHT_PX = 220;
const LOSS_SERIES = ['drop', 'early_drop', 'insert_failed'] as const;

const state: { selected: number | undefined; sort: 'usage' | 'loss'; token: string | null } = {
  selected: undefined,
  sort: 'usage',
  token: sessionStorage.getItem(TOKEN_KEY),
};
const charts: Partial<Record<ChartName, UPlot>> = {};
window.ctdoctorDashboard = { charts };

class Unauthorized extends Error {}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** An element whose children are nodes or text: strings become text nodes, so nothing is parsed as HTML. */
function el(tag: string, attributes: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

async function api<T>(path: string): Promise<T> {
  const headers: Record<string, string> = state.token ? { authorization: `Bearer ${state.token}` } : {};
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${(await response.text()).trim()}`);
  return (await response.json()) as T;
}

function formatCount(value: number): string {
  return String(Math.round(value));
}

function formatRate(value: number): string {
  return value >= 10 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

function formatUsage(usage: number): string {
  return `${(usage * 100).toFixed(1)}%`;
}

function formatBytes(bytes: number | null): string {
  if (bytes === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Loss per second summed over drop, early_drop and insert_failed; null before a rate exists. */
function lossOf(namespace: NamespaceStatus): number | null {
  const loss = namespace.lossPerSecond;
  return loss === null ? null : loss.drop + loss.early_drop + loss.insert_failed;
}

function labelOf(namespace: { netns: number; name: string | null; initial?: boolean }): string {
  if (namespace.initial) return 'host';
  return namespace.name ?? `netns ${namespace.netns}`;
}

const VERDICT_RANK = { crit: 0, warn: 1, ok: 2 } as const;

function sorted(namespaces: NamespaceStatus[]): NamespaceStatus[] {
  const key =
    state.sort === 'usage' ? (n: NamespaceStatus) => n.usage : (n: NamespaceStatus) => lossOf(n) ?? -1;
  return [...namespaces].sort((a, b) => key(b) - key(a) || a.netns - b.netns);
}

/** The one to chart when none was picked: the worst verdict, then the most loss, then the fullest. */
function worst(namespaces: NamespaceStatus[]): NamespaceStatus | undefined {
  return [...namespaces].sort(
    (a, b) =>
      VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
      (lossOf(b) ?? 0) - (lossOf(a) ?? 0) ||
      b.usage - a.usage,
  )[0];
}

function renderSummary(namespace: NamespaceStatus | undefined): void {
  const fields: Record<string, string> = namespace
    ? {
        name: labelOf(namespace),
        entries: formatCount(namespace.entries),
        max: formatCount(namespace.max),
        usage: formatUsage(namespace.usage),
        loss: lossOf(namespace) === null ? '–' : formatRate(lossOf(namespace)!),
        memory: formatBytes(namespace.memoryBytes),
        verdict: namespace.verdict,
      }
    : {};
  byId('summary')
    .querySelectorAll<HTMLElement>('[data-field]')
    .forEach((element) => {
      element.textContent = fields[element.dataset.field ?? ''] ?? '';
    });
  const verdict = byId('summary').querySelector<HTMLElement>('[data-field="verdict"]');
  if (verdict) verdict.className = namespace ? `verdict-${namespace.verdict}` : '';
  byId('reasons').replaceChildren(...(namespace?.reasons ?? []).map((reason) => el('li', {}, reason)));
}

function renderTable(status: ServeStatusBody): void {
  const rows = sorted(status.namespaces).map((namespace) => {
    const loss = lossOf(namespace);
    const row = el(
      'tr',
      {
        'data-netns': String(namespace.netns),
        'aria-selected': String(namespace.netns === state.selected),
        tabindex: '0',
      },
      el('td', { 'data-field': 'netns' }, String(namespace.netns)),
      el('td', { 'data-field': 'name' }, labelOf(namespace)),
      el('td', { 'data-field': 'entries' }, formatCount(namespace.entries)),
      el('td', { 'data-field': 'usage' }, formatUsage(namespace.usage)),
      el('td', { 'data-field': 'loss' }, loss === null ? '–' : formatRate(loss)),
      el('td', { 'data-field': 'verdict', class: `verdict-${namespace.verdict}` }, namespace.verdict),
    );
    const pick = () => {
      state.selected = namespace.netns;
      void refresh();
    };
    row.addEventListener('click', pick);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') pick();
    });
    return row;
  });
  byId('namespaces')
    .querySelector('tbody')!
    .replaceChildren(...rows);
}

function renderFindings(body: ServeFindingsBody, status: ServeStatusBody): void {
  const names = new Map(status.namespaces.map((namespace) => [namespace.netns, labelOf(namespace)]));
  const blocks = body.namespaces.flatMap((analysed) =>
    analysed.findings.map((finding) =>
      el(
        'article',
        {},
        el(
          'h3',
          {},
          el('span', { class: `severity-${finding.severity}` }, finding.severity),
          ` ${finding.kind} — ${finding.subject} (${names.get(analysed.netns) ?? `netns ${analysed.netns}`})`,
        ),
        el('p', {}, finding.advice),
        ...(finding.commands.length > 0 ? [el('pre', {}, el('code', {}, finding.commands.join('\n')))] : []),
      ),
    ),
  );
  byId('findings').replaceChildren(
    ...(blocks.length > 0 ? blocks : [el('p', { class: 'hint' }, 'No findings from the latest analysis.')]),
  );
}

function renderDrift(body: ServeDriftBody): void {
  const rows = [...body.events]
    .reverse()
    .map((event) =>
      el(
        'tr',
        {},
        el('td', {}, new Date(event.atMs).toLocaleString()),
        el('td', {}, String(event.netns)),
        el('td', {}, event.setting),
        el('td', {}, `${event.from} → ${event.to}`),
        el('td', {}, event.who ?? 'unknown'),
      ),
    );
  byId('drift')
    .querySelector('tbody')!
    .replaceChildren(
      ...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: '5' }, 'No drift seen.'))]),
    );
}

/** uPlot's columns for each chart from one namespace's history (null where it was not sampled). */
function chartData(
  history: ServeHistoryBody,
  namespace: NamespaceHistory | undefined,
  status: ServeStatusBody,
) {
  const points = history.t.length;
  const column = (values: (number | null)[] | undefined) =>
    values ?? new Array<number | null>(points).fill(null);
  const entries = column(namespace?.entries);
  const max = column(namespace?.max);
  const usage = entries.map((value, i) => {
    const limit = max[i];
    return value === null || limit === null || limit === undefined || limit === 0
      ? null
      : (100 * value) / limit;
  });
  const flat = (value: number) => history.t.map(() => value);
  return {
    usage: [
      history.t,
      usage,
      flat(100 * status.thresholds.warnUsage),
      flat(100 * status.thresholds.critUsage),
    ],
    entries: [history.t, entries, max],
    loss: [history.t, ...LOSS_SERIES.map((name) => column(namespace?.[name]))],
  } as Record<ChartName, UPlot.AlignedData>;
}

const SERIES: Record<ChartName, UPlot.Series[]> = {
  usage: [
    { label: 'usage %', stroke: '#1565c0', width: 2 },
    { label: 'warn', stroke: '#ef6c00', dash: [6, 4] },
    { label: 'crit', stroke: '#c62828', dash: [6, 4] },
  ],
  entries: [
    { label: 'entries', stroke: '#1565c0', width: 2 },
    { label: 'max', stroke: '#777', dash: [6, 4] },
  ],
  loss: [
    { label: 'drop/s', stroke: '#c62828', width: 2 },
    { label: 'early_drop/s', stroke: '#ef6c00', width: 2 },
    { label: 'insert_failed/s', stroke: '#6a1b9a', width: 2 },
  ],
};

function drawChart(name: ChartName, data: UPlot.AlignedData): void {
  const existing = charts[name];
  if (existing) {
    existing.setData(data);
    return;
  }
  const container = byId(`chart-${name}`);
  const options: UPlot.Options = {
    width: Math.max(200, container.clientWidth),
    height: CHART_HEIGHT_PX,
    series: [{}, ...SERIES[name]],
    scales: name === 'usage' ? { y: { range: [0, 100] } } : {},
    // Room for a seven-digit max (262,144 is the default on a 4 GiB+ host) beside the axis.
    axes: [{}, { size: 70 }],
  };
  const chart = new uPlot(options, data, container);
  charts[name] = chart;
  new ResizeObserver(() =>
    chart.setSize({ width: Math.max(200, container.clientWidth), height: CHART_HEIGHT_PX }),
  ).observe(container);
  if (name === 'usage') performance.mark('ctdoctor-first-chart');
}

function showError(message: string | undefined): void {
  const error = byId('error');
  error.hidden = message === undefined;
  error.textContent = message ?? '';
}

let timer: number | undefined;

async function refresh(): Promise<void> {
  clearTimeout(timer);
  let nextMs = RETRY_MS;
  try {
    const status = await api<ServeStatusBody>('/api/status');
    nextMs = Math.max(1, status.intervalSeconds) * 1000;
    if (!status.namespaces.some((namespace) => namespace.netns === state.selected))
      state.selected = worst(status.namespaces)?.netns;
    const selected = status.namespaces.find((namespace) => namespace.netns === state.selected);
    const query = new URLSearchParams({ seconds: String(HOUR_SECONDS) });
    if (selected) query.set('netns', String(selected.netns));
    const [history, findings, drift] = await Promise.all([
      api<ServeHistoryBody>(`/api/history?${query}`),
      api<ServeFindingsBody>('/api/findings'),
      api<ServeDriftBody>('/api/drift'),
    ]);
    renderSummary(selected);
    renderTable(status);
    renderFindings(findings, status);
    renderDrift(drift);
    const data = chartData(history, history.namespaces[0], status);
    for (const name of Object.keys(data) as ChartName[]) drawChart(name, data[name]);
    document.body.dataset.takenAtMs = String(status.takenAtMs);
    byId('updated').textContent = `sampled ${new Date(status.takenAtMs).toLocaleTimeString()}`;
    showError(undefined);
  } catch (error) {
    if (error instanceof Unauthorized) {
      byId('token-form').hidden = false;
      showError(state.token ? 'The token was refused.' : undefined);
      return;
    }
    showError(`Cannot read the API: ${error instanceof Error ? error.message : String(error)}`);
  }
  timer = window.setTimeout(() => void refresh(), nextMs);
}

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = byId<HTMLInputElement>('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  byId('token-form').hidden = true;
  void refresh();
});

const sortButtons = document.querySelectorAll<HTMLButtonElement>('button[data-sort]');
sortButtons.forEach((button) => {
  button.addEventListener('click', () => {
    state.sort = button.dataset.sort === 'loss' ? 'loss' : 'usage';
    sortButtons.forEach((other) => {
      other.setAttribute('aria-pressed', String(other === button));
    });
    void refresh();
  });
});

void refresh();
