import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization, createRun, createSource } from '@hasad/db';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';

/**
 * The institutions' space under hostile input (issue 14): its forms over real HTTP against the
 * API process. Every form refuses a post without the session's CSRF token or sent from another
 * site; every field refuses an oversized value, naming it, and renders a script back as text;
 * another organisation's ids, and ids that are not ids, answer 404 and change nothing.
 */

const SCRIPT = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`;

let p: TestPipeline;
let base: string;
const ids = { mine: '', theirs: '', theirRun: '', myRun: '' };
let mineToken: string;

/** A browser-like session: cookies kept between requests, the CSRF token read from the last page. */
class Session {
  jar = new Map<string, string>();
  csrf = '';
  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const v = pair!.slice(i + 1);
      if (v === '') this.jar.delete(pair!.slice(0, i));
      else this.jar.set(pair!.slice(0, i), v);
    }
  }
  cookie = () => [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async get(path: string) {
    const res = await fetch(`${base}${path}`, { headers: { cookie: this.cookie() }, redirect: 'manual' });
    this.keep(res);
    const body = await res.text();
    this.csrf = /name="_csrf" value="([^"]*)"/.exec(body)?.[1] ?? this.csrf;
    return { status: res.status, body };
  }
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookie(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    this.keep(res);
    return { status: res.status, body: await res.text(), location: res.headers.get('location') };
  }
  async signIn(token: string) {
    await this.get('/espace/sign-in');
    const res = await this.post('/espace/sign-in', { _csrf: this.csrf, next: '/espace', token });
    await this.get('/espace');
    return res;
  }
}

beforeAll(async () => {
  p = await startTestPipeline(['api'], {});
  base = p.rt.apiUrl!;
  const db = p.rt.db;
  const mine = await createOrganization(db, { slug: 'sante', name: 'Ministère de la Santé' });
  const theirs = await createOrganization(db, { slug: 'energie', name: 'Ministère de l’Énergie' });
  mineToken = (await createApiToken(db, { role: 'organization', organizationId: mine.id })).token;
  ids.mine = (await createSource(db, { organizationId: mine.id, kind: 'dcat', url: 'https://data.sante.gov.ma/catalog.ttl', title: 'Santé', config: {} })).id;
  ids.theirs = (await createSource(db, { organizationId: theirs.id, kind: 'dcat', url: 'https://data.energie.gov.ma/catalog.ttl', title: 'Énergie secrète', config: {} })).id;
  ids.theirRun = (await createRun(db, ids.theirs, 'manual')).id;
  ids.myRun = (await createRun(db, ids.mine, 'manual')).id;
  // Both runs wait for review: a decision on the other organisation's would withdraw its datasets.
  await p.rt.db.pool.query(`UPDATE runs SET status = 'needs_review', pending_withdrawals = 3, finished_at = now() WHERE id = ANY($1)`, [[ids.theirRun, ids.myRun]]);
});

afterAll(async () => {
  await p?.close();
});

describe('the space’s forms under hostile input', () => {
  it('refuse every post without the session’s CSRF token, with another’s, or sent from another site', async () => {
    const s = new Session();
    await s.signIn(mineToken);
    const other = new Session();
    await other.signIn(mineToken);
    const forms: Array<[string, Record<string, string>]> = [
      [`/espace/sources/${ids.mine}/harvest`, {}],
      [`/espace/runs/${ids.myRun}/confirm`, {}],
      [`/espace/runs/${ids.myRun}/cancel`, {}],
      ['/espace/register', { kind: 'dcat', url: 'https://example.org/catalog.ttl', action: 'save' }],
      ['/espace/notifications/test', {}],
      ['/espace/sign-out', {}],
    ];
    for (const [path, fields] of forms) {
      for (const bad of [{}, { _csrf: '' }, { _csrf: other.csrf }, { _csrf: `${s.csrf}x` }] as Array<Record<string, string>>) {
        expect((await s.post(path, { ...fields, ...bad })).status, `${path} ${JSON.stringify(bad)}`).toBe(403);
      }
      expect((await s.post(path, { ...fields, _csrf: s.csrf }, { 'sec-fetch-site': 'cross-site' })).status, `${path} cross-site`).toBe(403);
      expect((await s.post(path, { ...fields, _csrf: s.csrf }, { origin: 'https://evil.example' })).status, `${path} foreign origin`).toBe(403);
    }
    // The sign-in form too (login CSRF).
    const fresh = new Session();
    await fresh.get('/espace/sign-in');
    expect((await fresh.post('/espace/sign-in', { _csrf: 'forged', token: mineToken })).status).toBe(403);
    // Nothing happened: no run, no decision, no source, still signed in.
    const counts = await p.rt.db.pool.query(`SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM sources) AS sources, (SELECT status FROM runs WHERE id = $1) AS status`, [ids.myRun]);
    expect(counts.rows[0]).toEqual({ runs: 2, sources: 2, status: 'needs_review' });
    expect((await s.get('/espace')).status).toBe(200);
  });

  it('refuse an oversized value in every field, naming it, and never answer 5xx', async () => {
    const s = new Session();
    await s.signIn(mineToken);
    const limits: Record<string, number> = { kind: 20, url: 4096, title: 500, schedule: 200, timezone: 100, config: 20_000 };
    const ok = { kind: 'dcat', url: 'https://example.org/catalog.ttl', title: 't', schedule: '', timezone: 'UTC', config: '{}' };
    for (const [field, max] of Object.entries(limits)) {
      const res = await s.post('/espace/register', { ...ok, [field]: 'a'.repeat(max + 1), _csrf: s.csrf, action: 'save' });
      expect(res.status, field).toBe(400);
      expect(res.body, field).toContain(`« ${field} »`);
    }
    // A token of 60 000 characters is not looked up; a body over 64 KiB is refused whole.
    const t = new Session();
    await t.get('/espace/sign-in');
    expect((await t.post('/espace/sign-in', { _csrf: t.csrf, token: `hsd_${'x'.repeat(60_000)}` })).status).toBe(401);
    expect((await s.post('/espace/register', { ...ok, config: 'x'.repeat(70_000), _csrf: s.csrf })).status).toBe(413);
    expect((await p.rt.db.pool.query('SELECT count(*)::int AS n FROM sources')).rows[0].n).toBe(2);
  });

  it('render a script typed in any field back as text', async () => {
    const s = new Session();
    await s.signIn(mineToken);
    for (const field of ['url', 'title', 'schedule', 'timezone', 'config']) {
      const posted = await s.post('/espace/register', { kind: 'dcat', url: 'https://example.org/catalog.ttl', title: 't', schedule: '', timezone: 'UTC', config: '{}', [field]: SCRIPT, _csrf: s.csrf, action: 'save' });
      expect(posted.status, field).toBeLessThan(500);
      // Refused (400, the form shown again with what was typed), or accepted (the title): the page that follows shows it.
      const res = posted.status === 303 ? await s.get(posted.location!) : posted;
      expect(res.body, field).not.toContain('<script>alert(1)');
      expect(res.body, field).not.toContain('<img src=x');
      expect(res.body, field).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    // The language and next parameters are not reflected as markup or followed off-site.
    const lang = await s.get(`/espace/lang?l=${encodeURIComponent(SCRIPT)}&next=${encodeURIComponent('//evil.example/x')}`);
    expect(lang.status).toBe(303);
    const page = await s.get(`/espace/sources/${ids.mine}?done=${encodeURIComponent(SCRIPT)}&n=${encodeURIComponent(SCRIPT)}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)');
  });

  it('answer 404 for another organisation’s ids, and for ids that are not ids, changing nothing', async () => {
    const s = new Session();
    await s.signIn(mineToken);
    const gets = [`/espace/sources/${ids.theirs}`, `/espace/runs/${ids.theirRun}`, '/espace/sources/..%2F..%2Fadmin', '/espace/runs/%00', `/espace/sources/${'f'.repeat(5000)}`, `/espace/runs/${ids.theirs}`];
    for (const url of gets) {
      const res = await s.get(url);
      // A NUL byte is refused before routing by the API's input check (400 invalid_parameter); the rest are 404.
      expect(res.status, url).toBe(url.includes('%00') ? 400 : 404);
      expect(res.body, url).not.toContain('Énergie secrète');
    }
    for (const url of [`/espace/sources/${ids.theirs}/harvest`, `/espace/runs/${ids.theirRun}/confirm`, `/espace/runs/${ids.theirRun}/cancel`]) {
      expect((await s.post(url, { _csrf: s.csrf })).status, url).toBe(404);
    }
    const theirs = await p.rt.db.pool.query(`SELECT status, (SELECT count(*)::int FROM runs WHERE source_id = $2) AS runs FROM runs WHERE id = $1`, [ids.theirRun, ids.theirs]);
    expect(theirs.rows[0]).toEqual({ status: 'needs_review', runs: 1 });
  });
});
