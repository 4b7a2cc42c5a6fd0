import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Instruction, parseContainerfile } from '../support/containerfile.js';
import { REPO_ROOT } from '../support/paths.js';

const CONTAINERFILE = join(REPO_ROOT, 'deploy', 'container', 'Containerfile');
/** The base the Containerfile names; CTDOCTOR_CONTAINER_BASE names a local stand-in (scripts/container-base.sh). */
const BASE_IMAGE = process.env.CTDOCTOR_CONTAINER_BASE ?? 'docker.io/library/debian:12-slim';

function instructions(): Instruction[] {
  return parseContainerfile(readFileSync(CONTAINERFILE, 'utf8'));
}

/** The instructions of each stage, in order: a stage starts at its FROM. */
function stages(all: Instruction[]): Instruction[][] {
  return all.reduce<Instruction[][]>((list, instruction) => {
    if (instruction.keyword === 'FROM') list.push([]);
    list.at(-1)?.push(instruction);
    return list;
  }, []);
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return {
    status: result.error ? null : result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
  };
}

/**
 * chroot isolation: no OCI runtime, so no cgroup set-up (crun refuses a host whose cgroups are in
 * hybrid mode, as this VM's are); the build still runs each step in its own namespaces.
 */
const ISOLATION = ['--isolation=chroot'];

/** Debian's bundle of the CAs this host trusts (ca-certificates). */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Seconds to wait for a pull: a registry that cannot be reached answers (or fails) well within it. */
const PULL_TIMEOUT_SECONDS = 60;

/** Why the image cannot be built here, or undefined when it can (the base pulled if it must be). */
function whyNoBuild(): string | undefined {
  if (run('buildah', ['--version']).status !== 0) return 'no container engine: buildah is not installed';
  if (run('buildah', ['inspect', '--type', 'image', BASE_IMAGE]).status === 0) return undefined;
  const pull = run('timeout', [String(PULL_TIMEOUT_SECONDS), 'buildah', 'pull', '--quiet', BASE_IMAGE]);
  if (pull.status === 0) return undefined;
  const error = pull.output.trim().split('\n').at(-1);
  return `the base image ${BASE_IMAGE} cannot be had: not in local storage, and its pull failed (${error}); CTDOCTOR_CONTAINER_BASE=IMAGE names a local Debian 12 image instead (scripts/container-base.sh builds one from Debian's archive)`;
}

describe('deploy/container/Containerfile', () => {
  it('is well formed: known instructions, ARGs before the first FROM, stages it copies from', () => {
    const all = instructions();
    const firstFrom = all.findIndex((i) => i.keyword === 'FROM');
    assert.ok(firstFrom >= 0, 'a FROM');
    assert.deepEqual(
      all.slice(0, firstFrom).filter((i) => i.keyword !== 'ARG'),
      [],
    );
    const named = new Set<string>();
    for (const instruction of all) {
      if (instruction.keyword === 'FROM') {
        const stage = /\sAS\s+(\S+)$/i.exec(instruction.args)?.[1];
        if (stage) named.add(stage);
      }
      const from = /--from=(\S+)/.exec(instruction.args)?.[1];
      if (instruction.keyword === 'COPY' && from)
        assert.ok(named.has(from), `line ${instruction.line}: no stage ${from} before it`);
      if (['ENTRYPOINT', 'CMD'].includes(instruction.keyword))
        assert.ok(Array.isArray(JSON.parse(instruction.args)), `line ${instruction.line}: exec form`);
    }
  });

  it('copies only files of the repository, and the final stage runs ctdoctor serve with its tools', () => {
    const all = instructions();
    for (const copy of all.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources)
        assert.ok(
          existsSync(join(REPO_ROOT, source)),
          `line ${copy.line}: ${source} is not in the repository`,
        );
    }
    const final = stages(all).at(-1)!;
    const installs = final
      .filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))
      .map((i) => i.args);
    for (const tool of ['conntrack', 'iproute2', 'util-linux'])
      assert.match(installs.join(' '), new RegExp(`\\b${tool}\\b`), `the final stage installs ${tool}`);
    assert.deepEqual(JSON.parse(final.find((i) => i.keyword === 'ENTRYPOINT')!.args), ['ctdoctor']);
    assert.equal(JSON.parse(final.find((i) => i.keyword === 'CMD')!.args)[0], 'serve');
    const node = all.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_VERSION='));
    const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
    assert.equal(
      node?.args.split('=')[1]?.split('.')[0],
      /\d+/.exec(engines)?.[0],
      'Node of the engines field',
    );
  });

  it('builds, and its ctdoctor serve writes metrics', { timeout: 900_000 }, (t) => {
    const reason = whyNoBuild();
    if (reason) {
      t.skip(reason);
      return;
    }
    const tag = `localhost/ctdoctor-test:${process.pid}`;
    const out = mkdtempSync(join(tmpdir(), 'ctdoctor-container-'));
    try {
      const build = run('buildah', [
        'bud',
        ...ISOLATION,
        '--network=host',
        '--layers',
        `--build-arg=DEBIAN_IMAGE=${BASE_IMAGE}`,
        // This host's CAs for npm in the build (a TLS-intercepting proxy is then trusted too).
        `--volume=${HOST_CA_BUNDLE}:/run/build-ca.crt:ro`,
        '--build-arg=NODE_EXTRA_CA_CERTS=/run/build-ca.crt',
        '-f',
        CONTAINERFILE,
        '-t',
        tag,
        REPO_ROOT,
      ]);
      assert.equal(build.status, 0, build.output.slice(-4000));
      const container = run('buildah', ['from', tag]).output.trim().split('\n').at(-1)!;
      try {
        const serve = run('buildah', [
          'run',
          ...ISOLATION,
          '--network=host',
          '-v',
          `${out}:/out`,
          container,
          '--',
          'ctdoctor',
          'serve',
          '--textfile',
          '/out',
          '--once',
        ]);
        assert.equal(serve.status, 0, serve.output);
        assert.match(readFileSync(join(out, 'ctdoctor.prom'), 'utf8'), /^ctdoctor_conntrack_entries\{/m);
      } finally {
        run('buildah', ['rm', container]);
      }
    } finally {
      run('buildah', ['rmi', tag]);
      rmSync(out, { recursive: true, force: true });
    }
  });
});
