import { redactConfig, redactUrl } from '@hasad/core';
import { QUEUE_NAMES, type QueueName } from '@hasad/queues';
import type { DashboardSource, IriClash, PendingWithdrawal, ProblemGroup, Run, RunPoint, RunTimeline, Source } from '@hasad/db';
import { historyChart, trendSparkline } from './charts.ts';
import { formatBytes, formatDateTime, formatDuration, formatNumber } from './format.ts';
import { html, safeHref, type Html } from './html.ts';
import { runReviewText } from '../shared/runs.ts';
import { counted, problemText, reviewText, scheduleText, severityText, statusText, triggerText } from '@hasad/i18n';
import { t, type Lang } from './i18n.ts';
import { actionForm, approvalBadge, csrfField, DASHBOARD_PATH, statusBadge, type PageContext } from './layout.ts';
import { FAILING_AFTER, type computeSnapshot, type ProgressView } from './live.ts';

const D = DASHBOARD_PATH;
const sourceHref = (id: string) => `${D}/sources/${id}`;
const runHref = (id: string) => `${D}/runs/${id}`;
const time = (lang: Lang, d: Date | null | undefined) => (d ? html`<time datetime="${d.toISOString()}">${formatDateTime(lang, d)}</time>` : html`—`);
const sourceName = (s: { title: string | null; url: string }) => s.title ?? redactUrl(s.url);

export function signInView(lang: Lang, csrf: string, next: string, error?: string): Html {
  return html`<section class="card narrow">
  <h1>${t(lang, 'signin.title')}</h1>
  ${error ? html`<p class="flash error" role="alert" data-testid="sign-in-error">${error}</p>` : html``}
  <form method="post" action="${D}/sign-in">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="next" value="${next}">
    <label for="token">${t(lang, 'signin.token')}</label>
    <input id="token" name="token" type="password" autocomplete="off" required pattern="hsd_.*" dir="ltr">
    <p class="help">${t(lang, 'signin.help')}</p>
    <button type="submit">${t(lang, 'signin.submit')}</button>
  </form>
</section>`;
}

/** A progress bar: pages fetched out of the pages the last complete run had (indeterminate for a first run). */
export function progressBar(p: Pick<ProgressView, 'id' | 'pagesFetched' | 'expectedPages'> & { final?: boolean }): Html {
  const max = p.final ? Math.max(1, p.pagesFetched) : p.expectedPages ? Math.max(p.expectedPages, p.pagesFetched + 1) : null;
  return max === null
    ? html`<progress data-run-progress="${p.id}"></progress>`
    : html`<progress data-run-progress="${p.id}" max="${max}" value="${p.final ? max : p.pagesFetched}"></progress>`;
}

function liveRunRow(lang: Lang, r: ProgressView): Html {
  return html`<tr data-run="${r.id}">
  <td><a href="${runHref(r.id)}">${r.source}</a></td>
  <td>${r.organization}</td>
  <td>${statusBadge(lang, r.status)}</td>
  <td>${progressBar(r)}</td>
  <td class="num" data-field="pagesFetched">${formatNumber(lang, r.pagesFetched)}</td>
  <td class="num" data-field="records">${formatNumber(lang, r.records)}</td>
  <td class="num" data-field="recordsPerSecond">${r.recordsPerSecond === null ? '—' : `${formatNumber(lang, r.recordsPerSecond)} ${t(lang, 'misc.perSecond')}`}</td>
  <td class="num" data-field="elapsedMs">${formatDuration(r.elapsedMs)}</td>
</tr>`;
}

const OUTCOMES = ['succeeded', 'unchanged', 'needs_review', 'failed', 'cancelled', 'running', 'queued'] as const;

