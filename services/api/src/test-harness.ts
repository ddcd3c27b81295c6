import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createLogger, loadConfig, type HasadConfig, type Logger, type ProblemSeverity } from '@hasad/core';
import { createDb, recordProblems, type DbHandle } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { buildApp } from './app.ts';
import type { ApiDeps } from './deps.ts';

export interface ApiHarness {
  app: FastifyInstance;
  deps: ApiDeps;
  /** The API's database handle (`deps.db`), for repositories. */
  db: DbHandle;
  /** Its pool, for the tests' own SQL. */
  pool: DbHandle['pool'];
  config: HasadConfig;
  close(): Promise<void>;
}

/**
 * A real PostgreSQL database (fresh, migrated) and real Redis under a queue prefix of its
 * own, with the API built on them. `close()` removes both. `env` overrides settings; `log`
 * replaces the (silent) logger, e.g. with one writing to a stream the test reads.
 * `adminDatabaseUrl`: the server to make the database on (default DATABASE_URL), e.g. a private cluster.
 */
export async function startApiHarness(opts: { env?: Record<string, string>; log?: Logger; adminDatabaseUrl?: string } = {}): Promise<ApiHarness> {
  const database = await createTestDatabase(opts.adminDatabaseUrl);
  const prefix = `hasad-test-api-${randomBytes(4).toString('hex')}`;
  // Tests send many requests from one address: rate limits only where a test sets them.
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'silent',
    HASAD_RATE_LIMIT_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    ...opts.env,
    DATABASE_URL: database.url,
    HASAD_QUEUE_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const log = opts.log ?? createLogger('api-test', config.LOG_LEVEL);
  const handle = createDb(config.DATABASE_URL, { max: 4, applicationName: 'hasad-api-test' });
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix });
  const deps: ApiDeps = { db: handle, queues, config, log };
  const app = await buildApp(deps);
  return {
    app,
    deps,
    db: handle,
    pool: handle.pool,
    config,
    async close() {
      await app.close();
      await Promise.allSettled(queues.all().map((q) => q.obliterate({ force: true })));
      await queues.deleteAllKeys().catch(() => 0);
      await queues.close();
      await handle.close();
      await database.drop();
    },
  };
}

export interface Seeded {
  org: { hcp: string; onee: string; empty: string };
  source: { hcp: string; onee: string };
  run: { hcpOld: string; hcpLatest: string; oneeFailed: string };
  dataset: { air: string; emploi: string; recensement: string; electricite: string };
  /** The electricity dataset's URI at its source (longer than 100 characters). */
  electriciteUri: string;
}

const T0 = Date.parse('2025-03-01T08:00:00Z');
/** Fixed instants, `minutes` after T0, so orderings are deterministic. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/**
 * A small catalogue: two institutions with one source each (plus one with nothing yet),
 * three runs, four datasets (one withdrawn), five problems on the latest HCP run and a
 * few filler datasets for paging. Plain SQL with fixed timestamps, as the loader would have left
 * it; the problems through `recordProblems`.
 */
