import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PagingError, SourceLimitError } from '@hasad/core';
import type { ParseLimits, RecordProblem } from '@hasad/core';
import type { MappedBatch } from './adapters/shared/batches.ts';
import { fetchPage } from './http/client.ts';
import { parseLimitError, resolveLimits } from './parse-guards.ts';
import type { FetchResponse } from './http/client.ts';
import type { HarvestEvent, HarvestOptions, PageEvent, PageValidators } from './types.ts';

/** One page of a run: its number in the run and the URL it is checkpointed under. */
export interface PageRef {
  pageNo: number;
  url: string;
}

/** A page's answer as the adapter reads it: the response, and its body (maybe already buffered by the pager). */
export interface FetchedPage {
  res: FetchResponse;
  body: Readable;
}

/** What reading one page tells the pager once its batches are out. */
export interface PageOutcome {
  /** The next page as the page names it; the pager drops it with `paging_loop` when already read. */
  nextUrl?: string;
  /** Page-level warnings and notes, in the order found. */
  problems?: RecordProblem[];
  /** The syntax the page was read as. */
  format?: string;
  /** This run's listing is not the whole source from this page on (the pager keeps it so for the rest of the run). */
  listing?: 'partial';
  /**
   * The page is empty because the listing ends there, as the source's paging works (a SOAP
   * service paged until an empty page, a CKAN portal without count after a full page): the
   * pager does not take it for a page that lost its datasets (`empty_page`).
   */
  endOfListing?: boolean;
  /**
   * The page's hash as the source computes it (its own transport: a CSW page hashed without the
   * timestamp that changes on every answer), kept with the page for the next run to compare.
   */
  bodyHash?: string;
  /** The page is the one of the last complete run (same `bodyHash`): nothing was yielded, its datasets count as seen. */
  unchanged?: boolean;
}

/** What the pager tells a source about the run it is paging. */
export interface PagerContext {
  /** Page URLs read (or being read) in this run, resumed ones included. */
  readonly visited: ReadonlySet<string>;
  /** Pages this run may read at most. */
  readonly maxPages: number;
}

/**
 * One source kind's part of paging: where the listing starts, how a page is fetched (a
 * conditional GET by the pager, or the adapter's own transport), how a page is read into record
 * batches and which page comes next. The pager owns everything between: page limits, resume,
 * loop detection, conditional requests, 304s and body hashes, and the page events.
 */
export interface PagedSource<F extends FetchedPage = FetchedPage> {
  /** The source in messages: "feed", "portal", "service". */
  noun: string;
  /**
   * The first page of this run from the resume point (`start`, default page 1 at the source URL),
   * with notes for that page; may ask the network first (a WSDL). Default: `start` as it is.
   */
  open?(start: PageRef, ctx: PagerContext): Promise<{ start: PageRef; problems?: RecordProblem[] }> | { start: PageRef; problems?: RecordProblem[] };
  /**
   * GET transport: the Accept header, and `bodyHashVersion` when an unchanged body (same bytes,
   * hashed with this version of the mapping) may be skipped like a 304. Ignored when `fetch` is set.
   * `bodyDigest` hashes a whole body its own way (bytes that differ where the syntax ignores them
   * hashed alike; it must cover `bodyHashVersion`), or returns undefined when it cannot: a body
   * whose bytes differ from the last complete run's but whose digest is the same is treated like
   * a 304 too. Stored as `<bytes>+<digest>`.
   */
  get?: { accept: string; bodyHashVersion?: string; format?: string; bodyDigest?: (bytes: Buffer, page: { url: string; requestedUrl: string; contentType?: string }) => string | undefined };
  /** The adapter's own transport (a POST per page): no conditional request, no body hash. */
  fetch?(page: PageRef): Promise<F>;
  /** Reads one fetched page: yields its record batches, returns what the page says about paging. */
  read(page: PageRef, fetched: F): AsyncGenerator<MappedBatch, PageOutcome, void>;
  /** The next page after a page known unchanged, from what was stored for it; default the stored URL. */
  nextAfterUnchanged?(stored: string | undefined, page: PageRef, problems: RecordProblem[]): string | undefined;
  /** Rewrites a fetch error of the GET transport (a portal's own error envelope). */
  explainError?(err: unknown): unknown;
  /** Called once when paging ends, however it ends (to drop a request read ahead). */
  close?(): void;
}

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_PAGES = 10_000;
/**
 * Pages up to this size are read whole and hashed before parsing, so that a page whose bytes
 * did not change (a server without ETags) is not parsed again. Larger bodies stream straight
 * into the parser, which keeps memory flat for single-file catalogues of hundreds of MB.
 */
