import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { catalogueVersion, searchDatasets } from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import { catalogQuads } from '../dcat/dcat-graph.ts';
import { baseUrlOf, exportDatasets, logUnreadable, RDF_OFFERED, rdfFormatOf } from '../dcat/export.ts';
import { negotiate } from '../dcat/negotiate.ts';
import { RDF_EXTENSIONS, RDF_MEDIA_TYPES, serialize, type RdfFormat } from '../dcat/rdf-serialize.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { checkInstant } from '../params.ts';
import { dateOrDateTime } from '../schemas.ts';

interface CatalogQuery {
  page: number;
  limit: number;
  organization?: string[];
  modifiedFrom?: string;
  modifiedTo?: string;
}

const catalogQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    page: { type: 'integer', minimum: 1, default: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'datasets per page' },
    organization: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 20, description: 'organisation slug or id; several: any of them' },
    modifiedFrom: { ...dateOrDateTime, description: 'dct:modified on or after' },
    modifiedTo: { ...dateOrDateTime, description: 'dct:modified on or before (a date includes the whole day, UTC)' },
  },
} as const;

/**
 * `GET /catalog` (and `.ttl`, `.rdf`, `.jsonld`, `.nt`): the active catalogue as DCAT-AP 3,
 * one page at a time in a stable order, with a `hydra:PartialCollectionView` (first, previous,
 * next, last) that DCAT harvesters — Hasad's own among them — follow.
 */
export function catalogRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const handler = (suffix: RdfFormat | undefined) => async (req: FastifyRequest<{ Querystring: CatalogQuery }>, reply: FastifyReply) => {
    const format = suffix ?? rdfFormatOf(negotiate(req.headers.accept, RDF_OFFERED));
    if (!format) {
      throw new ApiError(406, 'not_acceptable', `the catalogue is served as ${RDF_OFFERED.join(', ')} (or with a .ttl, .jsonld, .rdf or .nt suffix)`);
    }
    const { page, limit, organization, modifiedFrom, modifiedTo } = req.query;
    checkInstant('modifiedFrom', modifiedFrom);
    checkInstant('modifiedTo', modifiedTo);
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
    const datasets = await exportDatasets(deps.db, res.items, base);
    logUnreadable(req.log, datasets.unreadable);
    const quads = [
      ...catalogQuads(
        base,
        datasets.iris.filter((iri) => !datasets.services.has(iri)),
        { pageUrl, pageUrlOf, page, lastPage: Math.max(1, Math.ceil(res.total / limit)), total: res.total },
        datasets.iris.filter((iri) => datasets.services.has(iri)),
      ),
      ...datasets.quads,
    ];
    return reply.type(`${RDF_MEDIA_TYPES[format]}; charset=utf-8`).send(serialize(quads, format));
  };

  app.get('/catalog', { schema: { tags: ['export'], summary: 'The catalogue as DCAT-AP, one page, in the RDF syntax the Accept header asks for', querystring: catalogQuery } }, handler(undefined));
  for (const [ext, format] of Object.entries(RDF_EXTENSIONS)) {
    app.get(`/catalog.${ext}`, { schema: { tags: ['export'], summary: `The catalogue as DCAT-AP, one page, in ${format}`, querystring: catalogQuery } }, handler(format));
  }
}
