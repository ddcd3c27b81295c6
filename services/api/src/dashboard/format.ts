import type { Lang } from './i18n.ts';

const LOCALES: Record<Lang, string> = { fr: 'fr-FR', ar: 'ar-MA', en: 'en-GB' };
/** Operators work in Moroccan time; the `datetime` attribute keeps the exact instant. */
export const DISPLAY_TIME_ZONE = 'Africa/Casablanca';

const dateTimeFormats = new Map<Lang, Intl.DateTimeFormat>();

export function formatDateTime(lang: Lang, d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return '—';
  let f = dateTimeFormats.get(lang);
  if (!f) dateTimeFormats.set(lang, (f = new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'short', timeStyle: 'medium', timeZone: DISPLAY_TIME_ZONE })));
  return f.format(typeof d === 'string' ? new Date(d) : d);
}

export function formatNumber(lang: Lang, n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString(LOCALES[lang]);
}

/** 0.4 s, 12.3 s, 3 min 12 s, 2 h 05 min. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
