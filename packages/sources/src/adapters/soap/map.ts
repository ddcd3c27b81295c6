import { HasadError } from '@hasad/core';
import type { Agent, CanonicalDataset, ContactPoint, Distribution, LangListMap, LangMap, PeriodOfTime, RecordProblem } from '@hasad/core';
import { normaliseMediaType } from '../shared/values.ts';
import { BatchCollector, RecordProblems as Problems } from '../shared/batches.ts';
import type { MappedBatch, RecordMapResult } from '../shared/batches.ts';
import { fieldTarget } from './config.ts';
import type { FieldTarget, SoapConfig } from './config.ts';
import { compileDateFormat } from './dates.ts';
import { NUMERIC_DATE, dateNameLanguage, orderFromName, provenOrder } from '../shared/date-order.ts';
import type { DateReader } from './dates.ts';
import { compilePath, selectNodes, selectValues } from './xml.ts';
import type { CompiledPath, Namespaces, PathStep, XNode } from './xml.ts';

/**
 * SOAP record element → CanonicalDataset, by the source's field mapping. Pure functions.
 *
 * Single-valued fields keep the first value in document order (`multiple_values` warning when
 * the record gives several different ones); multi-valued fields are sorted and de-duplicated,
 * and distributions are ordered by content, so a service that lists the same things in another
 * order yields the same record. Values that do not fit a field are dropped with a warning naming
 * the field and the value, never guessed.
 */

/** One mapped field. */
export interface CompiledField {
  target: FieldTarget;
  /** Relative to the record element (or to the distribution element, for distribution fields). */
  path: CompiledPath;
  separator?: string;
  readDate?: DateReader;
  /** A date field without `dateFormat`: its day/month order is inferred ({@link settleDateOrders}). */
  inferDateOrder?: true;
}

/** A source's mapping, compiled once per harvest. */
export interface CompiledMapping {
  namespaces: Namespaces;
  identifier: CompiledField;
  record: CompiledField[];
  /** Undefined when no distribution field is mapped. `path` undefined: the record element is the (one) distribution. */
  distribution?: { path?: CompiledPath; fields: CompiledField[] };
  /** `values` as written; `normalised` converted like mapped values, once per harvest. */
  constants: Array<{ target: FieldTarget; values: string[]; normalised: string[] }>;
  /** Field names as problems name them (`accessUrl` for `distributions[].accessUrl`), by field. */
  names: WeakMap<CompiledField, string>;
  /**
   * Date fields without `dateFormat` whose day/month order is not settled yet: the harvest reads
   * a page's records before mapping them while this is not empty. Emptied as pages settle them.
   */
  unsettledDates: CompiledField[];
}

const sameStep = (a: PathStep, b: PathStep) => a.kind === b.kind && a.local === b.local && a.prefix === b.prefix;

/**
 * Compiles a validated config's fields. Distribution fields are split at their longest common
 * parent, which becomes the repeating distribution element.
 */
export function compileMapping(config: SoapConfig): CompiledMapping {
  const record: CompiledField[] = [];
  const dist: CompiledField[] = [];
  let identifier: CompiledField | undefined;
  for (const [key, spec] of Object.entries(config.fields)) {
    const target = fieldTarget(key) as FieldTarget;
    const field: CompiledField = {
      target,
      path: compilePath(spec.path),
      ...(spec.separator !== undefined && { separator: spec.separator }),
      ...(target.kind === 'date' && { readDate: compileDateFormat(spec.dateFormat ?? 'iso') }),
      ...(target.kind === 'date' && spec.dateFormat === undefined && { inferDateOrder: true as const }),
    };
    if (target.base === 'identifier' && target.scope === 'record') identifier = field;
    else (target.scope === 'distribution' ? dist : record).push(field);
  }
  if (identifier === undefined) throw new Error('compileMapping: the config has no identifier field (parseSoapConfig rules that out)');
  const mapping: CompiledMapping = {
    namespaces: config.namespaces,
    identifier,
    record,
    constants: Object.entries(config.constants).map(([key, v]) => {
      const target = fieldTarget(key) as FieldTarget;
      const values = Array.isArray(v) ? v : [v];
      // Validated at config time; converted here so they are normalised like mapped values.
      const normalised = convert(values, target.kind === 'date' ? { target, readDate: compileDateFormat('iso') } : { target }, new Problems(), key);
      return { target, values, normalised };
    }),
    names: new WeakMap(),
    unsettledDates: [],
  };
  if (dist.length > 0) {
    const parents = dist.map((f) => f.path.steps.slice(0, -1));
    let common = parents[0] as PathStep[];
    for (const p of parents) {
      let n = 0;
      while (n < common.length && n < p.length && sameStep(common[n] as PathStep, p[n] as PathStep)) n++;
      common = common.slice(0, n);
    }
    const fields = dist.map((f) => ({ ...f, path: { source: f.path.source, steps: f.path.steps.slice(common.length) } }));
    mapping.distribution = common.length === 0 ? { fields } : { path: { source: common.map(stepText).join('/'), steps: common }, fields };
  }
  for (const f of [identifier, ...record, ...(mapping.distribution?.fields ?? [])]) {
    mapping.names.set(f, f.target.key.startsWith('distributions[].') ? f.target.key.slice('distributions[].'.length) : f.target.key);
    if (f.inferDateOrder) mapping.unsettledDates.push(f);
  }
  return mapping;
}

