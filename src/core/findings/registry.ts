import type { HostRule, NamespaceRule } from './doctor/doctorReadings.js';
import { bucketsFewRule } from './doctor/bucketsFew.js';
import { dnsInsertRaceRule, invalidHeavyRule } from './doctor/counterRules.js';
import { idleEstablishedRule } from './doctor/idleEstablished.js';
import { memoryAtMaxRule } from './doctor/memoryAtMax.js';
import { notRootRule } from './doctor/notRoot.js';
import { numaRule } from './doctor/numa.js';
import { overriddenSettingRule } from './doctor/overriddenSetting.js';
import { persistDriftRule } from './doctor/persistDrift.js';
import { settingOwnerRule } from './doctor/settingOwner.js';
import { tableFullRule } from './doctor/tableFull.js';
import { tablePatternsRule } from './doctor/tablePatterns.js';
import { tableWasFullRule } from './doctor/tableWasFull.js';
import { unreadableNamespaceRule } from './doctor/unreadableNamespace.js';
import { unusedHelperRule } from './doctor/unusedHelper.js';
import { zonesRule } from './doctor/zones.js';
import type { FindingKind } from './findingKind.js';
import { deadUpstreamRule } from './table/deadUpstream.js';
import { establishedLeakRule } from './table/establishedLeak.js';
import { natHeavyRule } from './table/natHeavy.js';
import { portScanRule } from './table/portScan.js';
import { staleNatRule } from './table/staleNat.js';
import type { TableRule } from './table/tableReadings.js';
import { timeWaitPileRule } from './table/timeWaitPile.js';
import { udpFloodRule } from './table/udpFlood.js';
import { udpReflectionRule } from './table/udpReflection.js';
import { unknownProtocolRule } from './table/unknownProtocol.js';
import { unrepliedHeavyRule } from './table/unrepliedHeavy.js';

/*
 * Every finding ctdoctor reports, rule by rule. The order is the order findings of one severity are
 * listed in (the runners sort by severity, stably). A new rule: a file beside the others exporting
 * its kinds and thresholds, a test in test/unit/findings/, a line here, then `npm run docs:findings`.
 */

/** analyze's table patterns (doctor shows them per namespace through tablePatternsRule). */
export const TABLE_RULES: readonly TableRule[] = [
  portScanRule,
  udpFloodRule,
  udpReflectionRule,
  deadUpstreamRule,
  staleNatRule,
  timeWaitPileRule,
  establishedLeakRule,
  unrepliedHeavyRule, // after the scan, flood, dead-upstream and stale-nat rules: it steps back when they explain the entries
  unknownProtocolRule,
  natHeavyRule,
];

/** doctor's rules for each network namespace, run namespace by namespace. */
export const NAMESPACE_RULES: readonly NamespaceRule[] = [
  tableFullRule,
  tableWasFullRule,
  invalidHeavyRule,
  dnsInsertRaceRule,
  tablePatternsRule,
  idleEstablishedRule,
  zonesRule,
  unreadableNamespaceRule,
];

/** doctor's rules for the host, after every namespace's. */
export const HOST_RULES: readonly HostRule[] = [
  persistDriftRule,
  overriddenSettingRule,
  bucketsFewRule,
  memoryAtMaxRule,
  unusedHelperRule,
  numaRule,
  settingOwnerRule,
  notRootRule,
];

/** Every finding kind, doctor's first, as docs/findings.md lists them. */
export const FINDING_KINDS: readonly FindingKind[] = [
  ...NAMESPACE_RULES,
  ...HOST_RULES,
  ...TABLE_RULES,
].flatMap((rule) => rule.kinds);
