import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization, type Run } from '@hasad/db';
import { ckanPackage } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { datasetSnapshot, printTable, probeHealth, startHostileServer, stream, type CaseOutcome, type Handler, type HostileServer, HEALTH_MAX_MS } from './support.ts';

/**
 * CKAN portals past the parsing limits (issue 11). A `package_search` answer used to be read and
 * handed to JSON.parse whole, with no limit on its shape or on the packages a page lists: a portal
 * answering arrays nested thousands deep, a 40 MB description, or far more packages than `rows`
 * asked was parsed and mapped like any page. Now each page passes the JSON shape guard (depth,
 * string length) and the records-per-page limit; past one, the run fails with `limit_exceeded`
 * naming the setting. Through the real services (API, fetcher and loader in this one process, real
 * Redis and PostgreSQL): /healthz answers within 2 s (HEALTH_MAX_MS; issue 11's bar is 1 s) throughout (this machine is shared and
 * loaded), nothing is withdrawn or rewritten, another source harvested at the same time succeeds,
 * and a preview of the portal gives the same error.
 */

const MiB = 1024 * 1024;
/** Lowered for this file so that case (c) stays small; (a) and (b) run under the default depth and token limits. */
const MAX_RECORDS_PER_PAGE = 1000;
const SEARCH = '/api/3/action/package_search';
const outcomes: CaseOutcome[] = [];
let server: HostileServer;

const json = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
const envelope = (count: number, results: string) => `{"help": "package_search", "success": true, "result": {"count": ${count}, "sort": "id asc", "results": ${results}}}`;

/** A healthy portal page: packages `from`..`from + n - 1`, all on one page. */
function portal(from: number, n: number): Handler {
  const packages = Array.from({ length: n }, (_, i) => ckanPackage(from + i));
  const body = envelope(n, JSON.stringify(packages));
  return (_req, res) => void json(res).end(body);
}

interface LimitCase {
  name: string;
  slug: string;
  hostile: Handler;
  error: RegExp;
}

const CASES: LimitCase[] = [
  {
    name: '(a) arrays nested 50,000 deep in a package (100 KB)',
    slug: 'deep',
    hostile: (_req, res) => void json(res).end(envelope(1, `[{"id": "deep", "name": "deep", "title": "Profond", "extras": ${'['.repeat(50_000)}${']'.repeat(50_000)}}]`)),
    error: /^CKAN JSON from \S+ exceeds HASAD_PARSE_MAX_DEPTH \(100\): JSON arrays and objects nested more than 100 deep at line 1, column \d+$/,
  },
  {
    name: '(b) a 40 MB description (one JSON string)',
    slug: 'long-string',
    hostile: (_req, res) => stream(json(res), Buffer.alloc(64 * 1024, 'a'), 40 * MiB, { head: '{"help": "package_search", "success": true, "result": {"count": 1, "results": [{"id": "long", "name": "long", "title": "Long", "notes": "', foot: '"}]}}' }),
    error: /^CKAN JSON from \S+ exceeds HASAD_PARSE_MAX_TOKEN_BYTES \(16777216\): a JSON string longer than 16777216 characters at line 1, column \d+$/,
  },
  {
    name: `(c) ${MAX_RECORDS_PER_PAGE + 500} packages on one page (more than the records-per-page limit)`,
    slug: 'many',
    hostile: portal(50_000, MAX_RECORDS_PER_PAGE + 500),
    error: new RegExp(`^page 1 from \\S+ exceeds HASAD_PARSE_MAX_RECORDS_PER_PAGE \\(${MAX_RECORDS_PER_PAGE}\\): it lists more than ${MAX_RECORDS_PER_PAGE} records \\(${MAX_RECORDS_PER_PAGE + 500}\\)$`),
  },
];

beforeAll(async () => {
  server = await startHostileServer();
});

afterAll(async () => {
  printTable('CKAN pages past the parsing limits: every case, and what the user sees', outcomes);
  await server?.close();
});

