import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Queues } from './connection.ts';

// A test's queue prefix must leave nothing behind in the shared Redis: every queue's keys and
// any other key under the prefix (dashboard sessions, host limits) go, and no key of another prefix.
describe('Queues.deleteAllKeys', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `hasad-test-${randomBytes(4).toString('hex')}`;
  const other = `${prefix}x`;
  const r = new Redis(url);
  const queues = new Queues({ redisUrl: url, prefix });

  afterAll(async () => {
    await r.del(`${other}:keep`);
    await queues.close();
    r.disconnect();
  });

  it('deletes every key under the prefix and nothing else', async () => {
    for (const q of queues.all()) await q.add('x', {});
    await r.set(`${prefix}:dashboard:session:abc`, '1');
    await r.set(`${other}:keep`, '1');
    const before = await r.keys(`${prefix}:*`);
    expect(before.length).toBeGreaterThan(4);
    expect(await queues.deleteAllKeys()).toBe(before.length);
    expect(await r.keys(`${prefix}:*`)).toEqual([]);
    expect(await r.get(`${other}:keep`)).toBe('1');
  });
});
