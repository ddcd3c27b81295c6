import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TAGS } from './openapi.ts';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// What a portal developer reads at /docs: every operation of the public API under one of the
// documented tags, with a summary. A route added without them fails here.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('/openapi.json', () => {
  it('files every operation under a documented tag, with a summary', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { tags: Array<{ name: string; description: string }>; paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> };
    const known = new Set(doc.tags.map((t) => t.name));
    expect([...known].sort()).toEqual(Object.keys(API_TAGS).sort());
    for (const t of doc.tags) expect(t.description, t.name).not.toBe('');
    const problems: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.tags?.length) problems.push(`${where}: no tag`);
        else for (const t of op.tags) if (!known.has(t)) problems.push(`${where}: tag "${t}" is not one of ${[...known].join(', ')}`);
        if (!op.summary?.trim()) problems.push(`${where}: no summary`);
      }
    }
    expect(operations).toBeGreaterThan(25);
    expect(problems).toEqual([]);
    // The portal's routes, each where a portal developer looks for it.
    const tagOf = (path: string, method = 'get') => doc.paths[path]?.[method]?.tags?.[0];
    expect(tagOf('/api/v1/datasets')).toBe('search');
    expect(tagOf('/api/v1/datasets/{id}')).toBe('catalogue');
    expect(tagOf('/api/v1/changes')).toBe('changes');
    expect(tagOf('/catalog')).toBe('export');
    expect(tagOf('/api/3/action/{action}')).toBe('CKAN');
    expect(tagOf('/api/v1/sources', 'post')).toBe('institutions');
    expect(tagOf('/healthz')).toBe('operations');
  });
});