export function overviewView(lang: Lang, ctx: PageContext, s: Awaited<ReturnType<typeof computeSnapshot>>, clashes: IriClash[] = []): Html {
  const q = (name: QueueName) =>
    html`<tr><th scope="row">${name}</th>${(['waiting', 'active', 'delayed', 'failed'] as const).map((st) => html`<td class="num" data-live="queues.${name}.${st}">${formatNumber(lang, s.queues[name][st])}</td>`)}</tr>`;
  return html`<h1>${t(lang, 'overview.title')}</h1>
<div class="grid">
<section class="card">
  <h2>${t(lang, 'overview.queues')}</h2>
  <table data-testid="queues"><thead><tr><th>${t(lang, 'queue.name')}</th><th>${t(lang, 'queue.waiting')}</th><th>${t(lang, 'queue.active')}</th><th>${t(lang, 'queue.delayed')}</th><th>${t(lang, 'queue.failed')}</th></tr></thead>
  <tbody>${QUEUE_NAMES.map(q)}</tbody></table>
</section>
<section class="card">
  <h2>${t(lang, 'overview.rates')}</h2>
  <dl class="figures">
    <div><dt>${t(lang, 'rate.pages')}</dt><dd data-live="rates.pagesPerMinute">${formatNumber(lang, s.rates.pagesPerMinute)}</dd></div>
    <div><dt>${t(lang, 'rate.fetched')}</dt><dd data-live="rates.recordsFetchedPerMinute">${formatNumber(lang, s.rates.recordsFetchedPerMinute)}</dd></div>
    <div><dt>${t(lang, 'rate.batches')}</dt><dd data-live="rates.batchesPerMinute">${formatNumber(lang, s.rates.batchesPerMinute)}</dd></div>
    <div><dt>${t(lang, 'rate.loaded')}</dt><dd data-live="rates.recordsLoadedPerMinute">${formatNumber(lang, s.rates.recordsLoadedPerMinute)}</dd></div>
  </dl>
</section>
<section class="card">
  <h2>${t(lang, 'overview.outcomes')}</h2>
  <dl class="figures" data-testid="outcomes">
    ${OUTCOMES.map((o) => html`<div><dt>${statusBadge(lang, o)}</dt><dd data-live="outcomes.${o}" data-default="0">${formatNumber(lang, s.outcomes[o] ?? 0)}</dd></div>`)}
  </dl>
</section>
</div>
<section class="card">
  <h2>${t(lang, 'overview.running')} (<span data-live="counts.running">${s.live.length}</span>)</h2>
  <table class="wide" data-testid="live-runs"><thead><tr><th>${t(lang, 'col.source')}</th><th>${t(lang, 'col.organization')}</th><th>${t(lang, 'col.status')}</th><th>${t(lang, 'col.progress')}</th><th>${t(lang, 'col.pages')}</th><th>${t(lang, 'col.records')}</th><th>${t(lang, 'col.rate')}</th><th>${t(lang, 'col.elapsed')}</th></tr></thead>
  <tbody id="live-runs" data-empty="${t(lang, 'overview.noneRunning')}">${s.live.length ? s.live.map((r) => liveRunRow(lang, r)) : html`<tr class="empty"><td colspan="8">${t(lang, 'overview.noneRunning')}</td></tr>`}</tbody></table>
</section>
<section class="card">
  <h2>${t(lang, 'overview.failing', { n: FAILING_AFTER })} (<span data-live="counts.failing">${s.failing.length}</span>)</h2>
  ${s.failing.length
    ? html`<table class="wide" data-testid="failing"><thead><tr><th>${t(lang, 'col.source')}</th><th>${t(lang, 'col.organization')}</th><th>${t(lang, 'col.failures')}</th><th>${t(lang, 'col.lastError')}</th><th>${t(lang, 'col.lastRun')}</th></tr></thead><tbody>
    ${s.failing.map((f) => html`<tr><td><a href="${sourceHref(f.id)}">${sourceName(f)}</a></td><td>${f.organization}</td><td class="num">${f.failures}</td><td class="error-text">${f.lastError}</td><td>${time(lang, f.lastFailedAt)}</td></tr>`)}
    </tbody></table>`
    : html`<p class="muted">${t(lang, 'overview.none')}</p>`}
</section>
<div class="grid two">
<section class="card">
  <h2>${t(lang, 'overview.review')} (<span data-live="counts.needsReview">${s.review.length}</span>)</h2>
  ${s.review.length
    ? html`<table data-testid="review"><thead><tr><th>${t(lang, 'col.source')}</th><th>${t(lang, 'col.withdrawals')}</th><th>${t(lang, 'col.reason')}</th></tr></thead><tbody>
    ${s.review.map((r) => html`<tr><td><a href="${runHref(r.id)}">${r.sourceTitle ?? r.organization}</a></td><td class="num">${formatNumber(lang, r.pendingWithdrawals)}</td><td>${reviewText(lang, r.review ?? undefined, r.pendingWithdrawals) ?? r.reason}</td></tr>`)}
    </tbody></table>`
    : html`<p class="muted">${t(lang, 'overview.none')}</p>`}
</section>
<section class="card">
  <h2>${t(lang, 'overview.pending')} (<span data-live="counts.pending">${s.pending.length}</span>)</h2>
  ${s.pending.length
    ? html`<table data-testid="pending"><thead><tr><th>${t(lang, 'col.source')}</th><th>${t(lang, 'col.organization')}</th><th>${t(lang, 'col.kind')}</th><th>${t(lang, 'col.registered')}</th></tr></thead><tbody>
    ${s.pending.map((p) => html`<tr><td><a href="${sourceHref(p.id)}">${sourceName(p)}</a></td><td>${p.organization}</td><td>${p.kind}</td><td>${time(lang, p.createdAt)}</td></tr>`)}
    </tbody></table>`
    : html`<p class="muted">${t(lang, 'overview.none')}</p>`}
</section>
</div>
${iriClashesView(lang, clashes)}`;
}

