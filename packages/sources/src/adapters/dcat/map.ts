import { createHash } from 'node:crypto';
import type { Agent, CanonicalDataset, CatalogRecord, Checksum, ContactPoint, DataService, Distribution, Geometry, Identifier, LangListMap, LangMap, Location, PeriodOfTime, ProblemCode, RecordProblem, Relationship, Resource } from '@hasad/core';
import { isBlank, Lit, P, T_COLLECTION_VIEW, T_DATASET_SERIES, T_PAGED_COLLECTION } from './graph.ts';
import type { Obj, PageGraph } from './graph.ts';
import { MAX_DESCRIPTION_TRIPLES } from './describe.ts';
import { stableStringify } from '../../stable-json.ts';
import { BatchCollector, RecordProblems as Problems } from '../shared/batches.ts';
import { normaliseDate, normaliseMediaType } from '../shared/values.ts';

export { normaliseDate, normaliseMediaType } from '../shared/values.ts';
import type { MappedBatch, PackedRecord, RecordMapResult } from '../shared/batches.ts';
import { packRecord } from '../../pack.ts';

export type { MappedBatch } from '../shared/batches.ts';

/**
 * DCAT (RDF) → CanonicalDataset. Pure functions over a {@link PageGraph}.
 *
 * Rules: RDF gives no order, so every multi-valued field is sorted and every single-valued
 * field takes the smallest value (IRIs before literals) with a `multiple_values` warning —
 * the same dataset must map to the same record whatever the syntax or triple order. Values that
 * do not fit a field are dropped with a warning naming the field and the value, never guessed.
 */

/** Identifiers given to blank-node datasets without dct:identifier: this prefix and the sha1 of their description. */
export const BLANK_ID_PREFIX = 'urn:hasad:dcat-blank:';

/** The outcome of mapping one dataset node. */
export type DatasetMapResult = RecordMapResult;

const describe = (o: Obj): string => (o instanceof Lit ? JSON.stringify(o.value) : isBlank(o) ? 'a blank node' : `<${o}>`);

