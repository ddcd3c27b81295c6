import { createHash } from 'node:crypto';
import { ConfigError, type ProblemCode } from '@hasad/core';
import type { Agent, CanonicalDataset, ContactPoint, Distribution, PeriodOfTime, RecordProblem } from '@hasad/core';
import { CSV_FIELDS, DATE_FORMATS, cleanEmail, isAbsoluteUrl, parseDate, parseInterval, targetName } from './config.ts';
import type { ColumnBinding, CsvSettings, DateFormat, FieldTarget } from './config.ts';
import type { CsvRow } from './parse.ts';
import { newDataset } from '../shared/batches.ts';
import { dateNameLanguage, orderFromName } from '../shared/date-order.ts';

/**
 * CSV row → CanonicalDataset. Pure functions: {@link compileMapping} resolves the config (or the
 * default header recognition) against a file's header once, {@link mapRow} maps each row.
 *
 * Values that do not fit their field (a URL that is not absolute, a date that is not one) are
 * dropped with a warning naming the line, the field and the value, never guessed. Cells are kept
 * as data: a value starting with `=`, `+`, `-` or `@` is just text here.
 */

/** Prefix of identifiers made from a row's title and URL when the file gives none. */
export const HASH_ID_PREFIX = 'csv-';

/**
 * Header names recognised without a mapping, per field, in French, English and Arabic. They are
 * compared after {@link normaliseHeader}: case, accents, Arabic diacritics, spaces and punctuation
 * do not matter ("Mots-clés", "mots cles" and "MOTS_CLES" are the same name).
 */
export const DEFAULT_HEADERS: Readonly<Record<string, readonly string[]>> = {
  identifier: ['identifiant', 'id', 'identifier', 'identifiant unique', 'uid', 'المعرف', 'معرف', 'المعرّف'],
  title: ['titre', 'title', 'nom', 'name', 'intitulé', 'libellé', 'nom du jeu de données', 'titre du jeu de données', 'العنوان', 'عنوان', 'الاسم', 'اسم مجموعة البيانات'],
  description: ['description', 'descriptif', 'résumé', 'abstract', 'notes', 'الوصف', 'وصف'],
  keywords: ['mots-clés', 'mots clés', 'mot-clé', 'mots_cles', 'keywords', 'keyword', 'tags', 'tag', 'الكلمات المفتاحية', 'كلمات مفتاحية', 'الوسوم'],
  themes: ['thème', 'thèmes', 'thématique', 'theme', 'themes', 'category', 'categories', 'catégorie', 'catégories', 'الموضوع', 'المواضيع', 'الفئة', 'المجال'],
  license: ['licence', 'license', 'licence de réutilisation', 'الترخيص', 'الرخصة'],
  landingPage: ['url', 'lien', 'link', 'landingPage', 'landing page', 'page web', 'page', 'الرابط', 'رابط'],
  'distributions[].format': ['format', 'formats', 'format de fichier', 'الصيغة', 'الصيغ'],
  'distributions[].downloadUrl': ['downloadURL', 'download url', 'lien de téléchargement', 'url de téléchargement', 'téléchargement', 'رابط التحميل', 'رابط التنزيل'],
  'distributions[].accessUrl': ['accessURL', 'access url', "url d'accès", "lien d'accès", 'رابط الوصول'],
  'distributions[].mediaType': ['mediaType', 'media type', 'type mime', 'mime type', 'mimetype'],
  modified: ['date de mise à jour', 'modified', 'dernière modification', 'dernière mise à jour', 'mise à jour', 'date maj', 'date_maj', 'date de modification', 'last modified', 'updated', 'تاريخ التحديث', 'تاريخ آخر تحديث'],
  issued: ['date de publication', 'issued', 'created', 'date de création', 'date_pub', 'date pub', 'date de première publication', 'published', 'publication date', 'تاريخ النشر', 'تاريخ الإنشاء'],
  'publisher.name': ['producteur', 'publisher', 'organisation', 'organization', 'organisme', 'éditeur', 'nom_orga', 'nom organisation', 'institution', 'الناشر', 'الجهة', 'المنتج', 'الجهة المنتجة'],
  'contactPoint.email': ['contact', 'email', 'e-mail', 'courriel', 'mail', 'adresse électronique', 'hasEmail', 'contact email', 'البريد الإلكتروني', 'البريد الالكتروني'],
  'contactPoint.name': ['fn', 'nom du contact', 'contact name', 'اسم جهة الاتصال'],
  spatial: ['couverture géographique', 'couv_geo', 'spatial', 'zone géographique', 'couverture spatiale', 'territoire', 'التغطية الجغرافية', 'النطاق الجغرافي'],
  temporal: ['couverture temporelle', 'temporal', 'période', 'période couverte', 'التغطية الزمنية', 'الفترة الزمنية'],
  accrualPeriodicity: ['fréquence', 'fréquence de mise à jour', 'freq_maj', 'frequency', 'accrualPeriodicity', 'update frequency', 'périodicité', 'دورية التحديث', 'التواتر'],
  accessRights: ['accessLevel', 'access level', 'access rights', "droits d'accès", 'niveau d’accès', 'حقوق الوصول'],
  language: ['langue', 'langues', 'language', 'اللغة'],
};

