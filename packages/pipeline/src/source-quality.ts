import { readSourceQualityFigures, readStoredSourceQuality, storeSourceQuality, type Db } from '@hasad/db';
import { sourceQualityOf, type SourceQuality } from '@hasad/quality';

/** Aggregates a source's quality now: the repository's figures, weighed by @hasad/quality. Not stored. */
export async function computeSourceQuality(db: Db, sourceId: string, opts: { improvementsLimit?: number } = {}): Promise<SourceQuality> {
  return { ...sourceQualityOf(await readSourceQualityFigures(db, sourceId, opts)), computedAt: new Date().toISOString() };
}

/** Aggregates a source's quality now (computeSourceQuality) and stores it. Idempotent. */
export async function refreshSourceQuality(db: Db, sourceId: string, runId: string | null): Promise<SourceQuality> {
  const q = await computeSourceQuality(db, sourceId);
  const { computedAt, ...body } = q;
  return { ...q, computedAt: (await storeSourceQuality(db, sourceId, body, runId)) ?? computedAt };
}

/**
 * A source's quality as stored by the link check that follows each complete run (or by
 * `hasad quality rescore`); computed and stored on the spot when none is stored yet or a run
 * ended since. Reading it costs two index probes; aggregating it costs seconds for a source of
 * 100 000 datasets.
 */
export async function getSourceQuality(db: Db, sourceId: string): Promise<SourceQuality> {
  const stored = await readStoredSourceQuality(db, sourceId);
  if (stored) return { ...(stored.quality as Omit<SourceQuality, 'computedAt'>), computedAt: stored.computedAt };
  return refreshSourceQuality(db, sourceId, null);
}
