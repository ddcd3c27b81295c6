import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  activeDatasetIdsWithPrefix,
  catalogueVersion,
  countValues,
  getDataset,
  lookupDataset,
  isUuid,
  listActiveDatasetTitles,
  listActiveKeywords,
  listOrganizationsWithCounts,
  searchDatasets,
  suggestDatasets,
  suggestFormats,
  suggestOrganizations,
  type DatasetFacet,
  type DatasetRow,
} from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import { baseUrlOf } from '../dcat/export.ts';
import type { ApiDeps } from '../deps.ts';
import { CKAN_HELP } from '../ckan/help.ts';
import {
  ckanLang,
  facetDisplayName,
  facetName,
  groupName,
  idPrefixOfName,
  packageName,
  preferred,
  resourceId,
  toCkanGroup,
  toCkanOrganization,
  toCkanPackage,
  type CkanLang,
  type CkanOrgInfo,
} from '../ckan/package.ts';
import { licenseLabel } from '../vocabularies.ts';
import { searchCacheOf } from '../search-cache.ts';
import { CKAN_FACETS, CkanValidationError, intParam, pageWindow, parseFacetFields, parseSort } from '../ckan/solr.ts';
import { CkanSearchQueryError, parseSearchParams } from '../ckan/solr-query.ts';

/**
 * CKAN's read-only Action API (`/api/3/action/<action>`, also `/api/action/<action>`), for CKAN
 * front ends and ckanapi. GET with query parameters or POST with a JSON body, as CKAN takes
 * both. Answers use CKAN's envelope `{help, success, result}`; errors CKAN's
 * `{help, success: false, error: {__type, message}}` with its statuses (404 Not Found Error,
 * 409 Validation Error), not the /api/v1 error shape.
 *
 * Every GET answer is validated by the catalogue version (ETag, Last-Modified; 304 on a match,
 * as the /api/v1 listings), so a conditional request costs no search; package_search answers
 * are kept in the search cache (search-cache.ts) under the same version.
 */

type Params = Record<string, unknown>;
/** An action: its parameters, the request, and the catalogue version the answer is validated with. */
type Action = (p: Params, req: FastifyRequest, version: string) => Promise<unknown>;

