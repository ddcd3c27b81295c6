import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from './client.ts';
import { createTestDatabase } from './testing.ts';
import { createOrganization } from './repositories/organizations.repository.ts';
import { createSource } from './repositories/sources.repository.ts';
import { createRun } from './repositories/runs.repository.ts';
import { loadBatch } from './repositories/load.repository.ts';
import { searchColumns, searchNorm } from '@hasad/core';

// The loader derives the search and facet columns in JavaScript; every other writer gets them
// from the SQL functions through a trigger. Both must give the same columns, or a dataset's
// findability would depend on who wrote it.

const EU = 'http://publications.europa.eu/resource/authority';
const RECORDS: Array<Record<string, unknown>> = [
  {
    title: { fr: 'Qualité de l’eau — Données 2024', ar: 'جودة مياه الشرب والبطالة', '': 'untagged' },
    description: { fr: 'Mesures horaires, œuvre, Ærø.', en: 'Hourly measures' },
    keywords: { fr: ['eau', ' santé ', ''], ar: ['ماء', 'الصحة'] },
    themes: [`${EU}/data-theme/ENVI`, ' label ', '', `${EU}/data-theme/ENVI`],
    language: [`${EU}/language/FRA`, 'ar-MA', 'zgh', 'ENG'],
    license: 'https://creativecommons.org/licenses/by/4.0/',
    distributions: [
      { format: `${EU}/file-type/CSV` },
      { format: ' csv ' },
      { mediaType: 'https://www.iana.org/assignments/media-types/Text/CSV' },
      { format: 'http://example.org/formats/x' },
      { mediaType: 'application/json' },
      {},
      'not an object',
    ],
  },
  { title: { ar: 'مُؤَشِّرَات الصِّحَّة العمومية للمستشفى الســلام وإحصاءات أحمد والوزارة فالكتاب بالمدينة كالعادة' }, description: {}, keywords: {}, themes: [], language: [], distributions: [] },
  { title: 'not a map', description: null, keywords: { fr: 'not a list' }, themes: 'ENVI', language: 'fr', distributions: {} },
  { title: { fr: 'Œuvres d’art — Élysée' } },
];

const ARABIC = [
  'مُؤَشِّرَات',
  'والبطالة للمياه الوزارة وزارة',
  'إحصاءات أحمد آمال مستشفى الصحة',
  'ســلام بالمدينة كالعادة فالكتاب فبالعلم وللعلم',
  'ال و وا والد الله لله',
  'Données n° 12 — مؤشرات 2024',
  'abc',
];

let h: DbHandle;
let drop: () => Promise<void>;
let sourceId: string;
let orgId: string;

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  h = createDb(t.url);
  const org = await createOrganization(h, { slug: 'org-cols', name: 'Org' });
  orgId = org.id;
  sourceId = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/feed' })).id;
});
afterAll(async () => {
  await h?.close();
  await drop?.();
});

/** The columns as stored, next to what the SQL functions compute from the stored record. */
async function compare(where: string) {
  const res = await h.pool.query(`
    SELECT source_identifier AS id,
      themes, hasad_text_array(record->'themes') AS sql_themes,
      formats, hasad_formats(record->'distributions') AS sql_formats,
      keywords, hasad_keywords(record->'keywords') AS sql_keywords,
      languages, hasad_languages(record) AS sql_languages,
      license, record->>'license' AS sql_license,
      title_sort, hasad_title_sort(record->'title') AS sql_title_sort,
      ARRAY(SELECT strip(ts_filter(search_vector, ARRAY[w]))::text FROM unnest('{a,b,c,d}'::"char"[]) w) AS vector,
      ARRAY(SELECT strip(ts_filter(hasad_search_vector(record->'title', record->'keywords', record->'description'), ARRAY[w]))::text FROM unnest('{a,b,c,d}'::"char"[]) w) AS sql_vector
    FROM datasets WHERE ${where} ORDER BY 1`);
  return res.rows;
}

describe('search columns', () => {
  it('are the same whether the loader or the SQL functions derive them', async () => {
    const run = await createRun(h, sourceId, 'manual');
    const records = RECORDS.map((r, i) => ({ identifier: `r${i}`, uri: null, hash: `h${i}`, modifiedAt: null, record: { identifier: `r${i}`, ...r } }));
    await loadBatch(h, { runId: run.id, sourceId, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, (record) => ({ search: searchColumns(record), quality: null }));
    const rows = await compare(`source_id = '${sourceId}'`);
    expect(rows).toHaveLength(RECORDS.length);
    for (const r of rows) {
      const sorted = (a: string[] | null) => [...(a ?? [])].sort();
      expect(sorted(r.themes), r.id).toEqual(sorted(r.sql_themes));
      expect(sorted(r.formats), r.id).toEqual(sorted(r.sql_formats));
      expect(sorted(r.keywords), r.id).toEqual(sorted(r.sql_keywords));
      expect(sorted(r.languages), r.id).toEqual(sorted(r.sql_languages));
      expect(r.license, r.id).toEqual(r.sql_license);
      expect(r.title_sort, r.id).toEqual(r.sql_title_sort);
      expect(r.vector, r.id).toEqual(r.sql_vector);
    }
    const first = rows.find((r) => r.id === 'r0')!;
    expect(first.formats).toEqual(['CSV', 'application/json', 'http://example.org/formats/x', 'text/csv']);
    expect(first.languages).toEqual(['ar', 'en', 'fr', 'zgh']);
    expect(first.keywords).toEqual(['eau', 'santé', 'الصحة', 'ماء']);
    expect(first.themes).toEqual([`${EU}/data-theme/ENVI`, 'label']);
  });

  it('are filled in by the trigger for a row written without them, and follow a record changed by hand', async () => {
    const runId = randomUUID();
    const record = { identifier: 'manual', title: { fr: 'Écoles primaires' }, keywords: { fr: ['éducation'] }, themes: [`${EU}/data-theme/EDUC`] };
    await h.pool.query(
      `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, created_run, changed_run)
       VALUES ($1, $2, 'manual', $3, $4, 'x', $5, $5)`,
      [sourceId, orgId, JSON.stringify(record.title), JSON.stringify(record), runId],
    );
    const [inserted] = await compare(`source_identifier = 'manual'`);
    expect(inserted.themes).toEqual([`${EU}/data-theme/EDUC`]);
    expect(inserted.vector).toEqual(inserted.sql_vector);
    expect(inserted.vector[0]).toBe("'ecol' 'primair'");

    await h.pool.query(`UPDATE datasets SET record = record || '{"themes": [], "title": {"fr": "Lycées"}}' WHERE source_identifier = 'manual'`);
    const [updated] = await compare(`source_identifier = 'manual'`);
    expect(updated.themes).toEqual([]);
    expect(updated.vector[0]).toBe("'lyce'");
    expect(updated.title_sort).toBe('lycees');
  });

  it('normalise Arabic in JavaScript exactly as hasad_search_norm() does', async () => {
    const res = await h.pool.query<{ t: string; n: string }>('SELECT t, hasad_search_norm(t) AS n FROM unnest($1::text[]) t', [ARABIC]);
    for (const r of res.rows) expect(searchNorm(r.t), r.t).toBe(r.n);
    expect(searchNorm('والبطالة للمياه')).toBe('بطاله مياه');
  });
});
