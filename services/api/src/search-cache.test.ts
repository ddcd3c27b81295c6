import { describe, expect, it } from 'vitest';
import { SearchCache } from './search-cache.ts';

/** A search that counts its runs and answers `${key}@${version}#${run}`. */
function counter() {
  let runs = 0;
  return { search: (key: string, version: string) => async () => `${key}@${version}#${++runs}`, runs: () => runs };
}

describe('SearchCache', () => {
  it('answers a repeated query from memory until the catalogue version moves', async () => {
    const cache = new SearchCache<string>(10);
    const c = counter();
    expect(await cache.get('v1', 'eau', c.search('eau', 'v1'))).toBe('eau@v1#1');
    expect(await cache.get('v1', 'eau', c.search('eau', 'v1'))).toBe('eau@v1#1');
    expect(await cache.get('v2', 'eau', c.search('eau', 'v2'))).toBe('eau@v2#2');
    expect(cache.size).toBe(1);
    // A request validated against the older version (it began before the write) is answered
    // but neither served from nor stored in the cache, and does not bring v1 back.
    expect(await cache.get('v1', 'eau', c.search('eau', 'v1'))).toBe('eau@v1#3');
    expect(await cache.get('v2', 'eau', c.search('eau', 'v2'))).toBe('eau@v2#2');
    expect(c.runs()).toBe(3);
  });

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const cache = new SearchCache<string>(2);
    const c = counter();
    await cache.get('v', 'a', c.search('a', 'v'));
    await cache.get('v', 'b', c.search('b', 'v'));
    await cache.get('v', 'a', c.search('a', 'v')); // a is now the most recent
    await cache.get('v', 'c', c.search('c', 'v')); // evicts b
    expect(cache.size).toBe(2);
    expect(await cache.get('v', 'a', c.search('a', 'v'))).toBe('a@v#1');
    expect(await cache.get('v', 'b', c.search('b', 'v'))).toBe('b@v#4');
  });

  it('runs one search for concurrent identical requests, and forgets a failed one', async () => {
    const cache = new SearchCache<string>(10);
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = async () => {
      runs++;
      await gate;
      return 'answer';
    };
    const all = Promise.all(Array.from({ length: 5 }, () => cache.get('v', 'q', slow)));
    release();
    expect(await all).toEqual(Array(5).fill('answer'));
    expect(runs).toBe(1);

    const failing = async () => {
      throw new Error('database went away');
    };
    await expect(cache.get('v', 'bad', failing)).rejects.toThrow('database went away');
    expect(await cache.get('v', 'bad', async () => 'recovered')).toBe('recovered');
  });

  it('is off with size 0', async () => {
    const cache = new SearchCache<string>(0);
    const c = counter();
    await cache.get('v', 'a', c.search('a', 'v'));
    await cache.get('v', 'a', c.search('a', 'v'));
    expect(c.runs()).toBe(2);
    expect(cache.size).toBe(0);
  });
});