/** CKAN's NotFound: the message is "Not found", with the detail after a colon when there is one. */
class CkanNotFound extends Error {
  override readonly name = 'CkanNotFound';
  readonly code = 'ckan_not_found';
  constructor(detail?: string) {
    super(detail ? `Not found: ${detail}` : 'Not found');
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const bool = (v: unknown): boolean => v === true || (typeof v === 'string' && ['true', '1', 'yes'].includes(v.toLowerCase()));

const FACET_LIMIT_DEFAULT = 50;
const ROWS_DEFAULT = 10;
const ROWS_MAX = 1000;
/** Packages organization_show and group_show list with include_datasets (CKAN's search.rows_max). */
const SHOW_DATASETS_MAX = 1000;

/** Parameters as a stable string (cache key, ETag): key order must not matter. */
/** The language labels are given in: the request's `Accept-Language` (fr, ar, en; French by default). */
const langOf = (req: FastifyRequest): CkanLang => ckanLang(req.headers['accept-language']);

const stableParams = (p: Params): string => JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function ckanRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const searchCache = searchCacheOf<unknown>(deps, 'ckan.package_search');
  /** Every organisation (a small table); with its count of active datasets only where the answer shows it. */
  const orgCache = async (withCounts = false): Promise<Map<string, CkanOrgInfo & { count: number }>> => {
    const orgs = await listOrganizationsWithCounts(deps.db, { counts: withCounts });
    return new Map(orgs.map((o) => [o.id, { id: o.id, slug: o.slug, name: o.name, createdAt: o.createdAt.toISOString(), count: o.datasetCount }]));
  };
  const orgOf = (row: DatasetRow, orgs: Map<string, CkanOrgInfo>): CkanOrgInfo =>
    orgs.get(row.organizationId) ?? { id: row.organizationId, slug: row.organization, name: row.organizationName, createdAt: row.createdAt };

  /** A dataset by Hasad id, source URI or identifier, or package name; active ones only, as CKAN hides deleted packages from anonymous users. */
  const findPackage = async (key: string): Promise<DatasetRow | undefined> => {
    // A source identifier or URI published by two organisations names no package: CKAN has no
    // answer listing several, so it is not found (never one of them picked); the id or name is.
    const look = await lookupDataset(deps.db, key);
    const direct = look.found;
    if (direct?.status === 'active') return direct;
    const prefix = idPrefixOfName(key);
    if (!prefix) return undefined;
    const hit = (await activeDatasetIdsWithPrefix(deps.db, prefix)).find((r) => packageName(r.id, r.title) === key);
    return hit ? getDataset(deps.db, hit.id) : undefined;
  };

  /** CKAN's package_search over Hasad's search (the cache wraps it). */
  const packageSearch = async (p: Params, lang: CkanLang): Promise<unknown> => {
    const { text: q, where } = parseSearchParams(str(p['q']), str(p['fq']));
    const rows = intParam('rows', p['rows'], ROWS_DEFAULT, ROWS_MAX);
    const start = intParam('start', p['start'], 0, Number.MAX_SAFE_INTEGER);
    const sort = parseSort(str(p['sort']), q !== undefined);
    const facetFields = parseFacetFields(str(p['facet.field']));
    // -1 is Solr's (and CKAN's) "no limit": as many as Hasad counts (200 a facet).
    const facetLimit = str(p['facet.limit']) === '-1' ? 1000 : intParam('facet.limit', p['facet.limit'], FACET_LIMIT_DEFAULT, 1000) || FACET_LIMIT_DEFAULT;
    const win = pageWindow(start, rows);
    if (!win) throw new CkanValidationError('start', `start ${start} with rows ${rows} is beyond what Hasad pages by offset; page with a smaller start or use /api/v1/datasets cursors`);
    const res = await searchDatasets(deps.db, {
      ...(q !== undefined && { q }),
      ...(where && { where }),
      sort,
      page: win.page,
      limit: win.limit,
      facets: facetFields.map((f) => CKAN_FACETS[f] as DatasetFacet),
      facetLimit,
    });
    const orgs = await orgCache();
    const results = res.items.slice(win.skip, win.skip + rows).map((row) => toCkanPackage(row, orgOf(row, orgs), lang));
    const facets: Record<string, Record<string, number>> = {};
    const searchFacets: Record<string, { title: string; items: Array<{ name: string; display_name: string; count: number }> }> = {};
    for (const field of facetFields) {
      const values = res.facets[CKAN_FACETS[field] as DatasetFacet] ?? [];
      const items = values.map((v) => ({ name: facetName(field, v.value), display_name: facetDisplayName(field, v.value, v.label, lang), count: v.count }));
      facets[field] = Object.fromEntries(items.map((i) => [i.name, i.count]));
      searchFacets[field] = { title: field, items };
    }
    return { count: res.total, sort: str(p['sort']) ?? (q !== undefined ? 'score desc, metadata_modified desc' : 'metadata_modified desc'), facets, results, search_facets: searchFacets };
  };

  /** Keys CKAN's organization_show and group_show add to the list dict; Hasad has no users, followers or extras. */
  const showExtras = { users: [], extras: [], groups: [], tags: [], num_followers: 0, image_display_url: '' };

  /** The active packages of an organisation or theme (include_datasets), by title, at most SHOW_DATASETS_MAX. */
  const packagesOf = async (filter: { organization?: string; theme?: string[] }, orgs: Map<string, CkanOrgInfo>) => {
    const res = await searchDatasets(deps.db, { ...filter, sort: 'title', limit: SHOW_DATASETS_MAX, facets: [] });
    return res.items.map((row) => toCkanPackage(row, orgOf(row, orgs)));
  };

  const actions: Record<string, Action> = {
    async package_search(p, req, version) {
      const lang = langOf(req);
      return searchCache.get(version, `${lang}|${stableParams(p)}`, () => packageSearch(p, lang));
    },

    async package_show(p, req) {
      const id = str(p['id']) ?? str(p['name_or_id']);
      if (!id) throw new CkanValidationError('id', 'Missing value');
      const row = await findPackage(id);
      if (!row) throw new CkanNotFound();
      return toCkanPackage(row, orgOf(row, await orgCache()), langOf(req));
    },

    async resource_show(p, req) {
      const id = str(p['id'])?.toLowerCase();
      if (!id) throw new CkanValidationError('id', 'Missing value');
      // A resource id begins with its dataset id's first 8 hex digits (resourceId).
      for (const candidate of await activeDatasetIdsWithPrefix(deps.db, id.slice(0, 8))) {
        const row = await getDataset(deps.db, candidate.id);
        if (!row) continue;
        const pkg = toCkanPackage(row, orgOf(row, await orgCache()), langOf(req));
        const found = (pkg['resources'] as Array<Record<string, unknown>>).find((r) => r['id'] === id);
        if (found) return found;
      }
      throw new CkanNotFound('Resource was not found.');
    },

    async current_package_list_with_resources(p, req) {
      const limit = intParam('limit', p['limit'], ROWS_DEFAULT, ROWS_MAX);
      // CKAN takes `offset`, or `page` (from 1) in pages of `limit`.
      const page = p['offset'] === undefined && p['page'] !== undefined ? Math.max(1, intParam('page', p['page'], 1, Number.MAX_SAFE_INTEGER)) : undefined;
      const offset = page !== undefined ? (page - 1) * limit : intParam('offset', p['offset'], 0, Number.MAX_SAFE_INTEGER);
      const win = pageWindow(offset, limit);
      if (!win) throw new CkanValidationError('offset', `offset ${offset} with limit ${limit} is beyond what Hasad pages by offset; use the change feed (/api/v1/changes)`);
      const res = await searchDatasets(deps.db, { sort: '-updated', page: win.page, limit: win.limit, facets: [] });
      const orgs = await orgCache();
      return res.items.slice(win.skip, win.skip + limit).map((row) => toCkanPackage(row, orgOf(row, orgs), langOf(req)));
    },

    async license_list(_p, req) {
      const lang = langOf(req);
      return (await countValues(deps.db, 'license')).map(({ value }) => {
        const label = licenseLabel(value);
        const isUrl = /^https?:\/\//i.test(value);
        return {
          id: value,
          title: label?.[lang] ?? value,
          url: isUrl ? value : '',
          status: 'active',
          maintainer: '',
          family: '',
          // Only the licences Hasad knows (vocabularies.ts) are open ones; CKAN's own flags.
          od_conformance: label ? 'approved' : 'not reviewed',
          osd_conformance: 'not reviewed',
          is_generic: false,
          is_okd_compliant: label !== undefined,
          is_osi_compliant: false,
          domain_content: false,
          domain_data: true,
          domain_software: false,
        };
      });
    },

    async package_autocomplete(p) {
      const q = str(p['q']) ?? str(p['incomplete']) ?? '';
      const limit = intParam('limit', p['limit'], 10, 100);
      const hits = await suggestDatasets(deps.db, q, limit);
      return hits.map((h) => {
        const title = preferred(h.title);
        return { name: packageName(h.id, h.title), title, match_field: 'title', match_displayed: title };
      });
    },

    async format_autocomplete(p) {
      const q = str(p['q']) ?? str(p['incomplete']) ?? '';
      if (q.trim() === '') throw new CkanValidationError('q', 'Missing value');
      const limit = intParam('limit', p['limit'], 5, 100);
      return suggestFormats(deps.db, q, limit);
    },

    async organization_autocomplete(p) {
      const q = str(p['q']) ?? '';
      if (q.trim() === '') throw new CkanValidationError('q', 'Missing value');
      const limit = intParam('limit', p['limit'], 20, 100);
      return (await suggestOrganizations(deps.db, q, limit)).map((o) => ({ id: o.id, name: o.slug, title: o.name }));
    },

    async package_list(p) {
      const limit = intParam('limit', p['limit'], ROWS_MAX * 1000, ROWS_MAX * 1000);
      const offset = intParam('offset', p['offset'], 0, Number.MAX_SAFE_INTEGER);
      // Ordered by id, a key that does not move when a dataset changes (CKAN orders by name).
      return (await listActiveDatasetTitles(deps.db, limit, offset)).map((r) => packageName(r.id, r.title));
    },

    async organization_list(p) {
      const all = [...(await orgCache(bool(p['all_fields']) || (str(p['sort']) ?? '').startsWith('package_count'))).values()];
      const sort = (str(p['sort']) ?? 'name asc').trim().toLowerCase();
      if (sort.startsWith('package_count')) all.sort((a, b) => (sort.endsWith('asc') ? a.count - b.count : b.count - a.count) || a.slug.localeCompare(b.slug));
      else if (sort.startsWith('title')) all.sort((a, b) => a.name.localeCompare(b.name));
      if (sort.endsWith('desc') && !sort.startsWith('package_count')) all.reverse();
      const offset = intParam('offset', p['offset'], 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam('limit', p['limit'], all.length, all.length);
      const page = all.slice(offset, offset + limit);
      return bool(p['all_fields']) ? page.map((o) => toCkanOrganization(o, o.count)) : page.map((o) => o.slug);
    },

    async organization_show(p) {
      const id = str(p['id']);
      if (!id) throw new CkanValidationError('id', 'Missing value');
      const orgs = await orgCache(true);
      const org = [...orgs.values()].find((o) => o.slug === id || (isUuid(id) && o.id === id.toLowerCase()));
      if (!org) throw new CkanNotFound();
      return {
        ...toCkanOrganization(org, org.count),
        ...showExtras,
        ...(bool(p['include_datasets']) && { packages: await packagesOf({ organization: org.slug }, orgs) }),
      };
    },

    async group_list(p, req) {
      const themes = await countValues(deps.db, 'themes');
      return bool(p['all_fields']) ? themes.map((t) => toCkanGroup(t.value, t.count, langOf(req))) : themes.map((t) => toCkanGroup(t.value)['name']);
    },

    async group_show(p, req) {
      const id = str(p['id']);
      if (!id) throw new CkanValidationError('id', 'Missing value');
      // A group is a theme: named by its EU code (`ENVI`), its value (URI or label) or its derived id.
      const theme = (await countValues(deps.db, 'themes')).find((t) => groupName(t.value) === id || t.value === id || toCkanGroup(t.value)['id'] === id);
      if (!theme) throw new CkanNotFound();
      return {
        ...toCkanGroup(theme.value, theme.count, langOf(req)),
        ...showExtras,
        ...(bool(p['include_datasets']) && { packages: await packagesOf({ theme: [theme.value] }, await orgCache()) }),
      };
    },

    async help_show(p) {
      const name = str(p['name']);
      if (!name) throw new CkanValidationError('name', 'Missing value');
      const text = Object.hasOwn(CKAN_HELP, name) ? CKAN_HELP[name] : undefined;
      if (!text) throw new CkanNotFound('Action function not found');
      return text;
    },

    async tag_list(p) {
      const query = str(p['query']);
      const tags = await listActiveKeywords(deps.db, query);
      return bool(p['all_fields']) ? tags.map((t) => ({ id: null, name: t, display_name: t, vocabulary_id: null, state: 'active' })) : tags;
    },

    async status_show(_p, req) {
      return {
        site_title: 'Hasad',
        site_description: 'Catalogue of open data harvested from Moroccan institutions',
        site_url: baseUrlOf(req),
        // The CKAN API version whose read actions this imitates.
        ckan_version: '2.9.0',
        error_emails_to: null,
        locale_default: 'fr',
        extensions: [],
      };
    },
  };

  const handle = async (req: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const name = req.params.action;
    const help = `${baseUrlOf(req)}/api/3/action/help_show?name=${encodeURIComponent(name)}`;
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!action) {
      return reply.code(400).send({ help, success: false, error: { __type: 'Bad request - Action Error', message: `Bad request - Action name not known: ${name}` } });
    }
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Params) : {};
    // CKAN's `facet.field` may come as a JSON list in the query or as a real list in a POST body.
    const params: Params = { ...(req.query as Params), ...body };
    if (Array.isArray(params['facet.field'])) params['facet.field'] = JSON.stringify(params['facet.field']);
    // Validated before acting: a 304 costs a few index probes. Every answer here is derived from
    // the catalogue, so its version validates all of them (help_show's too, harmlessly).
    const version = await catalogueVersion(deps.db);
    if (req.method === 'GET') {
      // Labels follow Accept-Language: a cache must keep one answer per language.
      reply.header('vary', 'Accept-Language');
      const etag = weakEtag('ckan', name, version.token, langOf(req), stableParams(params));
      if (checkNotModified(req, reply, { etag, lastModified: version.lastModified })) return sendNotModified(reply);
    }
    try {
      return { help, success: true, result: await action(params, req, version.token) };
    } catch (err) {
      // An error answer is not a representation to revalidate.
      for (const h of ['etag', 'last-modified', 'cache-control']) reply.removeHeader(h);
      if (err instanceof CkanSearchQueryError) return reply.code(400).send({ help, success: false, error: { __type: 'Search Query Error', message: err.message } });
      if (err instanceof CkanNotFound) return reply.code(404).send({ help, success: false, error: { __type: 'Not Found Error', message: err.message } });
      if (err instanceof CkanValidationError) {
        return reply.code(409).send({ help, success: false, error: { __type: 'Validation Error', message: err.message, [err.field]: [err.message] } });
      }
      throw err;
    }
  };