/** Fields whose cells the default recognition splits on `,` and `;` ("eau, assainissement"). */
const DEFAULT_SPLIT = /[,;]/;
const DEFAULT_SPLIT_FIELDS = new Set(['keywords', 'themes', 'language', 'distributions[].format']);

/** Language words a header may end with: "titre_fr", "Title (AR)", "العنوان بالعربية", "description en arabe". */
const LANG_WORDS: Readonly<Record<string, string>> = {
  fr: 'fr', fra: 'fr', fre: 'fr', francais: 'fr', french: 'fr', بالفرنسيه: 'fr', الفرنسيه: 'fr', فرنسي: 'fr',
  ar: 'ar', ara: 'ar', arabe: 'ar', arabic: 'ar', بالعربيه: 'ar', العربيه: 'ar', عربي: 'ar',
  en: 'en', eng: 'en', anglais: 'en', english: 'en', بالانجليزيه: 'en', الانجليزيه: 'en',
  es: 'es', espagnol: 'es', spanish: 'es',
  de: 'de', it: 'it', pt: 'pt', nl: 'nl',
  zgh: 'zgh', ber: 'ber', tzm: 'tzm', amazigh: 'zgh', tamazight: 'zgh', بالامازيغيه: 'zgh', الامازيغيه: 'zgh',
};

/**
 * A header name reduced for comparison: Unicode-decomposed, combining marks (French accents,
 * Arabic harakat and hamza signs) and the Arabic tatweel dropped, ة read as ه and ى as ي, lower
 * case, and only letters and digits kept.
 */
export function normaliseHeader(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}|\u0640/gu, '')
    .toLowerCase()
    .replace(/ة/g, 'ه')
    .replace(/ى/g, 'ي')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

const SYNONYMS: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [field, names] of Object.entries(DEFAULT_HEADERS)) {
    for (const n of names) m.set(normaliseHeader(n), field);
  }
  return m;
})();

/**
 * The field a header name stands for in the default recognition, with its language when the name
 * ends with one ("titre_fr", "Title (AR)", "العنوان بالعربية"); `defaultLanguage` otherwise.
 */
export function recogniseHeader(name: string, defaultLanguage = ''): FieldTarget | undefined {
  const whole = SYNONYMS.get(normaliseHeader(name));
  if (whole !== undefined) return toTarget(whole, defaultLanguage);
  const tokens = name.split(/[\s._\-()[\]/]+/).filter((t) => t !== '');
  const lang = tokens.length >= 2 ? LANG_WORDS[normaliseHeader(tokens[tokens.length - 1] as string)] : undefined;
  if (lang === undefined) return undefined;
  let base = tokens.slice(0, -1);
  // "description en arabe", "title in English"
  if (base.length >= 2 && /^(en|in)$/i.test(base[base.length - 1] as string)) base = base.slice(0, -1);
  const field = SYNONYMS.get(normaliseHeader(base.join(' ')));
  return field !== undefined && CSV_FIELDS[field]?.lang === true ? toTarget(field, lang) : undefined;
}

