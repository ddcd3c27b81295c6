import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PagingError } from '@hasad/core';
import type { RecordProblem } from '@hasad/core';
import { fetchPage } from '../../http/client.ts';
import type { HarvestEvent, HarvestOptions, PageEvent } from '../../types.ts';
import { findNextPage, mapPage } from './map.ts';
import { DCAT_ACCEPT, readRdf } from './parse.ts';
import type { RdfFormat } from './parse.ts';

/** Parsed DCAT source config. */
export interface DcatConfig {
  /** Read every page as this syntax, whatever the server says. */
  format?: RdfFormat;
}

/** Things the DCAT harvest needs besides the options, injected so tests and deployments can choose. */
export interface DcatDeps {
  /** Known JSON-LD context documents by URL; every other remote context is refused. */
  jsonLdContexts?: ReadonlyMap<string, unknown>;
}

const DEFAULT_BATCH_SIZE = 1000;
/**
 * Pages up to this size are read whole and hashed before parsing, so that a page whose bytes
 * did not change (a server without ETags) is not parsed again. Larger bodies stream straight
 * into the parser, which keeps memory flat for single-file catalogues of hundreds of MB.
 */
const BODY_HASH_LIMIT = 32 * 1024 * 1024;
/**
 * Bump when the mapping from RDF to the canonical record changes: the body hash includes it,
 * so pages are parsed again with the new mapping instead of being skipped as unchanged.
 */
const MAPPING_VERSION = 'dcat-map-1';
const DEFAULT_MAX_PAGES = 10_000;

/**
 * Harvests a DCAT feed page by page (Hydra paging), yielding record batches and, after each
 * page's batches, a page event the caller checkpoints on.
 *
 * @throws PagingError when more than `maxPages` pages would be read; fetch errors and ParseError
 *   from the page being read. A next link pointing back to a page already read is not an error:
 *   paging stops with a `paging_loop` warning on the page event.
 */
