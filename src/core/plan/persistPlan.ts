import {
  type ConfFile,
  type KeyResolution,
  SYSCTL_CONF,
  effectiveFiles,
  resolveKeys,
} from './sysctlPrecedence.js';
import { parseSysctlConf } from './sysctlConf.js';

export const CTDOCTOR_MARK = '# Written by ctdoctor persist';
export const DEFAULT_DROPIN = '90-ctdoctor.conf';
const DROPIN_DIR = '/etc/sysctl.d';

export interface PersistInput {
  /** Dotted key → value to persist. */
  values: Record<string, string>;
  files: ConfFile[];
  sysctlConf: ConfFile;
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
  content: string | null; // null: delete
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

export interface BootValue {
  value: string | null;
  from: string | null;
}

function bootValue(resolution: KeyResolution): BootValue {
  return {
    value: resolution.value,
    from: resolution.winner ? `${resolution.winner.path}:${resolution.winner.line}` : null,
  };
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

/** Comments out the lines setting `keys`, keeping everything else byte for byte. */
export function commentOutKeys(text: string, keys: Set<string>, path: string): string {
  const lines = text.split('\n');
  for (const assignment of parseSysctlConf(text, path)) {
    if (assignment.value === null || !keys.has(assignment.key)) continue;
    lines[assignment.line - 1] =
      `# ${lines[assignment.line - 1]}  # disabled by ctdoctor persist --fix-conflicts`;
  }
  return lines.join('\n');
}

const realOf = (file: ConfFile) => file.realPath ?? file.path;

function assignmentsOf(file: ConfFile, keys: string[]) {
  return parseSysctlConf(file.text ?? '', file.path).filter(
    (a) => a.value !== null && !a.glob && keys.includes(a.key),
  );
}

export function planPersist(input: PersistInput): PersistPlan {
  const keys = Object.keys(input.values).sort();
  const writes: FileWrite[] = [];
  const others = input.files.filter((file) => !isOurs(file));
  const existing = input.files.find((file) => file.dir === DROPIN_DIR && isOurs(file));

  // 1. Who else sets our keys, in systemd's reading order (masking applied)?
  const setters = effectiveFiles(others, 'systemd-sysctl').filter(
    (file) => assignmentsOf(file, keys).length > 0,
  );

  // 2. Our file: a drop-in named to sort after every setter, or /etc/sysctl.conf itself.
  let file: string;
  if (input.target === 'sysctl.conf') {
    file = SYSCTL_CONF;
    const kept = input.sysctlConf.text
      ? commentOutKeys(input.sysctlConf.text, new Set(keys), SYSCTL_CONF)
      : '';
    writes.push({
      path: file,
      content: `${kept.replace(/\n*$/, '\n')}${renderDropin(input.values)}`,
      why: 'persist in /etc/sysctl.conf (--file)',
    });
  } else {
    file = `${DROPIN_DIR}/${chooseDropinName(setters.map((setter) => setter.name))}`;
    if (existing && existing.path !== file) {
      writes.push({
        path: existing.path,
        content: null,
        why: `replaced by ${file}, which sorts after the files that set the same keys`,
      });
    }
    writes.push({ path: file, content: renderDropin(input.values), why: "ctdoctor's drop-in" });
  }
  const ourName = file.split('/').pop()!;

  // 3. Conflicts: lines elsewhere that set our keys, and what they do to our value.
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
      conflicts.push({
        key: assignment.key,
        path: setter.realPath ? `${setter.path} -> ${setter.realPath}` : setter.path,
        line: assignment.line,
        value: assignment.value!,
        effect: winsUnderSystemd
          ? "sorts after ctdoctor's file: wins at boot"
          : isConf
            ? '`sysctl --system` reads /etc/sysctl.conf after every drop-in: wins there'
            : "sorts before ctdoctor's file: ctdoctor's value wins",
        fixable: (winsUnderSystemd || isConf) && realOf(setter).startsWith('/etc/'),
      });
    }
  }

  // 4. --fix-conflicts comments out the winning lines in /etc, in the real file behind any link.
  const fixed = new Map<string, string>();
  if (input.fixConflicts) {
    const sources = [...input.files, input.sysctlConf];
    for (const conflict of conflicts.filter((c) => c.fixable)) {
      const real = conflict.path.split(' -> ').pop()!;
      if (fixed.has(real)) continue;
      const source = sources.find((f) => realOf(f) === real && f.text !== null);
      if (source) fixed.set(real, commentOutKeys(source.text!, new Set(keys), real));
    }
    for (const [path, content] of fixed)
      writes.push({ path, content, why: `comment out ${keys.join(', ')} (backup kept): --fix-conflicts` });
  }

