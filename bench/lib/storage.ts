import type pg from 'pg';
import { decompressDescription } from '@hasad/core';

/** What one dataset of a source costs on disk, in bytes (averages over its active rows). */
export interface StoragePerDataset {
  datasets: number;
  /** The canonical record (jsonb) as stored (pg_column_size: after any compression). */
  recordBytes: number;
  /** The kept source description as stored (compressed by the fetcher: zstd, or raw deflate on Node 20; rows from before migration 0017: text, lz4 when its row outgrew the TOAST target). */
  descriptionBytes: number;
  /** The same description as UTF-8 text: what it would take uncompressed (compressed ones: mean of a sample decompressed). */
  descriptionTextBytes: number;
  /** The whole row as stored (pg_column_size of the row, its TOASTed values included). */
  rowBytes: number;
  /** Share of the rows whose description is stored compressed or out of line. */
  compressedShare: number;
}

/**
 * Storage per dataset of one source, from PostgreSQL's own sizes. A dataset's full cost also has
 * its index entries and the change feed; these figures are the record and the kept description,
 * the two the lossless harvest weighs against each other.
 */
export async function storagePerDataset(pool: pg.Pool, sourceId: string): Promise<StoragePerDataset> {
  const r = await pool.query<{ n: number; rec: number; descr: number; text: number; row: number; compressed: number }>(
    `SELECT count(*)::int AS n,
       coalesce(avg(pg_column_size(record)), 0)::float8 AS rec,
       coalesce(avg(coalesce(pg_column_size(source_description_deflated), pg_column_size(source_description), 0)), 0)::float8 AS descr,
       coalesce(avg(coalesce(octet_length(source_description), 0)), 0)::float8 AS text,
       coalesce(avg(pg_column_size(d.*)), 0)::float8 AS row,
       coalesce(avg(CASE WHEN source_description_deflated IS NOT NULL OR pg_column_size(source_description) < octet_length(source_description) THEN 1 ELSE 0 END), 0)::float8 AS compressed
     FROM datasets d WHERE source_id = $1 AND status = 'active'`,
    [sourceId],
  );
  const x = r.rows[0]!;
  // Deflated descriptions (the loader's since migration 0017): their text length from a sample
  // inflated here, PostgreSQL cannot inflate them.
  const sample = await pool.query<{ z: Buffer }>(
    `SELECT source_description_deflated AS z FROM datasets WHERE source_id = $1 AND status = 'active' AND source_description_deflated IS NOT NULL LIMIT 2000`,
    [sourceId],
  );
  let text = x.text;
  if (sample.rows.length > 0) {
    const compressedShare = (await pool.query<{ s: number }>(
      `SELECT coalesce(avg(CASE WHEN source_description_deflated IS NOT NULL THEN 1 ELSE 0 END), 0)::float8 AS s FROM datasets WHERE source_id = $1 AND status = 'active'`,
      [sourceId],
    )).rows[0]!.s;
    const mean = sample.rows.reduce((a, r) => a + Buffer.byteLength(decompressDescription(r.z)), 0) / sample.rows.length;
    text += mean * compressedShare;
  }
  return { datasets: x.n, recordBytes: x.rec, descriptionBytes: x.descr, descriptionTextBytes: text, rowBytes: x.row, compressedShare: x.compressed };
}
