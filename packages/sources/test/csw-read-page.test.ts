/**
 * The CSW page reader cuts each record's XML where the parser saw it and hashes the answer piece by
 * piece, without joining the page's text: both must give exactly what the whole text gives
 * (`recordTexts`, the scan of the joined text, and `bodyHash` of it as one piece), whatever the
 * pieces the bytes arrived in. Answers from ../shared/conformance/csw (pycsw, GeoNetwork, OWSLib)
 * and the generated bilingual pages of @hasad/testkit.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedCswRecords, startCswService } from '@hasad/testkit';
import { readSearchResults, recordTexts } from '../src/adapters/csw/protocol.ts';
import { bodyHash, DEFAULT_CSW_LIMITS, spanTexts } from '../src/adapters/csw/read-page.ts';
import { readXmlDocument } from '../src/adapters/soap/stream.ts';
import type { SpanOptions } from '../src/adapters/soap/stream.ts';
import type { XNode } from '../src/adapters/soap/xml.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cswDir = path.resolve(repoRoot, '..', 'shared', 'conformance', 'csw');
const present = existsSync(cswDir);
if (!present) console.warn(`SKIPPED: ../shared/conformance/csw not found (looked in ${cswDir}); the CSW reader's conformance answers were not read`);

function answers(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...answers(p));
    else if (name.endsWith('.xml') && /GetRecordsResponse[\s>]/.test(readFileSync(p, 'utf8'))) out.push(p);
  }
  return out.sort();
}

/** The bytes in pieces of `size` (the last shorter). */
function* inPieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads an answer as the page reader does: text pieces as decoded, the records' spans noted. */
async function read(bytes: Buffer, size: number): Promise<{ parts: string[]; root: XNode; found: SpanOptions['found'] }> {
  const parts: string[] = [];
  const spans: SpanOptions = { depth: 2, parent: 'SearchResults', found: new Map(), pieces: parts };
  const root = await readXmlDocument(
    (async function* () {
      yield* inPieces(bytes, size);
    })(),
    {
      source: 'test',
      contentType: undefined,
      format: 'CSW GetRecords response',
      limits: { maxDepth: DEFAULT_CSW_LIMITS.maxDepth, maxTextLength: DEFAULT_CSW_LIMITS.maxTextLength, maxNodes: DEFAULT_CSW_LIMITS.maxElements },
      settings: { maxDepth: 'D', maxTextLength: 'T', maxNodes: 'N' },
      maxBytes: Number.MAX_SAFE_INTEGER,
      tooLarge: () => new Error('too large'),
      text: parts,
      spans,
    },
  );
  return { parts, root, found: spans.found };
}

/** Every piece size gives the texts and the hash the joined text gives. */
async function expectSameAsWhole(bytes: Buffer, sizes: number[]): Promise<number> {
  let records = 0;
  for (const size of sizes) {
    const { parts, root, found } = await read(bytes, size);
    const whole = parts.join('');
    const results = readSearchResults(root, 'test');
    const expected = recordTexts(whole, results.records);
    expect(spanTexts(parts, results.records, found)).toEqual(expected);
    expect(expected.every((t) => t !== undefined)).toBe(true);
    expect(bodyHash(parts)).toBe(bodyHash([whole]));
    records = results.records.length;
  }
  return records;
}

describe('CSW page reader: record texts and page hash from the pieces read', () => {
  it.skipIf(!present)('every GetRecords answer of ../shared/conformance/csw, in pieces of 1 to 4096 bytes', async () => {
    const files = answers(cswDir);
    expect(files.length).toBeGreaterThan(10);
    let records = 0;
    for (const file of files) {
      try {
        records += await expectSameAsWhole(readFileSync(file), [1, 7, 64, 4096, 1 << 20]);
      } catch (err) {
        throw new Error(`${path.relative(cswDir, file)}: ${(err as Error).message}`);
      }
    }
    expect(records).toBeGreaterThan(20);
  });

  it('a generated bilingual page (Arabic and French, as GeoNetwork serves it), in pieces that split characters', async () => {
    const svc = await startCswService({ records: generatedCswRecords(12) });
    try {
      const res = await fetch(`${svc.url}?service=CSW&version=2.0.2&request=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=full&outputSchema=http://www.isotc211.org/2005/gmd&startPosition=1&maxRecords=12`);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.toString('utf8')).toMatch(/[\u0600-\u06ff]/);
      expect(await expectSameAsWhole(bytes, [1, 2, 3, 5, 333, 8192])).toBe(12);
    } finally {
      await svc.close();
    }
  });

  it('the page hash over pieces equals the hash of the joined text: a tag split between pieces, a surrogate pair split, no SearchResults', () => {
    const text = '<?xml version="1.0"?><csw:GetRecordsResponse xmlns:csw="x"><csw:SearchStatus timestamp="t"/><csw:SearchResults numberOfRecordsMatched="1"><r>𝒳 مياه</r></csw:SearchResults></csw:GetRecordsResponse>';
    for (let cut = 1; cut < text.length; cut++) {
      expect(bodyHash([text.slice(0, cut), text.slice(cut)])).toBe(bodyHash([text]));
    }
    // The timestamp before SearchResults is not hashed; what follows is.
    expect(bodyHash([text.replace('timestamp="t"', 'timestamp="u"')])).toBe(bodyHash([text]));
    expect(bodyHash([text.replace('مياه', 'ماء')])).not.toBe(bodyHash([text]));
    const none = '<a><b>no results element</b></a>';
    expect(bodyHash([none.slice(0, 5), none.slice(5)])).toBe(bodyHash([none]));
    expect(bodyHash([])).toBe(bodyHash(['']));
  });
});