/** Header words of the default recognition that are French, and only French. */
const FRENCH_HEADERS = new Set(['titre', 'intitule', 'libelle', 'nomdujeudedonnees', 'titredujeudedonnees', 'descriptif', 'resume', 'motscles', 'motcle']);
/** Header words of the default recognition that are English, and only English. */
const ENGLISH_HEADERS = new Set(['title', 'name', 'abstract', 'keywords', 'keyword', 'tags', 'tag', 'notes']);

/**
 * The language a header is written in, when it tells: Arabic script → `ar`; a French-only or
 * English-only word of the default recognition → `fr` / `en`; undefined otherwise ("description").
 */
export function headerLanguage(name: string): string | undefined {
  const suffixed = recogniseHeader(name, '\u0000');
  if (suffixed?.lang !== undefined && suffixed.lang !== '\u0000') return suffixed.lang;
  if (/\p{Script=Arabic}/u.test(name) && !/\p{Script=Latin}/u.test(name)) return 'ar';
  const k = normaliseHeader(name);
  if (FRENCH_HEADERS.has(k)) return 'fr';
  if (ENGLISH_HEADERS.has(k)) return 'en';
  return undefined;
}

function toTarget(field: string, lang: string): FieldTarget {
  const def = CSV_FIELDS[field];
  if (def === undefined) throw new Error(`unknown canonical field ${field}`);
  return def.lang ? { field, lang, def } : { field, def };
}

/** One field of the record and where its value comes from. */
interface Slot {
  target: FieldTarget;
  /** 0-based column, when a column feeds the field. */
  index?: number;
  column?: string;
  separator?: string | RegExp;
  dateFormat?: DateFormat;
  /**
   * The day/month order read from the file's own values when no `dateFormat` is set
   * ({@link inferDateOrders}): tried after ISO 8601, so ISO dates in the same column still read.
   */
  inferredDateFormat?: DateFormat;
  /** Used when the column is absent or empty in a row. */
  constant?: string[];
}

/** A config resolved against one file's header. */
export interface CompiledMapping {
  slots: Slot[];
  /** Columns a row must have: up to the last named column. */
  minCells: number;
  /** Header width: cells beyond it must be empty. */
  headerCells: number;
  /** Whether a column feeds `identifier` (else every row gets a hashed one). */
  identifierColumn?: string;
  /** Page-level notes: `csv_mapping` (info), `missing_column`, `csv_no_title_column` (warnings). */
  problems: RecordProblem[];
}

const quote = (s: string) => JSON.stringify(s);

function describeSlot(s: Slot): string {
  const split = s.separator === undefined ? '' : s.separator instanceof RegExp ? ' (split on "," ";")' : ` (split on ${quote(s.separator)})`;
  const fmt = s.dateFormat === undefined ? '' : ` (${s.dateFormat})`;
  return `${quote(s.column ?? '')} → ${targetName(s.target)}${split}${fmt}`;
}

/**
 * Resolves the source's mapping (or, without one, the default header recognition) against the
 * file's header row.
 *
 * @throws ConfigError when a column the source's own mapping names for `identifier` is missing,
 *   or when no title column of the mapping is in the file: harvesting on would make every row
 *   invalid, or give every dataset a new identifier (and withdraw the old ones).
 */