const stepText = (s: PathStep) => (s.kind === 'attribute' ? '@' : '') + (s.prefix !== undefined ? `${s.prefix}:` : '') + s.local;

/** The outcome of mapping one record element. */
export type { RecordMapResult } from '../shared/batches.ts';

const DIST_SCALARS = ['accessUrl', 'downloadUrl', 'format', 'mediaType', 'license', 'issued', 'modified'] as const;

const URL_LIKE = /^[a-z][a-z0-9+.-]*:[^\s]+$/i;

/** Reads a field's raw strings; an element whose text is malformed XML loses the field, not the record. */
function rawValues(from: XNode, f: CompiledField, ns: Namespaces, pr: Problems, fieldName: string): string[] {
  let values: string[];
  try {
    values = selectValues(from, f.path, ns);
  } catch (err) {
    if (!(err instanceof HasadError)) throw err;
    pr.warn('invalid_xml', fieldName, `${fieldName}: ${err.message}; dropped`);
    return [];
  }
  if (f.separator === undefined) return values;
  return values.flatMap((v) => v.split(f.separator as string).map((s) => s.trim())).filter((s) => s !== '');
}

/** Converts raw strings to the field's kind, warning about (and dropping) those that do not fit. */
function convert(values: string[], f: { target: FieldTarget; readDate?: DateReader }, pr: Problems, fieldName: string): string[] {
  const out: string[] = [];
  for (const v of values) {
    switch (f.target.kind) {
      case 'text':
        out.push(v);
        break;
      case 'url':
        if (URL_LIKE.test(v) && URL.canParse(v)) out.push(v);
        else pr.warn('invalid_url', fieldName, `${fieldName} ${JSON.stringify(v)} is not an absolute URL; dropped`);
        break;
      case 'date': {
        const d = (f.readDate ?? compileDateFormat('iso'))(v);
        if (d === undefined) pr.warn('invalid_date', fieldName, `${fieldName} ${JSON.stringify(v)} is not a valid date; dropped`);
        else out.push(d);
        break;
      }
      case 'email': {
        const m = v.replace(/^mailto:/i, '').split('?')[0]?.trim() ?? '';
        if (m !== '') out.push(m);
        break;
      }
      case 'mediaType': {
        const t = normaliseMediaType(v);
        if (t === undefined) pr.warn('invalid_media_type', fieldName, `${fieldName} ${JSON.stringify(v)} is not a media type; dropped`);
        else out.push(t);
        break;
      }
      case 'byteSize': {
        const n = /^\+?\d+(\.0*)?$/.test(v) ? Number(v) : Number.NaN;
        if (Number.isSafeInteger(n) && n >= 0) out.push(String(n));
        else pr.warn('invalid_byte_size', fieldName, `${fieldName} ${JSON.stringify(v)} is not a non-negative integer; dropped`);
        break;
      }
    }
  }
  return out;
}

