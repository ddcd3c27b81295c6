import { describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import { contentHash } from './content-hash.ts';
import { stableStringify } from './stable-json.ts';

const record = (): CanonicalDataset => ({
  identifier: 'ds-1',
  uri: 'https://data.example.ma/ds/1',
  title: { fr: 'Budget communal — Casablanca', ar: 'الميزانية الجماعية' },
  description: { fr: 'Données "publiées"\n' },
  keywords: { fr: ['budget', 'commune'], ar: ['ميزانية'] },
  themes: ['http://publications.europa.eu/resource/authority/data-theme/GOVE', 'http://publications.europa.eu/resource/authority/data-theme/ECON'],
  modified: '2026-11-27',
  spatial: [],
  temporal: [{ start: '2020-01-01', end: '2020-12-31' }, { start: '2019-01-01' }],
  language: ['http://publications.europa.eu/resource/authority/language/FRA', 'http://publications.europa.eu/resource/authority/language/ARA'],
  distributions: [
    { accessUrl: 'https://data.example.ma/1.csv', format: 'CSV', title: { fr: 'CSV' } },
    { accessUrl: 'https://data.example.ma/1.json', format: 'JSON', byteSize: 1024 },
  ],
});

describe('contentHash', () => {
  it('hashes the same bytes as every earlier version (a change would rewrite every dataset once)', () => {
    // Pinned on 2026-11-27 with the first implementation; the value must never change.
    expect(contentHash(record())).toBe(PINNED);
  });

  it('does not depend on the order of keys, unordered lists or list items', () => {
    const r = record();
    const shuffled: CanonicalDataset = {
      distributions: [...r.distributions].reverse().map((d) => Object.fromEntries(Object.entries(d).reverse()) as typeof d),
      temporal: [...r.temporal].reverse(),
      language: [...r.language].reverse(),
      themes: [...r.themes].reverse(),
      spatial: [],
      keywords: { ar: ['ميزانية'], fr: ['commune', 'budget'] },
      description: r.description,
      title: { ar: r.title.ar!, fr: r.title.fr! },
      modified: r.modified,
      uri: r.uri,
      identifier: r.identifier,
    };
    expect(contentHash(shuffled)).toBe(contentHash(r));
  });

  it('leaves undefined members out and changes with any content', () => {
    expect(contentHash({ ...record(), license: undefined })).toBe(contentHash(record()));
    expect(contentHash({ ...record(), license: 'https://example.org/l' })).not.toBe(contentHash(record()));
    const r = record();
    r.distributions[1]!.byteSize = 1025;
    expect(contentHash(r)).not.toBe(contentHash(record()));
    expect(contentHash({ ...record(), title: { fr: 'Budget communal — Casablanca', ar: 'الميزانية الجماعيه' } })).not.toBe(contentHash(record()));
  });

  it('does not change the record it hashes', () => {
    const r = record();
    const before = JSON.stringify(r);
    contentHash(r);
    expect(JSON.stringify(r)).toBe(before);
  });
});

describe('contentHash of a record with a kept description', () => {
  const body = '<https://data.example.ma/ds/1> <http://purl.org/dc/terms/title> "الميزانية \\"2026\\""@ar .\n';
  const described = (text = body): CanonicalDataset => ({ ...record(), sourceDescription: { format: 'application/n-triples', body: text } });

  it('is of the d2 form: the record without it, then its format and UTF-8 bytes, whichever way the bytes are given', () => {
    const h = contentHash(described());
    expect(h).toMatch(/^d2:[0-9a-f]{40}$/);
    expect(contentHash(described(), Buffer.from(body, 'utf8'))).toBe(h);
    // Pinned on 2026-12-07: the value must never change (the loader takes over the earlier form once).
    expect(h).toBe(PINNED_D2);
  });

  it('changes with the description, its format and the record, and not with what the record alone hashes to', () => {
    const h = contentHash(described());
    expect(contentHash(described(body.replace('2026', '2027')))).not.toBe(h);
    expect(contentHash({ ...described(), sourceDescription: { format: 'application/xml', body } })).not.toBe(h);
    expect(contentHash({ ...described(), license: 'https://example.org/l' })).not.toBe(h);
    expect(h.slice(3)).not.toBe(contentHash(record()));
  });

  it('a description with a fingerprint is hashed by the fingerprint alone', () => {
    expect(contentHash({ ...record(), sourceDescription: { format: 'application/xml', body: '<x/>', fingerprint: 'fp' } })).toBe('fp');
  });
});

describe('stableStringify', () => {
  it('sorts keys at every level, drops undefined members and writes undefined items as null', () => {
    expect(stableStringify({ b: 1, a: { d: [undefined, 'x"'], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[null,"x\\""]},"b":1}');
    expect(stableStringify('\u2028')).toBe(JSON.stringify('\u2028'));
    expect(stableStringify(undefined)).toBe('null');
  });
});

const PINNED = '30485eb221cfc8141517e730e5d60a5e67defe70';
const PINNED_D2 = 'd2:8d17afd46e926b9301d47b8cf51adf76125a1eb3';