export function compileMapping(header: string[], settings: CsvSettings): CompiledMapping {
  const names = header.map((h) => h.trim());
  const slots: Slot[] = [];
  const problems: RecordProblem[] = [];
  const used = new Set<number>();
  const notes: string[] = [];
  const missing: string[] = [];
  const byNorm = new Map<string, number>();
  names.forEach((n, i) => {
    const k = normaliseHeader(n);
    if (k !== '' && !byNorm.has(k)) byNorm.set(k, i);
  });

  if (settings.mapping !== undefined) {
    const missingRequired: string[] = [];
    for (const b of settings.mapping) {
      const exact = names.indexOf(b.column);
      const index = exact >= 0 ? exact : byNorm.get(normaliseHeader(b.column));
      if (index === undefined) {
        missing.push(`${quote(b.column)} (${targetName(b.target)})`);
        if (b.target.field === 'identifier' && b.fromPreset !== true) missingRequired.push(`${quote(b.column)} for identifier`);
        if (b.fromPreset !== true) {
          problems.push({
            severity: 'warning',
            code: 'missing_column',
            message: `the mapping reads ${targetName(b.target)} from column ${quote(b.column)}, which the file does not have; the field stays empty`,
            field: targetName(b.target),
          });
        }
        continue;
      }
      used.add(index);
      slots.push(slotFor(b, index, names[index] as string));
    }
    const titles = settings.mapping.filter((b) => b.target.field === 'title');
    const titleConstant = settings.constants.some((c) => c.target.field === 'title');
    if (titles.length > 0 && !slots.some((s) => s.target.field === 'title') && !titleConstant) {
      missingRequired.push(`${titles.map((b) => quote(b.column)).join(' or ')} for title`);
    }
    if (missingRequired.length > 0) {
      throw new ConfigError(
        `the csv file lacks the column(s) its mapping needs: ${missingRequired.join('; ')}. Its header is: ${names.map(quote).join(', ')}`,
        { missing: missingRequired, header: names },
      );
    }
  } else {
    const taken = new Map<string, string>();
    names.forEach((name, index) => {
      let target = recogniseHeader(name, settings.defaultLanguage);
      if (target === undefined) return;
      let key = targetName(target);
      const first = taken.get(key);
      if (first !== undefined && target.def.lang === true) {
        // Two columns feed one multilingual field ("titre" and "العنوان"): each keeps the
        // language its header is written in, so a bilingual inventory keeps both.
        // A header that does not tell ("description") keeps the default language.
        const mine = headerLanguage(name) ?? settings.defaultLanguage;
        const theirs = headerLanguage(first) ?? settings.defaultLanguage;
        const slot = slots.find((x) => x.column === first);
        if (mine !== theirs && slot !== undefined && !taken.has(targetName(toTarget(target.field, mine)))) {
          if (slot.target.lang === settings.defaultLanguage && theirs !== settings.defaultLanguage && !taken.has(targetName(toTarget(target.field, theirs)))) {
            taken.delete(key);
            slot.target = toTarget(slot.target.field, theirs);
            taken.set(targetName(slot.target), first);
          }
          target = toTarget(target.field, mine);
          key = targetName(target);
          notes.push(`${quote(first)} and ${quote(name)} both read as ${target.field}: each in its header's language (${theirs || 'untagged'}, ${mine || 'untagged'})`);
        }
      }
      if (taken.has(key)) {
        notes.push(`${quote(name)} also reads as ${key}, already read from ${quote(taken.get(key) as string)}; ignored`);
        return;
      }
      taken.set(key, name);
      used.add(index);
      slots.push({
        target,
        index,
        column: name,
        ...(DEFAULT_SPLIT_FIELDS.has(target.field) && { separator: DEFAULT_SPLIT }),
        ...(settings.dateFormat !== undefined && (target.def.type === 'date' || target.def.type === 'interval') && { dateFormat: settings.dateFormat }),
      });
    });
  }

  for (const c of settings.constants) {
    const slot = slots.find((s) => s.target.field === c.target.field && s.target.lang === c.target.lang);
    if (slot !== undefined) slot.constant = c.values;
    else slots.push({ target: c.target, constant: c.values });
  }

  const ignored = names.map((n, i) => (used.has(i) ? undefined : n === '' ? `column ${i + 1} (no name)` : quote(n))).filter((n): n is string => n !== undefined);
  const mode =
    settings.mapping === undefined ? 'default header recognition' : settings.preset === undefined ? 'the source mapping' : `the ${settings.preset} preset${settings.mapping.some((b) => b.fromPreset !== true) ? ' and the source mapping' : ''}`;
  const read = slots.filter((s) => s.index !== undefined).map(describeSlot);
  const parts = [`columns read by ${mode}: ${read.length > 0 ? read.join(', ') : 'none'}`];
  parts.push(`ignored: ${ignored.length > 0 ? ignored.join(', ') : 'none'}`);
  if (missing.length > 0) parts.push(`not in the file: ${missing.join(', ')}`);
  const constants = slots.filter((s) => s.constant !== undefined).map((s) => targetName(s.target));
  if (constants.length > 0) parts.push(`constants for: ${constants.join(', ')}`);
  parts.push(...notes);
  problems.unshift({ severity: 'info', code: 'csv_mapping', message: parts.join('; ') });

  if (header.length > 0 && !slots.some((s) => s.target.field === 'title')) {
    problems.push({
      severity: 'warning',
      code: 'csv_no_title_column',
      message: `no column reads as a title (e.g. "titre", "title", "العنوان"), so every row is invalid; map one in the source config. Header: ${names.map(quote).join(', ')}`,
      field: 'title',
    });
  }

  let lastNamed = -1;
  names.forEach((n, i) => {
    if (n !== '') lastNamed = i;
  });
  const identifier = slots.find((s) => s.target.field === 'identifier' && s.index !== undefined);
  return {
    slots,
    minCells: lastNamed + 1,
    headerCells: header.length,
    ...(identifier?.column !== undefined && { identifierColumn: identifier.column }),
    problems,
  };
}

