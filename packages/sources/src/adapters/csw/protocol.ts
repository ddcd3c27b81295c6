import { HasadError, ParseError } from '@hasad/core';
import type { XNode } from '../soap/xml.ts';
import { at, attr, first, kids } from './iso-xml.ts';

/**
 * OGC CSW 2.0.2 / 3.0 on the wire: capabilities, GetRecords and GetRecordById requests (XML for
 * POST, KVP for GET), their answers and ows:ExceptionReport. Hand-written over the safe XML tree
 * of the SOAP adapter: the only JavaScript CSW client (OWSLib is Python) builds requests with a
 * DOM and parses with DTDs enabled.
 */

export const CSW202_NS = 'http://www.opengis.net/cat/csw/2.0.2';
export const CSW30_NS = 'http://www.opengis.net/cat/csw/3.0';
export const SCHEMA_ISO19139 = 'http://www.isotc211.org/2005/gmd';
export const SCHEMA_ISO19115_3 = 'http://standards.iso.org/iso/19115/-3/mdb/2.0';
export const SCHEMA_DCAT = 'http://www.w3.org/ns/dcat#';

export type CswVersion = '2.0.2' | '3.0.0';

/** An `ows:ExceptionReport` (OWS 1.1 or 2.0): the server refused the request. */
export class CswExceptionError extends HasadError {
  constructor(url: string, report: string, opts: { httpStatus: number; pageNo?: number }) {
    const where = [opts.pageNo !== undefined ? `page ${opts.pageNo}` : undefined, `HTTP ${opts.httpStatus}`].filter(Boolean).join(', ');
    super('csw_exception', `the CSW service at ${url} answered an ExceptionReport (${where}): ${report}`, {
      context: { url, httpStatus: opts.httpStatus, report, ...(opts.pageNo !== undefined && { pageNo: opts.pageNo }) },
      permanent: true,
    });
  }
}

/** `code (locator): text; …` of every exception in a report. */
export function describeExceptionReport(root: XNode): string {
  const parts = kids(root, 'Exception').map((e) => {
    const code = attr(e, 'exceptionCode');
    const locator = attr(e, 'locator');
    const text = kids(e, 'ExceptionText')
      .map((t) => t.text.trim())
      .filter((t) => t !== '')
      .join(' ');
    return [code, locator ? `(${locator})` : undefined].filter(Boolean).join(' ') + (text ? `: ${text}` : '');
  });
  const s = parts.join('; ').replace(/\s+/g, ' ').trim();
  return s === '' ? '(the report gives no exception text)' : s.length > 1000 ? `${s.slice(0, 999)}…` : s;
}

/** What a CSW service says about itself, as `hasad csw capabilities` prints it. */
export interface CswCapabilities {
  title?: string;
  provider?: string;
  versions: CswVersion[];
  getRecords: { get?: string; post?: string };
  getRecordById: { get?: string; post?: string };
  /** GetRecords output schemas (namespace URIs). */
  outputSchemas: string[];
  /** GetRecords constraint languages (FILTER, CQL_TEXT). */
  constraintLanguages: string[];
  /** GetRecords type names (csw:Record, gmd:MD_Metadata). */
  typeNames: string[];
  /** The server's default page size, when it says (MaxRecordDefault). */
  maxRecordDefault?: number;
}

function paramValues(op: XNode | undefined, name: string): string[] {
  const out: string[] = [];
  for (const p of kids(op, 'Parameter')) {
    if (attr(p, 'name')?.toLowerCase() !== name.toLowerCase()) continue;
    for (const v of [...kids(p, 'Value'), ...at(p, 'AllowedValues/Value')]) {
      const t = v.text.trim();
      if (t !== '' && !out.includes(t)) out.push(t);
    }
  }
  return out;
}

function dcpHref(op: XNode | undefined, method: 'Get' | 'Post'): string | undefined {
  for (const m of at(op, `DCP/HTTP/${method}`)) {
    const href = attr(m, 'href')?.trim();
    if (href) return href;
  }
  return undefined;
}

/**
 * Reads a GetCapabilities answer.
 * @throws CswExceptionError for an ExceptionReport, ParseError for a document that is not CSW capabilities.
 */
