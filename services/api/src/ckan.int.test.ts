import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, seedCatalogue, type ApiHarness, type Seeded } from './test-harness.ts';

// The CKAN-compatible read API (/api/3/action/…) against the real API and PostgreSQL, called
// as a CKAN front end and ckanapi call it, and compared key by key with real CKAN answers
// (demo.ckan.org, 2017) in ../shared/conformance/ckan-api.

const CONFORMANCE = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'conformance', 'ckan-api', 'demo.ckan.org-2017');
// A clone without ../shared runs every test of ours but the key-by-key comparisons, and says so.
const HAVE_CONFORMANCE = existsSync(CONFORMANCE);
if (!HAVE_CONFORMANCE) console.warn(`SKIPPED CKAN API comparisons with real CKAN answers: ${CONFORMANCE} not found (it holds the shared conformance files; see README)`);

type Json = Record<string, unknown>;

/** JSON type names as CKAN clients see them. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Keys of the real package dicts (package_show and package_search results) → JSON types seen, per part. */
function realShapes(): Record<'top' | 'resources' | 'organization' | 'tags', Map<string, Set<string>>> {
  const files = readdirSync(CONFORMANCE).filter((f) => /^[0-9a-f-]{36}\.json$/.test(f));
  const packages: Json[] = files.map((f) => (JSON.parse(readFileSync(join(CONFORMANCE, f), 'utf8')) as { result: Json }).result);
  const search = JSON.parse(readFileSync(join(CONFORMANCE, 'packages.json'), 'utf8')) as { result: { results: Json[] } };
  packages.push(...search.result.results);
  const shapes = { top: new Map<string, Set<string>>(), resources: new Map<string, Set<string>>(), organization: new Map<string, Set<string>>(), tags: new Map<string, Set<string>>() };
  const note = (m: Map<string, Set<string>>, o: Json) => {
    for (const [k, v] of Object.entries(o)) (m.get(k) ?? m.set(k, new Set()).get(k)!).add(jsonType(v));
  };
  for (const p of packages) {
    note(shapes.top, p);
    for (const r of p['resources'] as Json[]) note(shapes.resources, r);
    for (const t of p['tags'] as Json[]) note(shapes.tags, t);
    if (p['organization']) note(shapes.organization, p['organization'] as Json);
  }
  return shapes;
}

/**
 * Types a key of ours may have. The real answers only ever show `null` for a few resource keys
 * (mimetype, size, last_modified: the demo's uploads had none); CKAN's schema gives them a
 * string or an integer when known, which is what Hasad has for harvested distributions.
 */
const NULL_OR: Record<string, string> = { mimetype: 'string', size: 'number', last_modified: 'string', cache_url: 'string', cache_last_updated: 'string', mimetype_inner: 'string', resource_type: 'string' };

function shapeMismatches(part: string, real: Map<string, Set<string>>, ours: Json): string[] {
  const out: string[] = [];
  for (const [key, types] of real) {
    if (!(key in ours)) {
      out.push(`${part}.${key}: missing`);
      continue;
    }
    const t = jsonType(ours[key]);
    const allowed = new Set(types);
    // Types JSON cannot tell apart from Python's: int and float are both numbers, dict is object.
    if (types.has('null') && NULL_OR[key]) allowed.add(NULL_OR[key]!);
    if (!allowed.has(t)) out.push(`${part}.${key}: ${t}, CKAN gives ${[...types].join('|')}`);
  }
  return out;
}

let h: ApiHarness;
let seeded: Seeded;

beforeAll(async () => {
  h = await startApiHarness();
  seeded = await seedCatalogue(h.db, 3);
});
afterAll(async () => {
  await h?.close();
});

async function action(name: string, query = '', expectStatus = 200): Promise<Json> {
  const res = await h.app.inject({ method: 'GET', url: `/api/3/action/${name}${query ? `?${query}` : ''}` });
  expect(res.statusCode, res.body).toBe(expectStatus);
  const body = res.json() as Json;
  expect(body['help']).toMatch(new RegExp(`/api/3/action/help_show\\?name=${name}$`));
  return body;
}