/** The dataset IRIs several records claim (read when the page is drawn, not live: it groups the whole catalogue). */
function iriClashesView(lang: Lang, clashes: IriClash[]): Html {
  return html`<section class="card" data-testid="iri-clashes">
  <h2>${t(lang, 'overview.iriClashes')} (${formatNumber(lang, clashes.length)})</h2>
  ${clashes.length
    ? html`<p class="muted">${t(lang, 'overview.iriClashesHelp')}</p>
  <table class="wide"><thead><tr><th>${t(lang, 'col.iri')}</th><th>${t(lang, 'col.claimants')}</th></tr></thead><tbody>
    ${clashes.map((c) => html`<tr><td><code>${c.uri}</code></td><td><ol>${c.records.map((r) => html`<li><a href="${sourceHref(r.sourceId)}">${sourceName({ title: r.sourceTitle, url: r.sourceUrl })}</a> (${r.organization}) · ${r.sourceIdentifier}</li>`)}</ol></td></tr>`)}
  </tbody></table>`
    : html`<p class="muted">${t(lang, 'overview.none')}</p>`}
</section>`;
}

export interface SourcesQuery {
  organization?: string;
  kind?: string;
  outcome?: string;
  q?: string;
}

function scheduleCell(lang: Lang, s: { schedule: string | null; timezone: string; enabled: boolean; approvalStatus: string }): Html {
  return html`${s.schedule ? html`<span title="${s.schedule}">${scheduleText(lang, s.schedule, s.timezone)}</span>` : html`<span class="muted">${scheduleText(lang, null, s.timezone)}</span>`}${!s.enabled ? html` <span class="badge paused">${t(lang, 'sources.paused')}</span>` : html``}${s.approvalStatus !== 'approved' ? html` ${approvalBadge(lang, s.approvalStatus)}` : html``}`;
}

