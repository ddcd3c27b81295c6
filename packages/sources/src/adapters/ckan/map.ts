import type { Agent, CanonicalDataset, ContactPoint, Distribution, LangListMap, LangMap, PeriodOfTime, RecordProblem, ProblemCode } from '@hasad/core';
import { normaliseMediaType } from '../shared/values.ts';
import { orderFromName, provenOrder } from '../shared/date-order.ts';
import { BatchCollector, RecordProblems as Problems } from '../shared/batches.ts';
import type { MappedBatch, RecordMapResult } from '../shared/batches.ts';
import { stableStringify } from '../../stable-json.ts';
import {
  byteSizeValue,
  dateValue,
  decodeEntities,
  emailValue,
  geoJsonValue,
  hasEntities,
  isObject,
  langTag,
  languageValue,
  parseJsonText,
  text,
  urlValue,
} from './values.ts';

export type { MappedBatch } from '../shared/batches.ts';

/**
 * CKAN package dict → CanonicalDataset. Pure functions.
 *
 * One package dict reaches us in three dialects, often mixed: core CKAN fields (`title`,
 * `notes`, `tags`, `organization`, `resources` ...), free key/value `extras` (ckanext-dcat's
 * legacy profile, ckanext-spatial, harvested DKAN/INSPIRE keys) and ckanext-scheming top-level
 * fields (`issued`, `contact: [...]`, `temporal_coverage: [...]`, `title_translated` ...). For
 * each canonical field the most specific source wins: scheming field, then extra, then the core
 * field CKAN fills in itself. Values that do not fit are dropped with a warning naming the field;
 * nothing is guessed.
 */

/** What the mapper needs to know about the portal. */
export interface CkanMapContext {
  /** The portal's base URL without a trailing slash (`https://data.gov.ma/data`). */
  portal: string;
  /** Lower-case language tag given to untagged CKAN strings (titles, notes, tags). */
  language: string;
  /**
   * The day/month order of numeric dates in the portal's date extras, inferred once per harvest
   * ({@link settleDateOrder}); absent: such dates are not read. `settled` once a page has shown one.
   */
  dateOrder?: { settled: boolean; order?: 'day' | 'month' };
}

/** The outcome of mapping one package. */
export type PackageMapResult = RecordMapResult;

type Obj = Record<string, unknown>;

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (values: string[]) => [...new Set(values)].sort(cmp);