const BODY_HASH_LIMIT = 32 * 1024 * 1024;

/** The parsing limits a harvest runs under: the parse pool's when it has one, else its own over the defaults. */
export function parseLimitsOf(opts: HarvestOptions): ParseLimits {
  return opts.parsePool?.limits ?? resolveLimits(opts.limits);
}

/** Records per batch an adapter should map, from the harvest options. */
export function batchSizeOf(opts: HarvestOptions): number {
  return Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
}

/**
 * Walks a source's pages and yields its record batches and, after each page's batches, a page
 * event the caller checkpoints on. Resumes at `opts.start` with `opts.visited` as already read.
 *
 * A page known unchanged (304, or the same bytes as the stored body hash) is not read: its event
 * carries the stored validators and next page. A source with its own transport may say a page it
 * read is unchanged (`PageOutcome.unchanged`, against its own hash): its event is then not
 * modified too, with the next page the source read from it. A next page already read in this run ends paging
 * with a `paging_loop` warning and a partial listing (later pages may exist, so nothing may be
 * withdrawn). A page read that yields nothing (no dataset, valid or not) in a listing of more
 * than one page gets an `empty_page` warning and makes the listing partial: a publisher's server
 * answering one page empty (0 bytes, `{}`, prefixes only) must not withdraw that page's datasets.
 *
 * Runs under `opts.runBudgetMs` (see {@link withRunBudget}).
 *
 * @throws PagingError `page_limit_exceeded` past `maxPages`; SourceLimitError
 *   `run_budget_exceeded`; the source's fetch and read errors.
 */
export function runPager<F extends FetchedPage>(opts: HarvestOptions, source: PagedSource<F>): AsyncGenerator<HarvestEvent> {
  return withRunBudget(opts, (o) => walkPages(o, source));
}

async function* walkPages<F extends FetchedPage>(opts: HarvestOptions, source: PagedSource<F>): AsyncGenerator<HarvestEvent> {
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const visited = new Set(opts.visited ?? []);
  const ctx: PagerContext = { visited, maxPages };
  let partial = false;
  try {
    const opened = await source.open?.({ pageNo: opts.start?.pageNo ?? 1, url: opts.start?.url ?? opts.url }, ctx);
    let page: PageRef | undefined = opened?.start ?? { pageNo: opts.start?.pageNo ?? 1, url: opts.start?.url ?? opts.url };
    let pending = opened?.problems ?? [];
    while (page !== undefined) {
      const { pageNo, url }: PageRef = page;
      if (pageNo > maxPages) throw pageLimitError(source.noun, maxPages, pageNo, url);
      opts.signal?.throwIfAborted();
      visited.add(url);
      const problems = pending;
      pending = [];
      const tally: PageTally = { items: 0, endOfListing: false };
      const ev: PageEvent = yield* readOnePage(opts, source, page, visited, problems, tally);
      if (problems.some((p) => p.code === 'paging_loop')) ev.listing = 'partial';
      // Page 1 alone (a one-file feed) that lists nothing is the whole feed emptied: finalise sends
      // that to review (empty_feed). A page of a longer listing is not the whole feed.
      // A page the source already called partial (a loop, a count changing) says why itself.
      if (!ev.notModified && ev.listing !== 'partial' && tally.items === 0 && !tally.endOfListing && (pageNo > 1 || ev.nextUrl !== undefined)) {
        problems.push({
          severity: 'warning',
          code: 'empty_page',
          message: `page ${pageNo} (${url}) gave no dataset (${ev.bytes} bytes read) in a listing of several pages; the listing is treated as partial, so this run withdraws nothing`,
        });
        ev.listing = 'partial';
      }
      if (ev.listing === 'partial') partial = true;
      if (partial) ev.listing = 'partial';
      if (problems.length > 0) ev.problems = problems;
      yield ev;
      page = ev.nextUrl === undefined ? undefined : { pageNo: pageNo + 1, url: ev.nextUrl };
    }
  } finally {
    source.close?.();
  }
}