export function readCapabilities(root: XNode, url: string, httpStatus = 200): CswCapabilities {
  if (root.name === 'ExceptionReport') throw new CswExceptionError(url, describeExceptionReport(root), { httpStatus });
  if (root.name !== 'Capabilities') throw new ParseError(url, 'CSW capabilities', `the root element is <${root.prefix ? `${root.prefix}:` : ''}${root.name}>, not csw:Capabilities: is ${url} a CSW endpoint?`);
  const versions = new Set<CswVersion>();
  for (const v of [attr(root, 'version'), ...at(root, 'ServiceIdentification/ServiceTypeVersion').map((n) => n.text.trim())]) {
    if (v === '2.0.2' || v === '3.0.0') versions.add(v);
    else if (v === '3.0') versions.add('3.0.0');
  }
  if (versions.size === 0) versions.add(root.uri === CSW30_NS ? '3.0.0' : '2.0.2');
  const ops = at(root, 'OperationsMetadata/Operation');
  const op = (name: string) => ops.find((o) => attr(o, 'name') === name);
  const gr = op('GetRecords');
  const byId = op('GetRecordById');
  const endpoints = (o: XNode | undefined) => {
    const get = dcpHref(o, 'Get');
    const post = dcpHref(o, 'Post');
    return { ...(get !== undefined && { get }), ...(post !== undefined && { post }) };
  };
  const caps: CswCapabilities = {
    versions: [...versions].sort(),
    getRecords: endpoints(gr),
    getRecordById: endpoints(byId),
    outputSchemas: paramValues(gr, 'outputSchema'),
    constraintLanguages: paramValues(gr, 'CONSTRAINTLANGUAGE').map((c) => c.toUpperCase()),
    typeNames: paramValues(gr, 'typeNames').length > 0 ? paramValues(gr, 'typeNames') : paramValues(gr, 'typeName'),
  };
  const title = first(root, 'ServiceIdentification/Title')?.text.trim();
  if (title) caps.title = title;
  const provider = first(root, 'ServiceProvider/ProviderName')?.text.trim();
  if (provider) caps.provider = provider;
  for (const c of [...kids(gr, 'Constraint'), ...at(root, 'OperationsMetadata/Constraint')]) {
    if (attr(c, 'name') !== 'MaxRecordDefault') continue;
    const v = Number((first(c, 'Value') ?? first(c, 'DefaultValue') ?? first(c, 'AllowedValues/Value'))?.text.trim());
    if (Number.isSafeInteger(v) && v > 0) caps.maxRecordDefault = v;
  }
  return caps;
}

/** One GetRecords answer. */
export interface CswSearchResults {
  matched?: number;
  returned?: number;
  /** 0 on the last page (CSW 2.0.2 §10.8.4.3); undefined when the server gives none. */
  nextRecord?: number;
  recordSchema?: string;
  /** The records, in document order. */
  records: XNode[];
}

function int(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The counts a csw:SearchResults element announces in its attributes (known as soon as it opens, before its records). */
export function searchStatus(results: XNode): Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'> {
  const out: Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'> = {};
  const matched = int(attr(results, 'numberOfRecordsMatched'));
  const returned = int(attr(results, 'numberOfRecordsReturned'));
  const next = int(attr(results, 'nextRecord'));
  if (matched !== undefined) out.matched = matched;
  if (returned !== undefined) out.returned = returned;
  if (next !== undefined) out.nextRecord = next;
  return out;
}

/** Bytes of an answer's start looked through for its SearchResults tag (see sniffSearchStatus). */
export const SNIFF_BYTES = 8192;
const SNIFFED_TAG = /<(?:[A-Za-z_][\w.-]*:)?SearchResults(?=[\s/>])([^>]*)>/;
const SNIFFED_ATTRIBUTE = /(?:^|\s)(numberOfRecordsMatched|numberOfRecordsReturned|nextRecord)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * The paging values of a GetRecords answer's SearchResults tag, looked for in the answer's first
 * bytes without parsing them (undefined when the tag is not among them, or the bytes are UTF-16):
 * where the next page starts is known as the answer arrives, before a parsing worker is free to
 * read it. A hint only, as the values the parser gives are: the harvest checks every page at its turn.
 */
export function sniffSearchStatus(head: Buffer): Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'> | undefined {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff) || head.subarray(0, 64).includes(0)) return undefined;
  const tag = SNIFFED_TAG.exec(head.toString('latin1', 0, SNIFF_BYTES));
  if (tag === null) return undefined;
  const out: Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'> = {};
  for (const [, name, double, single] of (tag[1] ?? '').matchAll(SNIFFED_ATTRIBUTE)) {
    const n = int(double ?? single);
    if (n === undefined) continue;
    if (name === 'numberOfRecordsMatched') out.matched ??= n;
    else if (name === 'numberOfRecordsReturned') out.returned ??= n;
    else out.nextRecord ??= n;
  }
  return out;
}

