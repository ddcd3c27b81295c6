import { channel } from 'node:diagnostics_channel';
import { ConfigError, FetchStatusError, LimitExceededError, PagingError, ParseError } from '@hasad/core';
import type { RecordProblem } from '@hasad/core';
import { fetchPage } from '../../http/client.ts';
import type { FetchResponse } from '../../http/client.ts';
import { batchSizeOf, runPager } from '../../pager.ts';
import type { FetchedPage, PageOutcome, PagerContext, PageRef } from '../../pager.ts';
import type { HarvestEvent, HarvestOptions } from '../../types.ts';
import type { MappedBatch } from '../shared/batches.ts';
import { askAhead, claimReadAhead, dropReadAhead, untilWritten } from '../shared/read-ahead.ts';
import type { ReadAhead } from '../shared/read-ahead.ts';
import type { SoapConfig } from './config.ts';
import { findFault, readEnvelope, renderEnvelope, soapHeaders, SoapFaultError } from './envelope.ts';
import type { SoapMessage, SoapVersion } from './envelope.ts';
import { compileMapping, mapRecord, settleDateOrders } from './map.ts';
import { BatchCollector } from '../shared/batches.ts';
import { DEFAULT_SOAP_LIMITS, EnvelopeStream, SOAP_LIMIT_SETTINGS, streamDecoder } from './stream.ts';
import type { CompiledMapping, RecordMapResult } from './map.ts';
import { listSoapOperations } from './wsdl.ts';
import { compilePath, decodeXml, isNil, selectNodes, selectValues } from './xml.ts';
import type { CompiledPath, Namespaces, XNode } from './xml.ts';

const ACCEPT = 'text/xml, application/soap+xml, application/xml;q=0.9, */*;q=0.1';
/** SOAP 1.1 sends Faults with 500, SOAP 1.2 with 400 (Sender) or 500 (Receiver): read those bodies. */
const FAULT_STATUSES = [400, 500] as const;
/** An error page bigger than this is not a Fault worth reading. */
const MAX_FAULT_BYTES = 1024 * 1024;

/**
 * The URL a page is known by in checkpoints (`run_pages`, `source_pages`) and the loop guard:
 * every SOAP page is a POST to the same endpoint, so the page's ordinal goes in the fragment,
 * which is never sent.
 */
export function soapPageUrl(endpoint: string, ordinal: number): string {
  const u = new URL(endpoint);
  u.hash = `page=${ordinal}`;
  return u.href;
}

/** The page ordinal (1-based) a checkpoint URL names, or undefined for a URL without `#page=N`. */
export function pageOrdinalOf(url: string): number | undefined {
  const m = /#page=(\d+)$/.exec(url);
  const n = m === null ? Number.NaN : Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** What requests need, once the WSDL (if any) has been read. */
export interface SoapTarget {
  endpoint: string;
  soapAction: string;
  version: SoapVersion;
}

/**
 * Resolves the endpoint, SOAPAction and version: the config's own values win, then the WSDL's
 * binding for `operation` (1.1 preferred when the WSDL offers both and no version is set).
 * @throws ConfigError when the WSDL lacks the operation or offers it ambiguously.
 */
export async function resolveTarget(opts: HarvestOptions, config: SoapConfig): Promise<SoapTarget> {
  if (!URL.canParse(config.endpoint ?? opts.url)) throw new ConfigError(`the SOAP endpoint ${JSON.stringify(config.endpoint ?? opts.url)} is not a URL`, { url: opts.url });
  const base = new URL(config.endpoint ?? opts.url);
  base.hash = '';
  const endpoint = base.href;
  if (config.wsdl === undefined) return { endpoint, soapAction: config.soapAction ?? '', version: config.soapVersion ?? '1.1' };

  const ops = await listSoapOperations(config.wsdl, opts.http, opts.signal);
  const named = ops.filter((o) => o.operation === config.operation);
  if (named.length === 0) {
    const known = [...new Set(ops.map((o) => o.operation))].sort();
    throw new ConfigError(`the WSDL ${config.wsdl} has no SOAP operation "${config.operation}"; it offers: ${known.join(', ') || 'none'}`, { wsdl: config.wsdl, operation: config.operation, known });
  }
  const version = config.soapVersion ?? (named.some((o) => o.soapVersion === '1.1') ? '1.1' : '1.2');
  const candidates = named.filter((o) => o.soapVersion === version);
  if (candidates.length === 0) {
    throw new ConfigError(`the WSDL ${config.wsdl} offers "${config.operation}" only over SOAP ${named[0]?.soapVersion}, not ${version}`, { wsdl: config.wsdl });
  }
  const actions = [...new Set(candidates.map((o) => o.soapAction))];
  if (actions.length > 1 && config.soapAction === undefined) {
    throw new ConfigError(`the WSDL ${config.wsdl} gives "${config.operation}" several SOAPActions (${actions.join(', ')}); set soapAction`, { wsdl: config.wsdl, actions });
  }
  const soapAction = config.soapAction ?? (actions[0] as string);
  if (/["\r\n]/.test(soapAction)) throw new ConfigError(`the WSDL's SOAPAction ${JSON.stringify(soapAction)} cannot be sent in a header; set soapAction`, { wsdl: config.wsdl });
  return { endpoint, soapAction, version };
}

async function readBody(res: FetchResponse, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n > max) return undefined;
    }
  } finally {
    res.body.destroy();
  }
  return Buffer.concat(chunks);
}

