import { parentPort, workerData } from 'node:worker_threads';
import type { AnalysisOptions } from '../core/analysis/analysisRun.js';
import { analyzeFileRange } from './tableAnalysis.js';

const { path, start, end, options } = workerData as {
  path: string;
  start: number;
  end: number;
  options: AnalysisOptions;
};
analyzeFileRange(path, start, end, options).then(
  (result) => parentPort!.postMessage({ result }),
  (error: Error) => parentPort!.postMessage({ error: error.message }),
);
