import type { ApiDeps } from './deps.ts';

/**
 * Answers of catalogue searches kept in the API process, so that a search asked again costs a
 * map lookup instead of a PostgreSQL search (about 25 ms of database CPU with all facets over
 * 200,000 datasets: see "Search figures" in the README).
 *
 * Keyed by the catalogue version (`catalogueVersion().token`, which moves on every dataset,
 * source or organisation write, and on every search vocabulary refresh) and the normalised query: any change to the catalogue makes
 * every older entry unreachable, and the first lookup with a newer version drops them all, so
 * an answer is never older than the version the request was validated against. Bounded in
 * entries, least recently used evicted first (a Map iterates in insertion order; a hit moves
 * its entry to the end). A search being computed is shared: concurrent identical requests wait
 * for one PostgreSQL search instead of starting one each. Size 0 turns the cache off.
 *
 * Hand-written rather than a library: the whole of it is the version rule and the sharing of
 * pending searches, which an LRU package would not do for us.
 */
export class SearchCache<T> {
  private entries = new Map<string, Promise<T>>();
  private version: string | undefined;
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer of `key` at `version`, else `compute()` (stored when it succeeds). */
  async get(version: string, key: string, compute: () => Promise<T>): Promise<T> {
    if (this.maxEntries <= 0) return compute();
    if (version !== this.version) {
      // A request validated against an older version (it started before a write) must not
      // bring the old entries back: only a version different from the current one clears.
      if (this.version !== undefined && this.isOlder(version)) return compute();
      this.entries.clear();
      this.version = version;
    }
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const pending = compute();
    this.entries.set(key, pending);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    pending.catch(() => {
      // A failed search is not an answer: the next request tries again.
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }

  /** Versions seen, newest last, to tell a late request from a new version (a few suffice). */
  private seen: string[] = [];
  private isOlder(version: string): boolean {
    if (!this.seen.includes(this.version!)) this.seen.push(this.version!);
    if (this.seen.length > 16) this.seen.shift();
    return this.seen.includes(version);
  }
}

const caches = new WeakMap<ApiDeps, Map<string, SearchCache<unknown>>>();

/**
 * The search cache `name` of one API instance (its deps), sized by HASAD_SEARCH_CACHE_ENTRIES.
 * Each route family has its own (the /api/v1 search and CKAN's package_search cache different
 * shapes), per API process: several processes each keep theirs.
 */
export function searchCacheOf<T>(deps: ApiDeps, name: string): SearchCache<T> {
  let byName = caches.get(deps);
  if (!byName) caches.set(deps, (byName = new Map()));
  let cache = byName.get(name);
  if (!cache) byName.set(name, (cache = new SearchCache<unknown>(deps.config.HASAD_SEARCH_CACHE_ENTRIES)));
  return cache as SearchCache<T>;
}
