import { createHash } from 'node:crypto';
import { DESCRIBED_HASH_PREFIX, type CanonicalDataset } from '@hasad/core';
import { RawJson, stableStringify } from './stable-json.ts';

const sortStrings = (a: string[]) => [...a].sort();

/**
 * A list whose order does not matter, as sorted JSON: each item is serialised once, the
 * serialisations are sorted and joined (serialising items to sort them and then the whole
 * list again cost distributions two passes, a tenth of the fetcher's CPU a dataset).
 */
function sortedList(a: readonly unknown[]): RawJson {
  const parts = a.map((v) => (v === undefined ? 'null' : stableStringify(v)));
  parts.sort();
  return new RawJson(`[${parts.join(',')}]`);
}

/**
 * A stable fingerprint of a record's content (sha1 hex of its canonical JSON: keys sorted,
 * undefined members dropped, unordered lists sorted). The same content hashes the same whatever
 * the order the source gave triples or list items in, so the loader can skip unchanged records.
 * The bytes hashed must not change between versions unless the loader can take the earlier form
 * over: a different hash for the same content would make the next harvest of every source rewrite
 * all its datasets once (and report them `updated`). A record whose description carries a
 * fingerprint is hashed by that alone.
 *
 * A record with a kept description and no fingerprint (DCAT) is hashed as
 * `d2:` + sha1(canonical JSON of the record without it, NUL, its format, NUL, its UTF-8 text):
 * the text is hashed as bytes (`descriptionBytes`, the same buffer the description is compressed
 * from), not written into the JSON as a string, which cost 16 µs a dataset of the fetcher's
 * worker. Hashes stored before (plain sha1 hex of the whole JSON) are taken over by the loader
 * without a rewrite where the record and the description's bytes are equal (load.repository.ts).
 */
export function contentHash(record: CanonicalDataset, descriptionBytes?: Uint8Array): string {
  // A record that follows wholly from its kept text (see SourceDescription.fingerprint): that
  // text's fingerprint, which changes with the text and with the reader's mapping version.
  const description = record.sourceDescription;
  if (description?.fingerprint !== undefined) return description.fingerprint;
  const keywords: Record<string, string[]> = {};
  for (const [lang, list] of Object.entries(record.keywords)) keywords[lang] = sortStrings(list);
  // Lists whose order RDF does not define are sorted; arrays are copied, the record is not touched.
  const canonical = {
    ...record,
    keywords,
    themes: sortStrings(record.themes),
    spatial: sortStrings(record.spatial),
    language: sortStrings(record.language),
    temporal: sortedList(record.temporal),
    distributions: sortedList(record.distributions),
    sourceDescription: undefined,
  };
  const hash = createHash('sha1').update(stableStringify(canonical));
  if (description === undefined) return hash.digest('hex');
  hash.update(`\u0000${description.format}\u0000`);
  hash.update(descriptionBytes ?? Buffer.from(description.body, 'utf8'));
  return `${DESCRIBED_HASH_PREFIX}${hash.digest('hex')}`;
}