describe('CKAN portals past the parsing limits fail their page alone', () => {
  let p: TestPipeline;
  let token: string;
  let others = 0;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], {
      PORT: '0',
      HOST: '127.0.0.1',
      HASAD_ALLOW_PRIVATE_HOSTS: '0',
      HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
      HASAD_HARVEST_ATTEMPTS: '1',
      HASAD_PARSE_MAX_RECORDS_PER_PAGE: String(MAX_RECORDS_PER_PAGE),
    });
    const org = await createOrganization(p.rt.db, { slug: 'apercu-ckan', name: 'Aperçu' });
    token = (await createApiToken(p.rt.db, { role: 'organization', organizationId: org.id })).token;
  });
  afterAll(async () => {
    await p?.close();
  });

  /** A new healthy CKAN portal of 10 packages, harvested at the same time as the hostile one. */
  async function otherPortal(): Promise<string> {
    const n = ++others;
    server.route(`/other-${n}${SEARCH}`, portal(10_000 * n, 10));
    return p.addSource(`${server.url}/other-${n}`, { kind: 'ckan' });
  }

  for (const [i, c] of CASES.entries()) {
    it(`harvest: ${c.name}`, async () => {
      const route = server.phased(`/${c.slug}${SEARCH}`, portal(100 * (i + 1), 5), c.hostile);
      const sourceId = await p.addSource(`${server.url}/${c.slug}`, { kind: 'ckan' });
      expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 5 });
      route.flip();
      const otherId = await otherPortal();
      const before = await datasetSnapshot(p.rt.db.pool);

      const started = Date.now();
      const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
      let runs: [Run, Run];
      let health: Awaited<ReturnType<typeof probe.stop>>;
      try {
        runs = await Promise.all([p.harvest(sourceId, 300_000), p.harvest(otherId, 300_000)]);
      } finally {
        health = await probe.stop();
      }
      const [run, other] = runs;
      outcomes.push({ case: `harvest: ${c.name}`, outcome: `run ${run.status} (${run.errorCode ?? '-'}); other source ${other.status}; healthz ≤ ${health.maxMs} ms`, error: run.error ?? '', rssGrowthMb: 0, seconds: (Date.now() - started) / 1000 });

      expect(run.status, run.error ?? '').toBe('failed');
      expect(run.errorCode).toBe('limit_exceeded');
      expect(run.error).toMatch(c.error);
      expect(run.error).toContain(`${server.url}/${c.slug}${SEARCH}?`);
      // The other source of the same workload was harvested meanwhile.
      expect(other).toMatchObject({ status: 'succeeded', created: 10 });
      // The API answered all along, quickly.
      expect(health.failures, 'GET /healthz during the hostile harvest').toEqual([]);
      expect(health.answered).toBeGreaterThan(0);
      expect(health.maxMs, 'slowest /healthz, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);
      // Nothing withdrawn, nothing added or rewritten, except the other portal's 10 new datasets.
      const after = await datasetSnapshot(p.rt.db.pool);
      expect(after.filter((r) => r.source_id !== otherId)).toEqual(before);
      expect(after.filter((r) => r.source_id === sourceId).map((r) => r.status)).toEqual(Array(5).fill('active'));
      // The fetcher is still up and harvesting.
      expect(await p.harvest(otherId)).toMatchObject({ status: 'unchanged', seen: 10 });
    }, 400_000);
  }

  for (const c of CASES) {
    it(`preview: ${c.name}`, async () => {
      server.route(`/preview-${c.slug}${SEARCH}`, c.hostile);
      const started = Date.now();
      const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
      let res: Response;
      let body: { error?: { code: string; message: string } };
      let health: Awaited<ReturnType<typeof probe.stop>>;
      try {
        res = await fetch(`${p.rt.apiUrl}/api/v1/preview`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'ckan', url: `${server.url}/preview-${c.slug}` }),
        });
        body = (await res.json()) as typeof body;
      } finally {
        health = await probe.stop();
      }
      outcomes.push({ case: `preview: ${c.name}`, outcome: `HTTP ${res.status} (${body.error?.code ?? '-'}); healthz ≤ ${health.maxMs} ms`, error: body.error?.message ?? '', rssGrowthMb: 0, seconds: (Date.now() - started) / 1000 });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(body.error?.code).toBe('limit_exceeded');
      expect(body.error?.message).toMatch(c.error);
      expect(health.failures).toEqual([]);
      expect(health.maxMs, 'slowest /healthz, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);
    }, 400_000);
  }
});
