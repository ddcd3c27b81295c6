import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressDescription, compressDescriptionBase64, compressionStateReused, decompressDescription, descriptionCodec } from './kept-description.ts';

/** N-Triples of `n` lines in French and Arabic, with an IRI that differs per call. */
function description(n: number, seed: string): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`<http://example.org/${seed}/dataset/${i % 5}> <http://purl.org/dc/terms/title> "Qualité de l’eau ${seed} ${i} — جودة مياه الشرب ${i}"@fr .`);
  }
  return `${lines.join('\n')}\n`;
}

/** Node's zstd calls, where this Node has them (22.15 and later; not typed by @types/node 20). */
const nodeZstd = (() => {
  const z = zlib as unknown as Record<string, ((b: Uint8Array, o?: object) => Buffer) | undefined>;
  return z.zstdCompressSync !== undefined && z.zstdDecompressSync !== undefined ? { compress: z.zstdCompressSync, decompress: z.zstdDecompressSync } : undefined;
})();
const ZSTD_LEVEL_3 = { params: { [(zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel ?? 100]: 3 } };

/** What the public call of this process's codec gives for `text`. */
function publicCall(text: string): Buffer {
  return nodeZstd !== undefined ? nodeZstd.compress(Buffer.from(text), ZSTD_LEVEL_3) : deflateRawSync(Buffer.from(text), { level: 1 });
}

describe('kept description bytes', () => {
  it(`compresses with zstd where Node has it, else raw deflate; on one reused native state (this Node: ${process.versions.node}, ${descriptionCodec})`, () => {
    expect(descriptionCodec).toBe(nodeZstd !== undefined ? 'zstd' : 'deflate');
    // Node 20 and 24 both have the handle; if a later version drops it the public call is taken
    // and this test says so, the others below still hold.
    expect(compressionStateReused).toBe(true);
  });

  it('gives the bytes the public call gives, call after call, whatever came before', () => {
    const texts = [description(40, 'a'), '', 'x', description(1, 'b'), description(3000, 'c'), description(40, 'a')];
    const outs = texts.map((t) => compressDescription(t));
    texts.forEach((t, i) => {
      expect(outs[i]!.equals(publicCall(t))).toBe(true);
      expect(decompressDescription(outs[i]!)).toBe(t);
    });
    // The same text after others: the same bytes (no state carried over from the last one).
    expect(outs[5]!.equals(outs[0]!)).toBe(true);
    // The base64 form (what the load queue carries) is of the same bytes; the bytes handed out
    // earlier are copies, untouched by later calls on the reused output buffer.
    const copies = outs.map((o) => Buffer.from(o));
    texts.forEach((t, i) => expect(compressDescriptionBase64(Buffer.from(t))).toBe(outs[i]!.toString('base64')));
    outs.forEach((o, i) => expect(o.equals(copies[i]!)).toBe(true));
  });

  it('keeps text that does not compress, larger than the buffer it started with', () => {
    // Random bytes as latin1 text: some 300 KB of UTF-8 that neither codec shrinks, well past the
    // 64 KB the reused output buffer starts with.
    const noise = randomBytes(200_000).toString('latin1');
    const out = compressDescription(noise);
    expect(out.length).toBeGreaterThan(200_000);
    expect(out.equals(publicCall(noise))).toBe(true);
    expect(decompressDescription(out)).toBe(noise);
  });

  it('reads the raw deflate of earlier versions (and of Node 20) on every Node, at any level', () => {
    for (const text of [description(40, 'd'), '', description(1, 'e')]) {
      for (const level of [1, 6, 9]) expect(decompressDescription(deflateRawSync(Buffer.from(text), { level }))).toBe(text);
    }
  });

  it.skipIf(nodeZstd === undefined)('reads zstd frames (what Node 24 roles write), told from deflate by their first bytes', () => {
    const text = description(40, 'f');
    const frame = nodeZstd!.compress(Buffer.from(text));
    expect([...frame.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(decompressDescription(frame)).toBe(text);
  });

  it.skipIf(nodeZstd !== undefined)('says why a zstd frame cannot be read on a Node without zstd (a catalogue written by Node 24 roles)', () => {
    // The frame of "x" as zstd writes it (magic, header, raw block): this Node cannot make one.
    const frame = Buffer.from('28b52ffd2001090000786f', 'hex');
    expect(() => decompressDescription(frame)).toThrow(/zstd frame, written by a role on Node 22\.15 or later, and this process runs Node \d+\.\d+\.\d+, which cannot read zstd/);
  });
});
