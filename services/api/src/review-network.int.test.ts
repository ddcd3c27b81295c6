import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization, reviewSource } from '@hasad/db';
import { adapterKinds } from '@hasad/sources';
import { soapDatasetServiceConfig } from '@hasad/testkit';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Issue 11, "review follows the network": an approved source goes back to review when anything
// that decides where Hasad connects changes, for every kind: its URL, and the config fields its
// adapter declares (SOAP endpoint and wsdl) or any URL in the config. Other changes keep it
// approved. A reviewer sees the whole config, credentials masked.

let h: ApiHarness;
let token = '';

async function call(method: 'POST' | 'PATCH' | 'GET', url: string, body?: unknown) {
  const res = await h.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
  return { status: res.statusCode, body: res.json() };
}

/** Per kind: a config, a change that moves nothing, and each change that moves where Hasad connects. */
const KINDS: Record<string, { url: string; config: Record<string, unknown>; harmless: Record<string, unknown>; moves: Array<[string, Record<string, unknown>]> }> = {
  dcat: { url: 'https://data.example.ma/catalog.ttl', config: { format: 'turtle' }, harmless: { format: 'jsonld', limits: { maxPages: 50 } }, moves: [] },
  csv: { url: 'https://data.example.ma/inventaire.csv', config: { delimiter: ';' }, harmless: { delimiter: ',' }, moves: [] },
  ckan: { url: 'https://data.example.ma/data', config: { rows: 100 }, harmless: { rows: 500, limits: { runBudgetSeconds: 600 } }, moves: [] },
  csw: { url: 'https://data.example.ma/csw', config: { pageSize: 50 }, harmless: { pageSize: 100 }, moves: [] },
  soap: {
    url: 'https://data.example.ma/services/catalogue',
    config: soapDatasetServiceConfig({ params: { ministere: 'Eau', apiKey: 'k-123-secret' } }),
    harmless: soapDatasetServiceConfig({ params: { ministere: 'Équipement', apiKey: 'k-123-secret' }, pageSize: 50 }),
    moves: [
      ['endpoint', soapDatasetServiceConfig({ params: { ministere: 'Eau', apiKey: 'k-123-secret' }, endpoint: 'https://attacker.example.net/soap' })],
      ['wsdl', soapDatasetServiceConfig({ params: { ministere: 'Eau', apiKey: 'k-123-secret' }, wsdl: 'https://attacker.example.net/x?WSDL', operation: 'GetDatasets' })],
    ],
  },
};

beforeAll(async () => {
  h = await startApiHarness();
  const org = await createOrganization(h.deps.db, { slug: 'min-review', name: 'Ministère de la revue' });
  token = (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token;
});
afterAll(async () => {
  await h?.close();
});

/** Registers a source (pending: the organisation is not trusted) and has an operator approve it. */
async function approvedSource(kind: string): Promise<string> {
  const k = KINDS[kind]!;
  const res = await call('POST', '/api/v1/sources', { kind, url: k.url, config: k.config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.approvalStatus).toBe('pending');
  await reviewSource(h.deps.db, res.body.id, { status: 'approved', by: 'reviewer', comment: null });
  return res.body.id;
}

describe('review follows the network', () => {
  it('every adapter kind is covered here', () => {
    expect(Object.keys(KINDS).sort()).toEqual(adapterKinds());
  });

  for (const [kind, k] of Object.entries(KINDS)) {
    it(`${kind}: a change that moves nothing keeps it approved; a new url sends it back to review`, async () => {
      const id = await approvedSource(kind);
      const same = await call('PATCH', `/api/v1/sources/${id}`, { config: k.harmless, title: 'Nouveau titre' });
      expect(same.status, JSON.stringify(same.body)).toBe(200);
      expect(same.body.approvalStatus).toBe('approved');
      const moved = await call('PATCH', `/api/v1/sources/${id}`, { url: k.url.replace('data.example.ma', 'other.example.ma') });
      expect(moved.body.approvalStatus).toBe('pending');
    });

    for (const [field, config] of k.moves) {
      it(`${kind}: a change of config.${field} sends it back to review`, async () => {
        const id = await approvedSource(kind);
        const res = await call('PATCH', `/api/v1/sources/${id}`, { config });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.approvalStatus).toBe('pending');
        const row = await h.pool.query('SELECT approval_status FROM sources WHERE id = $1', [id]);
        expect(row.rows[0].approval_status).toBe('pending');
      });
    }
  }

  it('a URL anywhere in a config counts as an address, whatever the adapter declares', async () => {
    const id = await approvedSource('soap');
    const config = { ...(KINDS.soap!.config as Record<string, unknown>), constants: { 'publisher.name.fr': 'Ministère', landingPage: 'https://elsewhere.example.net/' } };
    const res = await call('PATCH', `/api/v1/sources/${id}`, { config });
    expect(res.body.approvalStatus).toBe('pending');
  });

  it('the reviewer sees the whole config, credentials masked, in the API and the answer to a change', async () => {
    const id = await approvedSource('soap');
    await call('PATCH', `/api/v1/sources/${id}`, { config: KINDS.soap!.moves[0]![1] });
    const res = await call('GET', `/api/v1/sources/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.config.endpoint).toBe('https://attacker.example.net/soap');
    expect(res.body.config.envelope).toContain('GetDatasets');
    expect(res.body.config.params).toEqual({ ministere: 'Eau', apiKey: '••••••' });
    expect(JSON.stringify(res.body)).not.toContain('k-123-secret');
  });
});
