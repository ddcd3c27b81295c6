import type { FastifyInstance } from 'fastify';
import { catalogueVersion, DATASET_FACETS, DATASET_SORTS, DEFAULT_FACETS, getDataset, InvalidCursorError, searchDatasets, type DatasetFacet, type DatasetRow, type DatasetSort } from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import { datasetQuads } from '../dcat/dcat-graph.ts';
import { negotiate } from '../dcat/negotiate.ts';
import { RDF_MEDIA_TYPES, serialize } from '../dcat/rdf-serialize.ts';
import { baseUrlOf, RDF_OFFERED, rdfFormatOf, toExportDataset } from '../dcat/export.ts';
import { checkInstant } from '../params.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { datasetItem, dateOrDateTime, errorResponses, facetsBody } from '../schemas.ts';
import { searchCacheOf } from '../search-cache.ts';
import { toIso } from '../timestamps.ts';
import { datasetQualityBody, toQualityItem } from './quality.schemas.ts';

interface ListQuery {
  q?: string;
  organization?: string[];
  source?: string;
  theme?: string[];
  keyword?: string[];
  format?: string[];
  license?: string[];
  licence?: string[];
  language?: string[];
  modifiedFrom?: string;
  modifiedTo?: string;
  status: 'active' | 'withdrawn' | 'all';
  sort?: DatasetSort;
  page: number;
  limit: number;
  cursor?: string;
  facets?: string;
  facetLimit: number;
}

const FACET_NAMES = [...DATASET_FACETS, 'licence'];
/** Repeatable parameters: `theme=A&theme=B` (a single value is coerced to a list). */
const list = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1, maxLength: 2048 }, maxItems: 20, description }) as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 200, description: 'full-text query over title, keywords and description in every language (websearch syntax: "a phrase", or, -word)' },
    organization: list('organisation slug or id; several: any of them'),
    source: { type: 'string', format: 'uuid', description: 'source id' },
    theme: list('theme URI, label or EU data-theme code (ENVI); several: all of them'),
    keyword: list('keyword, exact, any language; several: all of them'),
    format: list('distribution format: CSV, an EU file-type URI, a media type; several: all of them'),
    license: list('licence URI; several: any of them'),
    licence: list('same as license'),
    language: list('language code (fr, ar, fra) or EU language URI; several: all of them'),
    modifiedFrom: { ...dateOrDateTime, description: 'dct:modified on or after (date or date-time)' },
    modifiedTo: { ...dateOrDateTime, description: 'dct:modified on or before (a date includes the whole day, UTC)' },
    status: { type: 'string', enum: ['active', 'withdrawn', 'all'], default: 'active' },
    sort: { type: 'string', enum: DATASET_SORTS, description: 'default: relevance with q, else -updated; "-" is descending' },
    page: { type: 'integer', minimum: 1, default: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
    cursor: { type: 'string', maxLength: 2048, description: 'nextCursor of the previous page (keyset paging; page is then ignored)' },
    facets: { type: 'string', pattern: `^((${FACET_NAMES.join('|')})(,(${FACET_NAMES.join('|')}))*)?$`, description: `comma-separated facets to count (default ${DEFAULT_FACETS.join(',')}; empty: none)` },
    facetLimit: { type: 'integer', minimum: 1, maximum: 200, default: 20, description: 'values per facet, most frequent first' },
  },
} as const;

const listResponse = {
  type: 'object',
  required: ['total', 'page', 'limit', 'items', 'facets', 'nextCursor'],
  properties: {
    total: { type: 'integer' },
    page: { type: 'integer' },
    limit: { type: 'integer' },
    items: { type: 'array', items: datasetItem },
    facets: facetsBody,
    nextCursor: { type: ['string', 'null'], description: 'pass as cursor= for the next page; null on the last page' },
  },
} as const;

function parseFacets(v: string | undefined): DatasetFacet[] {
  if (v === undefined) return [...DEFAULT_FACETS];
  return [...new Set(v.split(',').filter((x) => x !== '').map((x) => (x === 'licence' ? 'license' : x) as DatasetFacet))];
}

/** The query as a stable list of pairs (the ETag must not depend on parameter order). */
function sortedEntries(q: object): Array<[string, unknown]> {
  return Object.entries(q).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The catalogue's view of a dataset: the canonical record's fields, then Hasad's own, so
 * that a record field can never hide the id or status the catalogue decided.
 */
export function toDatasetItem(row: DatasetRow): Record<string, unknown> {
  return {
    ...row.record,
    id: row.id,
    organization: row.organization,
    sourceId: row.sourceId,
    sourceIdentifier: row.sourceIdentifier,
    uri: row.uri,
    status: row.status,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    withdrawnAt: toIso(row.withdrawnAt),
  };
}

export function datasetRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const cache = searchCacheOf<string>(deps, 'datasets');
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/datasets',
    {
      schema: {
        querystring: listQuery,
        response: { 200: listResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { license, licence, facets, modifiedFrom, modifiedTo, page, limit, ...rest } = req.query;
      checkInstant('modifiedFrom', modifiedFrom);
      checkInstant('modifiedTo', modifiedTo);
      // Validated before searching: a 304 costs a few index probes, not a search.
      const version = await catalogueVersion(deps.db);
      const query = sortedEntries(req.query);
      const etag = weakEtag('datasets', version.token, query);
      if (checkNotModified(req, reply, { etag, lastModified: version.lastModified })) return sendNotModified(reply);
      try {
        // The answer is cached serialised (by this route's response schema): a hit costs the
        // version lookup above and a copy, not a search nor 20 records' serialisation.
        const search = async () => {
          const res = await searchDatasets(deps.db, {
            ...rest,
            modifiedFrom,
            modifiedTo,
            page,
            limit,
            license: [...(license ?? []), ...(licence ?? [])],
            facets: parseFacets(facets),
          });
          return reply.serialize({ total: res.total, page, limit, items: res.items.map(toDatasetItem), facets: res.facets, nextCursor: res.nextCursor }) as string;
        };
        const body = await cache.get(version.token, JSON.stringify(query), search);
        return reply.type('application/json; charset=utf-8').send(body);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw new ApiError(400, 'invalid_parameter', `querystring parameter "cursor": ${err.message}`);
        throw err;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/datasets/:id',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 2048, description: 'Hasad id, or the source’s URI or identifier (URL-encoded)' } },
        },
        response: { 200: { ...datasetItem, properties: { ...datasetItem.properties, quality: datasetQualityBody } }, ...errorResponses },
      },
    },
    async (req, reply) => {
      // JSON unless the Accept header prefers one of the RDF syntaxes (DCAT-AP, as /catalog).
      const type = negotiate(req.headers.accept, ['application/json', ...RDF_OFFERED]) ?? 'application/json';
      reply.header('vary', 'Accept');
      const row = await getDataset(deps.db, req.params.id);
      if (!row) throw notFound('dataset', req.params.id);
      // The quality is re-computed by the link check without touching the record: it is part of the validator.
      const etag = weakEtag('dataset', type, row.id, row.contentHash, row.status, row.updatedAt, row.organization, row.quality?.['s'] ?? null, row.quality?.['m'] ?? null);
      if (checkNotModified(req, reply, { etag, lastModified: new Date(toIso(row.updatedAt)) })) return sendNotModified(reply);
      const format = rdfFormatOf(type);
      if (format) return reply.type(`${RDF_MEDIA_TYPES[format]}; charset=utf-8`).send(serialize(datasetQuads(toExportDataset(row), baseUrlOf(req)), format));
      return { ...toDatasetItem(row), quality: toQualityItem(row.quality) };
    },
  );
}