/** The `page_limit_exceeded` error of a listing longer than `maxPages`. */
export function pageLimitError(noun: string, maxPages: number, pageNo: number, where: string): PagingError {
  return new PagingError(
    `the ${noun} has more than ${maxPages} pages (maxPages); page ${pageNo} would be ${where}. The limit is HASAD_MAX_PAGES, or the source's limits.maxPages when lower`,
    { maxPages, pageNo, url: where },
    'page_limit_exceeded',
  );
}

/**
 * Runs a harvest under `opts.runBudgetMs`: the time counted is only the time the harvest works
 * (between the caller asking for the next event and getting it), so a caller slowed by its own
 * consumers (the fetcher waiting for the loaders) does not use up the source's budget. When the
 * budget runs out mid-request, the request is aborted through the signal handed to the harvest.
 *
 * @throws SourceLimitError `run_budget_exceeded`, and whatever the harvest throws.
 */
export async function* withRunBudget(opts: HarvestOptions, harvest: (opts: HarvestOptions) => AsyncGenerator<HarvestEvent>): AsyncGenerator<HarvestEvent> {
  const budget = opts.runBudgetMs;
  if (budget === undefined || !(budget > 0)) return yield* harvest(opts);
  const controller = new AbortController();
  const signal = opts.signal === undefined ? controller.signal : AbortSignal.any([opts.signal, controller.signal]);
  const it = harvest({ ...opts, signal });
  let spent = 0;
  let pages = 0;
  const exceeded = () =>
    new SourceLimitError(
      'run_budget_exceeded',
      `the run used up its time budget of ${Math.round(budget / 1000)} s (HASAD_RUN_BUDGET_MS, or the source's limits.runBudgetSeconds when lower) after ${pages} page${pages === 1 ? '' : 's'}; the pages read are kept, nothing is withdrawn`,
      { runBudgetMs: budget, pages },
    );
  try {
    for (;;) {
      const t0 = performance.now();
      // Clamped: setTimeout fires at once for delays past 2^31 - 1 ms.
      const timer = setTimeout(() => controller.abort(exceeded()), Math.min(2 ** 31 - 1, Math.max(0, budget - spent)));
      let r: IteratorResult<HarvestEvent>;
      try {
        r = await it.next();
      } catch (err) {
        // The abort surfaces as whatever the request or the pager made of it: say what it was.
        if (controller.signal.aborted && opts.signal?.aborted !== true) throw controller.signal.reason;
        throw err;
      } finally {
        clearTimeout(timer);
        spent += performance.now() - t0;
      }
      if (r.done === true) return;
      // A parse that kept the event loop busy past the budget ends here, before its event is used.
      if (controller.signal.aborted && opts.signal?.aborted !== true) throw controller.signal.reason;
      if (r.value.type === 'page') pages++;
      yield r.value;
    }
  } finally {
    await it.return?.(undefined);
  }
}

/** What the pager counts of one page while its batches go by. */
interface PageTally {
  /** Records the page gave, valid or not. */
  items: number;
  endOfListing: boolean;
}

