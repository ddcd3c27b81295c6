import type { Agent, CanonicalDataset, ContactPoint, Distribution, LangListMap, LangMap, PeriodOfTime, RecordProblem } from '@hasad/core';
import { isBlank, Lit, P, T_COLLECTION_VIEW, T_PAGED_COLLECTION } from './graph.ts';
import type { Obj, PageGraph } from './graph.ts';
import { stableStringify } from '../../stable-json.ts';
import { BatchCollector, RecordProblems as Problems } from '../shared/batches.ts';
import { normaliseDate, normaliseMediaType } from '../shared/values.ts';

export { normaliseDate, normaliseMediaType } from '../shared/values.ts';
import type { MappedBatch, RecordMapResult } from '../shared/batches.ts';

export type { MappedBatch } from '../shared/batches.ts';

/**
 * DCAT (RDF) → CanonicalDataset. Pure functions over a {@link PageGraph}.
 *
 * Rules: RDF gives no order, so every multi-valued field is sorted and every single-valued
 * field takes the smallest value (IRIs before literals) with a `multiple_values` warning —
 * the same dataset must map to the same record whatever the syntax or triple order. Values that
 * do not fit a field are dropped with a warning naming the field and the value, never guessed.
 */

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

// rdfs:comment last: rights statements and licence documents often carry their only text there.
const LABEL_PREDICATES = [P.label, P.prefLabel, P.title, P.foafName, P.vcardFn, P.value, P.hasValue, P.comment] as const;

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

function mailbox(v: string): string | undefined {
  const s = v.trim().replace(/^mailto:/i, '').split('?')[0] ?? '';
  return s === '' ? undefined : s;
}

function mapAgent(g: PageGraph, o: Obj, pr: Problems): Agent | undefined {
  if (o instanceof Lit) {
    if (o.value.trim() === '') return undefined;
    return { name: { [o.lang]: o.value } };
  }
  const agent: Agent = {};
  if (!isBlank(o)) agent.uri = o;
  const name = langMap(g, o, [P.foafName, P.vcardFn], 'publisher.name', pr);
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
  if (phone !== undefined) cp.phone = phone.replace(/^tel:/i, '');
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
    // A blank location: keep its geometry text (WKT, GeoJSON, GML) as given.
    let geometries: string[] = [];
    for (const p of [P.geometry, P.bbox, P.centroid]) {
      geometries = g.objects(o, p).flatMap((x) => (x instanceof Lit && x.value.trim() !== '' ? [x.value] : []));
      if (geometries.length > 0) break;
    }
    if (geometries.length === 0) {
      const label = labelOf(g, o);
      if (label !== undefined) geometries = [label];
    }
    if (geometries.length === 0) pr.warn('unsupported_value', 'spatial', 'spatial is a blank node without geometry or label; dropped');
    out.push(...geometries);
  }
  return sortedUnique(out);
}

function mapTemporal(g: PageGraph, key: string, pr: Problems): PeriodOfTime[] {
  const out = new Map<string, PeriodOfTime>();
  for (const o of g.objects(key, P.temporal)) {
    if (o instanceof Lit) {
      pr.warn('unsupported_value', 'temporal', `temporal ${describe(o)} is a literal, not a period with start/end dates; dropped`);
      continue;
    }
    // OWL-Time: the period's beginning/end are instants carrying time:inXSDDate(Time).
    const instant = (pred: P) => g.objects(o, pred).filter((x): x is string => typeof x === 'string');
    const start =
      dateValue(g, o, [P.startDate], 'temporal.start', pr) ??
      instant(P.hasBeginning).map((i) => dateValue(g, i, [P.inXSDDate, P.inXSDDateTime], 'temporal.start', pr)).find((x) => x !== undefined);
    const end =
      dateValue(g, o, [P.endDate], 'temporal.end', pr) ??
      instant(P.hasEnd).map((i) => dateValue(g, i, [P.inXSDDate, P.inXSDDateTime], 'temporal.end', pr)).find((x) => x !== undefined);
    if (start === undefined && end === undefined) {
      pr.warn('unsupported_value', 'temporal', `temporal ${describe(o)} has no start or end date; dropped`);
      continue;
    }
    const period: PeriodOfTime = {};
    if (start !== undefined) period.start = start;
    if (end !== undefined) period.end = end;
    out.set(`${start ?? ''}/${end ?? ''}`, period);
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

/**
 * Maps one dataset node (typed dcat:Dataset or dcat:DatasetSeries) to a CanonicalDataset.
 *
 * Errors (record left out): `missing_identifier` (blank node without dct:identifier),
 * `missing_title`. Warnings (value dropped): `invalid_date`, `invalid_byte_size`,
 * `invalid_url`, `invalid_media_type`, `unsupported_value`, `multiple_values`.
 */
export function mapDataset(g: PageGraph, key: string): DatasetMapResult {
  const pr = new Problems();
  const ids = g
    .objects(key, P.identifier)
    .sort(byPreference)
    .flatMap((o) => {
      const v = o instanceof Lit ? o.value.trim() : isBlank(o) ? '' : o;
      return v === '' ? [] : [v];
    });
  let identifier = [...new Set(ids)][0];
  if (identifier === undefined && !isBlank(key)) identifier = key;
  if (identifier === undefined) {
    pr.error('missing_identifier', 'identifier', 'dataset is a blank node without dct:identifier; skipped');
    return { problems: pr.list };
  }
  pr.identifier = identifier;
  if (ids.length > 1 && new Set(ids).size > 1) {
    pr.warn('multiple_values', 'identifier', `identifier has ${new Set(ids).size} values; kept ${JSON.stringify(identifier)}`);
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
  const landingPage = urlValue(g, key, P.landingPage, 'landingPage', pr) ?? urlValue(g, key, P.page, 'landingPage', pr);
  if (landingPage !== undefined) record.landingPage = landingPage;
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

  return { record, problems: pr.list, identifier };
}

/**
 * Maps every dataset of a page, yielding batches of at most `batchSize` records. A dataset whose
 * identifier already appeared on the page is dropped with `duplicate_identifier` (first kept).
 * Mapped dataset nodes are released from the graph as they go.
 */
export function* mapPage(g: PageGraph, batchSize: number): Generator<MappedBatch> {
  const batches = new BatchCollector(batchSize);
  for (const key of g.datasetKeys()) {
    const res = mapDataset(g, key);
    g.release(key);
    const full = batches.add(res, (id) => `another dataset on this page already has identifier ${JSON.stringify(id)}; this one (${isBlank(key) ? 'a blank node' : key}) was skipped`);
    if (full) yield full;
  }
  const rest = batches.flush();
  if (rest) yield rest;
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

function pageProblem(code: string, message: string): RecordProblem {
  return { severity: 'warning', code, message };
}
