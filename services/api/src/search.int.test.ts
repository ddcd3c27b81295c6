import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createRun, createSource, loadBatch, type LoadRecord } from '@hasad/db';
import { prepareRecord } from '@hasad/pipeline';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Search, filters, facets, sorts and cursor paging of GET /api/v1/datasets, over datasets
// written by the loader's own upsert (so the generated search columns are the loader's).

const EU = 'http://publications.europa.eu/resource/authority';
const CC_BY = 'https://creativecommons.org/licenses/by/4.0/';
const ETALAB = 'https://www.etalab.gouv.fr/licence-ouverte-open-licence';

interface Fixture {
  id: string;
  title: Record<string, string>;
  description?: Record<string, string>;
  keywords?: Record<string, string[]>;
  themes?: string[];
  formats?: Array<{ format?: string; mediaType?: string }>;
  license?: string;
  language?: string[];
  modified?: string;
}

const HCP: Fixture[] = [
  {
    id: 'baignade',
    title: { fr: 'Qualité des eaux de baignade', ar: 'جودة مياه الاستحمام' },
    description: { fr: 'Résultats des prélèvements sur les plages.' },
    keywords: { fr: ['eau', 'santé'] },
    themes: [`${EU}/data-theme/ENVI`, `${EU}/data-theme/HEAL`],
    formats: [{ format: `${EU}/file-type/CSV` }, { format: `${EU}/file-type/JSON` }],
    license: CC_BY,
    language: [`${EU}/language/FRA`],
    modified: '2024-03-01T00:00:00Z',
  },
  {
    id: 'budget',
    title: { fr: 'Données budgétaires des communes' },
    description: { fr: 'Budget annuel voté.' },
    keywords: { fr: ['budget'] },
    themes: [`${EU}/data-theme/GOVE`],
    formats: [{ format: 'csv' }],
    license: ETALAB,
    modified: '2025-01-15T09:30:00Z',
  },
  { id: 'population', title: { ar: 'إحصاءات السكان حسب الجهة' }, keywords: { ar: ['سكان'] }, themes: [`${EU}/data-theme/SOCI`], formats: [{ format: 'PDF' }] },
  {
    id: 'sante',
    title: { ar: 'مُؤَشِّرَات الصِّحَّة العمومية' },
    themes: [`${EU}/data-theme/HEAL`],
    formats: [{ format: `${EU}/file-type/CSV` }],
    license: CC_BY,
    modified: '2024-12-31T23:00:00Z',
  },
  { id: 'hopital', title: { ar: 'مستشفى الســلام' }, formats: [{ mediaType: 'application/json' }], modified: '2023-01-01T00:00:00Z' },
  { id: 'emploi', title: { ar: 'مؤشرات التشغيل والبطالة' }, description: { ar: 'معدلات النشاط حسب الجهة' }, license: CC_BY },
  {
    id: 'rapport',
    title: { fr: 'Rapport annuel' },
    description: { fr: "Analyse de la qualité de l'eau potable distribuée." },
    keywords: { fr: ['rapport'] },
    license: CC_BY,
    modified: '2024-03-02T00:00:00Z',
  },
];
const ONEE: Fixture[] = [
  {
    id: 'electricite',
    title: { fr: "Consommation d'électricité par région", en: 'Electricity consumption by region' },
    keywords: { fr: ['énergie', 'électricité'], en: ['energy'] },
    themes: [`${EU}/data-theme/ENER`],
    formats: [{ format: 'XLSX' }, { format: `${EU}/file-type/CSV` }],
    license: CC_BY,
    language: ['fr', 'en'],
    modified: '2023-06-30T12:00:00Z',
  },
  { id: 'anciennes', title: { fr: 'Données anciennes' }, keywords: { fr: ['budget'] }, license: CC_BY },
];

