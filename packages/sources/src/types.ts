import type { CanonicalDataset, RecordProblem } from '@hasad/core';

/** What the previous successful run learnt about one page URL, used for conditional requests. */
export interface PageValidators {
  etag?: string | null;
  lastModified?: string | null;
  /** The next page's URL as that page gave it (needed to go on after a 304 without parsing). */
  nextUrl?: string | null;
  /** Hash of the page's body as last read (see PageEvent.bodyHash). */
  bodyHash?: string | null;
}

/** Outgoing HTTP settings, shared by every adapter. */
export interface HttpOptions {
  /** Allow loopback, private, link-local and unique-local addresses (dev, demo, tests only). */
  allowPrivateHosts: boolean;
  userAgent: string;
  /** Timeout for the response headers and between body chunks, in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Redirects followed at most (each hop is re-checked against the address policy). */
  maxRedirects: number;
}

export interface HarvestOptions {
  /** The source's URL (first page). */
  url: string;
  /** Kind-specific source config (the adapter validates it with zod). */
  config: unknown;
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
  /** Records per batch (default 1000). */
  batchSize?: number;
  /** Pages at most (loop guard; default 10 000). */
  maxPages?: number;
  http: HttpOptions;
  signal?: AbortSignal;
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

/** One adapter per source kind: URL + config in, normalised records out. No database, no queue. */
export interface SourceAdapter {
  kind: string;
  /** Checks a source config, throwing ConfigError that names every bad field. Returns the parsed config. */
  parseConfig(config: unknown): unknown;
  harvest(opts: HarvestOptions): AsyncGenerator<HarvestEvent>;
}
