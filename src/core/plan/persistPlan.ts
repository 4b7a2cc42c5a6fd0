import { CtdoctorError } from '../errors.js';
import { parseSysctlConf } from './sysctlConf.js';
import {
  type BootValue,
  type ConfFile,
  SYSCTL_CONF,
  SYSCTL_DIRS,
  bootValueOf,
  effectiveFiles,
  resolveAtBoot,
} from './sysctlPrecedence.js';

export const CTDOCTOR_MARK = '# Written by ctdoctor persist';
export const DEFAULT_DROPIN = '90-ctdoctor.conf';
const DROPIN_DIR = '/etc/sysctl.d';

export interface PersistInput {
  /** Dotted key → value to persist. */
  values: Record<string, string>;
  files: ConfFile[];
  sysctlConf: ConfFile;
  /** sysctl.d directories that are symlink loops: neither applier reads them, nothing can be written there. */
  loopingDirs: string[];
  /** Where a system path is on disk (under --root): the paths a refusal tells the operator to fix. */
  onDisk: (path: string) => string;
  /** --file /etc/sysctl.conf: append to that file instead of a drop-in. */
  target: 'dropin' | 'sysctl.conf';
  fixConflicts: boolean;
  /** nf_conntrack built in (keys exist at boot) or a module (they do not until it loads). */
  conntrackBuiltIn: boolean | undefined;
  /** Buckets to set at module load, when it is a module. */
  hashsize?: number;
}

export interface FileWrite {
  path: string;
  /** null: delete. Bytes for an edited file (its other lines stay byte for byte), text for ours. */
  content: string | Buffer | null;
  why: string;
}

export interface Conflict {
  key: string;
  path: string;
  line: number;
  value: string;
  /** What it does to ctdoctor's value. */
  effect: string;
  fixable: boolean;
  /** --fix-conflicts comments the line out: it no longer sets anything after the plan. */
  fixed: boolean;
}

export interface PersistPlan {
  schema: 'ctdoctor.persist-plan/v1';
  file: string;
  writes: FileWrite[];
  conflicts: Conflict[];
  /** Value each key gets at boot after the plan is applied, per applier. */
  atBoot: { key: string; wanted: string; systemd: BootValue; procps: BootValue }[];
  bootOrder: string[];
  warnings: string[];
}

export function renderDropin(values: Record<string, string>): string {
  const lines = [
    `${CTDOCTOR_MARK}: the conntrack table size and timeouts that must survive reboots.`,
    '# Change with `ctdoctor persist`, undo with `ctdoctor rollback`, check with `ctdoctor persist --check`.',
  ];
  for (const [key, value] of Object.entries(values).sort()) lines.push(`${key} = ${value}`);
  return `${lines.join('\n')}\n`;
}

function isOurs(file: ConfFile): boolean {
  return file.text?.startsWith(CTDOCTOR_MARK) ?? false;
}

/** A drop-in name that sorts after every other file setting one of our keys. */
export function chooseDropinName(conflictNames: string[]): string {
  const last = [...conflictNames].sort().at(-1);
  if (last === undefined || last < DEFAULT_DROPIN) return DEFAULT_DROPIN;
  if (last < '99-zz-ctdoctor.conf') return '99-zz-ctdoctor.conf';
  // '~' sorts after every letter and digit: "<name>~ctdoctor.conf" comes right after "<name>.conf".
  return `${last.replace(/\.conf$/, '')}~ctdoctor.conf`;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Comments out the lines setting `keys`. Works on the bytes: every other line, and any byte that is
 * not UTF-8, stays as it was (the lines of the UTF-8 reading are the byte lines: a decoder never
 * swallows a newline into a replacement character).
 */
export function commentOutKeys(bytes: Buffer, keys: Set<string>, path: string): Buffer {
  const lines = splitLines(bytes);
  for (const assignment of parseSysctlConf(bytes.toString('utf8'), path)) {
    if (assignment.value === null || !keys.has(assignment.key)) continue;
    const line = lines[assignment.line - 1]!;
    const crlf = line.at(-1) === CARRIAGE_RETURN;
    lines[assignment.line - 1] = Buffer.concat([
      Buffer.from('# '),
      crlf ? line.subarray(0, -1) : line,
      Buffer.from(`  # disabled by ctdoctor persist --fix-conflicts${crlf ? '\r' : ''}`),
    ]);
  }
  return joinLines(lines);
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start <= bytes.length; ) {
    const end = bytes.indexOf(NEWLINE, start);
    lines.push(bytes.subarray(start, end < 0 ? bytes.length : end));
    start = end < 0 ? bytes.length + 1 : end + 1;
  }
  return lines;
}

function joinLines(lines: Buffer[]): Buffer {
  return Buffer.concat(lines.flatMap((line, i) => (i === 0 ? [line] : [Buffer.from('\n'), line])));
}

