import { ConfigError, FetchStatusError, LimitExceededError, type ProblemCode } from '@hasad/core';
import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { fetchPage } from '../../http/client.ts';
import type { FetchResponse } from '../../http/client.ts';
import { batchSizeOf, parseLimitsOf, runPager } from '../../pager.ts';
import type { FetchedPage, PageOutcome, PagerContext } from '../../pager.ts';
import type { ParsePool } from '../../isolation/parse-pool.ts';
import type { HarvestEvent, HarvestOptions, HttpOptions } from '../../types.ts';
import { dropSeenBefore } from '../shared/batches.ts';
import type { MappedBatch } from '../shared/batches.ts';
import { readXmlDocument } from '../soap/stream.ts';
import type { DetachOptions, OpenedOptions } from '../soap/stream.ts';
import { askAhead, dropReadAhead, untilWritten } from '../shared/read-ahead.ts';
import type { ReadAhead } from '../shared/read-ahead.ts';
import type { XNode } from '../soap/xml.ts';
import { filterXml } from './config.ts';
import type { CswConfig } from './config.ts';
import {
  CSW202_NS, CSW30_NS, CswExceptionError, describeExceptionReport, getCapabilitiesUrl, getRecordByIdUrl, getRecordsUrl, getRecordsXml, readCapabilities, readSearchResults, recordTexts,
  SCHEMA_DCAT, SCHEMA_ISO19139, SNIFF_BYTES, sniffSearchStatus,
} from './protocol.ts';
import { CSW_LIMIT_SETTINGS, DEFAULT_CSW_LIMITS, mapRecords, readCswPage } from './read-page.ts';
import type { CswFormat, CswLimits, CswPageInput, CswPageOutcome, SearchOpened } from './read-page.ts';
import type { CswCapabilities, CswVersion, GetRecordsQuery } from './protocol.ts';

const ACCEPT = 'application/xml, text/xml;q=0.9, */*;q=0.1';
const WHAT = 'CSW GetRecords response';

export type { CswLimits };
export { CSW_LIMIT_SETTINGS, DEFAULT_CSW_LIMITS };
/** OWS servers send ExceptionReports with these statuses (OWS Common 1.1 §8.6 and practice). */
const EXCEPTION_STATUSES = [400, 403, 404, 500, 501, 503] as const;
const MAX_EXCEPTION_BYTES = 1024 * 1024;
/** A capabilities document is a few hundred KB; more is not one. */
const CAPABILITIES_MAX_BYTES = 10 * 1024 * 1024;
/** How this source's records are asked for, decided from the config and the capabilities. */
export interface CswPlan {
  version: CswVersion;
  method: 'get' | 'post';
  /** Where GetRecords goes. */
  endpoint: string;
  format: CswFormat;
  outputSchema: string;
  typeNames: string;
  constraint?: GetRecordsQuery['constraint'];
  pageSize: number;
  /** Notes on the choices made (preview shows them). */
  notes: RecordProblem[];
}

/** Asks for an answer; its body is read by {@link readXml}. ExceptionReports come with the statuses OWS servers send them with. */
function requestXml(url: string, http: HttpOptions, init: { body?: string; signal?: AbortSignal } = {}): Promise<FetchResponse> {
  return fetchPage({
    url,
    http,
    accept: ACCEPT,
    acceptStatuses: EXCEPTION_STATUSES,
    ...(init.body !== undefined && { method: 'POST' as const, body: init.body, headers: { 'content-type': 'application/xml; charset=utf-8' } }),
    ...(init.signal !== undefined && { signal: init.signal }),
  });
}

/**
 * An answer read, decoded and parsed as it arrives, under the CSW limits (a 40 MB answer of tiny
 * elements, or elements nested 100,000 deep, fail with `limit_exceeded` instead of building an
 * unbounded tree); ExceptionReports thrown as CswExceptionError. `maxBytes` is named by
 * `bytesSetting` when an answer runs past it.
 */