function slotFor(b: ColumnBinding, index: number, column: string): Slot {
  return {
    target: b.target,
    index,
    column,
    ...(b.separator !== undefined && { separator: b.separator }),
    ...(b.dateFormat !== undefined && { dateFormat: b.dateFormat }),
  };
}

/** The outcome of mapping one row. */
export interface RowResult {
  /** Absent when the row has an `error` problem. */
  record?: CanonicalDataset;
  /** The identifier, when known (also for an invalid row whose identifier column was readable). */
  identifier?: string;
  /** The identifier was made from the title and URL. */
  hashed: boolean;
  problems: RecordProblem[];
}

/**
 * A cell as data: trimmed, NFC-normalised (macOS exports decompose accents). A quoted field the
 * writer padded with spaces (`; "a;b" ;`) reaches us with its quotes, which are removed; a value
 * that is quoted inside proper CSV quoting (`"""Les Misérables"""`) has no padding and keeps them.
 */
function clean(raw: string): string {
  let v = raw.trim();
  if (v.length !== raw.length && v.length >= 2 && v.startsWith('"') && v.endsWith('"') && /^"(?:[^"]|"")*"$/.test(v)) {
    v = v.slice(1, -1).replace(/""/g, '"').trim();
  }
  return v.normalize('NFC');
}

function split(v: string, sep: string | RegExp | undefined): string[] {
  if (sep === undefined) return [v];
  const out: string[] = [];
  for (const part of v.split(sep)) {
    const p = part.trim();
    if (p !== '' && !out.includes(p)) out.push(p);
  }
  return out;
}

/** Collects a row's problems; the identifier is attached once known. */
class RowProblems {
  readonly list: RecordProblem[] = [];
  constructor(readonly line: number) {}

  add(severity: RecordProblem['severity'], code: ProblemCode, field: string | undefined, message: string): void {
    this.list.push({ severity, code, message: `line ${this.line}: ${message}`, ...(field !== undefined && { field }) });
  }
}

