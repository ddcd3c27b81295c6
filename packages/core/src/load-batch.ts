import { z } from 'zod';
import { SOURCE_DESCRIPTION_FORMATS } from './record.ts';
import { PROBLEM_SEVERITIES } from './vocabulary.ts';
import type { SearchColumns } from './search-columns.ts';

/** A plain object, as a record is after JSON (what `z.record` accepted before; arrays are not records). */
function isPlainObject(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A batch of normalised records, as the fetcher hands it to the loader (`load.batch`) and as
 * `loadBatch` of @hasad/db writes it: one declaration for both, here because neither package
 * may import the other. The records themselves are not re-validated field by field (the
 * fetcher built them from the adapter's typed output); only the envelope is. A record is typed
 * `object`: the fetcher puts a `CanonicalDataset` there, the loader reads it as JSON.
 */
export const loadBatchPayload = z.object({
  runId: z.string().uuid(),
  sourceId: z.string().uuid(),
  pageNo: z.number().int().min(1),
  batchNo: z.number().int().min(0),
  records: z.array(
    z.object({
      identifier: z.string().min(1),
      uri: z.string().nullable(),
      hash: z.string().min(1),
      modifiedAt: z.string().nullable(),
      record: z.custom<object>(isPlainObject, 'expected a record (an object)'),
      /**
       * The record's kept source description, taken out of the record: its media type and its
       * text compressed (a zstd frame, or raw deflate from Node 20 and earlier versions; the field
       * keeps its first name), in base64 (see kept-description.ts). Jobs queued before it existed
       * carry the description inside `record` as `sourceDescription`; the loader takes both.
       */
      description: z.object({ format: z.enum(SOURCE_DESCRIPTION_FORMATS), deflated: z.string() }).optional(),
    }),
  ),
  problems: z.array(
    z.object({
      severity: z.enum(PROBLEM_SEVERITIES),
      code: z.string(),
      message: z.string(),
      identifier: z.string().optional(),
      field: z.string().optional(),
    }),
  ),
  invalidIdentifiers: z.array(z.string()),
});
export type LoadBatchPayload = z.infer<typeof loadBatchPayload>;

/**
 * What the loader derives from a record before writing it: the search and facet columns and the
 * quality score. The loader's processor supplies it as a callback (`PrepareRecord`) that
 * `loadBatch` of @hasad/db calls only for the records it will write, after cleaning them: the
 * repository writes rows, it neither scores nor builds search columns itself.
 */
export interface PreparedRecord {
  search: SearchColumns;
  /** The score and its stored form (@hasad/quality's `toStored`); null leaves the row unscored. */
  quality: { score: number; stored: object } | null;
}
export type PrepareRecord = (record: Record<string, unknown>) => PreparedRecord;
