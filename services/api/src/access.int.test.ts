import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@hasad/core';
import { createApiToken, createOrganization, createRun, revokeApiToken } from '@hasad/db';
import { jobIds } from '@hasad/queues';
import { reconcileSchedules, type SchedulerDeps } from '@hasad/scheduler';
import { datasetIdentifier, FeedServer, mountCatalog } from '@hasad/testkit';
import { buildApp } from './app.ts';
import { httpCall, startApiHarness, type ApiHarness, type HttpAnswer } from './test-harness.ts';

// Every access rule of issue 4 with real HTTP requests against a listening API, on a real
// PostgreSQL database and real Redis. The feeds previewed are served on loopback.

let h: ApiHarness;
let base: string;
let feeds: FeedServer;
const logLines: string[] = [];
/** Every response body and header block seen, to prove no token ever comes back. */
const responses: string[] = [];

const tokens = { a: '', b: '', operator: '', revoked: '', expired: '' };
const org = { a: { id: '', slug: 'min-eau' }, b: { id: '', slug: 'onee' } };
let sourceB: string;
let runB: string;

const call = (method: string, path: string, opts: { token?: string; body?: unknown; url?: string } = {}): Promise<HttpAnswer> =>
  httpCall(base, method, path, { ...opts, onResponse: (text, headers) => responses.push(text, JSON.stringify([...headers])) });

function schedulerDeps(): SchedulerDeps {
  return { db: h.db, queues: h.deps.queues, config: h.config, log: h.deps.log };
}

async function scheduledSourceIds(): Promise<string[]> {
  await reconcileSchedules(schedulerDeps());
  const all = await h.deps.queues.harvest.getJobSchedulers(0, -1);
  return all.map((s) => s.key.replace(/^source-/, ''));
}

beforeAll(async () => {
  const log = createLogger('api-access-test', 'trace', { write: (line: string) => void logLines.push(line) });
  h = await startApiHarness({ env: { HASAD_ALLOW_PRIVATE_HOSTS: '1' }, log });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  feeds = await FeedServer.start();

  const db = h.deps.db;
  org.a.id = (await createOrganization(db, { slug: org.a.slug, name: "Ministère de l'Eau" })).id;
  org.b.id = (await createOrganization(db, { slug: org.b.slug, name: "Office National de l'Électricité" })).id;
  tokens.a = (await createApiToken(db, { role: 'organization', organizationId: org.a.id })).token;
  tokens.b = (await createApiToken(db, { role: 'organization', organizationId: org.b.id })).token;
  tokens.operator = (await createApiToken(db, { role: 'operator', operatorName: 'Salma (ops)' })).token;
  const revoked = await createApiToken(db, { role: 'organization', organizationId: org.a.id });
  await revokeApiToken(db, revoked.info.id);
  tokens.revoked = revoked.token;
  tokens.expired = (await createApiToken(db, { role: 'organization', organizationId: org.a.id }, { expiresAt: new Date(Date.now() - 1000) })).token;

  // Organisation B's source, approved by an operator, with one finished run.
  const created = await call('POST', '/api/v1/sources', { token: tokens.operator, body: { organization: org.b.slug, kind: 'dcat', url: 'https://open.onee.ma/catalog.ttl', title: 'ONEE' } });
  expect(created.status).toBe(201);
  sourceB = created.body.id;
  runB = (await createRun(db, sourceB, 'manual')).id;
  await h.pool.query(`UPDATE runs SET status = 'succeeded', finished_at = now() WHERE id = $1`, [runB]);
});

afterAll(async () => {
  await feeds?.close();
  await h?.close();
});

