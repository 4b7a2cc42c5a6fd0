import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const FIREWALL_TOOLS = [
  'nft',
  ...['iptables', 'ip6tables'].flatMap((base) =>
    ['', '-nft', '-legacy', '-save', '-nft-save', '-legacy-save'].map((suffix) => `${base}${suffix}`),
  ),
  'ipset',
];

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A PATH with every system binary except `missing`: how a host without that package looks. */
function pathWithout(missing: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-path-'));
  made.push(dir);
  const linked = new Set(missing);
  for (const system of SYSTEM_PATH) {
    let names: string[];
    try {
      names = readdirSync(system);
    } catch {
      continue;
    }
    for (const name of names) {
      if (linked.has(name)) continue;
      linked.add(name);
      symlinkSync(join(system, name), join(dir, name));
    }
  }
  return dir;
}

// The old code sat 60 s after its answer (Node's spawn timeout stays armed when the spawn fails):
// a deadline far below that, with room for a loaded test machine, tells the two apart.
const ENDS_AT_ONCE = { timeout: 20_000 };

describe('#11.9 a missing tool ends the command at once and names the tool and its package', () => {
  const noConntrack = pathWithout(['conntrack']);
  for (const args of [
    ['check', '--source', 'netlink'],
    ['status', '--source', 'netlink'],
    ['analyze', '--source', 'netlink'],
    ['top', '--seconds', '1'],
  ]) {
    it(`#11.9 ${args.join(' ')} without conntrack`, ENDS_AT_ONCE, async () => {
      const result = await runCli(args, { env: { PATH: noConntrack } });
      assert.notEqual(result.code, 0);
      const output = result.stdout + result.stderr;
      assert.match(output, /conntrack is not installed: apt-get install conntrack\b/);
      assert.doesNotMatch(output, /mkfifo/);
      assert.equal(output.trim().split('\n').length, 1, output);
      assert.ok(!hasStackTrace(output), output);
    });
  }

  it('#11.9 analyze --source netlink without conntrack or mkfifo names conntrack', ENDS_AT_ONCE, async () => {
    const result = await runCli(['analyze', '--source', 'netlink'], {
      env: { PATH: pathWithout(['conntrack', 'mkfifo']) },
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^ctdoctor: conntrack is not installed: apt-get install conntrack\b/);
  });

  it('#11.9 doctor without conntrack answers and exits', ENDS_AT_ONCE, async () => {
    const result = await runCli(['doctor'], { env: { PATH: noConntrack } });
    assert.ok(result.code >= 0 && result.code <= 2, `exit ${result.code}: ${result.stderr}`);
    assert.match(result.stdout, /network namespaces/);
    assert.ok(!hasStackTrace(result.stdout + result.stderr));
  });

  const noFirewall = pathWithout(FIREWALL_TOOLS);
  for (const args of [
    ['notrack', '--port', '53', '--proto', 'udp'],
    ['block', '--ip', '192.0.2.7'],
    ['block', '--list'],
  ]) {
    it(`#11.9 ${args.join(' ')} without nft or iptables`, ENDS_AT_ONCE, async () => {
      const result = await runCli(args, { env: { PATH: noFirewall } });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        'ctdoctor: no firewall tool found: apt-get install nftables (or iptables)\n',
      );
    });
  }

  it('#11.9 helpers without nft or iptables answers and exits', ENDS_AT_ONCE, async () => {
    const result = await runCli(['helpers'], { env: { PATH: noFirewall } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!hasStackTrace(result.stdout + result.stderr));
  });
});

describe('helpers as non-root', () => {
  it('does not claim that no rule uses a helper when it could not read the rules', async () => {
    const result = await runCli(['helpers', '--json'], { asNobody: true });
    assert.equal(result.code, 0, result.stderr);
    const { helpers, plan } = JSON.parse(result.stdout) as {
      helpers: { presence: string; usageUnknown: string | null }[];
      plan: { action: string; reason: string }[];
    };
    const present = helpers.filter((helper) => helper.presence !== 'absent');
    assert.ok(present.length > 0, 'this kernel has helpers built in or loaded');
    for (const helper of present) assert.match(helper.usageUnknown ?? '', /need root/);
    for (const item of plan) {
      assert.notEqual(item.action, 'unload');
      assert.doesNotMatch(item.reason, /none does/);
    }
  });
});

describe('netlink as non-root', () => {
  it('top says once that conntrack events need root, and offers no --source it does not have', async () => {
    const result = await runCli(['top', '--seconds', '1'], { asNobody: true });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr,
      'ctdoctor: reading conntrack events over netlink needs root (CAP_NET_ADMIN): run with sudo\n',
    );
    assert.equal(result.stdout, '');
  });

  it("status, check and analyze --source netlink say once that netlink needs root, not conntrack-tools' line", async () => {
    for (const command of [['status', '--interval', '0.1'], ['check', '--interval', '0.1'], ['analyze']]) {
      const result = await runCli([...command, '--source', 'netlink'], { asNobody: true });
      const text = command[0] === 'check' ? result.stdout : result.stderr;
      assert.equal(result.code, command[0] === 'check' ? 3 : 1, text);
      assert.match(
        text,
        /over netlink needs root \(CAP_NET_ADMIN\): run with sudo, or use --source procfs\n$/,
      );
      assert.equal(text.trim().split('\n').length, 1);
      assert.doesNotMatch(text, /conntrack-tools|sorry/);
    }
  });
});
