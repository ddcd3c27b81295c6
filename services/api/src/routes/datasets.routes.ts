import type { FastifyInstance } from 'fastify';
import {
  catalogueVersion,
  DATASET_FACETS,
  DATASET_SORTS,
  DEFAULT_FACETS,
  InvalidCursorError,
  lookupDataset,
  searchDatasets,
  sourceDescriptionsOf,
  correctQuery,
  suggestDatasets,
  suggestKeywords,
  suggestOrganizations,
  type DatasetFacet,
  type DatasetRow,
  type DatasetSearchResult,
  type DatasetSort,
} from '@hasad/db';
import type { Lang } from '@hasad/i18n';
import { answerLang } from '../lang.ts';
import { licenseLabel, themeLabel } from '../vocabularies.ts';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import { negotiate } from '../dcat/negotiate.ts';
import { RDF_MEDIA_TYPES, serialize } from '../dcat/rdf-serialize.ts';
import { baseUrlOf, exportDatasets, logUnreadable, RDF_OFFERED, rdfFormatOf } from '../dcat/export.ts';
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
  required: ['total', 'fuzzy', 'page', 'limit', 'items', 'facets', 'nextCursor'],
  properties: {
    total: { type: 'integer' },
    fuzzy: { type: 'boolean', description: 'true when q found nothing as typed and this is the search of its words corrected to the most similar title words (typo tolerance; the search vocabulary, a scheduler tick stale at most)' },
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

/**
 * Every facet value with a label in the request's language: organisations their name (from the
 * search), EU themes and known licences their label (vocabularies.ts), languages their name
 * (Intl.DisplayNames), formats and keywords themselves.
 */
export function labelFacets(facets: DatasetSearchResult['facets'], lang: Lang): DatasetSearchResult['facets'] {
  const languageNames = new Intl.DisplayNames([lang], { type: 'language', fallback: 'code' });
  const languageName = (v: string) => {
    try {
      return languageNames.of(v) ?? v;
    } catch {
      return v; // not a well-formed language code: shown as given
    }
  };
  const out: DatasetSearchResult['facets'] = {};
  for (const [name, values] of Object.entries(facets) as Array<[DatasetFacet, NonNullable<DatasetSearchResult['facets'][DatasetFacet]>]>) {
    out[name] = values.map((v) => {
      const label =
        v.label ??
        (name === 'theme' ? themeLabel(v.value)?.[lang] : name === 'license' ? licenseLabel(v.value)?.[lang] : name === 'language' ? languageName(v.value) : undefined) ??
        v.value;
      return { value: v.value, label, count: v.count };
    });
  }
  return out;
}

/** The title in `lang`, else French, else the first language given. */
function titleIn(title: Record<string, string>, lang: Lang): string {
  return title[lang] ?? title['fr'] ?? Object.values(title)[0] ?? '';
}

const suggestResponse = {
  type: 'object',
  required: ['q', 'datasets', 'keywords', 'organizations'],
  properties: {
    q: { type: 'string' },
    datasets: {
      type: 'array',
      items: { type: 'object', required: ['id', 'title'], properties: { id: { type: 'string', format: 'uuid' }, title: { type: 'string', description: "in the request's language when the dataset has one" } } },
    },
    keywords: { type: 'array', items: { type: 'object', required: ['value', 'count'], properties: { value: { type: 'string' }, count: { type: 'integer' } } } },
    organizations: { type: 'array', items: { type: 'object', required: ['slug', 'name'], properties: { slug: { type: 'string' }, name: { type: 'string' } } } },
  },
} as const;

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
        tags: ['search'],
        summary: 'Search and list the active datasets, with filters, facets and cursor paging',
        querystring: listQuery,
        response: { 200: listResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { license, licence, facets, modifiedFrom, modifiedTo, page, limit, ...rest } = req.query;
      checkInstant('modifiedFrom', modifiedFrom);
      checkInstant('modifiedTo', modifiedTo);
      // Facet labels follow Accept-Language: one cached answer per language.
      const lang = answerLang(req, reply);
      // Validated before searching: a 304 costs a few index probes, not a search.
      const version = await catalogueVersion(deps.db);
      const query = [...sortedEntries(req.query), ['lang', lang]];
      const etag = weakEtag('datasets', version.token, query);
      if (checkNotModified(req, reply, { etag, lastModified: version.lastModified })) return sendNotModified(reply);
      try {
        // The answer is cached serialised (by this route's response schema): a hit costs the
        // version lookup above and a copy, not a search nor 20 records' serialisation.
        const search = async () => {
          const filter = {
            ...rest,
            modifiedFrom,
            modifiedTo,
            page,
            limit,
            license: [...(license ?? []), ...(licence ?? [])],
            facets: parseFacets(facets),
          };
          let res = await searchDatasets(deps.db, filter);
          // Nothing as typed (a typo, a missing letter), said so: each word not in the search
          // vocabulary corrected to its most similar title word, then the same search again
          // (ranked and faceted as any); while the vocabulary is empty, the titles
          // most like the query (trigram word similarity over every title).
          const fuzzy = res.total === 0 && rest.q !== undefined && rest.q.trim() !== '';
          if (fuzzy) {
            const corrected = await correctQuery(deps.db, rest.q!);
            if (corrected === undefined) res = await searchDatasets(deps.db, { ...filter, fuzzy: true });
            else if (corrected.changed) res = await searchDatasets(deps.db, { ...filter, q: corrected.q });
          }
          return reply.serialize({ total: res.total, fuzzy, page, limit, items: res.items.map(toDatasetItem), facets: labelFacets(res.facets, lang), nextCursor: res.nextCursor }) as string;
        };
        const body = await cache.get(version.token, JSON.stringify(query), search);
        return reply.type('application/json; charset=utf-8').send(body);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw new ApiError(400, 'invalid_parameter', `querystring parameter "cursor": ${err.message}`);
        throw err;
      }
    },
  );

  app.get<{ Querystring: { q: string; limit: number } }>(
    '/api/v1/datasets/suggest',
    {
      schema: {
        tags: ['search'],
        summary: 'Suggestions as a user types: dataset titles, keywords and organisations beginning with q',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['q'],
          properties: {
            q: { type: 'string', minLength: 1, maxLength: 200, description: 'what was typed so far; each word is a prefix (pharm finds pharmacies), accents, case and Arabic spelling folded' },
            limit: { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'suggestions of each kind' },
          },
        },
        response: { 200: suggestResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const lang = answerLang(req, reply);
      const { q, limit } = req.query;
      const [datasets, keywords, organizations] = await Promise.all([
        suggestDatasets(deps.db, q, limit),
        suggestKeywords(deps.db, q, limit),
        // Organisations whose slug begins with, or name contains, what was typed (trimmed).
        q.trim() === '' ? Promise.resolve([]) : suggestOrganizations(deps.db, q, limit),
      ]);
      return {
        q,
        datasets: datasets.map((d) => ({ id: d.id, title: titleIn(d.title, lang) })),
        keywords,
        organizations: organizations.map((o) => ({ slug: o.slug, name: o.name })),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { organization?: string } }>(
    '/api/v1/datasets/:id',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'One dataset: its canonical record, organisation, source and status',
        description:
          'By Hasad id, or by the source’s URI or identifier (URL-encoded). Two organisations may publish the same identifier or URI: `organization` (a slug) looks the key up within one; when the key still names several active datasets the answer is **300 `ambiguous_key`** listing each (id, organisation, href), never one picked.',
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 2048, description: 'Hasad id, or the source’s URI or identifier (URL-encoded)' } },
        },
        querystring: { type: 'object', properties: { organization: { type: 'string', minLength: 1, maxLength: 200, description: 'look the key up within this organisation (slug)' } } },
        response: { 200: { ...datasetItem, properties: { ...datasetItem.properties, quality: datasetQualityBody } }, 300: ambiguousBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      // JSON unless the Accept header prefers one of the RDF syntaxes (DCAT-AP, as /catalog).
      const type = negotiate(req.headers.accept, ['application/json', ...RDF_OFFERED]) ?? 'application/json';
      reply.header('vary', 'Accept');
      const look = await lookupDataset(deps.db, req.params.id, { organization: req.query.organization });
      if (!look.found && look.matches.length > 1) return reply.code(300).send(ambiguous(req.params.id, look.matches));
      const row = look.found;
      if (!row) throw notFound('dataset', req.params.id);
      // The quality is re-computed by the link check without touching the record: it is part of the validator.
      const etag = weakEtag('dataset', type, row.id, row.contentHash, row.status, row.updatedAt, row.organization, row.quality?.['s'] ?? null, row.quality?.['m'] ?? null);
      if (checkNotModified(req, reply, { etag, lastModified: new Date(toIso(row.updatedAt)) })) return sendNotModified(reply);
      const format = rdfFormatOf(type);
      if (format) {
        const exported = await exportDatasets(deps.db, [row], baseUrlOf(req));
        logUnreadable(req.log, exported.unreadable);
        return reply.type(`${RDF_MEDIA_TYPES[format]}; charset=utf-8`).send(serialize(exported.quads, format));
      }
      return { ...toDatasetItem(row), quality: toQualityItem(row.quality) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/datasets/:id/source',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'What the source itself said of a dataset, as kept at its last harvest (N-Triples or XML)',
        description:
          'The source’s own description of the dataset, as kept at its last harvest: N-Triples for RDF sources (its concise bounded description), the original XML for ISO 19139 ones. 404 no_source_description for kinds that keep none (CSV, SOAP, CKAN).',
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 2048, description: 'Hasad id, or the source’s URI or identifier (URL-encoded)' } },
        },
        response: { 200: { type: 'string' }, 300: ambiguousBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const look = await lookupDataset(deps.db, req.params.id);
      if (!look.found && look.matches.length > 1) return reply.code(300).send(ambiguous(req.params.id, look.matches));
      const row = look.found;
      if (!row) throw notFound('dataset', req.params.id);
      // Unreadable stored bytes: an error naming the dataset, in the log; a 500 to the client.
      const kept = (await sourceDescriptionsOf(deps.db, [row.id])).get(row.id);
      if (!kept) throw new ApiError(404, 'no_source_description', `dataset ${row.id} keeps no description of its source (its source kind keeps none, or it was last harvested before descriptions were kept)`);
      const etag = weakEtag('dataset-source', row.id, row.contentHash);
      if (checkNotModified(req, reply, { etag, lastModified: new Date(toIso(row.updatedAt)) })) return sendNotModified(reply);
      return reply.type(`${kept.format}; charset=utf-8`).send(kept.body);
    },
  );
}

/** The 300 answer of a key that names several datasets: each match, for the caller to choose. */
const ambiguousBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'matches'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        matches: {
          type: 'array',
          items: {
            type: 'object',
            properties: { id: { type: 'string' }, organization: { type: 'string' }, sourceIdentifier: { type: 'string' }, uri: { type: ['string', 'null'] }, href: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

function ambiguous(key: string, rows: DatasetRow[]) {
  return {
    error: {
      code: 'ambiguous_key',
      message: `${JSON.stringify(key)} is the identifier or URI of ${rows.length} datasets of different sources; ask by Hasad id, or add ?organization=<slug>`,
      matches: rows.map((r) => ({ id: r.id, organization: r.organization, sourceIdentifier: r.sourceIdentifier, uri: r.uri, href: `/api/v1/datasets/${r.id}` })),
    },
  };
}
