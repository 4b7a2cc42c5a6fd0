import type { CounterFinding, CounterFindingPlace } from './counterFinding.js';
import { DNS_INSERT_RACE, dnsInsertRaceFinding } from './dnsRace.js';
import type { DoctorFinding, DoctorInput, NamespaceReadings, NamespaceRule } from './doctorReadings.js';
import { INVALID_HEAVY, invalidHeavyFinding } from './invalidHeavy.js';
import { describeNamespace } from './namespaceWords.js';

/*
 * The counter findings status also reports, run by doctor on every namespace: the same builders,
 * with doctor's words for the namespace and, for dns-insert-race, the table's udp/53 share.
 */

function placeOf(ns: NamespaceReadings): CounterFindingPlace {
  return {
    inode: ns.inode,
    initial: ns.initial,
    label: describeNamespace(ns),
    name: ns.names[0],
    path: ns.path,
  };
}

function inNamespace(ns: NamespaceReadings, findings: CounterFinding[]): DoctorFinding[] {
  return findings.map((finding) => ({ ...finding, netns: ns.inode }));
}

export const invalidHeavyRule: NamespaceRule = {
  kinds: [INVALID_HEAVY],
  detect: (ns) =>
    inNamespace(
      ns,
      invalidHeavyFinding(
        ns.status?.rates ?? null,
        ns.status?.intervalSeconds ?? 0,
        placeOf(ns),
        ns.invalidLogging ?? { logInvalid: null, tcpBeLiberal: null },
      ),
    ),
};

function detectDnsInsertRace(ns: NamespaceReadings, host: DoctorInput): DoctorFinding[] {
  // No table walked (--fast, or not among the fullest): the share is unknown, not zero; status's
  // words (the rise alone, info) are then all doctor can say too.
  if (!ns.status) return [];
  const readings = {
    rates: ns.status.rates,
    counters: ns.status.counters,
    kernel: host.kernel,
    udp53Share: ns.dnsShare,
    doctorFlag: null,
  };
  return inNamespace(ns, dnsInsertRaceFinding(readings, placeOf(ns)));
}

export const dnsInsertRaceRule: NamespaceRule = { kinds: [DNS_INSERT_RACE], detect: detectDnsInsertRace };