/**
 * Reads a GetRecords (or GetRecordById) answer.
 * @throws CswExceptionError for an ExceptionReport, ParseError for any other document.
 */
export function readSearchResults(root: XNode, url: string, httpStatus = 200, pageNo?: number): CswSearchResults {
  if (root.name === 'ExceptionReport') throw new CswExceptionError(url, describeExceptionReport(root), { httpStatus, ...(pageNo !== undefined && { pageNo }) });
  if (root.name === 'GetRecordByIdResponse') return { records: root.children, returned: root.children.length };
  // CSW 3.0 answers GetRecordById with the record itself (csw30:Record).
  if (root.name === 'Record' && root.uri === CSW30_NS) return { records: [root], returned: 1 };
  if (root.name !== 'GetRecordsResponse') {
    throw new ParseError(url, 'CSW GetRecords response', `the root element is <${root.prefix ? `${root.prefix}:` : ''}${root.name}>, not csw:GetRecordsResponse`);
  }
  const results = first(root, 'SearchResults');
  if (results === undefined) throw new ParseError(url, 'CSW GetRecords response', 'the answer has no csw:SearchResults');
  const out: CswSearchResults = { records: results.children, ...searchStatus(results) };
  const schema = attr(results, 'recordSchema');
  if (schema !== undefined) out.recordSchema = schema;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requests

/** What one GetRecords asks. */
export interface GetRecordsQuery {
  version: CswVersion;
  outputSchema: string;
  typeNames: string;
  startPosition: number;
  maxRecords: number;
  /** An OGC Filter (`<ogc:Filter>…` or `<fes:Filter>…`), or a CQL text. */
  constraint?: { language: 'FILTER'; filter: string } | { language: 'CQL_TEXT'; cql: string };
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The namespace prefix declarations a request's type name needs. */
function typeNameNamespaces(typeNames: string): string {
  const ns: Record<string, string> = { gmd: SCHEMA_ISO19139, mdb: SCHEMA_ISO19115_3, dcat: SCHEMA_DCAT };
  const prefix = typeNames.split(':')[0] ?? '';
  return ns[prefix] === undefined ? '' : ` xmlns:${prefix}="${ns[prefix]}"`;
}

/** The XML body of a GetRecords POST. */
export function getRecordsXml(q: GetRecordsQuery): string {
  const v3 = q.version === '3.0.0';
  const ns = v3 ? CSW30_NS : CSW202_NS;
  let constraint = '';
  if (q.constraint?.language === 'FILTER') constraint = `<csw:Constraint version="${v3 ? '2.0.0' : '1.1.0'}">${q.constraint.filter}</csw:Constraint>`;
  else if (q.constraint?.language === 'CQL_TEXT') constraint = `<csw:Constraint version="1.1.0"><csw:CqlText>${xmlEscape(q.constraint.cql)}</csw:CqlText></csw:Constraint>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<csw:GetRecords xmlns:csw="${ns}" xmlns:ogc="http://www.opengis.net/ogc" xmlns:fes="http://www.opengis.net/fes/2.0"${typeNameNamespaces(q.typeNames)} service="CSW" version="${q.version}"` +
    ` resultType="results" startPosition="${q.startPosition}" maxRecords="${q.maxRecords}" outputFormat="application/xml" outputSchema="${xmlEscape(q.outputSchema)}">` +
    `<csw:Query typeNames="${xmlEscape(q.typeNames)}"><csw:ElementSetName>full</csw:ElementSetName>${constraint}</csw:Query></csw:GetRecords>`
  );
}

/** The KVP URL of a GetRecords GET. */
export function getRecordsUrl(endpoint: string, q: GetRecordsQuery): string {
  const u = new URL(endpoint);
  u.hash = '';
  const p = u.searchParams;
  const set = (k: string, v: string) => {
    for (const key of [...p.keys()]) if (key.toLowerCase() === k.toLowerCase()) p.delete(key);
    p.set(k, v);
  };
  set('service', 'CSW');
  set('version', q.version);
  set('request', 'GetRecords');
  set('resultType', 'results');
  set('typeNames', q.typeNames);
  set('elementSetName', 'full');
  set('outputSchema', q.outputSchema);
  set('startPosition', String(q.startPosition));
  set('maxRecords', String(q.maxRecords));
  if (q.typeNames.includes(':')) {
    const prefix = q.typeNames.split(':')[0] as string;
    const uri = /xmlns:\w+="([^"]+)"/.exec(typeNameNamespaces(q.typeNames))?.[1];
    if (uri !== undefined) set('namespace', `xmlns(${prefix}=${uri})`);
  }
  if (q.constraint !== undefined) {
    set('constraintLanguage', q.constraint.language);
    set('constraint_language_version', '1.1.0');
    set('constraint', q.constraint.language === 'FILTER' ? q.constraint.filter : q.constraint.cql);
  }
  return u.href;
}