/** Fetches and reads one page, yielding its batches; returns its page event (problems go to `problems`). */
async function* readOnePage<F extends FetchedPage>(
  opts: HarvestOptions,
  source: PagedSource<F>,
  page: PageRef,
  visited: Set<string>,
  problems: RecordProblem[],
  tally: PageTally,
): AsyncGenerator<HarvestEvent, PageEvent> {
  if (source.fetch !== undefined) return yield* readFetched(opts, source, page, await source.fetch(page), visited, problems, undefined, tally);
  const get = source.get ?? { accept: '*/*' };
  const validators = await opts.validators?.(page.url);
  let res: FetchResponse;
  try {
    res = await fetchPage({
      url: page.url,
      http: opts.http,
      accept: get.accept,
      ...(validators !== undefined && { validators }),
      ...(opts.signal !== undefined && { signal: opts.signal }),
    });
  } catch (err) {
    throw source.explainError === undefined ? err : source.explainError(err);
  }
  if (res.notModified) {
    // A 304 may omit the validators: keep the ones sent, or the next run would be unconditional.
    return unchangedPage(source, page, validators, visited, problems, {
      etag: res.etag ?? validators?.etag ?? undefined,
      lastModified: res.lastModified ?? validators?.lastModified ?? undefined,
      // Carried over so that the next run can still recognise the same bytes.
      bodyHash: validators?.bodyHash ?? undefined,
      bytes: 0,
    });
  }
  visited.add(res.url);
  let body: Readable = res.body;
  let bodyHash: string | undefined;
  if (get.bodyHashVersion !== undefined) {
    let chunks: Buffer[] | undefined;
    ({ body, bodyHash, chunks } = await hashSmallBody(res.body, get.bodyHashVersion));
    const stored = bytesHashOf(validators?.bodyHash);
    const at = stored?.indexOf('+') ?? -1;
    // A stored bytes' part is `<bytes>` or `<bytes>+<digest>` (see `bodyDigest`).
    const storedBytes = at < 0 ? stored : stored?.slice(0, at);
    if (bodyHash !== undefined && storedBytes === bodyHash && validators?.nextUrl !== undefined) {
      // Same bytes as the last complete run: same datasets, same next link. Treated like a 304.
      // The stored hash is kept whole (the content's hash the page was read with stays with it).
      res.body.destroy();
      return unchangedPage(source, page, validators, visited, problems, { etag: res.etag, lastModified: res.lastModified, bodyHash: validators.bodyHash ?? bodyHash, bytes: res.bytesRead() });
    }
    // Other bytes: the source's own digest of them, when it has one (the same for bytes that differ
    // only where the syntax ignores them). Computed only now, so that the very same bytes cost one
    // SHA-1 of them and nothing more.
    const own = bodyHash !== undefined && chunks !== undefined && get.bodyDigest !== undefined
      ? get.bodyDigest(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), { url: res.url, requestedUrl: page.url, ...(res.contentType !== undefined && { contentType: res.contentType }) })
      : undefined;
    if (own !== undefined) {
      if (at >= 0 && stored?.slice(at + 1) === own && validators?.nextUrl !== undefined) {
        // The same content in other bytes: treated like a 304, stored with these bytes' hash so
        // that the same bytes next time cost no digest.
        res.body.destroy();
        const content = validators.bodyHash?.includes('~') === true ? contentHashOf(validators.bodyHash) : undefined;
        return unchangedPage(source, page, validators, visited, problems, { etag: res.etag, lastModified: res.lastModified, bodyHash: withContentHash(`${bodyHash}+${own}`, content) as string, bytes: res.bytesRead() });
      }
      bodyHash = `${bodyHash}+${own}`;
    }
  }
  return yield* readFetched(opts, source, page, { res, body } as F, visited, problems, bodyHash, tally);
}

/** The event of a page not read because it is known unchanged. */
function unchangedPage<F extends FetchedPage>(
  source: PagedSource<F>,
  page: PageRef,
  validators: PageValidators | undefined,
  visited: ReadonlySet<string>,
  problems: RecordProblem[],
  known: { etag: string | undefined; lastModified: string | undefined; bodyHash: string | undefined; bytes: number },
): PageEvent {
  const stored = validators?.nextUrl ?? undefined;
  const next = source.nextAfterUnchanged === undefined ? stored : source.nextAfterUnchanged(stored, page, problems);
  const nextUrl = checkLoop(next, page.url, visited, problems);
  return {
    type: 'page',
    pageNo: page.pageNo,
    url: page.url,
    notModified: true,
    ...(known.etag !== undefined && { etag: known.etag }),
    ...(known.lastModified !== undefined && { lastModified: known.lastModified }),
    nextUrl,
    ...(known.bodyHash ? { bodyHash: known.bodyHash } : {}),
    batchCount: 0,
    recordCount: 0,
    bytes: known.bytes,
    ...(source.get?.format !== undefined && { format: source.get.format }),
  };
}

