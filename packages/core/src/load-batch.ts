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
       * text compressed (a zstd frame, or raw deflate from Node 20 and earlier versions; see
       * kept-description.ts). Either where it lies in the batch's `descriptions` value (`at`:
       * offset and length, what the fetcher sends since 2026-12-07), or inline in base64
       * (`deflated`, the field keeps its first name; jobs queued by earlier versions). Jobs queued
       * before either carry the description inside `record` as `sourceDescription`; the loader
       * takes all three.
       */
      description: z
        .union([
          z.object({ format: z.enum(SOURCE_DESCRIPTION_FORMATS), at: z.tuple([z.number().int().min(0), z.number().int().min(0)]) }),
          z.object({ format: z.enum(SOURCE_DESCRIPTION_FORMATS), deflated: z.string() }),
        ])
        .optional(),
    }),
  ),
  /**
   * Where the batch's compressed descriptions wait: one binary Redis value beside the job (see
   * Queues.putDescriptions), every record's `at` pointing into it. Why not in the job: BullMQ
   * jobs are JSON, so the bytes went as base64 text through JSON.stringify, msgpack and the
   * socket in the fetcher and back through JSON.parse in the loader; a CPU profile of bench phase
   * 10 put about 17 of the 88 µs a dataset that keeping descriptions cost the fetcher in adding
   * the job, and PostgreSQL decoded the base64 again (docs/benchmarks.md).
   */
  descriptions: z.object({ key: z.string().min(1), bytes: z.number().int().min(0) }).optional(),
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
 * A batch as `loadBatch` of @hasad/db takes it: the job's payload, and instead of the name of its
 * descriptions' value, that value's bytes (`descriptionBytes`), which the records' `at` point into.
 * The bytes go to PostgreSQL as they are, one binary parameter the statement cuts per record.
 */
export type ResolvedLoadBatch = Omit<LoadBatchPayload, 'descriptions'> & { descriptionBytes?: Uint8Array };
export type LoadRecord = ResolvedLoadBatch['records'][number];

/**
 * The batch with its descriptions' value (`blob`, as read from Redis; null when it is not there).
 * Throws, naming the batch and the key, when the value is missing, of another length than the
 * batch was sent with, or too short for a record: a batch is never loaded without the
 * descriptions it was sent with.
 */
export function resolveDescriptions(p: LoadBatchPayload, blob: Uint8Array | null): ResolvedLoadBatch {
  const { descriptions, ...rest } = p;
  const where = `batch ${p.batchNo} of page ${p.pageNo} (run ${p.runId})`;
  if (descriptions !== undefined && blob === null) {
    throw new Error(`the kept source descriptions of ${where} are no longer in Redis (key ${descriptions.key}): they expire ${DESCRIPTIONS_TTL_DAYS} days after the batch was queued, or Redis lost them; nothing of the batch was loaded, harvest the source again`);
  }
  if (descriptions !== undefined && blob !== null && blob.length !== descriptions.bytes) {
    throw new Error(`the kept source descriptions of ${where} hold ${blob.length} bytes in Redis (key ${descriptions.key}), not the ${descriptions.bytes} the batch was sent with; nothing of the batch was loaded`);
  }
  const bytes = descriptions === undefined ? undefined : (blob ?? undefined);
  for (const r of p.records) {
    const d = r.description;
    if (d === undefined || !('at' in d)) continue;
    const [offset, length] = d.at;
    if (bytes === undefined || offset + length > bytes.length) {
      throw new Error(`record ${JSON.stringify(r.identifier)} of ${where} points at bytes ${offset}-${offset + length} of its batch's kept descriptions, ${bytes === undefined ? 'which the batch does not name' : `which hold ${bytes.length}`}; nothing of the batch was loaded`);
    }
  }
  return bytes === undefined ? rest : { ...rest, descriptionBytes: bytes };
}

/** A record's compressed description bytes: cut from the batch's value, or decoded from the inline base64 of an earlier job. */
export function descriptionBytesOf(r: LoadRecord, batch: ResolvedLoadBatch): Uint8Array | undefined {
  const d = r.description;
  if (d === undefined) return undefined;
  if ('deflated' in d) return Buffer.from(d.deflated, 'base64');
  return batch.descriptionBytes?.subarray(d.at[0], d.at[0] + d.at[1]);
}

/** How long a batch's descriptions wait in Redis: longer than a failed batch job is kept (7 days), for a retry by hand. */
export const DESCRIPTIONS_TTL_DAYS = 8;

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
