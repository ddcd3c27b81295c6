import { describe, expect, it } from 'vitest';
import { createLocalHostLimiter, hostKey } from './host-limiter.ts';

describe('createLocalHostLimiter', () => {
  it('keys hosts by name and port as in the URL', () => {
    expect(hostKey('https://Data.Gov.MA/catalog')).toBe('data.gov.ma');
    expect(hostKey('http://data.gov.ma:8080/x')).toBe('data.gov.ma:8080');
    expect(hostKey('http://[::1]:80/x')).toBe('[::1]');
  });

  it('queues a request until a slot frees, per host', async () => {
    const l = createLocalHostLimiter({ maxConcurrent: 1, perSecond: 100 });
    const a = await l.acquire('a.example');
    expect((await l.acquire('b.example')).ok).toBe(true); // another host is not held up
    let got = false;
    const next = l.acquire('a.example').then((p) => {
      got = true;
      return p;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe(false);
    if (a.ok) {
      a.release();
      a.release(); // idempotent: must not free a second slot
    }
    expect((await next).ok).toBe(true);
  });

  it('stops waiting when the signal aborts', async () => {
    const l = createLocalHostLimiter({ maxConcurrent: 1, perSecond: 100 });
    await l.acquire('h');
    const ac = new AbortController();
    const waiting = l.acquire('h', ac.signal);
    ac.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });

  it('returns a long Retry-After pause to the caller and waits out a short one', async () => {
    const l = createLocalHostLimiter({ maxConcurrent: 2, perSecond: 100, maxInlineWaitMs: 500 });
    await l.backOff('long', 60_000);
    const held = await l.acquire('long');
    expect(held.ok).toBe(false);
    if (!held.ok) expect(held.retryAfterMs).toBeGreaterThan(59_000);
    await l.backOff('short', 200);
    const started = Date.now();
    expect((await l.acquire('short')).ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});