async function readXml(
  res: FetchResponse,
  http: HttpOptions,
  max: { bytes: number; setting: string },
  what: string,
  init: { pageNo?: number; detach?: DetachOptions; opened?: OpenedOptions } = {},
): Promise<{ text: string; root: XNode }> {
  const error = res.status >= 400;
  const limit = error ? Math.min(MAX_EXCEPTION_BYTES, max.bytes) : max.bytes;
  const limits = { ...DEFAULT_CSW_LIMITS, ...http.cswLimits };
  const parts: string[] = [];
  let root: XNode;
  try {
    root = await readXmlDocument(res.body, {
      source: res.url,
      contentType: res.contentType,
      format: what,
      limits: { maxDepth: limits.maxDepth, maxTextLength: limits.maxTextLength, maxNodes: limits.maxElements },
      settings: { maxDepth: CSW_LIMIT_SETTINGS.maxDepth, maxTextLength: CSW_LIMIT_SETTINGS.maxTextLength, maxNodes: CSW_LIMIT_SETTINGS.maxElements },
      maxBytes: limit,
      tooLarge: () =>
        error ? new FetchStatusError(res.url, res.status, {}) : new LimitExceededError(res.url, what, max.setting, limit, `the answer runs past ${limit} bytes; lower the source's pageSize`),
      text: parts,
      ...(init.detach !== undefined && { detach: init.detach }),
      ...(init.opened !== undefined && !error && { opened: init.opened }),
    });
  } catch (err) {
    // An error status whose body is not a readable ExceptionReport is reported as the status.
    if (error) throw new FetchStatusError(res.url, res.status, { bodyExcerpt: parts.join('').slice(0, 300).replace(/\s+/g, ' ').trim() });
    throw err;
  } finally {
    res.body.destroy();
  }
  if (root.name === 'ExceptionReport') throw new CswExceptionError(res.url, describeExceptionReport(root), { httpStatus: res.status, ...(init.pageNo !== undefined && { pageNo: init.pageNo }) });
  if (error) throw new FetchStatusError(res.url, res.status, {});
  return { text: parts.join(''), root };
}

/** {@link requestXml} then {@link readXml}: one request, its answer read at once. */
async function fetchXml(url: string, http: HttpOptions, max: { bytes: number; setting: string }, what: string, signal?: AbortSignal): Promise<{ res: FetchResponse; text: string; root: XNode }> {
  const res = await requestXml(url, http, signal === undefined ? {} : { signal });
  return { res, ...(await readXml(res, http, max, what)) };
}

/**
 * Asks a CSW service for its capabilities (GetCapabilities by GET).
 * @throws CswExceptionError, ParseError (not a CSW), and the fetch errors.
 */
export async function fetchCswCapabilities(url: string, http: HttpOptions, signal?: AbortSignal): Promise<CswCapabilities> {
  const { res, root } = await fetchXml(getCapabilitiesUrl(url), http, { bytes: Math.min(http.maxBytes, CAPABILITIES_MAX_BYTES), setting: 'the capabilities size limit' }, 'CSW capabilities', signal);
  return readCapabilities(root, res.url, res.status);
}

const sameOrigin = (a: string, b: string) => URL.canParse(a) && URL.canParse(b) && new URL(a).origin === new URL(b).origin;

/**
 * Decides version, method, endpoint, output schema and filter for a source.
 * @throws ConfigError when the server offers nothing the config asks for (naming what it offers).
 */
