import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchColumns, type PrepareRecord } from '@hasad/core';
import type { DbHandle } from '../client.ts';
import { createTestSourceDatabase } from '../testing.ts';
import { createOrganization } from './organizations.repository.ts';
import { createSource } from './sources.repository.ts';
import { createRun, markFetchDone, recordPage } from './runs.repository.ts';
import { loadBatch, type LoadRecord } from './load.repository.ts';
import { finaliseRun } from './finalise.repository.ts';
import { sourceDescriptionsOf } from './source-descriptions.repository.ts';
import { compressDescription } from '@hasad/core';

const rec = (i: number, v = 1): LoadRecord => ({
  identifier: `id-${i}`,
  uri: `https://example.ma/d/${i}`,
  hash: `h-${i}-${v}`,
  modifiedAt: '2026-11-01T00:00:00Z',
  record: { identifier: `id-${i}`, title: { fr: `Jeu ${i} v${v}`, ar: `مجموعة ${i}` } },
});

// The loader hands loadBatch @hasad/pipeline's preparer (search columns and quality score);
// here the search columns alone, and each record handed to it is kept, to see which were.
let prepared: Array<Record<string, unknown>> = [];
const prepare: PrepareRecord = (record) => {
  prepared.push(record);
  return { search: searchColumns(record), quality: null };
};

