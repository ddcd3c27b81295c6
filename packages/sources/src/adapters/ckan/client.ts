import { ConfigError, PagingError } from '@hasad/core';
import type { RecordProblem } from '@hasad/core';
import { parseLimitError } from '../../parse-guards.ts';
import { batchSizeOf, parseLimitsOf, runPager } from '../../pager.ts';
import type { PageOutcome } from '../../pager.ts';
import type { HarvestEvent, HarvestOptions, PageEvent } from '../../types.ts';
import type { MappedBatch } from '../shared/batches.ts';
import type { CkanConfig } from './config.ts';
import { mapPackages } from './map.ts';
import type { CkanMapContext } from './map.ts';
import { explainStatusError, readCkanPage } from './parse.ts';
import { isObject, text } from './values.ts';

/** HarvestOptions plus what only the CKAN adapter reads. */
export interface CkanHarvestOptions extends HarvestOptions {
  /** The current time, ms since the epoch, for the `fullEveryHours` schedule. Default `Date.now()`. */
  now?: number;
}

/**
 * A CKAN page event. `listing: 'partial'` says the run's listing is not the whole source, so the
 * run must not withdraw datasets it did not list: every page of an incremental run, and from the
 * page where it shows, a listing cut short (a portal ignoring `start`, an empty page before the
 * count, a count that fell while paging — a deletion shifts the later pages back by one, so one
 * package goes unread).
 */
export type CkanPageEvent = PageEvent & { listing?: 'partial' };

const ACCEPT = 'application/json';
/**
 * How far an incremental run's "since" is moved back from the last complete run's start, in
 * milliseconds: it covers clock skew between the portal and us and packages saved while that run
 * was listing. Re-reading an hour of changes is cheap; missing one is not.
 */
export const INCREMENTAL_OVERLAP_MS = 60 * 60 * 1000;

// `/api/3/action/package_search`, `/api/action/package_show`, `/api/3`, `/api`: the portal is what precedes.
const API_SUFFIX = /\/api(?:\/\d+)?(?:\/action(?:\/[^/]*)?)?\/*$/;

/**
 * The portal's base URL from a source URL: `https://data.gov.ma/data`,
 * `https://data.gov.ma/data/` and `https://data.gov.ma/data/api/3/action/package_search?...` all
 * give `https://data.gov.ma/data`. Credentials, query and fragment are dropped (record URIs are
 * built from the base and must not carry secrets; filters belong in `config.fq`).
 * @throws ConfigError for a URL that is not absolute http(s).
 */
export function portalBase(sourceUrl: string): { portal: string; droppedQuery: boolean } {
  let u: URL;
  try {
    u = new URL(sourceUrl);
  } catch {
    throw new ConfigError(`the ckan source URL ${JSON.stringify(sourceUrl)} is not an absolute URL`, { url: sourceUrl });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`the ckan source URL must be http(s), not ${u.protocol}`, { url: sourceUrl });
  }
  const path = u.pathname.replace(API_SUFFIX, '').replace(/\/+$/, '');
  return { portal: `${u.protocol}//${u.host}${path}`, droppedQuery: u.search !== '' };
}

/** The `package_search` URL of one page. Parameter order is fixed so a page has one URL. */
export function searchUrl(portal: string, p: { rows: number; start: number; sort: string; fq?: string }): string {
  const params = new URLSearchParams([
    ['q', '*:*'],
    ['rows', String(p.rows)],
    ['start', String(p.start)],
    ['sort', p.sort],
  ]);
  if (p.fq !== undefined) params.set('fq', p.fq);
  return `${portal}/api/3/action/package_search?${params.toString()}`;
}

/** `rows` and `start` of a page URL built by {@link searchUrl}, or undefined for any other URL. */
export function pagePosition(url: string): { rows: number; start: number } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!u.pathname.endsWith('/api/3/action/package_search')) return undefined;
  const rows = Number(u.searchParams.get('rows'));
  const start = Number(u.searchParams.get('start'));
  if (!Number.isSafeInteger(rows) || rows < 1 || !Number.isSafeInteger(start) || start < 0) return undefined;
  return { rows, start };
}

