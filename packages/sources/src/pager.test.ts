import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, PagingError, SourceLimitError } from '@hasad/core';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import type { Handler, Loopback } from '@hasad/sources/testing';
import { getAdapter, harvestWithConfig } from './adapters/index.ts';
import type { HarvestEvent, PageEvent } from './types.ts';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PREFIXES = `@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
`;

/** Hydra pages `/feed?page=N`; `body(n)` replaces page n's body when it returns a string. */
function feed(opts: { pages: number; body?: (n: number) => string | undefined; delayMs?: number }): Handler {
  return async (req, res, base) => {
    const n = Number(/page=(\d+)/.exec(req.url ?? '')?.[1] ?? 1);
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const own = opts.body?.(n);
    const next = n < opts.pages ? ` ; hydra:next <${base}/feed?page=${n + 1}>` : '';
    res.writeHead(200, { 'content-type': 'text/turtle' });
    res.end(own ?? `${PREFIXES}<${base}/feed?page=${n}> a hydra:PartialCollectionView${next} .\n<https://x.ma/d/${n}> a dcat:Dataset ; dct:identifier "d${n}" ; dct:title "Jeu ${n}"@fr .\n`);
  };
}

async function run(kind: string, url: string, config: unknown, more: { maxPages?: number; runBudgetMs?: number } = {}): Promise<{ events: HarvestEvent[]; error: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(getAdapter(kind), { url, config, http: loopbackHttp, ...more })) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}
const pages = (events: HarvestEvent[]) => events.filter((e): e is PageEvent => e.type === 'page');

describe('source limits in the pager', () => {
  it('an endless listing fails with page_limit_exceeded at the source’s own limit, lower than the global one', async () => {
    server = await startLoopback(feed({ pages: 1_000_000 }));
    const { events, error } = await run('dcat', `${server.base}/feed?page=1`, { limits: { maxPages: 3 } }, { maxPages: 10 });
    expect(error).toBeInstanceOf(PagingError);
    expect((error as PagingError).code).toBe('page_limit_exceeded');
    expect((error as PagingError).permanent).toBe(true);
    expect((error as Error).message).toMatch(/more than 3 pages \(maxPages\).*HASAD_MAX_PAGES, or the source's limits.maxPages/);
    expect(pages(events).map((p) => p.pageNo)).toEqual([1, 2, 3]);
  });

  it('a source cannot raise the page limit above the global one', async () => {
    server = await startLoopback(feed({ pages: 1_000_000 }));
    const { events, error } = await run('dcat', `${server.base}/feed?page=1`, { limits: { maxPages: 500 } }, { maxPages: 2 });
    expect((error as PagingError).code).toBe('page_limit_exceeded');
    expect(pages(events)).toHaveLength(2);
  });

  it('an endless listing fails with run_budget_exceeded once the run used its time budget', async () => {
    server = await startLoopback(feed({ pages: 1_000_000, delayMs: 100 }));
    const started = Date.now();
    const { events, error } = await run('dcat', `${server.base}/feed?page=1`, { limits: { runBudgetSeconds: 1 } }, { runBudgetMs: 60_000 });
    expect(error).toBeInstanceOf(SourceLimitError);
    expect((error as SourceLimitError).code).toBe('run_budget_exceeded');
    expect((error as Error).message).toMatch(/time budget of 1 s \(HASAD_RUN_BUDGET_MS, or the source's limits.runBudgetSeconds/);
    expect(pages(events).length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('the run budget counts only the time the harvest works, not the time its consumer takes', async () => {
    server = await startLoopback(feed({ pages: 4 }));
    const events: HarvestEvent[] = [];
    for await (const ev of harvestWithConfig(getAdapter('dcat'), { url: `${server.base}/feed?page=1`, config: {}, http: loopbackHttp, runBudgetMs: 1_500 })) {
      events.push(ev);
      // A consumer slower than the whole budget, at every event.
      await new Promise((r) => setTimeout(r, 600));
    }
    expect(pages(events)).toHaveLength(4);
  });

  it('a page answering no dataset in a paged listing is flagged empty_page and makes the listing partial', async () => {
    for (const empty of ['', '{}', PREFIXES, `${PREFIXES}<https://x.ma/a> dct:title "pas un jeu" .`]) {
      server = await startLoopback(feed({ pages: 3, body: (n) => (n === 2 ? empty : undefined) }));
      const { events, error } = await run('dcat', `${server.base}/feed?page=1`, {});
      expect(error).toBeUndefined();
      const [p1, p2] = pages(events);
      expect(p1?.listing).toBeUndefined();
      expect(p2?.listing).toBe('partial');
      expect(p2?.problems?.find((p) => p.code === 'empty_page')?.message).toMatch(/^page 2 \(.*feed\?page=2\) gave no dataset/);
      await server.close();
      server = undefined;
    }
  });

  it('a one-page feed answering nothing is not an empty page (finalise sends an emptied feed to review)', async () => {
    server = await startLoopback(feed({ pages: 1, body: () => PREFIXES }));
    const { events } = await run('dcat', `${server.base}/feed?page=1`, {});
    expect(pages(events)[0]?.listing).toBeUndefined();
    expect(pages(events)[0]?.problems?.map((p) => p.code)).not.toContain('empty_page');
  });

  it('checks limits with the kind’s config, naming every bad key', () => {
    expect(() => getAdapter('dcat').parseConfig({ limits: { maxPages: 0, runBudget: 5 }, format: 'csv' })).toThrow(ConfigError);
    expect(() => getAdapter('dcat').parseConfig({ limits: { maxPages: 0, runBudget: 5 }, format: 'csv' })).toThrow(
      /invalid dcat source config: .*limits.maxPages: .*unknown key\(s\): limits.runBudget.*format/,
    );
    expect(getAdapter('csv').parseConfig({ limits: { minBytesPerSecond: 0 } })).toMatchObject({ limits: { minBytesPerSecond: 0 } });
  });
});
