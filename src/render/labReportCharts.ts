import type UPlot from 'uplot';
import type { LabReport, TimelinePoint, TuningResult } from '../core/lab/labResult.js';

declare const uPlot: typeof UPlot;

declare global {
  interface Window {
    /** The report's charts, for a look from the console (and the browser test, which reads their data). */
    ctdoctorLabReport?: { charts: UPlot[] };
  }
}

/**
 * The lab report's chart script, run by the browser: the renderer inlines this function's source
 * (`String(drawLabReportCharts)`), so tsc checks it like the rest while the page needs no file
 * beside it. Hence it must name nothing outside its own body but the page's globals (uPlot, the
 * DOM): a module-level constant or an import would be undefined in the page.
 *
 * It reads the report from the page's JSON element, draws entries and drops over time with a
 * series per tuning, and marks <body data-charts-ready="1"> once both are drawn. Long because it
 * is one self-contained function for that reason: its helpers are closures inside it.
 */
export function drawLabReportCharts(): void {
  const CHART_HEIGHT_PX = 260;
  /** Distinct at a glance and for the common colour blindnesses (Okabe–Ito). */
  const COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];
  const DASH_PX = [6, 4];
  /** Samples every 0.5 s: a line reads better than a dot at each. */
  const LINE = { width: 2, spanGaps: true, points: { show: false } };

  const source = document.getElementById('lab-report');
  const report = JSON.parse(source?.textContent ?? 'null') as LabReport;
  const runs = report.runs;
  // Each run samples at its own moments from its own start: one time axis of them all, a run's
  // value null where it took no sample (spanGaps draws through).
  const times = [...new Set(runs.flatMap((run) => run.timeline.map((point) => point.t)))].sort(
    (a, b) => a - b,
  );
  const column = (run: TuningResult, pick: (point: TimelinePoint) => number | undefined) => {
    const at = new Map(run.timeline.map((point) => [point.t, pick(point)]));
    return times.map((t) => at.get(t) ?? null);
  };
  const colorOf = (index: number) => COLORS[index % COLORS.length]!;

  const entrySeries: UPlot.Series[] = [{ label: 's' }];
  const entryData: (number | null)[][] = [times];
  runs.forEach((run, index) => {
    entrySeries.push({ ...LINE, label: run.label, stroke: colorOf(index) });
    entryData.push(column(run, (point) => point.entries));
    if (run.timeline.some((point) => point.live !== undefined)) {
      entrySeries.push({
        ...LINE,
        label: `${run.label} (live)`,
        stroke: colorOf(index),
        dash: DASH_PX,
      });
      entryData.push(column(run, (point) => point.live));
    }
  });
  const dropSeries: UPlot.Series[] = [
    { label: 's' },
    ...runs.map((run, index) => ({ ...LINE, label: run.label, stroke: colorOf(index) })),
  ];
  const dropData = [times, ...runs.map((run) => column(run, (point) => point.drops))];

  const charts: UPlot[] = [];
  let drawn = 0;
  const make = (id: string, yLabel: string, series: UPlot.Series[], data: (number | null)[][]) => {
    const container = document.getElementById(id)!;
    let ready = false;
    const chart = new uPlot(
      {
        width: container.clientWidth,
        height: CHART_HEIGHT_PX,
        scales: { x: { time: false } },
        axes: [{ label: 'seconds into the run' }, { label: yLabel, size: 70 }],
        series,
        hooks: {
          draw: [
            () => {
              if (ready) return;
              ready = true;
              drawn++;
              if (drawn === 2) document.body.dataset.chartsReady = '1';
            },
          ],
        },
      },
      data as UPlot.AlignedData,
      container,
    );
    charts.push(chart);
    new ResizeObserver(() =>
      chart.setSize({ width: container.clientWidth, height: CHART_HEIGHT_PX }),
    ).observe(container);
  };
  make('chart-entries', 'entries', entrySeries, entryData);
  make('chart-drops', 'drops since start', dropSeries, dropData);
  window.ctdoctorLabReport = { charts };
}