describe('CKAN package dict', () => {
  it.skipIf(!HAVE_CONFORMANCE)('has every key real CKAN package dicts have, with the same JSON type, at top level and in resources, organization and tags', async () => {
    const shapes = realShapes();
    expect(shapes.top.size).toBeGreaterThan(25);
    const body = await action('package_show', `id=${seeded.dataset.electricite}`);
    expect(body['success']).toBe(true);
    const pkg = body['result'] as Json;
    const mismatches = [
      ...shapeMismatches('package', shapes.top, pkg),
      ...shapeMismatches('organization', shapes.organization, pkg['organization'] as Json),
      ...(pkg['resources'] as Json[]).flatMap((r, i) => shapeMismatches(`resources[${i}]`, shapes.resources, r)),
      ...(pkg['tags'] as Json[]).flatMap((t, i) => shapeMismatches(`tags[${i}]`, shapes.tags, t)),
    ];
    expect(mismatches).toEqual([]);
    expect((pkg['resources'] as Json[]).length).toBe(1);
    expect((pkg['tags'] as Json[]).length).toBeGreaterThan(0);
    // A dataset with no distributions, tags or licence keeps the same top-level shape.
    const bare = (await action('package_show', `id=${seeded.dataset.emploi}`))['result'] as Json;
    expect(shapeMismatches('package', shapes.top, bare)).toEqual([]);
  });

  it('maps the canonical record field by field', async () => {
    const pkg = (await action('package_show', `id=${seeded.dataset.electricite}`))['result'] as Json;
    expect(pkg).toMatchObject({
      id: seeded.dataset.electricite,
      title: "Consommation d'électricité par région",
      title_translated: { fr: "Consommation d'électricité par région", en: 'Electricity consumption by region' },
      notes: 'Consommation annuelle en GWh.',
      notes_translated: { fr: 'Consommation annuelle en GWh.' },
      url: 'https://open.onee.ma/conso',
      state: 'active',
      private: false,
      type: 'dataset',
      license_id: 'https://creativecommons.org/licenses/by/4.0/',
      license_url: 'https://creativecommons.org/licenses/by/4.0/',
      isopen: true,
      maintainer: 'Service données',
      maintainer_email: 'data@onee.ma',
      author: 'ONEE',
      num_resources: 1,
      num_tags: 3,
      owner_org: seeded.org.onee,
      organization: { id: seeded.org.onee, name: 'onee', title: "Office National de l'Électricité et de l'Eau Potable", is_organization: true, type: 'organization' },
      groups: [{ name: 'ENER', title: 'Énergie', display_name: 'Énergie', uri: 'http://publications.europa.eu/resource/authority/data-theme/ENER' }],
      metadata_modified: '2025-03-01T08:45:00.000000',
    });
    expect(pkg['name']).toMatch(/^consommation-d-electricite-par-region-[0-9a-f]{8}$/);
    expect(typeof pkg['license_title']).toBe('string');
    expect((pkg['tags'] as Json[]).map((t) => t['name']).sort()).toEqual(['électricité', 'energy', 'énergie'].sort());
    expect(pkg['resources']).toEqual([
      expect.objectContaining({
        url: 'https://open.onee.ma/conso.csv',
        download_url: 'https://open.onee.ma/conso.csv',
        format: 'CSV',
        mimetype: 'text/csv',
        size: 123456,
        name: 'CSV',
        description: '',
        package_id: seeded.dataset.electricite,
        position: 0,
        state: 'active',
      }),
    ]);
    const extras = Object.fromEntries((pkg['extras'] as Array<{ key: string; value: string }>).map((e) => [e.key, e.value]));
    expect(extras).toMatchObject({
      identifier: 'onee-conso-elec',
      uri: seeded.electriciteUri,
      issued: '2020-01-15',
      modified: '2024-12-31T10:00:00Z',
      spatial: 'https://sws.geonames.org/2542007/',
      temporal_start: '2010-01-01',
      temporal_end: '2024-12-31',
      frequency: 'http://publications.europa.eu/resource/authority/frequency/ANNUAL',
      language: '["fr","en"]',
      contact_name: 'Service données',
      contact_email: 'data@onee.ma',
    });
    // An Arabic-only title: the title is the Arabic one, the name a Latin slug.
    const emploi = (await action('package_show', `id=${seeded.dataset.emploi}`))['result'] as Json;
    expect(emploi['title']).toBe('مؤشرات التشغيل والبطالة');
    expect(emploi['name']).toMatch(/^dataset-[0-9a-f]{8}$/);
  });
});

