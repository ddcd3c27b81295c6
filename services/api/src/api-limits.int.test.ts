import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HasadConfig } from '@hasad/core';
import { createApiToken, createOrganization } from '@hasad/db';
import { buildApp } from './app.ts';
import { httpCall, startApiHarness, type ApiHarness, type HttpAnswer } from './test-harness.ts';

// Limits of the API with real HTTP requests against a listening API, on real PostgreSQL and
// Redis: rate limits per address for requests with tokens, the minimum interval for "harvest
// now", and what sends a source back to review. No worker runs here: runs are finished by
// hand in the database.

let h: ApiHarness;
let base: string;
const tokens = { org: '', operator: '' };
const orgSlug = 'min-equipement';

const call = (method: string, path: string, opts: { token?: string; body?: unknown; url?: string } = {}): Promise<HttpAnswer> => httpCall(base, method, path, opts);

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

/** Runs `body` against a second API on the same database with other rate limits (its counters start at zero). */
async function withLimits(limits: Partial<HasadConfig>, body: (url: string) => Promise<void>): Promise<void> {
  const app = await buildApp({ ...h.deps, config: { ...h.config, ...limits } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await body(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  } finally {
    await app.close();
  }
}

describe('rate limits per address for requests with a token', () => {
  it('refused tokens count against the address: past its budget, 429 with Retry-After before any lookup, even for a valid token', async () => {
    await withLimits({ HASAD_RATE_LIMIT_PER_MINUTE: 100, HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: 3, HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: 100 }, async (url) => {
      const guesses = ['hsd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'hsd_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'not-even-a-token'];
      for (const guess of guesses) {
        const res = await call('GET', '/api/v1/sources', { url, token: guess });
        expect(res.status, guess).toBe(401);
        expect(res.body.error.code).toBe('invalid_token');
      }
      const over = await call('GET', '/api/v1/sources', { url, token: 'hsd_cccccccccccccccccccccccccccccccccccccccccccc' });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('rate_limited');
      expect(over.body.error.message).toContain('too many refused API tokens from this address: at most 3 a minute');
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // The address is held back whatever token it sends next, before the token is looked up:
      // with the tokens table out of the way, a lookup would fail with 500.
      await h.pool.query('ALTER TABLE api_tokens RENAME TO api_tokens_away');
      try {
        const valid = await call('GET', '/api/v1/sources', { url, token: tokens.org });
        expect(valid.status).toBe(429);
        expect(valid.headers.get('retry-after')).toMatch(/^\d+$/);
      } finally {
        await h.pool.query('ALTER TABLE api_tokens_away RENAME TO api_tokens');
      }
      // Health probes are never limited.
      expect((await call('GET', '/healthz', { url })).status).toBe(200);
    });
  });

  it('one address cycling through many valid tokens is limited per address, whichever token it sends', async () => {
    const org = await createOrganization(h.deps.db, { slug: 'many-tokens', name: 'Agence aux nombreux jetons' });
    const many = await Promise.all(Array.from({ length: 6 }, async () => (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token));
    await withLimits({ HASAD_RATE_LIMIT_PER_MINUTE: 100, HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: 100, HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: 5 }, async (url) => {
      for (const t of many.slice(0, 5)) expect((await call('GET', '/api/v1/sources', { url, token: t })).status).toBe(200);
      const over = await call('GET', '/api/v1/sources', { url, token: many[5] });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('rate_limited');
      expect(over.body.error.message).toContain('at most 5 a minute with API tokens from this address');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      // Reading the public catalogue without a token has its own budget.
      expect((await call('GET', '/api/v1/datasets', { url })).status).toBe(200);
    });
  });

  it('a valid token still has its own budget under the address’s', async () => {
    await withLimits({ HASAD_RATE_LIMIT_PER_MINUTE: 2, HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: 100, HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: 100 }, async (url) => {
      for (let i = 0; i < 2; i++) expect((await call('GET', '/api/v1/sources', { url, token: tokens.org })).status).toBe(200);
      const over = await call('GET', '/api/v1/sources', { url, token: tokens.org });
      expect(over.status).toBe(429);
      expect(over.body.error.message).toContain('at most 2 a minute for this token');
      expect((await call('GET', '/api/v1/sources', { url, token: tokens.operator })).status).toBe(200);
    });
  });
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
