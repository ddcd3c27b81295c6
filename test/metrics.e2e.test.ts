import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@hasad/core';
import { createOrganization, createSource } from '@hasad/db';
import { startRoles, triggerHarvest, waitForRun, type Runtime } from '@hasad/cli';
import { FeedServer } from '@hasad/testkit';
import { readFileSync } from 'node:fs';
import { freePort } from './helpers/free-port.ts';
import { startTestPipeline, testEnv, type TestPipeline } from './helpers/pipeline.ts';
import { mountSlowCatalog } from './helpers/slow-feed.ts';
import { waitUntil } from './helpers/wait.ts';

/** One sample of a scrape: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for prom-client's output). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `labels` (0 when none). */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

describe('GET /metrics of a process running api, fetcher and loader', () => {
  let env: Awaited<ReturnType<typeof testEnv>>;
  let rt: Runtime;
  let server: FeedServer;
  const logLines: Array<Record<string, unknown>> = [];
  let scrapes = 0;

  async function scrape(): Promise<Sample[]> {
    const res = await fetch(`${rt.apiUrl}/metrics`);
    scrapes++;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  }

  /**
   * The run's end line: the loader writes it after it moves the run counters, which is after the
   * commit `waitForRun` sees, so a scrape taken before it may miss the run.
   */
  async function waitForEndLine(runId: string) {
    await waitUntil('the run finished log line', async () => logLines.some((l) => l.msg === 'run finished' && l.runId === runId), Boolean, { timeoutMs: 10_000 });
  }

  async function addSource(url: string, slug: string): Promise<string> {
    const org = await createOrganization(rt.db, { slug, name: 'Ministère de test' });
    return (await createSource(rt.db, { organizationId: org.id, kind: 'dcat', url, config: {} })).id;
  }

  beforeAll(async () => {
    env = await testEnv({ PORT: '0', HASAD_HARVEST_ATTEMPTS: '1' });
    // The pipeline's own logger, at info, into memory: the run start and end lines are checked below.
    const log = createLogger('hasad', 'info', { write: (s: string) => void logLines.push(JSON.parse(s)) });
    rt = await startRoles(['api', 'fetcher', 'loader'], env.config, log);
    server = await FeedServer.start();
  });
  afterAll(async () => {
    await rt?.stop();
    await env?.cleanup();
    await server?.close();
  });

  it('counters move by the harvest’s amounts, during and after the run; the end log line has every count', async () => {
    const host = new URL(server.url).host;
    // 3 pages of 10 datasets, each page answered after 400 ms: the run is observable while it lasts.
    const ctl = mountSlowCatalog(server, '/slow', { datasets: 30, pageSize: 10 }, 400);
    const sourceId = await addSource(ctl.url, 'metrics-ok');
    const before = await scrape();
    const scrapesBefore = scrapes;

    const queued = await triggerHarvest(rt.db, env.config, sourceId, 'manual');
    // During: the harvest job is active and part of the pages went through, the run is not counted yet.
    const during = await waitUntil(
      'a scrape during the harvest',
      scrape,
      (s) => total(s, 'bullmq_job_count', { queue: 'harvest', state: 'active' }) === 1 && total(s, 'hasad_fetch_page_duration_seconds_count', { host }) > total(before, 'hasad_fetch_page_duration_seconds_count', { host }),
      { timeoutMs: 20_000 },
    );
    expect(total(during, 'hasad_records_total', { stage: 'fetched' }) - total(before, 'hasad_records_total', { stage: 'fetched' })).toBeGreaterThan(0);
    expect(total(during, 'hasad_records_total', { stage: 'fetched' }) - total(before, 'hasad_records_total', { stage: 'fetched' })).toBeLessThan(30);
    expect(total(during, 'hasad_runs_total')).toBe(total(before, 'hasad_runs_total'));

    const run = await waitForRun(rt.db, queued.id, 60_000);
    expect(run).toMatchObject({ status: 'succeeded', created: 30, pagesFetched: 3 });
    await waitForEndLine(run.id);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);

    expect(delta('hasad_records_total', { stage: 'fetched' })).toBe(30);
    expect(delta('hasad_records_total', { stage: 'loaded' })).toBe(30);
    expect(delta('hasad_runs_total', { kind: 'dcat', status: 'succeeded' })).toBe(1);
    expect(delta('hasad_runs_total')).toBe(1);
    expect(delta('hasad_run_duration_seconds_count', { kind: 'dcat', status: 'succeeded' })).toBe(1);
    // At least the three 400 ms waits of the institution's server.
    expect(delta('hasad_run_duration_seconds_sum', { kind: 'dcat' })).toBeGreaterThanOrEqual(1.2);
    expect(delta('hasad_fetch_page_duration_seconds_count', { host })).toBe(3);
    expect(delta('hasad_fetch_page_duration_seconds_sum', { host })).toBeGreaterThanOrEqual(1.2);
    expect(delta('hasad_fetch_bytes_total', { host })).toBe(run.bytes);
    expect(run.bytes).toBeGreaterThan(0);
    // One batch per page (10 records, batch size 1 000), each one transaction.
    expect(delta('hasad_loader_batch_records_count')).toBe(3);
    expect(delta('hasad_loader_batch_records_sum')).toBe(30);
    expect(delta('hasad_loader_batch_transaction_seconds_count')).toBe(3);
    expect(delta('hasad_loader_jobs_total', { job: 'load.batch', outcome: 'completed' })).toBe(3);
    expect(total(after, 'hasad_source_consecutive_failures', { source_id: sourceId })).toBe(0);
    expect(total(after, 'hasad_run_last_success_timestamp_seconds')).toBeCloseTo(run.finishedAt!.getTime() / 1000, 0);
    // The scrapes themselves: every earlier scrape of /metrics is counted, under its route pattern.
    expect(delta('hasad_http_requests_total', { method: 'GET', route: '/metrics', status_class: '2xx' })).toBe(scrapes - 1 - (scrapesBefore - 1));
    expect(total(after, 'hasad_http_request_duration_seconds_count', { route: '/metrics' })).toBeGreaterThan(0);
    // Queue gauges for both queues, and the process metrics.
    expect(after.some((s) => s.name === 'bullmq_job_count' && s.labels.queue === 'load' && s.labels.state === 'waiting')).toBe(true);
    expect(total(after, 'bullmq_job_count', { queue: 'harvest', state: 'active' })).toBe(0);
    expect(total(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // One start line and one end line for the run, the end line with every count.
    const started = logLines.filter((l) => l.msg === 'harvest started' && l.runId === run.id);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ sourceId, kind: 'dcat', trigger: 'manual', url: ctl.url });
    const finished = logLines.filter((l) => l.msg === 'run finished' && l.runId === run.id);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      sourceId,
      kind: 'dcat',
      status: 'succeeded',
      trigger: 'manual',
      pagesFetched: 3,
      pagesNotModified: 0,
      bytes: run.bytes,
      seen: 30,
      created: 30,
      updated: 0,
      unchanged: 0,
      withdrawn: 0,
      invalid: 0,
      problems: 0,
      errorCode: null,
      consecutiveFailures: 0,
    });
    expect(finished[0]!.durationMs).toBeGreaterThanOrEqual(1200);
  });

  it('a source failing twice in a row shows in hasad_source_consecutive_failures and in failed runs', async () => {
    // Nothing is mounted at this path: the feed answers 404, a permanent failure.
    const sourceId = await addSource(`${server.url}/gone/catalog`, 'metrics-failing');
    const before = await scrape();
    for (let i = 0; i < 2; i++) {
      const run = await waitForRun(rt.db, (await triggerHarvest(rt.db, env.config, sourceId, 'manual')).id, 30_000);
      expect(run.status).toBe('failed');
      await waitForEndLine(run.id);
    }
    const after = await scrape();
    expect(total(after, 'hasad_runs_total', { kind: 'dcat', status: 'failed' }) - total(before, 'hasad_runs_total', { kind: 'dcat', status: 'failed' })).toBe(2);
    expect(total(after, 'hasad_source_consecutive_failures', { source_id: sourceId })).toBe(2);
    const end = logLines.filter((l) => l.msg === 'run finished' && l.sourceId === sourceId).at(-1);
    expect(end).toMatchObject({ status: 'failed', kind: 'dcat', consecutiveFailures: 2, pagesFetched: 0 });
    expect(typeof end!.errorCode).toBe('string');
  });
});

