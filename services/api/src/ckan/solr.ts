import type { DatasetFacet, DatasetSort } from '@hasad/db';

/**
 * The subset of Solr syntax CKAN clients send to `package_search`, translated to Hasad's
 * search filters. Anything else is refused (a CKAN portal answers a query Solr cannot parse
 * with a 409 Validation Error too), never silently ignored.
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

export interface FqFilters {
  organization: string[];
  theme: string[];
  keyword: string[];
  format: string[];
  license: string[];
}

/** CKAN facet / fq field → Hasad facet. */
export const CKAN_FACETS: Record<string, DatasetFacet> = {
  organization: 'organization',
  groups: 'theme',
  tags: 'keyword',
  res_format: 'format',
  license_id: 'license',
};

const FQ_FIELDS: Record<string, keyof FqFilters> = {
  organization: 'organization',
  owner_org: 'organization',
  groups: 'theme',
  tags: 'keyword',
  res_format: 'format',
  license_id: 'license',
};

/** Always true in Hasad (every package is a public dataset): accepted and ignored. */
const NEUTRAL: Record<string, string[]> = { dataset_type: ['dataset'], type: ['dataset'], state: ['active'], private: ['false'], capacity: ['public'] };

// `+field:value`, `field:"quoted value"`, `field:value`; `AND` and `+` join (all must hold).
const TOKEN = /\s*(?:(AND|&&)(?=\s|$)|\+?([A-Za-z_]+):(?:"((?:[^"\\]|\\.)*)"|([^\s"()]+)))/y;

/**
 * `fq` → filters. Repeated organisations are "any of them" (a dataset has one), other fields
 * "all of them", as CKAN's AND of clauses. Returns empty filters for an empty `fq`.
 * @throws CkanValidationError for a field or construct Hasad does not support (OR, ranges, negation).
 */
export function parseFq(fq: string | undefined): FqFilters {
  const out: FqFilters = { organization: [], theme: [], keyword: [], format: [], license: [] };
  const s = (fq ?? '').trim();
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < s.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(s);
    if (!m) {
      if (s.slice(at).trim() === '') break;
      throw new CkanValidationError('fq', `fq: cannot parse ${JSON.stringify(s.slice(at).trim())}; supported: field:value or field:"a value" joined by spaces or AND, on ${Object.keys(FQ_FIELDS).join(', ')}`);
    }
    if (m[1]) continue;
    const field = m[2]!;
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
    const target = FQ_FIELDS[field];
    if (target) out[target].push(value);
    else if (NEUTRAL[field]?.includes(value.toLowerCase())) continue;
    else throw new CkanValidationError('fq', `fq: field ${JSON.stringify(field)} is not supported; supported: ${Object.keys(FQ_FIELDS).join(', ')}`);
  }
  return out;
}

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
  for (const f of list) if (!CKAN_FACETS[f]) throw new CkanValidationError('facet.field', `facet.field ${JSON.stringify(f)} is not supported; supported: ${Object.keys(CKAN_FACETS).join(', ')}`);
  return [...new Set(list as string[])];
}

/** `q` for Hasad's full-text search: CKAN's match-all forms mean no query. */
export function parseQ(q: string | undefined): string | undefined {
  const s = (q ?? '').trim();
  if (s === '' || s === '*:*' || s === '*') return undefined;
  if (/^[A-Za-z_]+:/.test(s) && !/^https?:/i.test(s)) throw new CkanValidationError('q', `q: field queries (${JSON.stringify(s)}) are not supported; put field filters in fq`);
  return s;
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
