import { ConfigError } from '@hasad/core';
import type { SourceAdapter } from '../types.ts';
import { dcatAdapter } from './dcat/index.ts';

// One entry per source kind; csv, soap and ckan adapters register here when they exist.
const ADAPTERS = new Map<string, SourceAdapter>([[dcatAdapter.kind, dcatAdapter]]);

/** The source kinds an adapter exists for. */
export function adapterKinds(): string[] {
  return [...ADAPTERS.keys()].sort();
}

/**
 * The adapter for a source kind.
 * @throws ConfigError for an unknown kind, listing the known ones.
 */
export function getAdapter(kind: string): SourceAdapter {
  const adapter = ADAPTERS.get(kind);
  if (adapter === undefined) {
    throw new ConfigError(`unknown source kind "${kind}"; known kinds: ${adapterKinds().join(', ')}`, { kind, known: adapterKinds() });
  }
  return adapter;
}
