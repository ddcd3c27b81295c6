import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization, setOrganizationTrusted } from '@hasad/db';
import { verifyWebhook, type ReviewEvent } from '@hasad/notify';
import { SmtpTestServer, WebhookReceiver } from '@hasad/notify/testing';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// Issue 14: "Saving creates a pending source; the page says who approves it and notifies the
// operators." The real API and loader, a real SMTP server and the operators' webhook on loopback.
const OPS_SECRET = 'operators-webhook-secret-0123456789';

describe('operators hear of a source waiting for their review', () => {
  let p: TestPipeline;
  let smtp: SmtpTestServer;
  let opsHook: WebhookReceiver;
  let token: string;
  let trustedToken: string;

  beforeAll(async () => {
    [smtp, opsHook] = await Promise.all([SmtpTestServer.start(), WebhookReceiver.start('/ops')]);
    p = await startTestPipeline(['api', 'loader'], {
      HASAD_SMTP_URL: smtp.url,
      HASAD_SMTP_FROM: 'Hasad <hasad@data.gov.ma>',
      HASAD_NOTIFY_OPERATOR_EMAILS: 'astreinte@data.gov.ma',
      HASAD_NOTIFY_WEBHOOK_URL: opsHook.url,
      HASAD_NOTIFY_WEBHOOK_SECRET: OPS_SECRET,
      HASAD_NOTIFY_BACKOFF_MS: '200',
      HASAD_PUBLIC_URL: 'https://hasad.example.ma',
    });
    const db = p.rt.db;
    const org = await createOrganization(db, { slug: 'agriculture', name: 'Ministère de l’Agriculture' });
    await createOrganization(db, { slug: 'hcp', name: 'Haut-Commissariat au Plan' });
    await setOrganizationTrusted(db, 'hcp', true);
    token = (await createApiToken(db, { role: 'organization', organizationId: org.id })).token;
    trustedToken = (await createApiToken(db, { role: 'organization', organizationId: (await p.rt.db.pool.query(`SELECT id FROM organizations WHERE slug = 'hcp'`)).rows[0].id })).token;
  });
  afterAll(async () => {
    await p?.close();
    await Promise.all([smtp?.close(), opsHook?.close()]);
  });

  const call = async (method: string, path: string, tok: string, body?: unknown) => {
    const res = await fetch(`${p.rt.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tok}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const hooksFor = (id: string) => opsHook.requests.filter((r) => (JSON.parse(r.body) as ReviewEvent).source?.id === id).map((r) => ({ r, e: JSON.parse(r.body) as ReviewEvent }));
  const mailsFor = (id: string) => smtp.messages.filter((m) => m.text.includes(id));

  it('a registration by an institution e-mails the operators and calls their webhook, signed, with the links to decide', async () => {
    const res = await call('POST', '/api/v1/sources', token, { kind: 'dcat', url: 'https://data.agriculture.gov.ma/catalog.ttl', title: 'Catalogue agricole' });
    expect(res.status).toBe(201);
    expect(res.body.approvalStatus).toBe('pending');
    const id = res.body.id as string;

    const mails = await waitUntil('the operators’ e-mail', async () => mailsFor(id), (m) => m.length === 1);
    expect(mails[0]!.rcptTo).toEqual(['astreinte@data.gov.ma']);
    expect(mails[0]!.subject).toContain('Catalogue agricole');
    expect(mails[0]!.subject).toContain('Ministère de l’Agriculture');
    expect(mails[0]!.text).toContain(`https://hasad.example.ma/dashboard/sources/${id}`);
    expect(mails[0]!.text).toContain('https://data.agriculture.gov.ma/catalog.ttl');
    expect(mails[0]!.text).toContain('a enregistré une nouvelle source');

    const hooks = await waitUntil('the operators’ webhook', async () => hooksFor(id), (h) => h.length === 1);
    const { r, e } = hooks[0]!;
    expect(r.headers['x-hasad-event']).toBe('source_pending');
    expect(verifyWebhook(OPS_SECRET, { signature: r.headers['x-hasad-signature'] as string, timestamp: r.headers['x-hasad-timestamp'] as string }, r.body)).toBe(true);
    expect(e).toMatchObject({
      kind: 'source_pending',
      reason: 'registered',
      organization: { slug: 'agriculture' },
      source: { id, kind: 'dcat', url: 'https://data.agriculture.gov.ma/catalog.ttl', title: 'Catalogue agricole' },
      links: { dashboardSource: `https://hasad.example.ma/dashboard/sources/${id}`, approve: `https://hasad.example.ma/api/v1/sources/${id}/approve` },
    });
  });

  it('a trusted organisation’s source, approved at once, tells nobody', async () => {
    const res = await call('POST', '/api/v1/sources', trustedToken, { kind: 'dcat', url: 'https://data.hcp.ma/catalog.ttl' });
    expect(res.body.approvalStatus).toBe('approved');
    // A pending registration made after it is told: once that one arrives, the trusted one would have too.
    const after = await call('POST', '/api/v1/sources', token, { kind: 'dcat', url: 'https://data.agriculture.gov.ma/autre.ttl' });
    await waitUntil('the later registration’s webhook', async () => hooksFor(after.body.id as string), (h) => h.length === 1);
    await waitUntil('the later registration’s e-mail', async () => mailsFor(after.body.id as string), (m) => m.length === 1);
    expect(hooksFor(res.body.id as string)).toEqual([]);
    expect(mailsFor(res.body.id as string)).toEqual([]);
  });

  it('an approved source whose address changes goes back to review and the operators are told it changed, once', async () => {
    const created = await call('POST', '/api/v1/sources', token, { kind: 'dcat', url: 'https://data.agriculture.gov.ma/v1.ttl' });
    const id = created.body.id as string;
    await waitUntil('the registration’s webhook', async () => hooksFor(id), (h) => h.length === 1);
    const ops = (await createApiToken(p.rt.db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
    expect((await call('POST', `/api/v1/sources/${id}/approve`, ops, {})).status).toBe(200);

    // A title change keeps the approval and says nothing.
    expect((await call('PATCH', `/api/v1/sources/${id}`, token, { title: 'Nouveau titre' })).body.approvalStatus).toBe('approved');
    const moved = await call('PATCH', `/api/v1/sources/${id}`, token, { url: 'https://data.agriculture.gov.ma/v2.ttl' });
    expect(moved.body.approvalStatus).toBe('pending');
    // Changing it again while it waits is the same review: nothing more.
    await call('PATCH', `/api/v1/sources/${id}`, token, { url: 'https://data.agriculture.gov.ma/v3.ttl' });

    const hooks = await waitUntil('the change’s webhook', async () => hooksFor(id), (h) => h.length === 2);
    // The event says where the source points when it is sent: v2, or v3 if the second change came first.
    expect(hooks[1]!.e).toMatchObject({ reason: 'changed', source: { url: expect.stringMatching(/^https:\/\/data\.agriculture\.gov\.ma\/v[23]\.ttl$/) } });
    const mails = await waitUntil('the change’s e-mail', async () => mailsFor(id), (m) => m.length === 2);
    expect(mails[1]!.text).toContain('a changé l’adresse');
    await waitUntil('the notify queue to drain', () => p.rt.queues.notify.getJobCounts('waiting', 'active', 'delayed'), (c) => !c.waiting && !c.active && !c.delayed);
    expect(hooksFor(id)).toHaveLength(2);
  });
});
