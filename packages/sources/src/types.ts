import type { CswLimits } from './adapters/csw/client.ts';
import type { SoapLimits } from './adapters/soap/stream.ts';
import type { CanonicalDataset, ParseLimits, RecordProblem } from '@hasad/core';
import type { ParsePool } from './isolation/parse-pool.ts';
import type { PackedRecord } from './adapters/shared/batches.ts';

/** What the previous successful run learnt about one page URL, used for conditional requests. */
export interface PageValidators {
  etag?: string | null;
  lastModified?: string | null;
  /** The next page's URL as that page gave it (needed to go on after a 304 without parsing). */
  nextUrl?: string | null;
  /** Hash of the page's body as last read (see PageEvent.bodyHash). */
  bodyHash?: string | null;
}

/**
 * Requests to one host, across every worker that shares the limiter: how many at once, how many
 * started per second, and whether the host asked to be left alone (Retry-After). The HTTP
 * client holds a slot from the request until the response body is read or dropped.
 * `@hasad/sources` ships an in-process one ({@link createLocalHostLimiter}); `@hasad/queues` one
 * that shares its state through Redis, for several fetcher processes.
 */
export interface HostLimiter {
  /**
   * Waits for a slot for `host` (`name:port`, lower case). Resolves to `ok: false` instead when
   * the host asked not to be contacted for longer than the limiter is willing to wait inline.
   * Rejects with the signal's reason when `signal` aborts.
   */
  acquire(host: string, signal?: AbortSignal): Promise<HostPermit>;
  /** Records that `host` asked (429/503 Retry-After) not to be contacted for `ms` milliseconds. */
  backOff(host: string, ms: number): Promise<void>;
}

/** The answer of {@link HostLimiter.acquire}. `release` may be called more than once. */
export type HostPermit = { ok: true; release: () => void } | { ok: false; retryAfterMs: number };

/** Outgoing HTTP settings, shared by every adapter. */
export interface HttpOptions {
  /** Allow loopback, private, link-local and unique-local addresses (dev, demo, tests only). */
  allowPrivateHosts: boolean;
  /**
   * Exceptions to the address rules (dev, tests): host names, IP addresses or CIDR blocks,
   * optionally with `:port`, e.g. `127.0.0.1:8080`, `[::1]`, `10.0.0.0/8`. Default none.
   */
  allowHosts?: readonly string[];
  userAgent: string;
  /** Default of `headersTimeoutMs` and `bodyTimeoutMs`, in milliseconds. */
  timeoutMs: number;
  /** Time allowed to open a connection (TCP and TLS), in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Time allowed for the response headers once the request is sent, in ms. Default `timeoutMs`. */
  headersTimeoutMs?: number;
  /** Longest silence between two chunks of the response body, in ms. Default `timeoutMs`. */
  bodyTimeoutMs?: number;
  /**
   * Overall time for one page, from its first request (redirects included) to the last byte of
   * its body, in ms. Catches a server that trickles bytes too slowly for the idle timeout to fire.
   * Default 600 000.
   */
  deadlineMs?: number;
  /**
   * Slowest transfer rate accepted while a body is read, in bytes per second (0: no floor),
   * measured over `rateWindowMs` of waiting for the network (time the reader is not asking for
   * bytes does not count). Slower: the body fails with `too_slow`. Default none.
   */
  minBytesPerSecond?: number;
  /** The window of the rate floor, in ms. Default 30 000. */
  rateWindowMs?: number;
  /** Largest body accepted, in bytes, counted after content decoding. */
  maxBytes: number;
  /**
   * Hard limits on one SOAP answer, parsed as a stream (`HASAD_SOAP_MAX_*`); default
   * `DEFAULT_SOAP_LIMITS`. Going past one fails the page with `limit_exceeded`.
   */
  soapLimits?: Partial<SoapLimits>;
  /**
   * Hard limits on one CSW answer, read as a stream (`HASAD_CSW_MAX_*`); default
   * `DEFAULT_CSW_LIMITS`. Going past one fails the page with `limit_exceeded`.
   */
  cswLimits?: Partial<CswLimits>;
  /** Redirects followed at most (each hop is re-checked against the address policy). */
  maxRedirects: number;
  /** Per-host politeness shared across workers. Default: an in-process limiter with the two limits below. */
  hostLimiter?: HostLimiter;
  /** Requests in flight to one host at once, for the default limiter. Default 2. */
  hostConcurrency?: number;
  /** Requests started per second to one host, for the default limiter. Default 5. */
  hostRequestsPerSecond?: number;
}

