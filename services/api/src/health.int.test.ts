import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '@hasad/core';
import { createApiToken, createDb } from '@hasad/db';
import { Queues } from '@hasad/queues';
import { buildApp } from './app.ts';
import { signInWithForm } from './dashboard/sign-in.testing.ts';
import { startApi } from './main.ts';
import { READY_TIMEOUT_MS } from './routes/health.routes.ts';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('health', () => {
  it('/healthz answers 200 while the process is alive', async () => {
    const res = await h.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when PostgreSQL and Redis both answer', async () => {
    const res = await h.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });
});

describe('with PostgreSQL and Redis out of reach', () => {
  // Real clients pointed at a port nothing listens on: the outage is real, not simulated.
  const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/hasad', REDIS_URL: 'redis://127.0.0.1:1', HASAD_QUEUE_PREFIX: `hasad-test-api-${randomBytes(4).toString('hex')}`, LOG_LEVEL: 'silent' });
  const log = createLogger('api-test', 'silent');
  const handle = createDb(config.DATABASE_URL, { max: 1 });
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.HASAD_QUEUE_PREFIX });
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    app = await buildApp({ db: handle, queues, config, log });
  });

  afterAll(async () => {
    await app?.close();
    await queues.close();
    await handle.close();
  });

  it('/readyz answers 503 naming each dependency that failed, within the probe deadline', async () => {
    const started = Date.now();
    const res = await app.inject({ url: '/readyz' });
    expect(Date.now() - started).toBeLessThan(READY_TIMEOUT_MS + 1_000);
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres).toBe('error');
    expect(['error', 'timeout']).toContain(body.checks.redis);
  });

  it('answers 500 with a generic message and the request id, never the cause', async () => {
    const res = await app.inject({ url: '/api/v1/datasets' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toEqual({
      error: { code: 'internal', message: 'the server could not answer this request; quote the request id when reporting it', requestId: res.headers['x-request-id'] },
    });
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
  });

  it('/healthz still answers 200: the process is alive even when its dependencies are not', async () => {
    const res = await app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
  });
});

describe('Bull Board at /admin/queues', () => {
  // Behind the dashboard's operator sign-in (services/api/src/dashboard/dashboard.int.test.ts covers the refusals).
  let cookies: Record<string, string>;
  beforeAll(async () => {
    const { token } = await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Bull Board test' });
    cookies = (await signInWithForm(h.app, token)).jar;
  });

  it('sends anonymous visitors to the sign-in page', async () => {
    const res = await h.app.inject({ url: '/admin/queues' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/dashboard\/sign-in/);
  });

  it('serves its page', async () => {
    const res = await h.app.inject({ url: '/admin/queues', cookies });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<!DOCTYPE html>');
  });

  it('lists the harvest and load queues with their jobs, read-only', async () => {
    await h.deps.queues.add('harvest.source', { sourceId: '00000000-0000-4000-8000-000000000001', trigger: 'manual' }, { jobId: 'api-test-job' });
    const res = await h.app.inject({ url: '/admin/queues/api/queues', cookies });
    expect(res.statusCode).toBe(200);
    const queues = res.json().queues as Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }>;
    expect(queues.map((q) => q.name).sort()).toEqual(['harvest', 'links', 'load', 'notify']);
    expect(queues.find((q) => q.name === 'harvest')?.counts.waiting).toBe(1);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('refuses to change a queue, even to a signed-in operator', async () => {
    const res = await h.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/harvest/clean/waiting', cookies });
    expect(res.statusCode).toBe(403);
    const after = await h.app.inject({ url: '/admin/queues/api/queues', cookies });
    expect(after.json().queues.find((q: { name: string }) => q.name === 'harvest').counts.waiting).toBe(1);
  });
});

describe('startApi', () => {
  it('listens on a free port when PORT is 0, answers over HTTP, and closes', async () => {
    const api = await startApi({ ...h.deps, config: { ...h.config, PORT: 0, HOST: '127.0.0.1' } });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.url).not.toMatch(/:0$/);
      const res = await fetch(`${api.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      await api.close();
    }
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });
});