export function sourcesView(lang: Lang, rows: DashboardSource[], filters: { organizations: Array<{ slug: string; name: string }>; kinds: string[] }, q: SourcesQuery, nextRuns: Map<string, Date>): Html {
  const opt = (value: string, label: string, selected: string | undefined) => html`<option value="${value}" ${value === (selected ?? '') ? html`selected` : html``}>${label}</option>`;
  return html`<h1>${t(lang, 'sources.title')} (${rows.length})</h1>
<form method="get" action="${D}/sources" class="filters card" role="search">
  <label>${t(lang, 'col.organization')} <select name="organization">${opt('', t(lang, 'sources.all'), q.organization)}${filters.organizations.map((o) => opt(o.slug, `${o.slug} · ${o.name}`, q.organization))}</select></label>
  <label>${t(lang, 'col.kind')} <select name="kind">${opt('', t(lang, 'sources.all'), q.kind)}${filters.kinds.map((k) => opt(k, k, q.kind))}</select></label>
  <label>${t(lang, 'col.lastRun')} <select name="outcome">${opt('', t(lang, 'sources.all'), q.outcome)}${[...OUTCOMES, 'none'].map((o) => opt(o, t(lang, `status.${o}` as 'status.none'), q.outcome))}</select></label>
  <label>${t(lang, 'sources.search')} <input type="search" name="q" value="${q.q ?? ''}"></label>
  <button type="submit">${t(lang, 'sources.filter')}</button>
</form>
${rows.length === 0
  ? html`<p class="muted">${t(lang, 'sources.none')}</p>`
  : html`<table class="wide card" data-testid="sources"><thead><tr><th>${t(lang, 'col.source')}</th><th>${t(lang, 'col.organization')}</th><th>${t(lang, 'col.kind')}</th><th>${t(lang, 'col.schedule')}</th><th>${t(lang, 'col.nextRun')}</th><th>${t(lang, 'col.lastRun')}</th><th>${t(lang, 'col.duration')}</th><th>${t(lang, 'col.datasets')}</th><th>${t(lang, 'col.trend')}</th></tr></thead><tbody>
${rows.map(
  (s) => html`<tr data-source="${s.id}">
  <td><a href="${sourceHref(s.id)}">${sourceName(s)}</a><br><small class="url" dir="ltr">${redactUrl(s.url)}</small></td>
  <td>${s.organization}</td>
  <td>${s.kind}</td>
  <td>${scheduleCell(lang, s)}</td>
  <td>${time(lang, nextRuns.get(s.id))}</td>
  <td>${s.lastRun ? html`<a href="${runHref(s.lastRun.id)}">${statusBadge(lang, s.lastRun.status)}</a> ${time(lang, s.lastRun.createdAt)}` : statusBadge(lang, 'none')}</td>
  <td class="num">${formatDuration(s.lastRun?.durationMs)}</td>
  <td class="num">${formatNumber(lang, s.datasets)}</td>
  <td>${trendSparkline(lang, s.trend)}</td>
</tr>`,
)}
</tbody></table>`}`;
}

function runsTable(lang: Lang, runs: RunPoint[]): Html {
  return html`<table class="wide" data-testid="runs"><thead><tr><th>${t(lang, 'col.started')}</th><th>${t(lang, 'col.trigger')}</th><th>${t(lang, 'col.status')}</th><th>${t(lang, 'col.duration')}</th><th>${t(lang, 'col.pages')}</th><th>${t(lang, 'col.seen')}</th><th>${t(lang, 'col.created')}</th><th>${t(lang, 'col.updated')}</th><th>${t(lang, 'col.unchanged')}</th><th>${t(lang, 'col.withdrawn')}</th><th>${t(lang, 'col.invalid')}</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr><td><a href="${runHref(r.id)}">${time(lang, r.createdAt)}</a></td><td>${triggerText(lang, r.trigger)}</td><td>${statusBadge(lang, r.status)}${r.errorCode ? html` <code>${r.errorCode}</code>` : html``}</td><td class="num">${formatDuration(r.durationMs)}</td>${[r.pagesFetched, r.seen, r.created, r.updated, r.unchanged, r.withdrawn, r.invalid].map((n) => html`<td class="num">${formatNumber(lang, n)}</td>`)}</tr>`,
)}
</tbody></table>`;
}

export function problemGroupsView(lang: Lang, groups: ProblemGroup[]): Html {
  return html`<table class="wide" data-testid="problem-groups"><thead><tr><th>${t(lang, 'col.code')}</th><th>${t(lang, 'col.severity')}</th><th>${t(lang, 'col.count')}</th><th>${t(lang, 'col.identifier')} · ${t(lang, 'col.field')} · ${t(lang, 'col.message')}</th></tr></thead><tbody>
