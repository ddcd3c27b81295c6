import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../client.ts';
import { createTestDatabase } from '../testing.ts';
import { suggestDatasets, suggestKeywords } from './autocomplete.repository.ts';
import { searchDatasets } from './datasets.repository.ts';
import { createOrganization } from './organizations.repository.ts';
import { correctQuery, refreshSearchVocabulary, refreshSearchVocabularyIfChanged, searchVocabularyReady } from './search-vocabulary.repository.ts';
import { createSource } from './sources.repository.ts';

// The search vocabulary against the real PostgreSQL: computed from the active datasets (title
// words folded as the search folds them, keywords with their counts), and what suggestions and
// the typo retry find through it, in French and Arabic.

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let h: DbHandle;
let org: string;
let source: string;
const ids: Record<string, string> = {};

async function addDataset(key: string, record: Record<string, unknown>): Promise<void> {
  const res = await h.pool.query<{ id: string }>(
    `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, status, created_run, changed_run)
     VALUES ($1, $2, $3, $4, $5, 'x', 'active', gen_random_uuid(), gen_random_uuid()) RETURNING id`,
    [source, org, key, JSON.stringify(record['title']), JSON.stringify({ identifier: key, ...record })],
  );
  ids[key] = res.rows[0]!.id;
}

async function words(): Promise<Record<string, number>> {
  const res = await h.pool.query<{ word: string; datasets: number }>('SELECT word, datasets FROM search_words ORDER BY word');
  return Object.fromEntries(res.rows.map((r) => [r.word, r.datasets]));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  h = createDb(testDb.url, { max: 2 });
  org = (await createOrganization(h, { slug: 'hcp', name: 'Haut-Commissariat au Plan' })).id;
  source = (await createSource(h, { organizationId: org, kind: 'dcat', url: 'https://data.hcp.ma/catalog.ttl' })).id;
  await addDataset('elec', {
    title: { fr: "Consommation d'électricité par région", ar: 'استهلاك الكهرباء حسب الجهة' },
    keywords: { fr: ['électricité', 'Énergie'], ar: ['الطاقة الكهربائية'] },
  });
  await addDataset('emploi', { title: { fr: 'Indicateurs du chômage 2024', ar: 'مؤشرات التشغيل والبطالة' }, keywords: { fr: ['emploi', 'Énergie'] } });
  await addDataset('old', { title: { fr: 'Recensement agricole' }, keywords: { fr: ['agriculture'] } });
});

afterAll(async () => {
  await h?.close();
  await testDb?.drop();
});

describe('search vocabulary', () => {
  it('falls back to the datasets themselves while it is empty, even once computed from an empty catalogue', async () => {
    expect(await searchVocabularyReady(h)).toBe(false);
    // As the scheduler does when it starts before the first harvest loaded anything.
    await h.pool.query(`UPDATE datasets SET status = 'withdrawn'`);
    expect(await refreshSearchVocabulary(h)).toMatchObject({ refreshed: true, words: 0, keywords: 0 });
    await h.pool.query(`UPDATE datasets SET status = 'active', updated_at = now()`);
    expect(await searchVocabularyReady(h)).toBe(false);
    expect(await correctQuery(h, 'consomation')).toBeUndefined();
    expect(await suggestKeywords(h, 'ener', 5)).toEqual([{ value: 'Énergie', count: 2 }]);
  });

  it('holds the active titles’ words folded as the search folds them, and the keywords with their counts', async () => {
    expect(await refreshSearchVocabulary(h)).toMatchObject({ refreshed: true });
    const w = await words();
    // French: accents and case folded; words of two letters and numbers left out.
    expect(w).toMatchObject({ consommation: 1, electricite: 1, region: 1, par: 1, indicateurs: 1, chomage: 1, recensement: 1, agricole: 1 });
    expect(w['2024']).toBeUndefined();
    expect(w['d']).toBeUndefined();
    // Arabic: the article and joined conjunctions stripped, teh marbuta folded (hasad_search_norm).
    expect(w).toMatchObject({ كهرباء: 1, بطاله: 1, تشغيل: 1, جهه: 1 });
    expect(w['والبطالة']).toBeUndefined();
    const kw = await h.pool.query('SELECT keyword, folded, datasets FROM search_keywords ORDER BY folded');
    expect(kw.rows).toEqual([
      { keyword: 'agriculture', folded: 'agriculture', datasets: 1 },
      { keyword: 'électricité', folded: 'electricite', datasets: 1 },
      { keyword: 'emploi', folded: 'emploi', datasets: 1 },
      { keyword: 'Énergie', folded: 'energie', datasets: 2 },
      { keyword: 'الطاقة الكهربائية', folded: 'طاقه كهربائيه', datasets: 1 },
    ]);
  });

  it('is refreshed only when the catalogue changed; a withdrawn dataset’s words and keywords leave', async () => {
    expect(await refreshSearchVocabularyIfChanged(h)).toBeUndefined();
    await h.pool.query(`UPDATE datasets SET status = 'withdrawn', updated_at = now() WHERE id = $1`, [ids['old']]);
    expect(await refreshSearchVocabularyIfChanged(h)).toMatchObject({ refreshed: true });
    const w = await words();
    expect(w['recensement']).toBeUndefined();
    expect(w['consommation']).toBe(1);
    const kw = await h.pool.query<{ keyword: string }>('SELECT keyword FROM search_keywords');
    expect(kw.rows.map((r) => r.keyword)).not.toContain('agriculture');
  });

  it('corrects a misspelt French or Arabic word to the most similar title word, and the search finds the dataset', async () => {
    expect(await correctQuery(h, 'consomation électricte')).toEqual({ q: 'consommation electricite', changed: true });
    expect(await correctQuery(h, 'consommation')).toEqual({ q: 'consommation', changed: false });
    // والبطلة (a letter dropped, with the conjunction and article) → بطاله, as the search folds البطالة.
    const ar = await correctQuery(h, 'والبطلة');
    expect(ar).toEqual({ q: 'بطاله', changed: true });
    expect((await searchDatasets(h, { q: ar!.q })).items.map((d) => d.id)).toEqual([ids['emploi']]);
    const fr = await correctQuery(h, 'chomge');
    expect((await searchDatasets(h, { q: fr!.q })).items.map((d) => d.id)).toEqual([ids['emploi']]);
    // Nothing alike: kept as typed, nothing corrected.
    expect(await correctQuery(h, 'zzzqqqxx')).toEqual({ q: 'zzzqqqxx', changed: false });
  });

  it('suggests keywords by folded prefix, of any word of the keyword, most used first, and bounded dataset matches', async () => {
    expect(await suggestKeywords(h, 'ENER', 5)).toEqual([{ value: 'Énergie', count: 2 }]);
    expect(await suggestKeywords(h, 'elec', 5)).toEqual([{ value: 'électricité', count: 1 }]);
    // A later word of the keyword, Arabic folded (الكهرب → كهرب).
    expect(await suggestKeywords(h, 'الكهرب', 5)).toEqual([{ value: 'الطاقة الكهربائية', count: 1 }]);
    expect(await suggestKeywords(h, 'agri', 5)).toEqual([]);
    expect((await suggestDatasets(h, 'consom', 5)).map((d) => d.id)).toEqual([ids['elec']]);
    // Keyword matches too (Énergie), ranked as the search ranks.
    expect((await suggestDatasets(h, 'ener', 5)).map((d) => d.id).sort()).toEqual([ids['elec'], ids['emploi']].sort());
    expect((await suggestDatasets(h, 'البط', 5)).map((d) => d.id)).toEqual([ids['emploi']]);
  });
});
