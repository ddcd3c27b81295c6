import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '@hasad/db';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from './test-harness.ts';

let h: ApiHarness;
let s: Seeded;
/** Sources and runs are read with a token (an operator's sees them all; see access.int.test.ts for the rules). */
let operatorToken: string;

beforeAll(async () => {
  h = await startApiHarness();
  s = await seedCatalogue(h.db, 0);
  operatorToken = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'runs-test' })).token;
});

afterAll(async () => {
  await h?.close();
});

async function get(url: string) {
  const res = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${operatorToken}` } });
  return { status: res.statusCode, body: res.json(), raw: res.body };
}

describe('GET /api/v1/sources', () => {
  it('lists sources with their organisation and a summary of their latest run', async () => {
    const { status, body } = await get('/api/v1/sources');
    expect(status).toBe(200);
    expect(body.items).toEqual([
      {
        id: s.source.hcp,
        organization: 'hcp',
        kind: 'dcat',
        url: 'https://harvester:***@data.hcp.ma/catalog.ttl',
        title: 'Catalogue du HCP',
        schedule: '0 3 * * *',
        timezone: 'Africa/Casablanca',
        enabled: true,
        approvalStatus: 'approved',
        reviewedBy: null,
        reviewedAt: null,
        reviewComment: null,
        createdAt: '2025-03-01T08:00:00.000Z',
        updatedAt: expect.any(String),
        // The config is shown so a reviewer sees where a source connects; credential-like keys masked.
        config: { headers: { authorization: '••••••' } },
        lastRun: {
          id: s.run.hcpLatest,
          status: 'needs_review',
          createdAt: '2025-03-01T09:40:00.000Z',
          finishedAt: '2025-03-01T09:41:30.000Z',
          errorCode: null,
          seen: 10,
          created: 1,
          updated: 2,
          unchanged: 5,
          withdrawn: 0,
          invalid: 2,
        },
      },
      expect.objectContaining({
        id: s.source.onee,
        organization: 'onee',
        kind: 'ckan',
        title: null,
        schedule: null,
        enabled: false,
        lastRun: expect.objectContaining({ id: s.run.oneeFailed, status: 'failed', errorCode: 'fetch_status' }),
      }),
    ]);
  });

  it("never shows a source's credentials: neither the secrets in its config nor the password in its URL", async () => {
    const { raw, body } = await get('/api/v1/sources');
    expect(raw).not.toContain('s3cr3t-pass');
    expect(raw).not.toContain('top-secret-token');
    const hcp = body.items.find((i: { id: string }) => i.id === s.source.hcp);
    expect(hcp.config.headers.authorization).toBe('••••••');
  });

  it('shows one source by id', async () => {
    const { status, body } = await get(`/api/v1/sources/${s.source.onee}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: s.source.onee, url: 'https://open.onee.ma/api/3/action/package_search', lastRun: { id: s.run.oneeFailed } });
  });

  it('answers 404 for an unknown source and 400 for an id that is not a uuid', async () => {
    const missing = await get('/api/v1/sources/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'no source "00000000-0000-4000-8000-000000000000"' } });
    const bad = await get('/api/v1/sources/hcp');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'invalid_parameter', message: 'params parameter "id" must match format "uuid"' });
  });
});

