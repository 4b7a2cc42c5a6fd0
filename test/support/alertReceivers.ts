import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { AlertmanagerWebhookPayload } from '../../src/core/alerts/alertmanagerPayload.js';
import { REPO_ROOT } from './paths.js';

/** Alertmanager's webhook body as a JSON schema written from its source (see the file's $comment). */
export const validateAlertmanagerPayload = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'support', 'alertmanager-webhook.v4.schema.json'), 'utf8')),
);

export interface WebhookReceiver {
  url: string;
  /** Every POST body received, parsed, in arrival order (refused ones too). */
  received: AlertmanagerWebhookPayload[];
  /** The status answered to each. */
  answered: number[];
  /** The Authorization header of each ('' when none). */
  authorizations: string[];
  close: () => Promise<void>;
}

/** An Alertmanager-style receiver on 127.0.0.1: answers 500 to the first `failFirst` POSTs, then 200. */
export async function startWebhookReceiver(failFirst = 0): Promise<WebhookReceiver> {
  const received: AlertmanagerWebhookPayload[] = [];
  const answered: number[] = [];
  const authorizations: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      authorizations.push(request.headers.authorization ?? '');
      const status = answered.length < failFirst ? 500 : 200;
      answered.push(status);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    answered,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A UDP syslog server on 127.0.0.1 that keeps every datagram as text. */
export async function startSyslogReceiver(): Promise<{
  port: number;
  messages: string[];
  close: () => void;
}> {
  const socket = createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (message) => messages.push(message.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, messages, close: () => socket.close() };
}
