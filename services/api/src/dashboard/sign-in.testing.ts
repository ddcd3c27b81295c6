import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A cookie jar for `app.inject`: name → value. */
export type CookieJar = Record<string, string>;

/** Merges the cookies a response set into `jar`; a cleared cookie is removed. */
export function keepCookies(jar: CookieJar, res: LightMyRequestResponse): CookieJar {
  for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
    if (c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now())) delete jar[c.name];
    else jar[c.name] = c.value;
  }
  return jar;
}

/** The value of hidden field `name` in a page. */
export function hiddenField(body: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
}

/**
 * Signs in to the dashboard through its form, as a browser does (tests only). Returns the
 * cookie jar, the session's CSRF token (read from a page) and the sign-in answer.
 */
export async function signInWithForm(app: FastifyInstance, token: string, headers: Record<string, string> = {}): Promise<{ jar: CookieJar; csrf: string; res: LightMyRequestResponse }> {
  const jar: CookieJar = {};
  const form = await app.inject({ method: 'GET', url: '/dashboard/sign-in', headers });
  keepCookies(jar, form);
  const res = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    cookies: jar,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: hiddenField(form.body, '_csrf') ?? '', next: '/dashboard', token }).toString(),
  });
  keepCookies(jar, res);
  const page = await app.inject({ method: 'GET', url: '/dashboard', cookies: jar });
  return { jar, csrf: hiddenField(page.body, '_csrf') ?? '', res };
}