describe('GET /api/v1/runs', () => {
  it('lists runs newest first with their counts, pages, bytes, status and timings', async () => {
    const { status, body } = await get('/api/v1/runs');
    expect(status).toBe(200);
    expect(body.items.map((r: { id: string }) => r.id)).toEqual([s.run.hcpLatest, s.run.oneeFailed, s.run.hcpOld]);
    expect(body.items[0]).toEqual({
      id: s.run.hcpLatest,
      sourceId: s.source.hcp,
      status: 'needs_review',
      trigger: 'manual',
      attempts: 0,
      seen: 10,
      created: 1,
      updated: 2,
      unchanged: 5,
      withdrawn: 0,
      invalid: 2,
      pendingWithdrawals: 7,
      error: null,
      errorCode: null,
      pagesTotal: 3,
      pagesFetched: 3,
      pagesNotModified: 1,
      bytes: 51200,
      details: { review: { reason: 'threshold', message: '7 of 20 active datasets (35.0 %) would be withdrawn, above the 20 % threshold' } },
      createdAt: '2025-03-01T09:40:00.000Z',
      startedAt: '2025-03-01T09:40:00.000Z',
      finishedAt: '2025-03-01T09:41:30.000Z',
      heartbeatAt: '2025-03-01T09:41:30.000Z',
      durationMs: 90_000,
    });
    expect(body.items[1]).toMatchObject({
      status: 'failed',
      errorCode: 'fetch_status',
      error: 'GET https://open.onee.ma/api/3/action/package_search answered HTTP 503',
      durationMs: 15_000,
    });
  });

  it("filters by source and pages with limit and offset", async () => {
    const hcp = await get(`/api/v1/runs?source=${s.source.hcp}`);
    expect(hcp.body.items.map((r: { id: string }) => r.id)).toEqual([s.run.hcpLatest, s.run.hcpOld]);
    const second = await get('/api/v1/runs?limit=1&offset=1');
    expect(second.body).toMatchObject({ limit: 1, offset: 1 });
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([s.run.oneeFailed]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['offset=-1', 'offset'],
    ['source=hcp', 'source'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    const { status, body } = await get(`/api/v1/runs?${query}`);
    expect(status).toBe(400);
    expect(body.error.message).toContain(`"${param}"`);
  });
});

describe('GET /api/v1/runs/:id', () => {
  it('shows the run with its problems, first page by default', async () => {
    const { status, body } = await get(`/api/v1/runs/${s.run.hcpLatest}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: s.run.hcpLatest, status: 'needs_review', invalid: 2 });
    expect(body.problems.total).toBe(5);
    expect(body.problems.items).toHaveLength(5);
    expect(body.problems.items[0]).toEqual({
      severity: 'error',
      code: 'missing_title',
      message: 'dataset has no dct:title',
      text: 'Le jeu de données n’a pas de titre : il n’est pas publié. Donnez un titre à chaque jeu (dct:title ou la colonne du titre).',
      identifier: 'hcp-ds-101',
      field: 'title',
      pageNo: 1,
    });
  });

  it('words problems and the review reason in the language of Accept-Language', async () => {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/runs/${s.run.hcpLatest}`, headers: { authorization: `Bearer ${operatorToken}`, 'accept-language': 'ar-MA, en;q=0.5' } });
    expect(res.headers['content-language']).toBe('ar');
    expect(res.headers.vary).toContain('Accept-Language');
    const body = res.json();
    expect(body.problems.items[0].text).toBe('مجموعة البيانات بلا عنوان فلم تنشر. أعطوا كل مجموعة عنوانا (dct:title أو عمود العنوان).');
    expect(body.reviewText).toBe('سيتم سحب 7 مجموعات بيانات، أي فوق عتبة السحب الخاصة بالمصدر.');
    const en = await h.app.inject({ method: 'GET', url: `/api/v1/runs/${s.run.hcpLatest}`, headers: { authorization: `Bearer ${operatorToken}`, 'accept-language': 'de, en;q=0.8' } });
    expect(en.json().reviewText).toBe('7 datasets would be withdrawn, above the source’s withdrawal threshold.');
    // A code that is not in the catalogue (a row older than the code list) is given back as it is.
    expect(en.json().problems.items.find((p: { code: string }) => p.code === 'bad_date').text).toBe('bad_date');
  });

  it('pages the problems with problemsLimit and problemsOffset', async () => {
    const { body } = await get(`/api/v1/runs/${s.run.hcpLatest}?problemsLimit=2&problemsOffset=2`);
    expect(body.problems).toEqual({
      total: 5,
      limit: 2,
      offset: 2,
      items: [
        { severity: 'warning', code: 'bad_date', message: 'dct:issued "2023-13-40" is not a date; dropped', text: 'bad_date', identifier: 'hcp-ds-103', field: 'issued', pageNo: 2 },
        {
          severity: 'error',
          code: 'missing_identifier',
          message: 'dataset has neither dct:identifier nor a URI',
          text: 'Le jeu de données n’a pas d’identifiant stable. Donnez à chaque jeu un identifiant qui ne change pas d’une publication à l’autre.',
          identifier: null,
          field: 'identifier',
          pageNo: 2,
        },
      ],
    });
  });

  it('shows a run without problems with an empty list', async () => {
    const { body } = await get(`/api/v1/runs/${s.run.hcpOld}`);
    expect(body.problems).toEqual({ total: 0, limit: 100, offset: 0, items: [] });
  });

  it('answers 404 for an unknown run and 400 for bad paging', async () => {
    const missing = await get('/api/v1/runs/00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const bad = await get(`/api/v1/runs/${s.run.hcpLatest}?problemsLimit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('"problemsLimit"');
  });
});
