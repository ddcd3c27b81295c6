import { describe, expect, it } from 'vitest';
import { compressDescription, decompressDescription } from './kept-description.ts';
import { descriptionBytesOf, loadBatchPayload, resolveDescriptions, type LoadBatchPayload } from './load-batch.ts';

const RUN = '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';
const SOURCE = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';

/** A batch of two records whose descriptions lie in one value, and that value. */
function parked(): { payload: LoadBatchPayload; blob: Buffer } {
  const a = compressDescription('<https://d.example/a> <http://purl.org/dc/terms/title> "عنوان"@ar .\n');
  const b = compressDescription('<https://d.example/b> <http://purl.org/dc/terms/title> "Titre"@fr .\n');
  const blob = Buffer.concat([a, b]);
  const record = (id: string, at: [number, number]) => ({ identifier: id, uri: null, hash: `h-${id}`, modifiedAt: null, record: { identifier: id }, description: { format: 'application/n-triples' as const, at } });
  const payload = loadBatchPayload.parse({
    runId: RUN,
    sourceId: SOURCE,
    pageNo: 2,
    batchNo: 1,
    records: [record('a', [0, a.length]), record('b', [a.length, b.length]), { identifier: 'c', uri: null, hash: 'h-c', modifiedAt: null, record: { identifier: 'c' } }],
    problems: [],
    invalidIdentifiers: [],
    descriptions: { key: 'hasad:descriptions:batch-x:1', bytes: blob.length },
  });
  return { payload, blob };
}

describe('a batch with its descriptions beside the job', () => {
  it('gives each record its own bytes; a record without a description stays without', () => {
    const { payload, blob } = parked();
    const out = resolveDescriptions(payload, blob);
    const text = (i: number) => decompressDescription(descriptionBytesOf(out.records[i]!, out)!);
    expect(text(0)).toContain('"عنوان"@ar');
    expect(text(1)).toContain('"Titre"@fr');
    expect(descriptionBytesOf(out.records[2]!, out)).toBeUndefined();
    expect(out).not.toHaveProperty('descriptions');
    expect(out.descriptionBytes?.length).toBe(blob.length);
  });

  it('takes jobs of the earlier form (descriptions inline) as they are', () => {
    const inline = loadBatchPayload.parse({
      runId: RUN,
      sourceId: SOURCE,
      pageNo: 1,
      batchNo: 0,
      records: [{ identifier: 'a', uri: null, hash: 'h', modifiedAt: null, record: {}, description: { format: 'application/xml', deflated: 'AAAA' } }],
      problems: [],
      invalidIdentifiers: [],
    });
    const out = resolveDescriptions(inline, null);
    expect(out.records[0]!.description).toEqual({ format: 'application/xml', deflated: 'AAAA' });
    expect([...descriptionBytesOf(out.records[0]!, out)!]).toEqual([0, 0, 0]);
  });

  it('refuses, naming the batch and the key, a value that is gone, of another length, or too short for a record', () => {
    const { payload, blob } = parked();
    expect(() => resolveDescriptions(payload, null)).toThrow(/kept source descriptions of batch 1 of page 2 \(run 6f1c2d3e-.*\) are no longer in Redis \(key hasad:descriptions:batch-x:1\)/);
    expect(() => resolveDescriptions(payload, blob.subarray(0, blob.length - 1))).toThrow(new RegExp(`hold ${blob.length - 1} bytes in Redis .* not the ${blob.length} the batch was sent with`));
    const far = structuredClone(payload);
    (far.records[1]!.description as { at: [number, number] }).at = [blob.length - 2, 10];
    expect(() => resolveDescriptions(far, blob)).toThrow(/record "b" of batch 1 of page 2 .* points at bytes \d+-\d+ of its batch's kept descriptions, which hold \d+/);
    const unnamed = structuredClone(payload);
    delete unnamed.descriptions;
    expect(() => resolveDescriptions(unnamed, null)).toThrow(/which the batch does not name/);
  });

  it('the job schema refuses a description that says neither where its bytes are nor what they are', () => {
    const { payload } = parked();
    const bad = structuredClone(payload) as unknown as { records: Array<{ description: unknown }> };
    bad.records[0]!.description = { format: 'application/n-triples' };
    expect(loadBatchPayload.safeParse(bad).success).toBe(false);
  });
});
