import type { RunPoint } from '@hasad/db';
import { html, type Html } from './html.ts';
import { formatDateTime, formatDuration } from './format.ts';
import { t, type Lang } from './i18n.ts';

/**
 * Inline SVG charts drawn on the server: no script, no chart library, nothing to download.
 * Colours come from the stylesheet through `st-<status>` classes.
 */

/** A small bar per run (height = duration, colour = status), oldest left: the sources list's trend. */
export function trendSparkline(lang: Lang, runs: RunPoint[], width = 120, height = 24): Html {
  if (runs.length === 0) return html``;
  const slots = 12;
  const bar = width / slots;
  const max = Math.max(1, ...runs.map((r) => r.durationMs ?? 0));
  const offset = slots - runs.length;
  return html`<svg class="spark" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${runs.map((r) => t(lang, `status.${r.status}` as 'status.failed')).join(', ')}</title>${runs.map((r, i) => {
    const h = Math.max(3, Math.round(((r.durationMs ?? 0) / max) * (height - 2)));
    return html`<rect class="st-${r.status}" x="${((offset + i) * bar + 1).toFixed(1)}" y="${height - h}" width="${(bar - 2).toFixed(1)}" height="${h}"><title>${formatDateTime(lang, r.createdAt)}: ${t(lang, `status.${r.status}` as 'status.failed')}, ${formatDuration(r.durationMs)}</title></rect>`;
  })}</svg>`;
}

/** The source page's history: one bar per run (duration, coloured by status) and a line of datasets seen, oldest left. */
export function historyChart(lang: Lang, newestFirst: RunPoint[], width = 720, height = 180): Html {
  const runs = [...newestFirst].reverse();
  if (runs.length === 0) return html``;
  const pad = { l: 56, r: 56, t: 10, b: 22 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const slot = w / Math.max(runs.length, 10);
  const maxMs = Math.max(1, ...runs.map((r) => r.durationMs ?? 0));
  const maxSeen = Math.max(1, ...runs.map((r) => r.seen));
  const x = (i: number) => pad.l + i * slot;
  const line = runs.map((r, i) => `${(x(i) + slot / 2).toFixed(1)},${(pad.t + h - (r.seen / maxSeen) * h).toFixed(1)}`).join(' ');
  return html`<svg class="history" role="img" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
  <title>${t(lang, 'source.chartLegend')}</title>
  <line class="axis" x1="${pad.l}" y1="${pad.t + h}" x2="${pad.l + w}" y2="${pad.t + h}"/>
  <text class="label" x="${pad.l - 4}" y="${pad.t + 10}" text-anchor="end">${formatDuration(maxMs)}</text>
  <text class="label" x="${pad.l - 4}" y="${pad.t + h}" text-anchor="end">0</text>
  <text class="label seen" x="${pad.l + w + 4}" y="${pad.t + 10}">${maxSeen}</text>
  ${runs.map((r, i) => {
    const bh = Math.max(2, ((r.durationMs ?? 0) / maxMs) * h);
    return html`<rect class="st-${r.status}" x="${(x(i) + 1).toFixed(1)}" y="${(pad.t + h - bh).toFixed(1)}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${bh.toFixed(1)}"><title>${formatDateTime(lang, r.createdAt)}: ${t(lang, `status.${r.status}` as 'status.failed')}, ${formatDuration(r.durationMs)}, ${t(lang, 'col.seen')} ${r.seen}</title></rect>`;
  })}
  <polyline class="seen" fill="none" points="${line}"/>
</svg>`;
}
