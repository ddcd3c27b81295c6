import { formatBytes, formatDateTime, formatNumber } from '@hasad/i18n';

/** Numbers, sizes and times come from the shared catalogue (@hasad/i18n): times carry their zone. */
export { DISPLAY_TIME_ZONE } from '@hasad/i18n';
export { formatBytes, formatDateTime, formatNumber };

/** 0.4 s, 12.3 s, 3 min 12 s, 2 h 05 min: the SI symbols read the same in the three languages. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
