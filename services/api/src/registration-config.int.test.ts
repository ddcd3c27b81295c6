import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization } from '@hasad/db';
import { soapDatasetServiceConfig } from '@hasad/testkit';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Issue 3: "a wrong config is refused at registration with a message that names the field, not
// discovered at 3 a.m." One bad config per kind, at POST and at PATCH, against the real API on a
// real PostgreSQL database and real Redis. Nothing is fetched: validation comes first.

let h: ApiHarness;
let token = '';

async function call(method: 'POST' | 'PATCH' | 'GET', url: string, body?: unknown) {
  const res = await h.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
  return { status: res.statusCode, body: res.json() };
}

/** One bad config per kind, the field its refusal must name, and a good config of the kind. */
const KINDS: Array<{ kind: string; url: string; bad: Record<string, unknown>; field: string; good: Record<string, unknown> }> = [
  { kind: 'dcat', url: 'https://data.example.ma/catalog.ttl', bad: { format: 'excel' }, field: 'format', good: { format: 'turtle' } },
  { kind: 'csv', url: 'https://data.example.ma/inventaire.csv', bad: { mapping: { titel: 'Titre' } }, field: 'mapping: unknown field "titel"', good: { delimiter: ';', mapping: { 'title.fr': 'Titre' } } },
  {
    kind: 'soap',
    url: 'https://data.example.ma/services/catalogue',
    bad: { ...soapDatasetServiceConfig(), recordPath: undefined, paging: { mode: 'sometimes' } },
    field: 'paging.mode',
    good: soapDatasetServiceConfig(),
  },
  { kind: 'ckan', url: 'https://data.example.ma/data', bad: { rows: 5000 }, field: 'rows', good: { rows: 500, incremental: { enabled: true, fullEveryHours: 168 } } },
];

beforeAll(async () => {
  h = await startApiHarness();
  const org = await createOrganization(h.deps.db, { slug: 'min-config', name: 'Ministère de la configuration' });
  token = (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token;
});
afterAll(async () => {
  await h?.close();
});

describe('source registration validates the config of each kind', () => {
  for (const { kind, url, bad, field } of KINDS) {
    it(`POST refuses a bad ${kind} config with 400 invalid_config naming ${field}`, async () => {
      const before = await h.pool.query('SELECT count(*)::int AS n FROM sources');
      const res = await call('POST', '/api/v1/sources', { kind, url, config: bad });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_config');
      expect(res.body.error.message).toContain('body parameter "config"');
      expect(res.body.error.message).toContain(`invalid ${kind} source config`);
      expect(res.body.error.message).toContain(field);
      expect((await h.pool.query('SELECT count(*)::int AS n FROM sources')).rows[0]).toEqual(before.rows[0]);
    });
  }

  it('names every bad field at once (soap without recordPath and with an unknown paging mode)', async () => {
    const soap = KINDS.find((k) => k.kind === 'soap')!;
    const res = await call('POST', '/api/v1/sources', { kind: 'soap', url: soap.url, config: soap.bad });
    expect(res.body.error.message).toMatch(/recordPath: .*paging\.mode: /);
  });

  it('the CKAN full-run schedule is checked too', async () => {
    const res = await call('POST', '/api/v1/sources', { kind: 'ckan', url: 'https://data.example.ma/data', config: { incremental: { enabled: true, fullEveryRuns: 0 } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('incremental.fullEveryRuns: must be at least 1') });
  });

  it('PATCH refuses a bad config of each kind with 400 invalid_config naming the field, and leaves the source as it was', async () => {
    for (const { kind, url, bad, field, good } of KINDS) {
      const created = await call('POST', '/api/v1/sources', { kind, url, config: good });
      expect(created.status, `${kind}: ${JSON.stringify(created.body)}`).toBe(201);
      const id = created.body.id as string;
      const res = await call('PATCH', `/api/v1/sources/${id}`, { config: bad });
      expect(res.status, kind).toBe(400);
      expect(res.body.error.code).toBe('invalid_config');
      expect(res.body.error.message).toContain(field);
      const stored = await h.pool.query('SELECT config FROM sources WHERE id = $1', [id]);
      expect(stored.rows[0].config, kind).toEqual(good);
    }
  });

  it('PATCH of the kind alone checks the stored config against the new kind', async () => {
    const ckan = await call('POST', '/api/v1/sources', { kind: 'ckan', url: 'https://data.example.ma/data', config: { rows: 200 } });
    expect(ckan.status).toBe(201);
    const res = await call('PATCH', `/api/v1/sources/${ckan.body.id}`, { kind: 'dcat' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('rows') });
    const stored = await h.pool.query('SELECT kind FROM sources WHERE id = $1', [ckan.body.id]);
    expect(stored.rows[0].kind).toBe('ckan');
  });
});
