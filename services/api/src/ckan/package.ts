import { createHash } from 'node:crypto';
import type { DatasetRow } from '@hasad/db';
import { licenseLabel, themeLabel } from '../vocabularies.ts';

/**
 * Hasad's catalogue as CKAN 2.9 package dicts, for the CKAN-compatible read API
 * (`/api/3/action/…`). Pure functions: the routes fetch the rows, these shape them.
 *
 * Keys and JSON types follow real CKAN answers (see ../shared/conformance/ckan-api); values
 * CKAN would hold and Hasad does not have (users, revisions, uploads) are given their
 * neutral CKAN value (`""`, `null`, `[]`) rather than left out, because CKAN clients index
 * into them without checking.
 */

type Obj = Record<string, unknown>;
type LangMap = Record<string, string>;

/** The organisation of a dataset, as `organization_list` and the package dict show it. */
export interface CkanOrgInfo {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
}

const EU_THEME = 'http://publications.europa.eu/resource/authority/data-theme/';

/** CKAN's timestamp form: UTC without zone, microseconds (`2017-07-05T19:28:19.620158`). */
export function ckanTimestamp(v: string | Date | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return null;
  return `${d.toISOString().slice(0, 23)}000`;
}

/** A deterministic UUID-shaped id from parts (resources and tags have no id of their own in Hasad). */
export function derivedId(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/**
 * A resource's id: derived from its dataset and position, beginning with the dataset id's first
 * 8 hex digits so that `resource_show` finds the dataset by a range scan of the primary key.
 */
export function resourceId(datasetId: string, position: number): string {
  return `${datasetId.slice(0, 8).toLowerCase()}${derivedId('resource', datasetId, String(position)).slice(8)}`;
}

/** The value of a language map a CKAN client shows: French, else the first language given. */
export function preferred(m: unknown): string {
  if (!m || typeof m !== 'object') return '';
  const map = m as LangMap;
  return map['fr'] ?? Object.values(map).find((v) => typeof v === 'string' && v !== '') ?? '';
}

/** `*_translated` of ckanext-fluent: only language-tagged values (untagged `""` has no tag to give). */
function translated(m: unknown): LangMap {
  if (!m || typeof m !== 'object') return {};
  return Object.fromEntries(Object.entries(m as LangMap).filter(([k, v]) => k !== '' && typeof v === 'string'));
}

function slugify(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
}

/**
 * The package `name`: a CKAN slug of the title plus the first 8 hex digits of the Hasad id,
 * so it is unique in practice and `package_show?id=NAME` can find the row by id prefix.
 * Titles without Latin letters (Arabic only) give `dataset-<8 hex>`.
 */
export function packageName(id: string, title: unknown): string {
  return `${slugify(preferred(title)) || 'dataset'}-${id.slice(0, 8).toLowerCase()}`;
}

/** The Hasad id prefix a package name ends with, or undefined for a string that is not one. */
export function idPrefixOfName(name: string): string | undefined {
  return /^[a-z0-9-]*-([0-9a-f]{8})$/.exec(name)?.[1];
}

/** A group `name` for a theme: the EU data-theme code (`ENVI`), else the value itself. */
export function groupName(theme: string): string {
  return theme.startsWith(EU_THEME) ? theme.slice(EU_THEME.length) : theme;
}

/** The languages the CKAN API labels in (`Accept-Language`); French when none of them is asked. */
export type CkanLang = 'fr' | 'ar' | 'en';

/** The first of fr, ar, en in an `Accept-Language` header, by the header's preference (q values). */
export function ckanLang(acceptLanguage: string | undefined): CkanLang {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((x) => x.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { lang: tag.split('-')[0], q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((x): x is { lang: CkanLang; q: number; i: number } => x.q > 0 && (x.lang === 'fr' || x.lang === 'ar' || x.lang === 'en'))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked[0]?.lang ?? 'fr';
}

/** A group dict for a theme (groups are themes), labelled in `lang`. */
export function toCkanGroup(theme: string, packageCount?: number, lang: CkanLang = 'fr'): Obj {
  const name = groupName(theme);
  const label = themeLabel(theme)?.[lang] ?? theme;
  return {
    id: derivedId('group', theme),
    name,
    // What a CKAN front end shows is `title` (and `display_name`): the theme's label. The theme
    // as Hasad holds it (an EU URI) is in `uri`, which Hasad's own CKAN harvester reads first.
    title: label,
    display_name: label,
    ...(/^https?:\/\//i.test(theme) && { uri: theme }),
    description: '',
    image_display_url: '',
    ...(packageCount !== undefined && { package_count: packageCount, type: 'group', is_organization: false, state: 'active', approval_status: 'approved', image_url: '' }),
  };
}

/** An organisation dict (the `organization` of a package, an `organization_list` entry). */
export function toCkanOrganization(o: CkanOrgInfo, packageCount?: number): Obj {
  return {
    id: o.id,
    name: o.slug,
    title: o.name,
    display_name: o.name,
    description: '',
    created: ckanTimestamp(o.createdAt) ?? '',
    approval_status: 'approved',
    is_organization: true,
    state: 'active',
    image_url: '',
    // CKAN ≥ 2.9 keeps no revisions; the key stays for clients of older portals.
    revision_id: o.id,
    type: 'organization',
    ...(packageCount !== undefined && { package_count: packageCount }),
  };
}

/** The licence triple CKAN shows: the id is Hasad's licence value (what `fq=license_id:` filters on). */
function licenseFields(license: unknown, lang: CkanLang): Obj {
  if (typeof license !== 'string' || license === '') return { license_id: '', license_title: '', license_url: '', isopen: false };
  const label = licenseLabel(license);
  const isUrl = /^https?:\/\//i.test(license);
  return { license_id: license, license_title: label?.[lang] ?? license, license_url: isUrl ? license : '', isopen: label !== undefined };
}

type Period = { start?: string; end?: string; startAsGiven?: string; endAsGiven?: string };

/** Every period, as ckanext-dcat's scheming field `temporal_coverage` has them; a bound that is not a date as the source wrote it. */
function periodsOf(r: Obj): Array<{ start?: string; end?: string }> {
  const list = Array.isArray(r['temporal']) ? (r['temporal'] as Period[]) : [];
  return list.map((t) => {
    const start = t.start ?? t.startAsGiven;
    const end = t.end ?? t.endAsGiven;
    return { ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
  });
}

/** A list of text values or Resources as CKAN's extras give them: one value as is, several as JSON. */
function resourceText(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (typeof x === 'string' ? x : x && typeof x === 'object' ? (((x as Obj)['uri'] as string | undefined) ?? preferred((x as Obj)['label'])) : '')).filter((x) => x !== '');
}

function extrasOf(r: Obj, row: DatasetRow): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  const add = (key: string, v: unknown) => {
    if (typeof v === 'string' && v !== '') out.push({ key, value: v });
    else if (typeof v === 'number') out.push({ key, value: String(v) });
    else if (Array.isArray(v) && v.length > 0) out.push({ key, value: v.length === 1 && key === 'spatial' ? String(v[0]) : JSON.stringify(v) });
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) out.push({ key, value: JSON.stringify(v) });
  };
  add('identifier', row.sourceIdentifier);
  add('uri', row.uri ?? undefined);
  add('issued', r['issued']);
  add('modified', r['modified']);
  add('spatial', r['spatial']);
  // The first period in ckanext-dcat's two keys; every period in `temporal_coverage` (package dict).
  const temporal = periodsOf(r)[0];
  add('temporal_start', temporal?.start);
  add('temporal_end', temporal?.end);
  add('frequency', r['accrualPeriodicity']);
  add('language', r['language']);
  add('access_rights', r['accessRights']);
  const cp = (r['contactPoint'] ?? {}) as Obj;
  add('contact_name', cp['name']);
  add('contact_email', cp['email']);
  add('contact_uri', cp['uri']);
  add('contact_url', cp['url']);
  const pub = (r['publisher'] ?? {}) as Obj;
  add('publisher_name', preferred(pub['name']));
  add('publisher_email', pub['email']);
  add('publisher_url', pub['homepage']);
  add('publisher_uri', pub['uri']);
  // DCAT-AP 3.0.1 properties under ckanext-dcat's names (euro_dcat_ap_3 profile), else Hasad's.
  const creator = Array.isArray(r['creator']) ? ((r['creator'] as Obj[])[0] ?? {}) : {};
  add('creator_name', preferred(creator['name']));
  add('creator_email', creator['email']);
  add('creator_uri', creator['uri']);
  add('landing_pages', r['landingPages']);
  add('version_notes', preferred(r['versionNotes']));
  add('alternate_identifier', Array.isArray(r['otherIdentifier']) ? (r['otherIdentifier'] as Obj[]).map((i) => i['notation']) : undefined);
  add('documentation', r['documentation']);
  add('related_resource', r['relation']);
  add('qualified_relation', r['qualifiedRelation']);
  add('has_version', r['hasVersion']);
  add('is_version_of', r['isVersionOf']);
  add('is_referenced_by', r['isReferencedBy']);
  add('sample', r['sample']);
  add('conforms_to', resourceText(r['conformsTo']));
  add('provenance', resourceText(r['provenance']).join('\n\n'));
  add('dcat_type', r['type']);
  add('rights', resourceText(r['rights']).join('\n\n'));
  add('license_attribution_by_text', preferred(r['attributionText']));
  add('in_series', r['inSeries']);
  add('applicable_legislation', r['applicableLegislation']);
  add('hvd_category', r['hvdCategory']);
  add('spatial_resolution_in_meters', r['spatialResolutionInMeters']);
  add('temporal_resolution', r['temporalResolution']);
  add('was_generated_by', r['wasGeneratedBy']);
  add('abstract', preferred(r['abstract']));
  add('locations', r['locations']);
  add('catalog_record', r['catalogRecord']);
  if (r['isSeries'] === true) add('dataset_type', 'series');
  return out;
}

/** A distribution's DCAT-AP 3.0.1 properties under ckanext-dcat's resource field names. */
function resourceExtras(d: Obj): Obj {
  const out: Obj = {};
  const put = (key: string, v: unknown) => {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return;
    out[key] = v;
  };
  put('rights', resourceText(d['rights']).join('\n\n'));
  put('language', d['language']);
  put('identifier', d['identifier']);
  put('documentation', d['documentation']);
  put('conforms_to', resourceText(d['conformsTo']));
  put('status', d['status']);
  put('availability', d['availability']);
  put('access_services', d['accessService']);
  put('compress_format', d['compressFormat']);
  put('package_format', d['packageFormat']);
  put('spatial_resolution_in_meters', d['spatialResolutionInMeters']);
  put('temporal_resolution', d['temporalResolution']);
  put('applicable_legislation', d['applicableLegislation']);
  put('access_rights', d['accessRights']);
  put('license_attribution_by_text', preferred(d['attributionText']));
  const checksum = d['checksum'] as { algorithm?: string; value?: string } | undefined;
  if (checksum?.value) {
    out['hash'] = checksum.value;
    out['hash_algorithm'] = checksum.algorithm ?? '';
  }
  return out;
}

/**
 * A canonical record as a CKAN package dict. `metadata_created` / `metadata_modified` are when
 * Hasad first stored and last changed the dataset (what a CKAN mirror syncs on); the source's
 * own dct:issued / dct:modified are in `extras`.
 */
export function toCkanPackage(row: DatasetRow, org: CkanOrgInfo, lang: CkanLang = 'fr'): Obj {
  const r = row.record;
  const name = packageName(row.id, r['title']);
  const created = ckanTimestamp(row.createdAt) ?? '';
  const keywords = (r['keywords'] ?? {}) as Record<string, string[]>;
  const tagNames = [...new Set(Object.values(keywords).flat().filter((k) => typeof k === 'string' && k !== ''))];
  const themes = Array.isArray(r['themes']) ? (r['themes'] as string[]) : [];
  const distributions = Array.isArray(r['distributions']) ? (r['distributions'] as Obj[]) : [];
  const cp = (r['contactPoint'] ?? {}) as Obj;
  const pub = (r['publisher'] ?? {}) as Obj;
  const resources = distributions.map((d, position) => {
    const url = (d['downloadUrl'] ?? d['accessUrl'] ?? '') as string;
    return {
      id: resourceId(row.id, position),
      package_id: row.id,
      position,
      url,
      // ckanext-dcat's names, so a DCAT-aware client tells the two URLs apart.
      ...(typeof d['accessUrl'] === 'string' && { access_url: d['accessUrl'] }),
      ...(typeof d['downloadUrl'] === 'string' && { download_url: d['downloadUrl'] }),
      ...(typeof d['uri'] === 'string' && { uri: d['uri'] }),
      name: preferred(d['title']),
      name_translated: translated(d['title']),
      description: preferred(d['description']),
      description_translated: translated(d['description']),
      format: typeof d['format'] === 'string' ? (themeFreeFormat(d['format']) ?? '') : '',
      mimetype: typeof d['mediaType'] === 'string' ? d['mediaType'] : null,
      mimetype_inner: null,
      size: typeof d['byteSize'] === 'number' ? d['byteSize'] : null,
      created: (typeof d['issued'] === 'string' ? d['issued'] : null) ?? created,
      last_modified: typeof d['modified'] === 'string' ? d['modified'] : null,
      ...(typeof d['issued'] === 'string' && { issued: d['issued'] }),
      ...(typeof d['modified'] === 'string' && { modified: d['modified'] }),
      ...(typeof d['license'] === 'string' && { license: d['license'] }),
      hash: '',
      ...resourceExtras(d),
      cache_url: null,
      cache_last_updated: null,
      datastore_active: false,
      resource_type: null,
      state: 'active',
      url_type: '',
      revision_id: row.contentHash,
    };
  });
  return {
    id: row.id,
    name,
    title: preferred(r['title']),
    title_translated: translated(r['title']),
    notes: preferred(r['description']),
    notes_translated: translated(r['description']),
    url: typeof r['landingPage'] === 'string' ? r['landingPage'] : '',
    version: typeof r['version'] === 'string' ? r['version'] : '',
    author: preferred(pub['name']),
    author_email: typeof pub['email'] === 'string' ? pub['email'] : '',
    maintainer: typeof cp['name'] === 'string' ? cp['name'] : '',
    maintainer_email: typeof cp['email'] === 'string' ? cp['email'] : '',
    ...licenseFields(r['license'], lang),
    state: row.status === 'active' ? 'active' : 'deleted',
    private: false,
    type: 'dataset',
    metadata_created: created,
    metadata_modified: ckanTimestamp(row.updatedAt) ?? '',
    // The harvested source stands in for CKAN's creating user.
    creator_user_id: row.sourceId,
    revision_id: row.contentHash,
    owner_org: org.id,
    organization: toCkanOrganization(org),
    groups: themes.map((t) => toCkanGroup(t, undefined, lang)),
    tags: tagNames.map((t) => ({ id: derivedId('tag', t), name: t, display_name: t, state: 'active', vocabulary_id: null })),
    tags_translated: Object.fromEntries(Object.entries(keywords).filter(([k, v]) => k !== '' && Array.isArray(v))),
    num_tags: tagNames.length,
    resources,
    num_resources: resources.length,
    extras: extrasOf(r, row),
    // ckanext-dcat's scheming field: every period, where the extras hold only the first.
    temporal_coverage: periodsOf(r),
    relationships_as_object: [],
    relationships_as_subject: [],
  };
}

/** The format label CKAN clients facet on: `CSV` from an EU file-type URI, else as given. */
function themeFreeFormat(format: string): string | undefined {
  const m = /\/file-type\/([A-Za-z0-9_.-]+)$/.exec(format);
  return m ? m[1] : format;
}

/** A facet value's CKAN `display_name`. */
export function facetDisplayName(field: string, value: string, label?: string, lang: CkanLang = 'fr'): string {
  if (field === 'organization') return label ?? value;
  if (field === 'groups') return themeLabel(value)?.[lang] ?? value;
  if (field === 'license_id') return licenseLabel(value)?.[lang] ?? value;
  return value;
}

/** A facet value's CKAN `name` (what `fq` takes back). */
export function facetName(field: string, value: string): string {
  if (field === 'groups') return groupName(value);
  if (field === 'res_format') return themeFreeFormat(value) ?? value;
  return value;
}