/** Has a value worth reading: not null, not blank, not an empty list. */
function present(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.trim() !== '';
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/**
 * The package's extras, by key. CKAN gives a `[{key, value}]` list (API v3) or, in old API
 * versions and some DKANs, an object. Text values lose DKAN's HTML escaping.
 */
class Extras {
  private readonly values = new Map<string, unknown>();

  constructor(raw: unknown) {
    const add = (key: unknown, value: unknown) => {
      const k = text(key);
      // First one wins: CKAN forbids duplicate keys, so a second one is noise.
      if (k === undefined || this.values.has(k)) return;
      // JSON texts are decoded only if they do not parse as they are (see parseJsonText).
      const plainText = typeof value === 'string' && !/^\s*[[{]/.test(value) && hasEntities(value);
      this.values.set(k, plainText ? decodeEntities(value) : value);
    };
    if (Array.isArray(raw)) {
      for (const e of raw) if (isObject(e)) add(e['key'], e['value']);
    } else if (isObject(raw)) {
      for (const [k, v] of Object.entries(raw)) add(k, v);
    }
  }

  get(key: string): unknown {
    return this.values.get(key);
  }
}

/** A field given as a scheming top-level field or as an extra: the first present of `names`. */
function pick(pkg: Obj, extras: Extras, ...names: string[]): { value: unknown; field: string } | undefined {
  for (const name of names) {
    if (present(pkg[name])) return { value: pkg[name], field: name };
    const e = extras.get(name);
    if (present(e)) return { value: e, field: name };
  }
  return undefined;
}

/** A list from a real list, a JSON list held in a string (legacy extras), or a single value. */
function listOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    const parsed = parseJsonText(v.trim());
    if (parsed.ok && Array.isArray(parsed.value)) return parsed.value;
  }
  return present(v) ? [v] : [];
}

/** An object from a real object or JSON text (possibly HTML-escaped). */
function objectsOf(v: unknown): unknown[] {
  return listOf(v).map((item) => {
    if (typeof item === 'string' && item.trim().startsWith('{')) {
      const parsed = parseJsonText(item.trim());
      return parsed.ok ? parsed.value : item;
    }
    return item;
  });
}

/**
 * A language map from a plain CKAN string (tagged with the portal's language) and its
 * ckanext-fluent `*_translated` object. The plain string is left out when it repeats one of
 * the translations: it is then the portal's display copy of that language, not a new one.
 */
function langMap(plain: unknown, translated: unknown, field: string, ctx: CkanMapContext, pr: Problems): LangMap {
  const out: LangMap = {};
  const add = (lang: string, v: unknown) => {
    if (v === undefined || v === null) return;
    const s = typeof v === 'string' ? v.trim() : undefined;
    if (s === undefined) pr.warn('unsupported_value', `${field}.${lang}`, `${field}.${lang} ${show(v)} is not text; dropped`);
    else if (s !== '' && out[lang] === undefined) out[lang] = s;
  };
  // Some fluent schemas put the language object in the plain field itself.
  const maps = [translated, isObject(plain) ? plain : undefined];
  for (const m of maps) {
    if (m === undefined || m === null) continue;
    if (!isObject(m)) {
      pr.warn('unsupported_value', field, `${field} translations ${show(m)} are not a language object; dropped`);
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      const tag = langTag(k);
      if (tag === undefined) pr.warn('invalid_language', field, `${field} has a translation under ${JSON.stringify(k)}, not a language tag; dropped`);
      else add(tag, v);
    }
  }
  if (!isObject(plain) && plain !== undefined && plain !== null) {
    const s = typeof plain === 'string' ? plain.trim() : undefined;
    if (s === undefined) pr.warn('unsupported_value', field, `${field} ${show(plain)} is not text; dropped`);
    else if (s !== '' && !Object.values(out).includes(s) && out[ctx.language] === undefined) out[ctx.language] = s;
  }
  const sorted: LangMap = {};
  for (const k of Object.keys(out).sort(cmp)) sorted[k] = out[k] as string;
  return sorted;
}

function mapKeywords(pkg: Obj, ctx: CkanMapContext, pr: Problems): LangListMap {
  const byLang = new Map<string, string[]>();
  const add = (lang: string, v: string) => {
    const list = byLang.get(lang);
    if (list === undefined) byLang.set(lang, [v]);
    else list.push(v);
  };
  const translatedValues = new Set<string>();
  const translated = pkg['tags_translated'];
  if (isObject(translated)) {
    for (const [k, v] of Object.entries(translated)) {
      const tag = langTag(k);
      if (tag === undefined) {
        pr.warn('invalid_language', 'keywords', `keywords have a translation under ${JSON.stringify(k)}, not a language tag; dropped`);
        continue;
      }
      for (const item of listOf(v)) {
        const s = typeof item === 'string' ? item.trim() : undefined;
        if (s === undefined) pr.warn('unsupported_value', `keywords.${tag}`, `keyword ${show(item)} is not text; dropped`);
        else if (s !== '') {
          add(tag, s);
          translatedValues.add(s);
        }
      }
    }
  } else if (present(translated)) {
    pr.warn('unsupported_value', 'keywords', `tags_translated ${show(translated)} is not a language object; dropped`);
  }
  const tags = pkg['tags'];
  if (present(tags) && !Array.isArray(tags)) pr.warn('unsupported_value', 'keywords', `tags ${show(tags)} is not a list; dropped`);
  // vocabulary_id is ignored on purpose: DKAN puts every free tag in a vocabulary.
  for (const tag of Array.isArray(tags) ? tags : []) {
    const name = typeof tag === 'string' ? text(tag) : isObject(tag) ? (text(tag['name']) ?? text(tag['display_name'])) : undefined;
    if (name === undefined) pr.warn('unsupported_value', 'keywords', `tag ${show(tag)} has no name; dropped`);
    else if (!translatedValues.has(name)) add(ctx.language, name);
  }
  const out: LangListMap = {};
  for (const lang of [...byLang.keys()].sort(cmp)) out[lang] = sortedUnique(byLang.get(lang) as string[]);
  return out;
}

function mapThemes(pkg: Obj, extras: Extras, pr: Problems): string[] {
  const out: string[] = [];
  const groups = pkg['groups'];
  for (const g of Array.isArray(groups) ? groups : []) {
    // `uri` first: Hasad's own CKAN API (and portals like it) gives the theme's URI there and its label in `title`.
    const label = isObject(g) ? (text(g['uri']) ?? text(g['title']) ?? text(g['display_name']) ?? text(g['name'])) : text(g);
    if (label === undefined) pr.warn('unsupported_value', 'themes', `group ${show(g)} has no title or name; dropped`);
    else out.push(label);
  }
  const theme = pick(pkg, extras, 'theme');
  for (const t of theme === undefined ? [] : listOf(theme.value)) {
    const v = text(t);
    if (v === undefined) pr.warn('unsupported_value', 'themes', `theme ${show(t)} is not a URI or label; dropped`);
    else out.push(v);
  }
  return sortedUnique(out);
}

/** The first element of a scheming repeating subfield (`[{...}]`), warning when others differ. */
function firstObject(v: unknown, field: string, pr: Problems): Obj | undefined {
  const items = objectsOf(v);
  const objects = items.filter(isObject);
  if (objects.length < items.length) pr.warn('unsupported_value', field, `${field} ${show(v)} holds values that are not objects; they were dropped`);
  const distinct = new Set(objects.map((o) => stableStringify(o))).size;
  if (distinct > 1) pr.warn('multiple_values', field, `${field} has ${distinct} entries; kept the first, ${show(objects[0])}`);
  return objects[0];
}

function agentFrom(o: Obj, field: string, ctx: CkanMapContext, pr: Problems): Agent | undefined {
  const agent: Agent = {};
  const uri = optionalUrl(o['uri'], `${field}.uri`, pr);
  if (uri !== undefined) agent.uri = uri;
  const name = langMap(o['name'], o['name_translated'], `${field}.name`, ctx, pr);
  if (Object.keys(name).length > 0) agent.name = name;
  const email = optionalEmail(o['email'], `${field}.email`, pr);
  if (email !== undefined) agent.email = email;
  const homepage = optionalUrl(o['url'], `${field}.homepage`, pr);
  if (homepage !== undefined) agent.homepage = homepage;
  const type = text(o['type']);
  if (type !== undefined) agent.type = type;
  return Object.keys(agent).length > 0 ? agent : undefined;
}

/**
 * The publisher: an explicit one (scheming `publisher`, then ckanext-dcat extras
 * `publisher_*` / `dcat_publisher_*`) describes the dataset's real publisher, which on harvesting
 * portals differs from the owner organisation; the organisation is the fallback.
 */
function mapPublisher(pkg: Obj, extras: Extras, ctx: CkanMapContext, pr: Problems): Agent | undefined {
  if (present(pkg['publisher'])) {
    const o = firstObject(pkg['publisher'], 'publisher', pr);
    const agent = o === undefined ? undefined : agentFrom(o, 'publisher', ctx, pr);
    if (agent !== undefined) return agent;
  }
  for (const prefix of ['publisher_', 'dcat_publisher_']) {
    const o: Obj = {};
    for (const k of ['name', 'email', 'url', 'uri', 'type']) {
      const v = extras.get(prefix + k);
      if (present(v)) o[k] = v;
    }
    const agent = Object.keys(o).length === 0 ? undefined : agentFrom(o, 'publisher', ctx, pr);
    if (agent !== undefined) return agent;
  }
  const org = pkg['organization'];
  if (isObject(org)) {
    const slug = text(org['name']);
    const agent = agentFrom(
      {
        name: text(org['title']) ?? text(org['display_name']) ?? slug,
        name_translated: org['title_translated'],
        ...(slug !== undefined && { uri: `${ctx.portal}/organization/${encodeURIComponent(slug)}` }),
      },
      'publisher',
      ctx,
      pr,
    );
    if (agent !== undefined) return agent;
  }
  return undefined;
}

function contactFrom(o: Obj, field: string, pr: Problems): ContactPoint | undefined {
  const cp: ContactPoint = {};
  const uri = optionalUrl(o['uri'], `${field}.uri`, pr);
  if (uri !== undefined) cp.uri = uri;
  const name = text(o['name']);
  if (name !== undefined) cp.name = name;
  const email = optionalEmail(o['email'], `${field}.email`, pr);
  if (email !== undefined) cp.email = email;
  const url = optionalUrl(o['url'], `${field}.url`, pr);
  if (url !== undefined) cp.url = url;
  const phone = text(o['phone'])?.replace(/^tel:/i, '');
  if (phone !== undefined) cp.phone = phone;
  return Object.keys(cp).length > 0 ? cp : undefined;
}

/**
 * The contact point, from the most explicit source that gives an e-mail address (else the first
 * that gives anything): scheming `contact`, extras `contact_*`, INSPIRE `contact-email`, extras
 * `maintainer*` / `author*`, then the core `maintainer` and `author` fields. Name and e-mail are
 * never taken from two different sources: they could name two different people.
 */
function mapContactPoint(pkg: Obj, extras: Extras, pr: Problems): ContactPoint | undefined {
  const candidates: Array<() => Obj | undefined> = [
    () => (present(pkg['contact']) ? firstObject(pkg['contact'], 'contactPoint', pr) : undefined),
    () => ({ name: extras.get('contact_name'), email: extras.get('contact_email'), uri: extras.get('contact_uri'), url: extras.get('contact_url') }),
    () => ({ email: extras.get('contact-email') }),
    () => ({ name: extras.get('maintainer'), email: extras.get('maintainer_email') }),
    () => ({ name: extras.get('author'), email: extras.get('author_email') }),
    () => ({ name: pkg['maintainer'], email: pkg['maintainer_email'] }),
    () => ({ name: pkg['author'], email: pkg['author_email'] }),
  ];
  let fallback: ContactPoint | undefined;
  for (const candidate of candidates) {
    const o = candidate();
    const cp = o === undefined ? undefined : contactFrom(o, 'contactPoint', pr);
    if (cp === undefined) continue;
    if (cp.email !== undefined) return cp;
    fallback ??= cp;
  }
  return fallback;
}

function optionalUrl(v: unknown, field: string, pr: Problems): string | undefined {
  if (!present(v)) return undefined;
  const url = urlValue(v);
  if (url === undefined) pr.warn('invalid_url', field, `${field} ${show(v)} is not an absolute URL; dropped`);
  return url;
}

function optionalEmail(v: unknown, field: string, pr: Problems): string | undefined {
  if (!present(v)) return undefined;
  const email = emailValue(v);
  if (email === undefined) pr.warn('invalid_email', field, `${field} ${show(v)} is not an e-mail address; dropped`);
  return email;
}

/** The first readable date among candidates, warning about each present one that is not a date. */
function firstDate(candidates: Array<{ value: unknown; field: string; ckanUtc?: boolean }>, field: string, pr: Problems, order?: 'day' | 'month'): string | undefined {
  for (const c of candidates) {
    if (!present(c.value)) continue;
    const d = dateValue(c.value, { ckanUtc: c.ckanUtc === true, ...(order !== undefined && { order }) });
    if (d !== undefined) return d;
    pr.warn('invalid_date', field, `${field} (${c.field}) ${show(c.value)} is not a date; dropped`);
  }
  return undefined;
}

/** ckanext-spatial's INSPIRE `dataset-reference-date`: `[{"type": "revision", "value": "2019-10-01"}]`. */
function referenceDates(extras: Extras, pr: Problems): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const raw = extras.get('dataset-reference-date');
  if (!present(raw)) return out;
  const items = objectsOf(raw);
  if (items.length === 1 && typeof items[0] === 'string') {
    pr.warn('unsupported_value', 'issued', `extra dataset-reference-date ${show(raw)} is not a JSON list; dropped`);
    return out;
  }
  for (const item of items) {
    if (!isObject(item)) continue;
    const type = text(item['type'])?.toLowerCase();
    if (type !== undefined && !out.has(type)) out.set(type, item['value']);
  }
  return out;
}