describe('tokens', () => {
  it('anonymous writes are refused with 401 and say how to authenticate; nothing is written', async () => {
    const id = sourceB;
    const writes: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/sources', { kind: 'dcat', url: 'https://example.org/c.ttl' }],
      ['PATCH', `/api/v1/sources/${id}`, { title: 'x' }],
      ['DELETE', `/api/v1/sources/${id}?confirm=true`],
      ['POST', `/api/v1/sources/${id}/harvest`],
      ['POST', `/api/v1/sources/${id}/approve`, {}],
      ['POST', `/api/v1/sources/${id}/reject`, { comment: 'no' }],
      ['POST', '/api/v1/preview', { kind: 'dcat', url: 'https://example.org/c.ttl' }],
      ['PATCH', `/api/v1/organizations/${org.a.slug}`, { trusted: true }],
    ];
    for (const [method, path, body] of writes) {
      const res = await call(method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(res.body.error.message).toContain('Authorization: Bearer hsd_');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM sources');
    expect(rows[0].n).toBe(1);
  });

  it('sources and runs need a token; the public catalogue does not', async () => {
    for (const path of ['/api/v1/sources', `/api/v1/sources/${sourceB}`, '/api/v1/runs', `/api/v1/runs/${runB}`, `/api/v1/sources/${sourceB}/runs`]) {
      expect((await call('GET', path)).status, path).toBe(401);
    }
    for (const path of ['/api/v1/datasets', '/api/v1/organizations', '/healthz']) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
  });

  it('revoked, expired, unknown and malformed tokens are refused with 401 saying which', async () => {
    const revoked = await call('POST', '/api/v1/sources', { token: tokens.revoked, body: { kind: 'dcat', url: 'https://example.org/c.ttl' } });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('token_revoked');
    expect(revoked.body.error.message).toMatch(/^the API token hsd_.{8}… was revoked on \d{4}-/);
    const expired = await call('GET', '/api/v1/sources', { token: tokens.expired });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('token_expired');
    expect(expired.body.error.message).toContain('expired on');
    // Even on a public read: a client using a dead token learns it at once.
    expect((await call('GET', '/api/v1/datasets', { token: tokens.revoked })).body.error.code).toBe('token_revoked');
    const unknown = await call('GET', '/api/v1/sources', { token: `hsd_${'A'.repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_token');
    const res = await fetch(`${base}/api/v1/sources`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
  });

  it("a token's last use is recorded", async () => {
    await call('GET', '/api/v1/sources', { token: tokens.b });
    const { rows } = await h.pool.query(`SELECT last_used_at FROM api_tokens WHERE organization_id = $1 AND revoked_at IS NULL AND expires_at IS NULL`, [org.b.id]);
    // Recorded without blocking the request: give the write a moment.
    for (let i = 0; i < 50 && !rows[0]?.last_used_at; i++) {
      await new Promise((r) => setTimeout(r, 20));
      rows.splice(0, rows.length, ...(await h.pool.query(`SELECT last_used_at FROM api_tokens WHERE organization_id = $1 AND revoked_at IS NULL AND expires_at IS NULL`, [org.b.id])).rows);
    }
    expect(rows[0].last_used_at).toBeInstanceOf(Date);
  });
});

describe("organisation A and organisation B's sources and runs", () => {
  const missing = '00000000-0000-4000-8000-000000000000';
  const notFoundSource = (id: string) => ({ error: { code: 'not_found', message: `no source "${id}"` } });
  const notFoundRun = (id: string) => ({ error: { code: 'not_found', message: `no run "${id}"` } });

  it("A cannot read, change, harvest or delete B's source: 404, exactly as for a source that does not exist", async () => {
    const attempts = (id: string): Array<[string, string, unknown?]> => [
      ['GET', `/api/v1/sources/${id}`],
      ['PATCH', `/api/v1/sources/${id}`, { title: 'pris par A' }],
      ['PATCH', `/api/v1/sources/${id}`, { url: 'https://evil.example/feed.ttl' }],
      ['POST', `/api/v1/sources/${id}/harvest`],
      ['DELETE', `/api/v1/sources/${id}`],
      ['DELETE', `/api/v1/sources/${id}?confirm=true`],
      ['GET', `/api/v1/sources/${id}/runs`],
      ['GET', `/api/v1/runs?source=${id}`],
    ];
    for (const [method, path, body] of attempts(sourceB)) {
      const res = await call(method, path, { token: tokens.a, body });
      const ref = await call(method, path.replace(sourceB, missing), { token: tokens.a, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body, `${method} ${path}`).toEqual(notFoundSource(sourceB));
      expect(ref.body).toEqual(notFoundSource(missing));
    }
    // Nothing changed and no run was queued.
    const b = await call('GET', `/api/v1/sources/${sourceB}`, { token: tokens.b });
    expect(b.body).toMatchObject({ title: 'ONEE', url: 'https://open.onee.ma/catalog.ttl', approvalStatus: 'approved' });
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM runs WHERE source_id = $1', [sourceB]);
    expect(rows[0].n).toBe(1);
  });

  it("A cannot read B's runs, and listings show A only its own", async () => {
    const res = await call('GET', `/api/v1/runs/${runB}`, { token: tokens.a });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(notFoundRun(runB));
    expect((await call('GET', `/api/v1/runs/${missing}`, { token: tokens.a })).body).toEqual(notFoundRun(missing));
    expect((await call('GET', '/api/v1/runs', { token: tokens.a })).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/sources', { token: tokens.a })).body.items.map((s: { id: string }) => s.id)).not.toContain(sourceB);
    // B and the operators see them.
    expect((await call('GET', `/api/v1/runs/${runB}`, { token: tokens.b })).body).toMatchObject({ id: runB, status: 'succeeded', problems: { total: 0 } });
    expect((await call('GET', `/api/v1/sources/${sourceB}/runs`, { token: tokens.operator })).body.items.map((r: { id: string }) => r.id)).toEqual([runB]);
    expect((await call('GET', '/api/v1/sources', { token: tokens.operator })).body.items.map((s: { id: string }) => s.id)).toContain(sourceB);
  });

  it('an organisation token cannot use operator routes (403, whatever the source), nor register for another organisation', async () => {
    for (const path of [`/api/v1/sources/${sourceB}/approve`, `/api/v1/sources/${missing}/approve`]) {
      const res = await call('POST', path, { token: tokens.a, body: {} });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('operator_only');
    }
    expect((await call('PATCH', `/api/v1/organizations/${org.a.slug}`, { token: tokens.a, body: { trusted: true } })).status).toBe(403);
    const other = await call('POST', '/api/v1/sources', { token: tokens.a, body: { organization: org.b.slug, kind: 'dcat', url: 'https://example.org/c.ttl' } });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toContain('"organization"');
  });
});

describe('registration and review', () => {
  let id: string;

  it('a source registered by an organisation starts pending and is not scheduled', async () => {
    const res = await call('POST', '/api/v1/sources', {
      token: tokens.a,
      body: { kind: 'dcat', url: 'https://data.eau.gov.ma/catalog.ttl', title: 'Catalogue de l’eau', schedule: 'daily', config: { format: 'turtle' } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ organization: org.a.slug, kind: 'dcat', schedule: 'daily', timezone: 'Africa/Casablanca', approvalStatus: 'pending', reviewedBy: null, lastRun: null });
    id = res.body.id;
    expect(await scheduledSourceIds()).not.toContain(id);
    const harvest = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.a });
    expect(harvest.status).toBe(409);
    expect(harvest.body.error.code).toBe('not_approved');
    expect(harvest.body.error.message).toContain('preview');
  });

  it('an operator approves it with a comment, recorded with who and when; it is then scheduled and can be harvested', async () => {
    const res = await call('POST', `/api/v1/sources/${id}/approve`, { token: tokens.operator, body: { comment: 'feed checked' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ approvalStatus: 'approved', reviewedBy: 'Salma (ops)', reviewComment: 'feed checked' });
    expect(Date.now() - Date.parse(res.body.reviewedAt)).toBeLessThan(60_000);
    expect(await scheduledSourceIds()).toContain(id);

    const first = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.a });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ sourceId: id, status: 'queued', created: true });
    const job = await h.deps.queues.harvest.getJob(jobIds.run(first.body.runId));
    expect(job?.data).toEqual({ sourceId: id, runId: first.body.runId, trigger: 'manual' });
    // No worker runs here: the run is still live, so a second request answers with it.
    const second = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.a });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ runId: first.body.runId, created: false });
    const runs = await call('GET', `/api/v1/sources/${id}/runs`, { token: tokens.a });
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([first.body.runId]);
    const run = await call('GET', `/api/v1/runs/${first.body.runId}`, { token: tokens.a });
    expect(run.body).toMatchObject({ id: first.body.runId, sourceId: id, status: 'queued', trigger: 'manual' });

    // Deleting while that run is live is refused.
    const del = await call('DELETE', `/api/v1/sources/${id}?confirm=true`, { token: tokens.a });
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('run_active');
    await h.pool.query(`UPDATE runs SET status = 'cancelled', finished_at = now() WHERE id = $1`, [first.body.runId]);
  });

  it('changing its URL puts it back to pending and unschedules it; a title change does not', async () => {
    const title = await call('PATCH', `/api/v1/sources/${id}`, { token: tokens.a, body: { title: 'Eau potable' } });
    expect(title.body).toMatchObject({ title: 'Eau potable', approvalStatus: 'approved' });
    const moved = await call('PATCH', `/api/v1/sources/${id}`, { token: tokens.a, body: { url: 'https://data.eau.gov.ma/v2/catalog.ttl' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ url: 'https://data.eau.gov.ma/v2/catalog.ttl', approvalStatus: 'pending' });
    expect(await scheduledSourceIds()).not.toContain(id);
  });

  it('an operator rejects it, with a comment (required); a rejected source is neither scheduled nor harvested', async () => {
    const noComment = await call('POST', `/api/v1/sources/${id}/reject`, { token: tokens.operator, body: {} });
    expect(noComment.status).toBe(400);
    expect(noComment.body.error.message).toContain('"comment"');
    const res = await call('POST', `/api/v1/sources/${id}/reject`, { token: tokens.operator, body: { comment: 'this URL answers 404' } });
    expect(res.body).toMatchObject({ approvalStatus: 'rejected', reviewedBy: 'Salma (ops)', reviewComment: 'this URL answers 404' });
    expect(await scheduledSourceIds()).not.toContain(id);
    const harvest = await call('POST', `/api/v1/sources/${id}/harvest`, { token: tokens.a });
    expect(harvest.status).toBe(409);
    expect(harvest.body.error.message).toContain('this URL answers 404');
    // Fixing it asks for a new review.
    const fixed = await call('PATCH', `/api/v1/sources/${id}`, { token: tokens.a, body: { config: {} } });
    expect(fixed.body.approvalStatus).toBe('pending');
  });

  it('sources of a trusted organisation are approved at once', async () => {
    const trust = await call('PATCH', `/api/v1/organizations/${org.b.slug}`, { token: tokens.operator, body: { trusted: true } });
    expect(trust.status).toBe(200);
    expect(trust.body).toMatchObject({ slug: org.b.slug, trusted: true });
    const res = await call('POST', '/api/v1/sources', { token: tokens.b, body: { kind: 'dcat', url: 'https://open.onee.ma/v2/catalog.ttl', schedule: 'weekly' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ approvalStatus: 'approved', reviewComment: 'approved automatically: the organisation is trusted' });
    expect(await scheduledSourceIds()).toContain(res.body.id);
    // A URL change stays approved too.
    const moved = await call('PATCH', `/api/v1/sources/${res.body.id}`, { token: tokens.b, body: { url: 'https://open.onee.ma/v3/catalog.ttl' } });
    expect(moved.body.approvalStatus).toBe('approved');
    expect((await call('PATCH', '/api/v1/organizations/nobody', { token: tokens.operator, body: { trusted: true } })).status).toBe(404);
  });

  it.each([
    ['*/5 * * * *', '5 min'],
    ['0,30 9 * * *', '30 min'],
    ['30m', '30 min'],
    ['0 */3 * * * *', '3 min'],
  ])('a schedule more frequent than the minimum interval (%s) is refused with 400 naming it', async (schedule, every) => {
    const res = await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://example.org/c.ttl', schedule } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_schedule');
    expect(res.body.error.message).toContain('body parameter "schedule"');
    expect(res.body.error.message).toContain(`every ${every}`);
    expect(res.body.error.message).toContain('HASAD_MIN_SCHEDULE_INTERVAL_MS');
  });

  it('hourly schedules, cron expressions one hour apart and monthly are accepted; bad input is refused naming the parameter', async () => {
    for (const schedule of ['hourly', '0 9,10 * * *', 'monthly', '6h']) {
      const res = await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://example.org/c.ttl', schedule } });
      expect(res.status, schedule).toBe(201);
    }
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ kind: 'dcat', url: 'ftp://example.org/c.ttl' }, 'url', 'invalid_parameter'],
      [{ kind: 'dcat', url: 'https://example.org/c.ttl', config: { format: 'excel' } }, 'config', 'invalid_config'],
      [{ kind: 'dcat', url: 'https://example.org/c.ttl', schedule: 'daily', timezone: 'Mars/Olympus' }, 'timezone', 'invalid_parameter'],
      [{ kind: 'dcat', url: 'https://example.org/c.ttl', schedule: 'every tuesday' }, 'schedule', 'invalid_schedule'],
      [{ kind: 'rss', url: 'https://example.org/c.ttl' }, 'kind', 'invalid_parameter'],
    ];
    for (const [body, param, code] of cases) {
      const res = await call('POST', '/api/v1/sources', { token: tokens.a, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toContain(`"${param}"`);
    }
    expect((await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://example.org/c.ttl', config: { format: 'excel' } } })).body.error.message).toContain('format');
    // A mistyped property is refused rather than silently dropped (a source without its schedule).
    const typo = await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://example.org/c.ttl', shedule: 'daily' } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toMatch(/^body parameter "shedule": unknown property; known: kind, url, title, config, schedule, timezone, enabled, organization$/);
  });

  it('an operator may approve without a body, as `curl -X POST` sends none', async () => {
    const created = await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://data.eau.gov.ma/nappes.ttl' } });
    const res = await call('POST', `/api/v1/sources/${created.body.id}/approve`, { token: tokens.operator });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ approvalStatus: 'approved', reviewedBy: 'Salma (ops)', reviewComment: null });
  });
});

describe('DELETE /api/v1/sources/:id', () => {
  it('without ?confirm=true answers 409 saying what it would withdraw; with it, withdraws the datasets and hides the source', async () => {
    const created = await call('POST', '/api/v1/sources', { token: tokens.a, body: { kind: 'dcat', url: 'https://data.eau.gov.ma/barrages.ttl' } });
    const id = created.body.id as string;
    const runId = randomUUID();
    for (const ident of ['barrage-1', 'barrage-2', 'barrage-3']) {
      await h.pool.query(
        `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, created_run, changed_run)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, md5($5::text), $6, $6)`,
        [id, org.a.id, ident, JSON.stringify({ fr: `Barrage ${ident}` }), JSON.stringify({ identifier: ident, title: { fr: `Barrage ${ident}` } }), runId],
      );
    }
    const unconfirmed = await call('DELETE', `/api/v1/sources/${id}`, { token: tokens.a });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.error).toEqual({
      code: 'confirmation_required',
      message: `deleting source ${id} withdraws its 3 active datasets from the catalogue and stops its harvests; repeat the request with ?confirm=true to delete it`,
    });
    expect((await call('GET', `/api/v1/datasets?source=${id}`)).body.total).toBe(3);

    const confirmed = await call('DELETE', `/api/v1/sources/${id}?confirm=true`, { token: tokens.a });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ id, deleted: true, withdrawn: 3 });
    // Withdrawn, not erased: the catalogue's default listing no longer shows them.
    expect((await call('GET', `/api/v1/datasets?source=${id}`)).body.total).toBe(0);
    const all = await call('GET', `/api/v1/datasets?source=${id}&status=all`);
    expect(all.body.items.map((d: { status: string }) => d.status)).toEqual(['withdrawn', 'withdrawn', 'withdrawn']);
    const changes = await h.pool.query(`SELECT kind FROM dataset_changes WHERE source_id = $1`, [id]);
    expect(changes.rows.map((r) => r.kind)).toEqual(['withdrawn', 'withdrawn', 'withdrawn']);
    expect((await call('GET', `/api/v1/sources/${id}`, { token: tokens.a })).status).toBe(404);
    expect((await call('GET', '/api/v1/sources', { token: tokens.operator })).body.items.map((s: { id: string }) => s.id)).not.toContain(id);
    expect(await scheduledSourceIds()).not.toContain(id);
    expect((await call('DELETE', `/api/v1/sources/${id}?confirm=true`, { token: tokens.a })).status).toBe(404);
  });
});

describe('POST /api/v1/preview', () => {
  it('fetches and normalises the first records of a loopback feed without writing anything', async () => {
    const ctl = mountCatalog(feeds, '/preview', { datasets: 12, pageSize: 5 });
    const before = await h.pool.query(`SELECT (SELECT count(*) FROM datasets)::int AS d, (SELECT count(*) FROM runs)::int AS r, (SELECT count(*) FROM sources)::int AS s`);
    const started = Date.now();
    const res = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: ctl.url, limit: 7 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.body.records).toHaveLength(7);
    expect(res.body.pages).toBe(2);
    expect(res.body.records[0]).toMatchObject({ identifier: datasetIdentifier(0), title: { fr: expect.any(String), ar: expect.any(String) } });
    expect(res.body.problems).toEqual(expect.any(Array));
    const after = await h.pool.query(`SELECT (SELECT count(*) FROM datasets)::int AS d, (SELECT count(*) FROM runs)::int AS r, (SELECT count(*) FROM sources)::int AS s`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    const dflt = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: ctl.url } });
    expect(dflt.body.records).toHaveLength(12);
  });

  it('a later page that fails: 200 with the records of page 1, then the error of page 2 with its position', async () => {
    const page1 = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://x.example/ds/1> a dcat:Dataset ; dct:identifier "ds-1" ; dct:title "Barrages"@fr .
<https://x.example/ds/2> a dcat:Dataset ; dct:identifier "ds-2" ; dct:title "Nappes"@fr .
<${feeds.url}/later/p1.ttl> a hydra:PartialCollectionView ; hydra:next <${feeds.url}/later/p2.ttl> .`;
    feeds.route('/later/p1.ttl', { body: page1, contentType: 'text/turtle' });
    feeds.route('/later/p2.ttl', { body: '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://x.example/ds/3> a dcat:Dataset ;; ]] .\n', contentType: 'text/turtle' });
    const res = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: `${feeds.url}/later/p1.ttl` } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.records.map((r: { identifier: string; title: unknown }) => [r.identifier, r.title])).toEqual([
      ['ds-1', { fr: 'Barrages' }],
      ['ds-2', { fr: 'Nappes' }],
    ]);
    expect(res.body.pages).toBe(2);
    expect(res.body.error).toEqual({ code: 'parse_error', pageNo: 2, message: expect.stringMatching(/^could not parse Turtle from http:\/\/127\.0\.0\.1:\d+\/later\/p2\.ttl at line 2: /) });
  });

  it('a bad config is a 400 naming the field; a feed that cannot be fetched or parsed is a 422 with the error', async () => {
    const bad = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: `${feeds.url}/preview/catalog?page=1`, config: { format: 'excel' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_config');
    expect(bad.body.error.message).toContain('format');

    const missing = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: `${feeds.url}/nothing-here.ttl` } });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toEqual({ code: 'fetch_status', message: expect.stringContaining('answered HTTP 404') });

    const ftp = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: 'ftp://example.org/c.ttl' } });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error.message).toContain('body parameter "url"');

    feeds.route('/broken.ttl', { body: '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> <b> "unterminated .\n', contentType: 'text/turtle' });
    const broken = await call('POST', '/api/v1/preview', { token: tokens.a, body: { kind: 'dcat', url: `${feeds.url}/broken.ttl` } });
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('parse_error');
    expect(broken.body.error.message).toMatch(/line \d+/);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a token, or an address without one, is over its limit; each token counts apart', async () => {
    const app = await buildApp({ ...h.deps, config: { ...h.config, HASAD_RATE_LIMIT_PER_MINUTE: 3, HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: 2 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      for (let i = 0; i < 3; i++) expect((await call('GET', '/api/v1/sources', { url, token: tokens.a })).status).toBe(200);
      const over = await call('GET', '/api/v1/sources', { url, token: tokens.a });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('rate_limited');
      expect(over.body.error.message).toContain('at most 3 a minute for this token');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      // Another token has its own budget.
      expect((await call('GET', '/api/v1/sources', { url, token: tokens.b })).status).toBe(200);
      // Without a token: per address, with the anonymous limit.
      for (let i = 0; i < 2; i++) expect((await call('GET', '/api/v1/datasets', { url })).status).toBe(200);
      const anon = await call('GET', '/api/v1/organizations', { url });
      expect(anon.status).toBe(429);
      expect(anon.headers.get('retry-after')).toMatch(/^\d+$/);
      // Health probes are never limited.
      for (let i = 0; i < 5; i++) expect((await call('GET', '/healthz', { url })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('OpenAPI', () => {
  it('/openapi.json documents every route with its schemas and the bearer scheme; /docs serves the reference', async () => {
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected: Array<[string, string]> = [
      ['/api/v1/datasets', 'get'],
      ['/api/v1/organizations', 'get'],
      ['/api/v1/organizations/{slug}', 'patch'],
      ['/api/v1/sources', 'get'],
      ['/api/v1/sources', 'post'],
      ['/api/v1/sources/{id}', 'get'],
      ['/api/v1/sources/{id}', 'patch'],
      ['/api/v1/sources/{id}', 'delete'],
      ['/api/v1/sources/{id}/harvest', 'post'],
      ['/api/v1/sources/{id}/runs', 'get'],
      ['/api/v1/sources/{id}/approve', 'post'],
      ['/api/v1/sources/{id}/reject', 'post'],
      ['/api/v1/runs', 'get'],
      ['/api/v1/runs/{id}', 'get'],
      ['/api/v1/preview', 'post'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(Object.keys(op.responses), `${method} ${path}`).not.toHaveLength(0);
    }
    expect(doc.paths['/api/v1/sources'].post.requestBody.content['application/json'].schema.required).toEqual(['kind', 'url']);
    expect(doc.paths['/api/v1/sources'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    // The CKAN-compatible actions document their success envelope.
    expect(doc.paths['/api/3/action/{action}'].get.responses['200'].content['application/json'].schema.required).toEqual(['help', 'success', 'result']);
    const docs = await fetch(`${base}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});

describe('secrecy of tokens', () => {
  it('no token appears in any API response or in the logs, even at trace level', async () => {
    expect(responses.length).toBeGreaterThan(50);
    expect(logLines.length).toBeGreaterThan(50);
    const all = [...responses, ...logLines].join('\n');
    for (const [name, token] of Object.entries(tokens)) {
      expect(all.includes(token), name).toBe(false);
      // Nor the secret part alone.
      expect(all.includes(token.slice(4)), name).toBe(false);
    }
    // The requests were logged, with the Authorization header redacted if it appears at all.
    expect(logLines.some((l) => l.includes('incoming request'))).toBe(true);
    for (const line of logLines) expect(line).not.toMatch(/"authorization":"(?!\[redacted\])/i);
    if (process.env.HASAD_DUMP_TEST_LOGS) (await import('node:fs')).writeFileSync(process.env.HASAD_DUMP_TEST_LOGS, logLines.join(''));
  });
});
