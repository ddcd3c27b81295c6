import { normaliseDate } from '../shared/values.ts';

/**
 * Value readers for CKAN package dicts. Pure functions: each returns `undefined` for a value it
 * cannot read; the mapper decides whether that deserves a warning.
 */

/** A trimmed, non-empty string; numbers and booleans as text (scheming and extras mix them). */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    return s === '' ? undefined : s;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** A plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NAMED_ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'", nbsp: '\u00a0' };
const ENTITY_RE = /&(?:(quot|amp|lt|gt|apos|nbsp)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g;

/** True when the text holds HTML character references (DKAN escapes its extras values). */
export function hasEntities(s: string): boolean {
  ENTITY_RE.lastIndex = 0;
  return ENTITY_RE.test(s);
}

/** Decodes the HTML character references DKAN leaves in extras values (`&quot;`, `&#39;`, `&#x27;` ...). */
export function decodeEntities(s: string): string {
  return s.replace(ENTITY_RE, (whole, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? whole;
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex as string, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Parses JSON held in a string (extras values are strings even when they hold lists or objects).
 * The raw text is tried first so that JSON legitimately containing `&amp;` is left alone; only
 * when that fails and the text carries HTML references is the decoded text tried.
 * @returns `{ ok: false }` when neither parses.
 */
export function parseJsonText(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    if (!hasEntities(s)) return { ok: false };
    try {
      return { ok: true, value: JSON.parse(decodeEntities(s)) };
    } catch {
      return { ok: false };
    }
  }
}

const ABSOLUTE_URL = /^(https?|ftps?):\/\/[^\s]+$/i;

/** An absolute http(s)/ftp(s) URL as given, or undefined. */
export function urlValue(v: unknown): string | undefined {
  const s = text(v);
  return s !== undefined && ABSOLUTE_URL.test(s) && URL.canParse(s) ? s : undefined;
}

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** An e-mail address without the `mailto:` scheme, or undefined when it does not look like one. */
export function emailValue(v: unknown): string | undefined {
  const s = text(v)?.replace(/^mailto:/i, '').split('?')[0]?.trim();
  return s !== undefined && EMAIL_RE.test(s) ? s : undefined;
}

const LANG_TAG = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/;

/** A BCP 47 style tag, lower-cased with `-` separators (`fr`, `ar-ma`, `zh-hant`), or undefined. */
export function langTag(v: string): string | undefined {
  const t = v.trim().toLowerCase().replace(/_/g, '-');
  return LANG_TAG.test(t) ? t : undefined;
}

/** A `dct:language` value: a language code (`fr`, `fre`, `ar-MA`) or an absolute URI. */
export function languageValue(v: string): string | undefined {
  const s = v.trim();
  if (urlValue(s) !== undefined) return s;
  return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/.test(s) ? s : undefined;
}

/**
 * A size in bytes: a non-negative integer, as a number or as text, optionally followed by a
 * byte unit (`"42"`, `"42 octets"`, `"1024 bytes"`). Other units (`"2 Mo"`) are not converted:
 * the rounding of a human label is not a byte count.
 */
export function byteSizeValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const s = text(v);
  if (s === undefined) return undefined;
  const m = /^\+?(\d+)(?:\.0*)?\s*(?:o|octets?|b|bytes?)?$/i.exec(s);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

// CKAN writes its own timestamps (metadata_created, resource created ...) with Python's
// isoformat() on naive UTC datetimes: `2017-08-05T03:16:52.857800`, no offset.
const CKAN_NAIVE_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

const strip = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

const WEEKDAYS: Record<string, number> = {
  dimanche: 0, dim: 0, lundi: 1, lun: 1, mardi: 2, mar: 2, mercredi: 3, mer: 3, jeudi: 4, jeu: 4, vendredi: 5, ven: 5, samedi: 6, sam: 6,
};
const MONTHS: Record<string, number> = {
  janvier: 1, janv: 1, jan: 1, fevrier: 2, fevr: 2, fev: 2, mars: 3, avril: 4, avr: 4, mai: 5, juin: 6, juillet: 7, juil: 7,
  aout: 8, septembre: 9, sept: 9, sep: 9, octobre: 10, oct: 10, novembre: 11, nov: 11, decembre: 12, dec: 12,
};
const WEEKDAY_ALT = Object.keys(WEEKDAYS).sort((a, b) => b.length - a.length).join('|');
const MONTH_ALT = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');
// Drupal (DKAN) renders dates with the site's French locale: "mercredi, 12 juillet 2017 - 10:05",
// "mar, 10/12/2019 - 09:23", sometimes behind a "Date changed" label.
const FRENCH_DATE = new RegExp(
  `^(?:date changed\\s+)?(?:(${WEEKDAY_ALT})\\.?,?\\s+)?(\\d{1,2})(?:er)?(?:/(\\d{1,2})/(\\d{4})|\\s+(${MONTH_ALT})\\.?\\s+(\\d{4}))` +
    `(?:\\s*(?:-|a|,)?\\s*(\\d{1,2})[:h](\\d{2})(?::(\\d{2}))?)?$`,
);

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Reads a date written the French way by Drupal/DKAN. A numeric `dd/mm/yyyy` date is accepted
 * only with its weekday, and the weekday must match: that is what tells `10/12/2019` (10 December)
 * from an American `m/d/Y` one. Times are local to the portal, so no offset is added.
 * @returns an ISO 8601 date or date-time, or undefined.
 */
export function parseFrenchDate(raw: string): string | undefined {
  const m = FRENCH_DATE.exec(strip(raw.trim()).replace(/\s+/g, ' '));
  if (m === null) return undefined;
  const [, wd, d, numMonth, numYear, monthName, nameYear, h, mi, s] = m;
  if (numMonth !== undefined && wd === undefined) return undefined;
  const day = Number(d);
  const month = numMonth !== undefined ? Number(numMonth) : (MONTHS[monthName as string] as number);
  const year = Number(numYear ?? nameYear);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (wd !== undefined && new Date(Date.UTC(year, month - 1, day)).getUTCDay() !== WEEKDAYS[wd]) return undefined;
  let out = `${year}-${pad(month)}-${pad(day)}`;
  if (h !== undefined) {
    const hour = Number(h);
    const minute = Number(mi);
    const second = s === undefined ? 0 : Number(s);
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    out += `T${pad(hour)}:${pad(minute)}:${pad(second)}`;
  }
  return out;
}

/**
 * A date as CKAN-compatible portals write it, normalised to ISO 8601: ISO forms (`2019-09-30
 * 22:00:00` too), or French Drupal forms. With `ckanUtc`, an offset-less ISO date-time in CKAN's
 * own `isoformat()` shape is CKAN's naive UTC and gets its `Z`, so that it sorts and compares
 * with other instants correctly.
 * @returns undefined when the text is not a date that can be read without guessing.
 */
export function dateValue(v: unknown, opts: { ckanUtc?: boolean; order?: 'day' | 'month' } = {}): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const iso = normaliseDate(s);
  if (iso !== undefined) return opts.ckanUtc === true && CKAN_NAIVE_UTC.test(s) ? `${iso}Z` : iso;
  return parseFrenchDate(s) ?? (opts.order === undefined ? undefined : numericDate(s, opts.order));
}

/** `13/02/2026`, `02-13-2026`, `13.02.2026` read in the order given (inferred from the portal's values). */
function numericDate(s: string, order: 'day' | 'month'): string | undefined {
  const m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/.exec(s.trim());
  if (m === null) return undefined;
  const [day, month] = order === 'day' ? [m[1], m[3]] : [m[3], m[1]];
  // normaliseDate checks the ranges (month 13, 31 April).
  return normaliseDate(`${m[4]}-${(month as string).padStart(2, '0')}-${(day as string).padStart(2, '0')}`);
}

/**
 * A GeoJSON geometry (an object with a string `type`), given as an object or as JSON text
 * (possibly HTML-escaped), re-serialised compactly so that spacing does not change the record.
 */
export function geoJsonValue(v: unknown): string | undefined {
  let value = v;
  if (typeof v === 'string') {
    const parsed = parseJsonText(v.trim());
    if (!parsed.ok) return undefined;
    value = parsed.value;
  }
  return isObject(value) && typeof value['type'] === 'string' ? JSON.stringify(value) : undefined;
}
