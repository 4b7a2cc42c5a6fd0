import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];

/** Every duration option: its command, its bounds as --help and the refusal state them, values just outside. */
const OPTIONS = [
  {
    command: ['status'],
    option: '--interval',
    range: '0.1 s to 1 h',
    outside: ['0.05', '3601', '1e9', '2h'],
  },
  { command: ['status', '--watch', '--json'], option: '--interval', range: '0.1 s to 1 h', outside: ['1e9'] },
  { command: ['check'], option: '--interval', range: '0.1 s to 1 h', outside: ['0.09', '2147483.648'] },
  { command: ['doctor'], option: '--interval', range: '0.1 s to 1 h', outside: ['50ms', '61m'] },
  { command: ['mitigate'], option: '--interval', range: '0.1 s to 1 h', outside: ['0', '1d'] },
  { command: ['mitigate'], option: '--verify-seconds', range: '0.1 s to 10 min', outside: ['0.05', '601'] },
  { command: ['doctor'], option: '--since', range: '1 min to 30 d', outside: ['0.5', '43201', '1e20'] },
  { command: ['block', '--ip', '192.0.2.7'], option: '--ttl', range: '1 s to 24 d', outside: ['0', '25d'] },
] as const;

// Accepted, these values ran for hours (or, past 2³¹ ms, in a loop): a refusal is immediate.
const REFUSED_AT_ONCE = { timeout: 30_000 };

describe('#11.11 every duration option is bounded, and --help says the bound', () => {
  for (const { command, option, range, outside } of OPTIONS) {
    it(
      `#11.11 ${command.join(' ')} ${option} refuses ${outside.join(', ')} (${range})`,
      REFUSED_AT_ONCE,
      async () => {
        for (const value of outside) {
          const result = await runCli([...command, ...TREE, option, value]);
          const refusal = `${option} must be from ${range}, got "${value}"`;
          // check is a monitoring plugin and doctor's exit 2 means critical: both say UNKNOWN (3).
          if (command[0] === 'check') {
            assert.equal(result.code, 3, `${option} ${value}: ${result.stdout}${result.stderr}`);
            assert.equal(result.stdout, `CONNTRACK UNKNOWN - ${refusal}\n`);
          } else {
            assert.equal(
              result.code,
              command[0] === 'doctor' ? 3 : 2,
              `${option} ${value}: ${result.stderr}`,
            );
            // Not one frame of output, no TimeoutOverflowWarning: refused before anything runs.
            assert.equal(result.stdout, '');
            assert.ok(result.stderr.startsWith(`ctdoctor: ${refusal}\n`), result.stderr);
          }
          assert.ok(!hasStackTrace(result.stderr));
        }
      },
    );

    it(`#11.11 ${command[0]} --help states the bound of ${option}`, async () => {
      const help = await runCli([command[0], '--help']);
      const entry = help.stdout
        .split(/\n(?=\s+-)/)
        .map((text) => text.replace(/\s+/g, ' ').trim())
        .find((text) => text.startsWith(`${option} <`));
      assert.ok(entry?.includes(`(${range})`), entry);
    });
  }

  it('#11.11 a duration that is not one names the units', async () => {
    const result = await runCli(['status', ...TREE, '--interval', 'abc']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^ctdoctor: --interval "abc" is not a duration: give seconds or a unit \(e\.g\. 500ms/,
    );
  });

  it('#11.11 units are read: --interval 500ms measures over half a second, --ttl 2h is 7200 s', async () => {
    const status = await runCli(['status', ...TREE, '--interval', '500ms', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.ok(!status.stderr.includes('TimeoutOverflowWarning'));
    const seconds = (JSON.parse(status.stdout) as { intervalSeconds: number }).intervalSeconds;
    assert.ok(seconds >= 0.5 && seconds < 5, `measured over ${seconds} s`);

    const block = await runCli(['block', '--ip', '192.0.2.7', '--ttl', '2h', '--json']);
    assert.equal(block.code, 0, block.stderr);
    assert.equal((JSON.parse(block.stdout) as { ttlSeconds: number }).ttlSeconds, 7200);
  });
});
