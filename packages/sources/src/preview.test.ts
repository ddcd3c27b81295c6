import { afterEach, describe, expect, it } from 'vitest';
import { soapDatasetServiceConfig, startCkanPortal, startSoapDatasetService } from '@hasad/testkit';
import { routes, startLoopback } from '@hasad/sources/testing';
import { previewSource } from './preview.ts';

// Preview stops after `limit` records: what it says about the mapping must not wait for the end
// of the feed. Each kind is served by a real HTTP server on loopback.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const http = { allowPrivateHosts: true };

describe('preview shows the mapping in use', () => {
  it('CSV of 100 rows, limit 5: csv_dialect and csv_mapping (mapped and ignored columns) come with the first records', async () => {
    const lines = ['identifiant;titre;description;remarque interne'];
    for (let i = 1; i <= 100; i++) lines.push(`jeu-${i};Jeu de données ${i};Série ${i};à revoir`);
    const s = await startLoopback(routes({ '/inventaire.csv': { headers: { 'content-type': 'text/csv; charset=utf-8' }, body: `${lines.join('\r\n')}\r\n` } }));
    closers.push(s.close);
    const res = await previewSource('csv', `${s.base}/inventaire.csv`, {}, { limit: 5, http });
    expect(res.records.map((r) => r.identifier)).toEqual(['jeu-1', 'jeu-2', 'jeu-3', 'jeu-4', 'jeu-5']);
    const dialect = res.problems.find((p) => p.code === 'csv_dialect');
    expect(dialect).toMatchObject({ severity: 'info', message: expect.stringMatching(/^read as utf-8 .*semicolon-delimited/) });
    const mapping = res.problems.find((p) => p.code === 'csv_mapping');
    expect(mapping?.severity).toBe('info');
    expect(mapping?.message).toContain('"identifiant" → identifier');
    expect(mapping?.message).toContain('"titre" → title');
    expect(mapping?.message).toContain('ignored: "remarque interne"');
  });

  it('SOAP: the compiled field mapping (record element, paths, distribution element, constants)', async () => {
    const svc = await startSoapDatasetService({ count: 45 });
    closers.push(svc.close);
    const res = await previewSource('soap', svc.url, soapDatasetServiceConfig(), { limit: 3, http });
    expect(res.records).toHaveLength(3);
    expect(res.problems[0]).toMatchObject({ severity: 'info', code: 'soap_mapping' });
    const m = res.problems[0]!.message;
    expect(m).toContain('record element Body/GetDatasetsResponse/datasets/dataset');
    expect(m).toContain('identifier ← id');
    expect(m).toContain('title.ar ← titreAr');
    expect(m).toContain('themes ← themes (split on ";")');
    expect(m).toContain('modified ← dateMaj (DD/MM/YYYY)');
    expect(m).toContain('distributions (one per ressources/ressource): accessUrl ← url, format ← format');
    expect(m).toContain('constants: publisher.name.fr = "Ministère de l\'Équipement et de l\'Eau"');
  });

  it('SOAP: a preview asks no page ahead that its record limit will not reach', async () => {
    const svc = await startSoapDatasetService({ count: 45 });
    closers.push(svc.close);
    const cfg = { ...soapDatasetServiceConfig(), pageSize: 20 };
    const res = await previewSource('soap', svc.url, cfg, { limit: 20, http });
    expect(res.records).toHaveLength(20);
    // A page asked ahead reaches the service after the preview returned: give it time to show.
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.requests.map((r) => r.ordinal)).toEqual([1]);
    svc.requests.length = 0;
    const two = await previewSource('soap', svc.url, cfg, { limit: 25, http });
    expect(two.records).toHaveLength(25);
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.requests.map((r) => r.ordinal)).toEqual([1, 2]);
  });

  it('CKAN: the default mapping, with the language and the listing', async () => {
    const portal = await startCkanPortal(30);
    closers.push(portal.close);
    const res = await previewSource('ckan', portal.url, { rows: 10, language: 'ar', incremental: { enabled: true, fullEveryHours: 168 } }, { limit: 4, http });
    expect(res.records).toHaveLength(4);
    expect(res.problems[0]).toMatchObject({ severity: 'info', code: 'ckan_mapping' });
    const m = res.problems[0]!.message;
    expect(m).toContain('untagged strings as "ar"');
    expect(m).toContain('title.ar ← title');
    expect(m).toContain('distributions ← active resources');
    expect(m).toContain('rows=10, sort=id asc, incremental');
    expect(m).toContain('full listing every 168 h');
  });
});

describe('preview shows what it read before a later page failed', () => {
  const page = (n: number, next?: string) => `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://x.example/ds/${n}> a dcat:Dataset ; dct:title "Jeu ${n}"@fr .
${next ? `<https://x.example/catalog?page=${n}> a hydra:PartialCollectionView ; hydra:next <${next}> .` : ''}`;

  it('DCAT: the records of page 1, then the parse error of page 2 with its position', async () => {
    const s = await startLoopback((req, res, base) => {
      res.setHeader('content-type', 'text/turtle; charset=utf-8');
      if (req.url === '/p1.ttl') res.end(page(1, `${base}/p2.ttl`));
      else res.end('@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://x.example/ds/2> a dcat:Dataset ;; ]] .\n');
    });
    closers.push(s.close);
    const res = await previewSource('dcat', `${s.base}/p1.ttl`, {}, { limit: 10, http });
    expect(res.records.map((r) => r.title)).toEqual([{ fr: 'Jeu 1' }]);
    expect(res.pages).toBe(2);
    expect(res.error).toMatchObject({ code: 'parse_error', pageNo: 2, message: expect.stringMatching(/p2\.ttl.*line 2/s) });
  });

  it('a failing first page still throws: there is nothing read to show', async () => {
    const s = await startLoopback((_req, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    closers.push(s.close);
    await expect(previewSource('dcat', `${s.base}/p1.ttl`, {}, { limit: 10, http: { ...http, maxRedirects: 0 } })).rejects.toMatchObject({ code: expect.stringMatching(/^fetch_/) });
  });
});
