import type { CanonicalDataset, RecordProblem } from '@hasad/core';
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
  // Shown whatever the feed answers: the mapping comes from the config alone.
  if (adapter.describeMapping !== undefined) result.problems.push(...adapter.describeMapping(config));
  const events = adapter.harvest({
    url,
    config,
    http: { ...defaultHttpOptions, ...opts.http },
    // Small batches: mapping stops soon after the limit instead of finishing a 1000-record batch.
    batchSize: Math.min(limit, 1000),
    maxPages: opts.maxPages ?? 10,
    ...(opts.signal !== undefined && { signal: opts.signal }),
  });
  for await (const ev of events) {
    seenPages.add(ev.pageNo);
    if (ev.type === 'batch') {
      result.problems.push(...ev.problems);
      result.invalidIdentifiers.push(...ev.invalidIdentifiers);
      result.records.push(...ev.records.slice(0, limit - result.records.length));
      if (result.records.length >= limit) break;
    } else if (ev.problems !== undefined) {
      result.problems.push(...ev.problems);
    }
  }
  result.pages = seenPages.size;
  return result;
}
