import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Bad input in query strings and path parameters (issue 11, "smaller"): each is the client's
// mistake and is answered 400 naming the parameter, never 500. Real PostgreSQL and Redis.

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.close();
});

const get = async (url: string) => {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as { error?: { code: string; message: string }; success?: boolean } };
};

const NUL = '%00';

describe('bad query and path input answers 400, not 500', () => {
  const cases = [
    `/api/v1/datasets?q=eau${NUL}`,
    `/api/v1/datasets?theme=x${NUL}`,
    `/api/v1/datasets?publisher=x${NUL}`,
    `/api/v1/datasets?keyword=x${NUL}`,
    `/api/v1/datasets/abc${NUL}def`,
    `/api/v1/datasets?page=99999999999999999999`,
    `/api/v1/datasets?limit=99999999999999999999`,
    `/api/3/action/package_search?q=eau${NUL}`,
    `/api/3/action/package_search?fq=tags:x${NUL}`,
    `/api/3/action/package_show?id=x${NUL}`,
    `/api/3/action/package_search?start=99999999999999999999`,
  ];
  for (const url of cases) {
    it(url, async () => {
      const res = await get(url);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error?.code).toBe('invalid_parameter');
      // The message names the parameter.
      expect(res.body.error?.message).toMatch(/parameter "\w+"/);
    });
  }

  it('facet.field=["__proto__"] is an unsupported facet (CKAN\'s 409 Validation Error), not an inherited property', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const res = await get(`/api/3/action/package_search?facet.field=${encodeURIComponent(JSON.stringify([name]))}`);
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.success).toBe(false);
      expect(JSON.stringify(res.body)).toContain('is not supported');
    }
  });
});
