import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken, setOrganizationNotifications } from '@hasad/db';
import { verifyWebhook } from '@hasad/notify';
import { SmtpTestServer, WebhookReceiver } from '@hasad/notify/testing';
import { adapterKinds } from '@hasad/sources';
import { FeedServer } from '@hasad/testkit';
import { KINDS_DESCRIBED } from './views.ts';
import { hiddenField, keepCookies, type CookieJar } from '../dashboard/sign-in.testing.ts';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from '../test-harness.ts';

// The institutions' space: an organisation signs in with its token and sees only its own
// sources and runs, in its language, and decides its own withdrawals.

let h: ApiHarness;
let seed: Seeded;
let hcpToken: string;
let hcpTokenId: string;
let oneeToken: string;
let operatorToken: string;
let feeds: FeedServer;
let smtp: SmtpTestServer;
let hook: WebhookReceiver;

beforeAll(async () => {
  [feeds, smtp, hook] = await Promise.all([FeedServer.start(), SmtpTestServer.start(), WebhookReceiver.start('/hcp')]);
  // The register form's preview reads a loopback feed; the test notification goes to real SMTP and webhook receivers on loopback.
  h = await startApiHarness({ env: { HASAD_ALLOW_PRIVATE_HOSTS: '1', HASAD_SMTP_URL: smtp.url, HASAD_SMTP_FROM: 'Hasad <hasad@data.gov.ma>', HASAD_PUBLIC_URL: 'https://hasad.example.ma' } });
  seed = await seedCatalogue(h.db, 0);
  const hcp = await createApiToken(h.deps.db, { role: 'organization', organizationId: seed.org.hcp });
  hcpToken = hcp.token;
  hcpTokenId = hcp.info.id;
  oneeToken = (await createApiToken(h.deps.db, { role: 'organization', organizationId: seed.org.onee })).token;
  operatorToken = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
  // The latest HCP run listed one dataset: the others would be withdrawn.
  await h.pool.query(`INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count) VALUES ($1, 1, 0, $2, 1)`, [seed.run.hcpLatest, ['hcp-qualite-air']]);
});

afterAll(async () => {
  await h?.close();
  await Promise.all([feeds?.close(), smtp?.close(), hook?.close()]);
});

const post = (url: string, jar: CookieJar, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, cookies: jar, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(fields).toString() });
const get = (url: string, jar: CookieJar) => h.app.inject({ method: 'GET', url, cookies: jar });

/** Signs in through the form, as a browser does; the session's CSRF token is read from a page. */
async function signIn(token: string) {
  const jar: CookieJar = {};
  const form = await h.app.inject({ method: 'GET', url: '/espace/sign-in' });
  keepCookies(jar, form);
  const res = await post('/espace/sign-in', jar, { _csrf: hiddenField(form.body, '_csrf') ?? '', next: '/espace', token });
  keepCookies(jar, res);
  const page = await get('/espace', jar);
  return { jar, res, csrf: hiddenField(page.body, '_csrf') ?? '' };
}

describe('signing in to /espace', () => {
  it('sends anonymous visitors to the sign-in page', async () => {
    for (const url of ['/espace', `/espace/sources/${seed.source.hcp}`, `/espace/runs/${seed.run.hcpLatest}`]) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toContain('/espace/sign-in');
    }
  });

  it('takes an organisation token only: an operator token, an unknown one or a form without its CSRF token is refused', async () => {
    expect((await signIn(operatorToken)).res.statusCode).toBe(403);
    expect((await signIn('hsd_unknown')).res.statusCode).toBe(401);
    const jar: CookieJar = {};
    keepCookies(jar, await h.app.inject({ method: 'GET', url: '/espace/sign-in' }));
    expect((await post('/espace/sign-in', jar, { _csrf: 'forged', token: hcpToken })).statusCode).toBe(403);
  });

  it('starts a session scoped to the organisation in an HttpOnly, SameSite=Strict cookie of its own', async () => {
    const { res, jar } = await signIn(hcpToken);
    expect(res.statusCode).toBe(303);
    const cookie = (res.cookies as Array<{ name: string; httpOnly?: boolean; sameSite?: string }>).find((c) => c.name === 'hasad_espace');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Not a dashboard session.
    expect((await get('/dashboard', { hasad_session: jar.hasad_espace! })).statusCode).toBe(303);
  });
});