function pickOne(values: string[], fieldName: string, pr: Problems): string | undefined {
  if (values.length > 1) {
    const distinct = new Set(values).size;
    if (distinct > 1) pr.warn('multiple_values', fieldName, `${fieldName} has ${distinct} values; kept ${JSON.stringify(values[0])}`);
  }
  return values[0];
}

const sortedUnique = (values: string[]) => [...new Set(values)].sort();

/** Values gathered per field base and language, before assembly. */
class Collected {
  private readonly byBase = new Map<string, Map<string, string[]>>();
  add(base: string, lang: string, values: string[]): void {
    if (values.length === 0) return;
    let langs = this.byBase.get(base);
    if (langs === undefined) this.byBase.set(base, (langs = new Map()));
    const list = langs.get(lang);
    if (list === undefined) langs.set(lang, [...values]);
    else list.push(...values);
  }
  one(base: string, pr: Problems, prefix = ''): string | undefined {
    const v = this.byBase.get(base)?.get('');
    return v === undefined ? undefined : pickOne(v, prefix + base, pr);
  }
  many(base: string): string[] {
    return sortedUnique(this.byBase.get(base)?.get('') ?? []);
  }
  langMap(base: string, pr: Problems, prefix = ''): LangMap {
    const out: LangMap = {};
    const langs = this.byBase.get(base);
    if (langs === undefined) return out;
    for (const lang of [...langs.keys()].sort()) out[lang] = pickOne(langs.get(lang) as string[], prefix + (lang === '' ? base : `${base}.${lang}`), pr) as string;
    return out;
  }
  langLists(base: string): LangListMap {
    const out: LangListMap = {};
    const langs = this.byBase.get(base);
    if (langs === undefined) return out;
    for (const lang of [...langs.keys()].sort()) out[lang] = sortedUnique(langs.get(lang) as string[]);
    return out;
  }
  get size(): number {
    return this.byBase.size;
  }
}

function collect(from: XNode, fields: CompiledField[], m: CompiledMapping, pr: Problems, into: Collected): void {
  const ns = m.namespaces;
  for (const f of fields) {
    const name = m.names.get(f) ?? f.target.key;
    into.add(f.target.base, f.target.lang ?? '', convert(rawValues(from, f, ns, pr, name), f, pr, name));
  }
}

function addConstants(m: CompiledMapping, scope: FieldTarget['scope'], into: Collected): void {
  for (const c of m.constants) {
    if (c.target.scope === scope) into.add(c.target.base, c.target.lang ?? '', c.normalised);
  }
}

function mapDistributions(node: XNode, m: CompiledMapping, pr: Problems): Distribution[] {
  const spec = m.distribution;
  if (spec === undefined) return [];
  let elements: XNode[];
  try {
    elements = spec.path === undefined ? [node] : selectNodes(node, spec.path, m.namespaces);
  } catch (err) {
    if (!(err instanceof HasadError)) throw err;
    pr.warn('invalid_xml', 'distributions', `distributions: ${err.message}; dropped`);
    return [];
  }
  const mapped: Array<{ d: Distribution; json: string; problems: RecordProblem[] }> = [];
  const seen = new Set<string>();
  for (const el of elements) {
    const local = new Problems();
    local.identifier = pr.identifier;
    const c = new Collected();
    collect(el, spec.fields, m, local, c);
    if (c.size === 0) {
      pr.list.push(...local.list.map((p) => ({ ...p, field: `distributions.${p.field ?? ''}` })));
      continue;
    }
    addConstants(m, 'distribution', c);
    // Read in the order problems were always reported in, then assembled with keys in sorted
    // order (language maps are sorted too): JSON.stringify then gives stableStringify's text,
    // which orders distributions, without sorting keys again for every distribution.
    const uri = c.one('uri', local);
    const title = c.langMap('title', local);
    const description = c.langMap('description', local);
    const v: Partial<Record<(typeof DIST_SCALARS)[number], string>> = {};
    for (const key of DIST_SCALARS) v[key] = c.one(key, local);
    const size = c.one('byteSize', local);
    const d: Distribution = {};
    if (v.accessUrl !== undefined) d.accessUrl = v.accessUrl;
    if (size !== undefined) d.byteSize = Number(size);
    if (Object.keys(description).length > 0) d.description = description;
    if (v.downloadUrl !== undefined) d.downloadUrl = v.downloadUrl;
    if (v.format !== undefined) d.format = v.format;
    if (v.issued !== undefined) d.issued = v.issued;
    if (v.license !== undefined) d.license = v.license;
    if (v.mediaType !== undefined) d.mediaType = v.mediaType;
    if (v.modified !== undefined) d.modified = v.modified;
    if (Object.keys(title).length > 0) d.title = title;
    if (uri !== undefined) d.uri = uri;
    const json = JSON.stringify(d);
    if (seen.has(json)) continue;
    seen.add(json);
    mapped.push({ d, json, problems: local.list });
  }
  // Ordered by content: the same distributions listed in another order give the same record.
  mapped.sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0));
  mapped.forEach((x, i) => {
    for (const p of x.problems) pr.list.push({ ...p, field: `distributions[${i}].${p.field ?? ''}` });
  });
  return mapped.map((x) => x.d);
}

