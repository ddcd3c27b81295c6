import { compressDescriptionBase64, type CanonicalDataset } from '@hasad/core';
import type { MappedBatch, PackedRecord } from './adapters/shared/batches.ts';
import { contentHash } from './content-hash.ts';

/**
 * A record as it goes to the load queue: its content hash (over the record with its kept
 * description's text, so that the hash never depends on the codec's output) and the description
 * taken out of it, compressed (zstd, or raw deflate on Node 20: kept-description.ts). The
 * description's UTF-8 bytes are made once, for both. The fetcher's parsing workers do this as
 * each record is mapped; the fetcher does it itself for a batch read without them.
 */
export function packRecord(r: CanonicalDataset): { record: CanonicalDataset; packed: PackedRecord } {
  if (r.sourceDescription === undefined) return { record: r, packed: { hash: contentHash(r) } };
  const { sourceDescription, ...record } = r;
  const bytes = utf8Of(sourceDescription.body);
  return {
    record,
    packed: { hash: contentHash(r, bytes), description: { format: sourceDescription.format, deflated: compressDescriptionBase64(bytes) } },
  };
}

/**
 * The text's UTF-8 bytes, written into one buffer the thread reuses (a view on it, valid until the
 * next call): both of their uses (the hash, the compression) are done before the next record, and
 * a fresh 3-4 KB buffer a description was garbage at once.
 */
function utf8Of(text: string): Buffer {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit. A description too large for the buffer (the
  // rare one of thousands of triples) gets its own, so that one does not keep megabytes reserved.
  if (text.length * 3 > scratch.length) return Buffer.from(text, 'utf8');
  return scratch.subarray(0, scratch.write(text, 0, 'utf8'));
}
const scratch = Buffer.allocUnsafe(256 * 1024);

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
