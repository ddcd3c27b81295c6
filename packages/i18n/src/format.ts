import { LOCALES, type Lang } from './lang.ts';

/** The zone times are shown in when the reader has none of their own: the catalogue's (Morocco). */
export const DISPLAY_TIME_ZONE = 'Africa/Casablanca';

const cache = new Map<string, unknown>();
/** Intl objects are costly to build: one per language and options. */
function cached<T>(key: string, make: () => T): T {
  let v = cache.get(key) as T | undefined;
  if (v === undefined) cache.set(key, (v = make()));
  return v;
}

/** The CLDR plural category of `n` in `lang` (`one`, `two`, `few`, `many`, `other`, and `zero` in Arabic). */
export function pluralCategory(lang: Lang, n: number): Intl.LDMLPluralRule {
  return cached(`pr:${lang}`, () => new Intl.PluralRules(LOCALES[lang])).select(n);
}

/** The forms of a counted phrase; `other` is required, the others as the language has them. `{n}` is the formatted count. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/** The form of `forms` for `n` in `lang`, with `{n}` replaced by the number as the language writes it. */
export function plural(lang: Lang, n: number, forms: PluralForms): string {
  const form = forms[pluralCategory(lang, n)] ?? forms.other;
  return form.replaceAll('{n}', formatNumber(lang, n));
}

export function formatNumber(lang: Lang, n: number | null | undefined, opts: Intl.NumberFormatOptions = {}): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return cached(`nf:${lang}:${JSON.stringify(opts)}`, () => new Intl.NumberFormat(LOCALES[lang], opts)).format(n);
}

/** A percentage from a share (0.25 → 25 %), as the language writes it. */
export function formatPercent(lang: Lang, share: number | null | undefined): string {
  return formatNumber(lang, share, { style: 'percent', maximumFractionDigits: 1 });
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size in bytes with the unit the language uses (1,5 Mo, 1.5 MB, 1٫5 ميغابايت), by powers of 1 000. */
export function formatBytes(lang: Lang, n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < BYTE_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return formatNumber(lang, v, { style: 'unit', unit: BYTE_UNITS[i], unitDisplay: 'short', maximumFractionDigits: i === 0 ? 0 : 1 });
}

/** Date and time in `timeZone` with the zone's name, so that a reader elsewhere knows which clock it is. */
export function formatDateTime(lang: Lang, d: Date | string | null | undefined, timeZone = DISPLAY_TIME_ZONE): string {
  if (d === null || d === undefined) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) return '—';
  return cached(
    `dt:${lang}:${timeZone}`,
    () => new Intl.DateTimeFormat(LOCALES[lang], { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone, timeZoneName: 'short' }),
  ).format(date);
}

/** A duration as the language writes it (12 s, 3 min 12 s, 2 h 05 min), from milliseconds. */
export function formatDuration(lang: Lang, ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const unit = (v: number, u: 'second' | 'minute' | 'hour', digits = 0) => formatNumber(lang, v, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: digits });
  if (ms < 60_000) return unit(ms / 1000, 'second', ms < 10_000 ? 2 : 1);
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${unit(Math.floor(s / 60), 'minute')} ${unit(s % 60, 'second')}`;
  return `${unit(Math.floor(s / 3600), 'hour')} ${unit(Math.floor((s % 3600) / 60), 'minute')}`;
}