function toLoadRecord(f: Fixture): LoadRecord {
  const record = {
    identifier: f.id,
    title: f.title,
    description: f.description ?? {},
    keywords: f.keywords ?? {},
    themes: f.themes ?? [],
    spatial: [],
    temporal: [],
    language: f.language ?? [],
    distributions: f.formats ?? [],
    ...(f.license ? { license: f.license } : {}),
    ...(f.modified ? { modified: f.modified } : {}),
  };
  return { identifier: f.id, uri: `https://data.example.ma/dataset/${f.id}`, hash: `h-${f.id}`, modifiedAt: f.modified ?? null, record };
}

let h: ApiHarness;
const ids = new Map<string, string>();

beforeAll(async () => {
  h = await startApiHarness();
  for (const [slug, fixtures] of [
    ['hcp', HCP],
    ['onee', ONEE],
  ] as const) {
    const org = await createOrganization(h.deps.db, { slug, name: slug.toUpperCase() });
    const src = await createSource(h.deps.db, { organizationId: org.id, kind: 'dcat', url: `https://${slug}.example.ma/catalog` });
    const run = await createRun(h.deps.db, src.id, 'manual');
    await loadBatch(h.db, { runId: run.id, sourceId: src.id, pageNo: 1, batchNo: 0, records: fixtures.map(toLoadRecord), problems: [], invalidIdentifiers: [] }, prepareRecord);
  }
  await h.pool.query(`UPDATE datasets SET status = 'withdrawn', withdrawn_at = now() WHERE source_identifier = 'anciennes'`);
  for (const r of (await h.pool.query<{ id: string; source_identifier: string }>('SELECT id, source_identifier FROM datasets')).rows) ids.set(r.source_identifier, r.id);
});

afterAll(async () => {
  await h?.close();
});