/**
 * Maps one record element.
 *
 * Errors (record left out): `missing_identifier`, `missing_title`. Warnings (value dropped):
 * `invalid_date`, `invalid_url`, `invalid_media_type`, `invalid_byte_size`, `invalid_xml`,
 * `multiple_values`.
 */
export function mapRecord(node: XNode, m: CompiledMapping): RecordMapResult {
  const pr = new Problems();
  const ids = rawValues(node, m.identifier, m.namespaces, pr, 'identifier');
  const identifier = ids[0];
  if (identifier === undefined) {
    pr.error('missing_identifier', 'identifier', `the record has no identifier at ${m.identifier.path.source}; skipped`);
    return { problems: pr.list };
  }
  pr.identifier = identifier;
  pickOne(ids, 'identifier', pr);

  const c = new Collected();
  collect(node, m.record, m, pr, c);
  addConstants(m, 'record', c);

  const title = c.langMap('title', pr);
  if (Object.keys(title).length === 0) {
    pr.error('missing_title', 'title', 'the record has no title; skipped');
    return { problems: pr.list, identifier };
  }

  const record: CanonicalDataset = {
    identifier,
    title,
    description: c.langMap('description', pr),
    keywords: c.langLists('keywords'),
    themes: c.many('themes'),
    spatial: c.many('spatial'),
    temporal: [],
    language: c.many('language'),
    distributions: mapDistributions(node, m, pr),
  };
  const uri = c.one('uri', pr);
  if (uri !== undefined) record.uri = uri;

  const publisher: Agent = {};
  const pubName = c.langMap('publisher.name', pr);
  if (Object.keys(pubName).length > 0) publisher.name = pubName;
  const pubUri = c.one('publisher.uri', pr);
  if (pubUri !== undefined) publisher.uri = pubUri;
  const pubEmail = c.one('publisher.email', pr);
  if (pubEmail !== undefined) publisher.email = pubEmail;
  const pubHome = c.one('publisher.homepage', pr);
  if (pubHome !== undefined) publisher.homepage = pubHome;
  const pubType = c.one('publisher.type', pr);
  if (pubType !== undefined) publisher.type = pubType;
  if (Object.keys(publisher).length > 0) record.publisher = publisher;

  const contact: ContactPoint = {};
  for (const key of ['uri', 'name', 'email', 'url', 'phone'] as const) {
    const v = c.one(`contactPoint.${key}`, pr);
    if (v !== undefined) contact[key] = key === 'phone' ? v.replace(/^tel:/i, '') : v;
  }
  if (Object.keys(contact).length > 0) record.contactPoint = contact;

  for (const key of ['landingPage', 'issued', 'modified', 'license', 'accessRights', 'accrualPeriodicity'] as const) {
    const v = c.one(key, pr);
    if (v !== undefined) record[key] = v;
  }
  const period: PeriodOfTime = {};
  const start = c.one('temporal.start', pr);
  if (start !== undefined) period.start = start;
  const end = c.one('temporal.end', pr);
  if (end !== undefined) period.end = end;
  if (start !== undefined || end !== undefined) record.temporal = [period];

  return { record, problems: pr.list, identifier };
}

export type { MappedBatch } from '../shared/batches.ts';

