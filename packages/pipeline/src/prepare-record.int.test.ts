import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, loadBatch, type DbHandle, type LoadRecord } from '@hasad/db';
import { createTestSourceDatabase } from '@hasad/db/testing';
import { prepareRecord } from './prepare-record.ts';

// A dataset row as the loader writes it (record, search columns and quality score prepared by
// prepareRecord), against a real database.
describe('a dataset row as the loader writes it', () => {
  let h: DbHandle;
  let sourceId: string;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ h, sourceId, close } = await createTestSourceDatabase('org-row'));
  });
  afterAll(async () => close?.());

  it('keeps the search columns in a narrow row: the canonical record of a typical dataset (about 3 KB a row) goes to the TOAST table', async () => {
    // A harvested record as the generated bench catalogue has them: titles, description and
    // keywords in French and Arabic, two distributions (about 1.4 KB of JSON, 2.5-3 KB a row).
    // Migration 0018: a search reads the heap rows of every match, and rows without their record
    // fill twice as many a page (0011 had kept them whole, for the upsert's sake).
    const big = (i: number): LoadRecord => ({
      identifier: `id-${i}`,
      uri: `https://example.ma/d/${i}`,
      hash: `h-${i}`,
      modifiedAt: '2026-11-01T00:00:00Z',
      record: {
        identifier: `id-${i}`,
        title: { fr: `Jeu ${i} v1`, ar: `مجموعة ${i}` },
        description: { fr: `Données publiées : budget communal de la région ${i}. `.repeat(4), ar: `بيانات منشورة: الميزانية الجماعية ${i}. `.repeat(4) },
        keywords: { fr: ['budget', 'commune', 'finances'], ar: ['ميزانية', 'جماعة'] },
        distributions: [1, 2].map((k) => ({ accessUrl: `https://example.ma/d/${i}/${k}.csv`, format: 'CSV', title: { fr: `Fichier ${k} du jeu ${i}`, ar: `ملف ${k}` } })),
      },
    });
    const run = await createRun(h, sourceId, 'manual');
    const records = Array.from({ length: 20 }, (_, i) => big(100 + i));
    const res = await loadBatch(h, { runId: run.id, sourceId, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, prepareRecord);
    expect(res).toMatchObject({ written: 20, refused: 0 });
    const size = await h.pool.query<{ min: number; scored: number }>(`SELECT min(pg_column_size(d.*))::int AS min, count(quality_score)::int AS scored FROM datasets d WHERE source_id = $1`, [sourceId]);
    expect(size.rows[0]).toMatchObject({ scored: 20 });
    expect(size.rows[0]!.min).toBeGreaterThan(2100); // the whole row: above PostgreSQL's 2 KB toast threshold
    // Each record is out of line: the TOAST table holds a value for each row (none before 0018).
    const toast = await h.pool.query<{ t: string }>(`SELECT reltoastrelid::regclass::text AS t FROM pg_class WHERE relname = 'datasets'`);
    const chunks = await h.pool.query<{ n: number }>(`SELECT count(DISTINCT chunk_id)::int AS n FROM ${toast.rows[0]!.t}`);
    expect(chunks.rows[0]!.n).toBeGreaterThanOrEqual(20);
    // And it reads back whole.
    const back = await h.pool.query<{ fr: string }>(`SELECT record->'description'->>'fr' AS fr FROM datasets WHERE source_identifier = 'id-100'`);
    expect(back.rows[0]!.fr).toBe('Données publiées : budget communal de la région 100. '.repeat(4));
  });
});