async function get(url: string) {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

/** Identifiers of the items of `/api/v1/datasets?…`, in order. */
async function found(query: Record<string, string | string[]>): Promise<string[]> {
  const { status, body } = await get(`/api/v1/datasets?${qs(query)}&limit=200`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.items.map((i: { sourceIdentifier: string }) => i.sourceIdentifier);
}

function qs(query: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

describe('full-text search', () => {
  it.each([
    ['donnees', ['budget']],
    ['DONNÉES budgetaire', ['budget']],
    ['eau', ['baignade', 'rapport']],
    ['eaux', ['baignade', 'rapport']],
    ['qualite', ['baignade', 'rapport']],
    ['electricite', ['electricite']],
    ['energy', ['electricite']],
    ['prelevement', ['baignade']],
  ])('French: q=%s stems and folds accents → %j', async (q, expected) => {
    expect((await found({ q })).sort()).toEqual([...expected].sort());
  });

  it.each([
    ['احصاءات', 'population'],
    ['إحصاءات', 'population'],
    ['أحصاءات', 'population'],
    ['مؤشرات الصحة', 'sante'],
    ['مُؤَشِّرَات', 'sante'],
    ['الصحه', 'sante'],
    ['مستشفي', 'hopital'],
    ['مستشفى', 'hopital'],
    ['السلام', 'hopital'],
    ['ســلام', 'hopital'],
    ['البطالة', 'emploi'],
    ['بطالة', 'emploi'],
    ['والبطالة', 'emploi'],
    ['سكان', 'population'],
  ])('Arabic: q=%s matches however the publisher spelt it → %s', async (q, expected) => {
    const res = await found({ q });
    expect(res).toContain(expected);
  });

  it('matches keywords and descriptions, and ranks a title match above a description match', async () => {
    expect(await found({ q: 'eau' })).toEqual(['baignade', 'rapport']);
    expect(await found({ q: 'plages' })).toEqual(['baignade']);
  });

  it('takes websearch syntax: a phrase, or, -exclusion', async () => {
    expect((await found({ q: 'budget or electricite' })).sort()).toEqual(['budget', 'electricite']);
    expect(await found({ q: 'eau -potable' })).toEqual(['baignade']);
    expect(await found({ q: '"eaux de baignade"' })).toEqual(['baignade']);
  });

  it('hides withdrawn datasets from the search unless asked', async () => {
    expect(await found({ q: 'donnees' })).toEqual(['budget']);
    expect((await found({ q: 'donnees', status: 'all' })).sort()).toEqual(['anciennes', 'budget']);
  });

  it('finds nothing, without failing, for a query of stop words only', async () => {
    expect(await found({ q: 'de la' })).toEqual([]);
  });
});

describe('filters', () => {
  it.each<[Record<string, string | string[]>, string[]]>([
    [{ theme: `${EU}/data-theme/HEAL` }, ['baignade', 'sante']],
    [{ theme: 'HEAL' }, ['baignade', 'sante']],
    [{ theme: ['HEAL', 'ENVI'] }, ['baignade']],
    [{ keyword: 'budget' }, ['budget']],
    [{ keyword: 'électricité' }, ['electricite']],
    [{ format: 'CSV' }, ['baignade', 'budget', 'electricite', 'sante']],
    [{ format: 'csv' }, ['baignade', 'budget', 'electricite', 'sante']],
    [{ format: `${EU}/file-type/JSON` }, ['baignade']],
    [{ format: 'application/json' }, ['hopital']],
    [{ format: ['CSV', 'XLSX'] }, ['electricite']],
    [{ license: ETALAB }, ['budget']],
    [{ licence: ETALAB }, ['budget']],
    [{ license: [ETALAB, CC_BY] }, ['baignade', 'budget', 'electricite', 'emploi', 'rapport', 'sante']],
    [{ language: 'fr' }, ['baignade', 'budget', 'electricite', 'rapport']],
    [{ language: 'FRA' }, ['baignade', 'budget', 'electricite', 'rapport']],
    [{ language: 'en' }, ['electricite']],
    [{ language: 'ar' }, ['baignade', 'emploi', 'hopital', 'population', 'sante']],
    [{ organization: 'onee' }, ['electricite']],
    [{ organization: ['onee', 'hcp'], q: 'electricite' }, ['electricite']],
    [{ modifiedFrom: '2024-03-01' }, ['baignade', 'budget', 'rapport', 'sante']],
    [{ modifiedFrom: '2024-03-01T00:00:01Z' }, ['budget', 'rapport', 'sante']],
    [{ modifiedTo: '2024-03-01' }, ['baignade', 'electricite', 'hopital']],
    [{ modifiedFrom: '2024-01-01', modifiedTo: '2024-12-31T23:00:00Z' }, ['baignade', 'rapport', 'sante']],
    [{ status: 'withdrawn' }, ['anciennes']],
    [{ q: 'eau', theme: 'ENVI' }, ['baignade']],
  ])('%j → %j', async (query, expected) => {
    expect((await found(query)).sort()).toEqual(expected);
  });

  it('answers 400 for a bad date, facet name or cursor', async () => {
    for (const [query, param] of [
      ['modifiedFrom=yesterday', 'modifiedFrom'],
      ['modifiedTo=2024-02-31T99:00:00Z', 'modifiedTo'],
      ['facets=colour', 'facets'],
      ['sort=popularity', 'sort'],
      ['cursor=not-a-cursor', 'cursor'],
    ]) {
      const { status, body } = await get(`/api/v1/datasets?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.code).toBe('invalid_parameter');
      expect(body.error.message).toContain(`"${param}"`);
    }
  });
});

describe('facets', () => {
  // Every value is labelled in the request's language (French by default): theme and licence
  // labels, language names, formats and keywords as themselves.
  it('counts organisation, theme, format, licence and keyword over the whole active catalogue', async () => {
    const { body } = await get('/api/v1/datasets?limit=1');
    expect(body.total).toBe(8);
    expect(body.facets).toEqual({
      organization: [
        { value: 'hcp', label: 'HCP', count: 7 },
        { value: 'onee', label: 'ONEE', count: 1 },
      ],
      theme: [
        { value: `${EU}/data-theme/HEAL`, label: 'Santé', count: 2 },
        { value: `${EU}/data-theme/ENER`, label: 'Énergie', count: 1 },
        { value: `${EU}/data-theme/ENVI`, label: 'Environnement', count: 1 },
        { value: `${EU}/data-theme/GOVE`, label: 'Gouvernement et secteur public', count: 1 },
        { value: `${EU}/data-theme/SOCI`, label: 'Population et société', count: 1 },
      ],
      format: [
        { value: 'CSV', label: 'CSV', count: 4 },
        { value: 'JSON', label: 'JSON', count: 1 },
        { value: 'PDF', label: 'PDF', count: 1 },
        { value: 'XLSX', label: 'XLSX', count: 1 },
        { value: 'application/json', label: 'application/json', count: 1 },
      ],
      license: [
        { value: CC_BY, label: 'Creative Commons Attribution 4.0', count: 5 },
        { value: ETALAB, label: 'Licence Ouverte / Open Licence', count: 1 },
      ],
      keyword: expect.any(Array),
    });
    expect(body.facets.keyword).toEqual([
      { value: 'budget', label: 'budget', count: 1 },
      { value: 'eau', label: 'eau', count: 1 },
      { value: 'energy', label: 'energy', count: 1 },
      { value: 'rapport', label: 'rapport', count: 1 },
      { value: 'santé', label: 'santé', count: 1 },
      { value: 'électricité', label: 'électricité', count: 1 },
      { value: 'énergie', label: 'énergie', count: 1 },
      { value: 'سكان', label: 'سكان', count: 1 },
    ]);
  });

  it('counts over the filtered set only', async () => {
    const { body } = await get(`/api/v1/datasets?q=eau&format=CSV`);
    expect(body.total).toBe(1);
    expect(body.facets).toEqual({
      organization: [{ value: 'hcp', label: 'HCP', count: 1 }],
      theme: [
        { value: `${EU}/data-theme/ENVI`, label: 'Environnement', count: 1 },
        { value: `${EU}/data-theme/HEAL`, label: 'Santé', count: 1 },
      ],
      format: [
        { value: 'CSV', label: 'CSV', count: 1 },
        { value: 'JSON', label: 'JSON', count: 1 },
      ],
      license: [{ value: CC_BY, label: 'Creative Commons Attribution 4.0', count: 1 }],
      keyword: [
        { value: 'eau', label: 'eau', count: 1 },
        { value: 'santé', label: 'santé', count: 1 },
      ],
    });
  });

  it('counts only the facets asked for, none with facets=, and at most facetLimit values', async () => {
    expect((await get('/api/v1/datasets?facets=theme,licence')).body.facets).toEqual({
      theme: expect.any(Array),
      license: [
        { value: CC_BY, label: 'Creative Commons Attribution 4.0', count: 5 },
        { value: ETALAB, label: 'Licence Ouverte / Open Licence', count: 1 },
      ],
    });
    expect((await get('/api/v1/datasets?facets=')).body.facets).toEqual({});
    expect((await get('/api/v1/datasets?facets=format&facetLimit=1')).body.facets).toEqual({ format: [{ value: 'CSV', label: 'CSV', count: 4 }] });
    expect((await get('/api/v1/datasets?facets=language')).body.facets.language).toEqual([
      { value: 'ar', label: 'arabe', count: 5 },
      { value: 'fr', label: 'français', count: 4 },
      { value: 'en', label: 'anglais', count: 1 },
    ]);
  });
});

describe('sorting and paging', () => {
  it('sorts by title, accents folded, either way', async () => {
    const asc = await found({ sort: 'title', language: 'fr' });
    expect(asc).toEqual(['electricite', 'budget', 'baignade', 'rapport']);
    expect(await found({ sort: '-title', language: 'fr' })).toEqual([...asc].reverse());
  });

  it('sorts by dct:modified, datasets without one last either way', async () => {
    expect(await found({ sort: 'modified' })).toEqual(['hopital', 'electricite', 'baignade', 'rapport', 'sante', 'budget', ...['emploi', 'population'].sort((a, b) => (ids.get(a)! < ids.get(b)! ? -1 : 1))]);
    const desc = await found({ sort: '-modified' });
    expect(desc.slice(0, 6)).toEqual(['budget', 'sante', 'rapport', 'baignade', 'electricite', 'hopital']);
    expect(desc.slice(6).sort()).toEqual(['emploi', 'population']);
  });

  it.each(['relevance', 'title', '-title', 'modified', '-modified', 'updated', '-updated'])(
    'cursor paging with sort=%s visits every dataset once, in the order of one big page',
    async (sort) => {
      const query = sort === 'relevance' ? `q=${encodeURIComponent('eau or donnees or مؤشرات or سكان or electricite')}&` : '';
      const whole = await get(`/api/v1/datasets?${query}sort=${sort}&limit=200`);
      const expected = whole.body.items.map((i: { id: string }) => i.id);
      expect(expected.length).toBeGreaterThan(3);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { status, body } = await get(`/api/v1/datasets?${query}sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(status).toBe(200);
        expect(body.total).toBe(expected.length);
        seen.push(...body.items.map((i: { id: string }) => i.id));
        cursor = body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 3));
    },
  );

  it('keeps page/limit paging, with a nextCursor that continues from that page', async () => {
    const all = (await get('/api/v1/datasets?sort=title&limit=200')).body.items.map((i: { id: string }) => i.id);
    const p2 = await get('/api/v1/datasets?sort=title&limit=3&page=2');
    expect(p2.body).toMatchObject({ total: 8, page: 2, limit: 3 });
    expect(p2.body.items.map((i: { id: string }) => i.id)).toEqual(all.slice(3, 6));
    const next = await get(`/api/v1/datasets?sort=title&limit=3&cursor=${p2.body.nextCursor}`);
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual(all.slice(6, 9));
    expect(next.body.nextCursor).toBeNull();
  });

  it('refuses a cursor made for another sort', async () => {
    const first = await get('/api/v1/datasets?sort=title&limit=2');
    const { status, body } = await get(`/api/v1/datasets?sort=-modified&limit=2&cursor=${first.body.nextCursor}`);
    expect(status).toBe(400);
    expect(body.error.message).toBe('querystring parameter "cursor": cursor was made for sort=title, not sort=-modified');
  });
});

describe('GET /api/v1/themes and /api/v1/licenses', () => {
  it('list the themes in use with their count of active datasets, labelled in French, English and Arabic', async () => {
    const { status, body, headers } = await h.app.inject({ method: 'GET', url: '/api/v1/themes' }).then((r) => ({ status: r.statusCode, body: r.json(), headers: r.headers }));
    expect(status).toBe(200);
    expect(body.items).toEqual([
      { value: `${EU}/data-theme/HEAL`, label: { fr: 'Santé', en: 'Health', ar: 'الصحة' }, count: 2 },
      { value: `${EU}/data-theme/ENER`, label: { fr: 'Énergie', en: 'Energy', ar: 'الطاقة' }, count: 1 },
      { value: `${EU}/data-theme/ENVI`, label: { fr: 'Environnement', en: 'Environment', ar: 'البيئة' }, count: 1 },
      { value: `${EU}/data-theme/GOVE`, label: { fr: 'Gouvernement et secteur public', en: 'Government and public sector', ar: 'الحكومة والقطاع العام' }, count: 1 },
      { value: `${EU}/data-theme/SOCI`, label: { fr: 'Population et société', en: 'Population and society', ar: 'السكان والمجتمع' }, count: 1 },
    ]);
    const again = await h.app.inject({ method: 'GET', url: '/api/v1/themes', headers: { 'if-none-match': headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('list the licences in use; the withdrawn dataset does not count', async () => {
    const { body } = await get('/api/v1/licenses');
    expect(body.items).toEqual([
      { value: CC_BY, label: { fr: 'Creative Commons Attribution 4.0', en: 'Creative Commons Attribution 4.0', ar: 'المشاع الإبداعي - نسب المصنف 4.0' }, count: 5 },
      { value: ETALAB, label: { fr: 'Licence Ouverte / Open Licence', en: 'Open Licence (Etalab)', ar: 'الرخصة المفتوحة (إيتالاب)' }, count: 1 },
    ]);
  });
});
