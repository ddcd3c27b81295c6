import { deflateDescriptionBytes, type CanonicalDataset } from '@hasad/core';
import type { MappedBatch, PackedRecord } from './adapters/shared/batches.ts';
import { contentHash } from './content-hash.ts';

/**
 * A record as it goes to the load queue: its content hash (over the record with its kept
 * description's text, so that the hash never depends on zlib's output) and the description taken
 * out of it, deflated. The description's UTF-8 bytes are made once, for both. The fetcher's
 * parsing workers do this as each record is mapped; the fetcher does it itself for a batch read
 * without them.
 */
export function packRecord(r: CanonicalDataset): { record: CanonicalDataset; packed: PackedRecord } {
  if (r.sourceDescription === undefined) return { record: r, packed: { hash: contentHash(r) } };
  const { sourceDescription, ...record } = r;
  const bytes = Buffer.from(sourceDescription.body, 'utf8');
  return {
    record,
    packed: { hash: contentHash(r, bytes), description: { format: sourceDescription.format, deflated: deflateDescriptionBytes(bytes).toString('base64') } },
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
