import { deflateDescription, type CanonicalDataset } from '@hasad/core';
import type { MappedBatch, PackedRecord } from './adapters/shared/batches.ts';
import { contentHash } from './content-hash.ts';

/**
 * A record as it goes to the load queue: its content hash (over the record with its kept
 * description's text, so that the hash never depends on zlib's output) and the description taken
 * out of it, deflated. The fetcher's parsing workers do this before a batch crosses threads;
 * the fetcher does it itself for a batch read without them.
 */
export function packRecord(r: CanonicalDataset): { record: CanonicalDataset; packed: PackedRecord } {
  const hash = contentHash(r);
  if (r.sourceDescription === undefined) return { record: r, packed: { hash } };
  const { sourceDescription, ...record } = r;
  return {
    record,
    packed: { hash, description: { format: sourceDescription.format, deflated: deflateDescription(sourceDescription.body).toString('base64') } },
  };
}

/** Every record of the batch packed (MappedBatch.packed); a batch packed already as it is. */
export function packBatch(batch: MappedBatch): MappedBatch {
  if (batch.packed !== undefined) return batch;
  const packed: PackedRecord[] = [];
  const records = batch.records.map((r) => {
    const p = packRecord(r);
    packed.push(p.packed);
    return p.record;
  });
  return { ...batch, records, packed };
}
