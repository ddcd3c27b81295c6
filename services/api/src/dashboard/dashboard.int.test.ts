import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken } from '@hasad/db';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from '../test-harness.ts';
import { hiddenField, keepCookies, signInWithForm, type CookieJar } from './sign-in.testing.ts';

let h: ApiHarness;
let seed: Seeded;
let operatorToken: string;
let operatorTokenId: string;
let orgToken: string;

beforeAll(async () => {
  h = await startApiHarness();
  seed = await seedCatalogue(h.db, 0);
  const op = await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma Idrissi' });
  operatorToken = op.token;
  operatorTokenId = op.info.id;
  orgToken = (await createApiToken(h.deps.db, { role: 'organization', organizationId: seed.org.hcp })).token;
  // A problem and a failed page that a spreadsheet or a browser would misread if not neutralised / escaped.
  await h.pool.query(`INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message, identifier, field) VALUES ($1, 4, 0, 'warning', 'csv_formula', $2, $3, 'title')`, [
    seed.run.hcpLatest,
    '=HYPERLINK("http://evil.example","click")',
    '+33612345678',
  ]);
  await h.pool.query(`UPDATE runs SET details = details || $2::jsonb WHERE id = $1`, [
    seed.run.oneeFailed,
    JSON.stringify({ failedPage: { url: 'https://open.onee.ma/api/3/action/package_search', status: 503, bodyExcerpt: '<html><body><h1>Service indisponible</h1><script>alert(1)</script></body></html>' } }),
  ]);
  await h.pool.query(`UPDATE sources SET title = $2 WHERE id = $1`, [seed.source.onee, 'ONEE <script>alert("x")</script>']);
});

afterAll(async () => {
  await h?.close();
});

type Jar = CookieJar;
const keep = keepCookies;
const hidden = hiddenField;
const signIn = (token = operatorToken, headers: Record<string, string> = {}) => signInWithForm(h.app, token, headers);