function mapSpatial(pkg: Obj, extras: Extras, pr: Problems): string[] {
  const out: string[] = [];
  const geometry = (v: unknown, field: string) => {
    const g = geoJsonValue(v);
    if (g !== undefined) return g;
    // A non-JSON text in `spatial` is a place name; broken JSON is a broken geometry.
    const s = text(v);
    if (s !== undefined && !s.startsWith('{') && !s.startsWith('[')) return s;
    pr.warn('invalid_geometry', 'spatial', `${field} ${show(v)} is not a GeoJSON geometry; dropped`);
    return undefined;
  };
  for (const item of present(pkg['spatial_coverage']) ? objectsOf(pkg['spatial_coverage']) : []) {
    if (!isObject(item)) {
      pr.warn('unsupported_value', 'spatial', `spatial_coverage entry ${show(item)} is not an object; dropped`);
      continue;
    }
    const uri = optionalUrl(item['uri'], 'spatial', pr);
    if (uri !== undefined) out.push(uri);
    const label = text(item['text']);
    if (label !== undefined) out.push(label);
    const geom = ['geom', 'bbox', 'centroid'].find((k) => present(item[k]));
    if (geom !== undefined) {
      const g = geometry(item[geom], `spatial_coverage.${geom}`);
      if (g !== undefined) out.push(g);
    }
  }
  const uri = pick(pkg, extras, 'spatial_uri');
  if (uri !== undefined) {
    const u = optionalUrl(uri.value, 'spatial', pr);
    if (u !== undefined) out.push(u);
  }
  const label = pick(pkg, extras, 'spatial_text');
  if (label !== undefined && text(label.value) !== undefined) out.push(text(label.value) as string);
  const geom = pick(pkg, extras, 'spatial', 'spatial_bbox', 'spatial_centroid');
  if (geom !== undefined) {
    const g = geometry(geom.value, geom.field);
    if (g !== undefined) out.push(g);
  } else {
    const box = bboxPolygon(extras);
    if (box !== undefined) out.push(box);
  }
  return sortedUnique(out);
}

