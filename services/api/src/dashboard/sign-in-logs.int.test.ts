import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@hasad/core';
import { createApiToken, createOrganization, revokeApiToken } from '@hasad/db';
import { startApiHarness, type ApiHarness } from '../test-harness.ts';

// The dashboard sign-in carries the operator's token in a form body, not in the Authorization
// header the API's logger redacts. Every way of posting that form, over real HTTP against a
// listening API, with the logger at trace level: the token never reaches a log line, nor a page.

let h: ApiHarness;
let base: string;
const logLines: string[] = [];
/** Every page and header block the server answered. */
const answers: string[] = [];
const tokens = { operator: '', organization: '', revoked: '', expired: '' };
/** The session ids the server handed out: credentials too. */
const sessions: string[] = [];

class Browser {
  readonly jar = new Map<string, string>();

  cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, form?: Record<string, string>, raw?: { body: string; type: string }): Promise<{ status: number; body: string; location: string | null }> {
    const headers: Record<string, string> = {};
    if (this.jar.size) headers.cookie = this.cookie();
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    } else if (raw) {
      headers['content-type'] = raw.type;
      body = raw.body;
    }
    const res = await fetch(`${base}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0\b/i.test(c)) this.jar.delete(name);
      else {
        this.jar.set(name, value);
        if (name.includes('session')) sessions.push(decodeURIComponent(value).split('.')[0]!);
      }
    }
    const text = await res.text();
    answers.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, body: text, location: res.headers.get('location') };
  }

  /** Opens the sign-in form and posts `token` through it. */
  async signIn(token: string, extra: Record<string, string> = {}) {
    const form = await this.request('GET', '/dashboard/sign-in');
    expect(form.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1] ?? '';
    return this.request('POST', '/dashboard/sign-in', { _csrf: csrf, next: '/dashboard', token, ...extra });
  }
}

beforeAll(async () => {
  const log = createLogger('dashboard-sign-in-test', 'trace', { write: (line: string) => void logLines.push(line) });
  h = await startApiHarness({ log });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const org = await createOrganization(h.deps.db, { slug: 'min-eau', name: "Ministère de l'Eau" });
  tokens.operator = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
  tokens.organization = (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token;
  const revoked = await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Ancien opérateur' });
  await revokeApiToken(h.deps.db, revoked.info.id);
  tokens.revoked = revoked.token;
  tokens.expired = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Intérim' }, { expiresAt: new Date(Date.now() - 1000) })).token;
});

afterAll(async () => {
  await h?.close();
});

describe('dashboard sign-in: the operator token stays out of the logs', () => {
  it('the form posts the token in the body (never in the URL, which request logs record)', async () => {
    const form = await new Browser().request('GET', '/dashboard/sign-in');
    expect(form.body).toMatch(/<form method="post" action="\/dashboard\/sign-in">/);
    expect(form.body).toMatch(/<input id="token" name="token" type="password"/);
  });

  it('a successful sign-in, pages, and sign-out', async () => {
    const b = new Browser();
    const res = await b.signIn(tokens.operator);
    expect(res.status).toBe(303);
    expect(res.location).toBe('/dashboard');
    const overview = await b.request('GET', '/dashboard');
    expect(overview.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]*)"/.exec(overview.body)?.[1] ?? '';
    expect((await b.request('GET', '/dashboard/sources')).status).toBe(200);
    expect((await b.request('POST', '/dashboard/sign-out', { _csrf: csrf })).status).toBe(303);
    expect(logLines.some((l) => l.includes('operator signed in to the dashboard'))).toBe(true);
  });

  it('refused sign-ins: organisation, revoked, expired, unknown tokens, a wrong CSRF token, a token with spaces', async () => {
    expect((await new Browser().signIn(tokens.organization)).status).toBe(403);
    expect((await new Browser().signIn(tokens.revoked)).status).toBe(401);
    expect((await new Browser().signIn(tokens.expired)).status).toBe(401);
    expect((await new Browser().signIn(`hsd_${'Q'.repeat(43)}`)).status).toBe(401);
    expect((await new Browser().signIn(` ${tokens.operator} `)).status).toBe(303);
    // The CSRF check fails before the token is looked at; the body still carried it.
    expect((await new Browser().signIn(tokens.operator, { _csrf: 'forged' })).status).toBe(403);
    expect(logLines.some((l) => l.includes('dashboard sign-in refused'))).toBe(true);
  });

  it('malformed and oversized sign-in bodies carrying the token', async () => {
    const b = new Browser();
    await b.request('GET', '/dashboard/sign-in');
    // Not a form: JSON and a body larger than the form parser's limit.
    const json = await b.request('POST', '/dashboard/sign-in', undefined, { type: 'application/json', body: JSON.stringify({ token: tokens.operator }) });
    expect(json.status).toBeGreaterThanOrEqual(400);
    const huge = await b.request('POST', '/dashboard/sign-in', undefined, {
      type: 'application/x-www-form-urlencoded',
      body: `token=${tokens.operator}&pad=${'x'.repeat(80 * 1024)}`,
    });
    expect(huge.status).toBe(413);
    const broken = await b.request('POST', '/dashboard/sign-in', undefined, { type: 'application/json', body: `{"token":"${tokens.operator}"` });
    expect(broken.status).toBeGreaterThanOrEqual(400);
  });

  it('no token (nor its secret part, nor a session id) appears in any log line; no page echoes it', async () => {
    expect(logLines.length).toBeGreaterThan(20);
    // The requests were logged at trace level, bodies and all that Fastify logs.
    expect(logLines.some((l) => l.includes('incoming request') && l.includes('/dashboard/sign-in'))).toBe(true);
    expect(sessions.length).toBeGreaterThan(0);
    for (const [i, line] of logLines.entries()) {
      for (const [name, token] of Object.entries(tokens)) {
        expect(line.includes(token.slice(4)), `log line ${i} holds the ${name} token: ${line}`).toBe(false);
        expect(line.includes(encodeURIComponent(token).slice(4)), `log line ${i} holds the ${name} token (URL-encoded)`).toBe(false);
      }
      for (const sid of sessions) expect(line.includes(sid), `log line ${i} holds a session id: ${line}`).toBe(false);
    }
    const pages = answers.join('\n');
    for (const [name, token] of Object.entries(tokens)) expect(pages.includes(token.slice(4)), `a page echoes the ${name} token`).toBe(false);
  });
});