const post = (url: string, jar: Jar, fields: Record<string, string>) =>
  h.app.inject({ method: 'POST', url, cookies: jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

describe('anonymous visitors', () => {
  it('are sent to the sign-in page from every dashboard page and from Bull Board, and see no queue', async () => {
    const pages = [
      '/dashboard',
      '/dashboard/sources',
      '/dashboard/sources?kind=dcat',
      `/dashboard/sources/${seed.source.hcp}`,
      `/dashboard/runs/${seed.run.hcpLatest}`,
      `/dashboard/runs/${seed.run.hcpLatest}/problems.csv`,
      '/admin/queues',
      '/admin/queues/',
      '/admin/queues/queue/harvest',
      '/admin/queues/api/queues',
      '/admin/queues/api/queues?activeQueue=harvest&status=latest&page=1',
      '/admin/queues/api/redis/stats',
      '/admin/queues/static/favicon-32x32.png',
    ];
    for (const url of pages) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toMatch(/^\/dashboard\/sign-in\?next=/);
      expect(res.body, url).not.toMatch(/harvest|waiting|Catalogue du HCP/);
    }
    for (const url of ['/dashboard/live.json', '/dashboard/events']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).not.toMatch(/"queues"/);
    }
  });

  it('cannot act: every form action is refused and changes nothing', async () => {
    for (const action of ['harvest', 'pause', 'resume', 'review', 'schedule']) {
      const res = await post(`/dashboard/sources/${seed.source.hcp}/${action}`, {}, { decision: 'reject', comment: 'x', schedule: 'daily' });
      expect(res.statusCode, action).toBe(303);
      expect(res.headers.location).toMatch(/^\/dashboard\/sign-in/);
    }
    for (const action of ['confirm', 'cancel']) expect((await post(`/dashboard/runs/${seed.run.hcpLatest}/${action}`, {}, {})).statusCode).toBe(303);
    const src = (await h.pool.query('SELECT enabled, approval_status, schedule FROM sources WHERE id = $1', [seed.source.hcp])).rows[0];
    expect(src).toEqual({ enabled: true, approval_status: 'approved', schedule: '0 3 * * *' });
    expect((await h.pool.query('SELECT status FROM runs WHERE id = $1', [seed.run.hcpLatest])).rows[0].status).toBe('needs_review');
    expect((await h.pool.query(`SELECT count(*)::int AS n FROM runs WHERE source_id = $1`, [seed.source.hcp])).rows[0].n).toBe(2);
  });

  it('the dashboard is not part of the API document', async () => {
    const paths = Object.keys((await h.app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths).toContain('/api/v1/sources');
    expect(paths.filter((p) => p.startsWith('/dashboard') || p.startsWith('/admin'))).toEqual([]);
  });

  it('a bearer token does not open the dashboard: only the sign-in session does', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/dashboard', headers: { authorization: `Bearer ${operatorToken}` } });
    expect(res.statusCode).toBe(303);
  });
});

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict, signed session cookie, not Secure over plain http', async () => {
    const { res, jar } = await signIn();
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/dashboard');
    const cookie = res.cookies.find((c) => c.name === 'hasad_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.secure).toBeFalsy();
    // Signed: value.signature; a tampered value is not a session.
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_+/=-]+$/);
    // Change the first character to one it is not (a fixed 'x' left a value starting with 'x' untouched: 1 run in 64).
    const value = jar.hasad_session!;
    const tamperedValue = `${value.startsWith('x') ? 'y' : 'x'}${value.slice(1)}`;
    expect(tamperedValue).not.toBe(value);
    const tampered = await h.app.inject({ method: 'GET', url: '/dashboard', cookies: { hasad_session: tamperedValue } });
    expect(tampered.statusCode).toBe(303);
    const page = await h.app.inject({ method: 'GET', url: '/dashboard', cookies: jar });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('Vue d’ensemble');
    expect(page.body).toContain('Connecté : Salma Idrissi');
  });

  it('marks the cookie Secure when the request came over https (X-Forwarded-Proto)', async () => {
    const { res } = await signIn(operatorToken, { 'x-forwarded-proto': 'https' });
    expect(res.cookies.find((c) => c.name === 'hasad_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
  });

  it('refuses organisation tokens, unknown tokens and a form without its CSRF token', async () => {
    const org = await signIn(orgToken);
    expect(org.res.statusCode).toBe(403);
    expect(org.res.body).toContain('réservé aux opérateurs');
    expect(org.res.cookies.find((c) => c.name === 'hasad_session')).toBeUndefined();
    const unknown = await signIn(`hsd_${'A'.repeat(43)}`);
    expect(unknown.res.statusCode).toBe(401);
    expect(unknown.res.body).toContain('n’est pas valide');
    const noCsrf = await h.app.inject({ method: 'POST', url: '/dashboard/sign-in', payload: new URLSearchParams({ token: operatorToken }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.cookies.find((c) => c.name === 'hasad_session')).toBeUndefined();
  });

  it('never redirects outside the dashboard after sign-in', async () => {
    const form = await h.app.inject({ method: 'GET', url: '/dashboard/sign-in?next=https://evil.example/' });
    expect(form.body).toContain('name="next" value="/dashboard"');
    const jar = keep({}, form);
    const res = await h.app.inject({ method: 'POST', url: '/dashboard/sign-in', cookies: jar, payload: new URLSearchParams({ _csrf: hidden(form.body, '_csrf')!, next: '//evil.example/x', token: operatorToken }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.headers.location).toBe('/dashboard');
  });

  it('opens Bull Board and its API to a signed-in operator, read-only', async () => {
    const { jar } = await signIn();
    const board = await h.app.inject({ method: 'GET', url: '/admin/queues', cookies: jar });
    expect(board.statusCode).toBe(200);
    // Its own assets only: no public font service, no script or style from another origin; a way back to the dashboard.
    expect(board.body).not.toContain('fonts.googleapis.com');
    expect(board.body).not.toMatch(/<(?:link|script)\b[^>]*(?:href|src)="(?:https?:)?\/\//i);
    expect(board.headers['content-security-policy']).toContain("default-src 'self'");
    expect(board.body).toContain('"url":"/dashboard"');
    const sources = await h.app.inject({ method: 'GET', url: '/dashboard', cookies: jar });
    expect(sources.body).toContain('href="/admin/queues"');
    const api = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', cookies: jar });
    expect(api.statusCode).toBe(200);
    expect(api.json().queues.map((q: { name: string }) => q.name).sort()).toEqual(['harvest', 'links', 'load', 'notify']);
    const retry = await h.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/harvest/retry/failed', cookies: jar });
    expect(retry.statusCode).toBe(403);
  });
});

describe('a signed-in operator', () => {
  it('is refused a form posted without the session CSRF token, or with another session’s', async () => {
    const a = await signIn();
    const b = await signIn();
    for (const fields of [{}, { _csrf: '' }, { _csrf: b.csrf }, { _csrf: `${a.csrf}x` }] as Array<Record<string, string>>) {
      const res = await post(`/dashboard/sources/${seed.source.hcp}/pause`, a.jar, fields);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Le formulaire a expiré');
    }
    // A JSON body is not a form either.
    const json = await h.app.inject({ method: 'POST', url: `/dashboard/sources/${seed.source.hcp}/pause`, cookies: a.jar, payload: { _csrf: 'nope' } });
    expect(json.statusCode).toBe(403);
    expect((await h.pool.query('SELECT enabled FROM sources WHERE id = $1', [seed.source.hcp])).rows[0].enabled).toBe(true);
    const ok = await post(`/dashboard/sources/${seed.source.hcp}/pause`, a.jar, { _csrf: a.csrf });
    expect(ok.statusCode).toBe(303);
    expect((await h.pool.query('SELECT enabled FROM sources WHERE id = $1', [seed.source.hcp])).rows[0].enabled).toBe(false);
    const resumed = await post(`/dashboard/sources/${seed.source.hcp}/resume`, a.jar, { _csrf: a.csrf });
    expect(resumed.statusCode).toBe(303);
    expect((await h.pool.query('SELECT enabled FROM sources WHERE id = $1', [seed.source.hcp])).rows[0].enabled).toBe(true);
  });

  it('sees the sources list with filters and search, escaped', async () => {
    const { jar } = await signIn();
    const all = await h.app.inject({ method: 'GET', url: '/dashboard/sources', cookies: jar });
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('Catalogue du HCP');
    expect(all.body).toContain('ONEE &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(all.body).not.toContain('<script>alert');
    // The source URL's password is never shown.
    expect(all.body).not.toContain('s3cr3t-pass');
    const failed = await h.app.inject({ method: 'GET', url: '/dashboard/sources?outcome=failed', cookies: jar });
    expect(failed.body).toContain(`data-source="${seed.source.onee}"`);
    expect(failed.body).not.toContain(`data-source="${seed.source.hcp}"`);
    const byOrg = await h.app.inject({ method: 'GET', url: '/dashboard/sources?organization=hcp&kind=dcat', cookies: jar });
    expect(byOrg.body).toContain(`data-source="${seed.source.hcp}"`);
    expect(byOrg.body).not.toContain(`data-source="${seed.source.onee}"`);
    const search = await h.app.inject({ method: 'GET', url: '/dashboard/sources?q=open.onee', cookies: jar });
    expect(search.body).toContain(`data-source="${seed.source.onee}"`);
    expect(search.body).not.toContain(`data-source="${seed.source.hcp}"`);
  });

  it('reads a source page: config without credentials, problems grouped by kind with examples, history chart', async () => {
    const { jar } = await signIn();
    const res = await h.app.inject({ method: 'GET', url: `/dashboard/sources/${seed.source.hcp}`, cookies: jar });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('top-secret-token');
    expect(res.body).toContain('••••••');
    expect(res.body).toMatch(/<code>missing_title<\/code>/);
    expect(res.body).toContain('hcp-ds-101');
    expect(res.body).toContain('<svg class="history"');
    expect(res.body).toContain('data-testid="review-actions"');
    // The seeded rows predate quality scoring: the section says so rather than showing a score.
    expect(res.body).toContain('Qualité des métadonnées');
    expect(res.body).toContain('Aucun jeu de données actif n’a encore de score (2 actifs');
    expect((await h.app.inject({ method: 'GET', url: `/dashboard/sources/00000000-0000-4000-8000-000000000000`, cookies: jar })).statusCode).toBe(404);
  });

  it('reads a failed run: error, the failed page’s response escaped, timeline', async () => {
    const { jar } = await signIn();
    const res = await h.app.inject({ method: 'GET', url: `/dashboard/runs/${seed.run.oneeFailed}`, cookies: jar });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('answered HTTP 503');
    expect(res.body).toContain('&lt;h1&gt;Service indisponible&lt;/h1&gt;&lt;script&gt;');
    expect(res.body).toContain('data-testid="timeline"');
    expect(res.body).toContain('Mise en file');
  });

  it('downloads a run’s problems as CSV with formulas neutralised', async () => {
    const { jar } = await signIn();
    const res = await h.app.inject({ method: 'GET', url: `/dashboard/runs/${seed.run.hcpLatest}/problems.csv`, cookies: jar });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('attachment');
    const lines = res.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('page,batch,severity,code,field,identifier,message');
    expect(lines).toHaveLength(7);
    const formula = lines.find((l) => l.includes('csv_formula'))!;
    expect(formula).toBe(`"4","0","warning","csv_formula","title","'+33612345678","'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(lines.filter((l) => /(^|,)"[=+\-@]/.test(l))).toEqual([]);
  });

  it('approves a pending source and confirms a needs_review withdrawal', async () => {
    const { jar, csrf } = await signIn();
    await h.pool.query(`UPDATE sources SET approval_status = 'pending' WHERE id = $1`, [seed.source.onee]);
    const overview = await h.app.inject({ method: 'GET', url: '/dashboard', cookies: jar });
    expect(overview.body).toContain(`/dashboard/sources/${seed.source.onee}`);
    expect(overview.body).toContain(`/dashboard/runs/${seed.run.hcpLatest}`);
    const noComment = await post(`/dashboard/sources/${seed.source.onee}/review`, jar, { _csrf: csrf, decision: 'reject', comment: ' ' });
    expect(noComment.statusCode).toBe(400);
    expect(noComment.body).toContain('Un refus demande un commentaire');
    const approve = await post(`/dashboard/sources/${seed.source.onee}/review`, jar, { _csrf: csrf, decision: 'approve', comment: 'flux vérifié' });
    expect(approve.statusCode).toBe(303);
    const src = (await h.pool.query('SELECT approval_status, reviewed_by, review_comment FROM sources WHERE id = $1', [seed.source.onee])).rows[0];
    expect(src).toEqual({ approval_status: 'approved', reviewed_by: 'Salma Idrissi', review_comment: 'flux vérifié' });
    const confirm = await post(`/dashboard/runs/${seed.run.hcpLatest}/confirm`, jar, { _csrf: csrf });
    expect(confirm.statusCode).toBe(303);
    const after = (await h.pool.query('SELECT status, withdrawn FROM runs WHERE id = $1', [seed.run.hcpLatest])).rows[0];
    expect(after.status).toBe('succeeded');
    expect(confirm.headers.location).toBe(`/dashboard/runs/${seed.run.hcpLatest}?done=confirm&n=${after.withdrawn}`);
    const shown = await h.app.inject({ method: 'GET', url: confirm.headers.location as string, cookies: jar });
    expect(shown.body).toContain(`Retraits confirmés, retirés : ${after.withdrawn} jeux de données.`);
    const again = await post(`/dashboard/runs/${seed.run.hcpLatest}/cancel`, jar, { _csrf: csrf });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('not waiting for review');
  });

  it('cancels a running run from its page: a CSRF-protected button, the run ends cancelled and the slot is free', async () => {
    const { jar, csrf } = await signIn();
    const run = (
      await h.pool.query<{ id: string }>(`INSERT INTO runs (source_id, trigger, status, started_at) VALUES ($1, 'manual', 'running', now()) RETURNING id`, [seed.source.onee])
    ).rows[0]!.id;
    const page = await h.app.inject({ method: 'GET', url: `/dashboard/runs/${run}`, cookies: jar });
    expect(page.body).toContain('data-testid="cancel-run"');
    expect(page.body).toContain(`action="/dashboard/runs/${run}/cancel"`);
    // Without the form's CSRF token: refused, the run goes on.
    expect((await post(`/dashboard/runs/${run}/cancel`, jar, {})).statusCode).toBe(403);
    expect((await h.pool.query('SELECT status FROM runs WHERE id = $1', [run])).rows[0].status).toBe('running');
    const res = await post(`/dashboard/runs/${run}/cancel`, jar, { _csrf: csrf });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/dashboard/runs/${run}?done=cancelRun`);
    const after = (await h.pool.query('SELECT status, error_code, error FROM runs WHERE id = $1', [run])).rows[0];
    expect(after).toEqual({ status: 'cancelled', error_code: 'cancelled', error: 'cancelled by operator Salma Idrissi; nothing was withdrawn' });
    const shown = await h.app.inject({ method: 'GET', url: res.headers.location as string, cookies: jar });
    expect(shown.body).toContain('Moissonnage annulé');
    expect(shown.body).not.toContain('data-testid="cancel-run"');
  });

  it('previews a pending source before approving it, with the fetcher’s own address rules', async () => {
    const { jar } = await signIn();
    const created = await h.pool.query<{ id: string }>(
      `INSERT INTO sources (organization_id, kind, url, title, config, approval_status) VALUES ($1, 'dcat', 'http://127.0.0.1:9/catalog.ttl', 'Flux à vérifier', '{}', 'pending') RETURNING id`,
      [seed.org.onee],
    );
    const id = created.rows[0]!.id;
    const src = await h.app.inject({ method: 'GET', url: `/dashboard/sources/${id}`, cookies: jar });
    expect(src.body).toContain(`href="/dashboard/sources/${id}/preview"`);
    const preview = await h.app.inject({ method: 'GET', url: `/dashboard/sources/${id}/preview`, cookies: jar });
    expect(preview.statusCode).toBe(422);
    expect(preview.body).toContain('fetch_refused');
    expect((await h.app.inject({ method: 'GET', url: `/dashboard/sources/${seed.run.hcpOld}/preview`, cookies: jar })).statusCode).toBe(404);
    await h.pool.query('DELETE FROM sources WHERE id = $1', [id]);
  });

  it('edits a schedule with the API’s own checks', async () => {
    const { jar, csrf } = await signIn();
    const bad = await post(`/dashboard/sources/${seed.source.hcp}/schedule`, jar, { _csrf: csrf, schedule: '*/5 * * * *', timezone: 'Africa/Casablanca' });
    expect(bad.statusCode).toBe(400);
    expect(/class="flash error"[^>]*>([^<]*)</.exec(bad.body)?.[1]).toContain('body parameter &quot;schedule&quot;');
    const good = await post(`/dashboard/sources/${seed.source.hcp}/schedule`, jar, { _csrf: csrf, schedule: '0 4 * * *', timezone: 'UTC' });
    expect(good.statusCode).toBe(303);
    expect((await h.pool.query('SELECT schedule, timezone FROM sources WHERE id = $1', [seed.source.hcp])).rows[0]).toEqual({ schedule: '0 4 * * *', timezone: 'UTC' });
  });

  it('switches to Arabic, right to left, remembered in a cookie', async () => {
    const { jar } = await signIn();
    const sw = await h.app.inject({ method: 'GET', url: '/dashboard/lang?l=ar&next=%2Fdashboard%2Fsources', cookies: jar });
    expect(sw.statusCode).toBe(303);
    expect(sw.headers.location).toBe('/dashboard/sources');
    keep(jar, sw);
    const page = await h.app.inject({ method: 'GET', url: '/dashboard/sources', cookies: jar });
    expect(page.body).toContain('<html lang="ar" dir="rtl">');
    expect(page.body).toContain('المصادر');
    const en = await h.app.inject({ method: 'GET', url: '/dashboard/lang?l=en&next=https://evil.example', cookies: jar });
    expect(en.headers.location).toBe('/dashboard');
  });

  it('says problems, severities, triggers, review reasons and counts in the page’s language (message catalogue)', async () => {
    const { jar } = await signIn();
    // An earlier case confirmed the seeded review: put it back as the finaliser leaves it.
    await h.pool.query(`UPDATE runs SET status = 'needs_review', pending_withdrawals = 7 WHERE id = $1`, [seed.run.hcpLatest]);
    await h.pool.query(`UPDATE datasets SET status = 'active' WHERE source_identifier = 'hcp-qualite-air'`);
    keep(jar, await h.app.inject({ method: 'GET', url: '/dashboard/lang?l=ar&next=%2Fdashboard', cookies: jar }));
    const ar = await h.app.inject({ method: 'GET', url: `/dashboard/runs/${seed.run.hcpLatest}`, cookies: jar });
    expect(ar.body).toContain('المجموعة بلا معرف ثابت'.replace('المجموعة', 'مجموعة البيانات')); // missing_identifier
    expect(ar.body).toContain('<span class="sev-error">خطأ</span>');
    expect(ar.body).toContain('بطلب'); // trigger manual
    expect(ar.body).toContain('سيتم سحب 7 مجموعات بيانات، أي فوق عتبة السحب الخاصة بالمصدر.');
    expect(ar.body).not.toContain('would be withdrawn');
    expect(ar.body).toMatch(/غرينتش|GMT|UTC/); // times with their zone
    keep(jar, await h.app.inject({ method: 'GET', url: '/dashboard/lang?l=fr&next=%2Fdashboard', cookies: jar }));
    const fr = await h.app.inject({ method: 'GET', url: `/dashboard/runs/${seed.run.hcpLatest}`, cookies: jar });
    expect(fr.body).toContain('L’exécution ' + seed.run.hcpLatest.slice(0, 8) + ' retirerait 7 jeux de données.');
    expect(fr.body).toContain('Le jeu de données n’a pas d’identifiant stable.');
    expect(fr.body).toContain('<span class="sev-warning">avertissement</span>');
    expect(fr.body).not.toMatch(/\d Pages/);
    // Which datasets, not only how many: the list is on the page before confirming.
    expect(fr.body).toContain('data-testid="pending-withdrawals"');
    expect(fr.body).toContain('data-identifier="hcp-qualite-air"');
    expect(fr.body).toContain("Qualité de l&#39;air à Casablanca");
    const overview = await h.app.inject({ method: 'GET', url: '/dashboard', cookies: jar });
    expect(overview.body).toContain('7 jeux de données seraient retirés, au-delà du seuil de retrait de la source.');
    const sources = await h.app.inject({ method: 'GET', url: '/dashboard/sources', cookies: jar });
    expect(sources.body).not.toContain('>manual<');
  });

  it('streams live snapshots over server-sent events', async () => {
    const { jar } = await signIn();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as AddressInfo).port;
    const ctl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/dashboard/events?run=${seed.run.hcpOld}`, { headers: { cookie: `hasad_session=${jar.hasad_session}` }, signal: ctl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('data: {')) text += new TextDecoder().decode((await reader.read()).value);
    while (!/data: \{.*\}\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const snap = JSON.parse(/data: (\{.*\})\n\n/.exec(text)![1]!);
    expect(snap.queues.harvest).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(snap.run).toMatchObject({ id: seed.run.hcpOld, status: 'succeeded', final: true });
    ctl.abort();
  });

  it('loses the session when the token is revoked, and on sign-out', async () => {
    const a = await signIn();
    const out = await post('/dashboard/sign-out', a.jar, { _csrf: a.csrf });
    expect(out.statusCode).toBe(303);
    expect((await h.app.inject({ method: 'GET', url: '/dashboard', cookies: a.jar })).statusCode).toBe(303);
    // The old cookie, replayed after sign-out, is no session either.
    const b = await signIn();
    const replay = { ...b.jar };
    expect((await h.app.inject({ method: 'GET', url: '/dashboard/sources', cookies: b.jar })).statusCode).toBe(200);
    // An event stream open when the token is revoked is told so and closed.
    if (!h.app.server.listening) await h.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.app.server.address() as AddressInfo).port;
    const stream = await fetch(`http://127.0.0.1:${port}/dashboard/events`, { headers: { cookie: `hasad_session=${b.jar.hasad_session}` } });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('data: {')) text += new TextDecoder().decode((await reader.read()).value);
    await revokeApiToken(h.deps.db, operatorTokenId);
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('event: signed-out');
    for (const url of ['/dashboard/sources', '/admin/queues', '/admin/queues/api/queues']) {
      const res = await h.app.inject({ method: 'GET', url, cookies: replay });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toMatch(/^\/dashboard\/sign-in/);
    }
    expect((await signIn()).res.statusCode).toBe(401);
  });
});
