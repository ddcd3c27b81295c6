import { z } from 'zod';
import { sourceConfigError } from '../../source-config.ts';
import type { SourceAdapter } from '../../types.ts';
import { harvestDcat } from './client.ts';
import type { DcatConfig, DcatDeps } from './client.ts';

export type { DcatConfig, DcatDeps } from './client.ts';

const dcatConfigSchema = z.strictObject({
  format: z.enum(['turtle', 'rdfxml', 'jsonld', 'ntriples', 'nquads', 'trig', 'n3']).optional(),
});

/**
 * Validates a DCAT source config (`{ format? }`). `undefined`/`null` mean "no settings".
 * @throws ConfigError listing every unknown key and bad value at once.
 */
export function parseDcatConfig(config: unknown): DcatConfig {
  const parsed = dcatConfigSchema.safeParse(config ?? {});
  if (parsed.success) {
    return parsed.data.format === undefined ? {} : { format: parsed.data.format };
  }
  throw sourceConfigError('dcat', { issues: parsed.error.issues });
}

/**
 * Builds a DCAT adapter. Pass `jsonLdContexts` to resolve well-known JSON-LD contexts from local
 * copies; without them every remote `@context` is refused with a ParseError.
 */
export function createDcatAdapter(deps: DcatDeps = {}): SourceAdapter<DcatConfig> {
  return {
    kind: 'dcat',
    // Where it connects: pages are the source's `url` and the `next` links of the feed itself.
    networkFields: [],
    parseConfig: parseDcatConfig,
    harvest: (opts, config) => harvestDcat(opts, config, deps),
  };
}

/** The DCAT adapter (kind `dcat`): Turtle, RDF/XML, JSON-LD, N-Triples, TriG, N3 with Hydra paging. */
export const dcatAdapter: SourceAdapter<DcatConfig> = createDcatAdapter();