export function planHarvest(sourceUrl: string, caps: CswCapabilities, config: CswConfig): CswPlan {
  const notes: RecordProblem[] = [];
  const offered = (s: string) => caps.outputSchemas.length === 0 || caps.outputSchemas.includes(s);
  let version: CswVersion;
  if (config.version !== 'auto') {
    if (!caps.versions.includes(config.version)) throw new ConfigError(`the CSW service offers version ${caps.versions.join(', ')}, not ${config.version}`, { versions: caps.versions });
    version = config.version;
  } else version = caps.versions.includes('2.0.2') ? '2.0.2' : '3.0.0';

  let format: CswPlan['format'];
  // Dublin Core is the schema every CSW server must offer: asked for, it is not checked against the list.
  if (config.outputSchema === 'dc') format = 'dc';
  else if (config.outputSchema === 'iso19139' || config.outputSchema === 'dcat') {
    const schema = config.outputSchema === 'dcat' ? SCHEMA_DCAT : SCHEMA_ISO19139;
    if (!offered(schema)) throw new ConfigError(`the CSW service does not offer outputSchema ${schema}; it offers: ${caps.outputSchemas.join(', ')}`, { outputSchemas: caps.outputSchemas });
    format = config.outputSchema;
  } else if (offered(SCHEMA_ISO19139)) format = 'iso19139';
  else if (caps.outputSchemas.includes(SCHEMA_DCAT)) format = 'dcat';
  else format = 'dc';

  const outputSchema = format === 'dcat' ? SCHEMA_DCAT : format === 'iso19139' ? SCHEMA_ISO19139 : version === '3.0.0' ? CSW30_NS : CSW202_NS;
  if (format === 'dc') {
    notes.push({
      severity: 'warning',
      code: 'csw_dublin_core',
      message: `records are harvested as Dublin Core (csw:Record)${config.outputSchema === 'dc' ? ', as the config asks' : `: the service offers neither ISO 19139 nor DCAT (it offers ${caps.outputSchemas.join(', ') || 'no output schema it names'})`}; they are thinner than ISO 19139 (no contacts, constraints, thesauri, lineage or services)`,
    });
  }

  let method: 'get' | 'post';
  if (config.method !== 'auto') method = config.method;
  else method = caps.getRecords.post !== undefined || caps.getRecords.get === undefined ? 'post' : 'get';
  // The advertised endpoint is used when it is on the source's own server; many geoportals
  // advertise an internal host name (localhost:8080) that is not reachable from outside.
  const advertised = method === 'post' ? caps.getRecords.post : caps.getRecords.get;
  const base = new URL(sourceUrl);
  base.hash = '';
  let endpoint = base.href;
  if (advertised !== undefined && sameOrigin(advertised, sourceUrl)) endpoint = advertised;
  else if (advertised !== undefined) notes.push({ severity: 'info', code: 'csw_endpoint', message: `the capabilities advertise GetRecords at ${advertised}, on another server than the source; asking ${endpoint} instead` });
  if (method === 'get') {
    // KVP: the request parameters are Hasad's, whatever the source URL carried.
    const u = new URL(endpoint);
    for (const key of [...u.searchParams.keys()]) if (['service', 'request', 'version', 'acceptversions'].includes(key.toLowerCase())) u.searchParams.delete(key);
    endpoint = u.href;
  }

  const typeNames = config.typeNames ?? (format === 'iso19139' && caps.typeNames.includes('gmd:MD_Metadata') ? 'gmd:MD_Metadata' : 'csw:Record');
  const plan: CswPlan = { version, method, endpoint, format, outputSchema, typeNames, pageSize: config.pageSize, notes };
  const f = config.filter;
  if (f?.cql !== undefined) {
    if (caps.constraintLanguages.length > 0 && !caps.constraintLanguages.includes('CQL_TEXT')) {
      throw new ConfigError(`the CSW service does not accept CQL filters (it accepts ${caps.constraintLanguages.join(', ')}); use filter.ogc`, { constraintLanguages: caps.constraintLanguages });
    }
    plan.constraint = { language: 'CQL_TEXT', cql: f.cql };
  } else if (f !== undefined) {
    const xml = filterXml(f, version);
    if (xml !== undefined) plan.constraint = { language: 'FILTER', filter: xml };
  }
  notes.unshift({
    severity: 'info',
    code: 'csw_capabilities',
    message: `${caps.title ?? 'CSW service'}${caps.provider ? ` (${caps.provider})` : ''}: versions ${caps.versions.join(', ')}; output schemas ${caps.outputSchemas.join(', ') || '(not listed)'}; constraint languages ${caps.constraintLanguages.join(', ') || '(not listed)'}`,
  });
  notes.splice(1, 0, {
    severity: 'info',
    code: 'csw_plan',
    message: `CSW ${version}, GetRecords by ${method.toUpperCase()} at ${endpoint}, outputSchema ${outputSchema} (${format === 'dcat' ? 'DCAT / GeoDCAT-AP' : format === 'dc' ? 'Dublin Core' : 'ISO 19139'}), typeNames ${typeNames}, ${config.pageSize} records a page${plan.constraint !== undefined ? `, filter (${plan.constraint.language})` : ''}`,
  });
  return plan;
}

/** A page's checkpoint URL: the endpoint with the start position (and the count seen so far) in the fragment, which is never sent. */
export function cswPageUrl(endpoint: string, start: number, matched?: number): string {
  const u = new URL(endpoint);
  u.hash = matched === undefined ? `start=${start}` : `start=${start}&matched=${matched}`;
  return u.href;
}

