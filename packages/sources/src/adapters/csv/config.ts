import iconv from 'iconv-lite';
import { z } from 'zod';
import { ConfigError } from '@hasad/core';
import { sourceConfigError } from '../../source-config.ts';

/**
 * The CSV source config: which column feeds which canonical field, constants for the whole
 * file, and the file's encoding and delimiter when detection must be overridden.
 *
 * Every key is optional; `{}` harvests with the default header recognition (French, English and
 * Arabic header names, see `DEFAULT_HEADERS` in map.ts) and detects encoding and delimiter.
 *
 * @example
 * ```json
 * {
 *   "mapping": {
 *     "identifier": "id",
 *     "title.fr": "titre",
 *     "title.ar": "العنوان",
 *     "description.fr": "description",
 *     "keywords.fr": { "column": "mots-clés", "separator": "," },
 *     "modified": { "column": "date de mise à jour", "dateFormat": "DD/MM/YYYY" },
 *     "license": "licence",
 *     "landingPage": "url",
 *     "distributions[].accessUrl": "lien",
 *     "distributions[].format": "format"
 *   },
 *   "constants": { "publisher.name.fr": "Ministère de l'Équipement et de l'Eau" },
 *   "encoding": "windows-1252",
 *   "delimiter": ";"
 * }
 * ```
 *
 * - `mapping`: canonical field → column name (matched exactly, else ignoring case, accents,
 *   spaces and punctuation), or `{ column, separator?, dateFormat? }`. When given, only the
 *   mapped columns are read. Fields (see {@link CSV_FIELDS}): `identifier`, `uri`, `title`,
 *   `description`, `keywords`, `themes`, `spatial`, `language`, `landingPage`, `issued`,
 *   `modified`, `license`, `accessRights`, `accrualPeriodicity`, `temporal` (an ISO interval
 *   `start/end`, or one date for the whole period), `temporal.start`, `temporal.end`,
 *   `publisher.{name,email,uri,homepage}`, `contactPoint.{name,email,url,phone}`,
 *   `distributions[].{accessUrl,downloadUrl,format,mediaType,license,title,description,byteSize,issued,modified}`.
 *   Text fields (`title`, `description`, `keywords`, `publisher.name`, `distributions[].title`,
 *   `distributions[].description`) take a language suffix: `title.fr`, `title.ar`; without one
 *   they use `defaultLanguage`.
 *   - `separator` splits a cell: list fields (`keywords`, `themes`, `spatial`, `language`) get
 *     every value; `distributions[].format` gets one distribution per format ("CSV, XLSX"), the
 *     row's other distribution columns repeated on each; any other field keeps the first value
 *     (the Project Open Data `publisher` cell lists the publisher, then its parents).
 *   - `dateFormat` (date fields only): `YYYY-MM-DD`, `DD/MM/YYYY`, `DD-MM-YYYY` or `MM/DD/YYYY`.
 *     Without it, ISO 8601 dates and date-times are read and anything else is dropped with a
 *     warning: `03/04/2024` is April in Rabat and March in Washington, so it is never guessed.
 * - `constants`: canonical field → value (an array for list fields), used for every row whose
 *   own column leaves that field empty, e.g. the publisher of a whole inventory.
 * - `preset`: `"etalab"` ({@link ETALAB_CATALOGUE_MAPPING}) or `"pod"` ({@link POD_CSV_MAPPING});
 *   `mapping` and `constants` entries are added to the preset's, replacing those of the same field.
 * - `encoding`: any label iconv-lite knows (`utf-8`, `windows-1252`, `windows-1256`, `utf-16le` …).
 *   Without it: the BOM, else the HTTP charset, else detection (see parse.ts).
 * - `delimiter`: `,`, `;`, `\t` or `|`. Without it: detected from the first lines.
 * - `dateFormat`: the default `dateFormat` of every date column.
 * - `defaultLanguage`: the language of text columns mapped without a suffix (default: untagged, `""`).
 */
export interface CsvConfig {
  mapping?: Record<string, string | CsvColumnSpec>;
  constants?: Record<string, string | string[]>;
  preset?: CsvPreset;
  encoding?: string;
  delimiter?: CsvDelimiter;
  dateFormat?: DateFormat;
  defaultLanguage?: string;
}

/** How one canonical field is read from a column. */
export interface CsvColumnSpec {
  column: string;
  separator?: string;
  dateFormat?: DateFormat;
}

export const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'DD-MM-YYYY', 'MM/DD/YYYY'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

