import { z } from 'zod';
import { ConfigError } from '@hasad/core';
import { sourceConfigError } from '../../source-config.ts';
import { compileDateFormat } from './dates.ts';
import { isFullEnvelope, placeholdersOf, renderEnvelope } from './envelope.ts';
import type { SoapVersion } from './envelope.ts';
import { compilePath, parseXml } from './xml.ts';

/** How the adapter knows there is another page. */
export type SoapPaging =
  /** The response gives the total number of records at `totalPath`; pages go on until `offset + pageSize >= total`. */
  | { mode: 'total'; totalPath: string }
  /** Pages go on until one holds no record. */
  | { mode: 'emptyPage' }
  /** The response says whether more follow (`true`/`false`, `1`/`0`) at `hasMorePath`. */
  | { mode: 'hasMore'; hasMorePath: string }
  /** One request returns everything. */
  | { mode: 'none' };

/** Where one canonical field's values are in a record. */
export interface SoapFieldSpec {
  /** Path inside the record element, e.g. `titre`, `motsCles/motCle`, `ressource/@href`. */
  path: string;
  /** Splits each value (multi-valued fields only), e.g. `;` for `eau;climat`. */
  separator?: string;
  /** Date fields: `iso` (default) or a pattern such as `DD/MM/YYYY`. */
  dateFormat?: string;
}

/**
 * A SOAP source's config (source kind `soap`), validated by {@link parseSoapConfig}.
 *
 * Paths are `/`-separated element names matched by local name (`tns:dataset` matches the
 * namespace declared for `tns` in `namespaces`, else the prefix written in the response); `*`
 * matches any element and a last `@name` reads an attribute. `recordPath`, `totalPath` and
 * `hasMorePath` start below the Envelope (`Body/…`); field paths start at the record element.
 * RPC-encoded references (`href="#id"`, `multiRef`) are followed, `xsi:nil` elements count as
 * absent, and an element whose text is an XML document (escaped or CDATA) is read as if that
 * document were its child.
 *
 * Fields are canonical field names: `identifier` (required), `uri`, `title[.lang]` (at least one),
 * `description[.lang]`, `keywords[.lang]`, `themes`, `publisher.{uri,name[.lang],email,homepage,type}`,
 * `contactPoint.{uri,name,email,url,phone}`, `landingPage`, `issued`, `modified`, `license`,
 * `accessRights`, `accrualPeriodicity`, `spatial`, `temporal.{start,end}`, `language`, and
 * `distributions[].{uri,title[.lang],description[.lang],accessUrl,downloadUrl,format,mediaType,license,byteSize,issued,modified}`.
 * `keywords`, `themes`, `spatial` and `language` are multi-valued: every matching element counts.
 * Distribution paths are relative to the record too; the repeating distribution element is their
 * longest common parent (`ressources/ressource` below).
 *
 * @example
 * ```json
 * {
 *   "endpoint": "https://data.equipement.gov.ma/services/catalogue",
 *   "soapVersion": "1.1",
 *   "soapAction": "urn:catalogue#GetDatasets",
 *   "envelope": "<cat:GetDatasets xmlns:cat=\"urn:catalogue\"><cat:page>{{page}}</cat:page><cat:size>{{pageSize}}</cat:size><cat:ministere>{{ministere}}</cat:ministere></cat:GetDatasets>",
 *   "params": { "ministere": "Équipement & Eau" },
 *   "pageSize": 20,
 *   "firstPage": 1,
 *   "recordPath": "Body/GetDatasetsResponse/datasets/dataset",
 *   "paging": { "mode": "total", "totalPath": "Body/GetDatasetsResponse/total" },
 *   "fields": {
 *     "identifier": "id",
 *     "title.fr": "titre",
 *     "title.ar": "titreAr",
 *     "description.fr": "description",
 *     "keywords.fr": { "path": "motsCles/motCle" },
 *     "themes": { "path": "themes", "separator": ";" },
 *     "modified": { "path": "dateMaj", "dateFormat": "DD/MM/YYYY" },
 *     "distributions[].accessUrl": "ressources/ressource/url",
 *     "distributions[].format": "ressources/ressource/format"
 *   },
 *   "constants": { "publisher.name.fr": "Ministère de l'Équipement et de l'Eau", "language": ["fr", "ar"] }
 * }
 * ```
 * With a WSDL, `operation` names the operation and the SOAPAction (and SOAP version, unless
 * given) come from it: `{"wsdl": "https://…/Catalogue.asmx?WSDL", "operation": "GetDatasets", …}`.
 */
