import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redactUrl } from '@hasad/core';
import { catalogueVersion, searchDatasets, type DatasetRow } from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import { catalogQuads, datasetIri, datasetQuads, type ExportDataset } from '../dcat/dcat-graph.ts';
import { negotiate } from '../dcat/negotiate.ts';
import { RDF_EXTENSIONS, RDF_MEDIA_TYPES, serialize, type RdfFormat } from '../dcat/rdf-serialize.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

/** Media types the RDF endpoints answer in, Turtle first (the default). */
export const RDF_OFFERED = [RDF_MEDIA_TYPES.turtle, RDF_MEDIA_TYPES.jsonld, RDF_MEDIA_TYPES.rdfxml, RDF_MEDIA_TYPES.ntriples] as const;
const FORMAT_OF: Record<string, RdfFormat> = Object.fromEntries(Object.entries(RDF_MEDIA_TYPES).map(([f, t]) => [t, f as RdfFormat]));

export function rdfFormatOf(mediaType: string | undefined): RdfFormat | undefined {
  return mediaType === undefined ? undefined : FORMAT_OF[mediaType];
}

/** Scheme, host and port the client used: dataset and catalogue IRIs are built on it. */
export function baseUrlOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

export function toExportDataset(row: DatasetRow): ExportDataset {
  return { id: row.id, uri: row.uri, record: row.record, organizationName: row.organizationName, sourceUrl: publicUrl(row.sourceUrl) };
}

/** A source's feed URL fit to publish: no user or password, secrets in the query masked. */
function publicUrl(url: string): string {
  try {
    const u = new URL(redactUrl(url));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '';
  }
}

interface CatalogQuery {
  page: number;
  limit: number;
  organization?: string[];
  modifiedFrom?: string;
  modifiedTo?: string;
}

const DATE_OR_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$';

const catalogQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    page: { type: 'integer', minimum: 1, default: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'datasets per page' },
    organization: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 20, description: 'organisation slug or id; several: any of them' },
    modifiedFrom: { type: 'string', pattern: DATE_OR_DATE_TIME, description: 'dct:modified on or after' },
    modifiedTo: { type: 'string', pattern: DATE_OR_DATE_TIME, description: 'dct:modified on or before (a date includes the whole day, UTC)' },
  },
} as const;

/**
 * `GET /catalog` (and `.ttl`, `.rdf`, `.jsonld`, `.nt`): the active catalogue as DCAT-AP 3,
 * one page at a time in a stable order, with a `hydra:PartialCollectionView` (first, previous,
 * next, last) that DCAT harvesters — Hasad's own among them — follow.
 */
export function catalogRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const handler = (suffix: RdfFormat | undefined) => async (req: FastifyRequest<{ Querystring: CatalogQuery }>, reply: import('fastify').FastifyReply) => {
    const format = suffix ?? rdfFormatOf(negotiate(req.headers.accept, RDF_OFFERED));
    if (!format) {
      throw new ApiError(406, 'not_acceptable', `the catalogue is served as ${RDF_OFFERED.join(', ')} (or with a .ttl, .jsonld, .rdf or .nt suffix)`);
    }
    const { page, limit, organization, modifiedFrom, modifiedTo } = req.query;
    for (const [name, v] of [['modifiedFrom', modifiedFrom], ['modifiedTo', modifiedTo]] as const) {
      if (v !== undefined && Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v))) {
        throw new ApiError(400, 'invalid_parameter', `querystring parameter "${name}" is not a valid date or date-time`);
      }
    }
    if (!suffix) reply.header('vary', 'Accept');
    const version = await catalogueVersion(deps.db);
    const etag = weakEtag('catalog', format, version.token, req.url);
    if (checkNotModified(req, reply, { etag, lastModified: version.lastModified })) return sendNotModified(reply);

    const res = await searchDatasets(deps.db, { status: 'active', sort: 'id', page, limit, organization, modifiedFrom, modifiedTo, facets: [] });
    const base = baseUrlOf(req);
    const pageUrl = `${base}${req.url}`;
    const pageUrlOf = (n: number) => {
      const u = new URL(pageUrl);
      u.searchParams.set('page', String(n));
      return u.toString();
    };
    const datasets = res.items.map(toExportDataset);
    const quads = [
      ...catalogQuads(
        base,
        datasets.map((d) => datasetIri(d, base)),
        { pageUrl, pageUrlOf, page, lastPage: Math.max(1, Math.ceil(res.total / limit)), total: res.total },
      ),
      ...datasets.flatMap((d) => datasetQuads(d, base)),
    ];
    return reply.type(`${RDF_MEDIA_TYPES[format]}; charset=utf-8`).send(serialize(quads, format));
  };

  app.get('/catalog', { schema: { querystring: catalogQuery } }, handler(undefined));
  for (const [ext, format] of Object.entries(RDF_EXTENSIONS)) app.get(`/catalog.${ext}`, { schema: { querystring: catalogQuery } }, handler(format));
}
