import { createOrganization, createSource, type DbHandle } from '@hasad/db';
import { queueSettings, type HasadConfig } from '@hasad/core';
import { Queues } from '@hasad/queues';
import { triggerHarvest } from '@hasad/cli';
import {
  ckanPackageId,
  csvInventoryConfig,
  csvInventoryIdentifier,
  datasetIdentifier,
  FeedServer,
  generateCsvInventory,
  generatePage,
  MEDIA_TYPES,
  pageCount,
  soapDatasetId,
  soapDatasetServiceConfig,
  startCkanPortal,
  startSoapDatasetService,
  type CkanPortal,
  type FeedFormat,
  type FeedResponse,
  type GenerateOptions,
  type SoapDatasetService,
} from '@hasad/testkit';
import type { FaultRow } from './report.ts';

/**
 * The one workload every fault case harvests: five institutions of every source kind at once
 * (20 000 datasets in all), served from loopback, each slow enough while `pace('slow')` that a
 * fault injected once every run is under way lands mid-run, and fast again after `pace('fast')`.
 *
 * | source       | kind | served as                                | datasets |
 * |--------------|------|------------------------------------------|----------|
 * | dcat-turtle  | dcat | 30 Turtle pages of 200 (Hydra)           | 6 000    |
 * | dcat-rdfxml  | dcat | 30 RDF/XML pages of 200 (Hydra)          | 6 000    |
 * | csv          | csv  | one Windows-1252 file, 8 batches of 500  | 4 000    |
 * | soap         | soap | 20 SOAP pages of 100                     | 2 000    |
 * | ckan         | ckan | 20 package_search pages of 100           | 2 000    |
 */
export const WORKLOAD = {
  dcatTurtle: 6_000,
  dcatRdfxml: 6_000,
  csv: 4_000,
  soap: 2_000,
  ckan: 2_000,
  dcatPageSize: 200,
  pagedSize: 100,
  /** The loader's batch size the workload is sized for (the CSV file then comes in 8 batches). */
  batchSize: 500,
} as const;
export const WORKLOAD_DATASETS = WORKLOAD.dcatTurtle + WORKLOAD.dcatRdfxml + WORKLOAD.csv + WORKLOAD.soap + WORKLOAD.ckan;

/** The settings the workload needs from the services (on top of testEnv's): every source harvested at once, the CSV in 8 batches. */
export const WORKLOAD_ENV = {
  HASAD_FETCHER_CONCURRENCY: '8',
  HASAD_LOADER_CONCURRENCY: '2',
  HASAD_BATCH_SIZE: String(WORKLOAD.batchSize),
  HASAD_LOCK_DURATION_MS: '4000',
} as const;

// Slow pace: a paged source takes at least 20-30 pages × 600 ms; the CSV file trickles in 4 KB
// every 100 ms (about 34 s for 1.3 MB): long enough that every run is under way at once even
// on a busy machine, where the workers are slow to start. Fast pace: no delay at all, a
// download already trickling included (the testkit reads the delay before each chunk).
const SLOW_PAGE_MS = 600;
const SLOW_TRICKLE_MS = 100;

export type WorkloadKind = 'dcat-turtle' | 'dcat-rdfxml' | 'csv' | 'soap' | 'ckan';

export interface WorkloadSource {
  slug: WorkloadKind;
  kind: 'dcat' | 'csv' | 'soap' | 'ckan';
  url: string;
  config: Record<string, unknown>;
  /** Every identifier the source publishes, sorted. */
  expected: string[];
  /** Set by register(). */
  sourceId: string;
}

/** Where one source's run stands, read from PostgreSQL. */
export interface RunProgress {
  slug: WorkloadKind;
  runId: string;
  status: string;
  finished: boolean;
  fetchDone: boolean;
  pagesFetched: number;
  batchesLoaded: number;
}

/** What checkCatalogue() found. */
export interface CatalogueCheck {
  row: FaultRow;
  /** Per source: identifiers missing, present but not expected, duplicated rows, expected ones withdrawn. */
  sources: Record<WorkloadKind, { expected: number; found: number; missing: string[]; unexpected: string[]; duplicates: number; wronglyWithdrawn: number }>;
  /** Every run of the workload's sources: its status and whether it is final. */
  runs: Array<{ slug: WorkloadKind; id: string; status: string; finished: boolean; created: number; withdrawn: number; errorCode: string | null }>;
  /** Jobs of the case's queue prefix still waiting, active or delayed (harvest and load queues). */
  stuckJobs: Record<string, number>;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const FINAL = new Set(['succeeded', 'unchanged', 'failed', 'needs_review', 'cancelled']);

export class Workload {
  readonly sources: WorkloadSource[];
  /** The run of each source started by the last triggerAll(), by slug. */
  runs = new Map<WorkloadKind, string>();
  private slow = true;
  private readonly csvTrickle = { chunkBytes: 4 * 1024, delayMs: SLOW_TRICKLE_MS };

