import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePage, MEDIA_TYPES } from '@hasad/testkit';
import type { Run } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { catalogue, printTable, probeHealth, startHostileServer, type CaseOutcome, type Handler, type HostileServer, HEALTH_MAX_MS } from './support.ts';

/**
 * Fair fetching (issue 11): a source that sends slowly or never ends cannot hold a fetcher slot.
 * The API, fetcher (2 slots) and loader run in this process against real Redis and PostgreSQL;
 * every hostile source first harvests healthily, then turns hostile and is harvested together
 * with a healthy source it must not starve. Each hostile run fails with its own code after one
 * attempt (no retry as a network error), withdraws nothing, and /healthz answers throughout.
 *
 * Settings, scaled down so that the suite takes seconds: the rate floor's window is 3 s, the slow
 * endless source's own run budget 8 s (limits.runBudgetSeconds; the global one is 60 s, so that a
 * loaded machine still reads the fast sources' pages to their page limits); the defaults (30 s,
 * 5 min) behave the same way, only later.
 */

const outcomes: CaseOutcome[] = [];
let server: HostileServer;
let p: TestPipeline;

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const soapPage = (page: number, more: boolean) =>
  `<soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><GetResponse><more>${more}</more>` +
  `<item><id>s-${page}-a</id><title>Jeu ${page} a</title></item><item><id>s-${page}-b</id><title>Jeu ${page} b</title></item>` +
  `</GetResponse></soap:Body></soap:Envelope>`;
const SOAP_PAGED = { envelope: '<Get xmlns="urn:test"><page>{{page}}</page></Get>', pageSize: 2, paging: { mode: 'hasMore', hasMorePath: 'Body/GetResponse/more' }, recordPath: 'Body/GetResponse/item', fields: { identifier: 'id', 'title.fr': 'title' } };

/** A SOAP service answering `pages` pages, then (once hostile) "more" forever. */
function soapService(hostile: () => boolean): Handler {
  return async (req, res) => {
    let body = '';
    for await (const c of req) body += String(c);
    const page = Number(/<page>(\d+)<\/page>/.exec(body)?.[1] ?? 1);
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(soapPage(page, hostile() || page < 2));
  };
}

/** A paged Turtle catalogue of 2 datasets a page: `pages` pages, or (once hostile) Hydra `next` forever, `delayMs` a page. */
function hydra(prefix: string, pages: number, hostile: () => boolean, delayMs = 0): string {
  return server.route(`${prefix}/catalog`, async (req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    if (delayMs > 0 && hostile()) await new Promise((r) => setTimeout(r, delayMs));
    // Endless: the generator is told there are always more pages than this one.
    const total = hostile() ? (page + 1) * 2 : pages * 2;
    res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle }).end(generatePage({ datasets: total, pageSize: 2, baseUrl: `${server.url}${prefix}` }, page, 'turtle'));
  }) + '?page=1';
}

/** One line of Turtle a second, forever. */
const drip: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/turtle' });
  res.write('@prefix dct: <http://purl.org/dc/terms/> .\n');
  const timer = setInterval(() => res.write('# still here\n'), 1000);
  res.on('close', () => clearInterval(timer));
};

beforeAll(async () => {
  server = await startHostileServer();
  p = await startTestPipeline(['api', 'fetcher', 'loader'], {
    PORT: '0',
    HOST: '127.0.0.1',
    HASAD_ALLOW_PRIVATE_HOSTS: '0',
    HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    HASAD_FETCHER_CONCURRENCY: '2',
    // Attempts to spare: a too_slow or budget failure must still be the first and only one.
    HASAD_HARVEST_ATTEMPTS: '5',
    HASAD_HARVEST_BACKOFF_MS: '200',
    HASAD_FETCH_RATE_WINDOW_MS: '3000',
    HASAD_RUN_BUDGET_MS: '60000',
  });
});
afterAll(async () => {
  printTable('fair fetching: cases and outcomes', outcomes);
  await p?.close();
  await server?.close();
});

/** Active datasets of a source, by identifier. */
const active = async (id: string) => [...(await p.datasets(id)).keys()].sort();

/**
 * Harvests every source at once (hostile ones first, so that they take both fetcher slots) with
 * /healthz probed throughout; returns the final runs in the same order.
 */
async function harvestTogether(ids: string[]): Promise<{ runs: Run[]; seconds: number; health: { answered: number; failures: string[]; maxMs: number } }> {
  const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
  const started = Date.now();
  const queued = [];
  for (const id of ids) queued.push(await triggerHarvest(p.rt.db, p.config, id, 'manual'));
  const runs = await Promise.all(queued.map((r) => waitForRun(p.rt.db, r.id, 120_000)));
  const seconds = (Date.now() - started) / 1000;
  return { runs, seconds, health: await probe.stop() };
}

