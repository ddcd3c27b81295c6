import { sql } from 'drizzle-orm';
import type { DbHandle } from '../client.ts';

/**
 * Data services (records with `record.dataService`, ISO 19139 service records of CSW sources) and
 * the datasets of the same source they serve: what the DCAT-AP export needs to link the two
 * (`dcat:servesDataset` on the service, `dcat:accessService` on the datasets' distributions).
 */

/** An active record as the links need it. */
export type LinkedRecord = {
  id: string;
  sourceId: string;
  uri: string | null;
  sourceIdentifier: string;
  /** The record's other identifiers (`otherIdentifier[].notation`): ISO resource identifiers. */
  otherIds: string[];
};

export type DataServiceRecord = LinkedRecord & {
  /** `record.dataService` as stored. */
  dataService: Record<string, unknown>;
};

const OTHER_IDS = sql`COALESCE((SELECT array_agg(e->>'notation') FROM jsonb_array_elements(
    CASE WHEN jsonb_typeof(d.record->'otherIdentifier') = 'array' THEN d.record->'otherIdentifier' ELSE '[]'::jsonb END) e
    WHERE e->>'notation' IS NOT NULL), '{}')`;

/**
 * The active data services of these sources. Only sources of kind `csw` are looked at: they are
 * the only ones whose records can be services, so a page of other sources costs one probe.
 */
export async function dataServicesOfSources(h: DbHandle, sourceIds: readonly string[]): Promise<DataServiceRecord[]> {
  if (sourceIds.length === 0) return [];
  const res = await h.db.execute<DataServiceRecord>(
    sql`SELECT d.id, d.source_id AS "sourceId", d.uri, d.source_identifier AS "sourceIdentifier", ${OTHER_IDS} AS "otherIds",
               d.record->'dataService' AS "dataService"
        FROM datasets d JOIN sources s ON s.id = d.source_id
        WHERE d.source_id = ANY(${sql.param([...new Set(sourceIds)])}::uuid[]) AND s.kind = 'csw'
          AND d.status = 'active' AND jsonb_typeof(d.record->'dataService') = 'object'
        ORDER BY d.id`,
  );
  return res.rows;
}

/**
 * The active records (not services) of a source that one of `keys` names: by the source's
 * identifier, by IRI, or by one of their other identifiers.
 */
export async function recordsNamedBy(h: DbHandle, sourceId: string, keys: readonly string[]): Promise<LinkedRecord[]> {
  if (keys.length === 0) return [];
  const k = sql.param([...new Set(keys)]);
  const res = await h.db.execute<LinkedRecord>(
    sql`SELECT d.id, d.source_id AS "sourceId", d.uri, d.source_identifier AS "sourceIdentifier", ${OTHER_IDS} AS "otherIds"
        FROM datasets d
        WHERE d.source_id = ${sourceId}::uuid AND d.status = 'active' AND d.record->'dataService' IS NULL
          AND (d.source_identifier = ANY(${k}::text[]) OR d.uri = ANY(${k}::text[])
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(d.record->'otherIdentifier') = 'array' THEN d.record->'otherIdentifier' ELSE '[]'::jsonb END) e
                          WHERE e->>'notation' = ANY(${k}::text[])))
        ORDER BY d.created_at, d.id`,
  );
  return res.rows;
}