describe('package_show', () => {
  it('finds a package by Hasad id, source identifier, source URI and name; POST with a JSON body as ckanapi sends', async () => {
    const byId = (await action('package_show', `id=${seeded.dataset.air}`))['result'] as Json;
    const byIdentifier = (await action('package_show', 'id=hcp-qualite-air'))['result'] as Json;
    const byUri = (await action('package_show', `id=${encodeURIComponent('https://data.hcp.ma/dataset/qualite-air')}`))['result'] as Json;
    const byName = (await action('package_show', `id=${byId['name'] as string}`))['result'] as Json;
    for (const p of [byIdentifier, byUri, byName]) expect(p['id']).toBe(seeded.dataset.air);
    const post = await h.app.inject({ method: 'POST', url: '/api/action/package_show', payload: { id: byId['name'] } });
    expect(post.statusCode).toBe(200);
    expect(post.json()).toMatchObject({ success: true, result: { id: seeded.dataset.air } });
  });

  it("answers CKAN's Not Found Error (404) for an unknown or withdrawn package and its Validation Error (409) without id", async () => {
    for (const id of ['nope', seeded.dataset.recensement, 'inconnu-0000abcd']) {
      const body = await action('package_show', `id=${encodeURIComponent(id)}`, 404);
      expect(body).toMatchObject({ success: false, error: { __type: 'Not Found Error', message: 'Not found' } });
    }
    const body = await action('package_show', '', 409);
    expect(body).toMatchObject({ success: false, error: { __type: 'Validation Error', id: ['Missing value'] } });
    const unknown = await h.app.inject({ method: 'GET', url: '/api/3/action/package_delete' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ success: false, error: { __type: 'Bad request - Action Error' } });
  });
});