function withStart(url: string, start: number): string {
  const u = new URL(url);
  u.searchParams.set('start', String(start));
  return u.href;
}

const INCREMENTAL_CLAUSE = /(?:^|\s\+)metadata_modified:\[\S+ TO \*\]$/;

/** True for a page URL of an incremental listing (the clause {@link incrementalFq} appends). */
function isIncrementalUrl(url: string): boolean {
  return INCREMENTAL_CLAUSE.test(new URL(url).searchParams.get('fq') ?? '');
}

/** The `fq` of an incremental listing: the source's own filter, and modified at or after `since`. */
export function incrementalFq(fq: string | undefined, since: string): string {
  const clause = `metadata_modified:[${since} TO *]`;
  return fq === undefined ? clause : `+(${fq}) +${clause}`;
}

/** What decides whether an incremental source's run is full: the fetcher's view of the source's runs. */
export interface IncrementalHistory {
  /** Start of the last complete (full, error-free) run, ISO 8601. */
  lastCompleteRunAt?: string | undefined;
  /** Incremental runs ended since that run. */
  runsSinceLastCompleteRun?: number | undefined;
  /** Now, ms since the epoch. */
  now: number;
}

/**
 * Why this run of an incremental source must be a full listing under `fullEveryHours` /
 * `fullEveryRuns`, or undefined when it may be incremental (or neither is set).
 */
export function fullRunDue(config: CkanConfig, h: IncrementalHistory): string | undefined {
  const inc = config.incremental;
  if (inc?.enabled !== true || (inc.fullEveryHours === undefined && inc.fullEveryRuns === undefined)) return undefined;
  const last = h.lastCompleteRunAt === undefined ? Number.NaN : Date.parse(h.lastCompleteRunAt);
  if (Number.isNaN(last)) return 'the source has no complete run yet';
  if (inc.fullEveryHours !== undefined && h.now - last >= inc.fullEveryHours * 3_600_000) {
    return `the last complete run started ${new Date(last).toISOString()}, at least ${inc.fullEveryHours} h ago (incremental.fullEveryHours)`;
  }
  const runs = h.runsSinceLastCompleteRun ?? 0;
  if (inc.fullEveryRuns !== undefined && runs + 1 >= inc.fullEveryRuns) {
    return `${runs} incremental run(s) since the last complete run: one run in ${inc.fullEveryRuns} is full (incremental.fullEveryRuns)`;
  }
  return undefined;
}

/**
 * The instant an incremental run lists from: the later of `incremental.since` and the last
 * complete run's start less {@link INCREMENTAL_OVERLAP_MS}, in Solr's UTC form. Undefined for a
 * full run: not incremental, nothing to start from, or a full listing due by
 * `fullEveryHours`/`fullEveryRuns` (with an info problem saying why).
 */
export function incrementalSince(config: CkanConfig, history: IncrementalHistory, problems: RecordProblem[]): string | undefined {
  if (config.incremental?.enabled !== true) return undefined;
  const { lastCompleteRunAt } = history;
  const due = fullRunDue(config, history);
  if (due !== undefined) {
    problems.push({
      severity: 'info',
      code: 'incremental_full_run',
      message: `scheduled full listing of an incremental source: ${due}; packages deleted from the portal are withdrawn by this run`,
    });
    return undefined;
  }
  const instants: number[] = [];
  if (config.incremental.since !== undefined) instants.push(Date.parse(config.incremental.since));
  if (lastCompleteRunAt !== undefined) {
    const t = Date.parse(lastCompleteRunAt);
    if (Number.isNaN(t)) {
      problems.push({ severity: 'warning', code: 'invalid_last_run', message: `lastCompleteRunAt ${JSON.stringify(lastCompleteRunAt)} is not a date; ignored` });
    } else {
      instants.push(t - INCREMENTAL_OVERLAP_MS);
    }
  }
  const valid = instants.filter((t) => !Number.isNaN(t));
  if (valid.length === 0) {
    problems.push({
      severity: 'info',
      code: 'incremental_full_run',
      message: 'incremental harvesting is on, but there is no previous complete run and no incremental.since: listing every package',
    });
    return undefined;
  }
  return new Date(Math.max(...valid)).toISOString();
}

