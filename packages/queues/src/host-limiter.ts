import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { once } from '@hasad/core';

/** Limits of a {@link RedisHostLimiter}. */
export interface RedisHostLimits {
  maxConcurrent: number;
  perSecond: number;
  /** Lease of one slot, renewed every third of it while the request runs, in ms. Default 30 000. */
  slotTtlMs?: number;
  /** Pauses up to this long are waited out inside `acquire`; longer ones are returned, in ms. Default 5 000. */
  maxInlineWaitMs?: number;
}

/** Same shape as `HostPermit` in `@hasad/sources`. */
export type RedisHostPermit = { ok: true; release: () => void } | { ok: false; retryAfterMs: number };

// Returns {1, 0} when a slot was taken; {0, wait} when full (wait: ms worth waiting before
// asking again); {-1, left} when the host is paused for `left` more ms.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {-1, paused - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return {0, 50} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 1000)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(oldest[2]) + 1000 - now)}
end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
redis.call('PEXPIRE', KEYS[2], 2000)
return {1, 0}
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return 1
`;

interface LimiterCommands {
  hasadHostAcquire(slots: string, starts: string, pause: string, max: number, perSecond: number, token: string, ttl: number): Promise<[number, number]>;
  hasadHostRenew(slots: string, token: string, ttl: number): Promise<number>;
  hasadHostPause(pause: string, ms: number): Promise<number>;
}

function withCommands(redis: Redis | Cluster): (Redis | Cluster) & LimiterCommands {
  const r = redis as (Redis | Cluster) & Partial<LimiterCommands>;
  if (r.hasadHostAcquire === undefined) {
    redis.defineCommand('hasadHostAcquire', { numberOfKeys: 3, lua: ACQUIRE });
    redis.defineCommand('hasadHostRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('hasadHostPause', { numberOfKeys: 1, lua: PAUSE });
  }
  return redis as (Redis | Cluster) & LimiterCommands;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Per-host politeness shared by every fetcher process through Redis: at most `maxConcurrent`
 * requests in flight and `perSecond` started per second to one host, and a pause when the host
 * answered 429/503 with Retry-After. Structurally the `HostLimiter` of `@hasad/sources` (which
 * must not import Redis), so the fetcher hands it to the HTTP client as is.
 *
 * Keys, under the deployment's queue prefix (`<prefix>:host:<host>:…`; with a hash tag in the
 * prefix they share the queues' Redis Cluster slot, and each script's keys are in one slot):
 * - `slots`: sorted set of the requests in flight, scored by when their lease expires. A holder
 *   renews its lease while the request runs; a killed worker's slot lapses after `slotTtlMs`.
 * - `starts`: sorted set of the request starts of the last second (sliding window).
 * - `pause`: the time (ms) before which nobody asks the host anything.
 * Times come from the Redis server's clock, so workers with skewed clocks agree.
 */
export class RedisHostLimiter {
  private readonly redis: (Redis | Cluster) & LimiterCommands;
  private readonly slotTtlMs: number;
  private readonly maxInlineWaitMs: number;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly limits: RedisHostLimits,
  ) {
    this.redis = withCommands(redis);
    this.slotTtlMs = limits.slotTtlMs ?? 30_000;
    this.maxInlineWaitMs = limits.maxInlineWaitMs ?? 5_000;
  }

  private key(host: string, what: 'slots' | 'starts' | 'pause'): string {
    return `${this.prefix}:host:${host}:${what}`;
  }

  /**
   * Waits (polling Redis) for a slot for `host`; see `HostLimiter.acquire` in `@hasad/sources`.
   * The slot's lease is renewed until `release` is called.
   */
  async acquire(host: string, signal?: AbortSignal): Promise<RedisHostPermit> {
    const token = randomBytes(9).toString('base64url');
    const slots = this.key(host, 'slots');
    for (;;) {
      signal?.throwIfAborted();
      const [state, ms] = await this.redis.hasadHostAcquire(slots, this.key(host, 'starts'), this.key(host, 'pause'), this.limits.maxConcurrent, this.limits.perSecond, token, this.slotTtlMs);
      if (state === 1) break;
      if (state === -1 && ms > this.maxInlineWaitMs) return { ok: false, retryAfterMs: ms };
      await sleep(Math.min(Math.max(ms, 10), 1000), signal);
    }
    const renew = setInterval(() => {
      this.redis.hasadHostRenew(slots, token, this.slotTtlMs).catch(() => undefined);
    }, Math.max(100, Math.floor(this.slotTtlMs / 3)));
    renew.unref();
    return {
      ok: true,
      release: once(() => {
        clearInterval(renew);
        this.redis.zrem(slots, token).catch(() => undefined);
      }),
    };
  }

  /** No request to `host` from any worker for the next `ms` milliseconds (Retry-After). */
  async backOff(host: string, ms: number): Promise<void> {
    if (ms <= 0) return;
    await this.redis.hasadHostPause(this.key(host, 'pause'), Math.ceil(ms));
  }
}