describe('package_search', () => {
  it('counts, pages by rows and start, and sorts as CKAN clients ask', async () => {
    const all = (await action('package_search', 'q=*:*&rows=100&sort=title_string asc'))['result'] as Json;
    // 3 HCP fillers + air + emploi + electricite; the withdrawn census is hidden.
    expect(all['count']).toBe(6);
    const titles = (all['results'] as Json[]).map((p) => p['title'] as string);
    expect(titles).toHaveLength(6);
    const ids = (all['results'] as Json[]).map((p) => p['id']);
    expect(ids).not.toContain(seeded.dataset.recensement);
    // start not a multiple of rows.
    const window = (await action('package_search', 'rows=2&start=3&sort=title_string%20asc'))['result'] as Json;
    expect((window['results'] as Json[]).map((p) => p['id'])).toEqual(ids.slice(3, 5));
    const desc = (await action('package_search', 'rows=100&sort=title_string desc'))['result'] as Json;
    expect((desc['results'] as Json[]).map((p) => p['id'])).toEqual([...ids].reverse());
    const modified = (await action('package_search', 'rows=1&sort=metadata_modified desc'))['result'] as Json;
    expect((modified['results'] as Json[])[0]!['id']).toBe(seeded.dataset.electricite);
    const zero = (await action('package_search', 'rows=0'))['result'] as Json;
    expect(zero).toMatchObject({ count: 6, results: [] });
  });

  it('searches q ranked (score desc) in French and Arabic', async () => {
    const fr = (await action('package_search', `q=${encodeURIComponent('electricite')}&sort=score desc`))['result'] as Json;
    expect((fr['results'] as Json[]).map((p) => p['id'])).toEqual([seeded.dataset.electricite]);
    const ar = (await action('package_search', `q=${encodeURIComponent('البطالة')}`))['result'] as Json;
    expect((ar['results'] as Json[]).map((p) => p['id'])).toEqual([seeded.dataset.emploi]);
  });

  it('filters with the Solr fq forms CKAN front ends send', async () => {
    const ids = async (fq: string) => (((await action('package_search', `fq=${encodeURIComponent(fq)}`))['result'] as Json)['results'] as Json[]).map((p) => p['id']);
    expect(await ids('organization:onee')).toEqual([seeded.dataset.electricite]);
    expect(await ids('groups:ENER')).toEqual([seeded.dataset.electricite]);
    expect(await ids('res_format:CSV')).toEqual([seeded.dataset.electricite]);
    expect(await ids('tags:"énergie" AND organization:onee')).toEqual([seeded.dataset.electricite]);
    expect(await ids('+license_id:"https://creativecommons.org/licenses/by/4.0/" +dataset_type:dataset')).toEqual([seeded.dataset.electricite]);
    expect(await ids('tags:pollution')).toEqual([seeded.dataset.air]);
    expect(await ids('organization:onee tags:pollution')).toEqual([]);
    expect((await ids('organization:hcp')).length).toBe(5);
    const body = await action('package_search', `fq=${encodeURIComponent('tags:x OR author:x')}`, 409);
    expect(body).toMatchObject({ success: false, error: { __type: 'Validation Error', fq: [expect.stringContaining('field "author" is not supported')] } });
    expect(await action('package_search', 'sort=author asc', 409)).toMatchObject({ error: { __type: 'Validation Error', sort: [expect.any(String)] } });
    expect(await action('package_search', 'rows=ten', 409)).toMatchObject({ error: { __type: 'Validation Error' } });
  });

  it('answers Solr field queries in q and fq (AND, OR, NOT, parentheses, phrases, wildcards, date ranges) from the real catalogue', async () => {
    const search = async (params: string) => (await action('package_search', `${params}&rows=100&sort=${encodeURIComponent('title_string asc')}`))['result'] as Json;
    const ids = async (param: 'q' | 'fq', v: string) => ((await search(`${param}=${encodeURIComponent(v)}`))['results'] as Json[]).map((p) => p['id']).sort();
    const { air, emploi, electricite } = seeded.dataset;
    const sorted = (...xs: string[]) => [...xs].sort();
    for (const param of ['q', 'fq'] as const) {
      expect(await ids(param, 'tags:pollution'), param).toEqual([air]);
      expect(await ids(param, 'organization:onee OR tags:pollution'), param).toEqual(sorted(air, electricite));
      expect(await ids(param, 'organization:hcp AND NOT tags:pollution AND -title:serie'), param).toEqual([emploi]);
      expect(await ids(param, '(organization:onee OR organization:hcp) AND res_format:(CSV OR JSON)'), param).toEqual([electricite]);
    }
    // Text fields: the title's own words (weight A), stemmed and folded; a description word is not a title word.
    expect(await ids('q', 'title:electricite')).toEqual([electricite]);
    expect(await ids('q', 'title:gwh')).toEqual([]);
    expect(await ids('q', 'notes:gwh')).toEqual([electricite]);
    expect(await ids('q', 'title:"qualité de l\'air"')).toEqual([air]);
    expect(await ids('q', 'title:"air qualité"')).toEqual([]);
    expect(await ids('q', 'title:consom* AND organization:onee')).toEqual([electricite]);
    expect(await ids('q', 'title:البطالة')).toEqual([emploi]);
    expect(await ids('fq', `license_id:"https://creativecommons.org/licenses/by/4.0/" id:${electricite}`)).toEqual([electricite]);
    expect(await ids('fq', 'groups:ENER tags:* -dataset_type:harvest')).toEqual([electricite]);
    expect(await ids('fq', 'dataset_type:harvest')).toEqual([]);
    // Date ranges: metadata_modified is Hasad's last change (the seed's: 1…45 minutes after T0).
    // The seed's air dataset changed at 08:30, emploi at 08:40, electricite at 08:45, the fillers before.
    const cut = '2025-03-01T08:30:00Z';
    const after = await ids('fq', `metadata_modified:[${cut} TO *]`);
    expect(after).toEqual(sorted(air, emploi, electricite));
    expect(await ids('fq', `metadata_modified:{${cut} TO *]`)).toEqual(sorted(emploi, electricite));
    expect(await ids('fq', 'metadata_modified:[NOW-1DAY TO NOW]')).toEqual([]);
    expect((await ids('fq', 'metadata_created:[* TO NOW]')).length).toBe(6);
    // q field queries go with fq (both must hold) and with facets.
    const res = await search(`q=${encodeURIComponent('tags:pollution OR tags:energy')}&fq=organization:hcp&facet.field=${encodeURIComponent('["organization"]')}`);
    expect(res).toMatchObject({ count: 1, facets: { organization: { hcp: 1 } } });
  });

  it("refuses a q or fq that does not parse with CKAN's 400 Search Query Error naming the token, and values never reach SQL as text", async () => {
    const cases: Array<[string, string]> = [
      ['q=' + encodeURIComponent('tags:eau AND (organization:hcp'), '"(" at character 14 is never closed'],
      ['fq=' + encodeURIComponent('tags:eau)'), 'unexpected ")" at character 9'],
      ['fq=' + encodeURIComponent('metadata_modified:[hier TO *]'), '"hier" is not a date'],
      ['fq=' + encodeURIComponent('('.repeat(40) + 'tags:a' + ')'.repeat(40)), 'nested deeper than 32 levels'],
      ['q=' + encodeURIComponent('title:' + 'x'.repeat(5000)), '5006 characters; at most 4000'],
    ];
    for (const [params, message] of cases) {
      const body = await action('package_search', params, 400);
      expect(body, params).toMatchObject({ success: false, error: { __type: 'Search Query Error', message: expect.stringContaining(message) } });
      expect((body['error'] as Json)['message']).toMatch(/^Search Query is invalid: (q|fq): /);
    }
    // SQL's own syntax in a value is only a value: nothing matches, nothing breaks.
    for (const v of [`tags:"x' OR '1'='1"`, 'organization:"hcp\'); DROP TABLE datasets; --"', "title:\'\;\:*", 'license_id:%']) {
      expect(((await action('package_search', `fq=${encodeURIComponent(v)}`))['result'] as Json)['count'], v).toBe(0);
    }
    expect(((await action('package_search', 'q=*:*'))['result'] as Json)['count']).toBe(6);
  });

  it('gives facets and search_facets for facet.field like CKAN', async () => {
    const fields = encodeURIComponent(JSON.stringify(['organization', 'groups', 'tags', 'res_format', 'license_id']));
    const res = (await action('package_search', `facet.field=${fields}&rows=0`))['result'] as Json;
    const facets = res['facets'] as Record<string, Record<string, number>>;
    expect(facets['organization']).toEqual({ hcp: 5, onee: 1 });
    expect(facets['groups']).toEqual({ ENER: 1 });
    expect(facets['res_format']).toEqual({ CSV: 1 });
    expect(facets['license_id']).toEqual({ 'https://creativecommons.org/licenses/by/4.0/': 1 });
    expect(facets['tags']).toMatchObject({ pollution: 1, énergie: 1 });
    const sf = res['search_facets'] as Record<string, { title: string; items: Json[] }>;
    expect(sf['organization']).toEqual({
      title: 'organization',
      items: expect.arrayContaining([{ name: 'onee', display_name: "Office National de l'Électricité et de l'Eau Potable", count: 1 }]),
    });
    expect(sf['groups']!.items).toEqual([{ name: 'ENER', display_name: 'Énergie', count: 1 }]);
    const one = (await action('package_search', `facet.field=${encodeURIComponent('["organization"]')}&facet.limit=1&rows=0`))['result'] as Json;
    expect(one['facets']).toEqual({ organization: { hcp: 5 } });
    const unlimited = (await action('package_search', `facet.field=${encodeURIComponent('["organization"]')}&facet.limit=-1&rows=0`))['result'] as Json;
    expect(unlimited['facets']).toEqual({ organization: { hcp: 5, onee: 1 } });
    const none = (await action('package_search', 'rows=0'))['result'] as Json;
    expect(none).toMatchObject({ facets: {}, search_facets: {} });
    expect(await action('package_search', `facet.field=${encodeURIComponent('["author"]')}`, 409)).toMatchObject({ error: { __type: 'Validation Error' } });
  });

  it.skipIf(!HAVE_CONFORMANCE)('answers with the keys of a real package_search result and of its search_facets entries', async () => {
    const res = (await action('package_search', `facet.field=${encodeURIComponent('["organization"]')}&rows=0`))['result'] as Json;
    const sf = res['search_facets'] as Record<string, { items: Json[] }>;
    const real = JSON.parse(readFileSync(join(CONFORMANCE, 'packages.json'), 'utf8')) as { result: Json };
    const realItem = ((real.result['search_facets'] as Record<string, { items: Json[] }>)['organization']!.items[0]!) as Json;
    expect(Object.keys(sf['organization']!.items[0]!).sort()).toEqual(Object.keys(realItem).sort());
    expect(Object.keys(res).sort()).toEqual(Object.keys(real.result).sort());
  });
});

