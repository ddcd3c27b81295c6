import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against a paged
// SOAP 1.1 dataset service written for this test, served by a real HTTP server on loopback.

const NS = 'urn:hasad:e2e:catalogue';
const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const id = (i: number) => `min-eau-${String(i).padStart(3, '0')}`;
const titleFr = (i: number) => `Niveau des barrages n° ${i} — données « ouvertes »`;
const titleAr = (i: number) => `مستوى السدود رقم ${i}`;

/** What each page request was answered with, and switches a test flips. */
interface Service {
  url: string;
  /** `page` of each request, in order. */
  asked: number[];
  soapActions: Array<string | undefined>;
  omit: Set<number>;
  /** page → answer instead of the page: a Fault (with HTTP status) or a plain HTTP error. */
  fail: Map<number, { status: number; fault?: string; once?: boolean }>;
  close(): Promise<void>;
}

async function startService(count: number): Promise<Service> {
  let server: Server | undefined;
  const svc: Service = {
    url: '',
    asked: [],
    soapActions: [],
    omit: new Set(),
    fail: new Map(),
    close: () => new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve())),
  };
  server = createServer(async (req, res) => {
    const body = await text(req);
    const page = Number(/<cat:page>(\d+)<\/cat:page>/.exec(body)?.[1] ?? 0);
    const size = Number(/<cat:taille>(\d+)<\/cat:taille>/.exec(body)?.[1] ?? 10);
    svc.asked.push(page);
    svc.soapActions.push(req.headers['soapaction'] as string | undefined);
    const failure = svc.fail.get(page);
    if (failure !== undefined) {
      if (failure.once) svc.fail.delete(page);
      if (failure.fault === undefined) {
        res.writeHead(failure.status, { 'content-type': 'text/plain' }).end('service temporairement indisponible');
      } else {
        res.writeHead(failure.status, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(`<soap:Envelope xmlns:soap="${ENV}"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>${esc(failure.fault)}</faultstring></soap:Fault></soap:Body></soap:Envelope>`);
      }
      return;
    }
    const ids = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !svc.omit.has(i));
    const slice = ids.slice((page - 1) * size, page * size);
    const records = slice
      .map(
        (i) =>
          `<cat:jeu><cat:code>${id(i)}</cat:code><cat:titre>${esc(titleFr(i))}</cat:titre><cat:titreAr>${esc(titleAr(i))}</cat:titreAr>` +
          `<cat:motsCles><cat:motCle>eau</cat:motCle><cat:motCle>barrage</cat:motCle></cat:motsCles><cat:miseAJour>0${(i % 9) + 1}/02/2024</cat:miseAJour>` +
          `<cat:fichiers><cat:fichier><cat:lien>https://data.eau.gov.ma/${i}.csv</cat:lien><cat:format>CSV</cat:format></cat:fichier></cat:fichiers></cat:jeu>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ENV}"><soap:Body><cat:ListerJeuxResponse xmlns:cat="${NS}"><cat:total>${ids.length}</cat:total><cat:jeux>${records}</cat:jeux></cat:ListerJeuxResponse></soap:Body></soap:Envelope>`);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  svc.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/catalogue`;
  return svc;
}

const config = {
  soapVersion: '1.1',
  soapAction: `${NS}#ListerJeux`,
  envelope: `<cat:ListerJeux xmlns:cat="${NS}"><cat:page>{{page}}</cat:page><cat:taille>{{pageSize}}</cat:taille><cat:organisme>{{organisme}}</cat:organisme></cat:ListerJeux>`,
  params: { organisme: 'Eau & Barrages' },
  pageSize: 20,
  firstPage: 1,
  recordPath: 'Body/ListerJeuxResponse/jeux/jeu',
  paging: { mode: 'total', totalPath: 'Body/ListerJeuxResponse/total' },
  fields: {
    identifier: 'code',
    'title.fr': 'titre',
    'title.ar': 'titreAr',
    'keywords.fr': { path: 'motsCles/motCle' },
    modified: { path: 'miseAJour', dateFormat: 'DD/MM/YYYY' },
    'distributions[].accessUrl': 'fichiers/fichier/lien',
    'distributions[].format': 'fichiers/fichier/format',
  },
  constants: { 'publisher.name.fr': "Ministère de l'Équipement et de l'Eau" },
};

describe('SOAP harvest end to end', () => {
  let p: TestPipeline;
  let svc: Service;
  let sourceId: string;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    svc = await startService(45);
    sourceId = await p.addSource(svc.url, { kind: 'soap', config });
  });
  afterAll(async () => {
    await p?.close();
    await svc?.close();
  });

  it('harvests every page into the catalogue, French and Arabic intact', async () => {
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 45, created: 45, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: 3 });
    expect(svc.asked).toEqual([1, 2, 3]);
    expect(new Set(svc.soapActions)).toEqual(new Set([`"${NS}#ListerJeux"`]));
    const rows = await p.datasets(sourceId);
    expect(rows.size).toBe(45);
    const row = rows.get(id(7))!;
    expect(row.title).toEqual({ fr: titleFr(7), ar: titleAr(7) });
    expect(row.record).toMatchObject({
      identifier: id(7),
      keywords: { fr: ['barrage', 'eau'] },
      modified: '2024-02-08',
      publisher: { name: { fr: "Ministère de l'Équipement et de l'Eau" } },
      distributions: [{ accessUrl: 'https://data.eau.gov.ma/7.csv', format: 'CSV' }],
    });
    const pages = await p.rt.db.pool.query('SELECT url FROM source_pages WHERE source_id = $1 ORDER BY url', [sourceId]);
    expect(pages.rows.map((r) => r.url)).toEqual([1, 2, 3].map((n) => `${svc.url}#page=${n}`));
  });

  it('a second harvest of the same service ends unchanged and rewrites no row', async () => {
    const before = await p.datasets(sourceId);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 45, unchanged: 45, created: 0, updated: 0, withdrawn: 0, pagesFetched: 3, pagesNotModified: 0 });
    const after = await p.datasets(sourceId);
    for (const [key, r] of before) expect(after.get(key)!.updatedAt).toEqual(r.updatedAt);
  });

  it('withdraws a dataset the service no longer lists after a complete run', async () => {
    svc.omit = new Set([12]);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'succeeded', seen: 44, withdrawn: 1 });
    expect((await p.datasets(sourceId, 'all')).get(id(12))!.status).toBe('withdrawn');
    expect((await p.datasets(sourceId)).size).toBe(44);
  });

  it('a Fault on page 2 fails the run with the fault text and withdraws nothing', async () => {
    svc.omit = new Set([1, 2, 12, 40]);
    svc.fail.set(2, { status: 500, fault: 'Erreur interne : la base « catalogue » est verrouillée' });
    const run = await p.harvest(sourceId);
    svc.fail.clear();
    expect(run.status).toBe('failed');
    expect(run.errorCode).toBe('soap_fault');
    expect(run.error).toContain('soap:Server: Erreur interne : la base « catalogue » est verrouillée');
    expect(run.error).toContain('page 2, HTTP 500');
    expect(run.withdrawn).toBe(0);
    expect((await p.datasets(sourceId)).size).toBe(44);
    svc.omit = new Set([12]);
  });

  it('an HTTP 500 carrying a Fault on the first page puts the fault text in the run error', async () => {
    svc.fail.set(1, { status: 500, fault: 'Jeton expiré' });
    const run = await p.harvest(sourceId);
    svc.fail.clear();
    expect(run).toMatchObject({ status: 'failed', errorCode: 'soap_fault', withdrawn: 0, pagesFetched: 0 });
    expect(run.error).toBe(`SOAP Fault from ${svc.url} (page 1, HTTP 500): soap:Server: Jeton expiré`);
  });

  it('a transient error on page 2 is retried from the checkpoint, without asking page 1 again', async () => {
    svc.asked = [];
    svc.fail.set(2, { status: 503, once: true });
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 44, withdrawn: 0, pagesFetched: 3 });
    expect(svc.asked).toEqual([1, 2, 2, 3]);
  });
});