${groups.map(
  (g) => html`<tr><td><strong data-problem-text="${g.code}">${problemText(lang, g.code)}</strong><br><code>${g.code}</code></td><td><span class="sev-${g.severity}">${severityText(lang, g.severity)}</span></td><td class="num">${formatNumber(lang, g.count)}</td><td><ul class="examples">${g.examples.map((e) => html`<li><code dir="ltr">${e.identifier ?? '—'}</code>${e.field ? html` · ${e.field}` : html``} · ${e.message}</li>`)}</ul></td></tr>`,
)}
</tbody></table>`;
}

export interface SourcePageData {
  source: DashboardSource;
  stored: Source;
  history: RunPoint[];
  problems: { run: { id: string; status: string; createdAt: Date; error: string | null }; groups: ProblemGroup[] } | undefined;
  review: { id: string; pendingWithdrawals: number | null; reason: string | null } | undefined;
  nextRun: Date | undefined;
  /** The metadata quality section (quality.view.ts). */
  quality?: Html;
}

export function reviewActions(lang: Lang, ctx: PageContext, run: { id: string; pendingWithdrawals: number | null; reason: string | null; withdrawals?: Html }): Html {
  return html`<section class="card review" data-testid="review-actions">
  <h2>${t(lang, 'review.title')}</h2>
  <p>${t(lang, 'review.text', { run: run.id.slice(0, 8), datasets: counted(lang, 'datasets', run.pendingWithdrawals ?? 0) })}</p>
  ${run.reason ? html`<p class="muted" data-testid="review-reason">${run.reason}</p>` : html``}
  ${run.withdrawals ?? html``}
  ${actionForm(ctx, `${D}/runs/${run.id}/confirm`, t(lang, 'review.confirm'), { cls: 'danger', testId: 'confirm-withdrawals' })}
  ${actionForm(ctx, `${D}/runs/${run.id}/cancel`, t(lang, 'review.cancel'), { testId: 'cancel-withdrawals' })}
</section>`;
}

export function sourceView(lang: Lang, ctx: PageContext, d: SourcePageData): Html {
  const s = d.source;
  const st = d.stored;
  const base = sourceHref(s.id);
  return html`<h1>${sourceName(s)}</h1>
