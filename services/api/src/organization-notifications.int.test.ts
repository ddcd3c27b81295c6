import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization } from '@hasad/db';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// PATCH/GET /api/v1/organizations/:slug/notifications against a real database: who may change
// what, the webhook secret shown once, and webhook addresses checked like feeds.
let h: ApiHarness;
const tokens = { eau: '', sante: '', operator: '' };

async function call(method: 'GET' | 'PATCH', slug: string, token: string | undefined, body?: unknown) {
  const res = await h.app.inject({
    method,
    url: `/api/v1/organizations/${slug}/notifications`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

async function storedSecret(slug: string): Promise<string | null> {
  return (await h.pool.query('SELECT webhook_secret FROM organizations WHERE slug = $1', [slug])).rows[0].webhook_secret;
}

beforeAll(async () => {
  // The address rules are on (no HASAD_ALLOW_PRIVATE_HOSTS); one loopback port is allow-listed.
  h = await startApiHarness({ env: { HASAD_ALLOW_PRIVATE_HOSTS: '0', HASAD_ALLOW_HOSTS: '127.0.0.1:9' } });
  const eau = await createOrganization(h.deps.db, { slug: 'min-eau', name: "Ministère de l'Eau" });
  const sante = await createOrganization(h.deps.db, { slug: 'sante', name: 'Ministère de la Santé' });
  tokens.eau = (await createApiToken(h.deps.db, { role: 'organization', organizationId: eau.id })).token;
  tokens.sante = (await createApiToken(h.deps.db, { role: 'organization', organizationId: sante.id })).token;
  tokens.operator = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
});
afterAll(async () => {
  await h?.close();
});

describe('organisation notification settings', () => {
  it('need a token; an organisation sees only its own (another one answers 404, like a missing one)', async () => {
    expect((await call('GET', 'min-eau', undefined)).status).toBe(401);
    expect((await call('PATCH', 'min-eau', undefined, { emails: ['a@b.ma'] })).status).toBe(401);
    const own = await call('GET', 'min-eau', tokens.eau);
    expect(own).toEqual({ status: 200, body: { slug: 'min-eau', name: "Ministère de l'Eau", emails: [], webhookUrl: null, webhookSecretSet: false } });
    const other = await call('PATCH', 'sante', tokens.eau, { emails: ['intrus@eau.gov.ma'] });
    expect(other.status).toBe(404);
    expect((await call('GET', 'sante', tokens.eau)).status).toBe(404);
    expect((await call('GET', 'nowhere', tokens.operator)).status).toBe(404);
    expect((await call('GET', 'sante', tokens.sante)).body.emails).toEqual([]);
  });

  it('an organisation sets its addresses and a webhook; the secret is created, shown once, and kept', async () => {
    const res = await call('PATCH', 'min-eau', tokens.eau, { emails: ['donnees@eau.gov.ma', 'dsi@eau.gov.ma', 'donnees@eau.gov.ma'], webhookUrl: 'http://127.0.0.1:9/hooks/hasad' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ emails: ['donnees@eau.gov.ma', 'dsi@eau.gov.ma'], webhookUrl: 'http://127.0.0.1:9/hooks/hasad', webhookSecretSet: true });
    expect(res.body.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(await storedSecret('min-eau')).toBe(res.body.webhookSecret);
    const read = await call('GET', 'min-eau', tokens.eau);
    expect(read.body.webhookSecret).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(res.body.webhookSecret);
    // Changing the addresses alone keeps the webhook and its secret, and shows no secret.
    const again = await call('PATCH', 'min-eau', tokens.eau, { emails: ['donnees@eau.gov.ma'] });
    expect(again.body).toEqual({ slug: 'min-eau', name: "Ministère de l'Eau", emails: ['donnees@eau.gov.ma'], webhookUrl: 'http://127.0.0.1:9/hooks/hasad', webhookSecretSet: true });
    expect(await storedSecret('min-eau')).toBe(res.body.webhookSecret);
    // Rotation gives a new one; an explicit secret is taken as given.
    const rotated = await call('PATCH', 'min-eau', tokens.eau, { rotateWebhookSecret: true });
    expect(rotated.body.webhookSecret).toMatch(/^whsec_/);
    expect(rotated.body.webhookSecret).not.toBe(res.body.webhookSecret);
    await call('PATCH', 'min-eau', tokens.eau, { webhookSecret: 'a-secret-the-ministry-chose' });
    expect(await storedSecret('min-eau')).toBe('a-secret-the-ministry-chose');
  });

  it('refuses a webhook at a loopback or private address, a non-http URL and a bad address, naming the parameter', async () => {
    const loop = await call('PATCH', 'min-eau', tokens.eau, { webhookUrl: 'http://127.0.0.1:8080/admin' });
    expect(loop.status).toBe(400);
    expect(loop.body.error.code).toBe('webhook_refused');
    expect(loop.body.error.message).toMatch(/^body parameter "webhookUrl": refused to fetch .*loopback/);
    const metadata = await call('PATCH', 'min-eau', tokens.eau, { webhookUrl: 'http://169.254.169.254/latest' });
    expect(metadata.status).toBe(400);
    const ftp = await call('PATCH', 'min-eau', tokens.eau, { webhookUrl: 'ftp://example.org/x' });
    expect(ftp.body.error.message).toContain('body parameter "webhookUrl": only http and https');
    const mail = await call('PATCH', 'min-eau', tokens.eau, { emails: ['not an address'] });
    expect(mail.status).toBe(400);
    expect(mail.body.error.message).toContain('body parameter "emails.0"');
    const unknown = await call('PATCH', 'min-eau', tokens.eau, { webhook: 'http://127.0.0.1:9/' });
    expect(unknown.status).toBe(400);
    // Nothing of the refused requests was saved.
    expect((await call('GET', 'min-eau', tokens.eau)).body.webhookUrl).toBe('http://127.0.0.1:9/hooks/hasad');
  });

  it('an operator changes any organisation; webhookUrl null removes the webhook and its secret', async () => {
    const set = await call('PATCH', 'sante', tokens.operator, { emails: ['opendata@sante.gov.ma'], webhookUrl: 'http://127.0.0.1:9/sante' });
    expect(set.status).toBe(200);
    expect(set.body.webhookSecret).toMatch(/^whsec_/);
    const removed = await call('PATCH', 'sante', tokens.operator, { webhookUrl: null });
    expect(removed.body).toEqual({ slug: 'sante', name: 'Ministère de la Santé', emails: ['opendata@sante.gov.ma'], webhookUrl: null, webhookSecretSet: false });
    expect(await storedSecret('sante')).toBeNull();
    const orphan = await call('PATCH', 'sante', tokens.operator, { rotateWebhookSecret: true });
    expect(orphan.status).toBe(400);
  });

  it('the public organisation listing shows no contact', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/organizations' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('eau.gov.ma');
    expect(res.body).not.toContain('hooks');
  });
});
