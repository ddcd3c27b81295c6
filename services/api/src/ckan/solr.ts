import type { DatasetFacet, DatasetSort } from '@hasad/db';

/**
 * `package_search`'s other parameters (sort, facet.field, paging) translated to Hasad's search;
 * `q` and `fq` are parsed by solr-query.ts. Anything else is refused (CKAN's 409 Validation
 * Error), never silently ignored.
 */

/** A parameter Hasad cannot honour; the route answers CKAN's 409 Validation Error. */
export class CkanValidationError extends Error {
  override readonly name = 'CkanValidationError';
  readonly code = 'ckan_validation';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** CKAN facet / fq field → Hasad facet. */
export const CKAN_FACETS: Record<string, DatasetFacet> = {
  organization: 'organization',
  groups: 'theme',
  tags: 'keyword',
  res_format: 'format',
  license_id: 'license',
};

/**
 * CKAN `sort` → Hasad sort. The first clause decides (`score desc, metadata_modified desc`,
 * CKAN's default, is relevance with a query and most recently changed without one).
 * `metadata_modified` is when Hasad last changed the dataset, as in the package dict.
 */
export function parseSort(sort: string | undefined, hasQuery: boolean): DatasetSort {
  const first = (sort ?? '').split(',')[0]!.trim().toLowerCase().replace(/\s+/g, ' ');
  const map: Record<string, DatasetSort> = {
    'metadata_modified desc': '-updated',
    'metadata_modified asc': 'updated',
    'metadata_modified': 'updated',
    'title_string asc': 'title',
    'title_string': 'title',
    'title_string desc': '-title',
    'name asc': 'title',
    'name': 'title',
    'name desc': '-title',
    'id asc': 'id',
    'id': 'id',
  };
  if (first === '' || first === 'score desc' || first === 'score') return hasQuery ? 'relevance' : '-updated';
  const s = map[first];
  if (!s) throw new CkanValidationError('sort', `sort ${JSON.stringify(sort)} is not supported; use score desc, metadata_modified desc|asc, title_string asc|desc, name asc|desc or id asc`);
  return s;
}

/** `facet.field`: a JSON list of CKAN facet names (CKAN's default when absent is none). */
export function parseFacetFields(v: string | undefined): string[] {
  if (v === undefined || v === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(v);
  } catch {
    throw new CkanValidationError('facet.field', 'facet.field must be a JSON list such as ["organization","tags"]');
  }
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new CkanValidationError('facet.field', 'facet.field must be a JSON list of strings');
  // Own properties only: "__proto__" or "constructor" must not pass for a facet.
  for (const f of list) if (!Object.hasOwn(CKAN_FACETS, f)) throw new CkanValidationError('facet.field', `facet.field ${JSON.stringify(f)} is not supported; supported: ${Object.keys(CKAN_FACETS).join(', ')}`);
  return [...new Set(list as string[])];
}

/** A non-negative integer parameter, CKAN's "Invalid integer" otherwise. */
export function intParam(name: string, v: unknown, dflt: number, max: number): number {
  if (v === undefined || v === '') return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CkanValidationError(name, `${name}: Invalid integer`);
  return Math.min(n, max);
}

/**
 * The repository pages by (page, limit); CKAN by (start, rows). The smallest limit ≥ rows
 * whose page holds start..start+rows-1, and where that window begins in it.
 */
export function pageWindow(start: number, rows: number, maxLimit = 1000): { page: number; limit: number; skip: number } | undefined {
  if (rows === 0) return { page: 1, limit: 1, skip: 0 };
  for (let limit = rows; limit <= maxLimit; limit++) {
    const first = Math.floor(start / limit) * limit;
    if (first + limit >= start + rows) return { page: first / limit + 1, limit, skip: start - first };
  }
  return undefined;
}
