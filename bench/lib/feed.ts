import { createHash } from 'node:crypto';
import { etagOf, generatePage, MEDIA_TYPES, mountCatalog, type CatalogControl, type FeedFormat, type FeedServer, type GenerateOptions } from '@hasad/testkit';

export interface PrerenderedCatalog {
  ctl: CatalogControl;
  pages: number;
  /** Bytes of all pages together (UTF-8). */
  bytes: number;
  /** Time spent generating the pages and their ETags, ms (before any timing starts). */
  renderMs: number;
  /**
   * Serves every page with `# comment` appended from now on (other bytes, same triples, as
   * `mountCatalog`'s `comment` does), or the plain pages again with `undefined`. The variant is
   * rendered here, before any timing starts; returns the time that took, ms.
   */
  setComment(comment: string | undefined): number;
  /**
   * Serves every page with the `dct:` prefix named `dcterms:` from now on: other tokens, the same
   * triples in the same order (what a re-serialised feed looks like to the tokens' hash, which
   * only comments, spaces and blank node labels do not move). Rendered here; returns ms.
   */
  setPrefixRenamed(): number;
  /** The pages' bodies as served without a comment, in order (for the rdflib reference). */
  bodies(): Buffer[];
  /** Answers 404 for every page from now on and lets the bodies go (a 500,000-dataset feed holds 730 MB). */
  unmount(): void;
}

/**
 * Mounts a generated catalogue with `mountCatalog` and pre-renders every page once, so the feed
 * server answers from memory. `mountCatalog` keeps only the last page it generated, so served
 * live it would regenerate (and re-hash) every page on every request, 304s included: about 40 ms
 * a page of 1,000 datasets on this machine, spent in the same process as the timer and on the
 * same two cores as the pipeline. An institution's server would not cost us that, so it is kept
 * out of the figures. The bodies and ETags are exactly those `mountCatalog` serves (same
 * `generatePage` and `etagOf` on the control's options), and the control still works:
 * `conditional` and `failPages` are honoured as in `mountCatalog`; use `setComment` rather than
 * `ctl.comment`.
 */
export function mountPrerendered(server: FeedServer, prefix: string, options: Omit<GenerateOptions, 'baseUrl'>, format: FeedFormat): PrerenderedCatalog {
  const ctl = mountCatalog(server, prefix, options, format);
  const pages = ctl.pages();
  const started = performance.now();
  const plain: Array<{ body: Buffer; etag: string }> = [];
  let bytes = 0;
  for (let n = 1; n <= pages; n++) {
    const text = generatePage(ctl.options, n, format);
    const body = Buffer.from(text, 'utf8');
    plain.push({ body, etag: etagOf(text) });
    bytes += body.length;
  }
  const renderMs = performance.now() - started;
  let served: Array<{ body: Buffer; etag: string }> = plain;
  for (let n = 1; n <= pages; n++) {
    // Replaces the route mountCatalog registered for the same path.
    server.route(`${prefix}/catalog?page=${n}`, (req) => {
      const page = served[n - 1]!;
      const fail = ctl.failPages.get(n);
      if (fail) return { status: fail, body: `<html><body>error ${fail}</body></html>`, contentType: 'text/html' };
      if (ctl.conditional && req.headers['if-none-match'] === page.etag) return { status: 304, headers: { etag: page.etag } };
      return { status: 200, body: page.body, contentType: MEDIA_TYPES[format], headers: { etag: page.etag } };
    });
  }
  return {
    ctl,
    pages,
    bytes,
    renderMs: Math.round(renderMs),
    setComment(comment) {
      const t0 = performance.now();
      if (comment === undefined) {
        served = plain;
      } else {
        if (format !== 'turtle' && format !== 'ntriples') throw new Error(`a comment cannot be added to ${format}`);
        const tail = Buffer.from(`# ${comment}\n`, 'utf8');
        // etagOf(text + tail) without keeping the text: it hashes the same UTF-8 bytes.
        served = plain.map((p) => ({ body: Buffer.concat([p.body, tail]), etag: `"${createHash('sha1').update(p.body).update(tail).digest('base64url')}"` }));
      }
      return Math.round(performance.now() - t0);
    },
    setPrefixRenamed() {
      const t0 = performance.now();
      if (format !== 'turtle') throw new Error(`a prefix cannot be renamed in ${format}`);
      served = plain.map((p) => {
        // Every use of the prefix follows a space in generatePage's Turtle, and no literal holds " dct:".
        const body = Buffer.from(p.body.toString('utf8').replace('@prefix dct: <', '@prefix dcterms: <').replaceAll(' dct:', ' dcterms:'), 'utf8');
        return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
      });
      return Math.round(performance.now() - t0);
    },
    bodies: () => plain.map((p) => p.body),
    unmount() {
      for (let n = 1; n <= pages; n++) server.route(`${prefix}/catalog?page=${n}`, { status: 404, body: 'gone', contentType: 'text/plain' });
      plain.length = 0;
      served = [];
    },
  };
}