/** An error status's body, if it is a SOAP envelope (with or without Fault); undefined otherwise. */
function tryEnvelope(bytes: Buffer, contentType: string | undefined, url: string): SoapMessage | undefined {
  try {
    return readEnvelope(decodeXml(bytes, contentType, url, 'SOAP envelope'), url);
  } catch {
    return undefined;
  }
}

function excerpt(bytes: Buffer | undefined): string {
  return bytes === undefined ? '' : bytes.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim();
}

/** A path from below the Envelope; a leading `Envelope/` step is allowed and dropped. */
export function envelopePath(path: string): CompiledPath {
  const compiled = compilePath(path);
  const first = compiled.steps[0];
  if (first?.kind === 'element' && first.local === 'Envelope' && compiled.steps.length > 1) compiled.steps.shift();
  return compiled;
}

/** Reads the first value at a paging path; the page's problem if absent. */
function pagingValue(msg: SoapMessage, path: CompiledPath, ns: Namespaces): string | undefined {
  return selectValues(msg.envelope, path, ns)[0];
}

/**
 * Decides whether another page follows; PagingError when the response cannot say. `ctx.total`
 * receives the record total the page gives (`total` mode).
 */
function nextPageFollows(
  config: SoapConfig,
  msg: SoapMessage,
  paths: { total?: CompiledPath; hasMore?: CompiledPath },
  ctx: { pageNo: number; index: number; count: number; endpoint: string; total?: number },
  problems: RecordProblem[],
): boolean {
  const { paging, pageSize } = config;
  switch (paging.mode) {
    case 'none':
      return false;
    case 'emptyPage':
      return ctx.count > 0;
    case 'total': {
      const raw = pagingValue(msg, paths.total as CompiledPath, config.namespaces);
      const total = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(total)) {
        throw new PagingError(`page ${ctx.pageNo} from ${ctx.endpoint} gives no record total at ${paging.totalPath} (found ${raw === undefined ? 'nothing' : JSON.stringify(raw)}); cannot tell whether more pages follow`, { pageNo: ctx.pageNo, totalPath: paging.totalPath });
      }
      ctx.total = total;
      const after = (ctx.index + 1) * pageSize;
      if (after < total && ctx.count < pageSize) {
        // Offsets assume full pages: a service that caps its page size would make us skip records.
        throw new PagingError(
          `page ${ctx.pageNo} from ${ctx.endpoint} holds ${ctx.count} records, fewer than pageSize ${pageSize}, although the total is ${total}: the service seems to cap its page size (set pageSize to at most ${ctx.count || 1})`,
          { pageNo: ctx.pageNo, count: ctx.count, pageSize, total },
        );
      }
      return after < total;
    }
    case 'hasMore': {
      const raw = pagingValue(msg, paths.hasMore as CompiledPath, config.namespaces)?.toLowerCase();
      if (raw === 'true' || raw === '1') {
        if (ctx.count < pageSize) {
          problems.push({ severity: 'warning', code: 'short_page', message: `page ${ctx.pageNo} holds ${ctx.count} records, fewer than pageSize ${pageSize}, yet says more follow: if the service caps its page size, records are skipped` });
        }
        return true;
      }
      if (raw === 'false' || raw === '0') return false;
      throw new PagingError(`page ${ctx.pageNo} from ${ctx.endpoint} says neither true nor false at ${paging.hasMorePath} (found ${raw === undefined ? 'nothing' : JSON.stringify(raw)}); cannot tell whether more pages follow`, { pageNo: ctx.pageNo, hasMorePath: paging.hasMorePath });
    }
  }
}

