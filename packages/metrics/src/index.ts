import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry. Every role running in the process (api, scheduler,
 * fetcher, loader) records into it, and whichever HTTP server the process runs (the API or the
 * ops server) serves it at `GET /metrics`. Metrics are per process: Prometheus sums them.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** The Prometheus text format's content type, for the `/metrics` reply. */
export const metricsContentType = registry.contentType;

/** Seconds, from a few milliseconds (a 304 page) to hours (a large source). */
const longDurations = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
const shortDurations = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Finished runs, by source kind and final status (succeeded, unchanged, needs_review, failed). */
export const runsTotal = new Counter({ name: 'hasad_runs_total', help: 'Harvest runs finished, by source kind and final status', labelNames: ['kind', 'status'], registers: [registry] });

/** Wall time of a run, from its start to its finalisation. */
export const runDuration = new Histogram({
  name: 'hasad_run_duration_seconds',
  help: 'Harvest run duration from start to finalisation, by source kind and final status',
  labelNames: ['kind', 'status'],
  buckets: longDurations,
  registers: [registry],
});

/**
 * Failed runs in a row of each source, read from the runs table when a run of that source ends
 * (0 after a run that did not fail). Kept per process: the series of a source appears once a
 * loader of this process finalised one of its runs.
 */
export const sourceConsecutiveFailures = new Gauge({
  name: 'hasad_source_consecutive_failures',
  help: 'Consecutive failed runs of a source (latest runs first), updated when one of its runs ends',
  labelNames: ['source_id'],
  registers: [registry],
});

/** When the latest succeeded or unchanged run of any source finished (from the runs table). */
export const runLastSuccess = new Gauge({
  name: 'hasad_run_last_success_timestamp_seconds',
  help: 'Unix time the latest successful (succeeded or unchanged) run of any source finished',
  registers: [registry],
});

/** Records passing each stage: `fetched` (parsed and handed to the loader), `loaded` (upserted). */
export const recordsTotal = new Counter({ name: 'hasad_records_total', help: 'Records through each pipeline stage (fetched, loaded)', labelNames: ['stage'], registers: [registry] });

/** Time the adapter spent producing one page (request, download, parse), by host. */
export const fetchPageDuration = new Histogram({
  name: 'hasad_fetch_page_duration_seconds',
  help: 'Time to fetch and parse one page, by host and whether it was not modified',
  labelNames: ['host', 'not_modified'],
  buckets: shortDurations,
  registers: [registry],
});

/** Body bytes received, by host (0 for a 304). */
export const fetchBytesTotal = new Counter({ name: 'hasad_fetch_bytes_total', help: 'Response body bytes fetched, by host', labelNames: ['host'], registers: [registry] });

/** API requests, by method, route pattern and status class (2xx, 3xx, 4xx, 5xx). */
export const httpRequestsTotal = new Counter({
  name: 'hasad_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status class',
  labelNames: ['method', 'route', 'status_class'],
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'hasad_http_request_duration_seconds',
  help: 'HTTP request duration, by method, route pattern and status class',
  labelNames: ['method', 'route', 'status_class'],
  buckets: shortDurations,
  registers: [registry],
});

/** Records per `load.batch` job. */
export const loaderBatchRecords = new Histogram({
  name: 'hasad_loader_batch_records',
  help: 'Records per loaded batch',
  buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
  registers: [registry],
});

/** Time of a batch's upsert transaction (`loadBatch`'s `ms`). */
export const loaderBatchTransactionDuration = new Histogram({
  name: 'hasad_loader_batch_transaction_seconds',
  help: 'Duration of one batch upsert transaction',
  buckets: shortDurations,
  registers: [registry],
});

/** Load-queue jobs this process ran, by job name and outcome (completed, failed: each failed attempt counts). */
export const loaderJobsTotal = new Counter({
  name: 'hasad_loader_jobs_total',
  help: 'Load queue job attempts, by job name and outcome (completed, failed)',
  labelNames: ['job', 'outcome'],
  registers: [registry],
});

/**
 * Notification deliveries this process attempted, by event, channel and outcome: `sent`,
 * `skipped` (the contact was removed meanwhile), `retry` (a transient failure, to be tried
 * again) or `failed` (given up).
 */
export const notificationsTotal = new Counter({
  name: 'hasad_notifications_total',
  help: 'Notification delivery attempts, by event, channel and outcome (sent, skipped, retry, failed)',
  labelNames: ['event', 'channel', 'outcome'],
  registers: [registry],
});

/** The part of a BullMQ queue the queue gauge needs (the metrics package does not depend on bullmq). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

let queueSource: () => readonly CountableQueue[] = () => [];

/**
 * Job counts by state of each queue, read from Redis at scrape time. Same name and labels as
 * BullMQ's `Queue.exportPrometheusMetrics()` (`bullmq_job_count{queue,state}`), but produced
 * through this registry: concatenating that exporter's text for two queues repeats the HELP
 * and TYPE lines, which the Prometheus text format forbids. Every process reports the same
 * (shared) counts: aggregate with `max by (queue, state)`.
 */
export const queueJobCount = new Gauge({
  name: 'bullmq_job_count',
  help: 'Number of jobs in the queue by state',
  labelNames: ['queue', 'state'],
  registers: [registry],
  async collect() {
    this.reset();
    for (const q of queueSource()) {
      const counts = await q.getJobCounts();
      for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
    }
  },
});

let iriClashSource: (() => Promise<number>) | undefined;

/**
 * Dataset IRIs more than one active record claims (from the datasets table, at scrape time, in
 * the processes that serve /metrics with a database: the API). /catalog exports each such
 * record once, all but the first under Hasad's own IRI; operators see them on the dashboard.
 */
export const datasetIriClashes = new Gauge({
  name: 'hasad_dataset_iri_clashes',
  help: 'Dataset IRIs claimed by more than one active record (each exported once; all but the first under a Hasad IRI)',
  registers: [registry],
  async collect() {
    if (iriClashSource) this.set(await iriClashSource());
  },
});

/** Tells the IRI clash gauge how to count (called once at start-up). */
export function observeIriClashes(count: () => Promise<number>): void {
  iriClashSource = count;
}

/** Tells the queue gauge which queues this process reports (called once at start-up). */
export function observeQueues(queues: () => readonly CountableQueue[]): void {
  queueSource = queues;
}

/** The host label of a URL (`host:port`), or `invalid` when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || 'unknown';
  } catch {
    return 'invalid';
  }
}

/** `2xx`, `4xx`, … for an HTTP status. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** The registry in the Prometheus text format. */
export function renderMetrics(): Promise<string> {
  return registry.metrics();
}