export const CSV_PRESETS = ['etalab', 'pod'] as const;
export type CsvPreset = (typeof CSV_PRESETS)[number];

/** What kind of value a canonical field holds; decides how a cell is checked and converted. */
export type FieldType = 'text' | 'string' | 'url' | 'email' | 'date' | 'interval' | 'list' | 'integer';

interface FieldDef {
  type: FieldType;
  /** Takes a language suffix (`title.fr`). */
  lang?: true;
  /** Holds several values (`keywords`): a separator splits, constants may be arrays. */
  list?: true;
}

/** Every canonical field a column or constant can feed, with its value type. */
export const CSV_FIELDS: Readonly<Record<string, FieldDef>> = {
  identifier: { type: 'string' },
  uri: { type: 'url' },
  title: { type: 'text', lang: true },
  description: { type: 'text', lang: true },
  keywords: { type: 'list', lang: true, list: true },
  themes: { type: 'list', list: true },
  spatial: { type: 'list', list: true },
  language: { type: 'list', list: true },
  landingPage: { type: 'url' },
  issued: { type: 'date' },
  modified: { type: 'date' },
  license: { type: 'string' },
  accessRights: { type: 'string' },
  accrualPeriodicity: { type: 'string' },
  temporal: { type: 'interval' },
  'temporal.start': { type: 'date' },
  'temporal.end': { type: 'date' },
  'publisher.name': { type: 'text', lang: true },
  'publisher.email': { type: 'email' },
  'publisher.uri': { type: 'url' },
  'publisher.homepage': { type: 'url' },
  'contactPoint.name': { type: 'string' },
  'contactPoint.email': { type: 'email' },
  'contactPoint.url': { type: 'url' },
  'contactPoint.phone': { type: 'string' },
  'distributions[].accessUrl': { type: 'url' },
  'distributions[].downloadUrl': { type: 'url' },
  'distributions[].format': { type: 'string' },
  'distributions[].mediaType': { type: 'string' },
  'distributions[].license': { type: 'string' },
  'distributions[].title': { type: 'text', lang: true },
  'distributions[].description': { type: 'text', lang: true },
  'distributions[].byteSize': { type: 'integer' },
  'distributions[].issued': { type: 'date' },
  'distributions[].modified': { type: 'date' },
};

/** A canonical field with its language resolved: `title.fr` → `{ field: 'title', lang: 'fr' }`. */
export interface FieldTarget {
  field: string;
  /** For language-aware fields only ('' = untagged). */
  lang?: string;
  def: FieldDef;
}

/** A column feeding a field, as configured (or recognised from the header). */
export interface ColumnBinding {
  target: FieldTarget;
  column: string;
  /** A literal separator from the config, or a pattern (default recognition splits on `,` and `;`). */
  separator?: string | RegExp;
  dateFormat?: DateFormat;
  /** Came from a preset, not from the source's own mapping: a column missing from the file is expected. */
  fromPreset?: true;
}

export interface ConstantBinding {
  target: FieldTarget;
  /** Raw values as configured (several only for list fields). */
  values: string[];
}

/** A validated CSV config, ready for the harvest. */
export interface CsvSettings {
  /** `undefined`: recognise the columns from the header. */
  mapping?: ColumnBinding[];
  constants: ConstantBinding[];
  preset?: CsvPreset;
  /** An iconv-lite encoding name. */
  encoding?: string;
  delimiter?: CsvDelimiter;
  dateFormat?: DateFormat;
  defaultLanguage: string;
}

/**
 * The Etalab "catalogue de données" inventory schema (schema.data.gouv.fr, etalab/schema-catalogue-donnees
 * v0.3.0). The schema has no identifier column, so rows get a hashed identifier. Left out on
 * purpose: `siret_orga` and `id_alt_orga` (organisation registry numbers, not dataset fields),
 * `si` (the internal information system), `contact_personne` (a person's own e-mail address does
 * not belong in a public catalogue; the service's address is the contact point).
 */
export const ETALAB_CATALOGUE_MAPPING: Readonly<Record<string, string | CsvColumnSpec>> = {
  'title.fr': 'titre',
  'description.fr': 'description',
  'keywords.fr': { column: 'mots_cles', separator: ',' },
  'publisher.name.fr': 'nom_orga',
  'contactPoint.name': 'service',
  'contactPoint.email': 'contact_service',
  issued: { column: 'date_pub', dateFormat: 'YYYY-MM-DD' },
  modified: { column: 'date_maj', dateFormat: 'YYYY-MM-DD' },
  accrualPeriodicity: 'freq_maj',
  spatial: 'couv_geo',
  landingPage: 'url',
  'distributions[].format': { column: 'format', separator: ',' },
  license: 'licence',
};