// A function call right after the sign (`@SUM(`, `+HYPERLINK(`), a cell reference (`-A1`, `+$B$2`)
// or a DDE link (`cmd|' /C calc'!A0`): what a spreadsheet runs. A bare sign before a number or
// words (`+212 537…`, `-5`, `- voir annexe`) is data and is not flagged.
const AFTER_SIGN = /^[+\-@]\s*(?:=|[A-Za-z_][\w.]*\(|\$?[A-Za-z]{1,3}\$?\d+\b)|\|[^|]*!/;

/**
 * True for a cell a spreadsheet would run as a formula once Hasad's data is exported to CSV
 * (OWASP "CSV injection"): after leading blanks, tabs and carriage returns, a `=` with something
 * after it, or `+`, `-`, `@` followed by a formula (see AFTER_SIGN). The value stays as
 * published; exports neutralise it (`neutraliseCsvCell`); the row gets a `csv_formula_cell` warning.
 */
export function formulaLike(raw: string): boolean {
  const v = raw.replace(/^[\s\t\r]+/, '');
  if (v.length < 2) return false;
  if (v[0] === '=') return true;
  return (v[0] === '+' || v[0] === '-' || v[0] === '@') && AFTER_SIGN.test(v);
}

const SLASH_DATE = /^\d{1,2}[/-]\d{1,2}[/-]\d{4}/;
const NUMERIC_DATE = /^(\d{1,2})([/-])(\d{1,2})\2\d{4}\b/;

/** Text written in Arabic script, with no Latin letter (a French title quoting one Arabic word stays untagged). */
function arabicText(v: string): boolean {
  return /\p{Script=Arabic}/u.test(v) && !/\p{Script=Latin}/u.test(v);
}

/** The language a date column's header is written in, when it tells. */
function dateHeaderLanguage(name: string): string | undefined {
  return headerLanguage(name) ?? dateNameLanguage(name);
}

/**
 * Infers the day/month order of every date column that has no `dateFormat`, from the rows given
 * (the first rows of the file) and sets it on the mapping. A value whose first number is above 12
 * (`13/02/2026`) proves day first; one whose second is above 12 (`02/13/2026`), month first. A
 * column that proves neither (every value could be either) is read in its header's language's
 * order: English headers month first, French, Arabic and headers that do not tell day first (the
 * platform's languages, and the defaultLanguage's when it is English). A column that proves both
 * is left alone: its values stay dropped with a warning asking for `dateFormat`. Returns one note
 * per decision, for the `csv_mapping` note.
 */
export function inferDateOrders(m: CompiledMapping, rows: CsvRow[], defaultLanguage = ''): string[] {
  const notes: string[] = [];
  for (const slot of m.slots) {
    if (slot.index === undefined || slot.dateFormat !== undefined || slot.inferredDateFormat !== undefined) continue;
    const type = slot.target.def.type;
    if (type !== 'date' && type !== 'interval') continue;
    let dayFirst: { value: string; line: number } | undefined;
    let monthFirst: { value: string; line: number } | undefined;
    let slashes = 0;
    let dashes = 0;
    for (const row of rows) {
      const v = (row.cells[slot.index] ?? '').trim();
      const d = NUMERIC_DATE.exec(v);
      if (d === null) continue;
      if (d[2] === '/') slashes++;
      else dashes++;
      const [a, b] = [Number(d[1]), Number(d[3])];
      if (a > 12 && b <= 12) dayFirst ??= { value: v, line: row.line };
      else if (b > 12 && a <= 12) monthFirst ??= { value: v, line: row.line };
    }
    if (slashes + dashes === 0) continue;
    const sep = slashes >= dashes ? '/' : '-';
    const column = quote(slot.column ?? '');
    if (dayFirst !== undefined && monthFirst !== undefined) {
      notes.push(`dates in ${column} are written both day first (${quote(dayFirst.value)}, line ${dayFirst.line}) and month first (${quote(monthFirst.value)}, line ${monthFirst.line}); set "dateFormat" on the column to read them`);
      continue;
    }
    let order: 'day' | 'month';
    let why: string;
    if (dayFirst !== undefined) [order, why] = ['day', `${quote(dayFirst.value)} on line ${dayFirst.line} shows it`];
    else if (monthFirst !== undefined) [order, why] = ['month', `${quote(monthFirst.value)} on line ${monthFirst.line} shows it`];
    else {
      ({ order, why } = orderFromName(dateHeaderLanguage(slot.column ?? '') ?? (defaultLanguage || undefined), 'header'));
    }
    const format = (order === 'day' ? `DD${sep}MM${sep}YYYY` : `MM/DD/YYYY`) as DateFormat;
    if (!(DATE_FORMATS as readonly string[]).includes(format)) {
      notes.push(`dates in ${column} are month first with "-" (${why}), a format Hasad does not read; set "dateFormat" on the column`);
      continue;
    }
    slot.inferredDateFormat = format;
    notes.push(`dates in ${column} read ${order} first (${format}): ${why}; a "dateFormat" on the column overrides it`);
  }
  return notes;
}

/**
 * Maps one row. A row with a wrong number of fields or without a title is invalid (`error`,
 * no record); a value that does not fit its field is dropped with a `warning`.
 */
export function mapRow(row: CsvRow, m: CompiledMapping): RowResult {
  const pr = new RowProblems(row.line);
  const cells = row.cells;
  let misaligned: string | undefined;
  if (cells.length < m.minCells) misaligned = `has ${cells.length} field(s), the header has ${m.minCells}`;
  else if (cells.length > m.headerCells && cells.slice(m.headerCells).some((c) => c.trim() !== '')) misaligned = `has ${cells.length} fields, the header has ${m.headerCells}`;

  const rec = newDataset('', {}, {});
  const publisher: Agent = {};
  const contact: ContactPoint = {};
  const period: PeriodOfTime = {};
  const dist: Distribution = {};
  let formats: string[] = [];
  let identifier: string | undefined;

  for (const slot of m.slots) {
    let values: string[] = [];
    if (slot.index !== undefined) {
      const raw = cells[slot.index] ?? '';
      if (formulaLike(raw)) {
        pr.add(
          'warning',
          'csv_formula_cell',
          slot.target.field.replace('distributions[]', 'distributions[0]'),
          `column ${quote(slot.column ?? `${slot.index + 1}`)} (${targetName(slot.target)}) holds ${quote(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw)}, which a spreadsheet would run as a formula; kept as text (CSV exports neutralise it)`,
        );
      }
      const v = clean(raw);
      if (v !== '') values = split(v, slot.separator);
    }
    const fromConstant = values.length === 0 && slot.constant !== undefined;
    if (fromConstant) values = slot.constant as string[];
    if (values.length === 0) continue;
    const { field, lang = '' } = slot.target;
    const name = field.replace('distributions[]', 'distributions[0]');
    const first = values[0] as string;
    const where = `${targetName(slot.target)} ${quote(first)}`;

    if (field === 'identifier') {
      identifier = first;
      continue;
    }
    let value: string | undefined = first;
    switch (slot.target.def.type) {
      case 'url':
        if (!isAbsoluteUrl(first)) {
          pr.add('warning', 'invalid_url', name, `${where} is not an absolute URL; dropped`);
          value = undefined;
        }
        break;
      case 'email':
        value = cleanEmail(first);
        if (value === undefined) pr.add('warning', 'invalid_email', name, `${where} is not an e-mail address; dropped`);
        break;
      case 'date':
        value = parseDate(first, slot.dateFormat) ?? (slot.inferredDateFormat !== undefined ? parseDate(first, slot.inferredDateFormat) : undefined);
        if (value === undefined) pr.add('warning', 'invalid_date', name, badDate(where, first, slot.dateFormat ?? slot.inferredDateFormat));
        break;
      case 'integer':
        if (!/^\d+$/.test(first)) {
          pr.add('warning', 'invalid_number', name, `${where} is not a whole number; dropped`);
          value = undefined;
        }
        break;
      case 'interval': {
        const p = parseInterval(first, slot.dateFormat) ?? (slot.inferredDateFormat !== undefined ? parseInterval(first, slot.inferredDateFormat) : undefined);
        if (p === undefined) pr.add('warning', 'invalid_date', name, badDate(where, first, slot.dateFormat ?? slot.inferredDateFormat, true));
        else rec.temporal.push(p);
        continue;
      }
      default:
        break;
    }
    if (value === undefined) continue;

    switch (field) {
      case 'uri':
      case 'landingPage':
      case 'issued':
      case 'modified':
      case 'license':
      case 'accessRights':
      case 'accrualPeriodicity':
        rec[field] = value;
        break;
      case 'title':
      case 'description':
        // A column whose header does not tell its language ("description") holding Arabic text:
        // the cell's script tells, unless another column already gave the Arabic value.
        if (lang === '' && rec[field].ar === undefined && arabicText(value)) rec[field].ar = value;
        else rec[field][lang] = value;
        break;
      case 'keywords':
        rec.keywords[lang] = values;
        break;
      case 'themes':
      case 'spatial':
      case 'language':
        rec[field] = values;
        break;
      case 'temporal.start':
        period.start = value;
        break;
      case 'temporal.end':
        period.end = value;
        break;
      case 'publisher.name':
        (publisher.name ??= {})[lang] = value;
        break;
      case 'publisher.email':
        publisher.email = value;
        break;
      case 'publisher.uri':
        publisher.uri = value;
        break;
      case 'publisher.homepage':
        publisher.homepage = value;
        break;
      case 'contactPoint.name':
        contact.name = value;
        break;
      case 'contactPoint.email':
        contact.email = value;
        break;
      case 'contactPoint.url':
        contact.url = value;
        break;
      case 'contactPoint.phone':
        contact.phone = value;
        break;
      case 'distributions[].format':
        formats = values;
        break;
      case 'distributions[].title':
        (dist.title ??= {})[lang] = value;
        break;
      case 'distributions[].description':
        (dist.description ??= {})[lang] = value;
        break;
      case 'distributions[].accessUrl':
        dist.accessUrl = value;
        break;
      case 'distributions[].downloadUrl':
        dist.downloadUrl = value;
        break;
      case 'distributions[].mediaType':
        dist.mediaType = value;
        break;
      case 'distributions[].license':
        dist.license = value;
        break;
      case 'distributions[].byteSize':
        dist.byteSize = Number(value);
        break;
      case 'distributions[].issued':
        dist.issued = value;
        break;
      case 'distributions[].modified':
        dist.modified = value;
        break;
      default:
        throw new Error(`csv mapper: field ${field} has no assignment`);
    }
  }

  if (publisher.name !== undefined || publisher.email !== undefined || publisher.uri !== undefined || publisher.homepage !== undefined) rec.publisher = publisher;
  if (Object.keys(contact).length > 0) rec.contactPoint = contact;
  if (period.start !== undefined || period.end !== undefined) rec.temporal.push(period);
  if (formats.length > 0) rec.distributions = formats.map((format) => ({ ...dist, format }));
  else if (Object.keys(dist).length > 0) rec.distributions = [dist];

  const hasTitle = Object.keys(rec.title).length > 0;
  let hashed = false;
  if (identifier === undefined && hasTitle && misaligned === undefined) {
    identifier = hashIdentifier(rec);
    hashed = true;
  }
  if (identifier !== undefined) {
    for (const p of pr.list) p.identifier = identifier;
  }
  const fail = (code: ProblemCode, field: string | undefined, message: string): RowResult => {
    pr.list.push({ severity: 'error', code, message: `line ${row.line}: ${message}`, ...(field !== undefined && { field }), ...(identifier !== undefined && { identifier }) });
    return { ...(identifier !== undefined && { identifier }), hashed, problems: pr.list };
  };
  if (misaligned !== undefined) {
    // The cells are not where the header says: publishing them would put values in the wrong fields.
    return fail('invalid_row', undefined, `the row ${misaligned}; row skipped (check the quoting and the delimiter)`);
  }
  if (!hasTitle) return fail('missing_title', 'title', 'the row has no title; row skipped');
  rec.identifier = identifier as string;
  return { record: rec, identifier: rec.identifier, hashed, problems: pr.list };
}

function badDate(where: string, value: string, format: DateFormat | undefined, interval = false): string {
  const what = interval ? 'an ISO 8601 date or interval (start/end)' : 'an ISO 8601 date';
  if (format !== undefined) return `${where} is not a valid date in ${format}; dropped`;
  const hint = SLASH_DATE.test(value) ? '; set "dateFormat" (e.g. "DD/MM/YYYY") on its column in the source config to read it' : '';
  return `${where} is not ${what}; dropped${hint}`;
}

/**
 * A stable identifier for a row the file gives none: `csv-` + sha1 hex of its titles (every
 * language's value, sorted) and its URL (landing page, else the first distribution's). It changes when
 * the title or URL changes, which then reads as one dataset withdrawn and another created.
 */
export function hashIdentifier(rec: CanonicalDataset): string {
  // Title values without their language tags: changing `defaultLanguage` or moving to a preset must not renumber every row.
  const titles = Object.values(rec.title).sort();
  const d = rec.distributions[0];
  const url = rec.landingPage ?? d?.accessUrl ?? d?.downloadUrl ?? '';
  return HASH_ID_PREFIX + createHash('sha1').update(JSON.stringify([titles, url])).digest('hex');
}
