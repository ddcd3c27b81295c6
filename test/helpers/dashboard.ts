import { createApiToken } from '@hasad/db';
import type { TestPipeline } from './pipeline.ts';

/**
 * Signs in to the dashboard of the pipeline's API through its form, over HTTP, with a new
 * operator token, as a browser does; returns the Cookie header of the session. `api` is the
 * API's URL as the test reaches it (default the one it listens on).
 * @throws when the sign-in is not answered with a redirect (303).
 */
export async function dashboardSignIn(p: TestPipeline, api = p.rt.apiUrl!): Promise<string> {
  const token = (await createApiToken(p.rt.db.db, { role: 'operator', operatorName: 'Opératrice de test' })).token;
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await fetch(`${api}/dashboard/sign-in`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]*)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${api}/dashboard/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, next: '/dashboard', token }).toString(),
  });
  if (res.status !== 303) throw new Error(`dashboard sign-in answered ${res.status}`);
  keep(res);
  return cookie();
}