  // CKAN's success envelope. `result` differs by action (a package dict, a list of names, a
  // search result…) and follows CKAN's own shapes, so it is left open; extra members are kept
  // (additionalProperties) so that the schema documents the answer without filtering it. Error
  // answers are not declared: CKAN's own (404 Not Found Error, 409 Validation Error) and Hasad's
  // (400 bad parameters, 429 rate limit) both reach this route, and a declared shape would make
  // the serialiser refuse the other.
  const schema = {
    tags: ['ckan'],
    summary: `CKAN-compatible read action (${Object.keys(CKAN_HELP).join(', ')})`,
    params: { type: 'object', required: ['action'], properties: { action: { type: 'string', maxLength: 64 } } },
    response: {
      200: {
        description: 'CKAN success envelope: `result` as the action returns it in CKAN',
        type: 'object',
        required: ['help', 'success', 'result'],
        additionalProperties: true,
        properties: { help: { type: 'string' }, success: { type: 'boolean' }, result: {} },
      },
    },
  };
  for (const prefix of ['/api/3/action', '/api/action']) {
    app.get(`${prefix}/:action`, { schema }, handle);
    // CKAN takes POST for every action (ckanapi posts by default); these are still reads.
    app.post(`${prefix}/:action`, { schema, config: { access: 'public' } }, handle);
  }
}