/**
 * The Project Open Data (DCAT-US 1.1) CSV layout (project-open-data.github.io v1.1/examples):
 * one distribution per row. `publisher` lists the publisher then its parent organisations, so
 * the first is kept. `bureauCode`, `programCode`, `references`, `conformsTo`, `describedBy` and
 * the other US-federal fields have no canonical counterpart and are left out.
 */
export const POD_CSV_MAPPING: Readonly<Record<string, string | CsvColumnSpec>> = {
  identifier: 'identifier',
  title: 'title',
  description: 'description',
  keywords: { column: 'keyword', separator: ',' },
  modified: 'modified',
  issued: 'issued',
  'publisher.name': { column: 'publisher', separator: ',' },
  'contactPoint.name': 'fn',
  'contactPoint.email': 'hasEmail',
  accessRights: 'accessLevel',
  accrualPeriodicity: 'accrualPeriodicity',
  landingPage: 'landingPage',
  license: 'license',
  language: { column: 'language', separator: ',' },
  spatial: 'spatial',
  temporal: 'temporal',
  themes: { column: 'theme', separator: ',' },
  'distributions[].downloadUrl': 'downloadURL',
  'distributions[].accessUrl': 'accessURL',
  'distributions[].format': 'format',
  'distributions[].mediaType': 'mediaType',
};

const PRESETS: Record<CsvPreset, Readonly<Record<string, string | CsvColumnSpec>>> = {
  etalab: ETALAB_CATALOGUE_MAPPING,
  pod: POD_CSV_MAPPING,
};

const LANG_TAG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

/**
 * Resolves a field path as written in a config (`title.fr`, `distributions[].format`).
 * @returns undefined for an unknown field or a language suffix on a field that takes none.
 */
export function resolveField(key: string, defaultLanguage: string): FieldTarget | undefined {
  const exact = CSV_FIELDS[key];
  if (exact !== undefined) return exact.lang ? { field: key, lang: defaultLanguage, def: exact } : { field: key, def: exact };
  const dot = key.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const base = CSV_FIELDS[key.slice(0, dot)];
  const lang = key.slice(dot + 1);
  if (base?.lang !== true || !LANG_TAG.test(lang)) return undefined;
  return { field: key.slice(0, dot), lang: lang.toLowerCase(), def: base };
}

/** `title.fr` for display; the untagged language shows as the bare field. */
export function targetName(t: FieldTarget): string {
  return t.lang === undefined || t.lang === '' ? t.field : `${t.field}.${t.lang}`;
}

const targetKey = (t: FieldTarget) => `${t.field}\u0000${t.lang ?? ''}`;

const columnSpecSchema = z.strictObject({
  column: z.string().trim().min(1),
  separator: z.string().min(1).optional(),
  dateFormat: z.enum(DATE_FORMATS).optional(),
});

const csvConfigSchema = z.strictObject({
  mapping: z.record(z.string(), z.union([z.string().trim().min(1), columnSpecSchema])).optional(),
  constants: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  preset: z.enum(CSV_PRESETS).optional(),
  encoding: z
    .string()
    .refine((e) => iconv.encodingExists(e), { message: 'unknown encoding (use a label such as utf-8, windows-1252, windows-1256, utf-16le)' })
    .optional(),
  delimiter: z.enum(CSV_DELIMITERS).optional(),
  dateFormat: z.enum(DATE_FORMATS).optional(),
  defaultLanguage: z.string().regex(LANG_TAG, 'a language tag such as fr or ar').optional(),
});

const FIELD_LIST = Object.keys(CSV_FIELDS).join(', ');

/**
 * Labels that name a subset of windows-1252. As in the WHATWG Encoding standard, they decode as
 * windows-1252: files labelled ISO-8859-1 routinely carry œ, € and ’ from Windows (bytes
 * 0x80-0x9F), which ISO-8859-1 would turn into invisible control characters.
 */
const AS_WINDOWS_1252 = new Set(['iso88591', 'latin1', 'l1', 'cp819', 'ibm819', 'usascii', 'ascii', 'iso8859-1', 'isolatin1']);

