import { createHash } from 'node:crypto';
import type { CanonicalDataset } from '@hasad/core';
import { stableStringify } from './stable-json.ts';

const sortStrings = (a: string[]) => [...a].sort();
const sortByJson = <T>(a: T[]) =>
  a
    .map((v) => [stableStringify(v), v] as const)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map((x) => x[1]);

/**
 * A stable fingerprint of a record's content (sha1 hex of its canonical JSON: keys sorted,
 * undefined members dropped, unordered lists sorted). The same content hashes the same whatever
 * the order the source gave triples or list items in, so the loader can skip unchanged records.
 */
export function contentHash(record: CanonicalDataset): string {
  const keywords: Record<string, string[]> = {};
  for (const [lang, list] of Object.entries(record.keywords)) keywords[lang] = sortStrings(list);
  // Lists whose order RDF does not define are sorted; arrays are copied, the record is not touched.
  const canonical = {
    ...record,
    keywords,
    themes: sortStrings(record.themes),
    spatial: sortStrings(record.spatial),
    language: sortStrings(record.language),
    temporal: sortByJson(record.temporal),
    distributions: sortByJson(record.distributions),
  };
  return createHash('sha1').update(stableStringify(canonical)).digest('hex');
}
