import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fetchSettings, HasadError, type HasadConfig } from '@hasad/core';
import { fetchPage, vetUrl } from '@hasad/sources';
import type { HttpOptions } from '@hasad/sources';

/** Headers of a webhook delivery. */
export const WEBHOOK_HEADERS = {
  /** `sha256=` and the hex HMAC-SHA256, keyed with the webhook's secret, of `<timestamp>.<body>`. */
  signature: 'x-hasad-signature',
  /** Unix seconds when the delivery was signed; part of what is signed, so an old delivery cannot be replayed as new. */
  timestamp: 'x-hasad-timestamp',
  /** The event's kind (`failure_streak`, `needs_review`, `recovered`). */
  event: 'x-hasad-event',
  /** The event's id, the same on every retry. */
  delivery: 'x-hasad-delivery',
} as const;

/** The signature header's value for `body` sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature over the raw body and compare in constant time,
 * and refuse a timestamp older (or newer) than `toleranceSeconds`.
 */
export function verifyWebhook(secret: string, headers: { signature?: string; timestamp?: string }, body: string, opts: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * POSTs a signed event with the project's HTTP client: the same address rules as feeds (a
 * webhook pointing at loopback, a private network or a metadata address is refused unless
 * HASAD_ALLOW_PRIVATE_HOSTS or HASAD_ALLOW_HOSTS allow it, checked again at connect time), no
 * redirects, short timeouts and a small answer cap. A 2xx is success; anything else throws the
 * client's errors (FetchStatusError: 4xx permanent, 5xx and 429 transient; FetchRefusedError
 * permanent; FetchNetworkError transient).
 */
export async function postWebhook(
  url: string,
  event: { id: string; kind: string },
  body: string,
  opts: { secret: string | undefined; http: HttpOptions; now?: number },
): Promise<{ status: number }> {
  const timestamp = Math.floor((opts.now ?? Date.now()) / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.event]: event.kind,
    [WEBHOOK_HEADERS.delivery]: event.id,
  };
  if (opts.secret) headers[WEBHOOK_HEADERS.signature] = signWebhook(opts.secret, timestamp, body);
  const res = await fetchPage({
    url,
    method: 'POST',
    body,
    headers,
    accept: 'application/json, */*;q=0.5',
    http: {
      ...opts.http,
      // A receiver answers a notification at once: these bounds are tighter than a feed's.
      maxRedirects: 0,
      connectTimeoutMs: Math.min(opts.http.connectTimeoutMs ?? 10_000, 10_000),
      headersTimeoutMs: 15_000,
      bodyTimeoutMs: 15_000,
      deadlineMs: 30_000,
      maxBytes: 64 * 1024,
    },
  });
  try {
    // Read and dropped: the status is the answer, and the connection goes back to the pool.
    for await (const _chunk of res.body) void _chunk;
  } catch {
    // A receiver's oversized or broken answer body does not undo a 2xx.
  }
  return { status: res.status };
}

/** A new webhook secret: 256 random bits, prefixed so that one found in a log is recognised. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Why a webhook URL cannot be used; `refused` when the address rules forbid it. */
export class WebhookUrlError extends HasadError {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(refused ? 'webhook_refused' : 'invalid_parameter', message, { permanent: true });
  }
}

/**
 * Checks a webhook URL when it is set: http(s), and allowed by the same address rules as a feed
 * (it is checked again at every delivery, so a name re-pointed at a private address later is
 * still refused then). Nothing is connected to.
 * @returns the URL, normalised.
 * @throws WebhookUrlError naming what is wrong.
 */
export async function checkWebhookUrl(raw: string, config: HasadConfig): Promise<string> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WebhookUrlError(`"${raw}" is not an absolute URL`, false);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WebhookUrlError(`only http and https webhooks are called, not ${u.protocol}`, false);
  try {
    const s = fetchSettings(config);
    await vetUrl(u.href, { allowPrivateHosts: s.allowPrivateHosts, allowHosts: s.allowHosts });
  } catch (err) {
    throw new WebhookUrlError(err instanceof Error ? err.message : String(err), true);
  }
  return u.href;
}