describe('lists', () => {
  it('package_list names every active package, and package_show takes each name back', async () => {
    const names = (await action('package_list'))['result'] as string[];
    expect(names).toHaveLength(6);
    for (const n of names) expect(n).toMatch(/^[a-z0-9-]{2,100}$/);
    const ids = new Set<unknown>();
    for (const n of names) ids.add(((await action('package_show', `id=${n}`))['result'] as Json)['id']);
    expect(ids.size).toBe(6);
    expect((await action('package_list', 'limit=2&offset=1'))['result']).toEqual(names.slice(1, 3));
  });

  it.skipIf(!HAVE_CONFORMANCE)('package_list gives names of the JSON type a real package_list gives', async () => {
    const names = (await action('package_list'))['result'] as string[];
    const real = JSON.parse(readFileSync(join(CONFORMANCE, 'package_list.json'), 'utf8')) as { result: unknown[] };
    expect(typeof real.result[0]).toBe(typeof names[0]);
  });

  it('organization_list, with all_fields, and organization_show', async () => {
    expect((await action('organization_list'))['result']).toEqual(['hcp', 'nouvelle-agence', 'onee']);
    const all = (await action('organization_list', 'all_fields=true'))['result'] as Json[];
    expect(all.map((o) => [o['name'], o['package_count']])).toEqual([
      ['hcp', 5],
      ['nouvelle-agence', 0],
      ['onee', 1],
    ]);
    expect(all[0]).toMatchObject({ id: seeded.org.hcp, title: 'Haut-Commissariat au Plan', is_organization: true, state: 'active', type: 'organization' });
    expect(((await action('organization_list', 'sort=package_count desc'))['result'] as string[])[0]).toBe('hcp');
    const show = (await action('organization_show', 'id=onee'))['result'] as Json;
    expect(show).toMatchObject({ id: seeded.org.onee, name: 'onee', package_count: 1 });
    expect(((await action('organization_show', `id=${seeded.org.onee}`))['result'] as Json)['name']).toBe('onee');
    expect(await action('organization_show', 'id=inconnue', 404)).toMatchObject({ success: false, error: { __type: 'Not Found Error' } });
  });

  it('group_list gives the themes, tag_list the keywords, status_show the site', async () => {
    expect((await action('group_list'))['result']).toEqual(['ENER']);
    expect((await action('group_list', 'all_fields=true'))['result']).toEqual([expect.objectContaining({ name: 'ENER', display_name: 'Énergie', package_count: 1 })]);
    const tags = (await action('tag_list'))['result'] as string[];
    expect(tags).toEqual(expect.arrayContaining(['pollution', 'santé', 'énergie', 'energy']));
    expect((await action('tag_list', 'query=poll'))['result']).toEqual(['pollution']);
    expect((await action('status_show'))['result']).toMatchObject({ site_title: 'Hasad', ckan_version: expect.any(String), extensions: [] });
  });
});