function pageState(url: string): { start: number; matched?: number } {
  const h = new URL(url).hash;
  const start = Number(/[#&]start=(\d+)/.exec(h)?.[1] ?? '1');
  const m = /[#&]matched=(\d+)/.exec(h)?.[1];
  return { start: Number.isSafeInteger(start) && start >= 1 ? start : 1, ...(m !== undefined && { matched: Number(m) }) };
}

const duplicateOfEarlierPage = (id: string) => `another record of this harvest already has identifier ${JSON.stringify(id)}; this one was skipped`;

function warn(problems: RecordProblem[], code: ProblemCode, message: string): void {
  problems.push({ severity: 'warning', code, message });
}

/** A page's answer, its body not yet read (it is parsed as it arrives), or its reading already started (a page asked ahead, with a parsing pool). */
interface CswPage extends FetchedPage {
  started?: StartedRead;
}

/** A page asked ahead whose reading started in a parsing worker as soon as it came, under the checkpoint URL and number its turn was expected to have. */
interface StartedRead {
  pageNo: number;
  url: string;
  reading: AsyncGenerator<MappedBatch, CswPageOutcome>;
  /** The reading's first step, asked at once (the worker parses and maps the page meanwhile). */
  first: Promise<IteratorResult<MappedBatch, CswPageOutcome>>;
}

/** Where a page stands in the listing: its start position, number and the count seen before it. */
interface PageHere {
  start: number;
  pageNo: number;
  matched: number | undefined;
}

/** A GetRecords request's answer as the page the pager hands back to `read`. */
function asPage(res: FetchResponse): CswPage {
  return { res, body: res.body };
}

/**
 * Harvests a CSW service through the shared pager: GetCapabilities (the pager's `open`), then
 * GetRecords pages (POST XML or GET KVP) from the checkpointed start position, following
 * nextRecord, one page read ahead (two with a parsing pool, each read in a worker as it comes). Paging that goes wrong (nextRecord going back, the count
 * changing mid-harvest, records skipped or missing) marks the listing partial so that nothing is
 * withdrawn. Page URLs are the endpoint with the start position and the count seen so far in the
 * fragment ({@link cswPageUrl}); a resume starts at the page `start.url` names.
 * @throws CswExceptionError for an ows:ExceptionReport, ConfigError when the server offers
 *   nothing usable, PagingError `page_limit_exceeded` past maxPages, SourceLimitError
 *   `run_budget_exceeded` past `opts.runBudgetMs`, ParseError and the fetch errors.
 */
export function harvestCsw(opts: HarvestOptions, config: CswConfig): AsyncGenerator<HarvestEvent> {
  const batchSize = batchSizeOf(opts);
  const seen = new Set<string>();
  const pool = opts.parsePool;
  // Set by open(), which the pager calls before anything else.
  let plan!: CswPlan;
  let pager: PagerContext = { visited: new Set(), maxPages: 0 };
  /** The capabilities, plan and count notes: they travel with page 1's first batch (a preview stops at its record limit, before the page event, and must still show them). */
  let notes: RecordProblem[] = [];
  /**
   * The pages after the one in hand, asked while it is read, mapped and handed on, in order; keyed
   * by their startPosition. One without a parsing pool (the page in hand holds this thread); two
   * with one, each started reading in a worker as soon as its answer comes, so that pages are
   * parsed in parallel and the harvest is bound by the service's paging, not by one core.
   */
  let aheads: Array<ReadAhead<CswPage>> = [];
  const depth = pool === undefined ? 1 : 2;
  /** The page asked ahead that is now the page in hand (its reading may still tell its paging values). */
  let current: ReadAhead<CswPage> | undefined;
  /** The pager closed the listing: nothing more is asked. */
  let closed = false;
  /** Records the last page held: the size of the next one when its answer does not say. */
  let lastCount: number | undefined;
  const queryAt = (startPosition: number): GetRecordsQuery => ({
    version: plan.version,
    outputSchema: plan.outputSchema,
    typeNames: plan.typeNames,
    startPosition,
    maxRecords: plan.pageSize,
    ...(plan.constraint !== undefined && { constraint: plan.constraint }),
  });
  const requestAt = (startPosition: number, signal: AbortSignal | undefined): Promise<FetchResponse> => {
    const query = queryAt(startPosition);
    return requestXml(plan.method === 'get' ? getRecordsUrl(plan.endpoint, query) : plan.endpoint, opts.http, {
      ...(plan.method === 'post' && { body: getRecordsXml(query) }),
      ...(signal !== undefined && { signal }),
    });
  };
  /** What reading a page needs besides its bytes; the last complete run's hash of the page, if any. */
  const pageInput = async (res: FetchResponse, pageNo: number, url: string): Promise<CswPageInput> => {
    const knownHash = (await opts.validators?.(url))?.bodyHash ?? undefined;
    return {
      format: plan.format,
      url: res.url,
      status: res.status,
      ...(res.contentType !== undefined && { contentType: res.contentType }),
      pageNo,
      batchSize,
      maxPageBytes: config.maxPageBytes,
      ...(opts.http.cswLimits !== undefined && { cswLimits: opts.http.cswLimits }),
      ...(knownHash !== undefined && { knownHash }),
    };
  };
  /**
   * Before a page goes to a parsing worker: its first bytes are read here, and the paging values of
   * its SearchResults tag, when they are among them, ask the next page at once. A worker may not
   * be free yet (both reading the pages before), and the worker's own parse of that tag, which asks
   * it otherwise, would wait for one: the service would sit idle meanwhile. The worker still reads
   * every byte (the body given back) and tells the values again; a page already asked is not asked twice.
   */
  const askFromHead = async (res: FetchResponse, ask: (status: Parameters<SearchOpened>[0]) => Promise<void> | undefined): Promise<AsyncIterable<Buffer>> => {
    const { head, body } = await peekHead(res.body);
    const status = head === undefined ? undefined : sniffSearchStatus(head);
    if (status !== undefined) void ask(status)?.catch(() => undefined);
    return body;
  };
  /** A page asked ahead given up: its request aborted, its reading (if started) ended and its worker freed. */
  const dropAhead = (a: ReadAhead<CswPage>) => {
    dropReadAhead(a);
    a.page.then((p) => p.started?.reading.return(undefined as never).catch(() => undefined), () => undefined);
  };
  /**
   * Read-ahead: SearchResults announces the next page in its attributes, before its records. That
   * page is asked at once, so the service works on it while this one is parsed and mapped; with a
   * parsing pool, its reading starts in a worker as soon as it comes.
   */
  const askAheadFrom = (status: Parameters<SearchOpened>[0], here: PageHere): Promise<void> | undefined => {
    if (closed || aheads.length >= depth || here.pageNo + 1 > pager.maxPages) return undefined;
    const returned = status.returned ?? lastCount ?? plan.pageSize;
    // The caller stops within this page (a preview's limit): no page ahead.
    if (opts.recordLimit !== undefined && here.start - 1 + returned >= opts.recordLimit) return undefined;
    const next = predictedNext(here.start, returned, status.nextRecord, status.matched ?? here.matched);
    if (next === undefined || aheads.some((a) => a.key >= next)) return undefined;
    const nextHere: PageHere = { start: next, pageNo: here.pageNo + 1, matched: status.matched ?? here.matched };
    // Assigned before its request is answered, which is when its reading (and its hint) starts.
    let a!: ReadAhead<CswPage>;
    a = askAhead(next, opts.signal, async (signal) => {
      const res = await requestAt(next, signal);
      // A body aborted before anyone reads it: its error must not count as unhandled (a reader still sees it).
      res.body.on('error', () => undefined);
      const page: CswPage = asPage(res);
      // An error status is read at its turn, in this thread (it fails the run there).
      if (pool !== undefined && res.status < 400) page.started = await startEarly(pool, res, nextHere, signal, a);
      return page;
    });
    aheads.push(a);
    // The rest of this page's parse holds the thread (without a pool): let the request reach the socket first.
    return untilWritten(plan.method === 'get' ? 'GET' : 'POST', plan.method === 'get' ? getRecordsUrl(plan.endpoint, queryAt(next)) : plan.endpoint, a.page);
  };
  /**
   * Starts reading a page asked ahead in a parsing worker, under the checkpoint URL its turn is
   * expected to have (the harvest checks it then): the worker parses and maps the page while the
   * page before it is read, and holds its first batch until the harvest reaches it.
   */
  const startEarly = async (p: ParsePool, res: FetchResponse, here: PageHere, signal: AbortSignal, own: ReadAhead<CswPage>): Promise<StartedRead> => {
    const url = cswPageUrl(plan.endpoint, here.start, here.matched);
    // Its paging values ask the page after it only while it is still to be read or being read
    // (not once dropped, or after the listing closed: a request nobody would read or drop).
    const opened: SearchOpened = (status) => (aheads.includes(own) || current === own ? askAheadFrom(status, here) : undefined);
    const body = await askFromHead(res, (status) => opened(status));
    const reading = p.readPage('csw', await pageInput(res, here.pageNo, url), body, signal, opened);
    const first = reading.next();
    // Seen when the harvest reaches the page; until then a failure must not count as unhandled.
    first.catch(() => undefined);
    return { pageNo: here.pageNo, url, reading, first };
  };

  return runPager<CswPage>(opts, {
    noun: 'CSW listing',
    async open(start, ctx) {
      pager = ctx;
      const caps = await fetchCswCapabilities(opts.url, opts.http, opts.signal);
      plan = planHarvest(opts.url, caps, config);
      if (start.pageNo === 1) notes = [...plan.notes];
      // A checkpoint names its start position and count in the fragment; a fresh run starts at record 1.
      const resumeAt = opts.start?.url !== undefined && opts.start.url !== opts.url && new URL(opts.start.url).hash !== '' ? pageState(opts.start.url) : { start: 1 };
      return { start: { pageNo: start.pageNo, url: cswPageUrl(plan.endpoint, resumeAt.start, resumeAt.matched) } };
    },
    async fetch(page) {
      const { start } = pageState(page.url);
      const claimed = aheads[0]?.key === start ? aheads.shift() : undefined;
      current = claimed;
      if (claimed === undefined) {
        // Not the page asked ahead (the listing went elsewhere): those asked are dropped.
        for (const a of aheads) dropAhead(a);
        aheads = [];
        return asPage(await requestAt(start, opts.signal));
      }
      const p = await claimed.page;
      if (p.started !== undefined && (p.started.url !== page.url || p.started.pageNo !== page.pageNo)) {
        // Read ahead under another checkpoint than its turn has (the count changed meanwhile): its
        // unchanged check would be against the wrong page; asked again and read at its turn.
        current = undefined;
        void p.started.reading.return(undefined as never).catch(() => undefined);
        p.res.body.destroy();
        return asPage(await requestAt(start, opts.signal));
      }
      return p;
    },
    close() {
      // Stopped before reaching the pages asked ahead (an error, the consumer left): they are not done; a resume asks them again.
      closed = true;
      current = undefined;
      for (const a of aheads) dropAhead(a);
      aheads = [];
    },
    async *read(page, { res, started }): AsyncGenerator<MappedBatch, PageOutcome> {
      const { pageNo } = page;
      const { start, matched: before } = pageState(page.url);
      const here: PageHere = { start, pageNo, matched: before };
      const pageNotes = notes;
      notes = [];
      let read!: CswPageOutcome;
      let reading: AsyncGenerator<MappedBatch, CswPageOutcome> | undefined = started?.reading;
      let finished = false;
      try {
        let r: IteratorResult<MappedBatch, CswPageOutcome>;
        if (started !== undefined && reading !== undefined) r = await started.first;
        else {
          // An error status is an ExceptionReport or not a CSW answer at all: read here, and thrown.
          if (res.status >= 400) await readXml(res, opts.http, { bytes: config.maxPageBytes, setting: 'maxPageBytes' }, WHAT, { pageNo });
          const opened: SearchOpened = (status) => {
            // Told before the page's first batch, which carries it (a preview stops at its record limit).
            if (pageNo === 1 && status.matched !== undefined) pageNotes.push({ severity: 'info', code: 'csw_count', message: `the service holds ${status.matched} matching records` });
            return askAheadFrom(status, here);
          };
          const input = await pageInput(res, pageNo, page.url);
          // In the fetcher's parsing worker when there is a pool (another core, its heap cap and CPU
          // watch); else here. Either way the same reader.
          reading =
            pool !== undefined
              ? pool.readPage('csw', input, await askFromHead(res, (status) => askAheadFrom(status, here)), opts.signal, opened)
              : readCswPage(input, res.body, parseLimitsOf(opts), opened);
          r = await reading.next();
        }
        for (; ; r = await reading.next()) {
          if (r.done === true) {
            read = r.value;
            finished = true;
            break;
          }
          // The reader drops duplicates within its page; identifiers of earlier pages are known here.
          const b = dropSeenBefore(r.value, seen, duplicateOfEarlierPage);
          b.problems.unshift(...pageNotes.splice(0));
          yield b;
        }
      } finally {
        // Left before the page's end (the consumer stopped, a batch failed): the reading is ended too, its worker freed.
        if (!finished) await reading?.return(undefined as never).catch(() => undefined);
        res.body.destroy();
      }
      const { search } = read;
      const problems: RecordProblem[] = [];
      let partial = false;
      const count = search.count;
      lastCount = count;
      if (search.returned !== undefined && search.returned !== count) {
        warn(problems, 'csw_count_mismatch', `page ${pageNo} says numberOfRecordsReturned=${search.returned} but holds ${count} records`);
      }
      if (search.matched !== undefined && before !== undefined && search.matched !== before) {
        partial = true;
        warn(problems, 'csw_count_changed', `the number of matching records changed from ${before} to ${search.matched} during the harvest (page ${pageNo}): records may have been skipped, so nothing is withdrawn this run`);
      }
      const total = search.matched ?? before;

      // Where the next page starts, and whether this page's records fit the announced paging.
      let next = announcedNext(start, count, search.nextRecord, total);
      if (next !== undefined && next <= start) {
        partial = true;
        warn(problems, 'paging_loop', `page ${pageNo} (records from ${start}) gives nextRecord=${next}, which goes back: paging stopped, nothing is withdrawn this run`);
        next = undefined;
      } else if (next !== undefined && next !== start + count) {
        partial = true;
        warn(problems, 'csw_short_page', `page ${pageNo} holds ${count} records from ${start} but the next page starts at ${next}${count === 0 ? '' : `, not ${start + count}`}: records were skipped or repeated, so nothing is withdrawn this run`);
        if (count === 0) next = undefined;
      } else if (next === undefined && total !== undefined && start - 1 + count < total) {
        partial = true;
        warn(problems, 'csw_short_listing', `the listing ended at record ${start - 1 + count} of the ${total} announced (page ${pageNo}): nothing is withdrawn this run`);
      }
      // Pages asked ahead that do not follow this one after all (the records this page holds
      // disagree with what it announced, or it is the last): dropped; the right one is asked at its turn.
      if (aheads.length > 0 && aheads[0]!.key !== next) {
        for (const x of aheads) dropAhead(x);
        aheads = [];
      }

      return {
        // The count seen so far goes with the next page's checkpoint, so that a resumed run still compares against it.
        ...(next !== undefined && { nextUrl: cswPageUrl(plan.endpoint, next, total) }),
        problems: [...pageNotes, ...problems, ...(read.problems ?? [])],
        format: plan.format === 'dcat' ? 'csw-dcat' : plan.format === 'dc' ? 'csw-dc' : 'csw-iso19139',
        bodyHash: read.bodyHash,
        ...(read.unchanged === true && { unchanged: true }),
        ...(partial && { listing: 'partial' as const }),
        // A service that gives no count and pages until an empty page: that page ends the listing, it did not lose its records.
        ...(count === 0 && total === undefined && { endOfListing: true }),
      };
    },
  });
}

/** Bytes of an answer read from the network ahead of its parsing worker at most (see peekHead). */
const EAGER_BYTES = 8 * 1024 * 1024;

/**
 * An answer's first bytes, read until its SearchResults tag has come (or SNIFF_BYTES, or the end),
 * and its whole body again for its parsing worker. The rest is read from the network as it comes,
 * up to EAGER_BYTES ahead of the worker, not at the worker's pace: the answer's last byte is in
 * (and its slot of the host's concurrency limit free for the next page asked ahead) as soon as the
 * service has sent it, not once the page is parsed. A failure while reading is the body's: its
 * reader gets it after the bytes that came before it, as it would have. Hand-rolled rather than a
 * PassThrough with a high-water mark: one queue, no second stream's events per chunk.
 */
async function peekHead(res: AsyncIterable<Buffer>): Promise<{ head: Buffer | undefined; body: AsyncIterable<Buffer> }> {
  const it = res[Symbol.asyncIterator]();
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let stopped = false;
  let failure: { err: unknown } | undefined;
  /** Wakes whichever side waits: the reader for bytes, the pump for room. */
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const next = async (): Promise<boolean> => {
    try {
      const r = await it.next();
      if (r.done === true) ended = true;
      else {
        queue.push(r.value);
        queued += r.value.length;
      }
    } catch (err) {
      failure = { err };
    }
    notify();
    return !ended && failure === undefined;
  };
  // The head: until the tag's end (a chunk holding "SearchResults" and a ">" after it), or SNIFF_BYTES.
  for (let more = true; more && queued < SNIFF_BYTES; ) {
    more = await next();
    const last = queue.at(-1);
    if (more && last !== undefined) {
      const text = last.toString('latin1', 0, Math.min(last.length, SNIFF_BYTES));
      const at = text.indexOf('SearchResults');
      if (at >= 0 && text.indexOf('>', at) >= 0) break;
    }
  }
  const head = queue.length === 0 ? undefined : Buffer.concat(queue);
  // The rest, as it comes, while there is room.
  void (async () => {
    while (!stopped && !ended && failure === undefined) {
      if (queued >= EAGER_BYTES) await new Promise<void>((resolve) => (wake = resolve));
      else await next();
    }
  })();
  async function* body(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          queued -= chunk.length;
          notify();
          yield chunk;
          continue;
        }
        if (failure !== undefined) throw failure.err;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      stopped = true;
      notify();
      // Left before its end (an error, a dropped page): the response is let go of.
      if (!ended && failure === undefined) await it.return?.();
    }
  }
  return { head, body: body() };
}

/**
 * Where the page after the one starting at `start` with `count` records starts, as the page
 * announces it: its nextRecord, else the count against the total; undefined at the listing's end.
 */
function announcedNext(start: number, count: number, nextRecord: number | undefined, total: number | undefined): number | undefined {
  let next = nextRecord;
  if (next === undefined && total !== undefined && start + count <= total && count > 0) next = start + count;
  return next === undefined || next === 0 || (total !== undefined && next > total) ? undefined : next;
}

/**
 * The next page's start as far as a page's SearchResults attributes tell, before its records are
 * read (`count` is what it says it returns, else a guess): a page that goes back or holds nothing
 * has none. A guess only: the page's records decide, and a wrong guess is dropped.
 */
function predictedNext(start: number, count: number, nextRecord: number | undefined, total: number | undefined): number | undefined {
  const next = announcedNext(start, count, nextRecord, total);
  return next !== undefined && next > start && count > 0 ? next : undefined;
}

/**
 * One record by identifier (GetRecordById), mapped: for preview of a single record.
 * @throws CswExceptionError, ConfigError, ParseError and the fetch errors.
 */
export async function fetchCswRecord(url: string, id: string, config: CswConfig, http: HttpOptions, signal?: AbortSignal): Promise<{ record?: CanonicalDataset; problems: RecordProblem[] }> {
  const caps = await fetchCswCapabilities(url, http, signal);
  const plan = planHarvest(url, caps, config);
  const advertised = caps.getRecordById.get;
  const endpoint = advertised !== undefined && sameOrigin(advertised, url) ? advertised : plan.endpoint;
  const { res, text, root } = await fetchXml(getRecordByIdUrl(endpoint, id, plan.version, plan.outputSchema), http, { bytes: config.maxPageBytes, setting: 'maxPageBytes' }, 'CSW GetRecordById response', signal);
  const results = readSearchResults(root, res.url, res.status);
  const problems: RecordProblem[] = [];
  const batches = await mapRecords(plan.format, recordTexts(text, results.records), results.records, res.url, 1, new Set(), problems);
  const record = batches.flatMap((b) => b.records)[0];
  for (const b of batches) problems.push(...b.problems);
  if (results.records.length === 0) problems.push({ severity: 'warning', code: 'not_found', message: `the CSW service has no record ${JSON.stringify(id)}` });
  return { ...(record !== undefined && { record }), problems };
}
