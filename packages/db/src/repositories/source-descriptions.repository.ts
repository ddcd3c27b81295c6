import { sql } from 'drizzle-orm';
import { decompressDescription, type SourceDescription, type SourceDescriptionFormat } from '@hasad/core';
import type { DbHandle } from '../client.ts';

/**
 * The source's own description of each dataset (CanonicalDataset.sourceDescription), kept in
 * `datasets.source_format` / `source_description`, and the dataset IRIs several records claim.
 */

/**
 * The kept descriptions of these datasets, by dataset id; datasets without one are absent. A
 * description whose stored bytes cannot be read (a zstd frame on a Node without zstd, damaged
 * bytes) is left out and given to `unreadable`, so that one row never fails a whole page of the
 * export; without `unreadable` it is an error naming the dataset.
 */
export async function sourceDescriptionsOf(h: DbHandle, ids: readonly string[], unreadable?: (id: string, err: Error) => void): Promise<Map<string, SourceDescription>> {
  const out = new Map<string, SourceDescription>();
  if (ids.length === 0) return out;
  const res = await h.db.execute<{ id: string; format: string; body: string | null; deflated: Buffer | null }>(
    sql`SELECT id, source_format AS format, source_description AS body, source_description_deflated AS deflated FROM datasets
        WHERE id = ANY(${sql.param([...ids])}::uuid[]) AND (source_description_deflated IS NOT NULL OR source_description IS NOT NULL)`,
  );
  for (const r of res.rows) {
    let body: string;
    try {
      body = r.deflated !== null ? decompressDescription(r.deflated) : r.body!;
    } catch (cause) {
      const err = new Error(`the kept source description of dataset ${r.id} cannot be read: ${(cause as Error).message}`, { cause });
      if (unreadable === undefined) throw err;
      unreadable(r.id, err);
      continue;
    }
    out.set(r.id, { format: r.format as SourceDescriptionFormat, body });
  }
  return out;
}

/**
 * Which of these datasets publish an IRI that an earlier active record also claims (another
 * source, or the same source under another identifier). The earliest created record (then the
 * smallest id) keeps the IRI in exports; the others are exported under Hasad's own IRI.
 */
export async function iriClaimedEarlier(h: DbHandle, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  // One probe of datasets_uri_idx per dataset of the page.
  const res = await h.db.execute<{ id: string }>(
    sql`SELECT d.id FROM datasets d
        WHERE d.id = ANY(${sql.param([...ids])}::uuid[]) AND d.uri IS NOT NULL
          AND EXISTS (SELECT 1 FROM datasets o WHERE o.uri = d.uri AND o.status = 'active' AND o.id <> d.id
                      AND (o.created_at, o.id) < (d.created_at, d.id))`,
  );
  return new Set(res.rows.map((r) => r.id));
}

/** One dataset IRI claimed by more than one active record, with the records claiming it (earliest first). */
export interface IriClash {
  uri: string;
  records: Array<{ id: string; sourceId: string; sourceTitle: string | null; /** As registered: may carry credentials; redact before showing. */ sourceUrl: string; organization: string; sourceIdentifier: string }>;
}

/** How many dataset IRIs more than one active record claims (the `/metrics` gauge). */
export async function countIriClashes(h: DbHandle): Promise<number> {
  const res = await h.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM datasets WHERE status = 'active' AND uri IS NOT NULL GROUP BY uri HAVING count(*) > 1) c`,
  );
  return res.rows[0]?.n ?? 0;
}

/** The clashing IRIs, most claimed first, then by IRI (the dashboard's list). */
export async function listIriClashes(h: DbHandle, limit = 50): Promise<IriClash[]> {
  const res = await h.db.execute<{ uri: string; records: IriClash['records'] }>(
    sql`WITH c AS (
          SELECT uri, count(*) AS n FROM datasets WHERE status = 'active' AND uri IS NOT NULL
          GROUP BY uri HAVING count(*) > 1 ORDER BY count(*) DESC, uri LIMIT ${limit}
        )
        SELECT c.uri, json_agg(json_build_object('id', d.id, 'sourceId', d.source_id, 'sourceTitle', s.title, 'sourceUrl', s.url,
                 'organization', o.slug, 'sourceIdentifier', d.source_identifier) ORDER BY d.created_at, d.id) AS records
        FROM c JOIN datasets d ON d.uri = c.uri AND d.status = 'active'
        JOIN sources s ON s.id = d.source_id JOIN organizations o ON o.id = d.organization_id
        GROUP BY c.uri, c.n ORDER BY c.n DESC, c.uri`,
  );
  return res.rows;
}
