import { batchSizeOf, contentHashOf, runPager } from '../../pager.ts';
import { resolveLimits } from '../../parse-guards.ts';
import type { HarvestEvent, HarvestOptions } from '../../types.ts';
import { DCAT_ACCEPT } from './parse.ts';
import { DCAT_MAPPING_VERSION, readDcatPage, type DcatPageInput } from './read-page.ts';
import type { RdfFormat } from './parse.ts';

/** Parsed DCAT source config. */
export interface DcatConfig {
  /** Read every page as this syntax, whatever the server says. */
  format?: RdfFormat;
}

/** Things the DCAT harvest needs besides the options, injected so tests and deployments can choose. */
export interface DcatDeps {
  /** Known JSON-LD context documents by URL; every other remote context is refused. */
  jsonLdContexts?: ReadonlyMap<string, unknown>;
}


/**
 * Harvests a DCAT feed page by page (Hydra paging) through the pager, yielding record batches
 * and, after each page's batches, a page event the caller checkpoints on.
 *
 * @throws PagingError when more than `maxPages` pages would be read; fetch errors and ParseError
 *   from the page being read. A next link pointing back to a page already read is not an error:
 *   paging stops with a `paging_loop` warning on the page event.
 */
export function harvestDcat(opts: HarvestOptions, config: DcatConfig, deps: DcatDeps = {}): AsyncGenerator<HarvestEvent> {
  const batchSize = batchSizeOf(opts);
  return runPager(opts, {
    noun: 'feed',
    get: { accept: DCAT_ACCEPT, bodyHashVersion: DCAT_MAPPING_VERSION },
    async *read({ pageNo, url }, { res, body }) {
      const input: DcatPageInput = {
        url: res.url,
        requestedUrl: url,
        pageNo,
        batchSize,
        ...(res.contentType !== undefined && { contentType: res.contentType }),
        ...(config.format !== undefined && { format: config.format }),
        ...(deps.jsonLdContexts !== undefined && { jsonLdContexts: deps.jsonLdContexts }),
        ...(opts.keepSourceDescription === false && { keepSourceDescription: false as const }),
      };
      // The last complete run's hash of this page's triples, if it has one.
      const knownTriplesHash = contentHashOf((await opts.validators?.(url))?.bodyHash);
      if (knownTriplesHash !== undefined) input.knownTriplesHash = knownTriplesHash;
      try {
        // Isolated when the caller has a parsing pool (the services): a page past a limit fails alone.
        if (opts.parsePool !== undefined) return yield* opts.parsePool.readPage('dcat', input, body, opts.signal);
        return yield* readDcatPage(input, body, resolveLimits(opts.limits));
      } finally {
        res.body.destroy();
      }
    },
  });
}
