import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHostLimiter } from './host-limiter.ts';

// Two connections stand in for two fetcher processes sharing one Redis.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `hasad-test-${randomBytes(4).toString('hex')}`;
let a: Redis;
let b: Redis;

beforeAll(() => {
  a = new Redis(url);
  b = new Redis(url);
});
afterAll(async () => {
  const keys = await a.keys(`${prefix}:*`);
  if (keys.length > 0) await a.del(...keys);
  a.disconnect();
  b.disconnect();
});

describe('RedisHostLimiter', () => {
  it('shares the concurrency limit between processes', async () => {
    const la = new RedisHostLimiter(a, prefix, { maxConcurrent: 2, perSecond: 100 });
    const lb = new RedisHostLimiter(b, prefix, { maxConcurrent: 2, perSecond: 100 });
    const host = 'concurrency.example:443';
    const p1 = await la.acquire(host);
    const p2 = await lb.acquire(host);
    expect(p1.ok && p2.ok).toBe(true);
    let third = false;
    const waiting = la.acquire(host).then((p) => {
      third = true;
      return p;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(third).toBe(false);
    if (p2.ok) p2.release();
    const p3 = await waiting;
    expect(p3.ok).toBe(true);
    for (const p of [p1, p3]) if (p.ok) p.release();
  });

  it('shares the per-second rate between processes', async () => {
    const la = new RedisHostLimiter(a, prefix, { maxConcurrent: 100, perSecond: 4 });
    const lb = new RedisHostLimiter(b, prefix, { maxConcurrent: 100, perSecond: 4 });
    const host = 'rate.example';
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const p = await (i % 2 === 0 ? la : lb).acquire(host);
        times.push(Date.now() - started);
        if (p.ok) p.release();
      }),
    );
    times.sort((x, y) => x - y);
    // 4 in the first second, 4 in the second, 2 in the third.
    expect(times[3]).toBeLessThan(900);
    expect(times[4]).toBeGreaterThanOrEqual(900);
    expect(times[8]).toBeGreaterThanOrEqual(1_900);
  });

  it("frees a killed worker's slot when its lease lapses", async () => {
    const doomed = new Redis(url);
    const dying = new RedisHostLimiter(doomed, prefix, { maxConcurrent: 1, perSecond: 100, slotTtlMs: 600 });
    const host = 'lease.example';
    expect((await dying.acquire(host)).ok).toBe(true);
    doomed.disconnect(); // the process dies holding the slot: no release, no renewal
    const survivor = new RedisHostLimiter(a, prefix, { maxConcurrent: 1, perSecond: 100, slotTtlMs: 600 });
    const started = Date.now();
    const p = await survivor.acquire(host);
    expect(p.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(2_000);
    if (p.ok) p.release();
  });

  it('renews the lease of a slot held longer than its TTL', async () => {
    const la = new RedisHostLimiter(a, prefix, { maxConcurrent: 1, perSecond: 100, slotTtlMs: 300 });
    const lb = new RedisHostLimiter(b, prefix, { maxConcurrent: 1, perSecond: 100, slotTtlMs: 300 });
    const host = 'renew.example';
    const held = await la.acquire(host);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('still held')), 1_000);
    await expect(lb.acquire(host, ac.signal)).rejects.toThrow('still held');
    if (held.ok) held.release();
  });

  it('a Retry-After pause applies to every process; short ones are waited out, long ones returned', async () => {
    const la = new RedisHostLimiter(a, prefix, { maxConcurrent: 2, perSecond: 10, maxInlineWaitMs: 1_000 });
    const lb = new RedisHostLimiter(b, prefix, { maxConcurrent: 2, perSecond: 10, maxInlineWaitMs: 1_000 });
    await la.backOff('paused.example', 60_000);
    const held = await lb.acquire('paused.example');
    expect(held.ok).toBe(false);
    if (!held.ok) expect(held.retryAfterMs).toBeGreaterThan(58_000);
    // A shorter pause never shortens a longer one.
    await lb.backOff('paused.example', 10);
    expect((await la.acquire('paused.example')).ok).toBe(false);

    await la.backOff('short.example', 500);
    const started = Date.now();
    const p = await lb.acquire('short.example');
    expect(p.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    if (p.ok) p.release();
  });
});
