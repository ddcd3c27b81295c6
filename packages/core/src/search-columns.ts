/**
 * The search and facet columns of a dataset, derived from its canonical record in JavaScript
 * so that the loader's upsert does not pay PostgreSQL's per-row SQL function calls. These are
 * the same rules as the SQL functions of migration 0002_search_functions (which the trigger
 * applies for every other writer); search-columns.int.test.ts checks that both agree.
 *
 * The texts are Arabic-normalised here ({@link searchNorm}, the twin of SQL's
 * `hasad_search_norm()`, about 20 µs a row cheaper) and the upsert hands them to
 * `to_tsvector('hasad_fr', …)`, the configuration queries go through.
 */
export interface SearchColumns {
  titleText: string;
  keywordsText: string;
  descriptionText: string;
  themes: string[];
  formats: string[];
  keywords: string[];
  languages: string[];
}

const EU_FILE_TYPE = /^https?:\/\/publications\.europa\.eu\/resource\/authority\/file-type\/[^/]+$/i;
const IANA_MEDIA_TYPE = /^https?:\/\/(www\.)?iana\.org\/assignments\/media-types\//i;
/** ISO 639-2 codes to the two-letter code (as `hasad_languages()`). */
const LANG_639_1: Record<string, string> = { fra: 'fr', fre: 'fr', ara: 'ar', eng: 'en', spa: 'es', deu: 'de', ger: 'de', ita: 'it', por: 'pt', nld: 'nl' };

/** Harakat and tatweel (removed) and the letter variants (folded), in one pass. */
const AR_NORM = /[\u064B-\u0652\u0640أإآىة]/g;
const AR_FOLD: Record<string, string> = { 'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ى': 'ي', 'ة': 'ه' };
const AR_ARTICLE = /(?<![\u0621-\u064A])(?:[وف]?[بكل]?ال|لل)(?=[\u0621-\u064A]{2})/g;
const AR_WAW = /(?<![\u0621-\u064A])و(?=[\u0621-\u064A]{3})/g;
const HAS_ARABIC = /[\u0600-\u06FF]/;

/**
 * Arabic normalisation and light stemming, exactly as SQL's `hasad_search_norm()` (=
 * `hasad_ar_light(hasad_ar_norm(t))`, migration 0002): harakat and tatweel removed, أ إ آ → ا,
 * ى → ي, ة → ه, then the joined article and its prepositions, then a leading و, stripped.
 * Text without Arabic letters is returned as is.
 */
export function searchNorm(t: string): string {
  if (!HAS_ARABIC.test(t)) return t;
  return t
    .replace(AR_NORM, (c) => AR_FOLD[c] ?? '')
    .replace(AR_ARTICLE, '')
    .replace(AR_WAW, '');
}

/** Every string in a JSON value, depth first (as `hasad_strings()`). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const distinctSorted = (values: Iterable<string>) => [...new Set(values)].sort();
const trimmed = (values: string[]) => values.map((s) => s.trim()).filter((s) => s !== '');

/** A format as facets show it (as `hasad_format_label()`): `CSV` for the EU file-type URI and for `csv`. */
export function formatLabel(f: string): string {
  if (EU_FILE_TYPE.test(f)) return (f.split('/').pop() ?? '').toUpperCase();
  if (IANA_MEDIA_TYPE.test(f)) return f.replace(/^.*\/media-types\//i, '').toLowerCase();
  if (!/[/:]/.test(f)) return f.trim().toUpperCase();
  return f.trim();
}

/** A language code as `datasets.languages` holds it (as `hasad_languages()`): `FRA`, `fr-MA`, an EU URI → `fr`. */
export function languageKey(v: string): string {
  const x = v.toLowerCase().replace(/^.*\//, '').split('-')[0] ?? '';
  return LANG_639_1[x] ?? x;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function searchColumns(record: Record<string, unknown>): SearchColumns {
  const themes = Array.isArray(record.themes) ? trimmed(record.themes.filter((t): t is string => typeof t === 'string')) : [];
  const formats: string[] = [];
  if (Array.isArray(record.distributions)) {
    for (const d of record.distributions) {
      if (!isObject(d)) continue;
      const f = typeof d.format === 'string' ? d.format : typeof d.mediaType === 'string' ? d.mediaType : undefined;
      if (f !== undefined) formats.push(formatLabel(f));
    }
  }
  const languages: string[] = [];
  if (Array.isArray(record.language)) for (const l of record.language) if (typeof l === 'string') languages.push(languageKey(l));
  for (const map of [record.title, record.description]) if (isObject(map)) for (const k of Object.keys(map)) languages.push(languageKey(k));
  return {
    // The separator only keeps the last word of one value and the first of the next apart.
    titleText: searchNorm(strings(record.title).join('\n')),
    keywordsText: searchNorm(strings(record.keywords).join('\n')),
    descriptionText: searchNorm(strings(record.description).join('\n')),
    themes: distinctSorted(themes),
    formats: distinctSorted(formats.filter((f) => f !== '')),
    keywords: distinctSorted(trimmed(strings(record.keywords))),
    languages: distinctSorted(languages.filter((l) => l !== '')),
  };
}
