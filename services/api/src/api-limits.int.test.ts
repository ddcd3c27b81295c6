import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization } from '@hasad/db';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Limits of the registration API with real HTTP requests against a listening API, on real
// PostgreSQL and Redis: the minimum interval for "harvest now", and what sends a source back
// to review. No worker runs here: runs are finished by hand in the database.

let h: ApiHarness;
let base: string;
const tokens = { org: '', operator: '' };
const orgSlug = 'min-equipement';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(method: string, path: string, opts: { token?: string; body?: unknown; url?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${opts.url ?? base}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

/** Ends a run as a worker would have, started `minutesAgo` minutes ago. */
async function finishRun(runId: string, minutesAgo: number): Promise<void> {
  await h.pool.query(
    `UPDATE runs SET status = 'succeeded', created_at = now() - make_interval(mins => $2::int), started_at = now() - make_interval(mins => $2::int), finished_at = now() WHERE id = $1`,
    [runId, minutesAgo],
  );
}

beforeAll(async () => {
  h = await startApiHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const org = await createOrganization(h.deps.db, { slug: orgSlug, name: "Ministère de l'Équipement" });
  tokens.org = (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token;
  tokens.operator = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Youssef (ops)' })).token;
});

afterAll(async () => {
  await h?.close();
});

describe('POST /api/v1/sources/:id/harvest and the minimum interval', () => {
  it('an organisation cannot ask again within HASAD_MIN_SCHEDULE_INTERVAL_MS of its last run’s start: 429 with Retry-After', async () => {
    expect(h.config.HASAD_MIN_SCHEDULE_INTERVAL_MS).toBe(3_600_000);
    const created = await call('POST', '/api/v1/sources', { token: tokens.operator, body: { organization: orgSlug, kind: 'dcat', url: 'https://data.equipement.gov.ma/catalog.ttl' } });
    expect(created.status).toBe(201);
    expect(created.body.approvalStatus).toBe('approved');
    const id: string = created.body.id;

    const first = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org });
    expect(first.status).toBe(202);
    // While it is live, asking again answers with it (no refusal: nothing new would start).
    const live = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org });
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ runId: first.body.runId, created: false });

    // It started 10 minutes ago and has just finished: the next may be asked in 50 minutes.
    await finishRun(first.body.runId, 10);
    const again = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org });
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('harvest_too_soon');
    expect(again.body.error.message).toContain('the minimum interval between two harvests of a source is 1 h');
    expect(again.body.error.message).toContain(first.body.runId);
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(50 * 60 - 30);
    expect(retryAfter).toBeLessThanOrEqual(50 * 60);
    const runs = await call('GET', `/api/v1/sources/${id}/runs`, { token: tokens.org });
    expect(runs.body.items).toHaveLength(1);

    // Operators are not held to it.
    const byOperator = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.operator });
    expect(byOperator.status).toBe(202);
    await finishRun(byOperator.body.runId, 0);
    expect((await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org })).status).toBe(429);

    // Once the interval has passed since the last start, the organisation may ask again.
    await finishRun(byOperator.body.runId, 61);
    await finishRun(first.body.runId, 120);
    const later = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org });
    expect(later.status).toBe(202);
    expect(later.body.created).toBe(true);
  });
});

describe('what sends a source back to review', () => {
  it('a change of kind alone puts an approved source back to pending', async () => {
    const created = await call('POST', '/api/v1/sources', { token: tokens.org, body: { kind: 'dcat', url: 'https://data.equipement.gov.ma/api/3/action/package_search' } });
    expect(created.status).toBe(201);
    expect(created.body.approvalStatus).toBe('pending');
    const id: string = created.body.id;
    const approved = await call('POST', `/api/v1/sources/${id}/approve`, { token: tokens.operator, body: {} });
    expect(approved.body.approvalStatus).toBe('approved');

    const changed = await call('PATCH', `/api/v1/sources/${id}`, { token: tokens.org, body: { kind: 'ckan' } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ kind: 'ckan', url: 'https://data.equipement.gov.ma/api/3/action/package_search', approvalStatus: 'pending' });
    const harvest = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.org });
    expect(harvest.status).toBe(409);
    expect(harvest.body.error.code).toBe('not_approved');
  });
});
