import { ConfigError } from '@hasad/core';
import { withSourceLimits } from '../source-limits.ts';
import type { ConfiguredHarvestOptions, HarvestEvent, SourceAdapter } from '../types.ts';
import { ckanAdapter } from './ckan/index.ts';
import { csvAdapter } from './csv/index.ts';
import { cswAdapter } from './csw/index.ts';
import { dcatAdapter } from './dcat/index.ts';
import { soapAdapter } from './soap/index.ts';

// One entry per source kind, each taking the source's `limits` in its config.
const ADAPTERS = new Map<string, SourceAdapter>(
  ([dcatAdapter, csvAdapter, soapAdapter, ckanAdapter, cswAdapter] as SourceAdapter<unknown>[]).map((a) => [a.kind, withSourceLimits(a) as SourceAdapter]),
);

/** The source kinds an adapter exists for. */
export function adapterKinds(): string[] {
  return [...ADAPTERS.keys()].sort();
}

/**
 * The adapter for a source kind, reading the source's `limits` (see {@link withSourceLimits})
 * before the kind's own config.
 * @throws ConfigError for an unknown kind, listing the known ones.
 */
export function getAdapter(kind: string): SourceAdapter {
  const adapter = ADAPTERS.get(kind);
  if (adapter === undefined) {
    throw new ConfigError(`unknown source kind "${kind}"; known kinds: ${adapterKinds().join(', ')}`, { kind, known: adapterKinds() });
  }
  return adapter;
}

/**
 * Parses `opts.config` with the adapter's `parseConfig` (once) and harvests with the result: for
 * callers holding a config as stored (CLI, preview, tests).
 * @throws ConfigError for a bad config, before any request.
 */
export function harvestWithConfig<Config>(adapter: SourceAdapter<Config>, opts: ConfiguredHarvestOptions): AsyncGenerator<HarvestEvent> {
  const { config, ...rest } = opts;
  return adapter.harvest(rest, adapter.parseConfig(config));
}