export interface SoapConfig {
  /** Where requests are POSTed. Default: the source's URL. */
  endpoint?: string;
  /** A WSDL to read `operation`'s SOAPAction (and SOAP version) from, once per harvest. */
  wsdl?: string;
  /** Default `1.1` (or what the WSDL binding says). */
  soapVersion?: SoapVersion;
  /** The operation's name: required with `wsdl` (looked up there), informative otherwise. */
  operation?: string;
  /** The SOAPAction; overrides the WSDL's. Default `""`. */
  soapAction?: string;
  /**
   * The request: a whole Envelope, or only the Body's content (wrapped in an Envelope of
   * `soapVersion`). Placeholders `{{page}}`, `{{pageSize}}`, `{{offset}}` and `{{<param>}}`
   * are replaced by XML-escaped values.
   */
  envelope: string;
  /** Fixed request parameters, used as `{{name}}` in the envelope. */
  params: Record<string, string>;
  /** Records asked per page (`{{pageSize}}`), and the step of `{{offset}}`. Default 100. */
  pageSize: number;
  /** The first page's `{{page}}`: 0 or 1 (default 1). `{{offset}}` always starts at 0. */
  firstPage: 0 | 1;
  /** Path of the repeating record element, from below the Envelope. */
  recordPath: string;
  /** Prefixes for paths, e.g. `{ "tns": "urn:catalogue" }`. */
  namespaces: Record<string, string>;
  paging: SoapPaging;
  /** Canonical field → where it is in a record. */
  fields: Record<string, SoapFieldSpec>;
  /** Canonical field → a value every record gets (a list for multi-valued fields). */
  constants: Record<string, string | string[]>;
}

// ---------------------------------------------------------------------------------------------
// Canonical field targets

export type ValueKind = 'text' | 'url' | 'date' | 'email' | 'mediaType' | 'byteSize';

interface TargetDef {
  kind: ValueKind;
  multi?: boolean;
  /** A language map: `title`, `title.fr`, `title.ar`… */
  lang?: boolean;
}

const RECORD_TARGETS: Record<string, TargetDef> = {
  identifier: { kind: 'text' },
  uri: { kind: 'url' },
  title: { kind: 'text', lang: true },
  description: { kind: 'text', lang: true },
  keywords: { kind: 'text', lang: true, multi: true },
  themes: { kind: 'text', multi: true },
  'publisher.uri': { kind: 'url' },
  'publisher.name': { kind: 'text', lang: true },
  'publisher.email': { kind: 'email' },
  'publisher.homepage': { kind: 'url' },
  'publisher.type': { kind: 'text' },
  'contactPoint.uri': { kind: 'url' },
  'contactPoint.name': { kind: 'text' },
  'contactPoint.email': { kind: 'email' },
  'contactPoint.url': { kind: 'url' },
  'contactPoint.phone': { kind: 'text' },
  landingPage: { kind: 'url' },
  issued: { kind: 'date' },
  modified: { kind: 'date' },
  license: { kind: 'text' },
  accessRights: { kind: 'text' },
  accrualPeriodicity: { kind: 'text' },
  spatial: { kind: 'text', multi: true },
  'temporal.start': { kind: 'date' },
  'temporal.end': { kind: 'date' },
  language: { kind: 'text', multi: true },
};

const DISTRIBUTION_TARGETS: Record<string, TargetDef> = {
  uri: { kind: 'url' },
  title: { kind: 'text', lang: true },
  description: { kind: 'text', lang: true },
  accessUrl: { kind: 'url' },
  downloadUrl: { kind: 'url' },
  format: { kind: 'text' },
  mediaType: { kind: 'mediaType' },
  license: { kind: 'text' },
  byteSize: { kind: 'byteSize' },
  issued: { kind: 'date' },
  modified: { kind: 'date' },
};

export const DISTRIBUTION_PREFIX = 'distributions[].';

/** A canonical field a config key names. */
export interface FieldTarget {
  /** The config key as given, e.g. `title.fr`, `distributions[].accessUrl`. */
  key: string;
  scope: 'record' | 'distribution';
  /** The field without its language, e.g. `title`, `publisher.name`, `accessUrl`. */
  base: string;
  /** For language maps: the BCP 47 tag, lower-cased; `''` for untagged. */
  lang?: string;
  kind: ValueKind;
  multi: boolean;
}

