import type { DeliveryOutcome } from './notificationQueue.js';

/**
 * `https://user:pass@host/` as a URL without credentials and a Basic authorization header (what
 * Alertmanager's `basic_auth` sends): fetch refuses a URL that carries credentials.
 */
function withoutCredentials(url: string): { target: string; authorization: string | undefined } {
  const target = new URL(url);
  if (target.username === '' && target.password === '') return { target: url, authorization: undefined };
  const pair = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  target.username = '';
  target.password = '';
  return { target: target.href, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

/**
 * POSTs a JSON body as Alertmanager's webhook notifier does, and classifies the answer the way its
 * Retrier does (`notify/webhook/webhook.go`: "5xx response codes are assumed to be recoverable"):
 * 2xx sent; 5xx, 429, no answer in time or no connection: try again; any other status: failed.
 */
export async function postWebhook(
  url: string,
  body: string,
  options: { timeoutMs: number; userAgent: string },
): Promise<DeliveryOutcome> {
  const { target, authorization } = withoutCredentials(url);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': options.userAgent,
        ...(authorization !== undefined ? { authorization } : {}),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const reason =
      name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs / 1000} s`
        : String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
    return { result: 'retry', reason };
  }
  // Read the answer to its end: an unread body keeps the connection from being reused.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return { result: 'sent' };
  const reason = `HTTP ${response.status}`;
  return response.status >= 500 || response.status === 429
    ? { result: 'retry', reason }
    : { result: 'failed', reason };
}
