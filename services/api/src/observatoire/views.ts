import type { ScoreboardSort } from '@hasad/db';
import type { ScoreboardEntry } from '@hasad/pipeline';
import { dirOf, formatDateTime, formatNumber, formatPercent, LANGS, type Lang } from '@hasad/i18n';
import { html, type Html } from '../dashboard/html.ts';
import { t as dashboardText, type MessageKey } from '../dashboard/i18n.ts';
import { o, type LabelKey } from './i18n.ts';

/** Where the scoreboard page lives. */
export const OBSERVATOIRE_PATH = '/observatoire';

/** The order a column sorts in when first clicked: the better first (fewer days, fewer broken links). */
export function defaultOrder(sort: ScoreboardSort): 'asc' | 'desc' {
  return sort === 'name' || sort === 'medianAge' || sort === 'brokenLinks' ? 'asc' : 'desc';
}

export interface ScoreboardView {
  lang: Lang;
  sort: ScoreboardSort;
  order: 'asc' | 'desc';
  entries: ScoreboardEntry[];
  refreshMinutes: number;
}

const days = (lang: Lang, n: number | null) => formatNumber(lang, n, { maximumFractionDigits: 1 });
const count = (lang: Lang, n: number | null) => formatNumber(lang, n);

/** The columns: sort key, heading, and the cell. */
const COLUMNS: ReadonlyArray<readonly [ScoreboardSort, LabelKey, (lang: Lang, e: ScoreboardEntry) => Html | string]> = [
  ['datasets', 'col.datasets', (lang, e) => count(lang, e.datasets)],
  ['updated30', 'col.updated30', (lang, e) => count(lang, e.updated.last30Days)],
  ['updated90', 'col.updated90', (lang, e) => count(lang, e.updated.last90Days)],
  ['updated365', 'col.updated365', (lang, e) => count(lang, e.updated.last365Days)],
  ['medianAge', 'col.medianAge', (lang, e) => days(lang, e.medianAgeDays)],
  [
    'quality',
    'col.quality',
    (lang, e) => (e.quality.score === null ? '—' : html`${formatNumber(lang, e.quality.score, { maximumFractionDigits: 1 })} ${e.quality.rating ? html`<span class="badge q-${e.quality.rating}">${dashboardText(lang, `quality.rating.${e.quality.rating}` as MessageKey)}</span>` : html``}`),
  ],
  ['qualityTrend', 'col.qualityTrend', (lang, e) => formatNumber(lang, e.quality.trend, { maximumFractionDigits: 1, signDisplay: 'exceptZero' })],
  ['brokenLinks', 'col.brokenLinks', (lang, e) => formatPercent(lang, e.brokenLinks.share)],
  ['harvestHealth', 'col.harvestHealth', (lang, e) => formatPercent(lang, e.harvestHealth.share)],
  ['openFormats', 'col.openFormats', (lang, e) => formatPercent(lang, e.openFormats.share)],
];

/** The page's own URL for a language and a sort: every control is a plain link, no script needed. */
export function observatoireHref(q: { lang: Lang; sort: ScoreboardSort; order: 'asc' | 'desc' }): string {
  return `${OBSERVATOIRE_PATH}?lang=${q.lang}&sort=${q.sort}&order=${q.order}`;
}

function heading(v: ScoreboardView, sort: ScoreboardSort, label: string, num: boolean): Html {
  const current = v.sort === sort;
  const order = current ? (v.order === 'asc' ? 'desc' : 'asc') : defaultOrder(sort);
  const arrow = current ? (v.order === 'asc' ? ' ▲' : ' ▼') : '';
  return html`<th scope="col" class="${num ? 'num' : ''}" ${current ? html`aria-sort="${v.order === 'asc' ? 'ascending' : 'descending'}"` : html``} data-sort="${sort}"><a href="${observatoireHref({ lang: v.lang, sort, order })}" data-testid="sort-${sort}">${label}${arrow}</a>${current ? html`<span class="visually-hidden"> (${o(v.lang, v.order === 'asc' ? 'sort.asc' : 'sort.desc')})</span>` : html``}</th>`;
}

export function scoreboardView(v: ScoreboardView): Html {
  const { lang } = v;
  const computed = v.entries.map((e) => e.computedAt).filter((d): d is string => d !== null).sort().pop();
  const csv = `/api/v1/scoreboard?format=csv&sort=${v.sort}&order=${v.order}`;
  return html`<h1>${o(lang, 'page.title')}</h1>
<p class="sub">${o(lang, 'page.intro')}</p>
<p class="muted" data-testid="computed">${o(lang, 'page.computed', { minutes: formatNumber(lang, v.refreshMinutes), at: computed ? formatDateTime(lang, computed) : o(lang, 'page.notComputed') })}</p>
<p><a href="${csv}" download data-testid="csv">${o(lang, 'page.csv')}</a></p>
<section class="card">
${v.entries.length === 0
  ? html`<p>${o(lang, 'page.none')}</p>`
  : html`<table class="wide" data-testid="scoreboard">
<thead><tr>${heading(v, 'name', o(lang, 'col.institution'), false)}${COLUMNS.map(([sort, label]) => heading(v, sort, o(lang, label), true))}</tr></thead>
<tbody>
${v.entries.map(
  (e) => html`<tr data-org="${e.organization.slug}">
<th scope="row"><bdi>${e.organization.name}</bdi></th>${COLUMNS.map(([sort, , cell]) => html`<td class="num" data-figure="${sort}">${e.computedAt === null && sort !== 'datasets' ? '—' : cell(lang, e)}</td>`)}
</tr>`,
)}
</tbody>
</table>`}
</section>
<section class="card">
<h2>${o(lang, 'legend.title')}</h2>
<dl class="legend">
${(
  [
    ['col.datasets', 'legend.datasets'],
    ['col.updated30', 'legend.updated'],
    ['col.medianAge', 'legend.medianAge'],
    ['col.quality', 'legend.quality'],
    ['col.brokenLinks', 'legend.brokenLinks'],
    ['col.harvestHealth', 'legend.harvestHealth'],
    ['col.openFormats', 'legend.openFormats'],
  ] as const
).map(([term, text]) => html`<dt>${o(lang, term)}</dt><dd>${o(lang, text)}</dd>`)}
</dl>
</section>`;
}

/** The public page around `body`: the dashboard's stylesheet, no script, the language links (which keep the sort). */
export function observatoirePage(v: ScoreboardView, body: Html): Html {
  const { lang } = v;
  return html`<!doctype html>
<html lang="${lang}" dir="${dirOf(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o(lang, 'page.title')} · Hasad</title>
<link rel="icon" href="/dashboard/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/static/dashboard.css">
${LANGS.filter((x) => x !== lang).map((x) => html`<link rel="alternate" hreflang="${x}" href="${observatoireHref({ ...v, lang: x })}">`)}
</head>
<body data-lang="${lang}">
<header class="top">
  <a class="brand" href="${observatoireHref(v)}">حصاد Hasad · ${o(lang, 'page.title')}</a>
  <nav class="langs" aria-label="langue / اللغة / language">${LANGS.map((x) =>
    x === lang ? html`<strong lang="${x}">${o(x, 'lang.name')}</strong>` : html`<a lang="${x}" hreflang="${x}" href="${observatoireHref({ ...v, lang: x })}">${o(x, 'lang.name')}</a>`,
  )}</nav>
</header>
<main>
${body}
</main>
</body>
</html>`;
}
