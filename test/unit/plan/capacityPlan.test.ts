import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statedLoad } from '../../../src/cli/planLoad.js';
import { isCtdoctorError } from '../../../src/core/errors.js';
import { parseKernelRelease } from '../../../src/core/kernelInfo.js';
import { parseCandidateChange } from '../../../src/core/plan/candidateChanges.js';
import { type PlanInput, planCapacity } from '../../../src/core/plan/capacityPlan.js';
import { TableProfile, liveLoad } from '../../../src/core/plan/liveLoad.js';
import { timeoutLookup } from '../../../src/core/plan/steadyStateEntries.js';
import { friendlySizeAtLeast } from '../../../src/core/plan/tableSizing.js';
import { KERNEL_DEFAULT_TIMEOUTS } from '../../../src/core/plan/timeoutDefaults.js';
import { FLAG, createEntry } from '../../../src/core/table/entry.js';

const base: PlanInput = {
  load: [],
  loadSource: { kind: 'stated' },
  timeouts: KERNEL_DEFAULT_TIMEOUTS,
  kernel: parseKernelRelease('6.18.0'),
  entrySize: { bytes: 256, source: 'slabinfo' },
  headroom: 2,
  cpus: 8,
  current: null,
  netns: { inode: 4026531840, initial: true },
  candidates: [],
};

const plan = (input: Partial<PlanInput>) => planCapacity({ ...base, ...input });
const load = (options: Parameters<typeof statedLoad>[0]) => statedLoad(options);