/**
 * Settles the day/month order of the unsettled date fields ({@link CompiledMapping.unsettledDates})
 * from one page's record elements, before they are mapped, as the CSV adapter does for its date
 * columns: a value such as `13/02/2026` proves day first, `02/13/2026` month first; when every
 * value could be either, the element's name decides (English words: month first; French,
 * Arabic or a name that does not tell: day first, the platform's convention). ISO dates still
 * read first. A field whose values on the page are all ISO (or not numeric) is settled as it is;
 * one with no value on the page waits for the next page; one whose values prove both orders is
 * settled as it is, its numeric values dropped with `invalid_date` and a note asking for
 * `dateFormat`. A `dateFormat` on the field is never overridden (such fields are not inferred).
 *
 * @returns one `soap_mapping` note per field settled with an inferred order or a conflict.
 */
export function settleDateOrders(records: readonly XNode[], m: CompiledMapping): RecordProblem[] {
  const notes: RecordProblem[] = [];
  const scratch = new Problems();
  m.unsettledDates = m.unsettledDates.filter((f) => {
    const inDistribution = f.target.scope === 'distribution';
    let seen = false;
    let numeric: { sep: string } | undefined;
    let day: { value: string; record: string } | undefined;
    let month: { value: string; record: string } | undefined;
    for (const node of records) {
      const record = selectValues(node, m.identifier.path, m.namespaces)[0] ?? '?';
      const holders = !inDistribution || m.distribution?.path === undefined ? [node] : selectNodes(node, m.distribution.path, m.namespaces);
      for (const holder of holders) {
        for (const v of rawValues(holder, f, m.namespaces, scratch, '')) {
          seen = true;
          const d = NUMERIC_DATE.exec(v.trim());
          if (d === null) continue;
          numeric ??= { sep: d[2] as string };
          const proof = provenOrder(v);
          if (proof === 'day') day ??= { value: v, record };
          else if (proof === 'month') month ??= { value: v, record };
        }
      }
    }
    if (!seen) return true;
    if (numeric === undefined) return false;
    const name = `${m.names.get(f) ?? f.target.key} (${f.path.source})`;
    if (day !== undefined && month !== undefined) {
      notes.push(dateNote(`dates in ${name} are written both day first (${JSON.stringify(day.value)}, record ${day.record}) and month first (${JSON.stringify(month.value)}, record ${month.record}); set "dateFormat" on the field to read them`));
      return false;
    }
    const proven = day ?? month;
    const { order, why } =
      proven !== undefined
        ? { order: day !== undefined ? ('day' as const) : ('month' as const), why: `${JSON.stringify(proven.value)} in record ${proven.record} shows it` }
        : orderFromName(dateNameLanguage(f.path.steps[f.path.steps.length - 1]?.local ?? ''), 'element name');
    const sep = numeric.sep;
    const pattern = order === 'day' ? `D${sep}M${sep}YYYY` : `M${sep}D${sep}YYYY`;
    // ISO first (a service mixing both keeps its ISO values), then the order read, with or without a time.
    const readers = [compileDateFormat('iso'), compileDateFormat(pattern), compileDateFormat(`${pattern} H:mm`), compileDateFormat(`${pattern} H:mm:ss`)];
    f.readDate = (text) => {
      for (const read of readers) {
        const d = read(text);
        if (d !== undefined) return d;
      }
      return undefined;
    };
    notes.push(dateNote(`dates in ${name} read ${order} first (${pattern}): ${why}; a "dateFormat" on the field overrides it`));
    return false;
  });
  return notes;
}

const dateNote = (message: string): RecordProblem => ({ severity: 'info', code: 'soap_mapping', message });

/**
 * Groups mapped records into batches of at most `batchSize` records. A record whose identifier
 * was already seen in this harvest (`seen`, updated here) is dropped with `duplicate_identifier`:
 * offset paging over changing data can list a record on two pages.
 */
export function* batchResults(results: readonly RecordMapResult[], batchSize: number, seen: Set<string>): Generator<MappedBatch> {
  const batches = new BatchCollector(batchSize, seen);
  for (const res of results) {
    const full = batches.add(res, (id) => `a record with identifier ${JSON.stringify(id)} was already read in this harvest; this one was skipped`);
    if (full) yield full;
  }
  const rest = batches.flush();
  if (rest) yield rest;
}
