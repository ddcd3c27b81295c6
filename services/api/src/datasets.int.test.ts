import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from './test-harness.ts';

let h: ApiHarness;
let s: Seeded;

beforeAll(async () => {
  h = await startApiHarness();
  s = await seedCatalogue(h.db, 5);
});

afterAll(async () => {
  await h?.close();
});

async function get(url: string) {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

const titles = (items: Array<{ title: Record<string, string> }>) => items.map((i) => i.title.fr ?? i.title.ar);

describe('GET /api/v1/datasets', () => {
  it('lists active datasets, most recently changed first, with defaults page 1 and limit 20', async () => {
    const { status, body } = await get('/api/v1/datasets');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 8, page: 1, limit: 20 });
    expect(titles(body.items)).toEqual([
      "Consommation d'électricité par région",
      'مؤشرات التشغيل والبطالة',
      "Qualité de l'air à Casablanca",
      'Série statistique n° 5',
      'Série statistique n° 4',
      'Série statistique n° 3',
      'Série statistique n° 2',
      'Série statistique n° 1',
    ]);
    expect(body.items.every((i: { status: string }) => i.status === 'active')).toBe(true);
  });

  it('spreads every canonical record field into the item next to the catalogue fields', async () => {
    const { body } = await get('/api/v1/datasets?organization=onee');
    expect(body.total).toBe(1);
    expect(body.items[0]).toEqual({
      id: s.dataset.electricite,
      organization: 'onee',
      sourceId: s.source.onee,
      sourceIdentifier: 'onee-conso-elec',
      uri: s.electriciteUri,
      status: 'active',
      createdAt: '2025-03-01T08:45:00.000Z',
      updatedAt: '2025-03-01T08:45:00.000Z',
      withdrawnAt: null,
      identifier: 'onee-conso-elec',
      title: { fr: "Consommation d'électricité par région", en: 'Electricity consumption by region' },
      description: { fr: 'Consommation annuelle en GWh.' },
      keywords: { fr: ['énergie', 'électricité'], en: ['energy'] },
      themes: ['http://publications.europa.eu/resource/authority/data-theme/ENER'],
      publisher: { name: { fr: 'ONEE' }, homepage: 'https://www.one.org.ma' },
      contactPoint: { name: 'Service données', email: 'data@onee.ma' },
      landingPage: 'https://open.onee.ma/conso',
      issued: '2020-01-15',
      modified: '2024-12-31T10:00:00Z',
      license: 'https://creativecommons.org/licenses/by/4.0/',
      accessRights: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
      spatial: ['https://sws.geonames.org/2542007/'],
      temporal: [{ start: '2010-01-01', end: '2024-12-31' }],
      accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/ANNUAL',
      language: ['fr', 'en'],
      distributions: [{ title: { fr: 'CSV' }, downloadUrl: 'https://open.onee.ma/conso.csv', format: 'CSV', mediaType: 'text/csv', byteSize: 123456 }],
    });
  });

  it('hides withdrawn datasets unless status=withdrawn or status=all asks for them', async () => {
    const active = await get('/api/v1/datasets?q=recensement');
    expect(active.body.total).toBe(0);

    const withdrawn = await get('/api/v1/datasets?status=withdrawn');
    expect(withdrawn.body.total).toBe(1);
    expect(withdrawn.body.items[0]).toMatchObject({
      id: s.dataset.recensement,
      status: 'withdrawn',
      withdrawnAt: '2025-03-01T09:41:00.000Z',
      title: { fr: 'Recensement général de la population 2004' },
    });

    const all = await get('/api/v1/datasets?status=all&limit=200');
    expect(all.body.total).toBe(9);
  });

  it('finds a French title by its accented words, whatever the case', async () => {
    const { body } = await get(`/api/v1/datasets?q=${encodeURIComponent("qualité de l'air")}`);
    expect(titles(body.items)).toEqual(["Qualité de l'air à Casablanca"]);
    const upper = await get(`/api/v1/datasets?q=${encodeURIComponent('ÉLECTRICITÉ')}`);
    expect(titles(upper.body.items)).toEqual(["Consommation d'électricité par région"]);
  });

  it('finds an Arabic title by an Arabic word', async () => {
    const { body } = await get(`/api/v1/datasets?q=${encodeURIComponent('البطالة')}`);
    expect(body.total).toBe(1);
    expect(body.items[0].id).toBe(s.dataset.emploi);
  });

  it('filters by organisation slug or id and by source', async () => {
    const bySlug = await get('/api/v1/datasets?organization=hcp');
    expect(bySlug.body.total).toBe(7);
    const byId = await get(`/api/v1/datasets?organization=${s.org.hcp}`);
    expect(byId.body.total).toBe(7);
    const bySource = await get(`/api/v1/datasets?source=${s.source.onee}`);
    expect(bySource.body.items.map((i: { id: string }) => i.id)).toEqual([s.dataset.electricite]);
    const unknownOrg = await get('/api/v1/datasets?organization=nobody');
    expect(unknownOrg.body).toEqual({
      total: 0,
      fuzzy: false,
      page: 1,
      limit: 20,
      items: [],
      facets: { organization: [], theme: [], format: [], license: [], keyword: [] },
      nextCursor: null,
    });
  });

  it('pages with page and limit', async () => {
    const { body } = await get('/api/v1/datasets?limit=3&page=2');
    expect(body).toMatchObject({ total: 8, page: 2, limit: 3 });
    expect(titles(body.items)).toEqual(['Série statistique n° 5', 'Série statistique n° 4', 'Série statistique n° 3']);
    const beyond = await get('/api/v1/datasets?limit=3&page=9');
    expect(beyond.body).toMatchObject({ total: 8, items: [] });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['page=0', 'page'],
    ['status=deleted', 'status'],
    ['source=not-a-uuid', 'source'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    const { status, body } = await get(`/api/v1/datasets?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_parameter');
    expect(body.error.message).toContain(`"${param}"`);
  });

  it('lists the allowed values when status is not one of them', async () => {
    const { body } = await get('/api/v1/datasets?status=deleted');
    expect(body.error.message).toBe('querystring parameter "status" must be equal to one of the allowed values: active, withdrawn, all');
  });
});

describe('GET /api/v1/datasets/:id', () => {
  it('finds a dataset by its Hasad id', async () => {
    const { status, body } = await get(`/api/v1/datasets/${s.dataset.air}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: s.dataset.air, organization: 'hcp', title: { fr: "Qualité de l'air à Casablanca" }, keywords: { fr: ['pollution', 'santé'] } });
  });

  it("finds a dataset by its source's URI, URL-encoded, even a long one", async () => {
    expect(s.electriciteUri.length).toBeGreaterThan(100);
    const { status, body } = await get(`/api/v1/datasets/${encodeURIComponent(s.electriciteUri)}`);
    expect(status).toBe(200);
    expect(body.id).toBe(s.dataset.electricite);
  });

  it("finds a dataset by its source's identifier", async () => {
    const { body } = await get('/api/v1/datasets/hcp-emploi');
    expect(body).toMatchObject({ id: s.dataset.emploi, sourceIdentifier: 'hcp-emploi', uri: null, title: { ar: 'مؤشرات التشغيل والبطالة' } });
  });

  it('still shows a withdrawn dataset, marked withdrawn', async () => {
    const { status, body } = await get(`/api/v1/datasets/${encodeURIComponent('https://data.hcp.ma/dataset/rgph-2004')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: s.dataset.recensement, status: 'withdrawn', withdrawnAt: '2025-03-01T09:41:00.000Z' });
  });

  it('answers 404 with a not_found body for an unknown key', async () => {
    const byId = await get('/api/v1/datasets/00000000-0000-4000-8000-000000000000');
    expect(byId).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no dataset "00000000-0000-4000-8000-000000000000"' } } });
    const byIdentifier = await get('/api/v1/datasets/no-such-dataset');
    expect(byIdentifier).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no dataset "no-such-dataset"' } } });
  });
});

describe('GET /api/v1/organizations', () => {
  it('lists organisations with their count of active datasets', async () => {
    const { status, body } = await get('/api/v1/organizations');
    expect(status).toBe(200);
    expect(body).toEqual({
      items: [
        { id: s.org.hcp, slug: 'hcp', name: 'Haut-Commissariat au Plan', datasetCount: 7 },
        { id: s.org.empty, slug: 'nouvelle-agence', name: 'Nouvelle agence', datasetCount: 0 },
        { id: s.org.onee, slug: 'onee', name: "Office National de l'Électricité et de l'Eau Potable", datasetCount: 1 },
      ],
    });
  });
});

describe('unknown routes', () => {
  it('answers 404 in the same error shape', async () => {
    const { status, body } = await get('/api/v1/nothing-here?x=1');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: 'no route GET /api/v1/nothing-here' } });
  });
});
