import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSearchVocabulary } from '@hasad/db';
import { startApiHarness, seedCatalogue, type ApiHarness, type Seeded } from './test-harness.ts';

// Search that forgives, against the real API and PostgreSQL: suggestions as a user types
// (GET /api/v1/datasets/suggest), typo tolerance when the exact search finds nothing
// (pg_trgm word similarity, "fuzzy": true), and labels for every facet in the request's language.

type Json = Record<string, any>;
let h: ApiHarness;
let seeded: Seeded;

beforeAll(async () => {
  h = await startApiHarness();
  seeded = await seedCatalogue(h.db, 3);
});
afterAll(async () => {
  await h?.close();
});

async function get(url: string, lang?: string, status = 200): Promise<Json> {
  const res = await h.app.inject({ method: 'GET', url, headers: lang ? { 'accept-language': lang } : {} });
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as Json;
}

describe('GET /api/v1/datasets/suggest', () => {
  it('suggests titles, keywords and organisations beginning with what was typed, folded', async () => {
    expect(await get('/api/v1/datasets/suggest?q=consom')).toEqual({
      q: 'consom',
      datasets: [{ id: seeded.dataset.electricite, title: "Consommation d'électricité par région" }],
      keywords: [],
      organizations: [],
    });
    // Accents and case folded on keywords; the title in the request's language.
    const elec = await get('/api/v1/datasets/suggest?q=ELEC', 'en');
    expect(elec['keywords']).toEqual([{ value: 'électricité', count: 1 }]);
    expect(elec['datasets']).toEqual([{ id: seeded.dataset.electricite, title: 'Electricity consumption by region' }]);
    expect((await get('/api/v1/datasets/suggest?q=pollu'))['keywords']).toEqual([{ value: 'pollution', count: 1 }]);
    expect((await get('/api/v1/datasets/suggest?q=haut'))['organizations']).toEqual([{ slug: 'hcp', name: 'Haut-Commissariat au Plan' }]);
    // Arabic: the article and spelling variants folded as the search does.
    expect((await get(`/api/v1/datasets/suggest?q=${encodeURIComponent('البط')}`))['datasets']).toEqual([{ id: seeded.dataset.emploi, title: 'مؤشرات التشغيل والبطالة' }]);
    // tsquery syntax typed in is only text.
    expect((await get(`/api/v1/datasets/suggest?q=${encodeURIComponent("consom:* | ! ( ' &")}`))['datasets']).toHaveLength(1);
    expect(await get('/api/v1/datasets/suggest?q=zzzqqq')).toMatchObject({ datasets: [], keywords: [], organizations: [] });
  });

  it('refuses a missing, empty or oversized q naming it', async () => {
    for (const qs of ['', '?q=', `?q=${'x'.repeat(201)}`, '?q=a&limit=50']) {
      const body = await get(`/api/v1/datasets/suggest${qs}`, undefined, 400);
      expect(JSON.stringify(body), qs).toMatch(/q|limit/);
    }
  });
});