describe('plan: Little’s law per class', () => {
  it('entries = rate × (life + the final timeout), per class and in total', () => {
    const result = plan({
      load: load({ rate: '1000/s', mix: 'tcp-short=80%,udp-query=20%', class: [], lifetime: 'tcp=0.1s' }),
    });
    const [tcp, udp] = result.classes;
    assert.equal(tcp!.heldSeconds, 120.1);
    assert.equal(tcp!.entries, 800 * 120.1);
    assert.equal(udp!.entries, 200 * 30);
    assert.equal(result.predicted.entries, 800 * 120.1 + 6000);
    assert.equal(result.predicted.countUpToEntries, result.predicted.entries + 1000 * 60);
  });

  it('takes each timeout from the namespace, not the kernel default', () => {
    const result = plan({
      load: load({ rate: '100/s', class: ['udp-query'] }),
      timeouts: { ...KERNEL_DEFAULT_TIMEOUTS, udp_timeout: 5 },
    });
    assert.equal(result.classes[0]!.finalTimeout.seconds, 5);
    assert.equal(result.predicted.entries, 500);
  });

  it('a kept-open connection is held at most the established timeout, without TIME_WAIT after', () => {
    const timeouts = { ...KERNEL_DEFAULT_TIMEOUTS, tcp_timeout_established: 3600 };
    const short = plan({ load: load({ class: ['tcp-long:10/s:life=600s'] }), timeouts });
    assert.equal(short.classes[0]!.heldSeconds, 600 + 120);
    const idle = plan({ load: load({ class: ['tcp-long:10/s:life=2h'] }), timeouts });
    assert.equal(idle.classes[0]!.heldSeconds, 3600);
  });

  it('headroom: the max covers live × headroom, or the count before a GC pass when that is higher', () => {
    const long = plan({ load: load({ class: ['tcp-short:1000/s:life=0.1s'] }) });
    assert.equal(long.recommended.max, friendlySizeAtLeast(120_100 * 2));
    assert.equal(long.recommended.max, 262_144);
    const short = plan({
      load: load({ class: ['udp-query:1000/s'] }),
      timeouts: { ...KERNEL_DEFAULT_TIMEOUTS, udp_timeout: 5 },
    });
    assert.equal(short.recommended.max, friendlySizeAtLeast(5000 + 60_000));
    assert.match(short.reasons.join('\n'), /the count's peak/);
    assert.equal(plan({ load: load({ class: ['udp-query:1000/s'] }), headroom: 4 }).recommended.headroom, 4);
  });

  it('power-of-two-friendly: 2^k or 1.5 × 2^k, never more than half over', () => {
    assert.equal(friendlySizeAtLeast(240_200), 262_144);
    assert.equal(friendlySizeAtLeast(180_000), 196_608);
    assert.equal(friendlySizeAtLeast(131_072), 131_072);
    for (const value of [3, 100, 1000, 65_537, 1_000_000]) {
      const size = friendlySizeAtLeast(value);
      assert.ok(size >= value && size <= value * 1.5, `${value} → ${size}`);
    }
  });
});

describe('plan: buckets, memory, chains', () => {
  const input = { load: load({ class: ['tcp-short:1000/s:life=0.1s'] }) };

  it('buckets by the running kernel: 1:1 since 5.15, max / 4 before', () => {
    const modern = plan(input);
    assert.equal(modern.recommended.buckets, modern.recommended.max);
    assert.equal(modern.recommended.meanChainLengthAtMax, 2);
    const old = plan({ ...input, kernel: parseKernelRelease('5.10.0') });
    assert.equal(old.recommended.buckets, old.recommended.max / 4);
    assert.equal(old.recommended.meanChainLengthAtMax, 8);
  });

  it('memory at max from the measured entry size plus 8 B per bucket; chains = 2 × entries / buckets', () => {
    const result = plan(input);
    assert.equal(result.recommended.memoryBytes, 262_144 * 256 + 262_144 * 8);
    assert.equal(result.predicted.meanChainLength, (2 * 120_100) / 262_144);
  });
});

describe('plan: kube-proxy beside the plan', () => {
  it('32768 per core with a 131072 floor, and says which way it misses', () => {
    const small = plan({ load: load({ class: ['udp-query:10/s'] }), cpus: 2 });
    assert.equal(small.kubeProxy.max, 131_072);
    assert.match(small.kubeProxy.why, /more than this plan's 2×/);
    const big = plan({ load: load({ class: ['tcp-short:5000/s'] }), cpus: 8 });
    assert.equal(big.kubeProxy.max, 262_144);
    assert.match(big.kubeProxy.why, /below the predicted steady state.*--conntrack-max-per-core/);
  });
});

describe('plan --try', () => {
  it('a shorter TIME_WAIT and NOTRACK for a share of a protocol, each against the plan', () => {
    const result = plan({
      load: load({ rate: '1000/s', mix: 'tcp-short=50%,udp-query=50%', class: [], lifetime: 'tcp=0s' }),
      candidates: ['tcp_timeout_time_wait=30', 'notrack=53/udp:100%'].map(parseCandidateChange),
    });
    const [timeWait, notrack] = result.tries;
    assert.equal(timeWait!.entries, 500 * 30 + 500 * 30);
    assert.equal(timeWait!.deltaEntries, -500 * 90);
    assert.equal(timeWait!.command, 'ctdoctor timeouts --set tcp_timeout_time_wait=30');
    assert.equal(notrack!.entries, 500 * 120);
    const gone = plan({
      load: load({ class: ['udp-query:100/s'] }),
      candidates: [parseCandidateChange('notrack=53/udp:100%')],
    }).tries[0]!;
    assert.equal(gone.entries, 0);
    assert.equal(gone.recommendedMax, 1024, 'a max costs nothing until used: never below the smallest hash');
    assert.equal(notrack!.command, 'ctdoctor notrack --port 53 --proto udp');
  });

  it('refuses what it cannot model, naming the form', () => {
    for (const [text, why] of [
      ['notrack=53', /notrack=PORT\/PROTO:SHARE/],
      ['notrack=70000/udp:10%', /port must be 1-65535/],
      ['tcp_timeout_time_wait=0', /below 1 s/],
      ['nonsense', /NAME=SECONDS/],
    ] as const)
      assert.throws(() => parseCandidateChange(text), why);
  });
});

describe('plan: the load as typed', () => {
  const usage = (options: Partial<Parameters<typeof statedLoad>[0]>, why: RegExp) =>
    assert.throws(
      () => statedLoad({ class: [], ...options }),
      (error: unknown) => isCtdoctorError(error) && error.kind === 'usage' && why.test(error.message),
    );

  it('rates in /s, /min, /h and k; one class without a rate takes the rest of --rate', () => {
    const [a, b] = statedLoad({ rate: '1.5k/s', class: ['tcp-short:60000/min', 'udp-query'] });
    assert.equal(a!.ratePerSecond, 1000);
    assert.equal(b!.ratePerSecond, 500);
    assert.equal(statedLoad({ class: ['icmp:3600/h'] })[0]!.ratePerSecond, 1);
  });

  it('--lifetime by protocol or class; a --class life wins; defaults are marked', () => {
    const rows = statedLoad({
      class: ['tcp-short:10/s:life=0.2s', 'tcp-long:1/s', 'udp-query:5/s'],
      lifetime: 'tcp=120s,tcp-long=1h',
    });
    assert.deepEqual(
      rows.map((row) => [row.lifeSeconds, row.lifeSource]),
      [
        [0.2, 'given'],
        [3600, 'given'],
        [0, 'default'],
      ],
    );
  });

  it('bad input → one line naming the fix', () => {
    usage({}, /say what the flows are/);
    usage({ rate: 'fast' }, /not a rate of new flows: write e\.g\. 2000\/s/);
    usage({ mix: 'tcp-short=100%' }, /add --rate/);
    usage({ rate: '100', mix: 'tcp-short=80%,udp-query=10%' }, /adds up to 90%/);
    usage({ rate: '100', mix: 'tcp-shrt=100%' }, /not a flow class: use one of tcp-short/);
    usage({ class: ['tcp-short', 'udp-query'] }, /no rate for tcp-short, udp-query/);
    usage({ rate: '100', class: ['tcp-short:200/s', 'udp-query'] }, /more than --rate 100/);
    usage({ rate: '100', class: ['tcp-short:50/s'] }, /add up to 50\/s, not --rate 100/);
    usage({ class: ['tcp-short:1/s', 'tcp-short:2/s'] }, /given twice/);
    usage({ class: ['udp-query:1/s'], lifetime: 'dns=1s' }, /KEY tcp, udp, icmp or a class/);
    usage({ class: ['udp-query:1/s:life=soon'] }, /not a duration/);
    usage({ rate: '100', mix: 'udp-query=100%', class: ['udp-query:5/s'] }, /one of them/);
  });
});

describe('plan --from-live: the load read off the table', () => {
  const entry = (protoNum: number, state: string, timeoutSeconds: number, flags = 0) => ({
    ...createEntry(),
    protoNum,
    state,
    timeoutSeconds,
    flags,
  });
  const timeouts = timeoutLookup({ ...KERNEL_DEFAULT_TIMEOUTS, udp_timeout: 5 });

  it('udp-query arrivals from young entries; answered TCP life from its open entries', () => {
    const profile = new TableProfile(10, timeouts);
    // 1000 queries over the last 5 s (udp_timeout 5: all of them young), evenly spread.
    for (let i = 0; i < 1000; i++) profile.add(entry(17, '', 5 - (i % 5)));
    // 50 connections open and 100 in TIME_WAIT, one every second over the last 100 s.
    for (let i = 0; i < 50; i++) profile.add(entry(6, 'ESTABLISHED', 432_000, FLAG.ASSURED));
    for (let i = 0; i < 100; i++) profile.add(entry(6, 'TIME_WAIT', 120 - i, FLAG.ASSURED));
    const { load: rows, unexplained } = liveLoad(
      { windowSeconds: 10, tcp: 100, udp: 2000, icmp: 0 },
      profile,
      timeouts,
    );
    const query = rows.find((row) => row.name === 'udp-query')!;
    assert.ok(Math.abs(query.ratePerSecond - 200) < 1e-9, String(query.ratePerSecond));
    assert.equal(query.observedEntries, 1000);
    const tcp = rows.find((row) => row.name === 'tcp-short')!;
    assert.equal(tcp.ratePerSecond, 10);
    assert.equal(tcp.lifeSeconds, 5);
    assert.equal(tcp.lifeSource, 'measured');
    assert.deepEqual(unexplained, []);
  });

  it('without an ASSURED UDP entry every UDP arrival is a query, whatever the young entries say', () => {
    const profile = new TableProfile(10, timeouts);
    // 960 young queries where 1000 NEW events came: the difference is noise, not a stream.
    for (let i = 0; i < 960; i++) profile.add(entry(17, '', 5 - (i % 5)));
    const { load: rows } = liveLoad({ windowSeconds: 5, tcp: 0, udp: 1000, icmp: 0 }, profile, timeouts);
    assert.deepEqual(
      rows.filter((row) => row.ratePerSecond > 0).map((row) => [row.name, row.ratePerSecond]),
      [['udp-query', 200]],
    );
  });

  it('entries of a class with no arrivals in the window are reported, not predicted', () => {
    const profile = new TableProfile(10, timeouts);
    profile.add(entry(17, '', 100, FLAG.ASSURED));
    const { load: rows, unexplained } = liveLoad(
      { windowSeconds: 10, tcp: 0, udp: 0, icmp: 0 },
      profile,
      timeouts,
    );
    assert.deepEqual(rows, []);
    assert.deepEqual(unexplained, [{ name: 'udp-stream', entries: 1 }]);
  });
});
