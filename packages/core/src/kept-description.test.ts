import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateDescription, deflateStateReused, inflateDescription } from './kept-description.ts';

/** N-Triples of `n` lines in French and Arabic, with an IRI that differs per call. */
function description(n: number, seed: string): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`<http://example.org/${seed}/dataset/${i % 5}> <http://purl.org/dc/terms/title> "Qualité de l’eau ${seed} ${i} — جودة مياه الشرب ${i}"@fr .`);
  }
  return `${lines.join('\n')}\n`;
}

describe('kept description bytes', () => {
  it('deflates on one reused zlib state on this Node version (the public call is the fallback)', () => {
    // Node 20 and 24 both have the handle; if a later version drops it the fallback is taken and
    // this test says so, the others below still hold.
    expect(deflateStateReused).toBe(true);
  });

  it('gives the bytes deflateRawSync gives, call after call, whatever came before', () => {
    const texts = [description(40, 'a'), '', 'x', description(1, 'b'), description(3000, 'c'), description(40, 'a')];
    const outs = texts.map((t) => deflateDescription(t));
    texts.forEach((t, i) => {
      expect(outs[i]!.equals(deflateRawSync(Buffer.from(t), { level: 1 }))).toBe(true);
      expect(inflateDescription(outs[i]!)).toBe(t);
    });
    // The same text after others: the same bytes (no state carried over from the last one).
    expect(outs[5]!.equals(outs[0]!)).toBe(true);
  });

  it('keeps text that does not compress, larger than the buffer it started with', () => {
    // Random bytes as latin1 text: some 300 KB of UTF-8 that deflate barely shrinks, well past the
    // 64 KB the reused output buffer starts with.
    const noise = randomBytes(200_000).toString('latin1');
    const out = deflateDescription(noise);
    expect(out.length).toBeGreaterThan(200_000);
    expect(out.equals(deflateRawSync(Buffer.from(noise), { level: 1 }))).toBe(true);
    expect(inflateRawSync(out).toString('utf8')).toBe(noise);
  });
});