/** Orders candidates so IRIs come first, then literals, then blank nodes, each by value. */
function byPreference(a: Obj, b: Obj): number {
  const rank = (o: Obj) => (o instanceof Lit ? 1 : isBlank(o) ? 2 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  const va = a instanceof Lit ? a.value : a;
  const vb = b instanceof Lit ? b.value : b;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/** Picks the single value of a 0..1 field, warning when the source gave several different ones. */
function pickOne<T>(values: T[], field: string, pr: Problems, show: (v: T) => string): T | undefined {
  if (values.length <= 1) return values[0];
  const distinct = [...new Set(values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))];
  if (distinct.length > 1) {
    pr.warn('multiple_values', field, `${field} has ${distinct.length} values; kept ${show(values[0] as T)}`);
  }
  return values[0];
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

// rdfs:comment and dct:description last: rights statements and licence documents often carry
// their only text there (dct:accessRights as a blank node with only a dct:description).
const LABEL_PREDICATES = [P.label, P.prefLabel, P.title, P.foafName, P.vcardFn, P.value, P.hasValue, P.comment, P.description] as const;

/** A display value for a node without an IRI of its own (license, format, language documents). */
function labelOf(g: PageGraph, key: string, preds: readonly P[] = LABEL_PREDICATES): string | undefined {
  for (const p of preds) {
    const lits = g.objects(key, p).filter((o): o is Lit => o instanceof Lit && o.value.trim() !== '');
    if (lits.length > 0) {
      // Prefer untagged, then English, then the smallest tag: deterministic across syntaxes.
      lits.sort((a, b) => langRank(a.lang) - langRank(b.lang) || cmp(a.lang, b.lang) || cmp(a.value, b.value));
      return (lits[0] as Lit).value.trim();
    }
  }
  return undefined;
}

const langRank = (l: string) => (l === '' ? 0 : l === 'en' || l.startsWith('en-') ? 1 : 2);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** IRI, literal text, or blank-node label, for fields that accept "a URI or a label". */
function termValue(g: PageGraph, o: Obj, field: string, pr: Problems): string | undefined {
  if (o instanceof Lit) {
    const v = o.value.trim();
    return v === '' ? undefined : v;
  }
  if (!isBlank(o)) return o;
  const label = labelOf(g, o);
  if (label === undefined) pr.warn('unsupported_value', field, `${field} is a blank node without a label; dropped`);
  return label;
}

function termValues(g: PageGraph, objs: Obj[], field: string, pr: Problems): string[] {
  const out: string[] = [];
  for (const o of objs) {
    const v = termValue(g, o, field, pr);
    if (v !== undefined) out.push(v);
  }
  return out;
}

function single(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string | undefined {
  const objs = g.objects(key, pred).sort(byPreference);
  return pickOne(termValues(g, objs, field, pr), field, pr, (v) => JSON.stringify(v));
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:[^\s]+$/i;

/** A URL field: IRIs as given, literals only when they are absolute URLs. */
function urlValue(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string | undefined {
  const urls: string[] = [];
  for (const o of g.objects(key, pred).sort(byPreference)) {
    if (o instanceof Lit) {
      const v = o.value.trim();
      if (URL_LIKE.test(v) && URL.canParse(v)) urls.push(v);
      else pr.warn('invalid_url', field, `${field} ${JSON.stringify(o.value)} is not an absolute URL; dropped`);
    } else if (isBlank(o)) {
      pr.warn('unsupported_value', field, `${field} is a blank node, not a URL; dropped`);
    } else {
      urls.push(o);
    }
  }
  return pickOne(urls, field, pr, (v) => v);
}

/**
 * A language map from literals of the first of `preds` that has any. Non-literals and
 * conflicting same-language values warn.
 */
function langMap(g: PageGraph, key: string, preds: readonly P[], field: string, pr: Problems): LangMap {
  const byLang = new Map<string, string[]>();
  for (const p of preds) {
    for (const o of g.objects(key, p)) {
      if (!(o instanceof Lit)) {
        pr.warn('unsupported_value', field, `${field} ${describe(o)} is not a literal; dropped`);
        continue;
      }
      if (o.value.trim() === '') continue;
      const list = byLang.get(o.lang);
      if (list === undefined) byLang.set(o.lang, [o.value]);
      else if (!list.includes(o.value)) list.push(o.value);
    }
    // Predicates are alternatives in order of preference (foaf:name, then vcard:fn): the first
    // one that gives any value wins, so an agent is not named twice in one language.
    if (byLang.size > 0) break;
  }
  const out: LangMap = {};
  for (const lang of [...byLang.keys()].sort()) {
    const values = (byLang.get(lang) as string[]).sort();
    const langField = lang === '' ? field : `${field}.${lang}`;
    out[lang] = pickOne(values, langField, pr, (v) => JSON.stringify(v)) as string;
  }
  return out;
}

function dateValue(g: PageGraph, key: string, preds: readonly P[], field: string, pr: Problems): string | undefined {
  const dates: string[] = [];
  for (const p of preds) {
    for (const o of g.objects(key, p)) {
      const d = o instanceof Lit ? normaliseDate(o.value) : undefined;
      if (d === undefined) pr.warn('invalid_date', field, `${field} ${describe(o)} is not a valid date; dropped`);
      else dates.push(d);
    }
  }
  return pickOne(sortedUnique(dates), field, pr, (v) => v);
}

/** decodeURIComponent, or the text unchanged when it is not valid percent-encoding. */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// A relative `rdf:resource="someone@example.org"` reaches the mapper resolved against the feed's
// URL (`https://feed.example/dcat/someone@example.org`): an e-mail field holding a web URL whose
// last path segment is an address means that address.
const RESOLVED_ADDRESS = /^https?:\/\/[^/?#]+\/(?:[^?#]*\/)?([^/?#@\s]+@[^/?#@\s]+\.[^/?#@\s]+)$/i;

/** An e-mail address from foaf:mbox / vcard:hasEmail: without `mailto:`, its spaces and percent-encoding. */
function mailbox(v: string): string | undefined {
  let s = v.trim();
  const resolved = RESOLVED_ADDRESS.exec(s);
  if (resolved) s = resolved[1] as string;
  s = decoded(s.replace(/^mailto:/i, '').split('?')[0] ?? '').trim();
  return s === '' ? undefined : s;
}

function mapAgent(g: PageGraph, o: Obj, pr: Problems): Agent | undefined {
  if (o instanceof Lit) {
    if (o.value.trim() === '') return undefined;
    return { name: { [o.lang]: o.value } };
  }
  const agent: Agent = {};
  if (!isBlank(o)) agent.uri = o;
  // An agent named only by rdfs:label or skos:prefLabel is still named.
  const name = langMap(g, o, [P.foafName, P.vcardFn, P.orgName, P.prefLabel, P.label], 'publisher.name', pr);
  if (Object.keys(name).length > 0) agent.name = name;
  const rawMail = single(g, o, P.mbox, 'publisher.email', pr) ?? single(g, o, P.hasEmail, 'publisher.email', pr);
  const email = rawMail === undefined ? undefined : mailbox(rawMail);
  if (email !== undefined) agent.email = email;
  const homepage = urlValue(g, o, P.homepage, 'publisher.homepage', pr);
  if (homepage !== undefined) agent.homepage = homepage;
  const type = single(g, o, P.dctType, 'publisher.type', pr);
  if (type !== undefined) agent.type = type;
  if (Object.keys(agent).length === 0) {
    pr.warn('unsupported_value', 'publisher', 'publisher is a blank node without name, email or homepage; dropped');
    return undefined;
  }
  return agent;
}

/** vCard properties are IRIs (mailto:, tel:), literals, or nodes carrying vcard:hasValue. */
function vcardValue(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string | undefined {
  const values: string[] = [];
  for (const o of g.objects(key, pred).sort(byPreference)) {
    if (o instanceof Lit) {
      if (o.value.trim() !== '') values.push(o.value.trim());
    } else if (isBlank(o)) {
      // vcard:hasValue holds an IRI (tel:, mailto:) or a literal.
      const inner = g.objects(o, P.hasValue).sort(byPreference)[0];
      const v = inner === undefined ? undefined : inner instanceof Lit ? inner.value.trim() : isBlank(inner) ? undefined : inner;
      if (v === undefined || v === '') pr.warn('unsupported_value', field, `${field} is a blank node without vcard:hasValue; dropped`);
      else values.push(v);
    } else {
      values.push(o);
    }
  }
  return pickOne(values, field, pr, (v) => v);
}

/**
 * Maps every candidate of a 0..1 structured field and keeps the smallest by content: blank-node
 * labels differ between syntaxes and parsers, so they cannot decide.
 */
function pickNode<T>(g: PageGraph, objs: Obj[], field: string, pr: Problems, map: (g: PageGraph, o: Obj, pr: Problems) => T | undefined): T | undefined {
  const mapped: { value: T; json: string; problems: RecordProblem[] }[] = [];
  for (const o of objs) {
    const local = new Problems();
    local.identifier = pr.identifier;
    const value = map(g, o, local);
    if (value === undefined) pr.list.push(...local.list);
    else mapped.push({ value, json: stableStringify(value), problems: local.list });
  }
  mapped.sort((a, b) => cmp(a.json, b.json));
  const first = mapped[0];
  if (first === undefined) return undefined;
  const distinct = new Set(mapped.map((m) => m.json)).size;
  if (distinct > 1) pr.warn('multiple_values', field, `${field} has ${distinct} values; kept ${first.json}`);
  pr.list.push(...first.problems);
  return first.value;
}

function mapContactPoint(g: PageGraph, o: Obj, pr: Problems): ContactPoint | undefined {
  if (o instanceof Lit) {
    const v = o.value.trim();
    return v === '' ? undefined : { name: v };
  }
  const cp: ContactPoint = {};
  if (!isBlank(o)) cp.uri = o;
  const name = labelOf(g, o, [P.vcardFn]);
  if (name !== undefined) cp.name = name;
  const email = vcardValue(g, o, P.hasEmail, 'contactPoint.email', pr);
  const mail = email === undefined ? undefined : mailbox(email);
  if (mail !== undefined) cp.email = mail;
  const url = vcardValue(g, o, P.hasURL, 'contactPoint.url', pr);
  if (url !== undefined) cp.url = url;
  const phone = vcardValue(g, o, P.hasTelephone, 'contactPoint.phone', pr);
  // tel: IRIs percent-encode their spaces (`tel:+49%2040%20428`): the number as written.
  if (phone !== undefined) cp.phone = decoded(phone.replace(/^tel:/i, '')).trim();
  const org = langMap(g, o, [P.orgName], 'contactPoint.organizationName', pr);
  if (Object.keys(org).length > 0) cp.organizationName = org;
  if (Object.keys(cp).length === 0) {
    pr.warn('unsupported_value', 'contactPoint', 'contactPoint is a blank node without vcard details; dropped');
    return undefined;
  }
  return cp;
}

function mediaTypeValue(g: PageGraph, key: string, pr: Problems): string | undefined {
  const values: string[] = [];
  for (const o of g.objects(key, P.mediaType).sort(byPreference)) {
    const raw = o instanceof Lit ? o.value : isBlank(o) ? labelOf(g, o, [P.value, P.label]) : o;
    const t = raw === undefined ? undefined : normaliseMediaType(raw);
    if (t === undefined) pr.warn('invalid_media_type', 'mediaType', `mediaType ${describe(o)} is not a media type; dropped`);
    else values.push(t);
  }
  return pickOne(sortedUnique(values), 'mediaType', pr, (v) => v);
}

function formatValue(g: PageGraph, key: string, pr: Problems): string | undefined {
  const values: string[] = [];
  for (const o of g.objects(key, P.format).sort(byPreference)) {
    // dct:IMT nodes: rdfs:label is the format's name ("CSV"), rdf:value its media type.
    const v = o instanceof Lit ? o.value.trim() : isBlank(o) ? labelOf(g, o, [P.label, P.value, P.prefLabel]) : o;
    if (v === undefined || v === '') pr.warn('unsupported_value', 'format', `format ${describe(o)} has no value; dropped`);
    else values.push(v);
  }
  return pickOne(values, 'format', pr, (v) => v);
}

function byteSizeValue(g: PageGraph, key: string, pr: Problems): number | undefined {
  const sizes: number[] = [];
  for (const o of g.objects(key, P.byteSize)) {
    const text = o instanceof Lit ? o.value.trim() : '';
    // DCAT 2 says xsd:nonNegativeInteger, DCAT 1 xsd:decimal: accept "1024", "1024.0", "1.024E3".
    const n = /^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= 0) sizes.push(n);
    else pr.warn('invalid_byte_size', 'byteSize', `byteSize ${describe(o)} is not a non-negative integer; dropped`);
  }
  const unique = [...new Set(sizes)].sort((a, b) => a - b);
  return pickOne(unique, 'byteSize', pr, String);
}

function mapDistribution(g: PageGraph, key: string, pr: Problems): Distribution {
  const d: Distribution = {};
  if (!isBlank(key)) d.uri = key;
  const title = langMap(g, key, [P.title], 'title', pr);
  if (Object.keys(title).length > 0) d.title = title;
  const description = langMap(g, key, [P.description], 'description', pr);
  if (Object.keys(description).length > 0) d.description = description;
  const accessUrl = urlValue(g, key, P.accessURL, 'accessUrl', pr);
  if (accessUrl !== undefined) d.accessUrl = accessUrl;
  const downloadUrl = urlValue(g, key, P.downloadURL, 'downloadUrl', pr);
  if (downloadUrl !== undefined) d.downloadUrl = downloadUrl;
  const format = formatValue(g, key, pr);
  if (format !== undefined) d.format = format;
  const mediaType = mediaTypeValue(g, key, pr);
  if (mediaType !== undefined) d.mediaType = mediaType;
  const license = single(g, key, P.license, 'license', pr);
  if (license !== undefined) d.license = license;
  const byteSize = byteSizeValue(g, key, pr);
  if (byteSize !== undefined) d.byteSize = byteSize;
  const issued = dateValue(g, key, [P.issued], 'issued', pr);
  if (issued !== undefined) d.issued = issued;
  const modified = dateValue(g, key, [P.modified], 'modified', pr);
  if (modified !== undefined) d.modified = modified;
  mapDistributionExtras(g, key, d, pr);
  return d;
}

function mapDistributions(g: PageGraph, key: string, pr: Problems): Distribution[] {
  const mapped: { d: Distribution; json: string; problems: RecordProblem[] }[] = [];
  const seen = new Set<string>();
  for (const o of g.objects(key, P.distribution)) {
    if (o instanceof Lit) {
      pr.warn('unsupported_value', 'distributions', `distribution ${describe(o)} is a literal, not a node; dropped`);
      continue;
    }
    const local = new Problems();
    local.identifier = pr.identifier;
    const d = mapDistribution(g, o, local);
    const json = stableStringify(d);
    if (seen.has(json)) continue;
    seen.add(json);
    mapped.push({ d, json, problems: local.list });
  }
  // Sorted by content so blank-node labels and triple order cannot change the record.
  mapped.sort((a, b) => cmp(a.json, b.json));
  mapped.forEach((m, i) => {
    for (const p of m.problems) pr.list.push({ ...p, field: `distributions[${i}].${p.field ?? ''}` });
  });
  return mapped.map((m) => m.d);
}

function mapSpatial(g: PageGraph, key: string, pr: Problems): string[] {
  const out: string[] = [];
  for (const o of g.objects(key, P.spatial)) {
    if (!(typeof o === 'string' && isBlank(o))) {
      const v = termValue(g, o, 'spatial', pr);
      if (v !== undefined) out.push(v);
      continue;
    }
    // A blank location: its geometry text (WKT, GeoJSON, GML) as given, else its name; typed in `locations`.
    const text = locationText(g, o, readLocation(g, o, new Problems()));
    if (text.length === 0) pr.warn('unsupported_value', 'spatial', 'spatial is a blank node without geometry or label; dropped');
    out.push(...text);
  }
  return sortedUnique(out);
}

/**
 * One bound of a period: dcat:startDate/endDate (or schema.org's) on the period, else the OWL-Time
 * instant's time:inXSDDate(Time). A value that is not a date is kept as given (`asGiven`) with an
 * `invalid_date` warning: dropping it would turn a closed period into an open-ended one.
 */
function periodBound(g: PageGraph, o: string, direct: P, instantPred: P, field: string, pr: Problems): { value?: string; asGiven?: string } {
  const given: Obj[] = [...g.objects(o, direct)];
  for (const i of g.objects(o, instantPred)) if (typeof i === 'string') given.push(...g.objects(i, P.inXSDDate), ...g.objects(i, P.inXSDDateTime));
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const v of given) {
    const d = v instanceof Lit ? normaliseDate(v.value) : undefined;
    if (d !== undefined) valid.push(d);
    else if (v instanceof Lit && v.value.trim() !== '') invalid.push(v.value.trim());
    else pr.warn('invalid_date', field, `${field} ${describe(v)} is not a valid date; dropped`);
  }
  const value = pickOne(sortedUnique(valid), field, pr, (x) => x);
  if (value !== undefined) {
    for (const x of invalid) pr.warn('invalid_date', field, `${field} ${JSON.stringify(x)} is not a valid date; dropped (the period has a valid ${field})`);
    return { value };
  }
  const asGiven = sortedUnique(invalid)[0];
  if (asGiven === undefined) return {};
  pr.warn('invalid_date', field, `${field} ${JSON.stringify(asGiven)} is not a valid date; kept as given (${field}AsGiven), the period is not made open-ended`);
  return { asGiven };
}

function mapTemporal(g: PageGraph, key: string, pr: Problems): PeriodOfTime[] {
  const out = new Map<string, PeriodOfTime>();
  for (const o of g.objects(key, P.temporal)) {
    if (o instanceof Lit) {
      pr.warn('unsupported_value', 'temporal', `temporal ${describe(o)} is a literal, not a period with start/end dates; dropped`);
      continue;
    }
    const start = periodBound(g, o, P.startDate, P.hasBeginning, 'temporal.start', pr);
    const end = periodBound(g, o, P.endDate, P.hasEnd, 'temporal.end', pr);
    const period: PeriodOfTime = {};
    if (start.value !== undefined) period.start = start.value;
    if (start.asGiven !== undefined) period.startAsGiven = start.asGiven;
    if (end.value !== undefined) period.end = end.value;
    if (end.asGiven !== undefined) period.endAsGiven = end.asGiven;
    if (Object.keys(period).length === 0) {
      pr.warn('unsupported_value', 'temporal', `temporal ${describe(o)} has no start or end date; dropped`);
      continue;
    }
    out.set(`${start.value ?? start.asGiven ?? ''}/${end.value ?? end.asGiven ?? ''}`, period);
  }
  return [...out.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
}

function mapKeywords(g: PageGraph, key: string, pr: Problems): LangListMap {
  const byLang = new Map<string, string[]>();
  for (const o of g.objects(key, P.keyword)) {
    if (!(o instanceof Lit)) {
      pr.warn('unsupported_value', 'keywords', `keyword ${describe(o)} is not a literal; dropped`);
      continue;
    }
    const v = o.value.trim();
    if (v === '') continue;
    const list = byLang.get(o.lang);
    if (list === undefined) byLang.set(o.lang, [v]);
    else list.push(v);
  }
  const out: LangListMap = {};
  for (const lang of [...byLang.keys()].sort()) out[lang] = sortedUnique(byLang.get(lang) as string[]);
  return out;
}

// ---- DCAT-AP 3.0.1 optional classes and properties ------------------------------------------

const nonEmpty = (o: object | undefined): boolean => o !== undefined && Object.keys(o).length > 0;

/** IRIs (or labels) of a 0..n property, sorted; undefined when the source gave none. */
function iriList(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string[] | undefined {
  const v = sortedUnique(termValues(g, g.objects(key, pred).sort(byPreference), field, pr));
  return v.length > 0 ? v : undefined;
}

/** URLs of a 0..n property (IRIs, absolute-URL literals), sorted. */
function urlList(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string[] | undefined {
  const urls: string[] = [];
  for (const o of g.objects(key, pred)) {
    if (o instanceof Lit) {
      const v = o.value.trim();
      if (URL_LIKE.test(v) && URL.canParse(v)) urls.push(v);
      else pr.warn('invalid_url', field, `${field} ${JSON.stringify(o.value)} is not an absolute URL; dropped`);
    } else if (isBlank(o)) {
      // A foaf:Document given as a blank node: its own foaf:page / label cannot be a URL.
      pr.warn('unsupported_value', field, `${field} is a blank node, not a URL; dropped`);
    } else urls.push(o);
  }
  const v = sortedUnique(urls);
  return v.length > 0 ? v : undefined;
}

function optLangMap(g: PageGraph, key: string, preds: readonly P[], field: string, pr: Problems): LangMap | undefined {
  const m = langMap(g, key, preds, field, pr);
  return nonEmpty(m) ? m : undefined;
}

/** Text of a Resource node: its label first, then title, description, comment, value. */
const RESOURCE_TEXT = [P.label, P.prefLabel, P.title, P.description, P.comment, P.value] as const;

/** A RightsStatement, LicenseDocument, Standard, ProvenanceStatement …: IRI, text per language, dct:type. */
function mapResource(field: string) {
  return (g: PageGraph, o: Obj, pr: Problems): Resource | undefined => {
    if (o instanceof Lit) {
      const v = o.value.trim();
      return v === '' ? undefined : { label: { [o.lang]: v } };
    }
    const r: Resource = {};
    if (!isBlank(o)) r.uri = o;
    const label = langMapAll(g, o, RESOURCE_TEXT);
    if (nonEmpty(label)) r.label = label;
    const type = single(g, o, P.dctType, `${field}.type`, pr);
    if (type !== undefined) r.type = type;
    const attribution = optLangMap(g, o, [P.odrsAttributionText], `${field}.attributionText`, pr);
    if (attribution !== undefined) r.attributionText = attribution;
    const attributionUrl = urlValue(g, o, P.odrsAttributionURL, `${field}.attributionUrl`, pr);
    if (attributionUrl !== undefined) r.attributionUrl = attributionUrl;
    const dataLicense = single(g, o, P.odrsDataLicense, `${field}.dataLicense`, pr);
    if (dataLicense !== undefined) r.dataLicense = dataLicense;
    if (!nonEmpty(r)) pr.warn('unsupported_value', field, `${field} is a blank node without text; dropped`);
    return nonEmpty(r) ? r : undefined;
  };
}

/**
 * Every language of the first predicate that has literals, several texts in one language joined
 * by a blank line (a rights statement's rdfs:label and its dct:description are both its text, but
 * one language holds one string, as everywhere in the record).
 */
function langMapAll(g: PageGraph, key: string, preds: readonly P[]): LangMap {
  for (const p of preds) {
    const byLang = new Map<string, string[]>();
    for (const o of g.objects(key, p)) {
      if (!(o instanceof Lit) || o.value.trim() === '') continue;
      const list = byLang.get(o.lang) ?? [];
      if (!list.includes(o.value.trim())) list.push(o.value.trim());
      byLang.set(o.lang, list);
    }
    if (byLang.size === 0) continue;
    const out: LangMap = {};
    for (const lang of [...byLang.keys()].sort()) out[lang] = (byLang.get(lang) as string[]).sort().join('\n\n');
    return out;
  }
  return {};
}

/** Every node of a 0..n structured property mapped, duplicates removed, sorted by content (blank-node labels cannot decide). */
function nodeList<T>(g: PageGraph, key: string, pred: P, field: string, pr: Problems, map: (g: PageGraph, o: Obj, pr: Problems) => T | undefined): T[] | undefined {
  const byJson = new Map<string, T>();
  for (const o of g.objects(key, pred)) {
    const v = map(g, o, pr);
    if (v !== undefined) byJson.set(stableStringify(v), v);
  }
  if (byJson.size === 0) return undefined;
  return [...byJson.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
}

function mapIdentifier(g: PageGraph, o: Obj, pr: Problems): Identifier | undefined {
  if (o instanceof Lit) {
    const v = o.value.trim();
    return v === '' ? undefined : { notation: v, ...(o.datatype !== undefined && { datatype: o.datatype }) };
  }
  const notation = g.objects(o, P.notation).filter((x): x is Lit => x instanceof Lit && x.value.trim() !== '').sort(byPreference)[0];
  const id: Partial<Identifier> = {};
  if (notation !== undefined) {
    id.notation = notation.value.trim();
    if (notation.datatype !== undefined) id.datatype = notation.datatype;
  }
  if (!isBlank(o)) {
    id.uri = o;
    id.notation ??= o;
  }
  if (id.notation === undefined) {
    pr.warn('unsupported_value', 'otherIdentifier', 'otherIdentifier is a blank node without skos:notation; dropped');
    return undefined;
  }
  const agency = labelOf(g, o, [P.schemaAgency]) ?? single(g, o, P.creator, 'otherIdentifier.schemaAgency', pr);
  if (agency !== undefined) id.schemaAgency = agency;
  const issued = dateValue(g, o, [P.issued], 'otherIdentifier.issued', pr);
  if (issued !== undefined) id.issued = issued;
  return id as Identifier;
}

function mapRelationship(g: PageGraph, o: Obj, pr: Problems): Relationship | undefined {
  if (o instanceof Lit) {
    pr.warn('unsupported_value', 'qualifiedRelation', `qualifiedRelation ${describe(o)} is a literal, not a dcat:Relationship; dropped`);
    return undefined;
  }
  const relation = single(g, o, P.relation, 'qualifiedRelation.relation', pr);
  if (relation === undefined) {
    pr.warn('unsupported_value', 'qualifiedRelation', 'qualifiedRelation has no dct:relation; dropped');
    return undefined;
  }
  const role = single(g, o, P.hadRole, 'qualifiedRelation.role', pr);
  return { relation, ...(role !== undefined && { role }) };
}

function mapAttribution(g: PageGraph, o: Obj, pr: Problems): { agent: string; role?: string } | undefined {
  if (o instanceof Lit) return undefined;
  const agent = single(g, o, P.provAgent, 'qualifiedAttribution.agent', pr);
  if (agent === undefined) {
    pr.warn('unsupported_value', 'qualifiedAttribution', 'qualifiedAttribution has no prov:agent; dropped');
    return undefined;
  }
  const role = single(g, o, P.hadRole, 'qualifiedAttribution.role', pr);
  return { agent, ...(role !== undefined && { role }) };
}

function mapChecksum(g: PageGraph, o: Obj, pr: Problems): Checksum | undefined {
  if (o instanceof Lit) {
    pr.warn('unsupported_value', 'checksum', `checksum ${describe(o)} is a literal, not an spdx:Checksum; dropped`);
    return undefined;
  }
  const algorithm = single(g, o, P.algorithm, 'checksum.algorithm', pr);
  const value = single(g, o, P.checksumValue, 'checksum.value', pr);
  if (algorithm === undefined || value === undefined) {
    pr.warn('unsupported_value', 'checksum', 'checksum lacks spdx:algorithm or spdx:checksumValue; dropped');
    return undefined;
  }
  return { algorithm, value };
}

/** Geometry literals of a property, typed as given; a geometry node (locn:Geometry) gives its gsp:asWKT / asGML / asGeoJSON. */
function geometries(g: PageGraph, key: string, pred: P): Geometry[] | undefined {
  const out = new Map<string, Geometry>();
  const add = (x: Obj) => {
    if (x instanceof Lit && x.value.trim() !== '') {
      const geom: Geometry = { value: x.value, ...(x.datatype !== undefined && { datatype: x.datatype }) };
      out.set(stableStringify(geom), geom);
    }
  };
  for (const o of g.objects(key, pred)) {
    if (o instanceof Lit) add(o);
    else for (const p of [P.asWKT, P.asGML, P.asGeoJSON]) g.objects(o, p).forEach(add);
  }
  return out.size > 0 ? [...out.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]) : undefined;
}

/** An administrative unit, on the location itself or on its locn:address. */
function adminUnit(g: PageGraph, key: string, pred: P, field: string, pr: Problems): string[] | undefined {
  const own = iriList(g, key, pred, field, pr);
  if (own !== undefined) return own;
  for (const a of g.objects(key, P.address)) if (typeof a === 'string') return iriList(g, a, pred, field, pr);
  return undefined;
}

function mapLocation(g: PageGraph, o: Obj, pr: Problems): Location | undefined {
  const loc = readLocation(g, o, pr);
  return loc !== undefined && saysMoreThanSpatial(loc) ? loc : undefined;
}

function readLocation(g: PageGraph, o: Obj, pr: Problems): Location | undefined {
  if (o instanceof Lit) return undefined;
  const loc: Location = {};
  if (!isBlank(o)) loc.uri = o;
  const label = langMapAll(g, o, [P.prefLabel, P.label, P.title, P.geographicName]);
  if (nonEmpty(label)) loc.label = label;
  const geometry = geometries(g, o, P.geometry) ?? geometries(g, o, P.hasGeometry);
  const direct = [P.asWKT, P.asGML, P.asGeoJSON].flatMap((p) => geometries(g, o, p) ?? []);
  // One sorted list whichever property carried each geometry, so the record reads back the same from the export (all locn:geometry).
  if (geometry !== undefined || direct.length > 0) loc.geometry = [...(geometry ?? []), ...direct].sort((a, b) => cmp(stableStringify(a), stableStringify(b)));
  put(loc, 'bbox', geometries(g, o, P.bbox));
  put(loc, 'centroid', geometries(g, o, P.centroid));
  put(loc, 'inScheme', single(g, o, P.inScheme, 'locations.inScheme', pr));
  put(loc, 'identifier', single(g, o, P.identifier, 'locations.identifier', pr));
  put(loc, 'adminUnitL1', adminUnit(g, o, P.adminUnitL1, 'locations.adminUnitL1', pr));
  put(loc, 'adminUnitL2', adminUnit(g, o, P.adminUnitL2, 'locations.adminUnitL2', pr));
  return loc;
}

/** A location that is only an IRI, untyped geometry text or one untagged name says nothing `spatial` does not. */
function saysMoreThanSpatial(loc: Location): boolean {
  const keys = Object.keys(loc).filter((k) => k !== 'uri');
  if (keys.length === 0) return false;
  if (keys.length === 1 && keys[0] === 'geometry') return (loc.geometry ?? []).some((x) => x.datatype !== undefined);
  if (keys.length === 1 && keys[0] === 'label') return Object.keys(loc.label ?? {}).some((l) => l !== '');
  return true;
}

/** The display value `spatial` keeps for a location that is a blank node: geometries, else bbox, centroid, label, admin units. */
function locationText(g: PageGraph, o: string, loc: Location | undefined): string[] {
  for (const list of [loc?.geometry, loc?.bbox, loc?.centroid]) if (list !== undefined) return list.map((x) => x.value);
  const label = labelOf(g, o);
  if (label !== undefined) return [label];
  return loc?.adminUnitL2 ?? loc?.adminUnitL1 ?? [];
}

function mapDataService(g: PageGraph, o: Obj, pr: Problems): DataService | undefined {
  if (o instanceof Lit) {
    pr.warn('unsupported_value', 'accessService', `accessService ${describe(o)} is a literal, not a dcat:DataService; dropped`);
    return undefined;
  }
  const s: DataService = { endpointUrl: urlList(g, o, P.endpointURL, 'accessService.endpointUrl', pr) ?? [] };
  if (!isBlank(o)) s.uri = o;
  put(s, 'title', optLangMap(g, o, [P.title], 'accessService.title', pr));
  put(s, 'description', optLangMap(g, o, [P.description], 'accessService.description', pr));
  put(s, 'endpointDescription', iriList(g, o, P.endpointDescription, 'accessService.endpointDescription', pr));
  put(s, 'conformsTo', nodeList(g, o, P.conformsTo, 'accessService.conformsTo', pr, mapResource('accessService.conformsTo')));
  put(s, 'servesDataset', iriList(g, o, P.servesDataset, 'accessService.servesDataset', pr));
  put(s, 'license', single(g, o, P.license, 'accessService.license', pr));
  put(s, 'accessRights', single(g, o, P.accessRights, 'accessService.accessRights', pr));
  const keywords = mapKeywords(g, o, pr);
  if (nonEmpty(keywords)) s.keywords = keywords;
  put(s, 'themes', iriList(g, o, P.theme, 'accessService.themes', pr));
  put(s, 'landingPage', urlValue(g, o, P.landingPage, 'accessService.landingPage', pr));
  put(s, 'documentation', urlList(g, o, P.page, 'accessService.documentation', pr));
  put(s, 'hvdCategory', iriList(g, o, P.hvdCategory, 'accessService.hvdCategory', pr));
  put(s, 'applicableLegislation', iriList(g, o, P.applicableLegislation, 'accessService.applicableLegislation', pr));
  put(s, 'type', single(g, o, P.dctType, 'accessService.type', pr));
  if (s.endpointUrl.length === 0 && s.uri === undefined && s.title === undefined) {
    pr.warn('unsupported_value', 'accessService', 'accessService is a blank node without endpoint URL or title; dropped');
    return undefined;
  }
  return s;
}

function mapCatalogRecord(g: PageGraph, o: Obj, pr: Problems): CatalogRecord | undefined {
  if (o instanceof Lit) return undefined;
  const r: CatalogRecord = {};
  if (!isBlank(o)) r.uri = o;
  put(r, 'title', optLangMap(g, o, [P.title], 'catalogRecord.title', pr));
  put(r, 'description', optLangMap(g, o, [P.description], 'catalogRecord.description', pr));
  put(r, 'issued', dateValue(g, o, [P.issued], 'catalogRecord.issued', pr));
  put(r, 'modified', dateValue(g, o, [P.modified], 'catalogRecord.modified', pr));
  put(r, 'status', single(g, o, P.admsStatus, 'catalogRecord.status', pr));
  put(r, 'conformsTo', nodeList(g, o, P.conformsTo, 'catalogRecord.conformsTo', pr, mapResource('catalogRecord.conformsTo')));
  put(r, 'language', iriList(g, o, P.language, 'catalogRecord.language', pr));
  put(r, 'source', single(g, o, P.source, 'catalogRecord.source', pr));
  return r;
}

/** Sets `field` on `target` when `value` is defined: keeps the records of sources that do not say it as they were. */
function put<T extends object, K extends keyof T>(target: T, field: K, value: T[K] | undefined): void {
  if (value !== undefined) target[field] = value;
}

/** The optional DCAT-AP 3.0.1 properties of a dataset (or dataset series). */
function mapDatasetExtras(g: PageGraph, key: string, record: CanonicalDataset, pr: Problems): void {
  if ((g.typesOf(key) & T_DATASET_SERIES) !== 0) record.isSeries = true;
  put(record, 'inSeries', iriList(g, key, P.inSeries, 'inSeries', pr));
  put(record, 'version', single(g, key, P.version, 'version', pr) ?? single(g, key, P.versionInfo, 'version', pr));
  put(record, 'versionNotes', optLangMap(g, key, [P.versionNotes], 'versionNotes', pr));
  put(record, 'abstract', optLangMap(g, key, [P.abstract], 'abstract', pr));
  put(record, 'type', single(g, key, P.dctType, 'type', pr));
  put(record, 'conformsTo', nodeList(g, key, P.conformsTo, 'conformsTo', pr, mapResource('conformsTo')));
  put(record, 'relation', iriList(g, key, P.relation, 'relation', pr));
  put(record, 'qualifiedRelation', nodeList(g, key, P.qualifiedRelation, 'qualifiedRelation', pr, mapRelationship));
  put(record, 'provenance', nodeList(g, key, P.provenance, 'provenance', pr, mapResource('provenance')));
  put(record, 'creator', nodeList(g, key, P.creator, 'creator', pr, mapAgent));
  // An adms:identifier that is the record's own identifier or IRI says nothing new (Hasad's export
  // writes one for a dataset whose IRI another record holds, so that a re-harvest gets the same record).
  const others = nodeList(g, key, P.admsIdentifier, 'otherIdentifier', pr, mapIdentifier)?.filter((i) => i.notation !== record.identifier && i.notation !== record.uri);
  put(record, 'otherIdentifier', others !== undefined && others.length > 0 ? others : undefined);
  put(record, 'rights', nodeList(g, key, P.rights, 'rights', pr, mapResource('rights')));
  put(record, 'attributionText', optLangMap(g, key, [P.attributionByText], 'attributionText', pr));
  const accessRights = nodeList(g, key, P.accessRights, 'accessRights', pr, mapResource('accessRights'))?.find((r) => r.label !== undefined || r.type !== undefined);
  put(record, 'accessRightsStatement', accessRights);
  const license = nodeList(g, key, P.license, 'license', pr, mapResource('license'))?.find((r) => r.uri !== undefined && (r.label !== undefined || r.type !== undefined));
  put(record, 'licenseDocument', license);
  put(record, 'locations', nodeList(g, key, P.spatial, 'locations', pr, mapLocation));
  put(record, 'documentation', urlList(g, key, P.page, 'documentation', pr));
  put(record, 'hasVersion', iriList(g, key, P.hasVersion, 'hasVersion', pr));
  put(record, 'isVersionOf', iriList(g, key, P.isVersionOf, 'isVersionOf', pr));
  put(record, 'isReferencedBy', iriList(g, key, P.isReferencedBy, 'isReferencedBy', pr));
  put(record, 'hasPart', iriList(g, key, P.hasPart, 'hasPart', pr));
  put(record, 'isPartOf', iriList(g, key, P.isPartOf, 'isPartOf', pr));
  put(record, 'sample', iriList(g, key, P.sample, 'sample', pr));
  put(record, 'wasGeneratedBy', iriList(g, key, P.wasGeneratedBy, 'wasGeneratedBy', pr));
  put(record, 'qualifiedAttribution', nodeList(g, key, P.qualifiedAttribution, 'qualifiedAttribution', pr, mapAttribution));
  put(record, 'applicableLegislation', iriList(g, key, P.applicableLegislation, 'applicableLegislation', pr));
  put(record, 'hvdCategory', iriList(g, key, P.hvdCategory, 'hvdCategory', pr));
  put(record, 'spatialResolutionInMeters', decimalValue(g, key, P.spatialResolution, 'spatialResolutionInMeters', pr));
  put(record, 'temporalResolution', single(g, key, P.temporalResolution, 'temporalResolution', pr));
  put(record, 'first', single(g, key, P.first, 'first', pr));
  put(record, 'last', single(g, key, P.last, 'last', pr));
  put(record, 'prev', single(g, key, P.prev, 'prev', pr));
  put(record, 'catalogRecord', pickNode(g, g.subjectsPointingTo(key, P.primaryTopic), 'catalogRecord', pr, mapCatalogRecord));
}

/** The optional DCAT-AP 3.0.1 properties of a distribution. */
function mapDistributionExtras(g: PageGraph, key: string, d: Distribution, pr: Problems): void {
  put(d, 'rights', nodeList(g, key, P.rights, 'rights', pr, mapResource('rights')));
  put(d, 'licenseDocument', nodeList(g, key, P.license, 'license', pr, mapResource('license'))?.find((r) => r.uri !== undefined && (r.label !== undefined || r.type !== undefined)));
  put(d, 'attributionText', optLangMap(g, key, [P.attributionByText], 'attributionText', pr));
  put(d, 'language', iriList(g, key, P.language, 'language', pr));
  put(d, 'identifier', single(g, key, P.identifier, 'identifier', pr));
  put(d, 'documentation', urlList(g, key, P.page, 'documentation', pr));
  put(d, 'checksum', pickNode(g, g.objects(key, P.checksum), 'checksum', pr, mapChecksum));
  put(d, 'accessService', nodeList(g, key, P.accessService, 'accessService', pr, mapDataService));
  put(d, 'availability', single(g, key, P.availability, 'availability', pr));
  put(d, 'status', single(g, key, P.admsStatus, 'status', pr));
  put(d, 'conformsTo', nodeList(g, key, P.conformsTo, 'conformsTo', pr, mapResource('conformsTo')));
  put(d, 'compressFormat', single(g, key, P.compressFormat, 'compressFormat', pr));
  put(d, 'packageFormat', single(g, key, P.packageFormat, 'packageFormat', pr));
  put(d, 'spatialResolutionInMeters', decimalValue(g, key, P.spatialResolution, 'spatialResolutionInMeters', pr));
  put(d, 'temporalResolution', single(g, key, P.temporalResolution, 'temporalResolution', pr));
  put(d, 'hasPolicy', iriList(g, key, P.hasPolicy, 'hasPolicy', pr));
  put(d, 'applicableLegislation', iriList(g, key, P.applicableLegislation, 'applicableLegislation', pr));
  put(d, 'accessRights', single(g, key, P.accessRights, 'accessRights', pr));
}

function decimalValue(g: PageGraph, key: string, pred: P, field: string, pr: Problems): number | undefined {
  const values: number[] = [];
  for (const o of g.objects(key, pred)) {
    const text = o instanceof Lit ? o.value.trim() : '';
    const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) values.push(n);
    else pr.warn('invalid_number', field, `${field} ${describe(o)} is not a non-negative number; dropped`);
  }
  return pickOne([...new Set(values)].sort((a, b) => a - b), field, pr, String);
}

const NONE: ReadonlyMap<string, number> = new Map();

/** A dataset node's dct:identifier values, the preferred first, without blanks or duplicates. */
function identifiersOf(g: PageGraph, key: string): string[] {
  const ids = g
    .objects(key, P.identifier)
    .sort(byPreference)
    .flatMap((o) => {
      const v = o instanceof Lit ? o.value.trim() : isBlank(o) ? '' : o;
      return v === '' ? [] : [v];
    });
  return [...new Set(ids)];
}

/**
 * A dataset node's other identifiers (adms:identifier: a literal, or a node's skos:notation), in a
 * fixed order. Hasad's own export puts a dataset's original IRI there when it goes out under
 * Hasad's IRI, so these let a copy of the export keep each dataset's key.
 */
function otherIdentifiersOf(g: PageGraph, key: string): string[] {
  const out = new Set<string>();
  for (const o of g.objects(key, P.admsIdentifier)) {
    const id = mapIdentifier(g, o, new Problems());
    if (id?.notation !== undefined) out.add(id.notation);
  }
  return [...out].sort();
}

/** The values a dataset may be keyed by: its dct:identifier values, then its other identifiers. */
function keyCandidates(g: PageGraph, key: string): string[] {
  return [...new Set([...identifiersOf(g, key), ...otherIdentifiersOf(g, key)])];
}

/**
 * How many datasets with an IRI of their own give each identifier value on this page (their
 * dct:identifier and adms:identifier values). Two
 * different datasets (a dataset and its version, say, as in CSIRO's DCAT examples) may reuse the
 * identifier of a publication; keyed by it, all but one would be lost (see mapDataset).
 */
function identifierOwners(g: PageGraph, keys: readonly string[]): Map<string, number> {
  const owners = new Map<string, number>();
  for (const key of keys) {
    if (isBlank(key)) continue;
    for (const id of keyCandidates(g, key)) owners.set(id, (owners.get(id) ?? 0) + 1);
  }
  return owners;
}

/**
 * Maps one dataset node (typed dcat:Dataset or dcat:DatasetSeries) to a CanonicalDataset. An IRI-named
 * dataset whose preferred identifier other datasets of the page give too (`owners`, from
 * identifierOwners) is keyed by another identifier of its own (dct:identifier, then
 * adms:identifier), else by its IRI.
 *
 * Errors (record left out): `missing_identifier` (blank node without dct:identifier),
 * `missing_title`. Warnings (value dropped): `invalid_date`, `invalid_byte_size`,
 * `invalid_url`, `invalid_media_type`, `unsupported_value`, `multiple_values`.
 */
export function mapDataset(g: PageGraph, key: string, owners: ReadonlyMap<string, number> = NONE): DatasetMapResult {
  const pr = new Problems();
  const ids = identifiersOf(g, key);
  let identifier = ids[0];
  // A dataset with an IRI whose preferred identifier another dataset of the page gives too: keyed
  // by its first identifier (dct:, then adms:) no other gives, else by its IRI, whatever the order
  // of the page.
  const sharedId = identifier !== undefined && !isBlank(key) && (owners.get(identifier) ?? 0) > 1 ? identifier : undefined;
  if (sharedId !== undefined) identifier = keyCandidates(g, key).find((v) => owners.get(v) === 1) ?? key;
  if (identifier === undefined && !isBlank(key)) identifier = key;
  let hashed = false;
  if (identifier === undefined && g.objects(key, P.title).length > 0) {
    // A titled dataset with neither IRI nor dct:identifier (a part nested in another dataset, say)
    // is still a dataset, as rdflib and ckanext-dcat count it: it is named by the hash of its own
    // description, which is stable while the source says the same of it.
    const d = g.triples.describe(key);
    if (d !== undefined) {
      identifier = `${BLANK_ID_PREFIX}${createHash('sha1').update(d.body).digest('hex')}`;
      hashed = true;
    }
  }
  if (identifier === undefined) {
    pr.error('missing_identifier', 'identifier', 'dataset is a blank node without dct:identifier; skipped');
    return { problems: pr.list };
  }
  pr.identifier = identifier;
  if (sharedId !== undefined) {
    pr.warn(
      'duplicate_identifier',
      'identifier',
      `another dataset of this page has dct:identifier ${JSON.stringify(sharedId)} too; they are different datasets (different IRIs), so this one is keyed by ${identifier === key ? 'its IRI' : `its other identifier ${JSON.stringify(identifier)}`}`,
    );
  }
  if (hashed) {
    pr.warn('identifier_from_hash', 'identifier', `dataset is a blank node without dct:identifier; named ${identifier} from its description, which changes when the description does`);
  }
  if (ids.length > 1) {
    pr.warn('multiple_values', 'identifier', `identifier has ${ids.length} values; kept ${JSON.stringify(identifier)}`);
  }

  const title = langMap(g, key, [P.title], 'title', pr);
  if (Object.keys(title).length === 0) {
    pr.error('missing_title', 'title', 'dataset has no dct:title; skipped');
    return { problems: pr.list, identifier };
  }

  const record: CanonicalDataset = {
    identifier,
    ...(isBlank(key) ? {} : { uri: key }),
    title,
    description: langMap(g, key, [P.description], 'description', pr),
    keywords: mapKeywords(g, key, pr),
    themes: sortedUnique(termValues(g, g.objects(key, P.theme), 'themes', pr)),
    spatial: mapSpatial(g, key, pr),
    temporal: mapTemporal(g, key, pr),
    language: sortedUnique(termValues(g, g.objects(key, P.language), 'language', pr)),
    distributions: mapDistributions(g, key, pr),
  };
  const publisher = pickNode(g, g.objects(key, P.publisher), 'publisher', pr, mapAgent);
  if (publisher !== undefined) record.publisher = publisher;
  const contactPoint = pickNode(g, g.objects(key, P.contactPoint), 'contactPoint', pr, mapContactPoint);
  if (contactPoint !== undefined) record.contactPoint = contactPoint;
  // Several landing pages are all kept (landingPages), the first of them in landingPage: RDF gives
  // no order, and picking one would lose the others.
  const landingPages = urlList(g, key, P.landingPage, 'landingPage', pr) ?? urlList(g, key, P.page, 'landingPage', pr);
  if (landingPages !== undefined) {
    record.landingPage = landingPages[0] as string;
    if (landingPages.length > 1) record.landingPages = landingPages;
  }
  const issued = dateValue(g, key, [P.issued], 'issued', pr);
  if (issued !== undefined) record.issued = issued;
  const modified = dateValue(g, key, [P.modified], 'modified', pr);
  if (modified !== undefined) record.modified = modified;
  const license = single(g, key, P.license, 'license', pr);
  if (license !== undefined) record.license = license;
  const accessRights = single(g, key, P.accessRights, 'accessRights', pr);
  if (accessRights !== undefined) record.accessRights = accessRights;
  const accrualPeriodicity = single(g, key, P.accrualPeriodicity, 'accrualPeriodicity', pr);
  if (accrualPeriodicity !== undefined) record.accrualPeriodicity = accrualPeriodicity;
  mapDatasetExtras(g, key, record, pr);

  return { record, problems: pr.list, identifier };
}

/**
 * Maps every dataset of a page, yielding batches of at most `batchSize` records. Datasets with
 * IRIs that share an identifier are keyed by an identifier of their own, or their IRIs
 * (`duplicate_identifier` warning); a
 * dataset whose identifier still appeared on the page (a blank node's, or an IRI used as another's
 * dct:identifier) is dropped with `duplicate_identifier` (first kept).
 * Mapped dataset nodes are released from the graph as they go.
 */
export function* mapPage(g: PageGraph, batchSize: number, opts: MapPageOptions = {}): Generator<MappedBatch> {
  const keepDescriptions = opts.keepDescriptions !== false;
  const batches = new BatchCollector(batchSize);
  const keys = g.datasetKeys();
  const owners = identifierOwners(g, keys);
  // Records packed as they are mapped, until their batch is yielded.
  const packedOf = new Map<CanonicalDataset, PackedRecord>();
  const withPacked = (b: MappedBatch): MappedBatch => {
    if (opts.pack !== true) return b;
    const packed = b.records.map((r) => packedOf.get(r) as PackedRecord);
    packedOf.clear();
    return { ...b, packed };
  };
  for (const key of keys) {
    const res = mapDataset(g, key, owners);
    if (res.record !== undefined && keepDescriptions) keepDescription(g, key, res);
    g.release(key);
    g.triples.release(key);
    opts.each?.(res);
    if (opts.pack === true && res.record !== undefined) {
      const p = packRecord(res.record);
      res.record = p.record;
      packedOf.set(p.record, p.packed);
    }
    const full = batches.add(res, (id) => `another dataset on this page already has identifier ${JSON.stringify(id)}; this one (${isBlank(key) ? 'a blank node' : key}) was skipped`);
    if (full) yield withPacked(full);
  }
  const rest = batches.flush();
  if (rest) yield withPacked(rest);
}

export interface MapPageOptions {
  /** `false` is for measurement only (HarvestOptions.keepSourceDescription). */
  keepDescriptions?: boolean;
  /** Called for each dataset once mapped and described, before it is packed and joins its batch (it may add problems to it). */
  each?: (res: DatasetMapResult) => void;
  /**
   * Pack each record for the queue as soon as it is mapped (MappedBatch.packed, see pack.ts), as a
   * parsing worker that packs for the queue would pack each batch: its description's text is then
   * garbage at once instead of living, with the thousand others of its batch, until the batch is
   * packed (those survivors were most of the garbage collector's share of keeping descriptions).
   */
  pack?: boolean;
}

/** Keeps the source's own description of the dataset (its CBD) on the record. */
function keepDescription(g: PageGraph, key: string, res: DatasetMapResult): void {
  const d = g.triples.describe(key);
  if (d === undefined || res.record === undefined) return;
  res.record.sourceDescription = { format: 'application/n-triples', body: d.body };
  if (d.truncated) {
    res.problems.push({
      severity: 'warning',
      code: 'description_truncated',
      message: `the dataset's own description has more than ${MAX_DESCRIPTION_TRIPLES} triples; only the first ${d.triples} are kept`,
      ...(res.identifier !== undefined && { identifier: res.identifier }),
      field: 'sourceDescription',
    });
  }
}

/** The next page a Hydra view announces, or problems explaining why there is none. */
export interface NextPage {
  nextUrl?: string;
  problems: RecordProblem[];
}

/**
 * Finds the next page: `hydra:next` (Hydra Core, on a `hydra:PartialCollectionView`) or the
 * older `hydra:nextPage` (on a `hydra:PagedCollection`, as ckanext-dcat serves it, often as a
 * literal). Relative links resolve against the page URL. When several subjects announce one,
 * the view whose IRI is the page itself wins, then typed views.
 */
export function findNextPage(g: PageGraph, pageUrl: string): NextPage {
  const candidates: { rank: number; value: Obj }[] = [];
  for (const p of [P.hydraNext, P.hydraNextPage]) {
    for (const { subject, object } of g.triplesOf(p)) {
      const typed = (g.typesOf(subject) & (T_COLLECTION_VIEW | T_PAGED_COLLECTION)) !== 0;
      candidates.push({ rank: subject === pageUrl ? 0 : typed ? 1 : 2, value: object });
    }
  }
  candidates.sort((a, b) => a.rank - b.rank || byPreference(a.value, b.value));
  const best = candidates[0];
  if (best === undefined) return { problems: [] };
  const raw = best.value instanceof Lit ? best.value.value.trim() : best.value;
  if (typeof best.value === 'string' && isBlank(best.value)) {
    return { problems: [pageProblem('invalid_next_url', 'hydra:next is a blank node; paging stops here')] };
  }
  try {
    return { nextUrl: new URL(raw, pageUrl).href, problems: [] };
  } catch {
    return { problems: [pageProblem('invalid_next_url', `hydra:next ${JSON.stringify(raw)} is not a URL; paging stops here`)] };
  }
}

function pageProblem(code: ProblemCode, message: string): RecordProblem {
  return { severity: 'warning', code, message };
}