/** The keys ctdoctor writes: a block of its own holds nothing else. */
const CONNTRACK_KEY_PREFIX = 'net.netfilter.nf_conntrack_';

/**
 * /etc/sysctl.conf without the block a previous `persist --file` appended (its marked header and the
 * conntrack assignments right after it), so a second run writes the same bytes instead of a second
 * block. The block ends at the first line of anything else: an operator's `echo … >> sysctl.conf`
 * right after it is theirs and stays.
 */
function withoutOurBlock(bytes: Buffer): Buffer {
  const lines = splitLines(bytes);
  const start = lines.findIndex((line) => line.toString('utf8').startsWith(CTDOCTOR_MARK));
  if (start < 0) return bytes;
  let end = start + 1;
  while (end < lines.length) {
    const line = lines[end]!.toString('utf8');
    const assignments = parseSysctlConf(line, '');
    const ours =
      line.startsWith('# Change with `ctdoctor persist`') ||
      (assignments.length > 0 && assignments.every((a) => a.key.startsWith(CONNTRACK_KEY_PREFIX)));
    if (!ours || line.trim() === '') break;
    end++;
  }
  return joinLines([...lines.slice(0, start), ...lines.slice(end)]);
}

const realOf = (file: ConfFile) => file.realPath ?? file.path;

function assignmentsOf(file: ConfFile, keys: string[]) {
  return parseSysctlConf(file.text ?? '', file.path).filter(
    (a) => a.value !== null && !a.glob && keys.includes(a.key),
  );
}

export function planPersist(input: PersistInput): PersistPlan {
  const keys = Object.keys(input.values).sort();
  const others = input.files.filter((file) => !isOurs(file));
  const setters = settersOf(others, keys);
  const { file, writes } = planOurFile(input, setters, keys);
  const conflicts = findConflicts(input, setters, keys, file);
  const fixed = input.fixConflicts ? fixConflicts(input, conflicts, keys) : new Map<string, Buffer>();
  for (const [path, content] of fixed)
    writes.push({ path, content, why: `comment out ${keys.join(', ')} (backup kept): --fix-conflicts` });
  const atBoot = bootAfterPlan(input, others, writes, file, fixed, keys);
  const warnings = [...brokenLinkWarnings(input), ...bootWarnings(atBoot, input.fixConflicts)];
  const moduleLoad = planModuleLoad(input);
  writes.push(...moduleLoad.writes);
  return {
    schema: 'ctdoctor.persist-plan/v1',
    file,
    writes,
    conflicts,
    atBoot,
    bootOrder: moduleLoad.bootOrder,
    warnings,
  };
}

/** Who else sets our keys, in systemd's reading order (masking applied). */
function settersOf(others: ConfFile[], keys: string[]): ConfFile[] {
  return effectiveFiles(others, 'systemd-sysctl').filter((file) => assignmentsOf(file, keys).length > 0);
}

/**
 * Our file: a drop-in named to sort after every setter, or /etc/sysctl.conf itself. The name comes
 * from the tree as it will be: --fix-conflicts comments out /etc/sysctl.conf's lines whatever the
 * name (`sysctl --system` reads it last), so a link to it (Debian's 99-sysctl.conf) does not push
 * the name later — or a second run would rename the file it wrote.
 */
function planOurFile(
  input: PersistInput,
  setters: ConfFile[],
  keys: string[],
): { file: string; writes: FileWrite[] } {
  if (input.target === 'sysctl.conf') {
    refuseBrokenTarget(input.sysctlConf, input.onDisk);
    const kept = input.sysctlConf.bytes
      ? commentOutKeys(withoutOurBlock(input.sysctlConf.bytes), new Set(keys), SYSCTL_CONF)
      : Buffer.alloc(0);
    const content = Buffer.concat([withFinalNewline(kept), Buffer.from(renderDropin(input.values))]);
    return {
      file: SYSCTL_CONF,
      writes: [{ path: SYSCTL_CONF, content, why: 'persist in /etc/sysctl.conf (--file)' }],
    };
  }
  if (input.loopingDirs.includes(DROPIN_DIR)) {
    const dir = input.onDisk(DROPIN_DIR);
    throw new CtdoctorError(
      'refused',
      `${dir} is a symlink loop: neither systemd-sysctl nor sysctl --system reads it, and nothing can be written there; replace it with a directory (rm ${dir} && mkdir ${dir}) and re-run`,
    );
  }
  const staying = input.fixConflicts ? setters.filter((setter) => realOf(setter) !== SYSCTL_CONF) : setters;
  const file = `${DROPIN_DIR}/${chooseDropinName(staying.map((setter) => setter.name))}`;
  const target = input.files.find((f) => f.path === file);
  if (target) refuseBrokenTarget(target, input.onDisk);
  const writes: FileWrite[] = [];
  const existing = input.files.find((f) => f.dir === DROPIN_DIR && isOurs(f));
  if (existing && existing.path !== file) {
    writes.push({
      path: existing.path,
      content: null,
      why: `replaced by ${file}, which sorts after the files that set the same keys`,
    });
  }
  writes.push({ path: file, content: renderDropin(input.values), why: "ctdoctor's drop-in" });
  return { file, writes };
}

