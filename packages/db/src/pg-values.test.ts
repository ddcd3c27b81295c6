import { describe, expect, it } from 'vitest';
import { cleanString, cleanValue, hasRefusedCharacters } from './pg-values.ts';

describe('values PostgreSQL refuses', () => {
  it('finds NUL and lone surrogates, not surrogate pairs', () => {
    expect(hasRefusedCharacters('a\u0000b')).toBe(true);
    expect(hasRefusedCharacters('a\ud800b')).toBe(true);
    expect(hasRefusedCharacters('a\udc00')).toBe(true);
    expect(hasRefusedCharacters('\ud83d\ude00 ok')).toBe(false);
    expect(hasRefusedCharacters('مجموعة é')).toBe(false);
  });

  it('removes NUL and replaces lone surrogates, keeping pairs', () => {
    expect(cleanString('Ti\u0000tre')).toBe('Titre');
    expect(cleanString('x\ud800y\udc00z\ud83d\ude00')).toBe('x\ufffdy\ufffdz\ud83d\ude00');
  });

  it('names every field it cleaned, and copies nothing when clean', () => {
    const clean = { title: { fr: 'ok' }, keywords: [{ fr: 'a' }] };
    expect(cleanValue(clean).value).toBe(clean);
    // Surrogate pairs (an emoji) deep inside are clean too; a NUL in a nested key is found.
    const pair = { distributions: [{ title: { fr: 'ok \ud83d\ude00' } }] };
    expect(cleanValue(pair)).toEqual({ value: pair, fields: [] });
    expect(cleanValue(pair).value).toBe(pair);
    expect(cleanValue({ a: [{ ['b\u0000']: 'x' }] }).fields).toEqual(['a.0.b']);
    const dirty = { title: { fr: 'T\u0000', ar: 'ok' }, distributions: [{ title: { fr: 'ok' } }, { title: { en: '\udc01' } }], ['k\u0000']: 1 };
    const r = cleanValue(dirty);
    expect(r.fields.sort()).toEqual(['distributions.1.title.en', 'k', 'title.fr']);
    expect(JSON.stringify(r.value)).not.toMatch(/\\u0000|\\udc01/);
    expect(dirty.title.fr).toBe('T\u0000');
  });
});