export interface HarvestOptions {
  /** The source's URL (first page). */
  url: string;
  /** Where to resume: the page number and URL of the first page not yet done. Default: page 1 at `url`. */
  start?: { pageNo: number; url: string };
  /** Page URLs already done in this run (loop guard that survives a resume). */
  visited?: string[];
  /** Validators stored by the previous successful run for a page URL; `undefined` means fetch unconditionally. */
  validators?: (url: string) => Promise<PageValidators | undefined>;
  /**
   * Start of the source's last complete run (every page read; ended succeeded, unchanged or
   * needs_review), ISO 8601. Incremental adapters list only what changed since.
   */
  lastCompleteRunAt?: string;
  /**
   * Runs of the source that ended (succeeded, unchanged or needs_review) with a partial listing
   * since `lastCompleteRunAt` (all of them when there is none): an incremental adapter's count
   * towards its next scheduled full listing.
   */
  runsSinceLastCompleteRun?: number;
  /** Records per batch (default 1000). */
  batchSize?: number;
  /** Pages at most (loop guard; default 10 000). Past it the run fails with `page_limit_exceeded`. */
  maxPages?: number;
  /**
   * Records the caller will take before it stops (a preview's limit). Adapters that ask pages ahead
   * (CSW, SOAP) ask none once the pages read or being read hold that many: a preview of the first
   * 20 records costs the institution's service one page, not three. A page still needed (records
   * invalid or repeated) is asked at its turn. Default none.
   */
  recordLimit?: number;
  /**
   * Time the harvest may spend fetching and parsing, in ms: counted only while the adapter works,
   * not while the caller handles what it yielded. Past it the harvest fails with
   * `run_budget_exceeded`. Default none.
   */
  runBudgetMs?: number;
  http: HttpOptions;
  signal?: AbortSignal;
  /** Parsing limits (docs/limits.md); defaults for the ones not given. A pool's own limits win for the pages it reads. */
  limits?: Partial<ParseLimits>;
  /**
   * Worker threads to parse pages in, under the pool's heap and CPU limits. Without one, pages
   * are parsed in the caller's thread with the streaming guards only (tests, the CLI).
   */
  parsePool?: ParsePool;
  /**
   * Measurement only (HASAD_BENCH_SKIP_SOURCE_DESCRIPTION): `false` harvests DCAT datasets without
   * their kept source description, so that the bench can tell what keeping it costs. Default true.
   */
  keepSourceDescription?: boolean;
}

/** HarvestOptions with the source's config as stored, not yet parsed (see {@link harvestWithConfig}). */
export interface ConfiguredHarvestOptions extends HarvestOptions {
  config: unknown;
}

/** A batch of normalised records from one page. A big page yields several batches. */
export interface BatchEvent {
  type: 'batch';
  pageNo: number;
  url: string;
  /** 0-based index of this batch within its page. */
  batchNo: number;
  records: CanonicalDataset[];
  /**
   * Problems found in this batch. A record with an `error` problem is not in `records`;
   * `invalidIdentifiers` lists the identifiers of such records when they were known (they are
   * still "seen": an invalid record is never a reason to withdraw the dataset).
   */
  problems: RecordProblem[];
  invalidIdentifiers: string[];
  /** Each record's hash and compressed description, when a parsing worker packed them (see MappedBatch). */
  packed?: PackedRecord[];
}

/** Emitted after every batch of a page (or for a 304, alone). */
export interface PageEvent {
  type: 'page';
  pageNo: number;
  url: string;
  /**
   * True when nothing was parsed because the page is known unchanged: the server answered 304
   * Not Modified, or it sent the same bytes as last time (`bodyHash` equal to the stored one).
   */
  notModified: boolean;
  /**
   * Hash of the body bytes plus the adapter's mapping version, when the body was small enough
   * to hash before parsing. Servers without ETags still get cheap unchanged re-harvests.
   */
  bodyHash?: string;
  etag?: string;
  lastModified?: string;
  /** The next page, or undefined on the last page. */
  nextUrl?: string;
  batchCount: number;
  recordCount: number;
  bytes: number;
  /**
   * 'partial': this run's listing is not the whole source (an incremental run, or a listing
   * cut short); the run must not withdraw what it did not see.
   */
  listing?: 'partial';
  /** The RDF syntax (or other format) the page was read as. */
  format?: string;
  /**
   * Page-level warnings (not tied to one record), e.g. `paging_loop` when the next link points to
   * a page already read, `invalid_next_url`, `no_datasets`. They never fail the run.
   */
  problems?: RecordProblem[];
}

export type HarvestEvent = BatchEvent | PageEvent;

/**
 * One adapter per source kind: URL + config in, normalised records out. No database, no queue.
 * The caller parses the source's config once with `parseConfig` and hands the result to
 * `harvest` and `describeMapping`.
 */
export interface SourceAdapter<Config = unknown> {
  kind: string;
  /**
   * The top-level config keys that decide where Hasad connects (an endpoint, a WSDL, a base
   * URL, anything that moves requests to another host or path). A change to one of them sends
   * an approved source back to review, like a change of `url` (`changedNetworkFields`). Every
   * adapter declares its list, empty when the source's `url` is the only address it uses.
   */
  networkFields: readonly string[];
  /** Checks a source config, throwing ConfigError that names every bad field. Returns the parsed config. */
  parseConfig(config: unknown): Config;
  /**
   * Harvests the source with a config `parseConfig` returned. Checks that need no network (the
   * source URL's form) throw here, before the first request.
   */
  harvest(opts: HarvestOptions, config: Config): AsyncGenerator<HarvestEvent>;
  /**
   * The mapping a config makes the adapter use, as info notes (preview shows them first). Only
   * for mappings known from the config alone: an adapter whose mapping depends on the data (CSV,
   * by its header) reports it in its first batch instead.
   */
  describeMapping?(config: Config): RecordProblem[];
}