  private constructor(
    readonly server: FeedServer,
    readonly soap: SoapDatasetService,
    readonly ckan: CkanPortal,
  ) {
    const dcat = (slug: WorkloadKind, format: FeedFormat, datasets: number): WorkloadSource => ({
      slug,
      kind: 'dcat',
      url: this.mountDcat(`/${slug}`, format, datasets),
      config: {},
      expected: range(0, datasets - 1).map(datasetIdentifier).sort(),
      sourceId: '',
    });
    this.sources = [
      dcat('dcat-turtle', 'turtle', WORKLOAD.dcatTurtle),
      dcat('dcat-rdfxml', 'rdfxml', WORKLOAD.dcatRdfxml),
      { slug: 'csv', kind: 'csv', url: this.mountCsv('/csv/inventaire.csv'), config: csvInventoryConfig(), expected: range(1, WORKLOAD.csv).map(csvInventoryIdentifier).sort(), sourceId: '' },
      { slug: 'soap', kind: 'soap', url: soap.url, config: soapDatasetServiceConfig({ pageSize: WORKLOAD.pagedSize }), expected: range(1, WORKLOAD.soap).map(soapDatasetId).sort(), sourceId: '' },
      { slug: 'ckan', kind: 'ckan', url: ckan.url, config: { rows: WORKLOAD.pagedSize }, expected: range(1, WORKLOAD.ckan).map(ckanPackageId).sort(), sourceId: '' },
    ];
    this.pace('slow');
  }

  /** Starts the loopback institutions (a feed server for DCAT and CSV, a SOAP service, a CKAN portal), slow. */
  static async start(): Promise<Workload> {
    const [server, soap, ckan] = await Promise.all([FeedServer.start(), startSoapDatasetService({ count: WORKLOAD.soap }), startCkanPortal(WORKLOAD.ckan)]);
    return new Workload(server, soap, ckan);
  }

  get expectedTotal(): number {
    return WORKLOAD_DATASETS;
  }

  source(slug: WorkloadKind): WorkloadSource {
    return this.sources.find((s) => s.slug === slug)!;
  }

  /** Slow: the runs last long enough to be interrupted; fast: the institutions answer at once. Read per request. */
  pace(p: 'slow' | 'fast'): void {
    this.slow = p === 'slow';
    const ms = this.slow ? SLOW_PAGE_MS : 0;
    this.soap.options.delayMs = ms;
    this.ckan.delayMs = ms;
    this.csvTrickle.delayMs = this.slow ? SLOW_TRICKLE_MS : 0;
  }

  /** Creates one organisation and one source per institution (slugs prefixed by `prefix` when several workloads share a database). */
  async register(db: DbHandle, prefix = 'wl'): Promise<void> {
    for (const s of this.sources) {
      const org = await createOrganization(db, { slug: `${prefix}-${s.slug}`, name: `Institution ${s.slug}` });
      s.sourceId = (await createSource(db, { organizationId: org.id, kind: s.kind, url: s.url, config: s.config })).id;
    }
  }

  /** A manual harvest of every source at once; remembers the runs. */
  async triggerAll(db: DbHandle, config: HasadConfig): Promise<Map<WorkloadKind, string>> {
    this.runs = new Map();
    for (const s of this.sources) this.runs.set(s.slug, (await triggerHarvest(db, config, s.sourceId, 'manual')).id);
    return this.runs;
  }

