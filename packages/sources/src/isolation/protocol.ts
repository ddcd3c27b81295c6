import type { ParseLimits } from '@hasad/core';
import type { MappedBatch } from '../adapters/shared/batches.ts';
import type { PageOutcome } from '../pager.ts';

/**
 * Messages between a {@link ParsePool} and its worker threads. One page at a time per worker;
 * every message names its page (`job`) so that a late answer about a dropped page is ignored.
 */
export type ToWorker =
  /** Read a page with the named reader. */
  | { t: 'start'; job: number; kind: string; input: unknown; limits: ParseLimits; pack: boolean; hint: boolean }
  /** The next bytes of the page's body (transferred). */
  | { t: 'chunk'; job: number; data: Uint8Array }
  /** The body ended. */
  | { t: 'end'; job: number }
  /** The body failed here (size limit, network): stop reading it. */
  | { t: 'abort'; job: number }
  /** Send the next batch, or the outcome. */
  | { t: 'pull'; job: number }
  /** Drop the page and answer `cancelled`. */
  | { t: 'cancel'; job: number };

/** An error as it crosses the thread boundary: a HasadError's code, message, context and permanence. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  context?: Record<string, unknown>;
  permanent?: boolean;
}

export type FromWorker =
  /** The worker has loaded its readers and takes pages (sent once, `job` 0). */
  | { t: 'ready'; job: number }
  /** One chunk was taken from the queue: another may be sent. */
  | { t: 'credit'; job: number }
  /** Something the reader tells before its batches (PageReaderHint): passed on at once, not pulled. */
  | { t: 'hint'; job: number; data: unknown }
  | { t: 'batch'; job: number; batch: MappedBatch }
  | { t: 'done'; job: number; outcome: PageOutcome }
  | { t: 'error'; job: number; error: WireError }
  | { t: 'cancelled'; job: number };
