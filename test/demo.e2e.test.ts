import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createDb, findOrganizationBySlug } from '@hasad/db';
import { CLI, ROOT } from './helpers/cli.ts';
import { testEnv } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// `npm run demo` as a newcomer runs it: the real command in its own process, against this
// test's database and queue prefix. The demo lets the fetcher reach its own feed on loopback
// and nothing else: an organisation token cannot make the demo fetch its own API or metrics.
describe('hasad demo', () => {
  let env: Awaited<ReturnType<typeof testEnv>>;
  let child: ChildProcess;
  let out = '';
  let api = '';

  beforeAll(async () => {
    env = await testEnv();
    const { HASAD_ALLOW_PRIVATE_HOSTS: _lifted, ...rest } = env.env;
    child = spawn(process.execPath, [CLI, 'demo'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...rest, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitUntil('the demo to start', async () => /Press Ctrl-C to stop/.test(out) || child.exitCode !== null, (ok) => ok, { timeoutMs: 120_000, context: () => out });
    api = /catalogue API : (http:\/\/\S+)\/api\/v1\/datasets/.exec(out)?.[1] ?? '';
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await env?.cleanup();
  });

  it('harvests its feed, and refuses every other private address to an organisation token', async () => {
    expect(api, out).not.toBe('');
    expect(out).toMatch(/run \S+: succeeded in [\d.]+ s: seen \d+, created \d+/);

    const h = createDb(env.env.DATABASE_URL);
    try {
      const org = await findOrganizationBySlug(h, 'demo-equipement-eau');
      expect(org).toBeDefined();
      const { token } = await createApiToken(h, { role: 'organization', organizationId: org!.id });
      const preview = (url: string) =>
        fetch(`${api}/api/v1/preview`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'dcat', url }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

      const feed = /demo feed {5}: (\S+)/.exec(out)?.[1];
      expect(feed).toBeDefined();
      const own = await preview(feed!);
      expect(own.status, JSON.stringify(own.body)).toBe(200);

      for (const target of [`${api}/metrics`, `${api}/api/v1/datasets`]) {
        const refused = await preview(target);
        expect(refused.status, `${target}: ${JSON.stringify(refused.body)}`).toBeGreaterThanOrEqual(400);
        expect(JSON.stringify(refused.body)).toMatch(/address|loopback|private|not allowed/i);
      }
    } finally {
      await h.close();
    }
  });

  it("finds what docs/portal-api.md's search examples promise on the demo data", async () => {
    const search = async (q: string) => (await (await fetch(`${api}/api/v1/datasets?q=${q}`)).json()) as { total: number; fuzzy: boolean; items: Array<{ title: Record<string, string> }> };
    // Accents folded: "qualite" finds "Qualité de l'eau potable par commune".
    const exact = await search('qualite+eau');
    expect(exact).toMatchObject({ fuzzy: false });
    expect(exact.items.map((d) => d.title['fr'])).toContain("Qualité de l'eau potable par commune");
    // A typo: nothing as typed, the titles most like it.
    const typo = await search('barages');
    expect(typo).toMatchObject({ fuzzy: true });
    expect(typo.items.map((d) => d.title['fr'])).toContain('Taux de remplissage des barrages');
    const suggest = (await (await fetch(`${api}/api/v1/datasets/suggest?q=barr`)).json()) as { datasets: unknown[]; keywords: Array<{ value: string }> };
    expect(suggest.keywords.map((k) => k.value)).toContain('barrages');
  });
});