/** The iconv-lite name to decode a label with (see {@link AS_WINDOWS_1252}). */
export function canonicalEncoding(label: string): string {
  const key = label.trim().toLowerCase().replace(/[^a-z0-9]/g, '');
  if (AS_WINDOWS_1252.has(key)) return 'windows-1252';
  if (key === 'utf8') return 'utf-8';
  return label.trim().toLowerCase();
}

/**
 * Validates a CSV source config. `undefined`/`null` mean "no settings" (default header recognition).
 * @throws ConfigError listing every unknown key, unknown field and bad value at once.
 */
export function parseCsvConfig(config: unknown): CsvSettings {
  const parsed = csvConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    throw sourceConfigError('csv', { issues: parsed.error.issues });
  }
  const c = parsed.data;
  const errors: string[] = [];
  const defaultLanguage = c.defaultLanguage?.toLowerCase() ?? '';

  let mapping: ColumnBinding[] | undefined;
  if (c.preset !== undefined || c.mapping !== undefined) {
    if (c.mapping !== undefined && c.preset === undefined && Object.keys(c.mapping).length === 0) {
      errors.push('mapping: is empty; leave it out to use the default header recognition');
    }
    const preset = c.preset === undefined ? {} : PRESETS[c.preset];
    const entries = { ...preset, ...c.mapping };
    mapping = [];
    const byTarget = new Map<string, string>();
    for (const [key, raw] of Object.entries(entries)) {
      const target = resolveField(key, defaultLanguage);
      if (target === undefined) {
        errors.push(`mapping: unknown field "${key}" (known: ${FIELD_LIST}; text fields take a language suffix such as title.fr)`);
        continue;
      }
      const spec = typeof raw === 'string' ? { column: raw } : raw;
      const other = byTarget.get(targetKey(target));
      if (other !== undefined) errors.push(`mapping: "${key}" and "${other}" both feed ${targetName(target)}`);
      byTarget.set(targetKey(target), key);
      const dateFormat = spec.dateFormat ?? (isDated(target) ? c.dateFormat : undefined);
      if (spec.dateFormat !== undefined && !isDated(target)) errors.push(`mapping.${key}: dateFormat applies to date fields only`);
      mapping.push({
        target,
        column: spec.column.trim(),
        ...(spec.separator !== undefined && { separator: spec.separator }),
        ...(dateFormat !== undefined && { dateFormat }),
        ...(c.mapping?.[key] === undefined && { fromPreset: true as const }),
      });
    }
    if (mapping.length > 0 && !mapping.some((b) => b.target.field === 'title') && !Object.keys(c.constants ?? {}).some((k) => resolveField(k, '')?.field === 'title')) {
      errors.push('mapping: no column feeds title (e.g. "title.fr": "titre"); every dataset needs one');
    }
  }

  const constants: ConstantBinding[] = [];
  for (const [key, raw] of Object.entries(c.constants ?? {})) {
    const target = resolveField(key, defaultLanguage);
    if (target === undefined) {
      errors.push(`constants: unknown field "${key}" (known: ${FIELD_LIST})`);
      continue;
    }
    if (target.field === 'identifier') {
      errors.push('constants.identifier: every row would get the same identifier; map a column instead, or leave it out for hashed identifiers');
      continue;
    }
    const values = (Array.isArray(raw) ? raw : [raw]).map((v) => v.trim()).filter((v) => v !== '');
    if (Array.isArray(raw) && target.def.list !== true) errors.push(`constants.${key}: a list is only allowed for list fields (keywords, themes, spatial, language)`);
    if (values.length === 0) errors.push(`constants.${key}: is empty`);
    const bad = values.map((v) => checkConstant(target, v)).find((e) => e !== undefined);
    if (bad !== undefined) errors.push(`constants.${key}: ${bad}`);
    constants.push({ target, values });
  }

  if (errors.length > 0) throw sourceConfigError('csv', { details: errors });
  return {
    ...(mapping !== undefined && { mapping }),
    constants,
    ...(c.preset !== undefined && { preset: c.preset }),
    ...(c.encoding !== undefined && { encoding: canonicalEncoding(c.encoding) }),
    ...(c.delimiter !== undefined && { delimiter: c.delimiter }),
    ...(c.dateFormat !== undefined && { dateFormat: c.dateFormat }),
    defaultLanguage,
  };
}

const isDated = (t: FieldTarget) => t.def.type === 'date' || t.def.type === 'interval';

