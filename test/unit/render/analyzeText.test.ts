import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSource } from '../../../src/analysisRuntime/tableAnalysis.js';
import { buildAnalysisReport } from '../../../src/core/reports/analysisReport.js';
import { openTableFile } from '../../../src/host/tableSource.js';
import { renderAnalyzeText } from '../../../src/render/analyzeText.js';
import { fixture } from '../../support/paths.js';

async function reportOf(table: string, options: { filter?: string; sampleEntries?: number } = {}) {
  const source = await openTableFile(fixture('tables', table));
  const run = await analyzeSource(source, { capacity: 32768, ...options });
  return buildAnalysisReport(run, source, { limit: 3, filter: options.filter, context: { max: 262144 } });
}

describe('analyze text', () => {
  it('a captured port scan: entries against max, the scanner first among findings, the top lists', async () => {
    const lines = renderAnalyzeText(await reportOf('scan.procfs.txt')).split('\n');
    assert.equal(lines[0], `220 entries of max 262,144 (<0.1%) from ${fixture('tables', 'scan.procfs.txt')}`);
    assert.equal(lines[2], 'Findings (most severe first)');
    assert.equal(lines[3], '  WARN port-scan: 127.0.0.66');
    assert.equal(
      lines[6],
      '       offenders: 127.0.0.66 (200 entries, 91%)',
      'whom block --from-findings takes',
    );
    assert.ok(lines.includes('proto   tcp 200 (91%), udp 20 (9.1%)'), lines.join('\n'));
    const top = lines.indexOf('Top sources');
    assert.deepEqual(lines.slice(top + 1, top + 3), ['  127.0.0.66  200   91%', '  127.0.0.1    20  9.1%']);
    assert.match(lines.at(-1)!, /^analysed in \d+ ms$/);
  });

  it('a filter and a sample say what was read of how much', async () => {
    const filtered = renderAnalyzeText(await reportOf('healthy.procfs.txt', { filter: 'proto=udp' }));
    assert.match(
      filtered.split('\n')[0]!,
      /^[\d,]+ entries of max 262,144 \(.*\) from .* matching "proto=udp" \(of 410\)$/,
    );
    const sampled = renderAnalyzeText(await reportOf('healthy.procfs.txt', { sampleEntries: 100 }));
    assert.match(sampled.split('\n')[0]!, / — a SAMPLE: the first 100 entries; the rest was not read$/);
  });

  it('a captured udp flood accuses no one: no offenders line, no block', async () => {
    const text = renderAnalyzeText(await reportOf('udp-flood.procfs.txt'));
    assert.match(text, /udp-flood: 127\.0\.0\.1:53\/udp/);
    assert.doesNotMatch(text, /offenders:|ctdoctor block/);
  });

  it('a healthy table: no findings, said in words', async () => {
    const text = renderAnalyzeText(await reportOf('healthy.procfs.txt'));
    assert.match(text, /\nNo findings: no scan, flood, TIME_WAIT pile or leaked pool stands out\.\n/);
  });
});