<p class="sub"><a href="${safeHref(redactUrl(s.url))}" dir="ltr" rel="noreferrer noopener">${redactUrl(s.url)}</a> · ${s.organizationName} (${s.organization}) · ${s.kind} · ${approvalBadge(lang, s.approvalStatus)}${!s.enabled ? html` <span class="badge paused">${t(lang, 'sources.paused')}</span>` : html``}</p>
${st.reviewedBy || st.reviewComment ? html`<p class="muted">${st.reviewedBy ? t(lang, 'source.reviewedBy', { name: st.reviewedBy }) : ''} ${st.reviewedAt ? time(lang, st.reviewedAt) : ''} ${st.reviewComment ? html`« ${st.reviewComment} »` : ''}</p>` : html``}
<div class="grid two">
<section class="card" data-testid="actions">
  <h2>${t(lang, 'source.actions')}</h2>
  <div class="actions">
    ${s.approvalStatus === 'approved' ? actionForm(ctx, `${base}/harvest`, t(lang, 'source.harvestNow'), { cls: 'primary', testId: 'harvest-now' }) : html``}
    ${s.enabled ? actionForm(ctx, `${base}/pause`, t(lang, 'source.pause'), { testId: 'pause' }) : actionForm(ctx, `${base}/resume`, t(lang, 'source.resume'), { testId: 'resume' })}
  </div>
  ${s.approvalStatus !== 'approved' ? html`<p><a href="${base}/preview" data-testid="preview-source">${t(lang, 'source.preview')}</a></p>` : html``}
  <form method="post" action="${base}/review" class="review-form">${csrfField(ctx)}
    <label for="comment">${t(lang, 'source.comment')}</label>
    <textarea id="comment" name="comment" rows="2" maxlength="4000"></textarea>
    ${s.approvalStatus !== 'approved' ? html`<button type="submit" name="decision" value="approve" class="primary" data-testid="approve">${t(lang, 'source.approve')}</button>` : html``}
    ${s.approvalStatus !== 'rejected' ? html`<button type="submit" name="decision" value="reject" class="danger" data-testid="reject">${t(lang, 'source.reject')}</button>` : html``}
  </form>
  <form method="post" action="${base}/schedule" class="schedule-form">${csrfField(ctx)}
    <h3>${t(lang, 'source.editSchedule')}</h3>
    <label>${t(lang, 'col.schedule')} <input name="schedule" value="${s.schedule ?? ''}" dir="ltr" data-testid="schedule-input"></label>
    <label>${t(lang, 'source.timezone')} <input name="timezone" value="${s.timezone}" dir="ltr"></label>
    <p class="help">${t(lang, 'source.scheduleHelp')}</p>
    <button type="submit" data-testid="save-schedule">${t(lang, 'source.save')}</button>
  </form>
  <p>${t(lang, 'col.nextRun')} : ${time(lang, d.nextRun)}</p>
</section>
<section class="card">
  <h2>${t(lang, 'source.config')}</h2>
  <pre dir="ltr" data-testid="config">${JSON.stringify(redactConfig(st.config), null, 2)}</pre>
  <dl class="figures"><div><dt>${t(lang, 'col.datasets')}</dt><dd>${formatNumber(lang, s.datasets)}</dd></div><div><dt>${t(lang, 'source.timezone')}</dt><dd class="text" dir="ltr">${s.timezone}</dd></div></dl>
</section>
</div>
${d.review ? reviewActions(lang, ctx, d.review) : html``}
${d.quality ?? html``}
<section class="card">
  <h2>${t(lang, 'source.problems')}</h2>
  ${d.problems
    ? html`<p><a href="${runHref(d.problems.run.id)}">${t(lang, 'source.problemsOf', { date: formatDateTime(lang, d.problems.run.createdAt) })}</a> ${statusBadge(lang, d.problems.run.status)}</p>
    ${d.problems.run.error ? html`<p class="error-text" data-testid="run-error">${d.problems.run.error}</p>` : html``}
    ${d.problems.groups.length ? problemGroupsView(lang, d.problems.groups) : html``}`
    : html`<p class="muted">${t(lang, 'source.noProblems')}</p>`}
</section>
<section class="card">
  <h2>${t(lang, 'source.history')}</h2>
  <figure>${historyChart(lang, d.history)}<figcaption class="muted">${t(lang, 'source.chartLegend')}</figcaption></figure>
  ${runsTable(lang, d.history)}
</section>`;
}

/** A dataset's title in `lang`, else in another language it has, else its identifier. */
export function titleIn(lang: Lang, title: Record<string, string> | null | undefined, fallback: string): string {
  if (!title) return fallback;
  return title[lang] ?? title.fr ?? title.ar ?? title.en ?? Object.values(title)[0] ?? fallback;
}

/** What a `needs_review` run would withdraw, the first `shown` of `total`: seen before confirming, not after. */
export function pendingWithdrawalsView(lang: Lang, list: { total: number; items: PendingWithdrawal[] }): Html {
  return html`<h3>${t(lang, 'review.list')}</h3>