/** Reads a fetched page through the source, yielding its batches numbered; returns its page event. */
async function* readFetched<F extends FetchedPage>(
  opts: HarvestOptions,
  source: PagedSource<F>,
  page: PageRef,
  fetched: F,
  visited: ReadonlySet<string>,
  problems: RecordProblem[],
  bodyHash: string | undefined,
  tally: PageTally,
): AsyncGenerator<HarvestEvent, PageEvent> {
  const { res } = fetched;
  const it = source.read(page, fetched);
  let batchNo = 0;
  let recordCount = 0;
  let outcome: PageOutcome | undefined;
  // Counted for every kind here, as the batches come: a page that lists more fails alone.
  const { maxRecordsPerPage } = parseLimitsOf(opts);
  let listed = 0;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done === true) {
        outcome = r.value;
        break;
      }
      listed += r.value.records.length + r.value.invalidIdentifiers.length;
      if (listed > maxRecordsPerPage) {
        throw parseLimitError(res.url, `page ${page.pageNo}`, 'maxRecordsPerPage', maxRecordsPerPage, `it lists more than ${maxRecordsPerPage} records`);
      }
      recordCount += r.value.records.length;
      // An invalid record is still a record the page gave (it may lack an identifier).
      tally.items += r.value.records.length + Math.max(r.value.invalidIdentifiers.length, r.value.problems.filter((p) => p.severity === 'error').length);
      yield { type: 'batch', pageNo: page.pageNo, url: page.url, batchNo: batchNo++, ...r.value };
    }
  } finally {
    // Stopped early (an error, the consumer left): let the adapter close what it opened.
    if (outcome === undefined) await it.return?.(undefined as never);
    fetched.body.destroy();
    res.body.destroy();
  }
  problems.push(...(outcome.problems ?? []));
  tally.endOfListing = outcome.endOfListing === true;
  const nextUrl = checkLoop(outcome.nextUrl, page.url, visited, problems);
  bodyHash = withContentHash(bodyHash, outcome.bodyHash);
  return {
    type: 'page',
    pageNo: page.pageNo,
    url: page.url,
    notModified: outcome.unchanged === true,
    ...(res.etag !== undefined && { etag: res.etag }),
    ...(res.lastModified !== undefined && { lastModified: res.lastModified }),
    ...(nextUrl !== undefined && { nextUrl }),
    ...(bodyHash !== undefined && { bodyHash }),
    batchCount: batchNo,
    recordCount,
    bytes: res.bytesRead(),
    ...(outcome.format !== undefined && { format: outcome.format }),
    ...(outcome.listing !== undefined && { listing: outcome.listing }),
  };
}

/**
 * A page's stored hash: the transport's hash of its bytes (same bytes: not read again; followed by
 * `+<digest>` when the source digests its bodies, see `bodyDigest`), and the
 * hash its reader computed of its content (the DCAT reader's hash of its triples: other bytes but
 * the same triples, not mapped again), as `<bytes>~<content>` when there are both, else the one
 * there is. base64url and hex have no `~`.
 */
function withContentHash(bytes: string | undefined, content: string | undefined): string | undefined {
  return bytes !== undefined && content !== undefined ? `${bytes}~${content}` : (bytes ?? content);
}

/** The bytes' part of a stored page hash (a hash stored before contents were hashed is all bytes). */
function bytesHashOf(stored: string | null | undefined): string | undefined {
  if (stored == null) return undefined;
  const at = stored.indexOf('~');
  return at < 0 ? stored : stored.slice(0, at);
}

/**
 * The content's part of a stored page hash (see withContentHash), for a reader that hashes what it
 * read: the whole hash when it has no `~` (a reader's own, or the bytes' hash of an earlier
 * version, which no content hash equals).
 */
export function contentHashOf(stored: string | null | undefined): string | undefined {
  if (stored == null) return undefined;
  const at = stored.indexOf('~');
  return at < 0 ? stored : stored.slice(at + 1);
}

/**
 * Reads up to BODY_HASH_LIMIT bytes. When the whole body fits, returns it as a new stream with
 * its hash (over `version` and the bytes) and its chunks; otherwise a stream of what was read
 * followed by the rest, and no hash.
 */
async function hashSmallBody(source: Readable, version: string): Promise<{ body: Readable; bodyHash?: string; chunks?: Buffer[] }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = (await it.next()) as IteratorResult<Buffer>;
    if (done) {
      const h = createHash('sha1').update(version);
      for (const c of chunks) h.update(c);
      return { body: Readable.from(chunks), bodyHash: h.digest('base64url'), chunks };
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

/** Drops a next page that would revisit one already read, recording why: a loop must not fail a source that worked. */
function checkLoop(next: string | undefined, current: string, visited: ReadonlySet<string>, problems: RecordProblem[]): string | undefined {
  if (next === undefined) return undefined;
  if (next === current || visited.has(next)) {
    problems.push({ severity: 'warning', code: 'paging_loop', message: `the next page ${next} was already read in this run; paging stopped at ${current}` });
    return undefined;
  }
  return next;
}