const LANG_TAG = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i;

/** The canonical field a config key names, or undefined. */
export function fieldTarget(key: string): FieldTarget | undefined {
  const scope = key.startsWith(DISTRIBUTION_PREFIX) ? 'distribution' : 'record';
  const rest = scope === 'distribution' ? key.slice(DISTRIBUTION_PREFIX.length) : key;
  const table = scope === 'distribution' ? DISTRIBUTION_TARGETS : RECORD_TARGETS;
  const exact = table[rest];
  if (exact !== undefined) return { key, scope, base: rest, ...(exact.lang && { lang: '' }), kind: exact.kind, multi: exact.multi ?? false };
  const dot = rest.lastIndexOf('.');
  const def = dot < 0 ? undefined : table[rest.slice(0, dot)];
  const tag = rest.slice(dot + 1);
  if (def?.lang && LANG_TAG.test(tag)) return { key, scope, base: rest.slice(0, dot), lang: tag.toLowerCase(), kind: def.kind, multi: def.multi ?? false };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Schema

const BUILT_IN = ['page', 'pageSize', 'offset'] as const;
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const path = z.string().trim().min(1, 'must be a non-empty path');

const pagingSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('total'), totalPath: path }),
    z.strictObject({ mode: z.literal('emptyPage') }),
    z.strictObject({ mode: z.literal('hasMore'), hasMorePath: path }),
    z.strictObject({ mode: z.literal('none') }),
  ],
  { error: 'must be one of total, emptyPage, hasMore, none' },
);

const fieldSpecSchema = z.union([path, z.strictObject({ path, separator: z.string().min(1).optional(), dateFormat: z.string().min(1).optional() })]);