/** --fix-conflicts comments out the winning lines in /etc, in the real file behind any link. */
function fixConflicts(input: PersistInput, conflicts: Conflict[], keys: string[]): Map<string, Buffer> {
  const fixed = new Map<string, Buffer>();
  const sources = [...input.files, input.sysctlConf];
  for (const conflict of conflicts.filter((c) => c.fixed)) {
    const real = conflict.path.split(' -> ').pop()!;
    if (fixed.has(real)) continue;
    const source = sources.find((f) => realOf(f) === real && f.bytes !== null);
    if (source) fixed.set(real, commentOutKeys(source.bytes!, new Set(keys), real));
  }
  return fixed;
}

/** The value each key gets at boot after the plan: the tree as it will be, read the way each applier reads it. */
function bootAfterPlan(
  input: PersistInput,
  others: ConfFile[],
  writes: FileWrite[],
  file: string,
  fixed: Map<string, Buffer>,
  keys: string[],
): PersistPlan['atBoot'] {
  const after = (f: ConfFile): ConfFile => {
    const bytes = fixed.get(realOf(f));
    return bytes ? { ...f, bytes, text: bytes.toString('utf8') } : f;
  };
  const filesAfter: ConfFile[] = others
    .filter((f) => !writes.some((w) => w.path === f.path && w.content === null))
    .map(after);
  const ours = writes.find((w) => w.path === file && w.content !== null)!;
  let confAfter = after(input.sysctlConf);
  if (file === SYSCTL_CONF) {
    confAfter = { ...input.sysctlConf, ...contentOf(ours) };
    for (const [i, f] of filesAfter.entries())
      if (f.realPath === SYSCTL_CONF) filesAfter[i] = { ...f, ...contentOf(ours) };
  } else filesAfter.push(confFileOf(ours));
  return resolveAtBoot({ files: filesAfter, sysctlConf: confAfter }, keys).map((boot) => ({
    key: boot.key,
    wanted: input.values[boot.key]!,
    systemd: bootValueOf(boot.systemd),
    procps: bootValueOf(boot.procps),
  }));
}

/** A key the plan would not set at boot, systemd-sysctl's reading first. */
function bootWarnings(atBoot: PersistPlan['atBoot'], fixConflicts: boolean): string[] {
  const hint = fixConflicts ? '' : ' (see conflicts; --fix-conflicts)';
  const warnings: string[] = [];
  for (const row of atBoot) {
    if (row.systemd.value !== row.wanted) {
      warnings.push(
        `${row.key}: systemd-sysctl would ${describeBoot(row.systemd)} at boot, not ${row.wanted}${hint}`,
      );
    } else if (row.procps.value !== row.wanted) {
      warnings.push(
        `${row.key}: \`sysctl --system\` would ${describeBoot(row.procps)}, not ${row.wanted}${hint}`,
      );
    }
  }
  return warnings;
}

/** Keys of a module do not exist when systemd-sysctl runs early at boot: load it first, re-apply on load. */
function planModuleLoad(input: PersistInput): { bootOrder: string[]; writes: FileWrite[] } {
  if (input.conntrackBuiltIn === true) {
    return {
      bootOrder: [
        'nf_conntrack is built into this kernel: its keys exist when systemd-sysctl runs at boot; nothing else is needed.',
      ],
      writes: [],
    };
  }
  if (input.conntrackBuiltIn !== false) {
    return {
      bootOrder: [
        'could not tell whether nf_conntrack is built in or a module (no /sys/module/nf_conntrack)',
      ],
      writes: [],
    };
  }
  const writes: FileWrite[] = [
    {
      path: '/etc/modules-load.d/ctdoctor.conf',
      content: `${CTDOCTOR_MARK}: load conntrack early so its sysctls apply at boot.\nnf_conntrack\n`,
      why: 'load nf_conntrack before systemd-sysctl',
    },
    {
      path: '/etc/udev/rules.d/90-ctdoctor-conntrack.rules',
      content: `${CTDOCTOR_MARK}: re-apply net.netfilter sysctls whenever the module loads.\nACTION=="add", SUBSYSTEM=="module", KERNEL=="nf_conntrack", RUN+="/lib/systemd/systemd-sysctl --prefix=/net/netfilter"\n`,
      why: 're-apply the keys when the module loads (the sysctl.d(5) pattern)',
    },
  ];
  if (input.hashsize) {
    writes.push({
      path: '/etc/modprobe.d/ctdoctor.conf',
      content: `${CTDOCTOR_MARK}: hash buckets from module load (the default max is then 8 × this until sysctl sets it).\noptions nf_conntrack hashsize=${input.hashsize}\n`,
      why: 'buckets right from load time',
    });
  }
  return {
    bootOrder: [
      'nf_conntrack is a module: its keys do not exist when systemd-sysctl runs early at boot, so ctdoctor loads it from modules-load.d and re-applies the keys from a udev rule whenever it loads.',
    ],
    writes,
  };
}