// The loader's batch transaction and finalise, against a real database.
describe('loadBatch and finaliseRun', () => {
  let h: DbHandle;
  let sourceId: string;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ h, sourceId, close } = await createTestSourceDatabase('org-load'));
  });
  afterAll(async () => close?.());

  async function runWith(batches: LoadRecord[][], opts: { repeat?: boolean } = {}) {
    const run = await createRun(h, sourceId, 'manual');
    for (const [i, records] of batches.entries()) {
      const input = { runId: run.id, sourceId, pageNo: 1, batchNo: i, records, problems: [], invalidIdentifiers: [] };
      await loadBatch(h, input, prepare);
      // BullMQ is at-least-once: a second delivery of the same batch must change nothing.
      if (opts.repeat) await loadBatch(h, input, prepare);
    }
    await recordPage(h, run.id, sourceId, { pageNo: 1, url: 'https://example.ma/feed', notModified: false, batchCount: batches.length, recordCount: batches.flat().length, bytes: 0 });
    await markFetchDone(h, run.id);
    return finaliseRun(h, run.id, { withdrawThreshold: 0.5 });
  }

  it('a batch delivered twice yields the same rows and counts as delivered once', async () => {
    const res = await runWith([[rec(1), rec(2), rec(3)], [rec(4)]], { repeat: true });
    expect(res).toMatchObject({ status: 'succeeded', seen: 4, created: 4, updated: 0, unchanged: 0 });
    const rows = await h.pool.query('SELECT count(*)::int AS n, count(DISTINCT source_identifier)::int AS d FROM datasets WHERE source_id = $1', [sourceId]);
    expect(rows.rows[0]).toEqual({ n: 4, d: 4 });
  });

  it('an unchanged record is not written, nor prepared; a changed one is, and counted', async () => {
    const before = (await h.pool.query('SELECT source_identifier, updated_at, xmin::text FROM datasets WHERE source_id = $1 ORDER BY 1', [sourceId])).rows;
    prepared = [];
    const res = await runWith([[rec(1), rec(2, 2), rec(3), rec(4)]]);
    expect(prepared.map((r) => r.identifier)).toEqual(['id-2']);
    expect(res).toMatchObject({ status: 'succeeded', seen: 4, created: 0, updated: 1, unchanged: 3 });
    const after = (await h.pool.query('SELECT source_identifier, updated_at, xmin::text FROM datasets WHERE source_id = $1 ORDER BY 1', [sourceId])).rows;
    for (const [i, row] of after.entries()) {
      if (row.source_identifier === 'id-2') expect(row.xmin).not.toBe(before[i].xmin);
      else expect(row).toEqual(before[i]); // same tuple: not rewritten
    }
  });

  it('the same identifier twice in one batch is loaded once', async () => {
    const res = await runWith([[rec(1), rec(2, 2), rec(3), rec(4), rec(4)]]);
    expect(res).toMatchObject({ status: 'unchanged', seen: 4, created: 0, updated: 0 });
  });

  it('withdraws what a complete run did not see, restores it when it comes back', async () => {
    const res = await runWith([[rec(1), rec(2, 2), rec(3)]]);
    expect(res).toMatchObject({ status: 'succeeded', withdrawn: 1 });
    const back = await runWith([[rec(1), rec(2, 2), rec(3), rec(4)]]);
    expect(back).toMatchObject({ status: 'succeeded', withdrawn: 0, updated: 1 });
    const st = await h.pool.query(`SELECT status FROM datasets WHERE source_identifier = 'id-4'`);
    expect(st.rows[0].status).toBe('active');
  });

  it('finalise delivered twice acts once', async () => {
    const run = await createRun(h, sourceId, 'manual');
    await loadBatch(h, { runId: run.id, sourceId, pageNo: 1, batchNo: 0, records: [rec(1), rec(2, 2), rec(3)], problems: [], invalidIdentifiers: [] }, prepare);
    await recordPage(h, run.id, sourceId, { pageNo: 1, url: 'https://example.ma/feed', notModified: false, batchCount: 1, recordCount: 3, bytes: 0 });
    await markFetchDone(h, run.id);
    const [a, b] = await Promise.all([finaliseRun(h, run.id, { withdrawThreshold: 0.5 }), finaliseRun(h, run.id, { withdrawThreshold: 0.5 })]);
    expect([a!.alreadyFinal, b!.alreadyFinal].sort()).toEqual([false, true]);
    // Both answers describe the one finished run.
    expect(a).toMatchObject({ status: 'succeeded', withdrawn: 1 });
    expect(b).toMatchObject({ status: 'succeeded', withdrawn: 1 });
    const w = await h.pool.query('SELECT count(*)::int AS n FROM datasets WHERE withdrawn_run = $1', [run.id]);
    expect(w.rows[0].n).toBe(1);
  });
  it('values PostgreSQL refuses cost only their record: cleaned with a warning, or refused and the batch split', async () => {
    const org = await createOrganization(h, { slug: 'org-load-nul', name: 'Org' });
    const src = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/nul' })).id;
    const run = await createRun(h, src, 'manual');
    const records: LoadRecord[] = [
      rec(1),
      { ...rec(2), record: { identifier: 'id-2', title: { fr: 'Ti\u0000tre' } } },
      { ...rec(3), record: { identifier: 'id-3', title: { fr: 'ok' }, description: { ar: 'x\ud800y' } } },
      { ...rec(4), identifier: 'id-\u00004' },
      // Passes cleaning but PostgreSQL refuses it (timestamptz out of range): found by splitting.
      { ...rec(5), modifiedAt: '10000000-01-01T00:00:00Z' },
      rec(6),
      rec(7),
    ];
    prepared = [];
    const res = await loadBatch(h, { runId: run.id, sourceId: src, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, prepare);
    // Records are prepared (their search columns built) once cleaned; the refused identifier never.
    expect(prepared.find((r) => r.identifier === 'id-2')?.title).toEqual({ fr: 'Titre' });
    expect(prepared.some((r) => String(r.identifier).includes('\u0000'))).toBe(false);
    expect(res).toMatchObject({ written: 5, refused: 1 });
    const rows = await h.pool.query(`SELECT source_identifier AS id, title->>'fr' AS fr, record->'description'->>'ar' AS ar FROM datasets WHERE source_id = $1 ORDER BY 1`, [src]);
    expect(rows.rows).toEqual([
      { id: 'id-1', fr: 'Jeu 1 v1', ar: null },
      { id: 'id-2', fr: 'Titre', ar: null },
      { id: 'id-3', fr: 'ok', ar: 'x\ufffdy' },
      { id: 'id-6', fr: 'Jeu 6 v1', ar: null },
      { id: 'id-7', fr: 'Jeu 7 v1', ar: null },
    ]);
    const problems = await h.pool.query('SELECT severity, code, identifier, field FROM run_problems WHERE run_id = $1 ORDER BY identifier', [run.id]);
    expect(problems.rows).toEqual([
      { severity: 'warning', code: 'invalid_characters', identifier: 'id-2', field: 'title.fr' },
      { severity: 'warning', code: 'invalid_characters', identifier: 'id-3', field: 'description.ar' },
      { severity: 'error', code: 'invalid_characters', identifier: 'id-4', field: 'identifier' },
      { severity: 'error', code: 'record_refused', identifier: 'id-5', field: null },
    ]);
    await recordPage(h, run.id, src, { pageNo: 1, url: 'https://example.ma/nul', notModified: false, batchCount: 1, recordCount: records.length, bytes: 0 });
    await markFetchDone(h, run.id);
    expect(await finaliseRun(h, run.id, { withdrawThreshold: 0.5 })).toMatchObject({ status: 'succeeded', created: 5, invalid: 2 });
  });
  it('keeps the source description the fetcher sends deflated, and the text of a job queued before it, and serves both as text', async () => {
    const org = await createOrganization(h, { slug: 'org-load-kept', name: 'Org' });
    const src = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/kept' })).id;
    const text = (i: number) =>
      `<https://example.ma/d/${i}> <http://purl.org/dc/terms/title> "الميزانية ${i} \\u0000 données"@ar .\n`.repeat(40);
    const deflated = { ...rec(1), description: { format: 'application/n-triples' as const, deflated: compressDescription(text(1)).toString('base64') } };
    // A job of the version before: the description inside the record, as text.
    const legacy = { ...rec(2), record: { ...rec(2).record, sourceDescription: { format: 'application/n-triples', body: text(2) } } };
    const run = await createRun(h, src, 'manual');
    await loadBatch(h, { runId: run.id, sourceId: src, pageNo: 1, batchNo: 0, records: [deflated, legacy], problems: [], invalidIdentifiers: [] }, prepare);
    const rows = (await h.pool.query<{ id: string; source_identifier: string; record: Record<string, unknown>; source_description: string | null; z: number | null }>(
      'SELECT id, source_identifier, record, source_description, octet_length(source_description_deflated) AS z FROM datasets WHERE source_id = $1 ORDER BY source_identifier',
      [src],
    )).rows;
    expect(rows.map((r) => [r.source_identifier, r.source_description === null, r.z !== null])).toEqual([['id-1', true, true], ['id-2', false, false]]);
    // Stored at about a tenth of its text here (40 repeated lines); never inside the record.
    expect(rows[0]!.z!).toBeLessThan(Buffer.byteLength(text(1)) / 4);
    for (const r of rows) expect(r.record['sourceDescription']).toBeUndefined();
    const kept = await sourceDescriptionsOf(h, rows.map((r) => r.id));
    expect(kept.get(rows[0]!.id)).toEqual({ format: 'application/n-triples', body: text(1) });
    expect(kept.get(rows[1]!.id)).toEqual({ format: 'application/n-triples', body: text(2) });
    await recordPage(h, run.id, src, { pageNo: 1, url: 'https://example.ma/kept', notModified: false, batchCount: 1, recordCount: 2, bytes: 0 });
    await markFetchDone(h, run.id);
    await finaliseRun(h, run.id, { withdrawThreshold: 0.5 });
    // Rewritten by a later harvest: the deflated form replaces the text.
    const run2 = await createRun(h, src, 'manual');
    const again = { ...rec(2, 2), description: { format: 'application/n-triples' as const, deflated: compressDescription(text(3)).toString('base64') } };
    await loadBatch(h, { runId: run2.id, sourceId: src, pageNo: 1, batchNo: 0, records: [again], problems: [], invalidIdentifiers: [] }, prepare);
    const after = (await h.pool.query('SELECT source_description, source_description_deflated IS NOT NULL AS z FROM datasets WHERE id = $1', [rows[1]!.id])).rows[0];
    expect(after).toEqual({ source_description: null, z: true });
    expect((await sourceDescriptionsOf(h, [rows[1]!.id])).get(rows[1]!.id)!.body).toBe(text(3));
  });

  it('takes over a content hash of the earlier form without rewriting the row when the record and its description are the same', async () => {
    const org = await createOrganization(h, { slug: 'org-load-rehash', name: 'Org' });
    const src = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/rehash' })).id;
    const described = (i: number, hash: string, body = `<https://example.ma/d/${i}> <http://purl.org/dc/terms/title> "Jeu ${i}"@fr .\n`, v = 1): LoadRecord => ({
      ...rec(i, v),
      hash,
      description: { format: 'application/n-triples' as const, deflated: compressDescription(body).toString('base64') },
    });
    const load = async (records: LoadRecord[]) => {
      const run = await createRun(h, src, 'manual');
      const res = await loadBatch(h, { runId: run.id, sourceId: src, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, prepare);
      await recordPage(h, run.id, src, { pageNo: 1, url: 'https://example.ma/rehash', notModified: false, batchCount: 1, recordCount: records.length, bytes: 0 });
      await markFetchDone(h, run.id);
      await finaliseRun(h, run.id, { withdrawThreshold: 0 });
      return { run, res };
    };
    const state = async () => (await h.pool.query<{ source_identifier: string; content_hash: string; changed_run: string; changes: number }>(
      `SELECT d.source_identifier, d.content_hash, d.changed_run, (SELECT count(*)::int FROM dataset_changes c WHERE c.dataset_id = d.id) AS changes
       FROM datasets d WHERE d.source_id = $1 ORDER BY d.source_identifier`, [src])).rows;
    // Rows written by the version before: hashes of the earlier form (sha1 hex).
    // id-5's description as another codec or level wrote it (an earlier version's deflate, where
    // this process compresses with zstd or zlib level 1): other bytes, the same text.
    const long = Array.from({ length: 30 }, (_, k) => `<https://example.ma/d/5> <http://purl.org/dc/terms/subject> "Sujet ${k % 7} — موضوع ${k % 5}"@fr .\n`).join('');
    const otherBytes = { ...described(5, 'f'.repeat(40), long), description: { format: 'application/n-triples' as const, deflated: deflateRawSync(Buffer.from(long), { level: 9 }).toString('base64') } };
    expect(otherBytes.description.deflated).not.toBe((described(5, 'x', long).description as { deflated: string }).deflated);
    const first = await load([described(1, 'a'.repeat(40)), described(2, 'b'.repeat(40)), described(3, 'c'.repeat(40)), described(4, 'e'.repeat(40)), otherBytes]);
    expect(first.res.written).toBe(5);
    // The same content with the new form of hash; id-2's description and id-3's record changed; id-4 has a new-form hash already stored below.
    await h.pool.query(`UPDATE datasets SET content_hash = 'd2:old' WHERE source_id = $1 AND source_identifier = 'id-4'`, [src]);
    const second = await load([
      described(1, 'd2:one'),
      described(2, 'd2:two', '<https://example.ma/d/2> <http://purl.org/dc/terms/title> "Jeu 2, revu"@fr .\n'),
      described(3, 'd2:three', undefined, 2),
      described(4, 'd2:four'),
      described(5, 'd2:five', long),
    ]);
    expect(second.res.written).toBe(3);
    const rows = await state();
    expect(rows.map((r) => [r.source_identifier, r.content_hash, r.changed_run === first.run.id ? 'first' : 'second', r.changes])).toEqual([
      ['id-1', 'd2:one', 'first', 1],
      ['id-2', 'd2:two', 'second', 2],
      ['id-3', 'd2:three', 'second', 2],
      ['id-4', 'd2:four', 'second', 2],
      ['id-5', 'd2:five', 'first', 1],
    ]);
    // Taken over once: the next harvest finds every row unchanged.
    const third = await load([described(1, 'd2:one'), described(2, 'd2:two', '<https://example.ma/d/2> <http://purl.org/dc/terms/title> "Jeu 2, revu"@fr .\n'), described(3, 'd2:three', undefined, 2), described(4, 'd2:four'), described(5, 'd2:five', long)]);
    expect(third.res.written).toBe(0);
  });
});
