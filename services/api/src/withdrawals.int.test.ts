import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '@hasad/db';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from './test-harness.ts';

// The withdrawals a needs_review run holds back: which datasets (paged), and the owning
// organisation's (or an operator's) decision to confirm or cancel them.

let h: ApiHarness;
let s: Seeded;
let owner: string;
let other: string;
let operator: string;
/** The HCP source's active identifiers, and the one the needs_review run listed. */
let active: string[];
const KEPT = 'hcp-qualite-air';

beforeAll(async () => {
  h = await startApiHarness();
  s = await seedCatalogue(h.db, 0);
  owner = (await createApiToken(h.deps.db, { role: 'organization', organizationId: s.org.hcp })).token;
  other = (await createApiToken(h.deps.db, { role: 'organization', organizationId: s.org.onee })).token;
  operator = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'withdrawals-test' })).token;
  active = (await h.pool.query<{ id: string }>(`SELECT source_identifier AS id FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY 1`, [s.source.hcp])).rows.map((r) => r.id);
  expect(active.length).toBeGreaterThanOrEqual(2);
  expect(active).toContain(KEPT);
  // What the loader would have recorded: the previous run listed every dataset, the latest only one.
  await h.pool.query(`INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count) VALUES ($1, 1, 0, $2, $3), ($4, 1, 0, $5, 1)`, [
    s.run.hcpOld,
    active,
    active.length,
    s.run.hcpLatest,
    [KEPT],
  ]);
});

afterAll(async () => {
  await h?.close();
});

const call = (method: 'GET' | 'POST', url: string, token?: string) =>
  h.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => ({ status: r.statusCode, body: r.json() }));

const needsReview = () => h.pool.query(`UPDATE runs SET status = 'needs_review', pending_withdrawals = $2, withdrawn = 0 WHERE id = $1`, [s.run.hcpLatest, active.length - 1]);

describe('GET /api/v1/runs/:id/pending-withdrawals', () => {
  it('lists, for the owning organisation, the datasets the run would withdraw: title, identifier, last seen', async () => {
    const { status, body } = await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals`, owner);
    expect(status).toBe(200);
    const pending = active.filter((i) => i !== KEPT);
    expect(body).toMatchObject({ runId: s.run.hcpLatest, total: pending.length, limit: 50, offset: 0 });
    expect(body.items.map((i: { identifier: string }) => i.identifier)).toEqual(pending);
    const finishedOld = (await h.pool.query<{ f: Date }>('SELECT finished_at AS f FROM runs WHERE id = $1', [s.run.hcpOld])).rows[0]!.f;
    for (const item of body.items) {
      expect(item.lastSeenAt).toBe(finishedOld.toISOString());
      expect(Object.keys(item.title).length).toBeGreaterThan(0);
      expect(item.datasetId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('pages the list', async () => {
    const pending = active.filter((i) => i !== KEPT);
    const first = await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals?limit=1&offset=0`, owner);
    expect(first.body).toMatchObject({ total: pending.length, limit: 1, offset: 0 });
    expect(first.body.items.map((i: { identifier: string }) => i.identifier)).toEqual(pending.slice(0, 1));
    // Past the end: no item, the total all the same.
    const past = await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals?limit=5&offset=${pending.length}`, owner);
    expect(past.body).toMatchObject({ total: pending.length, items: [] });
    expect((await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals?limit=500`, owner)).status).toBe(400);
  });

  it('is for the owner and operators only: another organisation gets 404, no token 401', async () => {
    expect((await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals`, operator)).status).toBe(200);
    const foreign = await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals`, other);
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals`)).status).toBe(401);
    expect((await call('GET', `/api/v1/runs/${s.run.hcpOld}/pending-withdrawals`, owner)).body.error.code).toBe('not_waiting_for_review');
  });
});

describe('POST /api/v1/runs/:id/confirm and /cancel by the owner', () => {
  it('refuses another organisation (404) and changes nothing', async () => {
    for (const action of ['confirm', 'cancel']) {
      const res = await call('POST', `/api/v1/runs/${s.run.hcpLatest}/${action}`, other);
      expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    }
    expect((await h.pool.query('SELECT status FROM runs WHERE id = $1', [s.run.hcpLatest])).rows[0].status).toBe('needs_review');
  });

  it('cancel keeps every dataset; a second decision is refused with 409', async () => {
    const res = await call('POST', `/api/v1/runs/${s.run.hcpLatest}/cancel`, owner);
    expect(res).toEqual({ status: 200, body: { runId: s.run.hcpLatest, status: 'succeeded', withdrawn: 0 } });
    const still = await h.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND status = 'active'`, [s.source.hcp]);
    expect(still.rows[0].n).toBe(active.length);
    const again = await call('POST', `/api/v1/runs/${s.run.hcpLatest}/confirm`, owner);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'not_waiting_for_review' } } });
    expect(again.body.error.message).toContain('is succeeded, not needs_review');
  });

  it('confirm withdraws exactly the listed datasets', async () => {
    await needsReview();
    const listed = (await call('GET', `/api/v1/runs/${s.run.hcpLatest}/pending-withdrawals`, owner)).body.items.map((i: { identifier: string }) => i.identifier);
    const res = await call('POST', `/api/v1/runs/${s.run.hcpLatest}/confirm`, owner);
    expect(res).toEqual({ status: 200, body: { runId: s.run.hcpLatest, status: 'succeeded', withdrawn: listed.length } });
    const rows = await h.pool.query<{ id: string; status: string }>(`SELECT source_identifier AS id, status FROM datasets WHERE source_id = $1 AND source_identifier = ANY($2)`, [s.source.hcp, active]);
    expect(rows.rows.filter((r) => r.status === 'withdrawn').map((r) => r.id).sort()).toEqual(listed);
    expect(rows.rows.find((r) => r.id === KEPT)?.status).toBe('active');
  });
});
