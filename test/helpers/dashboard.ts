import { createApiToken } from '@hasad/db';
import type { TestPipeline } from './pipeline.ts';

/** The cookies a response set, as `name=value` pairs (attributes dropped). */
function setCookies(res: Response, jar: Map<string, string>): void {
  for (const c of res.headers.getSetCookie()) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /max-age=0\b/i.test(c)) jar.delete(name);
    else jar.set(name, value);
  }
}

/**
 * Signs in to the dashboard of a listening API with an operator token through its form, over
 * real HTTP, as a browser does. Returns the `Cookie` header of the session.
 */
export async function signInDashboard(apiUrl: string, operatorToken: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${apiUrl}/dashboard/sign-in`, { redirect: 'manual' });
  setCookies(form, jar);
  const csrf = /name="_csrf" value="([^"]*)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${apiUrl}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, next: '/dashboard', token: operatorToken }).toString(),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`dashboard sign-in answered ${res.status}`);
  setCookies(res, jar);
  return cookie();
}

/**
 * Signs in to the dashboard of the pipeline's API with a new operator token (see
 * signInDashboard); returns the Cookie header of the session. `api` is the API's URL as the test
 * reaches it (default the one it listens on).
 */
export async function dashboardSignIn(p: TestPipeline, api = p.rt.apiUrl!): Promise<string> {
  const token = (await createApiToken(p.rt.db, { role: 'operator', operatorName: 'Opératrice de test' })).token;
  return signInDashboard(api, token);
}