<table class="wide" data-testid="pending-withdrawals"><thead><tr><th>${t(lang, 'col.title')}</th><th>${t(lang, 'col.identifier')}</th><th>${t(lang, 'col.lastSeen')}</th></tr></thead><tbody>
${list.items.map((i) => html`<tr data-identifier="${i.identifier}"><td>${titleIn(lang, i.title, i.identifier)}</td><td><code dir="ltr">${i.identifier}</code></td><td>${time(lang, i.lastSeenAt)}</td></tr>`)}
</tbody></table>
${list.total > list.items.length ? html`<p class="muted">${t(lang, 'review.more', { n: formatNumber(lang, list.total - list.items.length) })}</p>` : html``}`;
}

export interface RunPageData {
  /** The list of what a `needs_review` run would withdraw (pending-withdrawals.view.ts). */
  withdrawals?: Html;
  run: Run;
  source: { id: string; title: string | null; url: string; organization: string };
  progress: ProgressView & { final: boolean };
  timeline: RunTimeline;
  problems: { total: number; offset: number; limit: number; items: Array<{ pageNo: number; severity: string; code: string; message: string; identifier: string | null; field: string | null }> };
}

type TimelineEvent = { at: Date; label: string };

export function runView(lang: Lang, ctx: PageContext, d: RunPageData, timelineLimit: number): Html {
  const r = d.run;
  const failedPage = (r.details as { failedPage?: { url?: string; status?: number; bodyExcerpt?: string } }).failedPage;
  const events: TimelineEvent[] = [{ at: r.createdAt, label: t(lang, 'ev.queued') }];
  if (r.startedAt) events.push({ at: r.startedAt, label: t(lang, 'ev.started') });
  for (const p of d.timeline.pages) events.push({ at: p.fetchedAt, label: `${t(lang, 'ev.page', { n: p.pageNo, records: counted(lang, 'records', p.recordCount) })}${p.notModified ? ` · ${t(lang, 'run.notModified')}` : ''} · ${formatBytes(lang, p.bytes)} · ${redactUrl(p.url)}` });
  for (const b of d.timeline.batches) events.push({ at: b.loadedAt, label: t(lang, 'ev.batch', { page: b.pageNo, batch: b.batchNo, records: counted(lang, 'records', b.recordCount) }) });
  if (r.finishedAt) events.push({ at: r.finishedAt, label: t(lang, 'ev.finished', { status: statusText(lang, r.status) }) });
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  const { total, offset, limit, items } = d.problems;
  const pageLink = (o: number) => `${runHref(r.id)}?offset=${o}#problems`;
  const counts = ['seen', 'created', 'updated', 'unchanged', 'withdrawn', 'invalid'] as const;
  return html`<h1>${t(lang, 'run.title', { id: r.id.slice(0, 8) })}</h1>
<p class="sub"><a href="${sourceHref(d.source.id)}">${sourceName(d.source)}</a> · ${d.source.organization} · ${triggerText(lang, r.trigger)}</p>
<section class="card" data-testid="run-summary" data-run-id="${r.id}">
  <h2>${t(lang, 'run.summary')}</h2>
  <p><span data-run-status="${r.id}">${statusBadge(lang, r.status)}</span> ${progressBar(d.progress)}
    <span class="num">${t(lang, 'col.pages')} : <span data-run-field="pagesFetched">${formatNumber(lang, d.progress.pagesFetched)}</span> · ${t(lang, 'col.records')} : <span data-run-field="records">${formatNumber(lang, d.progress.records)}</span> · <span data-run-field="elapsedMs" data-format="duration">${formatDuration(d.progress.elapsedMs)}</span></span></p>
  <dl class="figures">
    ${counts.map((c) => html`<div><dt>${t(lang, `col.${c}`)}</dt><dd>${formatNumber(lang, r[c])}</dd></div>`)}
    <div><dt>${t(lang, 'run.bytes')}</dt><dd>${formatBytes(lang, r.bytes)}</dd></div>
    <div><dt>${t(lang, 'col.started')}</dt><dd>${time(lang, r.startedAt)}</dd></div>
    <div><dt>${t(lang, 'misc.finished')}</dt><dd>${time(lang, r.finishedAt)}</dd></div>
  </dl>
  ${r.error ? html`<p class="error-text" data-testid="run-error"><strong>${t(lang, 'run.error')}</strong> <code>${r.errorCode}</code> ${r.error}</p>` : html``}
</section>
${r.status === 'queued' || r.status === 'running'
  ? html`<section class="card" data-testid="run-cancel">${actionForm(ctx, `${D}/runs/${r.id}/cancel`, t(lang, 'run.cancel'), { cls: 'danger', testId: 'cancel-run' })}<p class="muted">${t(lang, 'run.cancelText')}</p></section>`
  : html``}
${r.status === 'needs_review' ? reviewActions(lang, ctx, { id: r.id, pendingWithdrawals: r.pendingWithdrawals, reason: runReviewText(lang, r), withdrawals: d.withdrawals }) : html``}
${failedPage?.bodyExcerpt !== undefined || failedPage?.status !== undefined
  ? html`<section class="card"><h2>${t(lang, 'run.failedPage')}</h2>
  <p dir="ltr"><code>${failedPage.status ?? ''}</code> ${failedPage.url ? redactUrl(failedPage.url) : ''}</p>
  <pre class="raw" dir="ltr" data-testid="failed-page">${failedPage.bodyExcerpt ?? ''}</pre></section>`
  : html``}
<section class="card">
  <h2>${t(lang, 'run.timeline')} ${d.timeline.pages.length + d.timeline.batches.length >= timelineLimit ? t(lang, 'run.timelineCut', { n: timelineLimit }) : ''}</h2>
  <ol class="timeline" data-testid="timeline">${events.map((e) => html`<li><time datetime="${e.at.toISOString()}">${formatDateTime(lang, e.at)}</time> ${e.label}</li>`)}</ol>
</section>
<section class="card" id="problems">
  <h2>${t(lang, 'run.problems', { n: total })}</h2>
  ${total > 0 ? html`<p><a href="${runHref(r.id)}/problems.csv" data-testid="problems-csv" download>${t(lang, 'run.csv')}</a></p>` : html``}
  ${items.length
    ? html`<table class="wide" data-testid="problems"><thead><tr><th>${t(lang, 'col.page')}</th><th>${t(lang, 'col.severity')}</th><th>${t(lang, 'col.code')}</th><th>${t(lang, 'col.identifier')}</th><th>${t(lang, 'col.field')}</th><th>${t(lang, 'col.message')}</th></tr></thead><tbody>
    ${items.map((p) => html`<tr><td class="num">${p.pageNo}</td><td><span class="sev-${p.severity}">${severityText(lang, p.severity)}</span></td><td><code>${p.code}</code></td><td><code dir="ltr">${p.identifier ?? '—'}</code></td><td>${p.field ?? ''}</td><td><strong>${problemText(lang, p.code)}</strong><br><small dir="ltr">${p.message}</small></td></tr>`)}
    </tbody></table>
    <p class="pager">${offset > 0 ? html`<a href="${pageLink(Math.max(0, offset - limit))}">${t(lang, 'run.prev')}</a>` : html``} ${offset + 1}–${offset + items.length} / ${total} ${offset + limit < total ? html`<a href="${pageLink(offset + limit)}" data-testid="problems-next">${t(lang, 'run.next')}</a>` : html``}</p>`
    : html``}
</section>`;
}