const soapConfigSchema = z
  .strictObject({
    endpoint: httpUrl.optional(),
    wsdl: httpUrl.optional(),
    soapVersion: z.enum(['1.1', '1.2']).optional(),
    operation: z.string().trim().min(1).optional(),
    soapAction: z
      .string()
      .regex(/^[^"\r\n]*$/, 'must not contain double quotes or line breaks')
      .optional(),
    envelope: z.string().trim().min(1, 'the request envelope template is required'),
    params: z.record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'parameter names are letters, digits, _ . -'), z.union([z.string(), z.number(), z.boolean()])).default({}),
    pageSize: z.number().int().min(1).max(100_000).default(100),
    firstPage: z.union([z.literal(0), z.literal(1)]).default(1),
    recordPath: path,
    namespaces: z.record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'prefixes are XML names'), z.string().min(1)).default({}),
    paging: pagingSchema,
    fields: z.record(z.string(), fieldSpecSchema),
    constants: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  })
  .superRefine((c, ctx) => {
    const issue = (p: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
    const checkPath = (p: PropertyKey[], value: string) => {
      try {
        compilePath(value);
      } catch (err) {
        issue(p, `bad path "${value}": ${(err as Error).message}`);
      }
    };
    checkPath(['recordPath'], c.recordPath);
    if (c.paging.mode === 'total') checkPath(['paging', 'totalPath'], c.paging.totalPath);
    if (c.paging.mode === 'hasMore') checkPath(['paging', 'hasMorePath'], c.paging.hasMorePath);
    if (c.wsdl !== undefined && c.operation === undefined) issue(['operation'], 'required with wsdl: the operation to look up there');

    // The request template.
    for (const name of BUILT_IN) if (name in c.params) issue(['params', name], `"${name}" is set by the adapter; choose another parameter name`);
    const used = placeholdersOf(c.envelope);
    const unknown = used.filter((n) => !(BUILT_IN as readonly string[]).includes(n) && !(n in c.params));
    if (unknown.length > 0) issue(['envelope'], `placeholder(s) without a value: ${unknown.map((n) => `{{${n}}}`).join(', ')} (known: {{page}}, {{pageSize}}, {{offset}}${Object.keys(c.params).map((n) => `, {{${n}}}`).join('')})`);
    if (c.paging.mode !== 'none' && !used.includes('page') && !used.includes('offset')) {
      issue(['envelope'], `paging mode "${c.paging.mode}" needs {{page}} or {{offset}} in the envelope, else every page would be the first`);
    }
    if (unknown.length === 0) {
      const sample = Object.fromEntries([...Object.entries(c.params).map(([k, v]) => [k, String(v)]), ['page', '1'], ['pageSize', '1'], ['offset', '0']]);
      try {
        const doc = parseXml(renderEnvelope(c.envelope, sample, c.soapVersion ?? '1.1'), 'the envelope template', 'SOAP request');
        if (isFullEnvelope(c.envelope) && doc.root.name !== 'Envelope') issue(['envelope'], `the template's root element is <${doc.root.name}>, not Envelope`);
      } catch (err) {
        issue(['envelope'], `the template is not well-formed XML: ${(err as Error).message}`);
      }
    }

    // Fields and constants.
    const unknownFields = Object.keys(c.fields).filter((k) => fieldTarget(k) === undefined);
    if (unknownFields.length > 0) issue(['fields'], `unknown field(s): ${unknownFields.join(', ')}`);
    if (!('identifier' in c.fields)) issue(['fields', 'identifier'], 'required: the path of each record\'s identifier');
    const hasTitle = [...Object.keys(c.fields), ...Object.keys(c.constants)].some((k) => fieldTarget(k)?.base === 'title' && fieldTarget(k)?.scope === 'record');
    if (!hasTitle) issue(['fields'], 'at least one title field is required (title, title.fr, title.ar…)');
    let distributionFields = 0;
    for (const [key, spec] of Object.entries(c.fields)) {
      const t = fieldTarget(key);
      if (t === undefined) continue;
      if (t.scope === 'distribution') distributionFields++;
      const s = typeof spec === 'string' ? { path: spec } : spec;
      checkPath(['fields', key, 'path'], s.path);
      if (s.separator !== undefined && !t.multi) issue(['fields', key, 'separator'], `${key} holds one value; a separator is only for keywords, themes, spatial and language`);
      if (s.dateFormat !== undefined) {
        if (t.kind !== 'date') issue(['fields', key, 'dateFormat'], `${key} is not a date field`);
        else {
          try {
            compileDateFormat(s.dateFormat);
          } catch (err) {
            issue(['fields', key, 'dateFormat'], (err as Error).message);
          }
        }
      }
    }
    for (const [key, value] of Object.entries(c.constants)) {
      const t = fieldTarget(key);
      if (t === undefined) issue(['constants', key], `unknown field ${key}`);
      else if (t.base === 'identifier') issue(['constants', key], 'every record needs its own identifier; map it in fields');
      else if (key in c.fields) issue(['constants', key], `${key} is both mapped in fields and set in constants; keep one`);
      else if (Array.isArray(value) && !t.multi) issue(['constants', key], `${key} holds one value, not a list`);
      else if (t.scope === 'distribution' && distributionFields === 0) issue(['constants', key], 'a distribution constant needs at least one distributions[] field to say where distributions are');
      else {
        for (const v of Array.isArray(value) ? value : [value]) {
          const bad = constantProblem(t.kind, v);
          if (bad !== undefined) issue(['constants', key], `${JSON.stringify(v)} ${bad}`);
        }
      }
    }
  });

function constantProblem(kind: ValueKind, v: string): string | undefined {
  if (v.trim() === '') return 'is empty';
  if (kind === 'url' && !(URL.canParse(v) && /^[a-z][a-z0-9+.-]*:/i.test(v))) return 'is not an absolute URL';
  if (kind === 'date' && compileDateFormat('iso')(v) === undefined) return 'is not an ISO 8601 date';
  if (kind === 'byteSize' && !/^\d+$/.test(v.trim())) return 'is not a non-negative integer';
  return undefined;
}

/**
 * Validates a SOAP source config (see {@link SoapConfig}).
 * @throws ConfigError listing every unknown key and bad value at once.
 */
export function parseSoapConfig(config: unknown): SoapConfig {
  const parsed = soapConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    throw sourceConfigError('soap', { issues: parsed.error.issues });
  }
  const c = parsed.data;
  return {
    ...(c.endpoint !== undefined && { endpoint: c.endpoint }),
    ...(c.wsdl !== undefined && { wsdl: c.wsdl }),
    ...(c.soapVersion !== undefined && { soapVersion: c.soapVersion }),
    ...(c.operation !== undefined && { operation: c.operation }),
    ...(c.soapAction !== undefined && { soapAction: c.soapAction }),
    envelope: c.envelope,
    params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, String(v)])),
    pageSize: c.pageSize,
    firstPage: c.firstPage,
    recordPath: c.recordPath,
    namespaces: c.namespaces,
    paging: c.paging,
    fields: Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, typeof v === 'string' ? { path: v } : v])),
    constants: c.constants,
  };
}
