import { readFileSync } from 'node:fs';
import { loadConfig } from '@hasad/core';
import { createApiToken, createOrganization, createSource, findOrganizationBySlug, listSources, revokeApiToken, runMigrations, updateSource } from '@hasad/db';
import { etagOf, FeedServer } from '@hasad/testkit';
import { triggerHarvest, waitForRun } from './commands.ts';
import { discoverServices, type Discovered } from './discover.ts';
import { startRoles, stopOnSignals, type Runtime } from './runtime.ts';

const FIXTURES = new URL('../fixtures/demo/', import.meta.url);

/** A demo operator token stops working after this long even if the demo is killed before it can revoke it (ms). */
const DEMO_TOKEN_TTL_MS = 24 * 3600_000;

/**
 * `hasad demo`: finds or starts PostgreSQL and Redis, migrates, starts every role, serves a
 * demo DCAT feed (two Turtle pages, French, Arabic and Tamazight) on loopback, registers it
 * for a demo organisation, harvests it, creates an operator token for this session, and prints
 * where to look. Ctrl-C stops everything, revokes the token and stops private instances.
 */
export async function runDemo(): Promise<void> {
  const found = await discoverServices(process.env);
  let feed: FeedServer | undefined;
  let rt: Runtime | undefined;
  try {
    feed = await FeedServer.start();
    rt = await startDemo(found, feed);
  } catch (err) {
    // Nothing started for the demo outlives it: not the roles, the feed or a private server.
    await rt?.stop().catch(() => {});
    await feed?.close().catch(() => {});
    await found.stop();
    throw err;
  }
  stopOnSignals(rt, () => {
    void feed.close().then(() => found.stop()).then(() => process.exit(0));
  });
}

async function startDemo(found: Discovered, feed: FeedServer): Promise<Runtime> {
  for (const n of [1, 2]) {
    const body = readFileSync(new URL(`catalog-page-${n}.ttl`, FIXTURES), 'utf8').replaceAll('http://127.0.0.1:PORT', feed.url);
    const etag = etagOf(body);
    feed.route(`/demo/catalog?page=${n}`, (req) =>
      req.headers['if-none-match'] === etag ? { status: 304, headers: { etag } } : { body, contentType: 'text/turtle; charset=utf-8', headers: { etag } },
    );
  }
  // The demo feed is on loopback, which the fetcher refuses unless told otherwise: only the feed's
  // own host and port are let through, so that an organisation token cannot preview the demo's
  // own API, metrics or any other private address while it runs.
  const feedHost = new URL(feed.url).host;
  const allowHosts = [process.env.HASAD_ALLOW_HOSTS, feedHost].filter(Boolean).join(',');
  const config = loadConfig({ ...process.env, DATABASE_URL: found.databaseUrl, REDIS_URL: found.redisUrl, HASAD_ALLOW_HOSTS: allowHosts });
  await runMigrations(config.DATABASE_URL);
  let started: Runtime;
  try {
    started = await startRoles(['api', 'scheduler', 'fetcher', 'loader'], config);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    started = await startRoles(['api', 'scheduler', 'fetcher', 'loader'], { ...config, PORT: 0 });
  }
  const rt = started;
  try {
    const org = (await findOrganizationBySlug(rt.db, 'demo-equipement-eau')) ?? (await createOrganization(rt.db, { slug: 'demo-equipement-eau', name: "Ministère de l'Équipement et de l'Eau (démo)" }));
    const url = `${feed.url}/demo/catalog?page=1`;
    // The feed's port changes each time: one demo source is kept and pointed at today's port,
    // so repeated demos harvest the same datasets (unchanged) instead of piling up copies.
    const [existing] = await listSources(rt.db, { organizationId: org.id });
    const source = existing
      ? ((await updateSource(rt.db, existing.id, { url, enabled: true })) ?? existing)
      : await createSource(rt.db, { organizationId: org.id, kind: 'dcat', url, title: 'Catalogue DCAT de démonstration', schedule: 'hourly' });
    const run = await waitForRun(rt.db, (await triggerHarvest(rt.db, config, source.id, 'demo')).id, 120_000);
    const secs = run.finishedAt && run.startedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(2) : '?';
    // An operator token for this session only, so the dashboard and Bull Board can be signed in
    // to at once: revoked when the demo stops (and expiring by itself should the demo be killed).
    const token = await createApiToken(rt.db, { role: 'operator', operatorName: 'demo' }, { expiresAt: new Date(Date.now() + DEMO_TOKEN_TTL_MS) });
    // A server listening on every address is reached on loopback.
    const api = rt.apiUrl!.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
    const out = [
      '',
      `Hasad demo is running (${found.notes.join('; ')})`,
      `  catalogue API : ${api}/api/v1/datasets`,
      `  dashboard     : ${api}/dashboard`,
      `  queues        : ${api}/admin/queues   (Bull Board)`,
      `  operator token: ${token.token}`,
      `                  a demo token for this session only: paste it at ${api}/dashboard/sign-in (dashboard and queues);`,
      `                  it is revoked when the demo stops (npx hasad token create --operator NAME makes a lasting one)`,
      `  run report    : npx hasad run show ${run.id}   (or GET ${api}/api/v1/runs/${run.id} with "Authorization: Bearer <token>")`,
      `  demo feed     : ${url}`,
      `run ${run.id}: ${run.status} in ${secs} s: seen ${run.seen}, created ${run.created}, updated ${run.updated}, unchanged ${run.unchanged}, withdrawn ${run.withdrawn}, invalid ${run.invalid}, pages ${run.pagesFetched} (${run.pagesNotModified} not modified)`,
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(out.join('\n'));
    return {
      ...rt,
      async stop() {
        // The token dies with the session; the pool is still open here (rt.stop closes it).
        await revokeApiToken(rt.db, token.info.id).catch((err: unknown) => rt.log.warn({ err }, 'demo token not revoked (it expires by itself)'));
        await rt.stop();
      },
    };
  } catch (err) {
    await rt.stop().catch(() => {});
    throw err;
  }
}
