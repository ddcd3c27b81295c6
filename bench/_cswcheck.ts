/**
 * The CSW adapter's per-page work alone (no HTTP, PostgreSQL or Redis): a generated ISO 19139
 * GetRecords page (what `bench/csw.bench.ts` serves) read as the fetcher reads it, phase by phase,
 * with the CPU each phase takes (median and mean over the runs, garbage collection included where
 * it falls). For profiling and for before/after figures of the per-page work:
 *   node --cpu-prof --import tsx bench/_cswcheck.ts [runs] [pageSize] [stream|tree]
 * `stream` (the default, what the fetcher does with a page it has not read before) maps each record
 * as it closes while the page is read ("read" then includes the mapping, "map" is giving each
 * mapped record its XML); `tree` builds the page's whole tree, then maps (a page read before, and
 * the way every page was read until 2026-12-06).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isoRecord } from '@hasad/testkit';
import { readXmlDocument } from '../packages/sources/src/adapters/soap/stream.ts';
import { readSearchResults, recordTexts } from '../packages/sources/src/adapters/csw/protocol.ts';
import { mapIsoRecord } from '../packages/sources/src/adapters/csw/iso.ts';
import type { XNode } from '../packages/sources/src/adapters/soap/xml.ts';

const RUNS = Number(process.argv[2] ?? 60);
const SIZE = Number(process.argv[3] ?? 100);
const STREAM = (process.argv[4] ?? 'stream') === 'stream';
const CHUNK = 64 * 1024;
const page = (start: number) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" version="2.0.2">` +
  `<csw:SearchStatus timestamp="${new Date().toISOString()}"/><csw:SearchResults numberOfRecordsMatched="20000" numberOfRecordsReturned="${SIZE}" nextRecord="${start + SIZE}" recordSchema="http://www.isotc211.org/2005/gmd" elementSet="full">` +
  Array.from({ length: SIZE }, (_, k) => isoRecord(start + k)).join('') +
  `</csw:SearchResults></csw:GetRecordsResponse>`;
const bodies = Array.from({ length: 10 }, (_, k) => Buffer.from(page(1 + k * SIZE)));
const chunks = (b: Buffer) => Array.from({ length: Math.ceil(b.length / CHUNK) }, (_, i) => b.subarray(i * CHUNK, (i + 1) * CHUNK));

const phases = ['read', 'cut', 'map', 'hash', 'page'] as const;
const times: Record<(typeof phases)[number], number[]> = { read: [], cut: [], map: [], hash: [], page: [] };
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let check = 0;
for (let run = 0; run < RUNS + 5; run++) {
  const body = bodies[run % bodies.length] as Buffer;
  const t0 = cpu();
  const parts: string[] = [];
  const early = new Map<XNode, ReturnType<typeof mapIsoRecord>>();
  const detach = {
    depth: 2,
    parent: 'SearchResults',
    replace: (node: XNode) => {
      const stub: XNode = { ...node, children: [], text: '' };
      early.set(stub, mapIsoRecord(node));
      return stub;
    },
  };
  const root = await readXmlDocument(Readable.from(chunks(body)), {
    source: 'http://x/csw', contentType: 'application/xml; charset=utf-8', format: 'CSW GetRecords response',
    limits: { maxDepth: 256, maxTextLength: 8 << 20, maxNodes: 1_000_000 }, settings: { maxDepth: 'a', maxTextLength: 'b', maxNodes: 'c' },
    maxBytes: 1 << 30, tooLarge: () => new Error('too large'), text: parts, ...(STREAM && { detach }),
  });
  const text = parts.join('');
  const results = readSearchResults(root, 'http://x/csw');
  const t1 = cpu();
  const texts = recordTexts(text, results.records);
  const t2 = cpu();
  for (const [i, r] of results.records.entries()) {
    const m = early.get(r);
    if (m?.record !== undefined) m.record.sourceDescription = { format: 'application/xml', body: texts[i] as string };
    check += (m ?? mapIsoRecord(r, texts[i])).record?.distributions.length ?? 0;
  }
  const t3 = cpu();
  const i = text.search(/<(?:[\w.-]+:)?SearchResults[\s>]/);
  check += createHash('sha1').update('v').update(text.slice(i)).digest('base64url').length;
  const t4 = cpu();
  if (run < 5) continue; // warm-up
  times.read.push(t1 - t0);
  times.cut.push(t2 - t1);
  times.map.push(t3 - t2);
  times.hash.push(t4 - t3);
  times.page.push(t4 - t0);
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.95)] as number;
console.log(`${STREAM ? 'stream' : 'tree'}: ${RUNS} pages of ${SIZE} records (${Math.round((bodies[0] as Buffer).length / 1024)} KB), CPU ms per page (least / median / mean / p95):`);
for (const p of phases) console.log(`  ${p.padEnd(5)} ${Math.min(...times[p]).toFixed(1).padStart(6)} ${med(times[p]).toFixed(1).padStart(6)} ${mean(times[p]).toFixed(1).padStart(6)} ${p95(times[p]).toFixed(1).padStart(6)}`);
if (check === 0) process.exit(1);