/** Constants are checked once, here, so a typo fails the config instead of warning on every row. */
function checkConstant(target: FieldTarget, value: string): string | undefined {
  switch (target.def.type) {
    case 'url':
      return isAbsoluteUrl(value) ? undefined : `${JSON.stringify(value)} is not an absolute URL`;
    case 'email':
      return cleanEmail(value) === undefined ? `${JSON.stringify(value)} is not an e-mail address` : undefined;
    case 'date':
      return parseDate(value) === undefined ? `${JSON.stringify(value)} is not an ISO 8601 date` : undefined;
    case 'interval':
      return parseInterval(value) === undefined ? `${JSON.stringify(value)} is not an ISO 8601 date or interval (start/end)` : undefined;
    case 'integer':
      return /^\d+$/.test(value) ? undefined : `${JSON.stringify(value)} is not a whole number`;
    default:
      return undefined;
  }
}

// Value helpers shared with the mapper (constants go through the same checks as cells).

const URL_SCHEME = /^(https?|ftp):\/\/[^\s]+$/i;

/** True for an absolute http(s)/ftp URL without spaces. */
export function isAbsoluteUrl(v: string): boolean {
  return URL_SCHEME.test(v) && URL.canParse(v);
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** An e-mail address without a `mailto:` scheme, or undefined when it does not look like one. */
export function cleanEmail(v: string): string | undefined {
  const e = v.replace(/^mailto:/i, '').trim();
  return EMAIL.test(e) ? e : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (DAYS_IN_MONTH[m - 1] ?? 0);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const ISO_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads a date cell. Without `format`, ISO 8601: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or a date-time
 * (`T` or a space between date and time, optional seconds and zone). With a format, exactly that
 * day-month-year order, with or without a time after a space.
 *
 * @returns the ISO 8601 lexical form (`YYYY-MM-DD`, date-times with `T`), or undefined when the
 *   value does not match or names a day that does not exist (31/02).
 */
export function parseDate(value: string, format?: DateFormat): string | undefined {
  const v = value.trim();
  if (format === undefined || format === 'YYYY-MM-DD') {
    const d = ISO_DATE.exec(v);
    if (d !== null) {
      const [y, m, day] = [Number(d[1]), d[2] === undefined ? undefined : Number(d[2]), d[3] === undefined ? undefined : Number(d[3])];
      if (m !== undefined && (m < 1 || m > 12)) return undefined;
      if (m !== undefined && day !== undefined && !validDay(y, m, day)) return undefined;
      if (format === 'YYYY-MM-DD' && day === undefined) return undefined;
      return v;
    }
    const t = ISO_DATETIME.exec(v);
    if (t === null) return undefined;
    const [y, m, day, hh, mm, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i] ?? 0)) as [number, number, number, number, number, number];
    if (!validDay(y, m, day) || hh > 23 || mm > 59 || ss > 59) return undefined;
    return v.replace(' ', 'T');
  }
  const sep = format[2] as '/' | '-';
  const m = new RegExp(`^(\\d{1,2})\\${sep}(\\d{1,2})\\${sep}(\\d{4})(?:[ T](\\d{1,2}):(\\d{2})(?::(\\d{2}))?)?$`).exec(v);
  if (m === null) return undefined;
  const [a, b, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [day, month] = format === 'MM/DD/YYYY' ? [b, a] : [a, b];
  if (!validDay(y, month, day)) return undefined;
  const date = `${pad(y, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return date;
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  // No zone in the cell: a local time, kept without one rather than assumed UTC.
  return `${date}T${pad(hh)}:${pad(mm)}:${pad(ss)}`;
}

/**
 * Reads a temporal coverage cell: an ISO 8601 interval `start/end` (either side may be empty or
 * `..` for an open end), or a single date, which stands for the whole period it names (`2019`).
 */
export function parseInterval(value: string, format?: DateFormat): { start?: string; end?: string } | undefined {
  const parts = value.split('/');
  // A slash-separated date format (DD/MM/YYYY) cannot carry an interval with "/".
  if (parts.length === 2 && format?.includes('/') !== true) {
    const [a = '', b = ''] = parts.map((p) => p.trim());
    const open = (p: string) => p === '' || p === '..';
    const start = open(a) ? undefined : parseDate(a, format);
    const end = open(b) ? undefined : parseDate(b, format);
    if ((!open(a) && start === undefined) || (!open(b) && end === undefined) || (start === undefined && end === undefined)) return undefined;
    return { ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
  }
  const d = parseDate(value, format);
  return d === undefined ? undefined : { start: d, end: d };
}