export async function seedCatalogue(h: DbHandle, fillers = 5): Promise<Seeded> {
  const one = async (text: string, values: unknown[]): Promise<string> => (await h.pool.query<{ id: string }>(`${text} RETURNING id`, values)).rows[0]!.id;

  const org = {
    hcp: await one(`INSERT INTO organizations (slug, name) VALUES ($1, $2)`, ['hcp', 'Haut-Commissariat au Plan']),
    onee: await one(`INSERT INTO organizations (slug, name) VALUES ($1, $2)`, ['onee', "Office National de l'Électricité et de l'Eau Potable"]),
    empty: await one(`INSERT INTO organizations (slug, name) VALUES ($1, $2)`, ['nouvelle-agence', 'Nouvelle agence']),
  };
  const source = {
    hcp: await one(
      `INSERT INTO sources (organization_id, kind, url, title, config, schedule, timezone, created_at) VALUES ($1, 'dcat', $2, $3, $4, '0 3 * * *', 'Africa/Casablanca', $5)`,
      [org.hcp, 'https://harvester:s3cr3t-pass@data.hcp.ma/catalog.ttl', 'Catalogue du HCP', JSON.stringify({ headers: { authorization: 'Bearer top-secret-token' } }), at(0)],
    ),
    onee: await one(`INSERT INTO sources (organization_id, kind, url, title, schedule, enabled, created_at) VALUES ($1, 'ckan', $2, NULL, NULL, false, $3)`, [
      org.onee,
      'https://open.onee.ma/api/3/action/package_search',
      at(1),
    ]),
  };

  const runCols = `source_id, status, trigger, seen, created, updated, unchanged, withdrawn, invalid, pending_withdrawals, error_code, error,
    pages_total, pages_fetched, pages_not_modified, bytes, details, created_at, started_at, finished_at, heartbeat_at, fetch_done`;
  const run = {
    hcpOld: await one(`INSERT INTO runs (${runCols}) VALUES ($1, 'succeeded', 'schedule', 4, 4, 0, 0, 0, 0, NULL, NULL, NULL, 2, 2, 0, 20480, '{}', $2, $2, $3, $3, true)`, [
      source.hcp,
      at(10),
      at(12),
    ]),
    hcpLatest: await one(
      `INSERT INTO runs (${runCols}) VALUES ($1, 'needs_review', 'manual', 10, 1, 2, 5, 0, 2, 7, NULL, NULL, 3, 3, 1, 51200, $2, $3, $4, $5, $5, true)`,
      [source.hcp, JSON.stringify({ review: { reason: 'threshold', message: '7 of 20 active datasets (35.0 %) would be withdrawn, above the 20 % threshold' } }), at(100), at(100), at(101.5)],
    ),
    oneeFailed: await one(
      `INSERT INTO runs (${runCols}) VALUES ($1, 'failed', 'schedule', 0, 0, 0, 0, 0, 0, NULL, 'fetch_status', $2, NULL, 0, 0, 0, '{}', $3, $3, $4, $4, true)`,
      [source.onee, 'GET https://open.onee.ma/api/3/action/package_search answered HTTP 503', at(50), at(50.25)],
    ),
  };

  const problems: Array<[ProblemSeverity, string, string, string | null, string | null, number]> = [
    ['error', 'missing_title', 'dataset has no dct:title', 'hcp-ds-101', 'title', 1],
    ['warning', 'unknown_license', 'licence "CC-BY-ish" is not a known URI; dropped', 'hcp-ds-102', 'license', 1],
    ['warning', 'bad_date', 'dct:issued "2023-13-40" is not a date; dropped', 'hcp-ds-103', 'issued', 2],
    ['error', 'missing_identifier', 'dataset has neither dct:identifier nor a URI', null, 'identifier', 2],
    ['warning', 'unknown_theme', 'theme "Économie" is not a URI; kept as a label', 'hcp-ds-105', 'themes', 3],
  ];
  // Batch 0 of each page, one call a page: a call replaces that batch's problems.
  for (const pageNo of new Set(problems.map((p) => p[5]))) {
    const onPage = problems
      .filter((p) => p[5] === pageNo)
      .map(([severity, code, message, identifier, field]) => ({ severity, code, message, ...(identifier !== null && { identifier }), ...(field !== null && { field }) }));
    await recordProblems(h, run.hcpLatest, pageNo, 0, onPage);
  }

  const dataset = async (
    src: string,
    orgId: string,
    record: Record<string, unknown> & { identifier: string; title: Record<string, string> },
    opts: { status?: string; updatedAt: string; withdrawnAt?: string },
  ) =>
    one(
      `INSERT INTO datasets (source_id, organization_id, source_identifier, uri, title, record, content_hash, status, created_run, changed_run, withdrawn_run, created_at, updated_at, withdrawn_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, md5($6::text), $7, $8, $8, $9, $10, $10, $11)`,
      [
        src,
        orgId,
        record.identifier,
        (record.uri as string | undefined) ?? null,
        JSON.stringify(record.title),
        JSON.stringify(record),
        opts.status ?? 'active',
        src === source.hcp ? run.hcpOld : run.oneeFailed,
        opts.withdrawnAt ? run.hcpLatest : null,
        opts.updatedAt,
        opts.withdrawnAt ?? null,
      ],
    );

  const base = { description: {}, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [] };
  const electriciteUri = `https://open.onee.ma/dataset/consommation-electricite-par-region-et-par-secteur-d-activite-${'2010-2024-'.repeat(6)}v2`;
  const ds = {
    air: await dataset(
      source.hcp,
      org.hcp,
      {
        ...base,
        identifier: 'hcp-qualite-air',
        uri: 'https://data.hcp.ma/dataset/qualite-air',
        title: { fr: "Qualité de l'air à Casablanca", ar: 'جودة الهواء في الدار البيضاء' },
        description: { fr: 'Mesures horaires des polluants atmosphériques.' },
        keywords: { fr: ['pollution', 'santé'] },
      },
      { updatedAt: at(30) },
    ),
    emploi: await dataset(
      source.hcp,
      org.hcp,
      { ...base, identifier: 'hcp-emploi', title: { ar: 'مؤشرات التشغيل والبطالة' }, description: { ar: 'معدلات النشاط والبطالة حسب الجهة' } },
      { updatedAt: at(40) },
    ),
    recensement: await dataset(
      source.hcp,
      org.hcp,
      { ...base, identifier: 'hcp-rgph-2004', uri: 'https://data.hcp.ma/dataset/rgph-2004', title: { fr: 'Recensement général de la population 2004' } },
      { status: 'withdrawn', updatedAt: at(101), withdrawnAt: at(101) },
    ),
    electricite: await dataset(
      source.onee,
      org.onee,
      {
        identifier: 'onee-conso-elec',
        uri: electriciteUri,
        title: { fr: "Consommation d'électricité par région", en: 'Electricity consumption by region' },
        description: { fr: 'Consommation annuelle en GWh.' },
        keywords: { fr: ['énergie', 'électricité'], en: ['energy'] },
        themes: ['http://publications.europa.eu/resource/authority/data-theme/ENER'],
        publisher: { name: { fr: 'ONEE' }, homepage: 'https://www.one.org.ma' },
        contactPoint: { name: 'Service données', email: 'data@onee.ma' },
        landingPage: 'https://open.onee.ma/conso',
        issued: '2020-01-15',
        modified: '2024-12-31T10:00:00Z',
        license: 'https://creativecommons.org/licenses/by/4.0/',
        accessRights: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
        spatial: ['https://sws.geonames.org/2542007/'],
        temporal: [{ start: '2010-01-01', end: '2024-12-31' }],
        accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/ANNUAL',
        language: ['fr', 'en'],
        distributions: [{ title: { fr: 'CSV' }, downloadUrl: 'https://open.onee.ma/conso.csv', format: 'CSV', mediaType: 'text/csv', byteSize: 123456 }],
      },
      { updatedAt: at(45) },
    ),
  };
  for (let i = 1; i <= fillers; i++) {
    await dataset(source.hcp, org.hcp, { ...base, identifier: `hcp-serie-${i}`, title: { fr: `Série statistique n° ${i}` } }, { updatedAt: at(i) });
  }
  return { org, source, run, dataset: ds, electriciteUri };
}

/** An answer of {@link httpCall}: the body parsed as JSON when it is JSON, else the text. */
export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * One real HTTP request to a listening API, with an optional bearer token and JSON body.
 * `onResponse` sees every raw answer (the token-secrecy tests collect them).
 */
export async function httpCall(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; url?: string; onResponse?: (text: string, headers: Headers) => void } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${opts.url ?? base}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  opts.onResponse?.(text, res.headers);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (the /docs page, an empty answer)
  }
  return { status: res.status, body, headers: res.headers };
}
