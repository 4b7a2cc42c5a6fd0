import { SEVERITY_ORDER } from '../analysis/findings.js';
import type { DoctorFinding, DoctorInput } from '../findings/doctor/doctorReadings.js';
import { HOST_RULES, NAMESPACE_RULES } from '../findings/registry.js';

/** doctor's findings: the registry's namespace rules for each namespace, then its host rules; the worst first. */
export function buildDoctorFindings(input: DoctorInput): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const ns of input.namespaces)
    for (const rule of NAMESPACE_RULES) findings.push(...rule.detect(ns, input));
  for (const rule of HOST_RULES) findings.push(...rule.detect(input));
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