/** Where the next page starts, and why paging stops or looks odd. Pure: the paging rules in one place. */
export function nextStart(p: { start: number; rows: number; returned: number; count?: number }): { next?: number; problem?: RecordProblem } {
  if (p.returned === 0) {
    if (p.count !== undefined && p.start < p.count) {
      return { problem: { severity: 'warning', code: 'short_page', message: `the page at start=${p.start} is empty although the portal counts ${p.count} packages; paging stopped` } };
    }
    return {};
  }
  const next = p.start + p.returned;
  if (p.count === undefined) return p.returned < p.rows ? {} : { next };
  if (next >= p.count) return {};
  if (p.returned < p.rows) {
    // A portal whose ckan.search.rows_max is below `rows` answers short pages: stopping here
    // would silently drop the rest of the catalogue, so go on from what was actually returned.
    return {
      next,
      problem: {
        severity: 'warning',
        code: 'short_page',
        message: `the portal returned ${p.returned} packages for rows=${p.rows} at start=${p.start} although it counts ${p.count}; it may cap rows (ckan.search.rows_max): lower config.rows`,
      },
    };
  }
  return { next };
}

const packageKey = (pkg: unknown): string | undefined => (isObject(pkg) ? (text(pkg['id']) ?? text(pkg['name'])) : undefined);

/**
 * Harvests a CKAN portal through `package_search`, page by page (`rows`/`start`, stable sort),
 * yielding record batches and, after each page's batches, a page event whose `nextUrl` is the
 * next page's real URL — the fetcher checkpoints on it and resumes a crashed run with
 * `start: {pageNo, url: nextUrl}`; the resumed run keeps that URL's rows, sort and filter.
 *
 * Paging stops when a page is empty, when `start` reaches the portal's count, when a page without
 * count (DKAN) holds fewer than `rows` packages, or when a page repeats the previous one (same
 * first and last package: the portal ignores `start`) — the last with a `paging_loop` warning.
 *
 * @throws PagingError past `maxPages`; CkanApiError for `success: false`; ParseError for an
 *   answer that is not a CKAN envelope; fetch errors from the page being read.
 */