/** The KVP URL of a GetCapabilities GET. */
export function getCapabilitiesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  u.hash = '';
  for (const key of [...u.searchParams.keys()]) if (['service', 'request', 'acceptversions', 'version'].includes(key.toLowerCase())) u.searchParams.delete(key);
  u.searchParams.set('service', 'CSW');
  u.searchParams.set('request', 'GetCapabilities');
  u.searchParams.set('acceptVersions', '2.0.2,3.0.0');
  return u.href;
}

/** The KVP URL of a GetRecordById GET. */
export function getRecordByIdUrl(endpoint: string, id: string, version: CswVersion, outputSchema: string): string {
  const u = new URL(endpoint);
  u.hash = '';
  u.searchParams.set('service', 'CSW');
  u.searchParams.set('version', version);
  u.searchParams.set('request', 'GetRecordById');
  u.searchParams.set('id', id);
  u.searchParams.set('elementSetName', 'full');
  u.searchParams.set('outputSchema', outputSchema);
  return u.href;
}

// ---------------------------------------------------------------------------------------------
// Each record's own XML text

/** Comments, CDATA, processing instructions, and start or end tags of a name. */
function tagScanner(qname: string): RegExp {
  const q = qname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`<!--[\\s\\S]*?-->|<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<\\?[\\s\\S]*?\\?>|<(/?)${q}(?=[\\s/>])[^>]*?(/?)>`, 'g');
}

/**
 * The XML text of each record, cut from the answer as the server sent it (lossless), with the
 * namespace declarations it inherits from the envelope added to its start tag so that it stands
 * alone. Records are matched to their text by name and order.
 * @returns one text per record, or undefined for a record whose text could not be found.
 */
export function recordTexts(xml: string, records: readonly XNode[]): Array<string | undefined> {
  const byName = new Map<string, Array<[number, number]>>();
  const spans = (qname: string): Array<[number, number]> => {
    let list = byName.get(qname);
    if (list !== undefined) return list;
    list = [];
    const re = tagScanner(qname);
    let depth = 0;
    let start = -1;
    for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
      if (m[1] === undefined) continue;
      if (m[1] === '/') {
        depth--;
        if (depth === 0 && start >= 0) list.push([start, m.index + m[0].length]);
      } else if (m[2] === '/') {
        if (depth === 0) list.push([m.index, m.index + m[0].length]);
      } else {
        if (depth === 0) start = m.index;
        depth++;
      }
    }
    byName.set(qname, list);
    return list;
  };
  const used = new Map<string, number>();
  return records.map((r) => {
    const qname = r.prefix ? `${r.prefix}:${r.name}` : r.name;
    const k = used.get(qname) ?? 0;
    used.set(qname, k + 1);
    const span = spans(qname)[k];
    if (span === undefined) return undefined;
    return withNamespaces(xml.slice(span[0], span[1]), r);
  });
}

/** Adds to the start tag the declarations of every prefix in scope it does not declare itself. */
export function withNamespaces(text: string, node: XNode): string {
  const end = text.indexOf('>');
  const startTag = text.slice(0, end);
  const declared = new Set<string>();
  for (const m of startTag.matchAll(/\sxmlns(?::([\w.-]+))?\s*=/g)) declared.add(m[1] ?? '');
  let extra = '';
  // for…in walks the scope's prototype chain: every declaration of every ancestor.
  for (const prefix in node.scope) {
    if (declared.has(prefix)) continue;
    declared.add(prefix);
    const uri = node.scope[prefix] as string;
    extra += prefix === '' ? ` xmlns="${xmlEscape(uri)}"` : ` xmlns:${prefix}="${xmlEscape(uri)}"`;
  }
  if (extra === '') return text;
  const at = text[end - 1] === '/' ? end - 1 : end;
  return text.slice(0, at) + extra + text.slice(at);
}