/** ckanext-spatial's harvested `bbox-{west,east}-long` / `bbox-{south,north}-lat` as a GeoJSON polygon. */
function bboxPolygon(extras: Extras): string | undefined {
  const n = (k: string) => {
    const s = text(extras.get(k));
    const v = s === undefined ? Number.NaN : Number(s);
    return Number.isFinite(v) ? v : undefined;
  };
  const w = n('bbox-west-long');
  const e = n('bbox-east-long');
  const s = n('bbox-south-lat');
  const no = n('bbox-north-lat');
  if (w === undefined || e === undefined || s === undefined || no === undefined) return undefined;
  return JSON.stringify({ type: 'Polygon', coordinates: [[[w, s], [e, s], [e, no], [w, no], [w, s]]] });
}

function mapTemporal(pkg: Obj, extras: Extras, pr: Problems, order: 'day' | 'month' | undefined): PeriodOfTime[] {
  const periods = new Map<string, PeriodOfTime>();
  const add = (start: unknown, end: unknown, field: string) => {
    const s = firstDate([{ value: start, field: `${field}.start` }], 'temporal.start', pr, order);
    const e = firstDate([{ value: end, field: `${field}.end` }], 'temporal.end', pr, order);
    if (s === undefined && e === undefined) return;
    const p: PeriodOfTime = {};
    if (s !== undefined) p.start = s;
    if (e !== undefined) p.end = e;
    periods.set(`${s ?? ''}/${e ?? ''}`, p);
  };
  for (const item of present(pkg['temporal_coverage']) ? objectsOf(pkg['temporal_coverage']) : []) {
    if (isObject(item)) add(item['start'], item['end'], 'temporal_coverage');
    else pr.warn('unsupported_value', 'temporal', `temporal_coverage entry ${show(item)} is not a period; dropped`);
  }
  const start = pick(pkg, extras, 'temporal_start');
  const end = pick(pkg, extras, 'temporal_end');
  if (start !== undefined || end !== undefined) add(start?.value, end?.value, 'temporal');
  // ckanext-spatial (INSPIRE): JSON lists of one date each.
  const from = listOf(extras.get('temporal_coverage-from'))[0];
  const to = listOf(extras.get('temporal_coverage-to'))[0];
  if (present(from) || present(to)) add(from, to, 'temporal_coverage');
  return [...periods.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
}

function mapLanguages(pkg: Obj, extras: Extras, pr: Problems): string[] {
  const lang = pick(pkg, extras, 'language');
  if (lang === undefined) return [];
  const raw = lang.value;
  const items = Array.isArray(raw) || (typeof raw === 'string' && raw.trim().startsWith('[')) ? listOf(raw) : typeof raw === 'string' ? raw.split(/[,;]/) : [raw];
  const out: string[] = [];
  for (const item of items) {
    const s = text(item);
    if (s === undefined) continue;
    const v = languageValue(s);
    if (v === undefined) pr.warn('invalid_language', 'language', `language ${show(item)} is neither a language code nor a URI; dropped`);
    else out.push(v);
  }
  return sortedUnique(out);
}

// CKAN's stand-ins for "no licence": not a licence a user can rely on.
const NO_LICENSE = new Set(['notspecified', 'license not specified']);

/** The licence: a URL when one is given anywhere (license_url, a URL-looking id or title), else the id, else the title. */
function mapLicense(pkg: Obj): string | undefined {
  const candidates = [pkg['license_url'], pkg['license'], pkg['license_id'], pkg['license_title']].map(text).filter((v): v is string => v !== undefined);
  const usable = candidates.filter((v) => !NO_LICENSE.has(v.toLowerCase()));
  return usable.find((v) => urlValue(v) !== undefined) ?? usable[0];
}

function mapResource(res: Obj, pkg: Obj, ctx: CkanMapContext, pr: Problems, field: string): Distribution {
  const d: Distribution = {};
  const resId = text(res['id']);
  const pkgRef = text(pkg['name']) ?? text(pkg['id']);
  if (resId !== undefined && pkgRef !== undefined) d.uri = `${ctx.portal}/dataset/${encodeURIComponent(pkgRef)}/resource/${encodeURIComponent(resId)}`;
  const title = langMap(res['name'], res['name_translated'], `${field}.title`, ctx, pr);
  if (Object.keys(title).length > 0) d.title = title;
  const description = langMap(res['description'], res['description_translated'], `${field}.description`, ctx, pr);
  if (Object.keys(description).length > 0) d.description = description;
  const accessUrl = optionalUrl(present(res['access_url']) ? res['access_url'] : res['url'], `${field}.accessUrl`, pr);
  if (accessUrl !== undefined) d.accessUrl = accessUrl;
  else if (!present(res['access_url']) && !present(res['url'])) pr.warn('missing_url', `${field}.accessUrl`, `${field} has no URL`);
  // A plain resource URL may be a web page: it is a download URL only when CKAN stored the file
  // itself (url_type "upload") or the schema says so (download_url).
  const download = present(res['download_url']) ? res['download_url'] : text(res['url_type']) === 'upload' ? res['url'] : undefined;
  const downloadUrl = optionalUrl(download, `${field}.downloadUrl`, pr);
  if (downloadUrl !== undefined) d.downloadUrl = downloadUrl;
  const format = text(res['format']);
  if (format !== undefined) d.format = format;
  if (present(res['mimetype'])) {
    const mt = typeof res['mimetype'] === 'string' ? normaliseMediaType(res['mimetype']) : undefined;
    if (mt === undefined) pr.warn('invalid_media_type', `${field}.mediaType`, `${field}.mediaType ${show(res['mimetype'])} is not a media type; dropped`);
    else d.mediaType = mt;
  }
  if (present(res['size'])) {
    const size = byteSizeValue(res['size']);
    if (size === undefined) pr.warn('invalid_byte_size', `${field}.byteSize`, `${field}.byteSize ${show(res['size'])} is not a number of bytes; dropped`);
    else d.byteSize = size;
  }
  const license = text(res['license']);
  if (license !== undefined) d.license = license;
  const issued = firstDate(
    [
      { value: res['issued'], field: 'issued' },
      { value: res['created'], field: 'created', ckanUtc: true },
    ],
    `${field}.issued`,
    pr,
  );
  if (issued !== undefined) d.issued = issued;
  const modified = firstDate(
    [
      { value: res['modified'], field: 'modified' },
      { value: res['last_modified'], field: 'last_modified', ckanUtc: true },
    ],
    `${field}.modified`,
    pr,
  );
  if (modified !== undefined) d.modified = modified;
  return d;
}

function mapResources(pkg: Obj, ctx: CkanMapContext, pr: Problems): Distribution[] {
  const resources = pkg['resources'];
  if (present(resources) && !Array.isArray(resources)) {
    pr.warn('unsupported_value', 'distributions', `resources ${show(resources)} is not a list; dropped`);
    return [];
  }
  const out: Distribution[] = [];
  // CKAN's order (the resource `position`) is the portal's own and stable: kept.
  for (const res of Array.isArray(resources) ? resources : []) {
    const field = `distributions[${out.length}]`;
    if (!isObject(res)) {
      pr.warn('unsupported_value', 'distributions', `resource ${show(res)} is not an object; dropped`);
      continue;
    }
    const state = text(res['state'])?.toLowerCase();
    if (state !== undefined && state !== 'active') continue;
    out.push(mapResource(res, pkg, ctx, pr, field));
  }
  return out;
}

/**
 * Why a package must not be published, as an `info` problem, or undefined. Private packages
 * (only an authorised API key should ever see them), packages not `active` (deleted, draft; DKAN
 * writes `Active`) and ckanext-harvest source records are skipped; they are not "seen", so a
 * dataset that became one of them is withdrawn by the next complete run.
 */
export function packageSkipReason(pkg: Obj): RecordProblem | undefined {
  const identifier = text(pkg['id']) ?? text(pkg['name']);
  const info = (code: ProblemCode, message: string): RecordProblem => ({ severity: 'info', code, message, ...(identifier !== undefined && { identifier }) });
  if (pkg['private'] === true || text(pkg['private'])?.toLowerCase() === 'true') {
    return info('private_package', `package ${identifier ?? '(no id)'} is private; skipped`);
  }
  const state = text(pkg['state'])?.toLowerCase();
  if (state !== undefined && state !== 'active') return info('package_not_active', `package ${identifier ?? '(no id)'} is ${state}, not active; skipped`);
  if (text(pkg['type'])?.toLowerCase() === 'harvest') return info('harvest_source', `package ${identifier ?? '(no id)'} is a harvest source record, not a dataset; skipped`);
  return undefined;
}

/**
 * Maps one CKAN package dict to a CanonicalDataset. Identifier: the package `id` (a UUID that
 * survives renames), else its `name`; URI: `<portal>/dataset/<name>`.
 *
 * Errors (record left out): `missing_identifier`, `missing_title`. Warnings (value dropped):
 * `invalid_date`, `invalid_url`, `invalid_email`, `invalid_media_type`, `invalid_byte_size`,
 * `invalid_language`, `invalid_geometry`, `unsupported_value`, `multiple_values`, `missing_url`.
 * Does not check {@link packageSkipReason}: callers decide whether to publish.
 */
export function mapPackage(pkg: Obj, ctx: CkanMapContext): PackageMapResult {
  const pr = new Problems();
  const name = text(pkg['name']);
  const identifier = text(pkg['id']) ?? name;
  if (identifier === undefined) {
    pr.error('missing_identifier', 'identifier', 'package has neither id nor name; skipped');
    return { problems: pr.list };
  }
  pr.identifier = identifier;
  const extras = new Extras(pkg['extras']);

  const title = langMap(pkg['title'], pkg['title_translated'], 'title', ctx, pr);
  if (Object.keys(title).length === 0) {
    pr.error('missing_title', 'title', 'package has no title; skipped');
    return { problems: pr.list, identifier };
  }

  const record: CanonicalDataset = {
    identifier,
    uri: `${ctx.portal}/dataset/${encodeURIComponent(name ?? identifier)}`,
    title,
    description: langMap(pkg['notes'], pkg['notes_translated'], 'description', ctx, pr),
    keywords: mapKeywords(pkg, ctx, pr),
    themes: mapThemes(pkg, extras, pr),
    spatial: mapSpatial(pkg, extras, pr),
    temporal: mapTemporal(pkg, extras, pr, ctx.dateOrder?.order),
    language: mapLanguages(pkg, extras, pr),
    distributions: mapResources(pkg, ctx, pr),
  };
  const publisher = mapPublisher(pkg, extras, ctx, pr);
  if (publisher !== undefined) record.publisher = publisher;
  const contactPoint = mapContactPoint(pkg, extras, pr);
  if (contactPoint !== undefined) record.contactPoint = contactPoint;
  const landingPage = optionalUrl(pkg['url'], 'landingPage', pr);
  if (landingPage !== undefined) record.landingPage = landingPage;

  const refDates = referenceDates(extras, pr);
  const explicit = (names: string[]) =>
    names.flatMap((n) => {
      const p = pick(pkg, extras, n);
      return p === undefined ? [] : [{ value: p.value, field: p.field }];
    });
  const issued = firstDate(
    [
      ...explicit(['issued', 'dcat_issued']),
      { value: refDates.get('publication') ?? refDates.get('creation'), field: 'dataset-reference-date' },
      { value: pkg['metadata_created'], field: 'metadata_created', ckanUtc: true },
    ],
    'issued',
    pr,
    ctx.dateOrder?.order,
  );
  if (issued !== undefined) record.issued = issued;
  const modified = firstDate(
    [
      ...explicit(['modified', 'dcat_modified']),
      { value: refDates.get('revision'), field: 'dataset-reference-date' },
      { value: pkg['metadata_modified'], field: 'metadata_modified', ckanUtc: true },
    ],
    'modified',
    pr,
    ctx.dateOrder?.order,
  );
  if (modified !== undefined) record.modified = modified;

  const license = mapLicense(pkg);
  if (license !== undefined) record.license = license;
  const accessRights = pick(pkg, extras, 'access_rights');
  if (accessRights !== undefined && text(accessRights.value) !== undefined) record.accessRights = text(accessRights.value) as string;
  const frequency = pick(pkg, extras, 'frequency', 'accrual_periodicity', 'frequency-of-update');
  if (frequency !== undefined) {
    const f = text(frequency.value);
    if (f === undefined) pr.warn('unsupported_value', 'accrualPeriodicity', `${frequency.field} ${show(frequency.value)} is not a URI or label; dropped`);
    else record.accrualPeriodicity = f;
  }
  return { record, problems: pr.list, identifier };
}

/** Package fields and extras that carry the dataset's own dates (CKAN's metadata_* are always ISO). */
const DATE_KEYS = ['issued', 'dcat_issued', 'modified', 'dcat_modified', 'temporal_start', 'temporal_end', 'temporal_coverage-from', 'temporal_coverage-to'];

/**
 * Settles the day/month order of numeric dates (`13/02/2026`) in a portal's date fields and
 * extras from the first page that holds one, as the CSV adapter does for a date column: a value
 * whose first number is above 12 proves day first, one whose second is, month first; when every
 * value could be either, the source's language decides (English: month first; French, Arabic and
 * others: day first, the platform's convention). Values proving both orders settle nothing: they
 * stay dropped with `invalid_date`, and the note says so. ISO and French written dates are read
 * as before, whatever the order.
 *
 * @returns the `ckan_mapping` note saying what was inferred, when the page settled it.
 */
export function settleDateOrder(packages: readonly unknown[], ctx: CkanMapContext): RecordProblem | undefined {
  const state = ctx.dateOrder;
  if (state === undefined || state.settled) return undefined;
  let day: { value: string; where: string } | undefined;
  let month: { value: string; where: string } | undefined;
  let numeric = 0;
  for (const pkg of packages) {
    if (!isObject(pkg)) continue;
    const extras = new Extras(pkg['extras']);
    const name = text(pkg['name']) ?? text(pkg['id']) ?? '?';
    for (const key of DATE_KEYS) {
      const p = pick(pkg, extras, key);
      for (const v of p === undefined ? [] : listOf(p.value)) {
        const s = typeof v === 'string' ? v.trim() : '';
        if (!/^\d{1,2}([/.-])\d{1,2}\1\d{4}$/.test(s)) continue;
        numeric++;
        const proof = provenOrder(s);
        if (proof === 'day') day ??= { value: s, where: `${key} of ${name}` };
        else if (proof === 'month') month ??= { value: s, where: `${key} of ${name}` };
      }
    }
  }
  if (numeric === 0) return undefined;
  state.settled = true;
  if (day !== undefined && month !== undefined) {
    return dateNote(`numeric dates are written both day first (${JSON.stringify(day.value)}, ${day.where}) and month first (${JSON.stringify(month.value)}, ${month.where}); they are not read`);
  }
  const proven = day ?? month;
  const { order, why } =
    proven !== undefined
      ? { order: day !== undefined ? ('day' as const) : ('month' as const), why: `${JSON.stringify(proven.value)} (${proven.where}) shows it` }
      : orderFromName(ctx.language || undefined, 'source’s language');
  state.order = order;
  return dateNote(`numeric dates in date fields and extras read ${order} first (${order === 'day' ? 'DD/MM/YYYY' : 'MM/DD/YYYY'}): ${why}`);
}

const dateNote = (message: string): RecordProblem => ({ severity: 'info', code: 'ckan_mapping', message });

/**
 * Maps the packages of one page into batches of at most `batchSize` records. Skipped packages
 * (private, not active) add an `info` problem; a package whose identifier already appeared on
 * the page is dropped with `duplicate_identifier` (first kept); an entry that is not an object
 * adds `invalid_package`.
 */
export function* mapPackages(packages: unknown[], ctx: CkanMapContext, batchSize: number): Generator<MappedBatch> {
  const batches = new BatchCollector(batchSize);
  const note = ctx.dateOrder?.settled === false ? settleDateOrder(packages, ctx) : undefined;
  if (note !== undefined) batches.note(note);
  for (const [i, pkg] of packages.entries()) {
    if (!isObject(pkg)) {
      batches.note({ severity: 'warning', code: 'invalid_package', message: `result ${i} is ${show(pkg)}, not a package; skipped` });
      continue;
    }
    const skip = packageSkipReason(pkg);
    if (skip !== undefined) {
      batches.note(skip);
      continue;
    }
    const full = batches.add(mapPackage(pkg, ctx), (id) => `another package on this page already has identifier ${JSON.stringify(id)}; this one was skipped`);
    if (full) yield full;
  }
  const rest = batches.flush();
  if (rest) yield rest;
}
