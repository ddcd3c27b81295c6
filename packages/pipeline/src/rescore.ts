import { listDatasetsToRescore, readDatasetsToScore, writeDatasetScores, type DbHandle } from '@hasad/db';
import { QUALITY_VERSION, scoreDataset, toStored } from '@hasad/quality';
import { refreshSourceQuality } from './source-quality.ts';

/**
 * Re-scores the given datasets from their stored records and their source's link checks: the
 * repository reads and writes, the scoring happens here. The record is not touched (no
 * change-feed row, `updated_at` stays). Returns how many were re-scored.
 */
export async function rescoreDatasetIds(h: DbHandle, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const scored = (await readDatasetsToScore(h, ids)).flatMap((d) => {
    try {
      const q = scoreDataset(d.record, d.links);
      return [{ id: d.id, score: q.score, stored: toStored(q) }];
    } catch {
      return []; // a record the scorer cannot read keeps its score (as the loader leaves it null)
    }
  });
  return writeDatasetScores(h, scored);
}

/**
 * Scores the datasets that have no score, or a score of an older version of the rules (every
 * dataset with `all`), in batches by id, then refreshes the touched sources' aggregates: the
 * backfill after migration 0007 (`hasad quality rescore`).
 */
export async function rescoreDatasets(h: DbHandle, opts: { sourceId?: string; all?: boolean; batchSize?: number; onBatch?: (done: number) => void } = {}): Promise<{ rescored: number; sources: number }> {
  const limit = opts.batchSize ?? 1000;
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  const touched = new Set<string>();
  for (;;) {
    const rows = await listDatasetsToRescore(h, { after, ...(opts.sourceId ? { sourceId: opts.sourceId } : {}), all: opts.all ?? false, version: QUALITY_VERSION, limit });
    if (rows.length === 0) break;
    done += await rescoreDatasetIds(h, rows.map((r) => r.id));
    for (const r of rows) touched.add(r.sourceId);
    after = rows[rows.length - 1]!.id;
    opts.onBatch?.(done);
  }
  // The sources' stored aggregates follow their datasets.
  for (const sourceId of touched) await refreshSourceQuality(h, sourceId, null);
  return { rescored: done, sources: touched.size };
}