describe('an organisation in its space', () => {
  it('lists its own sources only', async () => {
    const { jar } = await signIn(hcpToken);
    const page = await get('/espace', jar);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain(`/espace/sources/${seed.source.hcp}`);
    expect(page.body).not.toContain(seed.source.onee);
    // The icon the page names is served (image/svg+xml, no script).
    expect(page.body).toContain('href="/dashboard/static/favicon.svg"');
    const icon = await h.app.inject({ method: 'GET', url: '/dashboard/static/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });

  it('answers 404 for another organisation’s source and run, as for unknown ids', async () => {
    const { jar, csrf } = await signIn(hcpToken);
    for (const url of [`/espace/sources/${seed.source.onee}`, `/espace/runs/${seed.run.oneeFailed}`, '/espace/runs/00000000-0000-4000-8000-000000000000', '/espace/sources/not-a-uuid']) {
      const res = await get(url, jar);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('ONEE');
    }
    expect((await post(`/espace/sources/${seed.source.onee}/harvest`, jar, { _csrf: csrf })).statusCode).toBe(404);
    expect((await post(`/espace/runs/${seed.run.oneeFailed}/confirm`, jar, { _csrf: csrf })).statusCode).toBe(404);
  });

  it('reads a source: schedule in words, problems grouped with their sentence and an example, quality, runs', async () => {
    const { jar } = await signIn(hcpToken);
    const page = await get(`/espace/sources/${seed.source.hcp}`, jar);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('selon l’expression cron 0 3 * * * (Africa/Casablanca)');
    expect(page.body).toContain('Le jeu de données n’a pas de titre');
    expect(page.body).toContain('data-code="missing_title"');
    expect(page.body).toContain('dataset has no dct:title'); // the example's own detail
    expect(page.body).toContain('data-testid="space-quality"');
    expect(page.body).toContain('data-testid="space-runs"');
  });

  it('speaks Arabic right to left', async () => {
    const { jar } = await signIn(hcpToken);
    keepCookies(jar, await get('/espace/lang?l=ar&next=%2Fespace', jar));
    const page = await get(`/espace/runs/${seed.run.hcpLatest}`, jar);
    expect(page.body).toContain('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('مجموعة البيانات بلا عنوان فلم تنشر.');
    expect(page.body).toContain('بطلب');
  });

  it('refuses a form without the session’s CSRF token, or posted from another site, and changes nothing', async () => {
    const { jar, csrf } = await signIn(hcpToken);
    expect((await post(`/espace/runs/${seed.run.hcpLatest}/confirm`, jar, {})).statusCode).toBe(403);
    expect((await post(`/espace/runs/${seed.run.hcpLatest}/confirm`, jar, { _csrf: 'x'.repeat(43) })).statusCode).toBe(403);
    expect((await post(`/espace/runs/${seed.run.hcpLatest}/confirm`, jar, { _csrf: csrf }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await h.pool.query('SELECT status FROM runs WHERE id = $1', [seed.run.hcpLatest])).rows[0].status).toBe('needs_review');
  });

  it('sees which datasets a needs_review run would withdraw and confirms them', async () => {
    const { jar, csrf } = await signIn(hcpToken);
    const page = await get(`/espace/runs/${seed.run.hcpLatest}`, jar);
    expect(page.body).toContain('data-testid="space-pending"');
    const pending = [...page.body.matchAll(/<tr data-identifier="([^"]+)">/g)].map((m) => m[1]);
    expect(pending.length).toBeGreaterThan(0);
    expect(pending).not.toContain('hcp-qualite-air');
    const res = await post(`/espace/runs/${seed.run.hcpLatest}/confirm`, jar, { _csrf: csrf });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/espace/runs/${seed.run.hcpLatest}?done=confirm&n=${pending.length}`);
    const rows = await h.pool.query(`SELECT source_identifier AS id FROM datasets WHERE withdrawn_run = $1 AND status = 'withdrawn' AND source_identifier = ANY($2)`, [seed.run.hcpLatest, pending]);
    expect(rows.rowCount).toBe(pending.length);
    const shown = await get(res.headers.location as string, jar);
    expect(shown.body).toContain('Retraits confirmés');
    const again = await post(`/espace/runs/${seed.run.hcpLatest}/cancel`, jar, { _csrf: csrf });
    expect(again.statusCode).toBe(409);
  });

  it('harvests now within the politeness limit, and says how long is left otherwise', async () => {
    const { jar, csrf } = await signIn(hcpToken);
    await h.pool.query(`UPDATE runs SET started_at = now() - interval '10 minutes', finished_at = now() - interval '9 minutes' WHERE id = $1`, [seed.run.hcpLatest]);
    const refused = await post(`/espace/sources/${seed.source.hcp}/harvest`, jar, { _csrf: csrf });
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('data-testid="harvest-wait"');
    expect(refused.body).toMatch(/possible dans 50 minutes/);
    await h.pool.query(`UPDATE runs SET started_at = now() - interval '2 hours', finished_at = now() - interval '119 minutes', created_at = now() - interval '2 hours' WHERE id = $1`, [seed.run.hcpLatest]);
    const ok = await post(`/espace/sources/${seed.source.hcp}/harvest`, jar, { _csrf: csrf });
    expect(ok.statusCode).toBe(303);
    const runId = /\/espace\/runs\/([0-9a-f-]{36})/.exec(ok.headers.location as string)?.[1];
    expect((await h.pool.query('SELECT trigger, status FROM runs WHERE id = $1', [runId])).rows[0]).toMatchObject({ trigger: 'manual' });
  });

  it('escapes what the source says about itself', async () => {
    const { jar } = await signIn(hcpToken);
    await h.pool.query(`UPDATE sources SET title = $2 WHERE id = $1`, [seed.source.hcp, 'HCP <script>alert(1)</script>']);
    const page = await get('/espace', jar);
    expect(page.body).toContain('HCP &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)</script>');
  });

  it('registers a CSV inventory with the guided form: every kind with its sentence, a preview of the records and problems, then a pending source', async () => {
    expect(adapterKinds().filter((k) => !KINDS_DESCRIBED.includes(k))).toEqual([]);
    const { jar, csrf } = await signIn(oneeToken);
    const form = await get('/espace/register', jar);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('CSV : un inventaire en tableur');
    feeds.route('/onee/inventaire.csv', () => ({
      status: 200,
      contentType: 'text/csv; charset=utf-8',
      body: 'identifiant,titre,description\nonee-1,Production électrique,Par centrale\nonee-2,,Sans titre\n',
    }));
    const fields = { _csrf: csrf, kind: 'csv', url: `${feeds.url}/onee/inventaire.csv`, title: 'Inventaire <script>alert(1)</script>', schedule: 'daily', timezone: 'Africa/Casablanca', config: '{}' };
    const preview = await post('/espace/register', jar, { ...fields, action: 'preview' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('data-testid="register-records"');
    expect(preview.body).toContain('Production électrique');
    expect(preview.body).toContain('Correspondance des colonnes utilisée'); // the mapping, from the file's header
    expect(preview.body).toContain('Le jeu de données n’a pas de titre'); // the problem, in words
    // What was typed comes back, escaped.
    expect(preview.body).toContain('value="Inventaire &lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(preview.body).not.toContain('<script>alert(1)</script>');
    // The mapping table, from the file's own header: each column with the field it fills, changeable.
    expect(preview.body).toContain('data-testid="register-csv-mapping"');
    expect(preview.body).toContain('<input type="hidden" name="csvcol_1" value="titre">');
    expect(preview.body).toMatch(/name="csvmap_1"[^]*?<option value="title" selected>title<\/option>/);
    // Nothing written by a preview.
    expect((await h.pool.query('SELECT count(*)::int AS n FROM sources WHERE organization_id = $1', [seed.org.onee])).rows[0].n).toBe(1);

    // Choosing fields in the table writes the config's mapping, and the preview reads with it.
    const table = { csvcol_0: 'identifiant', csvmap_0: 'identifier', csvcol_1: 'titre', csvmap_1: 'title.fr', csvcol_2: 'description', csvmap_2: 'description.fr' };
    const mapped = await post('/espace/register', jar, { ...fields, ...table, action: 'mapping' });
    expect(mapped.statusCode).toBe(200);
    expect(mapped.body).toContain('&quot;mapping&quot;: {');
    expect(mapped.body).toContain('&quot;description.fr&quot;: &quot;description&quot;');
    expect(mapped.body).toMatch(/name="csvmap_2"[^]*?<option value="description.fr" selected>/);
    const twice = await post('/espace/register', jar, { ...fields, ...table, csvmap_2: 'title.fr', action: 'mapping' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('title.fr is chosen for two columns');

    const badJson = await post('/espace/register', jar, { ...fields, config: '{"delimiter": ', action: 'preview' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.body).toContain('La configuration n’est pas un objet JSON valide');
    const badConfig = await post('/espace/register', jar, { ...fields, config: '{"nope": 1}', action: 'save' });
    expect(badConfig.statusCode).toBe(400);
    expect(badConfig.body).toContain('nope');
    const tooLong = await post('/espace/register', jar, { ...fields, title: 'x'.repeat(501), action: 'save' });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('dépasse 500 caractères');

    const saved = await post('/espace/register', jar, { ...fields, action: 'save' });
    expect(saved.statusCode).toBe(303);
    const id = /\/espace\/sources\/([0-9a-f-]{36})\?done=registered/.exec(saved.headers.location as string)?.[1];
    const row = (await h.pool.query('SELECT organization_id, kind, approval_status, title FROM sources WHERE id = $1', [id])).rows[0];
    expect(row).toEqual({ organization_id: seed.org.onee, kind: 'csv', approval_status: 'pending', title: 'Inventaire <script>alert(1)</script>' });
    const page = await get(saved.headers.location as string, jar);
    expect(page.body).toContain('data-testid="pending-approval"');
    expect(page.body).toContain('Flux enregistré');
  });

  it('checks the register form as it is typed: each field the API would refuse, with its message, nothing written; CSRF required', async () => {
    const { jar, csrf } = await signIn(oneeToken);
    const form = await get('/espace/register', jar);
    expect(form.body).toContain('data-check="/espace/register/check"');
    expect(form.body).toContain('<script src="/dashboard/static/espace.js" defer></script>');
    const script = await h.app.inject({ method: 'GET', url: '/dashboard/static/espace.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('text/javascript');
    const check = async (fields: Record<string, string>, lang = 'fr') =>
      post('/espace/register/check', jar, { _csrf: csrf, ...fields }, { cookie: `hasad_lang=${lang}` });
    const sourcesBefore = (await h.pool.query('SELECT count(*)::int AS n FROM sources')).rows[0].n;

    const ok = await check({ kind: 'csv', url: 'https://data.onee.ma/inventaire.csv', config: '{"delimiter": ";"}', schedule: 'daily', timezone: 'Africa/Casablanca' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ok: true, errors: [] });

    const bad = await check({ kind: 'csv', url: 'ftp://data.onee.ma/x.csv', config: '{"delimiter": "::", "nope": 1}', schedule: 'every 5 seconds', timezone: 'Mars/Olympus' });
    const errors = (bad.json() as { ok: boolean; errors: Array<{ field: string; message: string }> }).errors;
    expect(bad.json().ok).toBe(false);
    expect(errors.map((e) => e.field).sort()).toEqual(['config', 'timezone', 'url']);
    expect(errors.find((e) => e.field === 'url')?.message).toMatch(/^Refusé : .*only http and https/);
    expect(errors.find((e) => e.field === 'config')?.message).toContain('nope');
    expect(errors.find((e) => e.field === 'timezone')?.message).toContain('Mars/Olympus');
    // With a valid time zone, the schedule's own problem shows.
    const sched = (await check({ kind: 'csv', url: 'https://x.ma/a.csv', config: '{}', schedule: 'every 5 seconds', timezone: 'UTC' })).json() as { errors: Array<{ field: string }> };
    expect(sched.errors.map((e) => e.field)).toEqual(['schedule']);

    const json = (await check({ kind: 'csv', url: '', config: '{"delimiter": ' }, 'ar')).json() as { errors: Array<{ field: string; message: string }> };
    expect(json.errors).toEqual([{ field: 'config', message: expect.stringContaining('الإعدادات ليست كائن JSON صالحا') }]);
    expect((await check({ kind: 'gopher', url: '' })).json().errors).toEqual([{ field: 'kind', message: 'Choisissez un type de flux.' }]);

    // The same hardening as every form: no CSRF token, no answer.
    const forged = await post('/espace/register/check', jar, { _csrf: 'forged', kind: 'csv' });
    expect(forged.statusCode).toBe(403);
    expect((await h.pool.query('SELECT count(*)::int AS n FROM sources')).rows[0].n).toBe(sourcesBefore);
  });

  it('helps with the kind’s config: lists a WSDL’s operations and writes the one chosen, writes a CKAN organisation as the fq filter', async () => {
    const { jar, csrf } = await signIn(oneeToken);
    feeds.route('/onee/catalogue.wsdl', () => ({
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:onee" targetNamespace="urn:onee">
        <binding name="CatalogueBinding" type="tns:P"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
          <operation name="ListerJeux"><soap:operation soapAction="urn:onee/ListerJeux"/></operation>
          <operation name="LireJeu"><soap:operation soapAction="urn:onee/LireJeu"/></operation>
        </binding>
        <service name="Catalogue"><port name="CatalogueSoap" binding="tns:CatalogueBinding"><soap:address location="${feeds.url}/onee/catalogue.svc"/></port></service>
      </definitions>`,
    }));
    const wsdl = `${feeds.url}/onee/catalogue.wsdl`;
    const base = { _csrf: csrf, kind: 'soap', url: `${feeds.url}/onee/catalogue.svc`, title: 'Catalogue SOAP', schedule: 'daily', timezone: 'Africa/Casablanca', config: '{"recordPath": "Jeu"}' };
    const listed = await post('/espace/register', jar, { ...base, soap_wsdl: wsdl, action: 'operations' });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).toContain('data-testid="register-soap-operation"');
    expect(listed.body).toContain('<option value="ListerJeux" >ListerJeux — urn:onee/ListerJeux</option>');
    expect(listed.body).toContain('<option value="LireJeu" >LireJeu — urn:onee/LireJeu</option>');
    // The WSDL is already in the config shown; the operation chosen joins it on the next step.
    expect(listed.body).toContain('&quot;wsdl&quot;: &quot;' + wsdl.replace(/\//g, '/'));
    const chosen = await post('/espace/register', jar, { ...base, soap_wsdl: wsdl, soap_operation: 'ListerJeux', action: 'preview' });
    // The config is still incomplete for SOAP (no envelope, no fields): refused, and the config shown carries both helpers' values.
    expect(chosen.statusCode).toBe(400);
    expect(chosen.body).toContain('&quot;operation&quot;: &quot;ListerJeux&quot;');
    expect(chosen.body).toContain('envelope');

    const noWsdl = await post('/espace/register', jar, { ...base, action: 'operations' });
    expect(noWsdl.statusCode).toBe(400);
    expect(noWsdl.body).toContain('Indiquez l’adresse du WSDL');
    const broken = await post('/espace/register', jar, { ...base, soap_wsdl: `${feeds.url}/onee/nothing-here.wsdl`, action: 'operations' });
    expect(broken.statusCode).toBe(422);
    expect(broken.body).toContain('Le WSDL n’a pas pu être lu');

    // CKAN: the organisation becomes the fq filter, joined to one already there; a name that is no CKAN name is refused.
    const ckan = { _csrf: csrf, kind: 'ckan', url: 'https://data.example.ma', title: 'Portail', schedule: 'daily', timezone: 'UTC' };
    const saved = await post('/espace/register', jar, { ...ckan, config: '{"fq": "res_format:CSV"}', ckan_organization: 'onee-eau', action: 'save' });
    expect(saved.statusCode).toBe(303);
    const id = /\/espace\/sources\/([0-9a-f-]{36})/.exec(saved.headers.location as string)?.[1];
    expect((await h.pool.query('SELECT config FROM sources WHERE id = $1', [id])).rows[0].config).toMatchObject({ fq: '(res_format:CSV) AND organization:onee-eau' });
    const badName = await post('/espace/register', jar, { ...ckan, config: '{}', ckan_organization: 'Onee Eau"', action: 'save' });
    expect(badName.statusCode).toBe(400);
    expect(badName.body).toContain('is not a CKAN organisation name');
  });

  it('sends a test notification to the organisation’s own contacts, by e-mail and signed webhook, and shows each outcome', async () => {
    await setOrganizationNotifications(h.deps.db, 'hcp', { emails: ['donnees@hcp.ma'], webhookUrl: hook.url, webhookSecret: 'hcp-webhook-secret-0123456789abcdef' });
    const { jar, csrf } = await signIn(hcpToken);
    const page = await get('/espace/notifications', jar);
    expect(page.body).toContain('donnees@hcp.ma');
    const res = await post('/espace/notifications/test', jar, { _csrf: csrf });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-channel="email" data-outcome="sent"');
    expect(res.body).toContain('data-channel="webhook" data-outcome="sent"');
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.rcptTo).toEqual(['donnees@hcp.ma']);
    expect(smtp.messages[0]!.subject).toBe('[Hasad] Notification de test / إشعار تجريبي / Test notification');
    expect(smtp.messages[0]!.text).toContain('https://hasad.example.ma/espace');
    expect(hook.requests).toHaveLength(1);
    const r = hook.requests[0]!;
    expect(r.headers['x-hasad-event']).toBe('test');
    expect(verifyWebhook('hcp-webhook-secret-0123456789abcdef', { signature: r.headers['x-hasad-signature'] as string, timestamp: r.headers['x-hasad-timestamp'] as string }, r.body)).toBe(true);
    // Without the session's CSRF token, nothing is sent.
    expect((await post('/espace/notifications/test', jar, {})).statusCode).toBe(403);
    expect(smtp.messages).toHaveLength(1);
  });

  it('loses the session when the token is revoked, and on sign-out', async () => {
    const a = await signIn(hcpToken);
    const b = await signIn(oneeToken);
    expect((await get('/espace', b.jar)).statusCode).toBe(200);
    expect((await post('/espace/sign-out', b.jar, { _csrf: b.csrf })).statusCode).toBe(303);
    expect((await get('/espace', b.jar)).statusCode).toBe(303);
    await revokeApiToken(h.deps.db, hcpTokenId);
    expect((await get('/espace', a.jar)).statusCode).toBe(303);
  });
});
