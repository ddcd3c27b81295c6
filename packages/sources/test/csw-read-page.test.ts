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
import type { CanonicalDataset } from '@hasad/core';
import { cswRecordId, cswTitleAr, generatedCswRecords, startCswService } from '@hasad/testkit';
import { readSearchResults, recordTexts, searchStatus, SNIFF_BYTES, sniffSearchStatus } from '../src/adapters/csw/protocol.ts';
import { bodyHash, DEFAULT_CSW_LIMITS, readCswPage, recordFingerprint, spanTexts } from '../src/adapters/csw/read-page.ts';
import type { CswFormat } from '../src/adapters/csw/read-page.ts';
import { contentHash } from '../src/content-hash.ts';
import { packBatch } from '../src/pack.ts';
import { DEFAULT_PARSE_LIMITS } from '../src/parse-guards.ts';
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

describe('CSW records fingerprinted by their own text', () => {
  const SCHEMAS: Record<CswFormat, string> = { iso19139: 'http://www.isotc211.org/2005/gmd', dc: 'http://www.opengis.net/cat/csw/2.0.2', dcat: 'http://www.w3.org/ns/dcat#' };
  /** Records `start` to `start + max - 1` of the service, read and packed as a parsing worker does: each with its packed hash. */
  async function readPacked(url: string, format: CswFormat, start: number, max: number): Promise<Array<{ record: CanonicalDataset; hash: string }>> {
    const pageUrl = `${url}?service=CSW&version=2.0.2&request=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=full&outputSchema=${encodeURIComponent(SCHEMAS[format])}&startPosition=${start}&maxRecords=${max}`;
    const res = await fetch(pageUrl);
    const reading = readCswPage({ format, url: pageUrl, status: res.status, pageNo: 1, batchSize: 5, maxPageBytes: 1e8 }, res.body!, DEFAULT_PARSE_LIMITS);
    const out: Array<{ record: CanonicalDataset; hash: string }> = [];
    for (let r = await reading.next(); r.done !== true; r = await reading.next()) {
      // Kept whole before packing (packing takes the description out of the record).
      const records = r.value.records.map((x) => ({ ...x }));
      const packed = packBatch(r.value).packed!;
      records.forEach((record, i) => out.push({ record, hash: packed[i]!.hash }));
    }
    return out;
  }

  it('an ISO 19139 or Dublin Core record: its hash is the fingerprint of its text, the same wherever the record stands, another when its text changes', async () => {
    const records = generatedCswRecords(12);
    const svc = await startCswService({ records });
    try {
      for (const format of ['iso19139', 'dc'] as const) {
        const all = await readPacked(svc.url, format, 1, 12);
        expect(all).toHaveLength(12);
        for (const { record, hash } of all) {
          expect(record.sourceDescription?.fingerprint).toBe(recordFingerprint(format, record.sourceDescription!.body));
          expect(hash).toBe(record.sourceDescription?.fingerprint);
          expect(contentHash(record)).toBe(hash);
        }
        expect(new Set(all.map((x) => x.hash)).size).toBe(12);
        // The same records on a page that starts elsewhere, in batches cut elsewhere: the same hashes.
        const later = await readPacked(svc.url, format, 4, 9);
        expect(later.map((x) => [x.record.identifier, x.hash])).toEqual(all.slice(3).map((x) => [x.record.identifier, x.hash]));
      }
      // One record's text edited: that record's hash alone changes.
      const before = await readPacked(svc.url, 'iso19139', 1, 12);
      svc.options.records[6] = { ...records[6]!, iso: records[6]!.iso!.replace(cswTitleAr(7), `${cswTitleAr(7)} ب`) };
      const after = await readPacked(svc.url, 'iso19139', 1, 12);
      expect(after.filter((x, i) => x.hash !== before[i]!.hash).map((x) => x.record.identifier)).toEqual([cswRecordId(7)]);
      // DCAT records (RDF/XML, through the DCAT mapper) are hashed from their canonical JSON, as every DCAT record.
      const dcat = await readPacked(svc.url, 'dcat', 1, 12);
      expect(dcat.length).toBeGreaterThan(0);
      for (const { record, hash } of dcat) {
        expect(record.sourceDescription?.fingerprint).toBeUndefined();
        expect(hash).toBe(contentHash(record));
      }
    } finally {
      await svc.close();
    }
  });
});

describe('SearchResults paging values read from the first bytes of an answer, before it is parsed', () => {
  it.skipIf(!present)('every GetRecords answer of ../shared/conformance/csw: the values its parse gives', async () => {
    let sniffed = 0;
    for (const file of answers(cswDir)) {
      const bytes = readFileSync(file);
      const { root } = await read(bytes, 1 << 20);
      const results = root.children.find((c) => c.name === 'SearchResults');
      const head = bytes.subarray(0, SNIFF_BYTES);
      if (results === undefined || !head.includes('SearchResults')) continue;
      expect(sniffSearchStatus(head), path.relative(cswDir, file)).toEqual(searchStatus(results));
      sniffed++;
    }
    expect(sniffed).toBeGreaterThan(10);
  });

  it('any prefix or none, either quotes, spaces around "="; nothing from an ExceptionReport, a tag not yet whole or UTF-16', () => {
    const b = (s: string) => Buffer.from(s);
    expect(sniffSearchStatus(b(`<csw:GetRecordsResponse><csw:SearchStatus/><csw:SearchResults numberOfRecordsMatched="40" numberOfRecordsReturned='10' nextRecord = "11" elementSet="full">`))).toEqual({ matched: 40, returned: 10, nextRecord: 11 });
    expect(sniffSearchStatus(b(`<GetRecordsResponse><SearchResults nextRecord="0" numberOfRecordsMatched="3"/>`))).toEqual({ matched: 3, nextRecord: 0 });
    expect(sniffSearchStatus(b(`<r><x:SearchResults\n  numberOfRecordsMatched="7"\n  numberOfRecordsReturned="bad">`))).toEqual({ matched: 7 });
    expect(sniffSearchStatus(b(`<ows:ExceptionReport><ows:Exception exceptionCode="NoApplicableCode"/></ows:ExceptionReport>`))).toBeUndefined();
    expect(sniffSearchStatus(b(`<csw:GetRecordsResponse><csw:SearchResults numberOfRecordsMatched="40"`))).toBeUndefined();
    expect(sniffSearchStatus(b(`<csw:SearchResultsX numberOfRecordsMatched="40">`))).toBeUndefined();
    expect(sniffSearchStatus(Buffer.from('\ufeff<SearchResults nextRecord="11">', 'utf16le'))).toBeUndefined();
  });
});
