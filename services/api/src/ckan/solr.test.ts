import { describe, expect, it } from 'vitest';
import { CkanValidationError, pageWindow, parseFacetFields, parseSort } from './solr.ts';

describe('parseSort, parseFacetFields', () => {
  it('maps CKAN sorts', () => {
    expect(parseSort('metadata_modified desc', false)).toBe('-updated');
    expect(parseSort('title_string asc', true)).toBe('title');
    expect(parseSort('score desc, metadata_modified desc', true)).toBe('relevance');
    expect(parseSort('score desc, metadata_modified desc', false)).toBe('-updated');
    expect(parseSort('id asc', false)).toBe('id');
    expect(() => parseSort('views_recent desc', false)).toThrow(CkanValidationError);
  });

  it('reads facet.field as a JSON list', () => {
    expect(parseFacetFields('["organization","tags","tags"]')).toEqual(['organization', 'tags']);
    expect(() => parseFacetFields('organization')).toThrow(CkanValidationError);
    expect(() => parseFacetFields('["maintainer"]')).toThrow(CkanValidationError);
  });
});

describe('pageWindow', () => {
  it('finds a (page, limit) holding start..start+rows-1', () => {
    expect(pageWindow(20, 10)).toEqual({ page: 3, limit: 10, skip: 0 });
    for (const [start, rows] of [[3, 2], [7, 10], [999, 1], [150, 100]] as const) {
      const w = pageWindow(start, rows)!;
      const first = (w.page - 1) * w.limit;
      expect(first + w.skip).toBe(start);
      expect(first + w.limit).toBeGreaterThanOrEqual(start + rows);
    }
    expect(pageWindow(100_001, 1000)).toBeUndefined();
  });
});
