/**
 * One page of read-ahead for the kinds that page through a service one request after the other
 * (SOAP, CSW): the next page is asked while the current one is parsed, mapped and handed on, so
 * that the service works while Hasad does. The page asked ahead is only ever read after the page
 * before it (checkpoints stay in order); its errors surface when the harvest reaches it; it is
 * aborted (slot and socket freed) when the harvest stops first or goes elsewhere.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FetchResponse } from '../../http/client.ts';

/** The next page, asked before its turn. */
export interface ReadAhead<P extends { res: FetchResponse }> {
  /** Which page it is among its neighbours (SOAP: its ordinal; CSW: its startPosition). */
  key: number;
  page: Promise<P>;
  controller: AbortController;
}

/**
 * Asks page `key` ahead: `request` receives a signal aborted by the caller's `signal` or by
 * {@link dropReadAhead}. A failure is held until the harvest reaches the page.
 */
export function askAhead<P extends { res: FetchResponse }>(key: number, signal: AbortSignal | undefined, request: (signal: AbortSignal) => Promise<P>): ReadAhead<P> {
  const controller = new AbortController();
  const page = request(signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]));
  // Handled when the harvest reaches that page; until then a failure must not count as unhandled.
  page.catch(() => undefined);
  return { key, page, controller };
}

/** Abandons a read-ahead: its request is aborted (slot and socket freed) and its outcome ignored. */
export function dropReadAhead(ahead: ReadAhead<{ res: FetchResponse }>): void {
  ahead.controller.abort();
  ahead.page.then((p) => p.res.body.destroy(), () => undefined);
}

/** The read-ahead's page when it is page `key`; another page asked ahead is dropped (undefined then). */
export function claimReadAhead<P extends { res: FetchResponse }>(ahead: ReadAhead<P> | undefined, key: number): Promise<P> | undefined {
  if (ahead === undefined) return undefined;
  if (ahead.key === key) return ahead.page;
  dropReadAhead(ahead);
  return undefined;
}

/** undici's diagnostics channel: a request's headers were written to its socket. */
const HEADERS_WRITTEN = 'undici:client:sendHeaders';
/**
 * How long a page's parse waits at most for the read-ahead request to be written, in ms: the
 * parse holds the thread, so a request not yet on the wire (connection still opening) would only
 * leave after it. Past this (a slow handshake, the host limiter holding it back) parsing first
 * costs less than waiting.
 */
const WRITE_WAIT_MS = 50;

/**
 * Resolves once a `method` request to `url` has been written to a socket (undici reports it), once
 * `page` settles, or after {@link WRITE_WAIT_MS}, whichever comes first. Another such request
 * written meanwhile (another harvest in the process) only ends the wait early.
 */
export function untilWritten(method: 'GET' | 'POST', url: string, page: Promise<unknown>): Promise<void> {
  const { origin, pathname, search } = new URL(url);
  const path = pathname + search;
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe(HEADERS_WRITTEN, onWritten);
      resolve();
    };
    const onWritten = (message: unknown) => {
      const req = (message as { request?: { method?: unknown; origin?: unknown; path?: unknown } } | null)?.request;
      if (req?.method === method && req.path === path && String(req.origin).replace(/\/$/, '') === origin) done();
    };
    const timer = setTimeout(done, WRITE_WAIT_MS);
    subscribe(HEADERS_WRITTEN, onWritten);
    page.then(done, done);
  });
}
