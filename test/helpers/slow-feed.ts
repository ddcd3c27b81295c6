import { generatePage, MEDIA_TYPES, pageCount, type FeedServer, type GenerateOptions } from '@hasad/testkit';

/** A generated paged catalogue whose pages answer after `delayMs`, so a harvest lasts long enough to be interrupted. */
export interface SlowCatalog {
  /** URL of page 1: what the source is registered with. */
  url: string;
  pages: number;
  /** Delay before each page is answered, in ms; change it at any time (e.g. to 0 once the crash is done). */
  delayMs: number;
  /** How many times the institution's server was asked for page `n`. */
  requestsFor(n: number): number;
}

/**
 * Serves the same Turtle pages as `mountCatalog` (same generator, same Hydra paging), each
 * answered after a configurable delay. Composed from the testkit's generator rather than by
 * wrapping `mountCatalog`, whose routes are private to the FeedServer.
 */
export function mountSlowCatalog(server: FeedServer, prefix: string, options: Omit<GenerateOptions, 'baseUrl'>, delayMs: number): SlowCatalog {
  const opts: GenerateOptions = { ...options, baseUrl: `${server.url}${prefix}` };
  const path = (n: number) => `${prefix}/catalog?page=${n}`;
  const bodies = new Map<number, string>();
  const ctl: SlowCatalog = {
    url: `${server.url}${path(1)}`,
    pages: pageCount(opts),
    delayMs,
    requestsFor: (n) => server.requests.filter((r) => r.path === path(n)).length,
  };
  for (let n = 1; n <= ctl.pages; n++) {
    server.route(path(n), async () => {
      if (ctl.delayMs > 0) await new Promise((r) => setTimeout(r, ctl.delayMs));
      let body = bodies.get(n);
      if (body === undefined) bodies.set(n, (body = generatePage(opts, n, 'turtle')));
      return { status: 200, body, contentType: MEDIA_TYPES.turtle };
    });
  }
  return ctl;
}
