import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '@hasad/db';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from '../test-harness.ts';
import { fill } from './i18n.ts';
import { hiddenField, keepCookies, signInWithForm } from './sign-in.testing.ts';

/** The dashboard's guards against requests a browser would not send from its own pages (issue 11). */

let h: ApiHarness;
let seed: Seeded;
let operatorToken: string;

beforeAll(async () => {
  h = await startApiHarness();
  seed = await seedCatalogue(h.db, 0);
  operatorToken = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
});

afterAll(async () => {
  await h?.close();
});

const enabled = async () => (await h.pool.query<{ enabled: boolean }>('SELECT enabled FROM sources WHERE id = $1', [seed.source.hcp])).rows[0]?.enabled;

describe('Bull Board stays read-only', () => {
  it('refuses its action routes however the path is spelt, and the queue stays unpaused', async () => {
    const { jar } = await signInWithForm(h.app, operatorToken);
    for (const url of ['/%61dmin/queues/api/queues/harvest/pause', '/admin/%71ueues/api/queues/harvest/pause', '/admin/queues/api/queues/harvest/%70ause', '/admin/queues/api/queues/pause']) {
      const res = await h.app.inject({ method: 'PUT', url, cookies: jar });
      expect(res.statusCode, url).not.toBe(200);
      if (res.statusCode !== 404) expect(res.json().error.code, url).toBe('read_only');
    }
    const spelt = await h.app.inject({ method: 'PUT', url: '/%61dmin/queues/api/queues/harvest/pause', cookies: jar });
    expect(spelt.statusCode).toBe(403);
    expect(await h.deps.queues.harvest.isPaused()).toBe(false);
    // Reading still works through the same spelling.
    const read = await h.app.inject({ method: 'GET', url: '/%61dmin/queues/api/queues', cookies: jar });
    expect(read.statusCode).toBe(200);
  });
});

describe('dashboard forms posted from another site', () => {
  const pause = (jar: Record<string, string>, csrf: string, headers: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url: `/dashboard/sources/${seed.source.hcp}/pause`,
      cookies: jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });

  it('are refused by Sec-Fetch-Site or Origin even with the right CSRF token; the source stays enabled', async () => {
    const { jar, csrf } = await signInWithForm(h.app, operatorToken);
    const foreign: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://localhost:80.evil.example' }];
    for (const headers of foreign) {
      const res = await pause(jar, csrf, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.body).toContain('Le formulaire a expiré');
    }
    expect(await enabled()).toBe(true);
  });

  it('pass from the dashboard itself (same origin), then resume', async () => {
    const { jar, csrf } = await signInWithForm(h.app, operatorToken);
    const same = await pause(jar, csrf, { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' });
    expect(same.statusCode).toBe(303);
    expect(await enabled()).toBe(false);
    const resumed = await h.app.inject({
      method: 'POST',
      url: `/dashboard/sources/${seed.source.hcp}/resume`,
      cookies: jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(resumed.statusCode).toBe(303);
    expect(await enabled()).toBe(true);
  });

  it('sign-in posted from another site is refused: no session cookie', async () => {
    const jar: Record<string, string> = {};
    const form = await h.app.inject({ method: 'GET', url: '/dashboard/sign-in' });
    keepCookies(jar, form);
    const res = await h.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      cookies: jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      payload: new URLSearchParams({ _csrf: hiddenField(form.body, '_csrf') ?? '', next: '/dashboard', token: operatorToken }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(res.cookies.map((c) => c.name)).not.toContain('hasad_session');
  });
});

describe('lookups by name answer only what exists', () => {
  it('static files: inherited names are not files', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await h.app.inject({ method: 'GET', url: `/dashboard/static/${name}` });
      expect(res.statusCode, name).toBe(404);
    }
    expect((await h.app.inject({ method: 'GET', url: '/dashboard/static/dashboard.css' })).statusCode).toBe(200);
  });

  it('message placeholders: `{toString}` and `{constructor}` stay as written', () => {
    expect(fill('{n} sources, {toString}, {constructor}', { n: 3 })).toBe('3 sources, {toString}, {constructor}');
  });
});
