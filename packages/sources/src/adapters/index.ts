import { ConfigError } from '@hasad/core';
import type { SourceAdapter } from '../types.ts';
import { ckanAdapter } from './ckan/index.ts';
import { csvAdapter } from './csv/index.ts';
import { dcatAdapter } from './dcat/index.ts';
import { soapAdapter } from './soap/index.ts';

// One entry per source kind.
const ADAPTERS = new Map<string, SourceAdapter>([dcatAdapter, csvAdapter, soapAdapter, ckanAdapter].map((a) => [a.kind, a]));

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
