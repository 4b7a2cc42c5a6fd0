import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStat } from '../../../src/core/procStat.js';
import { ATTRIBUTION_SLACK_MS, changedSettings, whoChanged } from '../../../src/core/settingsDrift.js';
import { listProcessStarts } from '../../../src/host/processStarts.js';

describe('drift: what changed', () => {
  it('reports changed values, sorted by name; a setting in only one reading is no change', () => {
    const before = {
      nf_conntrack_max: 262144,
      nf_conntrack_udp_timeout: 30,
      nf_conntrack_tcp_timeout_close: 10,
    };
    const after = {
      nf_conntrack_max: 524288,
      nf_conntrack_udp_timeout: 45,
      nf_conntrack_tcp_timeout_close: 10,
      nf_conntrack_sctp_timeout_closed: 10,
    };
    assert.deepEqual(changedSettings(before, after), [
      { setting: 'nf_conntrack_max', from: 262144, to: 524288 },
      { setting: 'nf_conntrack_udp_timeout', from: 30, to: 45 },
    ]);
    assert.deepEqual(changedSettings(after, after), []);
  });
});

describe('drift: who changed it', () => {
  const change = { setting: 'nf_conntrack_max', from: 262144, to: 524288 };
  const nowMs = 1_000_000;
  const sinceMs = nowMs - 5000;
  const journaled = {
    id: '20261202T050000Z-ab12',
    command: 'mitigate --apply',
    timeMs: nowMs - 2000,
    key: 'net.netfilter.nf_conntrack_max',
    after: '524288',
  };
  const kubeProxy = { pid: 812, comm: 'kube-proxy', startedAtMs: nowMs - 4000 };

  it('names ctdoctor when its journal wrote that value since the previous reading, before any process', () => {
    const who = whoChanged(change, { journal: [journaled], processes: [kubeProxy], sinceMs, nowMs });
    assert.equal(who, 'ctdoctor mitigate --apply (journal 20261202T050000Z-ab12)');
  });

  it('ignores journal entries of another key, another value or from well before the previous reading', () => {
    const stale = [
      { ...journaled, key: 'net.netfilter.nf_conntrack_buckets' },
      { ...journaled, after: '1048576' },
      { ...journaled, timeMs: sinceMs - ATTRIBUTION_SLACK_MS - 1 },
    ];
    assert.equal(
      whoChanged(change, { journal: stale, processes: [kubeProxy], sinceMs, nowMs }),
      'kube-proxy (pid 812, started 4 s before)',
    );
  });

  it('names no process that is not a known tuner or started well before the previous reading', () => {
    const processes = [
      { pid: 1, comm: 'systemd', startedAtMs: nowMs - 1000 },
      { ...kubeProxy, startedAtMs: sinceMs - ATTRIBUTION_SLACK_MS - 1 },
    ];
    assert.equal(whoChanged(change, { journal: [], processes, sinceMs, nowMs }), undefined);
  });
});

describe('/proc/PID/stat', () => {
  it('reads comm and start time past a comm holding spaces and parentheses', () => {
    // Field 22 (starttime) is the 20th after the state; the values before it are a process's own.
    const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i + 1)), '4242', '0'];
    const line = `812 (kube (proxy) x) ${fields.join(' ')}`;
    assert.deepEqual(parseProcStat(line), { comm: 'kube (proxy) x', startTicks: 4242 });
    assert.equal(parseProcStat('garbage'), null);
  });
});

describe('process starts on this host', () => {
  it("places this test's own process at the time Node says it started", async () => {
    const own = (await listProcessStarts({ procRoot: '/proc', sysRoot: '/sys' })).find(
      (process) => process.pid === globalThis.process.pid,
    );
    assert.ok(own, 'this process is listed');
    // /proc counts in 1/100 s ticks and /proc/uptime in centiseconds: a second covers both.
    assert.ok(
      Math.abs(own.startedAtMs - performance.timeOrigin) < 1000,
      `${own.startedAtMs} vs ${performance.timeOrigin}`,
    );
  });
});