describe('typo tolerance', () => {
  it('answers the titles most like a query that finds nothing as typed, and says so', async () => {
    const exact = await get('/api/v1/datasets?q=consommation');
    expect(exact).toMatchObject({ total: 1, fuzzy: false });
    for (const typo of ['consomation', 'electricte', 'qualte air casablnca']) {
      const body = await get(`/api/v1/datasets?q=${encodeURIComponent(typo)}`);
      expect(body, typo).toMatchObject({ fuzzy: true });
      expect(body['total'], typo).toBeGreaterThanOrEqual(1);
    }
    expect((await get('/api/v1/datasets?q=consomation'))['items'].map((d: Json) => d['id'])).toEqual([seeded.dataset.electricite]);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('qualte air casablnca')}`))['items'].map((d: Json) => d['id'])).toEqual([seeded.dataset.air]);
    // Filters still hold in the fuzzy retry; nothing alike is still nothing.
    expect(await get('/api/v1/datasets?q=consomation&organization=hcp')).toMatchObject({ total: 0, fuzzy: true });
    expect(await get('/api/v1/datasets?q=zzzqqqxx')).toMatchObject({ total: 0, fuzzy: true, items: [] });
    expect(await get('/api/v1/datasets')).toMatchObject({ fuzzy: false });
  });
});

describe('facet labels', () => {
  it('labels every facet in the language of the request', async () => {
    const facets = (lang: string) => get('/api/v1/datasets?facets=organization,theme,format,license,keyword,language&organization=onee', lang).then((b) => b['facets']);
    const fr = await facets('fr');
    expect(fr['theme']).toEqual([{ value: 'http://publications.europa.eu/resource/authority/data-theme/ENER', label: 'Énergie', count: 1 }]);
    expect(fr['license']).toEqual([{ value: 'https://creativecommons.org/licenses/by/4.0/', label: 'Creative Commons Attribution 4.0', count: 1 }]);
    expect(fr['organization'][0]).toMatchObject({ value: 'onee', label: "Office National de l'Électricité et de l'Eau Potable" });
    expect(fr['format']).toEqual([{ value: 'CSV', label: 'CSV', count: 1 }]);
    expect(fr['language']).toEqual(expect.arrayContaining([{ value: 'fr', label: 'français', count: 1 }]));
    for (const name of ['organization', 'theme', 'format', 'license', 'keyword', 'language']) {
      for (const v of fr[name]) expect(typeof v['label'], `${name} ${v['value']}`).toBe('string');
    }
    const ar = await facets('ar-MA,ar;q=0.9');
    expect(ar['theme'][0]['label']).toBe('الطاقة');
    expect(ar['language']).toEqual(expect.arrayContaining([{ value: 'fr', label: 'الفرنسية', count: 1 }]));
    expect((await facets('en'))['theme'][0]['label']).toBe('Energy');
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/datasets?facets=theme', headers: { 'accept-language': 'en' } });
    expect(res.headers['vary']).toMatch(/Accept-Language/i);
    expect(res.headers['content-language']).toBe('en');
  });
});

// Once the scheduler has computed the search vocabulary, suggestions read keywords from it and
// the typo retry corrects each word to a title word, then searches exactly.
describe('through the search vocabulary', () => {
  it('suggests and forgives typos as before, in French and Arabic', async () => {
    await refreshSearchVocabulary(h.deps.db);
    const elec = await get('/api/v1/datasets/suggest?q=ELEC', 'en');
    expect(elec['keywords']).toEqual([{ value: 'électricité', count: 1 }]);
    expect(elec['datasets']).toEqual([{ id: seeded.dataset.electricite, title: 'Electricity consumption by region' }]);
    expect((await get('/api/v1/datasets/suggest?q=pollu'))['keywords']).toEqual([{ value: 'pollution', count: 1 }]);
    expect((await get(`/api/v1/datasets/suggest?q=${encodeURIComponent('البط')}`))['datasets']).toEqual([{ id: seeded.dataset.emploi, title: 'مؤشرات التشغيل والبطالة' }]);
    expect(await get('/api/v1/datasets/suggest?q=zzzqqq')).toMatchObject({ datasets: [], keywords: [], organizations: [] });

    // The refresh moved the catalogue version: no answer cached before it is served.
    const typo = await get('/api/v1/datasets?q=consomation');
    expect(typo).toMatchObject({ total: 1, fuzzy: true });
    expect(typo['items'].map((d: Json) => d['id'])).toEqual([seeded.dataset.electricite]);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('qualte air casablnca')}`))['items'].map((d: Json) => d['id'])).toEqual([seeded.dataset.air]);
    expect((await get(`/api/v1/datasets?q=${encodeURIComponent('والبطلة')}`))).toMatchObject({ total: 1, fuzzy: true, items: [{ id: seeded.dataset.emploi }] });
    // Faceted as any search; filters still hold; nothing alike is still nothing.
    expect((await get('/api/v1/datasets?q=consomation&facets=organization'))['facets']['organization']).toHaveLength(1);
    expect(await get('/api/v1/datasets?q=consomation&organization=hcp')).toMatchObject({ total: 0, fuzzy: true });
    expect(await get('/api/v1/datasets?q=zzzqqqxx')).toMatchObject({ total: 0, fuzzy: true, items: [] });
  });
});
