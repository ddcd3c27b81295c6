import { describe, expect, it } from 'vitest';
import { CkanValidationError } from './solr.ts';
import { CkanSearchQueryError, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, parseSearchParams, parseSolrQuery, solrDate } from './solr-query.ts';

const NOW = new Date('2026-03-15T10:30:00.000Z');
const parse = (s: string) => parseSolrQuery(s, 'fq', NOW);

describe('parseSolrQuery', () => {
  it('reads the forms CKAN front ends send, a space meaning AND', () => {
    expect(parse('organization:hcp tags:"eau potable" AND res_format:CSV +groups:ENVI license_id:cc-by dataset_type:dataset')).toEqual({
      op: 'and',
      args: [
        { op: 'term', field: 'organization', value: 'hcp' },
        { op: 'term', field: 'keyword', value: 'eau potable' },
        { op: 'term', field: 'format', value: 'CSV' },
        { op: 'term', field: 'theme', value: 'ENVI' },
        { op: 'term', field: 'license', value: 'cc-by' },
        { op: 'all' },
      ],
    });
    expect(parse('tags:"a \\"quoted\\" tag"')).toEqual({ op: 'term', field: 'keyword', value: 'a "quoted" tag' });
    expect(parse('license_id:http\\://x.org/l')).toEqual({ op: 'term', field: 'license', value: 'http://x.org/l' });
  });

  it('gives AND precedence over OR, and reads NOT, -, parentheses and field groups', () => {
    expect(parse('tags:a OR tags:b AND -tags:c')).toEqual({
      op: 'or',
      args: [
        { op: 'term', field: 'keyword', value: 'a' },
        { op: 'and', args: [{ op: 'term', field: 'keyword', value: 'b' }, { op: 'not', arg: { op: 'term', field: 'keyword', value: 'c' } }] },
      ],
    });
    expect(parse('(organization:onee OR organization:hcp) AND NOT res_format:PDF')).toEqual({
      op: 'and',
      args: [
        { op: 'or', args: [{ op: 'term', field: 'organization', value: 'onee' }, { op: 'term', field: 'organization', value: 'hcp' }] },
        { op: 'not', arg: { op: 'term', field: 'format', value: 'PDF' } },
      ],
    });
    expect(parse('res_format:(CSV || JSON)')).toEqual({ op: 'or', args: [{ op: 'term', field: 'format', value: 'CSV' }, { op: 'term', field: 'format', value: 'JSON' }] });
  });

  it('reads text fields, phrases and trailing wildcards', () => {
    expect(parse('title:eau')).toEqual({ op: 'text', field: 'title', value: 'eau' });
    expect(parse('notes:"eau potable"')).toEqual({ op: 'text', field: 'description', value: 'eau potable', phrase: true });
    expect(parse('pharm*')).toEqual({ op: 'text', field: 'any', value: 'pharm', prefix: true });
    expect(parse('tags:*')).toEqual({ op: 'exists', field: 'keyword' });
    expect(parse('*:*')).toEqual({ op: 'all' });
    expect(parse('dataset_type:harvest')).toEqual({ op: 'none' });
  });

  it('reads date ranges with open ends, exclusive brackets and Solr date math', () => {
    expect(parse('metadata_modified:[2024-01-01T00:00:00Z TO *]')).toEqual({ op: 'range', field: 'updated', from: '2024-01-01T00:00:00.000Z', fromInclusive: true, toInclusive: true });
    expect(parse('metadata_created:{2024-01-01 TO NOW/DAY}')).toEqual({
      op: 'range', field: 'created', from: '2024-01-01T00:00:00.000Z', to: '2026-03-15T00:00:00.000Z', fromInclusive: false, toInclusive: false,
    });
    expect(solrDate('NOW-1YEAR', NOW, 'fq', 'f')).toBe('2025-03-15T10:30:00.000Z');
    expect(solrDate('NOW/MONTH+1MONTH-7DAYS', NOW, 'fq', 'f')).toBe('2026-03-25T00:00:00.000Z');
    expect(solrDate('2024-02-29T12:00:00+01:00', NOW, 'fq', 'f')).toBe('2024-02-29T11:00:00.000Z');
  });

  it('refuses what does not parse with a 400 Search Query Error naming the token', () => {
    const cases: Array<[string, RegExp]> = [
      ['(tags:a', /"\(" at character 1 is never closed/],
      ['tags:a)', /unexpected "\)" at character 7/],
      ['tags:"eau', /quote at character 6 is never closed/],
      ['tags:a AND', /AND at character 8 has nothing after it/],
      ['tags:', /field "tags" at character 1 has no value/],
      ['metadata_modified:[yesterday TO *]', /"yesterday" is not a date/],
      ['metadata_modified:[NOW-1FORTNIGHT TO *]', /date math "-1FORTNIGHT"/],
      ['metadata_modified:2024', /takes a range/],
      ['tags:[a TO b]', /does not take a range/],
      ['tags:ea*u', /exact value or \*/],
      ['title:*eau', /wildcard may only end a word/],
      ['metadata_modified:[2024 TO', /cannot read the range at character 19/],
      ['res_format:(CSV OR tags:x)', /field "tags" at character 20 inside the group/],
    ];
    for (const [q, message] of cases) {
      expect(() => parse(q), q).toThrow(CkanSearchQueryError);
      expect(() => parse(q), q).toThrow(message);
    }
  });

  it('refuses an unknown field with a 409 Validation Error naming it', () => {
    expect(() => parse('author:x')).toThrow(CkanValidationError);
    expect(() => parse('tags:a OR constructor:x')).toThrow(/field "constructor" is not supported/);
  });

  it('holds its depth, length and clause limits', () => {
    const deep = `${'('.repeat(MAX_QUERY_DEPTH)}tags:a${')'.repeat(MAX_QUERY_DEPTH)}`;
    expect(() => parse(deep)).toThrow(/nested deeper than 32 levels/);
    expect(() => parse(`${'('.repeat(100_000)}`)).toThrow(CkanSearchQueryError);
    expect(() => parse('-'.repeat(MAX_QUERY_CHARS - 7) + 'tags:a')).toThrow(/nested deeper/);
    expect(() => parse('x'.repeat(MAX_QUERY_CHARS + 1))).toThrow(/4001 characters; at most 4000/);
    expect(() => parse(Array.from({ length: 201 }, (_, i) => `tags:t${i}`).join(' OR '))).toThrow(/more than 200 clauses/);
    expect(parse('((tags:a))')).toEqual({ op: 'term', field: 'keyword', value: 'a' });
  });
});

describe('parseSearchParams', () => {
  it('keeps plain words for the ranked full-text search and turns the rest into field queries', () => {
    expect(parseSearchParams('*:*', undefined)).toEqual({});
    expect(parseSearchParams(' eau -pollution "eau potable" ', undefined)).toEqual({ text: 'eau -pollution "eau potable"' });
    expect(parseSearchParams('https://example.org/x', undefined)).toEqual({ text: 'https://example.org/x' });
    expect(parseSearchParams('title:eau', 'organization:hcp', NOW)).toEqual({
      where: { op: 'and', args: [{ op: 'text', field: 'title', value: 'eau' }, { op: 'term', field: 'organization', value: 'hcp' }] },
    });
    expect(() => parseSearchParams('eau OR (', undefined)).toThrow(/q: /);
  });
});