/** A page's answer, its body not yet read (it is parsed as it arrives). */
type SoapPage = FetchedPage;

/**
 * POSTs the envelope for page `ordinal` and reads the whole answer. An error status is read as a
 * Fault when it holds one, else fails with its status.
 * @throws SoapFaultError, FetchStatusError, and the fetch errors.
 */
async function requestPage(opts: HarvestOptions, config: SoapConfig, target: SoapTarget, ordinal: number, pageNo: number, signal: AbortSignal | undefined): Promise<SoapPage> {
  const index = ordinal - 1;
  const values = { ...config.params, page: String(config.firstPage + index), pageSize: String(config.pageSize), offset: String(index * config.pageSize) };
  const res = await fetchPage({
    url: target.endpoint,
    http: opts.http,
    method: 'POST',
    body: renderEnvelope(config.envelope, values, target.version),
    headers: soapHeaders(target.version, target.soapAction),
    accept: ACCEPT,
    acceptStatuses: FAULT_STATUSES,
    ...(signal !== undefined && { signal }),
  });
  if (res.status >= 400) {
    const bytes = await readBody(res, Math.min(MAX_FAULT_BYTES, opts.http.maxBytes));
    const env = bytes === undefined ? undefined : tryEnvelope(bytes, res.contentType, res.url);
    const fault = env === undefined ? undefined : findFault(env.body);
    if (fault !== undefined) throw new SoapFaultError(res.url, fault, { httpStatus: res.status, pageNo });
    const bodyExcerpt = excerpt(bytes);
    throw new FetchStatusError(res.url, res.status, { ...(bodyExcerpt !== '' && { bodyExcerpt }) });
  }
  // A read-ahead body may be aborted before anyone reads it: its error must not go unhandled.
  // Whoever reads the body still sees the error (the async iterator listens on its own).
  res.body.on('error', () => undefined);
  return { res, body: res.body };
}

/** Bytes parsed between two turns of the event loop given back to the process. */
const YIELD_EVERY_BYTES = 256 * 1024;

const duplicateMessage = (id: string) => `a record with identifier ${JSON.stringify(id)} was already read in this harvest; this one was skipped`;

/**
 * Whether the page after page `ordinal` can be asked before page `ordinal` is parsed, from what
 * earlier pages said: by the last record total seen (`total` mode), always while the pages are
 * full (`emptyPage`: a short page announces the empty one that ends the listing), always for
 * `hasMore`. A guess only: the page's own answer decides, and a wrong guess is aborted.
 */
function nextPageLikely(config: SoapConfig, ordinal: number, knownTotal: number | undefined, previousShort: boolean): boolean {
  switch (config.paging.mode) {
    case 'none':
      return false;
    case 'total':
      return knownTotal !== undefined && ordinal * config.pageSize < knownTotal;
    case 'emptyPage':
      return !previousShort;
    case 'hasMore':
      return true;
  }
}

/**
 * Diagnostics channel (`node:diagnostics_channel`) published on synchronously just before
 * (`phase: 'start'`) and just after (`'end'`) each page's envelope is parsed, with `{ pageNo,
 * phase }`: for timing the parse against the requests in flight. Nothing is published without
 * a subscriber.
 */
export const SOAP_PARSE_CHANNEL = 'hasad:soap:parse';
const parseChannel = channel(SOAP_PARSE_CHANNEL);

