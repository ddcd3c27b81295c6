import type pg from 'pg';

/** What one dataset of a source costs on disk, in bytes (averages over its active rows). */
export interface StoragePerDataset {
  datasets: number;
  /** The canonical record (jsonb) as stored (pg_column_size: after any compression). */
  recordBytes: number;
  /** The kept source description as stored (lz4 when its row outgrew the TOAST target). */
  descriptionBytes: number;
  /** The same description as text (octet_length): what it would take uncompressed. */
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
       coalesce(avg(coalesce(pg_column_size(source_description), 0)), 0)::float8 AS descr,
       coalesce(avg(coalesce(octet_length(source_description), 0)), 0)::float8 AS text,
       coalesce(avg(pg_column_size(d.*)), 0)::float8 AS row,
       coalesce(avg(CASE WHEN pg_column_size(source_description) < octet_length(source_description) THEN 1 ELSE 0 END), 0)::float8 AS compressed
     FROM datasets d WHERE source_id = $1 AND status = 'active'`,
    [sourceId],
  );
  const x = r.rows[0]!;
  return { datasets: x.n, recordBytes: x.rec, descriptionBytes: x.descr, descriptionTextBytes: x.text, rowBytes: x.row, compressedShare: x.compressed };
}