  // 5. The tree as it will be, read the way each applier reads it.
  const textAfter = (f: ConfFile) => fixed.get(realOf(f)) ?? f.text;
  const filesAfter: ConfFile[] = others
    .filter((f) => !writes.some((w) => w.path === f.path && w.content === null))
    .map((f) => ({ ...f, text: textAfter(f) }));
  const ours = writes.find((w) => w.path === file && w.content !== null);
  if (ours && file !== SYSCTL_CONF) filesAfter.push(confFileOf(ours));
  const confAfter: ConfFile = {
    ...input.sysctlConf,
    text: file === SYSCTL_CONF ? ours!.content : textAfter(input.sysctlConf),
  };
  if (file === SYSCTL_CONF)
    for (const f of filesAfter) if (f.realPath === SYSCTL_CONF) f.text = confAfter.text;
  const systemd = resolveKeys(effectiveFiles(filesAfter, 'systemd-sysctl'), keys, 'systemd-sysctl');
  const procps = resolveKeys(
    effectiveFiles(filesAfter, 'sysctl --system', confAfter),
    keys,
    'sysctl --system',
  );
  const atBoot = keys.map((key, i) => ({
    key,
    wanted: input.values[key]!,
    systemd: bootValue(systemd[i]!),
    procps: bootValue(procps[i]!),
  }));
  const warnings: string[] = [];
  for (const row of atBoot) {
    if (row.systemd.value !== row.wanted) {
      warnings.push(
        `${row.key}: systemd-sysctl would set ${row.systemd.value} from ${row.systemd.from} at boot, not ${row.wanted}${input.fixConflicts ? '' : ' (see conflicts; --fix-conflicts)'}`,
      );
    } else if (row.procps.value !== row.wanted) {
      warnings.push(
        `${row.key}: \`sysctl --system\` would end with ${row.procps.value} from ${row.procps.from}${input.fixConflicts ? '' : ' (see conflicts; --fix-conflicts)'}`,
      );
    }
  }

  // 6. Keys of a module do not exist when systemd-sysctl runs early at boot.
  const bootOrder: string[] = [];
  if (input.conntrackBuiltIn === true) {
    bootOrder.push(
      'nf_conntrack is built into this kernel: its keys exist when systemd-sysctl runs at boot; nothing else is needed.',
    );
  } else if (input.conntrackBuiltIn === false) {
    bootOrder.push(
      'nf_conntrack is a module: its keys do not exist when systemd-sysctl runs early at boot, so ctdoctor loads it from modules-load.d and re-applies the keys from a udev rule whenever it loads.',
    );
    writes.push({
      path: '/etc/modules-load.d/ctdoctor.conf',
      content: `${CTDOCTOR_MARK}: load conntrack early so its sysctls apply at boot.\nnf_conntrack\n`,
      why: 'load nf_conntrack before systemd-sysctl',
    });
    writes.push({
      path: '/etc/udev/rules.d/90-ctdoctor-conntrack.rules',
      content: `${CTDOCTOR_MARK}: re-apply net.netfilter sysctls whenever the module loads.\nACTION=="add", SUBSYSTEM=="module", KERNEL=="nf_conntrack", RUN+="/lib/systemd/systemd-sysctl --prefix=/net/netfilter"\n`,
      why: 're-apply the keys when the module loads (the sysctl.d(5) pattern)',
    });
    if (input.hashsize) {
      writes.push({
        path: '/etc/modprobe.d/ctdoctor.conf',
        content: `${CTDOCTOR_MARK}: hash buckets from module load (the default max is then 8 × this until sysctl sets it).\noptions nf_conntrack hashsize=${input.hashsize}\n`,
        why: 'buckets right from load time',
      });
    }
  } else
    bootOrder.push(
      'could not tell whether nf_conntrack is built in or a module (no /sys/module/nf_conntrack)',
    );
  return { schema: 'ctdoctor.persist-plan/v1', file, writes, conflicts, atBoot, bootOrder, warnings };
}

function confFileOf(write: FileWrite): ConfFile {
  const name = write.path.split('/').pop()!;
  return { dir: write.path.slice(0, -name.length - 1), name, path: write.path, text: write.content };
}