  /** Where each triggered run stands. */
  async progress(db: DbHandle): Promise<RunProgress[]> {
    const ids = [...this.runs.values()];
    const r = await db.pool.query(
      `SELECT r.id, r.status, r.finished_at IS NOT NULL AS finished, r.fetch_done, r.pages_fetched,
         (SELECT count(*)::int FROM run_batches b WHERE b.run_id = r.id AND b.batch_no >= 0) AS batches
       FROM runs r WHERE r.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(r.rows.map((x) => [x.id as string, x]));
    return [...this.runs].map(([slug, runId]) => {
      const x = byId.get(runId);
      return { slug, runId, status: x?.status ?? 'missing', finished: x?.finished ?? false, fetchDone: x?.fetch_done ?? false, pagesFetched: x?.pages_fetched ?? 0, batchesLoaded: x?.batches ?? 0 };
    });
  }

  /** Every run under way (something loaded) and none fetched to the end: the moment to inject a fault. */
  static midRun(p: RunProgress[]): boolean {
    return p.length > 0 && p.every((x) => !x.finished && !x.fetchDone && x.batchesLoaded >= 1);
  }

  /** Runs not yet final. */
  static allFinal(p: RunProgress[]): boolean {
    return p.every((x) => x.finished);
  }

  /**
   * Compares the catalogue with what the institutions publish: per source, the active rows
   * against the expected identifiers (none missing, none unexpected), rows per identifier (no
   * duplicates), expected identifiers withdrawn; every run of the sources final; and no job of
   * the queue prefix left waiting, active or delayed. Returns the fault table's row too.
   */
  async checkCatalogue(db: DbHandle, config: HasadConfig, caseName: string, recoveryMs: number | null): Promise<CatalogueCheck> {
    const sources = {} as CatalogueCheck['sources'];
    let found = 0;
    let duplicates = 0;
    let wronglyWithdrawn = 0;
    for (const s of this.sources) {
      const rows = (await db.pool.query<{ id: string; status: string }>(`SELECT source_identifier AS id, status FROM datasets WHERE source_id = $1`, [s.sourceId])).rows;
      const expected = new Set(s.expected);
      const seen = new Map<string, number>();
      for (const r of rows) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      const active = new Set(rows.filter((r) => r.status === 'active').map((r) => r.id));
      const missing = s.expected.filter((id) => !active.has(id));
      const unexpected = [...active].filter((id) => !expected.has(id)).sort();
      const dups = [...seen.values()].reduce((n, k) => n + k - 1, 0);
      const withdrawn = new Set(rows.filter((r) => r.status === 'withdrawn' && expected.has(r.id) && !active.has(r.id)).map((r) => r.id)).size;
      const ok = s.expected.length - missing.length;
      sources[s.slug] = { expected: s.expected.length, found: ok, missing, unexpected, duplicates: dups, wronglyWithdrawn: withdrawn };
      found += ok;
      duplicates += dups;
      wronglyWithdrawn += withdrawn;
    }
    const slugOf = new Map(this.sources.map((s) => [s.sourceId, s.slug]));
    const runs = (
      await db.pool.query<{ id: string; source_id: string; status: string; finished: boolean; created: number; withdrawn: number; error_code: string | null }>(
        `SELECT id, source_id, status, finished_at IS NOT NULL AS finished, created, withdrawn, error_code FROM runs WHERE source_id = ANY($1::uuid[]) ORDER BY created_at`,
        [this.sources.map((s) => s.sourceId)],
      )
    ).rows.map((r) => ({ slug: slugOf.get(r.source_id)!, id: r.id, status: r.status, finished: r.finished && FINAL.has(r.status), created: r.created, withdrawn: r.withdrawn, errorCode: r.error_code }));
    return { row: { case: caseName, expected: this.expectedTotal, found, duplicates, wronglyWithdrawn, recoveryMs }, sources, runs, stuckJobs: await stuckJobs(config) };
  }

  async close(): Promise<void> {
    await Promise.all([this.server.close(), this.soap.close(), this.ckan.close()]);
  }

  /** A generated DCAT catalogue in `format`, paged with Hydra; each page waits while the pace is slow. */
  private mountDcat(prefix: string, format: FeedFormat, datasets: number): string {
    const opts: GenerateOptions = { datasets, pageSize: WORKLOAD.dcatPageSize, baseUrl: `${this.server.url}${prefix}` };
    const path = (n: number) => `${prefix}/catalog?page=${n}`;
    const bodies = new Map<number, string>();
    for (let n = 1; n <= pageCount(opts); n++) {
      this.server.route(path(n), async (): Promise<FeedResponse> => {
        if (this.slow) await new Promise((r) => setTimeout(r, SLOW_PAGE_MS));
        let body = bodies.get(n);
        if (body === undefined) bodies.set(n, (body = generatePage(opts, n, format)));
        return { status: 200, body, contentType: MEDIA_TYPES[format] };
      });
    }
    return `${this.server.url}${path(1)}`;
  }

  /** The CSV inventory as one file, trickled while the pace is slow. */
  private mountCsv(path: string): string {
    const body = generateCsvInventory({ rows: WORKLOAD.csv });
    this.server.route(path, () => ({ status: 200, contentType: 'text/csv', body, ...(this.slow && { trickle: this.csvTrickle }) }));
    return `${this.server.url}${path}`;
  }
}

/** Jobs of the prefix's harvest and load queues that are waiting, active, delayed or prioritized (a stuck job shows here). */
export async function stuckJobs(config: HasadConfig): Promise<Record<string, number>> {
  const q = new Queues(queueSettings(config));
  try {
    const out: Record<string, number> = {};
    for (const name of ['harvest', 'load'] as const) {
      const counts = await q.get(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      for (const [state, n] of Object.entries(counts)) if (n > 0) out[`${name}.${state}`] = n;
    }
    return out;
  } finally {
    await q.close();
  }
}
