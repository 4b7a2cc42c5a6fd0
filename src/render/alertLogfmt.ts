/** The fields of one alert notification's log line, in the order they are printed. */
export interface AlertLogFields {
  /** RFC 3339; left out for syslog, which stamps its own time. */
  ts?: string;
  status: string;
  alertname: string;
  severity: string;
  netns: string;
  summary: string;
}

/**
 * logfmt's quoting (as go-logfmt and Prometheus's own logs write it): a value with a space, `=`,
 * a quote or a control character is quoted with JSON escapes; anything else is bare.
 */
function logfmtValue(value: string): string {
  return value === '' || /[\s="\\\p{Cc}]/u.test(value) ? JSON.stringify(value) : value;
}

/** `ts=… status=firing alertname=ConntrackPacketsDropped severity=critical netns=… summary="…"`. */
export function alertLogfmtLine(fields: AlertLogFields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${logfmtValue(value as string)}`)
    .join(' ');
}
