import { readFileSync } from 'node:fs';
import { loadConfig } from '@hasad/core';
import { createOrganization, createSource, findOrganizationBySlug, listSources, runMigrations, updateSource } from '@hasad/db';
import { etagOf, FeedServer } from '@hasad/testkit';
import { triggerHarvest, waitForRun } from './commands.ts';
import { discoverServices } from './discover.ts';
import { startRoles, stopOnSignals } from './runtime.ts';

const FIXTURES = new URL('../fixtures/demo/', import.meta.url);

/**
 * `hasad demo`: finds or starts PostgreSQL and Redis, migrates, starts every role, serves a
 * demo DCAT feed (two Turtle pages, French, Arabic and Tamazight) on loopback, registers it
 * for a demo organisation, harvests it, and prints where to look. Ctrl-C stops everything.
 */
export async function runDemo(): Promise<void> {
  const found = await discoverServices(process.env);
  const feed = await FeedServer.start();
  for (const n of [1, 2]) {
    const body = readFileSync(new URL(`catalog-page-${n}.ttl`, FIXTURES), 'utf8').replaceAll('http://127.0.0.1:PORT', feed.url);
    const etag = etagOf(body);
    feed.route(`/demo/catalog?page=${n}`, (req) =>
      req.headers['if-none-match'] === etag ? { status: 304, headers: { etag } } : { body, contentType: 'text/turtle; charset=utf-8', headers: { etag } },
    );
  }
  // The demo feed is on loopback, which the fetcher refuses unless told otherwise.
  const config = loadConfig({ ...process.env, DATABASE_URL: found.databaseUrl, REDIS_URL: found.redisUrl, HASAD_ALLOW_PRIVATE_HOSTS: '1' });
  await runMigrations(config.DATABASE_URL);
  let rt;
  try {
    rt = await startRoles(['api', 'scheduler', 'fetcher', 'loader'], config);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    rt = await startRoles(['api', 'scheduler', 'fetcher', 'loader'], { ...config, PORT: 0 });
  }
  const { db } = rt.db;
  const org = (await findOrganizationBySlug(db, 'demo-equipement-eau')) ?? (await createOrganization(db, { slug: 'demo-equipement-eau', name: "Ministère de l'Équipement et de l'Eau (démo)" }));
  const url = `${feed.url}/demo/catalog?page=1`;
  // The feed's port changes each time: one demo source is kept and pointed at today's port,
  // so repeated demos harvest the same datasets (unchanged) instead of piling up copies.
  const [existing] = await listSources(db, { organizationId: org.id });
  const source = existing
    ? ((await updateSource(db, existing.id, { url, enabled: true })) ?? existing)
    : await createSource(db, { organizationId: org.id, kind: 'dcat', url, title: 'Catalogue DCAT de démonstration', schedule: 'hourly' });
  const run = await waitForRun(rt.db, (await triggerHarvest(rt.db, config, source.id, 'demo')).id, 120_000);
  const secs = run.finishedAt && run.startedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(2) : '?';
  const out = [
    '',
    `Hasad demo is running (${found.notes.join('; ')})`,
    `  catalogue API : ${rt.apiUrl}/api/v1/datasets`,
    `  run report    : npx hasad run show ${run.id}   (or GET /api/v1/runs/${run.id} with a token)`,
    `  dashboard     : ${rt.apiUrl}/dashboard   (sign in with a token from: npx hasad token create --operator NAME; Bull Board: /admin/queues)`,
    `  demo feed     : ${url}`,
    `run ${run.id}: ${run.status} in ${secs} s: seen ${run.seen}, created ${run.created}, updated ${run.updated}, unchanged ${run.unchanged}, withdrawn ${run.withdrawn}, invalid ${run.invalid}, pages ${run.pagesFetched} (${run.pagesNotModified} not modified)`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(out.join('\n'));
  stopOnSignals(rt, () => {
    void feed.close().then(() => found.stop()).then(() => process.exit(0));
  });
}