describe('shows', () => {
  it('organization_show lists its packages with include_datasets, accepts include_private, and has the keys of CKAN’s organization dict', async () => {
    const plain = (await action('organization_show', 'id=hcp'))['result'] as Json;
    expect(plain).not.toHaveProperty('packages');
    expect(plain).toMatchObject({ name: 'hcp', package_count: 5, num_followers: 0, users: [], extras: [], image_display_url: '' });
    const withDatasets = (await action('organization_show', 'id=hcp&include_datasets=true&include_private=true'))['result'] as Json;
    const packages = withDatasets['packages'] as Json[];
    expect(packages).toHaveLength(5);
    expect(packages.map((p) => p['id'])).toContain(seeded.dataset.air);
    expect(packages.map((p) => p['id'])).not.toContain(seeded.dataset.recensement);
    // Each is a whole package dict, as package_show gives it.
    const air = packages.find((p) => p['id'] === seeded.dataset.air)!;
    expect(air).toEqual((await action('package_show', `id=${seeded.dataset.air}`))['result']);
    expect(await action('organization_show', 'id=inconnue', 404)).toMatchObject({ success: false, error: { __type: 'Not Found Error', message: 'Not found' } });
  });

  it('group_show finds a theme by code, URI or id, with its packages on include_datasets', async () => {
    const byCode = (await action('group_show', 'id=ENER'))['result'] as Json;
    expect(byCode).toMatchObject({ name: 'ENER', display_name: 'Énergie', package_count: 1, is_organization: false, type: 'group' });
    expect(byCode).not.toHaveProperty('packages');
    const byUri = (await action('group_show', `id=${encodeURIComponent('http://publications.europa.eu/resource/authority/data-theme/ENER')}`))['result'] as Json;
    const byId = (await action('group_show', `id=${byCode['id'] as string}&include_datasets=true`))['result'] as Json;
    expect(byUri['id']).toBe(byCode['id']);
    expect((byId['packages'] as Json[]).map((p) => p['id'])).toEqual([seeded.dataset.electricite]);
    expect(await action('group_show', 'id=ENVI', 404)).toMatchObject({ success: false, error: { __type: 'Not Found Error' } });
    expect(await action('group_show', '', 409)).toMatchObject({ error: { __type: 'Validation Error', id: ['Missing value'] } });
  });

  it('help_show describes every action, including the one a help link of any answer names', async () => {
    const body = await action('package_search', 'rows=0');
    const helpUrl = new URL(body['help'] as string);
    const res = await h.app.inject({ method: 'GET', url: `${helpUrl.pathname}${helpUrl.search}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, result: expect.stringContaining('fq') });
    for (const name of ['package_search', 'package_show', 'package_list', 'organization_list', 'organization_show', 'group_list', 'group_show', 'tag_list', 'status_show', 'help_show']) {
      const text = (await action('help_show', `name=${name}`))['result'];
      expect(typeof text, name).toBe('string');
      // and the action itself answers
      const r = await h.app.inject({ method: 'GET', url: `/api/3/action/${name}` });
      expect([200, 409], `${name}: ${r.body}`).toContain(r.statusCode);
    }
    expect(await action('help_show', 'name=package_delete', 404)).toMatchObject({ success: false, error: { __type: 'Not Found Error', message: 'Not found: Action function not found' } });
  });
});

describe('caching', () => {
  it('answers GETs with ETag and Last-Modified, 304 to a matching If-None-Match or If-Modified-Since, and a new answer once the catalogue changes', async () => {
    const url = '/api/3/action/package_search?fq=organization:hcp&rows=2';
    const first = await h.app.inject({ method: 'GET', url });
    expect(first.statusCode).toBe(200);
    const etag = first.headers['etag'] as string;
    const lastModified = first.headers['last-modified'] as string;
    expect(etag).toMatch(/^W\/"/);
    expect(lastModified).toBeTruthy();
    expect(first.headers['cache-control']).toBe('public, no-cache');
    const count = ((first.json() as Json)['result'] as Json)['count'];

    const again = await h.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await h.app.inject({ method: 'GET', url, headers: { 'if-modified-since': lastModified } })).statusCode).toBe(304);
    // Another query, another representation.
    expect((await h.app.inject({ method: 'GET', url: `${url}&start=1`, headers: { 'if-none-match': etag } })).statusCode).toBe(200);
    // Every read action is validated the same way.
    for (const a of ['package_show?id=hcp-qualite-air', 'package_list', 'organization_list', 'organization_show?id=hcp', 'group_list', 'group_show?id=ENER', 'tag_list', 'status_show']) {
      const r = await h.app.inject({ method: 'GET', url: `/api/3/action/${a}` });
      expect(r.statusCode, a).toBe(200);
      expect((await h.app.inject({ method: 'GET', url: `/api/3/action/${a}`, headers: { 'if-none-match': r.headers['etag'] as string } })).statusCode, a).toBe(304);
    }
    // Errors carry no validators; POST is never answered 304.
    const missing = await h.app.inject({ method: 'GET', url: '/api/3/action/package_show?id=nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['etag']).toBeUndefined();
    expect((await h.app.inject({ method: 'POST', url: '/api/3/action/package_search', payload: { fq: 'organization:hcp', rows: 2 }, headers: { 'if-none-match': etag } })).statusCode).toBe(200);

    // A dataset withdrawn: the old ETag no longer matches and the (cached) search sees the change.
    await h.pool.query(`UPDATE datasets SET status = 'withdrawn', withdrawn_at = now(), updated_at = now() WHERE id = $1`, [seeded.dataset.air]);
    try {
      const after = await h.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(after.statusCode).toBe(200);
      expect(after.headers['etag']).not.toBe(etag);
      expect(((after.json() as Json)['result'] as Json)['count']).toBe((count as number) - 1);
    } finally {
      await h.pool.query(`UPDATE datasets SET status = 'active', withdrawn_at = NULL, updated_at = now() WHERE id = $1`, [seeded.dataset.air]);
    }
  });
});

describe('GET /api/v1/organizations validators', () => {
  it('carries ETag and Last-Modified and answers 304 while the catalogue is unchanged', async () => {
    const first = await h.app.inject({ method: 'GET', url: '/api/v1/organizations' });
    expect(first.statusCode).toBe(200);
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers['last-modified']).toBeTruthy();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/organizations', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    await h.pool.query(`INSERT INTO organizations (slug, name) VALUES ('nouvelle-2', 'Nouvelle 2')`);
    try {
      const after = await h.app.inject({ method: 'GET', url: '/api/v1/organizations', headers: { 'if-none-match': etag } });
      expect(after.statusCode).toBe(200);
      expect((after.json() as { items: Json[] }).items.map((o) => o['slug'])).toContain('nouvelle-2');
    } finally {
      await h.pool.query(`DELETE FROM organizations WHERE slug = 'nouvelle-2'`);
    }
  });
});

describe('CKAN actions a CKAN front end calls beyond search and show', () => {
  const call = async (name: string, query: string, headers: Record<string, string> = {}) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/3/action/${name}?${query}`, headers });
    return { status: res.statusCode, body: res.json() as Json, vary: res.headers['vary'] };
  };

  it('labels themes and licences in the language the client asks for (Accept-Language), and says the answer varies with it', async () => {
    const ar = await call('package_show', `id=${seeded.dataset.electricite}`, { 'accept-language': 'ar-MA,ar;q=0.9,fr;q=0.8' });
    expect(ar.status).toBe(200);
    expect(ar.vary).toMatch(/accept-language/i);
    const pkg = ar.body['result'] as Json;
    expect(pkg['groups']).toEqual([expect.objectContaining({ name: 'ENER', title: 'الطاقة', display_name: 'الطاقة' })]);
    const en = (await call('group_list', 'all_fields=true', { 'accept-language': 'en' })).body['result'] as Json[];
    expect(en).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ENER', title: 'Energy' })]));
  });

  it('resource_show answers the resource package_show lists, by its id; an unknown id is CKAN\'s Not Found', async () => {
    const pkg = (await action('package_show', `id=${seeded.dataset.electricite}`))['result'] as Json;
    const listed = (pkg['resources'] as Json[])[0]!;
    const shown = await action('resource_show', `id=${listed['id'] as string}`);
    expect(shown['result']).toEqual(listed);
    expect(listed['package_id']).toBe(seeded.dataset.electricite);
    const missing = await action('resource_show', `id=${(listed['id'] as string).slice(0, 9)}0000-5000-8000-000000000000`, 404);
    expect(missing['error']).toEqual({ __type: 'Not Found Error', message: 'Not found: Resource was not found.' });
    expect((await action('resource_show', '', 409))['error']).toMatchObject({ __type: 'Validation Error', id: ['Missing value'] });
  });

  it('current_package_list_with_resources pages packages with their resources, most recently changed first', async () => {
    const first = (await action('current_package_list_with_resources', 'limit=2'))['result'] as Json[];
    expect(first).toHaveLength(2);
    const modified = first.map((p) => p['metadata_modified'] as string);
    expect([...modified].sort().reverse()).toEqual(modified);
    expect(first[0]).toHaveProperty('resources');
    const second = (await action('current_package_list_with_resources', 'limit=2&page=2'))['result'] as Json[];
    expect(second).toHaveLength(2);
    expect(second.map((p) => p['id'])).not.toContain(first[0]!['id']);
    expect((await action('current_package_list_with_resources', 'limit=2&offset=2'))['result']).toEqual(second);
  });

  it('license_list lists the licences in use with their title', async () => {
    const list = (await action('license_list'))['result'] as Json[];
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'https://creativecommons.org/licenses/by/4.0/', title: 'Creative Commons Attribution 4.0', url: 'https://creativecommons.org/licenses/by/4.0/', status: 'active', is_okd_compliant: true }),
      ]),
    );
  });

  it('package_autocomplete finds packages by the beginning of their words, in French and Arabic', async () => {
    const names = async (q: string) => ((await action('package_autocomplete', `q=${encodeURIComponent(q)}`))['result'] as Json[]).map((r) => r['title']);
    expect(await names('consom')).toContain("Consommation d'électricité par région");
    expect(await names('electr')).toContain("Consommation d'électricité par région");
    expect(await names('البطال')).toContain('مؤشرات التشغيل والبطالة');
    expect(await names('zzzqqq')).toEqual([]);
    const hit = ((await action('package_autocomplete', 'q=consom'))['result'] as Json[])[0]!;
    expect(hit).toMatchObject({ match_field: 'title', match_displayed: hit['title'], name: expect.stringMatching(/-[0-9a-f]{8}$/) });
    // tsquery syntax in what is typed is only text.
    expect((await action('package_autocomplete', `q=${encodeURIComponent("consom:* | ! ( ' &")}`))['result']).toEqual(expect.arrayContaining([expect.objectContaining({ title: "Consommation d'électricité par région" })]));
  });

  it('format_autocomplete and organization_autocomplete complete what is typed', async () => {
    expect((await action('format_autocomplete', 'q=cs'))['result']).toEqual(['CSV']);
    expect((await action('format_autocomplete', 'q=%25'))['result']).toEqual([]);
    expect((await action('organization_autocomplete', 'q=on'))['result']).toEqual([{ id: seeded.org.onee, name: 'onee', title: "Office National de l'Électricité et de l'Eau Potable" }]);
    expect((await action('organization_autocomplete', 'q=commissariat'))['result']).toEqual([{ id: seeded.org.hcp, name: 'hcp', title: 'Haut-Commissariat au Plan' }]);
    expect((await action('organization_autocomplete', '', 409))['error']).toMatchObject({ q: ['Missing value'] });
  });
});
