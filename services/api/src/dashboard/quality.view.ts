import { redactUrl } from '@hasad/core';
import { improvementText } from '@hasad/i18n';
import { DIMENSION_LABELS, DIMENSIONS, type SourceQuality } from '@hasad/quality';
import { formatDateTime, formatNumber } from './format.ts';
import { html, type Html } from './html.ts';
import { t, type Lang, type MessageKey } from './i18n.ts';

/**
 * The source page's "Metadata quality" section: the source's score in the spirit of the European
 * data portal's MQA (from `getSourceQuality`), per dimension, what would raise it most, and the
 * sampled link check. Labels of dimensions and improvements come from @hasad/quality.
 */
export function qualityView(lang: Lang, q: SourceQuality): Html {
  if (q.score === null) {
    return html`<section class="card" data-testid="quality"><h2>${t(lang, 'source.quality')}</h2><p class="muted">${t(lang, 'quality.none', { n: q.datasets })}</p></section>`;
  }
  // Newer versions of @hasad/db store the aggregate after each complete run and say when.
  const computedAt = (q as { computedAt?: string }).computedAt;
  return html`<section class="card" data-testid="quality">
  <h2>${t(lang, 'source.quality')}</h2>
  <p class="score"><strong data-testid="quality-score">${q.score} / ${q.max}</strong> ${q.rating ? html`<span class="badge q-${q.rating}">${t(lang, `quality.rating.${q.rating}` as MessageKey)}</span>` : html``}
    <span class="muted">${t(lang, 'quality.scored', { scored: q.scored, datasets: q.datasets })}${computedAt ? html` · ${t(lang, 'quality.computedAt', { date: formatDateTime(lang, computedAt) })}` : html``}</span></p>
  <table class="dims"><tbody>
  ${DIMENSIONS.filter((d) => q.dimensions[d].max > 0).map(
    (d) => html`<tr><th scope="row">${DIMENSION_LABELS[d][lang]}</th><td><meter min="0" max="${q.dimensions[d].max}" value="${q.dimensions[d].average}"></meter></td><td class="num">${formatNumber(lang, q.dimensions[d].average)} / ${q.dimensions[d].max}</td></tr>`,
  )}
  </tbody></table>
  ${q.improvements.length
    ? html`<h3>${t(lang, 'quality.improvements')}</h3>
  <table class="wide" data-testid="quality-improvements"><thead><tr><th>${t(lang, 'quality.action')}</th><th>${t(lang, 'col.datasets')}</th><th>${t(lang, 'quality.gain')}</th></tr></thead><tbody>
  ${q.improvements.map((i) => html`<tr><td>${improvementText(lang, i.code)}</td><td class="num">${formatNumber(lang, i.datasets)}</td><td class="num">+${formatNumber(lang, i.averageGain)}</td></tr>`)}
  </tbody></table>`
    : html``}
  <p class="muted">${t(lang, 'quality.links', { checked: q.links.checked, broken: q.links.broken })}${q.links.lastCheckedAt ? html` · ${formatDateTime(lang, q.links.lastCheckedAt)}` : html``}</p>
  ${q.links.brokenExamples.length
    ? html`<ul class="examples">${q.links.brokenExamples.map((b) => html`<li dir="ltr"><code>${b.httpStatus ?? b.error ?? ''}</code> ${redactUrl(b.url)}</li>`)}</ul>`
    : html``}
</section>`;
}
