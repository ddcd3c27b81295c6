import { ConfigError, describeError, HasadError, type CanonicalDataset, type ParseLimits, type RecordProblem } from '@hasad/core';
import type { ParsePool } from './isolation/parse-pool.ts';
import { getAdapter } from './adapters/index.ts';
import { defaultHttpOptions } from './http/client.ts';
import type { HttpOptions } from './types.ts';

/** Options for {@link previewSource}. */
export interface PreviewOptions {
  /** Records wanted at most (default 20). */
  limit?: number;
  /** HTTP settings; missing ones come from `defaultHttpOptions` (private hosts refused). */
  http?: Partial<HttpOptions>;
  /** Pages read at most (default 10): a preview must stay quick even on feeds of tiny pages. */
  maxPages?: number;
  signal?: AbortSignal;
  /** Parsing limits (docs/limits.md); defaults for the ones not given. */
  limits?: Partial<ParseLimits>;
  /** Worker threads to parse pages in (the API's), so that no feed can stall the caller's thread. */
  parsePool?: ParsePool;
}

/** What a preview found. */
export interface PreviewResult {
  records: CanonicalDataset[];
  /**
   * Every record and page problem met until the preview stopped, after the notes on the mapping
   * in use: `csv_dialect` and `csv_mapping` (from the header, with the first batch), `soap_mapping`
   * (the compiled field mapping), `ckan_mapping` (the default mapping).
   */
  problems: RecordProblem[];
  /** Identifiers of records left out because of an error problem. */
  invalidIdentifiers: string[];
  /** Pages read (fully or partly). */
  pages: number;
  /**
   * The fetch, parse or paging error that stopped the preview after at least one page was read:
   * the records and problems above are what was read before it (a harvest would fail the run
   * with this error). When the first page fails, previewSource throws instead.
   */
  error?: { code: string; message: string; pageNo: number };
}

/**
 * Runs a source's adapter until `limit` records are found, without database or queue: for the
 * "test this source" button and the CLI. Stopping early closes the connection of the page being read.
 *
 * @throws ConfigError (unknown kind, bad config) and the adapter's fetch/parse errors.
 */
export async function previewSource(kind: string, url: string, config: unknown, opts: PreviewOptions = {}): Promise<PreviewResult> {
  const adapter = getAdapter(kind);
  const limit = Math.max(1, opts.limit ?? 20);
  const result: PreviewResult = { records: [], problems: [], invalidIdentifiers: [], pages: 0 };
  const seenPages = new Set<number>();
  const parsed = adapter.parseConfig(config);
  // Shown whatever the feed answers: the mapping comes from the config alone.
  if (adapter.describeMapping !== undefined) result.problems.push(...adapter.describeMapping(parsed));
  const events = adapter.harvest({
    url,
    http: { ...defaultHttpOptions, ...opts.http },
    // Small batches: mapping stops soon after the limit instead of finishing a 1000-record batch.
    batchSize: Math.min(limit, 1000),
    maxPages: opts.maxPages ?? 10,
    recordLimit: limit,
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.limits !== undefined && { limits: opts.limits }),
    ...(opts.parsePool !== undefined && { parsePool: opts.parsePool }),
  }, parsed);
  let pagesDone = 0;
  try {
    for await (const ev of events) {
      seenPages.add(ev.pageNo);
      if (ev.type === 'batch') {
        result.problems.push(...ev.problems);
        result.invalidIdentifiers.push(...ev.invalidIdentifiers);
        result.records.push(...ev.records.slice(0, limit - result.records.length));
        if (result.records.length >= limit) break;
      } else {
        pagesDone = Math.max(pagesDone, ev.pageNo);
        if (ev.problems !== undefined) result.problems.push(...ev.problems);
      }
    }
  } catch (err) {
    // What the pages before the failing one gave is shown with the error: an operator sees the
    // feed works up to page N, not only that it fails. A config error or a cancelled preview
    // (signal) is not the feed's doing: it is thrown as before, as is a failure of page 1 and
    // anything that is not one of Hasad's errors (a bug).
    if (pagesDone === 0 || !(err instanceof HasadError) || err instanceof ConfigError || opts.signal?.aborted) throw err;
    const { code, message } = describeError(err);
    result.error = { code, message, pageNo: pagesDone + 1 };
  }
  // The failing page was (partly) read too.
  result.pages = Math.max(seenPages.size, result.error?.pageNo ?? 0);
  return result;
}
