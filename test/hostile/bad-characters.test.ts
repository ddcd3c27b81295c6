import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { catalogue, probeHealth, startHostileServer, type Handler, type HostileServer, HEALTH_MAX_MS } from './support.ts';

/**
 * A DCAT feed with a NUL byte and a lone UTF-16 surrogate in one title (issue 11), harvested by the
 * real services (API, fetcher and loader in this one process, real Redis and PostgreSQL).
 * PostgreSQL refuses both in jsonb; before, the batch holding that record was retried 30 times
 * and none of its records loaded. The record loads with the characters cleaned and a record
 * problem naming the field, the other records load, the run succeeds and the API answers
 * throughout. (`test/faults/refused-values.test.ts` covers a NUL and a surrogate in two titles of
 * one batch, through separate worker processes.)
 */

const VALID = 20;
let server: HostileServer;
let p: TestPipeline;

beforeAll(async () => {
  server = await startHostileServer();
  p = await startTestPipeline(['api', 'fetcher', 'loader'], {
    PORT: '0',
    HOST: '127.0.0.1',
    HASAD_ALLOW_PRIVATE_HOSTS: '0',
    HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    HASAD_HARVEST_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  await p?.close();
  await server?.close();
});

/** Turtle and JSON-LD both write the two characters as `\u` escapes: the form a legacy exporter gives. */
const FEEDS: Array<{ syntax: string; contentType: string; feed: (base: string) => string }> = [
  {
    syntax: 'Turtle',
    contentType: 'text/turtle',
    feed: (base) =>
      '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n' +
      `<${base}/d/bad> a dcat:Dataset ; dct:identifier "bad" ; dct:title "Budget\\u0000 de l'eau \\uD800 2026"@fr .\n` +
      Array.from({ length: VALID }, (_, i) => `<${base}/d/${i}> a dcat:Dataset ; dct:identifier "ok-${i}" ; dct:title "Jeu valide ${i}"@fr .\n`).join(''),
  },
  {
    syntax: 'JSON-LD',
    contentType: 'application/ld+json',
    feed: (base) => {
      const ds = (id: string, title: string) => ({ '@id': `${base}/d/${id}`, '@type': 'http://www.w3.org/ns/dcat#Dataset', 'http://purl.org/dc/terms/identifier': id, 'http://purl.org/dc/terms/title': { '@value': title, '@language': 'fr' } });
      // JSON.stringify writes NUL as \u0000 and the lone surrogate as \ud800.
      return JSON.stringify({ '@graph': [ds('bad', "Budget\u0000 de l'eau \ud800 2026"), ...Array.from({ length: VALID }, (_, i) => ds(`ok-${i}`, `Jeu valide ${i}`))] });
    },
  },
];

describe('a NUL byte and a lone surrogate in one title of a DCAT feed', () => {
  for (const f of FEEDS) {
    it(`${f.syntax}: the record loads cleaned with a problem naming the field, the others load, the run succeeds`, async () => {
      const path = `/bad-characters-${f.syntax.toLowerCase()}`;
      const base = `${server.url}${path}`;
      const handler: Handler = (_req, res) => void res.writeHead(200, { 'content-type': f.contentType }).end(f.feed(base));
      const sourceId = await p.addSource(server.route(path, handler));
      const otherId = await p.addSource(server.route(`${path}-other`, catalogue(`${base}-other`, 10)));

      const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
      let runs;
      let health: Awaited<ReturnType<typeof probe.stop>>;
      try {
        runs = await Promise.all([p.harvest(sourceId), p.harvest(otherId)]);
      } finally {
        health = await probe.stop();
      }
      const [run, other] = runs;
      expect(run.status, run.error ?? '').toBe('succeeded');
      expect(run).toMatchObject({ created: VALID + 1 });
      expect(other).toMatchObject({ status: 'succeeded', created: 10 });
      expect(health.failures).toEqual([]);
      expect(health.maxMs, 'slowest /healthz, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);

      const datasets = await p.datasets(sourceId);
      expect(datasets.size).toBe(VALID + 1);
      for (let i = 0; i < VALID; i++) expect(datasets.get(`ok-${i}`)?.title).toMatchObject({ fr: `Jeu valide ${i}` });
      // NUL removed; the surrogate replaced by U+FFFD or dropped (the mapper may drop it first).
      const title = (datasets.get('bad')?.title as { fr: string }).fr;
      expect(title).toMatch(/^Budget de l'eau \ufffd? ?2026$/);
      expect(title).not.toMatch(/[\u0000\ud800-\udfff]/);

      const problems = await p.rt.db.pool.query('SELECT severity, code, identifier, field FROM run_problems WHERE run_id = $1 AND code = $2', [run.id, 'invalid_characters']);
      // The title, and (Turtle) the record's source text kept beside it: each field named, all on the one record.
      expect(problems.rows).toContainEqual({ severity: 'warning', code: 'invalid_characters', identifier: 'bad', field: 'title.fr' });
      for (const row of problems.rows) expect(row).toMatchObject({ severity: 'warning', identifier: 'bad' });
      // The public API serves the cleaned record.
      const res = await fetch(`${p.rt.apiUrl}/api/v1/datasets?source=${sourceId}&limit=50`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(VALID + 1);
    });
  }
});