describe('a slow or endless source cannot hold a fetcher slot', () => {
  it('two slow drips (one line a second) fail too_slow after one attempt, and a healthy source harvested with them succeeds', async () => {
    const healthyOf = (path: string) => catalogue(`${server.url}${path}`, 3);
    const drips = ['/drip-1', '/drip-2'].map((path) => server.phased(path, healthyOf(path), drip));
    const dripIds = await Promise.all(drips.map((d) => p.addSource(d.url)));
    for (const id of dripIds) expect(await p.harvest(id)).toMatchObject({ status: 'succeeded', created: 3 });
    const before = await Promise.all(dripIds.map(active));
    const healthyId = await p.addSource(server.route('/healthy-1', catalogue(`${server.url}/healthy-1`, 4)));
    for (const d of drips) d.flip();

    const { runs, seconds, health } = await harvestTogether([...dripIds, healthyId]);
    for (const run of runs.slice(0, 2)) {
      expect(run, run.error ?? '').toMatchObject({ status: 'failed', errorCode: 'too_slow', attempts: 1, withdrawn: 0 });
      expect(run.error).toMatch(/sent its body at \d+ bytes\/s over 3 s, below the floor of 1024 bytes\/s \(HASAD_FETCH_MIN_BYTES_PER_SECOND/);
    }
    expect(runs[2]).toMatchObject({ status: 'succeeded', created: 4 });
    expect(await Promise.all(dripIds.map(active))).toEqual(before);
    expect(health.failures).toEqual([]);
    expect(health.maxMs).toBeLessThanOrEqual(HEALTH_MAX_MS);
    // Without the floor the drips would hold both slots until the 600 s page deadline, five times over.
    expect(seconds).toBeLessThan(90);
    outcomes.push({ case: '2 slow drips + 1 healthy source, 2 fetcher slots', outcome: `drips failed too_slow (1 attempt), healthy succeeded; /healthz max ${health.maxMs} ms`, error: runs[0]!.error ?? '', rssGrowthMb: 0, seconds });
  });

  it('an endless Hydra next fails page_limit_exceeded at the source’s own page limit, and run_budget_exceeded when pages are slow', async () => {
    let endless = false;
    const limitedUrl = hydra('/endless-fast', 3, () => endless);
    const slowUrl = hydra('/endless-slow', 3, () => endless, 250);
    const limitedId = await p.addSource(limitedUrl, { config: { limits: { maxPages: 20 } } });
    const slowId = await p.addSource(slowUrl, { config: { limits: { runBudgetSeconds: 8 } } });
    for (const id of [limitedId, slowId]) expect(await p.harvest(id)).toMatchObject({ status: 'succeeded', created: 6 });
    const before = await Promise.all([limitedId, slowId].map(active));
    const healthyId = await p.addSource(server.route('/healthy-2', catalogue(`${server.url}/healthy-2`, 2)));
    endless = true;

    const { runs, seconds, health } = await harvestTogether([limitedId, slowId, healthyId]);
    const [limited, slow, healthy] = runs;
    expect(limited, limited?.error ?? '').toMatchObject({ status: 'failed', errorCode: 'page_limit_exceeded', attempts: 1, withdrawn: 0, pagesFetched: 20 });
    expect(limited?.error).toMatch(/more than 20 pages \(maxPages\)/);
    expect(slow, slow?.error ?? '').toMatchObject({ status: 'failed', errorCode: 'run_budget_exceeded', attempts: 1, withdrawn: 0 });
    expect(slow?.error).toMatch(/used up its time budget of 8 s \(HASAD_RUN_BUDGET_MS/);
    expect(healthy).toMatchObject({ status: 'succeeded', created: 2 });
    // The pages read before the limit are loaded (new datasets); nothing is withdrawn.
    for (const [i, id] of [limitedId, slowId].entries()) expect(await active(id)).toEqual(expect.arrayContaining(before[i]!));
    expect(health.failures).toEqual([]);
    outcomes.push({ case: 'endless Hydra next (limits.maxPages 20)', outcome: `failed page_limit_exceeded after ${limited?.pagesFetched} pages, 1 attempt`, error: limited?.error ?? '', rssGrowthMb: 0, seconds });
    outcomes.push({ case: 'endless Hydra next, 250 ms a page', outcome: `failed run_budget_exceeded after ${slow?.pagesFetched} pages, 1 attempt`, error: slow?.error ?? '', rssGrowthMb: 0, seconds });
  });

  it('a SOAP service answering "more" forever fails page_limit_exceeded', async () => {
    let endless = false;
    const url = server.route('/soap-more', soapService(() => endless));
    const id = await p.addSource(url, { kind: 'soap', config: { ...SOAP_PAGED, endpoint: url, limits: { maxPages: 15 } } });
    expect(await p.harvest(id)).toMatchObject({ status: 'succeeded', created: 4 });
    endless = true;
    const started = Date.now();
    const run = await p.harvest(id);
    expect(run, run.error ?? '').toMatchObject({ status: 'failed', errorCode: 'page_limit_exceeded', attempts: 1, withdrawn: 0 });
    // The 15 pages read are loaded; nothing is withdrawn.
    expect(await active(id)).toEqual(expect.arrayContaining(['s-1-a', 's-1-b', 's-2-a', 's-2-b']));
    expect(run.pagesFetched).toBe(15);
    outcomes.push({ case: 'SOAP "more" forever (limits.maxPages 15)', outcome: `failed page_limit_exceeded after ${run.pagesFetched} pages`, error: run.error ?? '', rssGrowthMb: 0, seconds: (Date.now() - started) / 1000 });
  });
});
