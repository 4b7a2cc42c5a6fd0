import ipaddr from 'ipaddr.js';
import { CtdoctorError } from '../core/errors.js';
import type { ListenAddress } from '../daemon/httpServer.js';
import type { AlertLogSink } from '../daemon/serveAlerts.js';
import type { StateOptions } from './stateOptions.js';

/** --relief-cooldown's default: see its bounds in serve.ts. */
export const DEFAULT_RELIEF_COOLDOWN_SECONDS = 600;

/** serve's options as commander parses them (serve.ts), and what serveRun.ts runs with. */
export interface ServeCliOptions extends StateOptions {
  listen: string;
  textfile?: string;
  once?: boolean;
  interval: number;
  maxNetns: number;
  history: number;
  procRoot: string;
  sysRoot: string;
  alertWebhook: string[];
  alertLog: AlertLogSink[];
  alertSyslogServer?: ListenAddress;
  alertWebhookTimeout: number;
  alertQueue: number;
  alertNearlyFull: number;
  alertFull: number;
  alertNearlyFullFor: number;
  alertFullFor: number;
  alertHoldDown: number;
  alertDriftHoldDown: number;
  autoRelief?: boolean;
  reliefBudget?: string;
  reliefCooldown?: number;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  driftTimeoutsInterval: number;
  analyzeInterval: number;
  analyzeMinEntries: number;
  findingSubjects: number;
}

/** "127.0.0.1:9466" or "[::1]:9466": an address literal (no name to resolve) and a port. */
export function parseAddressPort(flag: string, value: string, examples: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || host === undefined || !ipaddr.isValid(host) || port < 0 || port > 65_535) {
    throw new CtdoctorError('usage', `${flag} "${value}" is not ADDRESS:PORT (${examples})`);
  }
  return { host, port };
}

export function parseListen(value: string): ListenAddress {
  return parseAddressPort(
    '--listen',
    value,
    'e.g. 127.0.0.1:9466, [::1]:9466, 0.0.0.0:9466; port 0 picks a free one',
  );
}