/**
 * Harvests a SOAP service page by page: POSTs the envelope template with the page's
 * `{{page}}`/`{{offset}}`, reads the records at `recordPath`, and yields record batches and,
 * after each page's batches, a page event the caller checkpoints on. One page of read-ahead:
 * when earlier pages make the next one predictable (the last record total says it exists; in
 * `emptyPage` mode while pages are full; always in `hasMore` mode), it is requested as soon as
 * this page's answer has arrived, before this page is parsed, so the service works while we parse;
 * otherwise once this page says another follows, while its records are mapped and consumed. A
 * speculative page this page turns out not to announce (empty page, hasMore false, a smaller
 * total, a Fault or error here) is aborted and never yielded. The read-ahead page is only ever
 * yielded after the page before it, so checkpoints stay in order; its errors (a Fault included)
 * surface when the harvest reaches it, and it is abandoned (request aborted) when the harvest
 * stops first. Page URLs are synthetic
 * (`<endpoint>#page=N`, see {@link soapPageUrl}); a resume starts at the page `start.url` names.
 *
 * @throws SoapFaultError (`soap_fault`, permanent) for a Fault, with HTTP 200, 400 or 500;
 *   PagingError when the response cannot say whether more pages follow, when a page repeats the
 *   previous one (the service ignores the page parameter), or past `maxPages`; ParseError and the
 *   fetch errors of the page being read.
 */
