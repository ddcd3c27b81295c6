import { searchColumns, type CanonicalDataset, type PreparedRecord } from '@hasad/core';
import { scoreDataset, toStored } from '@hasad/quality';

/**
 * What the loader's processor hands `loadBatch` (@hasad/db) as its `prepare` callback: a
 * record's search and facet columns and its quality score. Here, not in the repository, so that
 * @hasad/db writes rows without knowing the scoring rules; in a package, not in the loader,
 * because tests and benchmarks load batches exactly as the loader does.
 *
 * Scored without link results: the link criteria stay unassessed until the next link check of
 * the dataset (a changed record may list other URLs). A record the scorer throws on is loaded
 * unscored: a scorer bug must never stop a batch (`hasad quality rescore` scores it later).
 */
export function prepareRecord(record: Record<string, unknown>): PreparedRecord {
  let quality: PreparedRecord['quality'] = null;
  try {
    const q = scoreDataset(record as unknown as CanonicalDataset);
    quality = { score: q.score, stored: toStored(q) };
  } catch {
    // left unscored (above)
  }
  return { search: searchColumns(record), quality };
}