describe('GET /metrics of a worker-only process', () => {
  let p: TestPipeline | undefined;
  afterAll(async () => {
    await p?.close();
  });

  it('a loader process serves its metrics on the ops port', async () => {
    const port = await freePort();
    p = await startTestPipeline(['loader'], { HASAD_OPS_PORT: String(port) });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const samples = parseMetrics(text);
    expect(samples.some((s) => s.name === 'bullmq_job_count' && s.labels.queue === 'load')).toBe(true);
    expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    for (const name of ['hasad_runs_total', 'hasad_loader_batch_transaction_seconds', 'hasad_loader_jobs_total', 'hasad_records_total']) expect(text).toContain(`# TYPE ${name} `);
  });
});

describe('infra: Grafana dashboard and Prometheus alert rules', () => {
  const dashboard = JSON.parse(readFileSync(new URL('../infra/grafana/hasad-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

  it('the dashboard parses and charts each metric family the services export', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const name of [
      'bullmq_job_count',
      'hasad_runs_total',
      'hasad_run_duration_seconds_bucket',
      'hasad_records_total',
      'hasad_fetch_page_duration_seconds_bucket',
      'hasad_fetch_bytes_total',
      'hasad_http_requests_total',
      'hasad_http_request_duration_seconds_bucket',
      'hasad_loader_batch_transaction_seconds_bucket',
      'hasad_loader_batch_records_sum',
    ])
      expect(exprs.some((e) => e.includes(name)), name).toBe(true);
  });

  it('the alert rules parse as YAML and cover the four conditions', () => {
    const doc = parseYaml(readFileSync(new URL('../infra/prometheus/alerts.yml', import.meta.url), 'utf8')) as unknown;
    const rules = (doc as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) => g.rules);
    const byName = new Map(rules.map((r) => [r.alert, r.expr]));
    expect(byName.get('HasadSourceFailingRepeatedly')).toMatch(/hasad_source_consecutive_failures.*>= 3/);
    expect(byName.get('HasadQueueBacklogGrowing')).toMatch(/deriv\(.*bullmq_job_count\{state="waiting"\}.*\[15m/);
    expect(byName.get('HasadNoSuccessfulRun')).toMatch(/time\(\) - max\(hasad_run_last_success_timestamp_seconds\) > 6 \* 3600/);
    expect(byName.get('HasadLoaderErrors')).toMatch(/hasad_loader_jobs_total\{outcome="failed"\}/);
  });
});