export async function* harvestDcat(opts: HarvestOptions, config: DcatConfig, deps: DcatDeps = {}): AsyncGenerator<HarvestEvent> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const visited = new Set(opts.visited ?? []);
  let url: string | undefined = opts.start?.url ?? opts.url;
  let pageNo = opts.start?.pageNo ?? 1;

  while (url !== undefined) {
    if (pageNo > maxPages) {
      throw new PagingError(`the feed has more than ${maxPages} pages (maxPages); page ${pageNo} would be ${url}`, { maxPages, pageNo, url });
    }
    opts.signal?.throwIfAborted();
    visited.add(url);
    const validators = await opts.validators?.(url);
    const res = await fetchPage({
      url,
      http: opts.http,
      accept: DCAT_ACCEPT,
      ...(validators !== undefined && { validators }),
      ...(opts.signal !== undefined && { signal: opts.signal }),
    });
    const problems: RecordProblem[] = [];
    let page: PageEvent;

    if (res.notModified) {
      // A 304 may omit the validators: keep the ones sent, or the next run would be unconditional.
      const etag = res.etag ?? validators?.etag ?? undefined;
      const lastModified = res.lastModified ?? validators?.lastModified ?? undefined;
      page = {
        type: 'page',
        pageNo,
        url,
        notModified: true,
        ...(etag !== undefined && { etag }),
        ...(lastModified !== undefined && { lastModified }),
        nextUrl: checkLoop(validators?.nextUrl ?? undefined, url, visited, problems),
        // Carried over so that the next run can still recognise the same bytes.
        ...(validators?.bodyHash ? { bodyHash: validators.bodyHash } : {}),
        batchCount: 0,
        recordCount: 0,
        bytes: 0,
      };
    } else {
      visited.add(res.url);
      const { body, bodyHash } = await hashSmallBody(res.body);
      if (bodyHash !== undefined && validators?.bodyHash === bodyHash && validators.nextUrl !== undefined) {
        // Same bytes as the last complete run: same datasets, same next link. Treated like a 304.
        res.body.destroy();
        page = {
          type: 'page',
          pageNo,
          url,
          notModified: true,
          ...(res.etag !== undefined && { etag: res.etag }),
          ...(res.lastModified !== undefined && { lastModified: res.lastModified }),
          nextUrl: checkLoop(validators.nextUrl ?? undefined, url, visited, problems),
          bodyHash,
          batchCount: 0,
          recordCount: 0,
          bytes: res.bytesRead(),
        };
        if (problems.length > 0) page.problems = problems;
        yield page;
        url = page.nextUrl;
        pageNo++;
        continue;
      }
      let parsed: Awaited<ReturnType<typeof readRdf>>;
      try {
        parsed = await readRdf(body, {
          url: res.url,
          requestedUrl: url,
          ...(res.contentType !== undefined && { contentType: res.contentType }),
          ...(config.format !== undefined && { format: config.format }),
          ...(deps.jsonLdContexts !== undefined && { jsonLdContexts: deps.jsonLdContexts }),
        });
      } finally {
        res.body.destroy();
      }
      const { graph, format } = parsed;
      const next = findNextPage(graph, res.url);
      problems.push(...next.problems);
      const nextUrl = checkLoop(next.nextUrl, url, visited, problems);
      let batchNo = 0;
      let recordCount = 0;
      for (const b of mapPage(graph, batchSize)) {
        recordCount += b.records.length;
        yield { type: 'batch', pageNo, url, batchNo: batchNo++, ...b };
      }
      if (batchNo === 0) {
        problems.push({ severity: 'warning', code: 'no_datasets', message: `no dcat:Dataset found on page ${pageNo} (${res.url}, read as ${format})` });
      }
      page = {
        type: 'page',
        pageNo,
        url,
        notModified: false,
        ...(res.etag !== undefined && { etag: res.etag }),
        ...(res.lastModified !== undefined && { lastModified: res.lastModified }),
        ...(nextUrl !== undefined && { nextUrl }),
        ...(bodyHash !== undefined && { bodyHash }),
        batchCount: batchNo,
        recordCount,
        bytes: res.bytesRead(),
        format,
      };
    }
    if (problems.length > 0) page.problems = problems;
    // Paging stopped on a loop: pages after it may exist, so this run must not withdraw anything.
    if (problems.some((p) => p.code === 'paging_loop')) page.listing = 'partial';
    yield page;
    url = page.nextUrl;
    pageNo++;
  }
}

/**
 * Reads up to BODY_HASH_LIMIT bytes. When the whole body fits, returns it as a new stream with
 * its hash; otherwise returns a stream of what was read followed by the rest, and no hash.
 */
async function hashSmallBody(source: Readable): Promise<{ body: Readable; bodyHash?: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = (await it.next()) as IteratorResult<Buffer>;
    if (done) {
      const h = createHash('sha1').update(MAPPING_VERSION);
      for (const c of chunks) h.update(c);
      return { body: Readable.from(chunks), bodyHash: h.digest('base64url') };
    }
    chunks.push(value);
    size += value.length;
    if (size > BODY_HASH_LIMIT) {
      async function* rest() {
        yield* chunks.splice(0);
        for (;;) {
          const r = (await it.next()) as IteratorResult<Buffer>;
          if (r.done) return;
          yield r.value;
        }
      }
      return { body: Readable.from(rest()) };
    }
  }
}

/** Drops a next link that would revisit a page, recording why: a loop must not fail a feed that worked. */
function checkLoop(next: string | undefined, current: string, visited: Set<string>, problems: RecordProblem[]): string | undefined {
  if (next === undefined) return undefined;
  if (next === current || visited.has(next)) {
    problems.push({
      severity: 'warning',
      code: 'paging_loop',
      message: `the next page ${next} was already read in this run; paging stopped at ${current}`,
    });
    return undefined;
  }
  return next;
}