/** Lines elsewhere that set our keys (`file` is ours), and what each does to ctdoctor's value. */
function findConflicts(input: PersistInput, setters: ConfFile[], keys: string[], file: string): Conflict[] {
  const ourName = file.split('/').pop()!;
  const conflicts: Conflict[] = [];
  const seen = new Set<string>();
  const confReadLast = input.target === 'dropin' && input.sysctlConf.text ? [input.sysctlConf] : [];
  for (const setter of [...setters, ...confReadLast]) {
    for (const assignment of assignmentsOf(setter, keys)) {
      const id = `${realOf(setter)}:${assignment.line}`;
      if (seen.has(id) || realOf(setter) === file) continue;
      seen.add(id);
      const isConf = realOf(setter) === SYSCTL_CONF;
      const winsUnderSystemd = setter.path !== SYSCTL_CONF && setter.name > ourName;
      const fixable = (winsUnderSystemd || isConf) && realOf(setter).startsWith('/etc/');
      const fixed = fixable && input.fixConflicts;
      conflicts.push({
        key: assignment.key,
        path: setter.realPath ? `${setter.path} -> ${setter.realPath}` : setter.path,
        line: assignment.line,
        value: assignment.value!,
        effect: fixed
          ? 'commented out by --fix-conflicts (backup kept): no longer sets anything'
          : winsUnderSystemd
            ? "sorts after ctdoctor's file: wins at boot"
            : isConf
              ? '`sysctl --system` reads /etc/sysctl.conf after every drop-in: wins there'
              : "sorts before ctdoctor's file: ctdoctor's value wins",
        fixable,
        fixed,
      });
    }
  }
  return conflicts;
}

function contentOf(write: FileWrite): { text: string | null; bytes: Buffer | null } {
  if (write.content === null) return { text: null, bytes: null };
  const bytes = Buffer.from(write.content);
  return { text: bytes.toString('utf8'), bytes };
}

function confFileOf(write: FileWrite): ConfFile {
  const name = write.path.split('/').pop()!;
  return { dir: write.path.slice(0, -name.length - 1), name, path: write.path, ...contentOf(write) };
}

function withFinalNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === NEWLINE) end--;
  return Buffer.concat([bytes.subarray(0, end), Buffer.from('\n')]);
}

function describeBoot(boot: BootValue): string {
  return boot.value === null ? 'set nothing (no file sets it)' : `set ${boot.value} from ${boot.from}`;
}

/** ctdoctor never writes through a link the appliers cannot open: the fix is the operator's call. */
function refuseBrokenTarget(target: ConfFile, onDisk: (path: string) => string): void {
  if (!target.brokenLink) return;
  const path = onDisk(target.path);
  throw new CtdoctorError(
    'refused',
    `${path} is ${target.brokenLink}: systemd-sysctl and sysctl --system cannot open it, and ctdoctor will not write through it; remove the link (rm ${path}) and re-run`,
  );
}

/** What a broken link does at boot (systemd 252 and procps 4.0.2, test/support/sysctl-sandbox.sh). */
function brokenLinkWarnings(input: PersistInput): string[] {
  const warnings = input.loopingDirs
    .filter((dir) => dir !== DROPIN_DIR || input.target === 'sysctl.conf')
    .map((dir) => `${dir} is a symlink loop: neither systemd-sysctl nor sysctl --system reads it`);
  for (const link of [...input.files, input.sysctlConf]) {
    if (!link.brokenLink) continue;
    const effect = link.brokenLink.startsWith('a symlink loop')
      ? 'systemd-sysctl and `sysctl --system` both report it and exit 1'
      : '`sysctl --system` reports it and exits 1, systemd-sysctl skips it silently';
    const rank = SYSCTL_DIRS.indexOf(link.dir);
    const hidden = input.files.filter(
      (f) => rank >= 0 && f.name === link.name && SYSCTL_DIRS.indexOf(f.dir) > rank,
    );
    warnings.push(
      `${link.path} is ${link.brokenLink}: ${effect}, setting nothing from it${hidden.length > 0 ? `; it still hides ${hidden.map((f) => f.path).join(', ')}` : ''}`,
    );
  }
  return warnings;
}
