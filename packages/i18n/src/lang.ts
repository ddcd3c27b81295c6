/** The languages of every page, notification and API message: French first, Arabic (right to left), English. */
export const LANGS = ['fr', 'ar', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'fr';

/** One text in each language. */
export type Texts = Record<Lang, string>;

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

export const dirOf = (lang: Lang): 'rtl' | 'ltr' => (lang === 'ar' ? 'rtl' : 'ltr');

/** The locale each language is formatted in (digits, separators, dates): Moroccan Arabic, metropolitan French. */
export const LOCALES: Record<Lang, string> = { fr: 'fr-FR', ar: 'ar-MA', en: 'en-GB' };

/**
 * The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4: ranges with
 * q-values, `*`, primary subtags such as `ar-MA`), or `fallback` when none is acceptable.
 * Hand-written: a dozen lines, and the negotiator packages carry locale tables we do not need.
 */
export function negotiateLang(header: string | string[] | undefined, fallback: Lang = DEFAULT_LANG): Lang {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return fallback;
  let best: { lang: Lang; q: number; order: number } | undefined;
  value.split(',').forEach((part, order) => {
    const [range = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0 || q > 1) return;
    const primary = range.trim().toLowerCase().split('-')[0];
    const lang = primary === '*' ? fallback : primary;
    if (!isLang(lang)) return;
    if (!best || q > best.q || (q === best.q && order < best.order)) best = { lang, q, order };
  });
  return best?.lang ?? fallback;
}
