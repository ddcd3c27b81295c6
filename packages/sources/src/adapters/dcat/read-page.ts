import { createHash } from 'node:crypto';
import type { ParseLimits, RecordProblem } from '@hasad/core';
import type { MappedBatch, RecordMapResult } from '../shared/batches.ts';
import type { PageOutcome } from '../../pager.ts';
import { findNextPage, mapPage } from './map.ts';
import type { IriRepair } from './iri.ts';
import { readRdf, type RdfFormat } from './parse.ts';

/** What reading one DCAT page needs besides its bytes: plain data, so that it can cross to a parsing worker. */
export interface DcatPageInput {
  /** The page's URL after redirects (base IRI, named in errors). */
  url: string;
  /** The URL asked for, before redirects (its extension may name the syntax). */
  requestedUrl: string;
  pageNo: number;
  contentType?: string;
  format?: RdfFormat;
  batchSize: number;
  jsonLdContexts?: ReadonlyMap<string, unknown>;
  /** Measurement only (HarvestOptions.keepSourceDescription): no dataset keeps its source description. */
  keepSourceDescription?: false;
  /**
   * The hash of the page's triples when the last complete run read it (its stored page hash's
   * content part): a page whose triples hash the same is not mapped, its datasets count as seen.
   */
  knownTriplesHash?: string;
  /**
   * With `knownTriplesHash`: hash the page's triples before building its graph, and build it only
   * if the hash differs (PageGraph's `defer`). Cheaper for a page that proves unchanged, dearer for
   * one that changed (its quads are held until its end): harvestDcat asks for it while the run's
   * pages prove unchanged.
   */
  deferGraph?: boolean;
  /**
   * Set by a parsing worker that packs for the queue (ParsePoolOptions.packForQueue): each record
   * is packed as soon as it is mapped (MapPageOptions.pack), not once its batch is full.
   */
  packRecords?: boolean;
}

/**
 * Bump when the mapping from RDF to the canonical record changes: the page hashes include it (of
 * the bytes, in the pager, and of the triples, here), so pages are read and mapped again with the
 * new mapping instead of being skipped as unchanged.
 */
export const DCAT_MAPPING_VERSION = 'dcat-map-1';

/**
 * A page's triples hash as stored (`t` and base64url: never equal to a bytes hash, which the pager
 * computes with the version first).
 */
function pageTriplesHash(triples: string): string {
  return `t${createHash('sha1').update(DCAT_MAPPING_VERSION).update('\u0000').update(triples).digest('base64url')}`;
}

/**
 * Reads one DCAT page: parses its bytes, yields its datasets in batches, returns its next page
 * and page problems. The same code runs in a parsing worker (isolation/parse-pool.ts) or, without
 * a pool, in the caller's thread.
 *
 * @throws ParseError, LimitExceededError (depth, token length, records per page)
 */
export async function* readDcatPage(input: DcatPageInput, body: AsyncIterable<Buffer | Uint8Array>, limits: ParseLimits): AsyncGenerator<MappedBatch, PageOutcome> {
  const { graph, format, repairs } = await readRdf(body, {
    url: input.url,
    requestedUrl: input.requestedUrl,
    ...(input.contentType !== undefined && { contentType: input.contentType }),
    ...(input.format !== undefined && { format: input.format }),
    ...(input.jsonLdContexts !== undefined && { jsonLdContexts: input.jsonLdContexts }),
    ...(input.keepSourceDescription === false && { keepTriples: false }),
    ...(input.deferGraph === true && input.knownTriplesHash !== undefined && input.keepSourceDescription !== false && { deferGraph: true }),
    limits,
  });
  const triples = graph.triplesHash();
  // Without kept descriptions (measurement only) the hash is computed, as its cost is not the
  // descriptions', but not returned: a page read without them must never count as unchanged later.
  const bodyHash = input.keepSourceDescription === false ? undefined : pageTriplesHash(triples);
  const unchanged = bodyHash !== undefined && bodyHash === input.knownTriplesHash;
  graph.undefer(!unchanged);
  const next = findNextPage(graph, input.url);
  const problems: RecordProblem[] = [...next.problems];
  if (unchanged) {
    // Other bytes, the very triples of the last complete run (a comment, spaces, prefixes): the
    // same datasets, not mapped, hashed, packed or loaded again.
    return { ...(next.nextUrl !== undefined && { nextUrl: next.nextUrl }), problems, format, bodyHash, unchanged: true };
  }
  let found = false;
  const unclaimed = new Set(repairs.list);
  const batches = mapPage(graph, input.batchSize, {
    ...(input.keepSourceDescription === false && { keepDescriptions: false }),
    ...(repairs.list.length > 0 && { each: (res: RecordMapResult) => attributeRepairs(res, repairs.list, unclaimed) }),
    ...(input.packRecords === true && { pack: true }),
  });
  for (const b of batches) {
    found = true;
    yield b;
  }
  // Repaired IRIs no dataset's description holds (a catalogue's, an agent no dataset names).
  for (const r of unclaimed) problems.push(iriProblem(r, undefined));
  if (repairs.count > repairs.list.length) {
    problems.push({ severity: 'warning', code: 'invalid_iri', message: `${repairs.count - repairs.list.length} more IRIs with forbidden characters were read percent-encoded on page ${input.pageNo}` });
  }
  if (!found) {
    problems.push({ severity: 'warning', code: 'no_datasets', message: `no dcat:Dataset found on page ${input.pageNo} (${input.url}, read as ${format})` });
  }
  return { ...(next.nextUrl !== undefined && { nextUrl: next.nextUrl }), problems, format, ...(bodyHash !== undefined && { bodyHash }) };
}

/**
 * A dataset whose kept description holds a repaired IRI gets a warning naming the IRI, where it
 * was, and what was read: the dataset is harvested, its publisher told.
 */
function attributeRepairs(res: RecordMapResult, repairs: IriRepair[], unclaimed: Set<IriRepair>): void {
  const description = res.record?.sourceDescription?.body;
  if (description === undefined) return;
  for (const r of repairs) {
    if (!description.includes(`<${r.iri}>`)) continue;
    unclaimed.delete(r);
    res.problems.push(iriProblem(r, res.record?.identifier));
  }
}

function iriProblem(r: IriRepair, identifier: string | undefined): RecordProblem {
  const where = r.line !== undefined ? ` at line ${r.line}${r.column === undefined ? '' : `, column ${r.column}`}` : r.path !== undefined ? ` at ${r.path}` : '';
  const of = identifier === undefined ? '' : ` in dataset ${identifier}`;
  return {
    severity: 'warning',
    code: 'invalid_iri',
    message: `the IRI ${JSON.stringify(r.original)}${where}${of} holds characters IRIs may not contain (spaces, quotes, <>{}|^\`\\); read as ${r.iri}`,
    ...(identifier !== undefined && { identifier }),
  };
}
