import { describe, expect, it } from 'vitest';
import { byteSizeValue, dateValue, decodeEntities, emailValue, geoJsonValue, parseFrenchDate, parseJsonText } from './values.ts';

describe('CKAN values', () => {
  it('reads the French dates Drupal/DKAN writes, checking the weekday', () => {
    expect(parseFrenchDate('mercredi, 12 juillet 2017 - 10:05')).toBe('2017-07-12T10:05:00');
    expect(parseFrenchDate('mar, 10/12/2019 - 09:23')).toBe('2019-12-10T09:23:00');
    expect(parseFrenchDate('Date changed  jeu, 19/12/2019 - 03:00')).toBe('2019-12-19T03:00:00');
    expect(parseFrenchDate('1er août 2020')).toBe('2020-08-01');
    expect(parseFrenchDate('15 déc. 2021 à 14h30')).toBe('2021-12-15T14:30:00');
    // Wrong weekday: 10/12/2019 was a Tuesday. A numeric date without weekday is ambiguous (m/d or d/m).
    expect(parseFrenchDate('lun, 10/12/2019 - 09:23')).toBeUndefined();
    expect(parseFrenchDate('10/12/2019')).toBeUndefined();
    expect(parseFrenchDate('31 février 2020')).toBeUndefined();
  });

  it('normalises ISO dates and marks CKAN naive timestamps as UTC only when asked', () => {
    expect(dateValue('2017-08-05T03:16:52.857800', { ckanUtc: true })).toBe('2017-08-05T03:16:52.857800Z');
    expect(dateValue('2017-08-05T03:16:52.857800')).toBe('2017-08-05T03:16:52.857800');
    // DKAN's space-separated form is not CKAN's isoformat: its zone is unknown, none is added.
    expect(dateValue('2019-09-30 22:00:00', { ckanUtc: true })).toBe('2019-09-30T22:00:00');
    expect(dateValue('2024-01-01T00:00:00+00:00', { ckanUtc: true })).toBe('2024-01-01T00:00:00+00:00');
    expect(dateValue('1982')).toBe('1982');
    expect(dateValue('soon')).toBeUndefined();
  });

  it('decodes HTML references and parses escaped JSON only when the raw text is not JSON', () => {
    expect(decodeEntities('&quot;a&quot; &amp; &#39;b&#x27; &lt;c&gt; &bogus;')).toBe(`"a" & 'b' <c> &bogus;`);
    expect(parseJsonText('[{&quot;type&quot;: &quot;revision&quot;}]')).toEqual({ ok: true, value: [{ type: 'revision' }] });
    // Valid JSON whose strings hold `&amp;` is left alone.
    expect(parseJsonText('["a&amp;b"]')).toEqual({ ok: true, value: ['a&amp;b'] });
    expect(parseJsonText('{&quot;broken')).toEqual({ ok: false });
  });

  it('reads byte sizes, e-mails and geometries strictly', () => {
    expect(byteSizeValue(1024)).toBe(1024);
    expect(byteSizeValue('42 octets')).toBe(42);
    expect(byteSizeValue('1024.0')).toBe(1024);
    expect(byteSizeValue('2 Mo')).toBeUndefined();
    expect(byteSizeValue(-1)).toBeUndefined();
    expect(emailValue('mailto:a@b.ma?subject=x')).toBe('a@b.ma');
    expect(emailValue('a@b')).toBeUndefined();
    expect(geoJsonValue('{ "type" : "Point", "coordinates": [1, 2] }')).toBe('{"type":"Point","coordinates":[1,2]}');
    expect(geoJsonValue('[1,2]')).toBeUndefined();
  });
});