export function harvestSoap(opts: HarvestOptions, config: SoapConfig): AsyncGenerator<HarvestEvent> {
  const batchSize = batchSizeOf(opts);
  const mapping: CompiledMapping = compileMapping(config);
  const recordPath = envelopePath(config.recordPath);
  const paths = {
    ...(config.paging.mode === 'total' && { total: envelopePath(config.paging.totalPath) }),
    ...(config.paging.mode === 'hasMore' && { hasMore: envelopePath(config.paging.hasMorePath) }),
  };
  let target: SoapTarget = { endpoint: '', soapAction: '', version: '1.1' };
  let pager: PagerContext = { visited: new Set(), maxPages: 0 };
  const seen = new Set<string>();
  let previousIds: string | undefined;
  let previousShort = false;
  /** The record total the last page gave (`total` mode): what the next page is guessed from. */
  let knownTotal: number | undefined;
  let ahead: ReadAhead<SoapPage> | undefined;
  /**
   * Records of the pages read before the one being read, and of that page (its pageSize until it
   * is read): with `recordLimit`, no page is asked ahead that the caller will not reach.
   */
  let recordsRead = 0;
  let recordsBefore = 0;
  let recordsInPage = 0;
  /** Whether page `next` (ordinal, page number) may be asked at all: not read yet, within maxPages, within the caller's record limit. */
  const mayAsk = (next: number, nextPageNo: number) =>
    nextPageNo <= pager.maxPages && !pager.visited.has(soapPageUrl(target.endpoint, next)) && (opts.recordLimit === undefined || recordsBefore + recordsInPage < opts.recordLimit);
  const askNext = (next: number, nextPageNo: number): ReadAhead<SoapPage> => askAhead(next, opts.signal, (signal) => requestPage(opts, config, target, next, nextPageNo, signal));
  /** The page ordinal a checkpoint URL names (every URL here was built by soapPageUrl). */
  const ordinalOf = (page: PageRef) => pageOrdinalOf(page.url) ?? page.pageNo;

  return runPager<SoapPage>(opts, {
    noun: 'service',
    async open(start, ctx) {
      pager = ctx;
      target = await resolveTarget(opts, config);
      // The checkpoint's fragment names the page to ask for; a fresh run starts at the source URL.
      const ordinal = (opts.start === undefined ? undefined : pageOrdinalOf(opts.start.url)) ?? start.pageNo;
      return { start: { pageNo: start.pageNo, url: soapPageUrl(target.endpoint, ordinal) } };
    },
    async fetch(page) {
      const ordinal = ordinalOf(page);
      const readAhead = claimReadAhead(ahead, ordinal);
      ahead = undefined;
      return readAhead ?? requestPage(opts, config, target, ordinal, page.pageNo, opts.signal);
    },
    close() {
      // Stopped before reaching the read-ahead page (an error, the consumer left): drop it.
      if (ahead !== undefined) dropReadAhead(ahead);
      ahead = undefined;
    },
    async *read(page, { res, body }): AsyncGenerator<MappedBatch, PageOutcome> {
      const { pageNo, url } = page;
      const ordinal = ordinalOf(page);
      const index = ordinal - 1;
      recordsBefore = recordsRead;
      recordsInPage = config.pageSize;
      // Speculative read-ahead: when earlier pages make the next one likely, ask for it before
      // this one is parsed, so the service works on it during the parse as well.
      if (ahead === undefined && mayAsk(ordinal + 1, pageNo + 1) && nextPageLikely(config, ordinal, knownTotal, previousShort)) {
        ahead = askNext(ordinal + 1, pageNo + 1);
        // The parse below holds the thread: let the request reach the socket first.
        await untilWritten('POST', target.endpoint, ahead.page);
      }

      const limits = { ...DEFAULT_SOAP_LIMITS, ...opts.http.soapLimits };
      const collector = new BatchCollector(batchSize, seen);
      const ready: MappedBatch[] = [];
      const ids: string[] = [];
      let identified = false;
      const take = (result: RecordMapResult) => {
        ids.push(result.identifier ?? '');
        if (result.identifier !== undefined) identified = true;
        const full = collector.add(result, duplicateMessage);
        if (full !== undefined) ready.push(full);
      };
      const held: XNode[] | undefined = mapping.unsettledDates.length > 0 ? [] : undefined;
      // Records are mapped as their element closes, inside sax's callbacks, and handed on per chunk.
      const stream = new EnvelopeStream({
        source: res.url,
        recordPath,
        keepPaths: [paths.total, paths.hasMore].filter((p): p is CompiledPath => p !== undefined),
        namespaces: config.namespaces,
        limits,
        // An xsi:nil record element says there is no record there (as selectNodes does for kept ones).
        // While a date field's day/month order is unsettled, the page's records wait to be mapped
        // until the page has shown its dates (settleDateOrders).
        onRecord: (node) => {
          if (isNil(node)) return;
          if (held !== undefined) held.push(node);
          else take(mapRecord(node, mapping));
        },
      });
      let decoder: ReturnType<typeof streamDecoder> | undefined;
      let head: Buffer[] = [];
      let headBytes = 0;
      let total = 0;
      let lastTurn = 0;
      const start = () => {
        const first = Buffer.concat(head);
        head = [];
        if (/html/i.test(res.contentType ?? '') && !/^\s*(<\?xml[^>]*>\s*)?<([\w.-]+:)?Envelope[\s>]/.test(first.subarray(0, 512).toString('latin1'))) {
          // A portal's login or error page: say so rather than report where the HTML is not XML.
          throw new ParseError(res.url, 'SOAP envelope', `the service answered ${res.contentType}, not a SOAP envelope: ${excerpt(first)}`);
        }
        if (parseChannel.hasSubscribers) parseChannel.publish({ pageNo, phase: 'start' });
        decoder = streamDecoder(first, res.contentType, res.url);
        stream.write(decoder.decode(first.subarray(decoder.skip)));
      };
      try {
        for await (const chunk of body) {
          const buf = chunk as Buffer;
          total += buf.length;
          if (total > limits.maxBodyBytes) {
            throw new LimitExceededError(res.url, 'SOAP envelope', SOAP_LIMIT_SETTINGS.maxBodyBytes, limits.maxBodyBytes, `the answer runs past ${limits.maxBodyBytes} bytes`);
          }
          if (decoder === undefined) {
            head.push(buf);
            headBytes += buf.length;
            // Enough to tell an HTML page and the encoding apart.
            if (headBytes >= 512) start();
          } else stream.write(decoder.decode(buf));
          while (ready.length > 0) yield ready.shift() as MappedBatch;
          // Chunks already buffered are iterated without a turn of the event loop: give the
          // rest of the process (the API's /healthz, other harvests) one every 256 KiB parsed.
          if (total - lastTurn >= YIELD_EVERY_BYTES) {
            lastTurn = total;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        }
        if (decoder === undefined) start();
        if (decoder !== undefined) stream.write(decoder.end());
      } finally {
        body.destroy();
      }
      const msg: SoapMessage = stream.end();
      if (parseChannel.hasSubscribers) parseChannel.publish({ pageNo, phase: 'end' });
      const fault = findFault(msg.body);
      if (fault !== undefined) throw new SoapFaultError(res.url, fault, { httpStatus: res.status, pageNo });
      // Records reached through references or escaped XML, and those holding references, were kept for now.
      const kept: XNode[] = selectNodes(msg.envelope, recordPath, config.namespaces);
      if (ids.length + (held?.length ?? 0) + kept.length > limits.maxRecords) {
        throw new LimitExceededError(res.url, 'SOAP envelope', SOAP_LIMIT_SETTINGS.maxRecords, limits.maxRecords, `more than ${limits.maxRecords} record elements at ${config.recordPath}`);
      }
      const problems: RecordProblem[] = [];
      if (held !== undefined) {
        problems.push(...settleDateOrders([...held, ...kept], mapping));
        for (const n of held) take(mapRecord(n, mapping));
      }
      for (const n of kept) take(mapRecord(n, mapping));
      const count = ids.length;
      recordsInPage = count;
      recordsRead = recordsBefore + count;

      if (msg.version !== undefined && msg.version !== target.version) {
        problems.push({ severity: 'info', code: 'soap_version', message: `asked in SOAP ${target.version}, the service answered in SOAP ${msg.version}` });
      }
      if (config.paging.mode === 'emptyPage' && previousShort && count > 0) {
        problems.push({ severity: 'warning', code: 'short_page', message: `page ${pageNo - 1} held fewer than pageSize ${config.pageSize} records, yet page ${pageNo} is not empty: if the service caps its page size, records are skipped` });
      }
      previousShort = count < config.pageSize;

      const decided: { pageNo: number; index: number; count: number; endpoint: string; total?: number } = { pageNo, index, count, endpoint: target.endpoint };
      const more = nextPageFollows(config, msg, paths, decided, problems);
      if (decided.total !== undefined) knownTotal = decided.total;
      // A next page already read is dropped by the pager (paging_loop); it is never asked ahead.
      const nextUrl = more ? soapPageUrl(target.endpoint, ordinal + 1) : undefined;
      if (nextUrl !== undefined && mayAsk(ordinal + 1, pageNo + 1)) {
        // Read-ahead: the next page travels while this one is mapped and handed on (it may
        // already be on its way, asked before the parse).
        ahead ??= askNext(ordinal + 1, pageNo + 1);
      } else if (ahead !== undefined) {
        // This page is the last after all (empty, hasMore false, a smaller total): the page
        // asked on speculation does not exist for this run.
        dropReadAhead(ahead);
        ahead = undefined;
      }

      const joined = ids.join('\n');
      if (previousIds !== undefined && identified && joined === previousIds && config.paging.mode !== 'none') {
        throw new PagingError(`page ${pageNo} from ${target.endpoint} lists the same records as the page before: the service seems to ignore {{page}}/{{offset}}`, { pageNo, url });
      }
      previousIds = joined;

      yield* ready;
      const rest = collector.flush();
      if (rest !== undefined) yield rest;
      if (count === 0 && !(config.paging.mode === 'emptyPage' && pageNo > 1)) {
        const found = msg.body.children.map((c) => `<${c.name}>`).join(', ') || 'nothing';
        problems.push({ severity: 'warning', code: 'no_datasets', message: `no record at ${config.recordPath} on page ${pageNo} (the Body holds ${found})` });
      }
      return {
        ...(nextUrl !== undefined && { nextUrl }),
        problems,
        format: `soap-${msg.version ?? target.version}`,
        // Paged until an empty page: that page is the listing's end, not a page that lost its records.
        ...(count === 0 && config.paging.mode === 'emptyPage' && { endOfListing: true }),
      };
    },
  });
}
