import { readSourceQualityFigures, readStoredSourceQuality, storeSourceQuality, type DbHandle } from '@hasad/db';
import { sourceQualityOf, type SourceQuality } from '@hasad/quality';

/** Aggregates a source's quality now: the repository's figures, weighed by @hasad/quality. Not stored. */
export async function computeSourceQuality(h: DbHandle, sourceId: string, opts: { improvementsLimit?: number } = {}): Promise<SourceQuality> {
  return { ...sourceQualityOf(await readSourceQualityFigures(h, sourceId, opts)), computedAt: new Date().toISOString() };
}

/** Aggregates a source's quality now (computeSourceQuality) and stores it. Idempotent. */
export async function refreshSourceQuality(h: DbHandle, sourceId: string, runId: string | null): Promise<SourceQuality> {
  const q = await computeSourceQuality(h, sourceId);
  const { computedAt, ...body } = q;
  return { ...q, computedAt: (await storeSourceQuality(h, sourceId, body, runId)) ?? computedAt };
}

/**
 * A source's quality as stored by the link check that follows each complete run (or by
 * `hasad quality rescore`); computed and stored on the spot when none is stored yet or a run
 * ended since. Reading it costs two index probes; aggregating it costs seconds for a source of
 * 100 000 datasets.
 */
export async function getSourceQuality(h: DbHandle, sourceId: string): Promise<SourceQuality> {
  const stored = await readStoredSourceQuality(h, sourceId);
  if (stored) return { ...(stored.quality as Omit<SourceQuality, 'computedAt'>), computedAt: stored.computedAt };
  return refreshSourceQuality(h, sourceId, null);
}
