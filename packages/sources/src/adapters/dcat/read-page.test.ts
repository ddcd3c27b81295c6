import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../parse-guards.ts';
import { generatePage } from '@hasad/testkit';
import type { MappedBatch } from '../shared/batches.ts';
import { MAX_DEFERRED_QUADS } from './graph.ts';
import { readDcatPage, type DcatPageInput } from './read-page.ts';

const URL = 'http://127.0.0.1:9/catalogue?page=1';

async function read(text: string, knownTriplesHash?: string) {
  const input: DcatPageInput = { url: URL, requestedUrl: URL, pageNo: 1, format: 'turtle', batchSize: 500, ...(knownTriplesHash !== undefined && { knownTriplesHash, deferGraph: true }) };
  const it = readDcatPage(input, (async function* () {
    yield Buffer.from(text, 'utf8');
  })(), resolveLimits({}));
  const batches: MappedBatch[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { batches, outcome: r.value };
    batches.push(r.value);
  }
}

/** A generated page (French and Arabic titles, distributions, contact points) with a Hydra next link. */
function page(datasets: number): string {
  return generatePage({ baseUrl: 'http://127.0.0.1:9/catalogue', datasets: datasets * 2, pageSize: datasets }, 1, 'turtle');
}

// A page whose triples hash is known from an earlier run is read deferred: hashed first, its graph
// built only if the hash differs (PageGraph's `defer`). What a changed page yields must not depend
// on that: records, kept descriptions, problems and the next page, all as a read without a hash.
describe('readDcatPage with a known triples hash', () => {
  it('an unchanged page (other bytes, the same triples) yields nothing and still finds its next page', async () => {
    const text = page(50);
    const first = await read(text);
    expect(first.outcome.bodyHash).toMatch(/^t/);
    expect(first.outcome.nextUrl).toBeDefined();
    const again = await read(`# read again\n${text.replace(/\n/g, '\n  ')}`, first.outcome.bodyHash);
    expect(again.batches).toEqual([]);
    expect(again.outcome).toMatchObject({ unchanged: true, bodyHash: first.outcome.bodyHash, nextUrl: first.outcome.nextUrl });
  });

  it('a changed page yields exactly what a read without a known hash yields', async () => {
    const text = page(50);
    const plain = await read(text);
    const deferred = await read(text, 'tanother-run');
    expect(deferred.outcome.unchanged).toBeUndefined();
    expect(deferred.outcome).toEqual(plain.outcome);
    expect(deferred.batches).toEqual(plain.batches);
    expect(plain.batches.flatMap((b) => b.records)).toHaveLength(50);
    // Kept descriptions are cut from rows built after the hash: they are there, and whole.
    expect(deferred.batches[0]!.records[0]!.sourceDescription?.body).toContain('http://www.w3.org/ns/dcat#Dataset');
  });

  it(`a page of more than ${MAX_DEFERRED_QUADS} triples stops deferring part way and still yields the same`, async () => {
    const text = page(4_200);
    const plain = await read(text);
    const deferred = await read(text, 'tanother-run');
    expect(deferred.outcome).toEqual(plain.outcome);
    expect(deferred.batches).toEqual(plain.batches);
    expect(plain.batches.flatMap((b) => b.records)).toHaveLength(4_200);
    // ...and read again with its own hash, it is unchanged.
    const again = await read(text, plain.outcome.bodyHash);
    expect(again.outcome.unchanged).toBe(true);
    expect(again.batches).toEqual([]);
  }, 60_000);
});