export function harvestCkan(opts: CkanHarvestOptions, config: CkanConfig): AsyncGenerator<HarvestEvent> {
  const batchSize = batchSizeOf(opts);
  const { portal, droppedQuery } = portalBase(opts.url);
  const ctx: CkanMapContext = { portal, language: config.language, dateOrder: { settled: false } };
  let incremental = false;
  let previous: { first: string | undefined; last: string | undefined } | undefined;
  let knownCount: number | undefined;

  return runPager(opts, {
    noun: 'portal',
    get: { accept: ACCEPT },
    explainError: explainStatusError,
    open(start) {
      const problems: RecordProblem[] = [];
      let url: string;
      if (start.url !== opts.url && pagePosition(start.url) !== undefined) {
        // A resumed run goes on with its own page URLs: same rows, sort and (incremental) filter.
        url = start.url;
      } else {
        if (start.url !== opts.url) {
          problems.push({ severity: 'warning', code: 'invalid_resume_url', message: `the resume URL ${start.url} is not a package_search page of this source; listing again from the start` });
        }
        if (droppedQuery) {
          problems.push({ severity: 'warning', code: 'source_url_query_ignored', message: `the query of the source URL ${opts.url} is ignored: filters go in config.fq` });
        }
        const since = incrementalSince(config, { lastCompleteRunAt: opts.lastCompleteRunAt, runsSinceLastCompleteRun: opts.runsSinceLastCompleteRun, now: opts.now ?? Date.now() }, problems);
        const fq = since === undefined ? config.fq : incrementalFq(config.fq, since);
        if (since !== undefined) {
          problems.push({
            severity: 'info',
            code: 'incremental_listing',
            message: `incremental harvest: only packages modified since ${since} are listed; this listing is partial and must not withdraw what it does not list`,
          });
        }
        url = searchUrl(portal, { rows: config.rows, start: 0, sort: config.sort, ...(fq !== undefined && { fq }) });
      }
      incremental = isIncrementalUrl(url);
      return { start: { pageNo: start.pageNo, url }, problems };
    },
    nextAfterUnchanged(stored, { url }, problems) {
      previous = undefined;
      if (stored !== undefined && pagePosition(stored) === undefined) {
        problems.push({ severity: 'warning', code: 'invalid_next_url', message: `the next page stored for ${url} (${stored}) is not a package_search page URL; paging stops here` });
        return undefined;
      }
      return stored;
    },
    async *read({ pageNo, url }, { res }): AsyncGenerator<MappedBatch, PageOutcome> {
      const position = pagePosition(url);
      // Every URL here was built by searchUrl (now or by the run being resumed) or vetted.
      if (position === undefined) throw new PagingError(`${url} is not a package_search page URL`, { pageNo, url });
      const limits = parseLimitsOf(opts);
      const parsed = await readCkanPage(res.body, res.url, limits);
      // The whole list is in hand: a page listing too many fails before any of it is mapped.
      if (parsed.results.length > limits.maxRecordsPerPage) {
        throw parseLimitError(res.url, `page ${pageNo}`, 'maxRecordsPerPage', limits.maxRecordsPerPage, `it lists more than ${limits.maxRecordsPerPage} records (${parsed.results.length})`);
      }
      const format = parsed.shape === 'list' ? 'ckan-list' : 'ckan';
      const problems: RecordProblem[] = [];
      let partial = incremental;
      if (parsed.count !== undefined) {
        if (knownCount !== undefined && parsed.count < knownCount) partial = true;
        if (knownCount !== undefined && knownCount !== parsed.count) {
          problems.push({
            severity: 'warning',
            code: 'count_changed',
            message: `the portal's count went from ${knownCount} to ${parsed.count} during the harvest: packages added or removed meanwhile shift the pages, so one may have been missed or read twice (the next run catches up)`,
          });
        }
        knownCount = parsed.count;
      }
      const current = { first: packageKey(parsed.results[0]), last: packageKey(parsed.results.at(-1)) };
      if (parsed.results.length > 0 && previous !== undefined && current.first === previous.first && current.last === previous.last) {
        problems.push({
          severity: 'warning',
          code: 'paging_loop',
          message: `the page at start=${position.start} repeats the previous page (packages ${current.first ?? '?'} to ${current.last ?? '?'}): the portal seems to ignore start; paging stopped at ${url}`,
        });
        return { problems, format, listing: 'partial' };
      }
      previous = current;
      const step = nextStart({ start: position.start, rows: position.rows, returned: parsed.results.length, ...(parsed.count !== undefined && { count: parsed.count }) });
      if (step.problem !== undefined) problems.push(step.problem);
      if (step.next === undefined && step.problem !== undefined) partial = true;
      yield* mapPackages(parsed.results, ctx, batchSize);
      if (parsed.results.length === 0 && position.start === 0) {
        problems.push(
          incremental
            ? { severity: 'info', code: 'no_changes', message: `no package was modified since the last run (${url})` }
            : { severity: 'warning', code: 'no_datasets', message: `the portal listed no packages (${url})` },
        );
      }
      return {
        ...(step.next !== undefined && { nextUrl: withStart(url, step.next) }),
        problems,
        format,
        ...(partial && { listing: 'partial' as const }),
        // Without a count, an empty page after a full one is how the listing ends (DKAN).
        ...(parsed.results.length === 0 && parsed.count === undefined && { endOfListing: true }),
      };
    },
  });
}
