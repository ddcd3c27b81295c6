import { redactUrl } from '@hasad/core';
import type { PendingWithdrawal, ProblemGroup, Run, RunPoint } from '@hasad/db';
import type { SourceQuality } from '@hasad/quality';
import { counted, dirOf, formatDateTime, formatNumber, improvementText, LANGS, problemText, scheduleText, severityText, statusText, triggerText, type Lang } from '@hasad/i18n';
import { historyChart } from '../dashboard/charts.ts';
import { pageMain } from '../dashboard/layout.ts';
import { html, safeHref, type Html } from '../dashboard/html.ts';
import type { TestDelivery } from '@hasad/notify';
import type { CsvColumn, PreviewResult, SoapOperationInfo } from '@hasad/sources';
import { l, type LabelKey } from './i18n.ts';

/** Where the space lives. */
export const ESPACE_PATH = '/espace';
const E = ESPACE_PATH;
export const sourceHref = (id: string) => `${E}/sources/${id}`;
export const runHref = (id: string) => `${E}/runs/${id}`;

/** What every signed-in page needs. */
export interface SpaceContext {
  lang: Lang;
  csrf: string;
  organization: string;
  /** The current path and query, for the language links to come back to. */
  here: string;
}

const time = (lang: Lang, d: Date | null | undefined) => (d ? html`<time datetime="${d.toISOString()}">${formatDateTime(lang, d)}</time>` : html`—`);
const csrfField = (ctx: { csrf: string }) => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
const badge = (lang: Lang, status: string | null) => html`<span class="badge st-${status ?? 'none'}">${status ? statusText(lang, status) : l(lang, 'source.noRuns')}</span>`;
const approval = (lang: Lang, status: string) =>
  html`<span class="badge ap-${status}" data-approval="${status}">${status === 'pending' || status === 'approved' || status === 'rejected' ? l(lang, `approval.${status}`) : status}</span>`;
const form = (ctx: SpaceContext, action: string, label: string, opts: { cls?: string; testId: string }) =>
  html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}<button type="submit" class="${opts.cls ?? ''}" data-testid="${opts.testId}">${label}</button></form>`;

/** The page around `body`: the dashboard's stylesheet, the language links; the one script (espace.js) is the register form's. */
export function spacePage(opts: { lang: Lang; title: string; body: Html; ctx?: SpaceContext; flash?: { kind: 'ok' | 'error'; text: string } }): Html {
  const { lang, ctx } = opts;
  const here = ctx?.here ?? `${E}/sign-in`;
  return html`<!doctype html>
<html lang="${lang}" dir="${dirOf(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · ${l(lang, 'app.title')} · Hasad</title>
<link rel="icon" href="/dashboard/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/static/dashboard.css">
</head>
<body data-lang="${lang}">
<header class="top">
  <a class="brand" href="${E}">حصاد Hasad · ${l(lang, 'app.title')}</a>
  ${ctx
    ? html`<nav class="main" aria-label="menu"><a href="${E}">${l(lang, 'nav.sources')}</a> <a href="${E}/register" data-testid="nav-register">${l(lang, 'nav.register')}</a> <a href="${E}/notifications">${l(lang, 'nav.notifications')}</a></nav>
  <span class="who" data-testid="org">${l(lang, 'nav.org', { name: ctx.organization })}</span>
  <form method="post" action="${E}/sign-out" class="inline">${csrfField(ctx)}<button type="submit" class="link" data-testid="sign-out">${l(lang, 'nav.signOut')}</button></form>`
    : html``}
  <nav class="langs" aria-label="langue / اللغة / language">${LANGS.map((x) =>
    x === lang ? html`<strong lang="${x}">${l(x, 'lang.name')}</strong>` : html`<a lang="${x}" hreflang="${x}" href="${E}/lang?l=${x}&amp;next=${encodeURIComponent(here)}">${l(x, 'lang.name')}</a>`,
  )}</nav>
</header>
${pageMain(opts)}`;
}

export function signInView(lang: Lang, csrf: string, next: string, error?: string): Html {
  return html`<section class="card narrow">
  <h1>${l(lang, 'signin.title')}</h1>
  ${error ? html`<p class="flash error" role="alert" data-testid="sign-in-error">${error}</p>` : html``}
  <form method="post" action="${E}/sign-in">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="next" value="${next}">
    <label for="token">${l(lang, 'signin.token')}</label>
    <input id="token" name="token" type="password" autocomplete="off" required maxlength="200" pattern="hsd_.*" dir="ltr">
    <p class="help">${l(lang, 'signin.help')}</p>
    <button type="submit">${l(lang, 'signin.submit')}</button>
  </form>
</section>`;
}

export interface SpaceSourceRow {
  id: string;
  kind: string;
  url: string;
  title: string | null;
  schedule: string | null;
  timezone: string;
  approvalStatus: string;
  runId: string | null;
  runStatus: string | null;
  runCreatedAt: Date | null;
  seen: number | null;
  invalid: number | null;
}

const sourceName = (s: { title: string | null; url: string }) => s.title ?? redactUrl(s.url);

export function sourcesView(lang: Lang, rows: SpaceSourceRow[], nextRuns: Map<string, Date>): Html {
  return html`<h1>${l(lang, 'sources.title')} (${formatNumber(lang, rows.length)})</h1>
${rows.length === 0
  ? html`<p class="muted">${l(lang, 'sources.none')}</p>`
  : html`<table class="wide card" data-testid="space-sources"><thead><tr><th>${l(lang, 'col.source')}</th><th>${l(lang, 'col.kind')}</th><th>${l(lang, 'col.approval')}</th><th>${l(lang, 'col.schedule')}</th><th>${l(lang, 'col.nextRun')}</th><th>${l(lang, 'col.lastRun')}</th></tr></thead><tbody>
${rows.map(
  (s) => html`<tr data-source="${s.id}">
  <td><a href="${sourceHref(s.id)}">${sourceName(s)}</a><br><small class="url" dir="ltr">${redactUrl(s.url)}</small></td>
  <td>${s.kind}</td>
  <td>${approval(lang, s.approvalStatus)}</td>
  <td>${scheduleText(lang, s.schedule, s.timezone)}</td>
  <td>${time(lang, nextRuns.get(s.id))}</td>
  <td>${s.runId ? html`<a href="${runHref(s.runId)}">${badge(lang, s.runStatus)}</a> ${time(lang, s.runCreatedAt)}${s.invalid ? html` · ${l(lang, 'col.invalid')} : ${formatNumber(lang, s.invalid)}` : html``}` : badge(lang, null)}</td>
</tr>`,
)}
</tbody></table>`}`;
}

/** Problems grouped by code: the sentence (what is wrong, what to change), how many, one example record. */
export function problemGroupsView(lang: Lang, groups: ProblemGroup[]): Html {
  return html`<table class="wide" data-testid="space-problems"><thead><tr><th>${l(lang, 'col.problem')}</th><th>${l(lang, 'col.severity')}</th><th>${l(lang, 'col.count')}</th><th>${l(lang, 'col.example')}</th></tr></thead><tbody>
${groups.map((g) => {
  const e = g.examples[0];
  return html`<tr data-code="${g.code}"><td><strong>${problemText(lang, g.code)}</strong><br><code>${g.code}</code></td><td><span class="sev-${g.severity}">${severityText(lang, g.severity)}</span></td><td class="num">${formatNumber(lang, g.count)}</td><td>${e ? html`<code dir="ltr">${e.identifier ?? '—'}</code>${e.field ? html` · ${e.field}` : html``}<br><small dir="ltr">${e.message}</small>` : html``}</td></tr>`;
})}
</tbody></table>`;
}

function runsTable(lang: Lang, runs: RunPoint[]): Html {
  const cols = ['seen', 'created', 'updated', 'withdrawn', 'invalid'] as const;
  return html`<table class="wide" data-testid="space-runs"><thead><tr><th>${l(lang, 'col.started')}</th><th>${l(lang, 'col.trigger')}</th><th>${l(lang, 'col.status')}</th>${cols.map((c) => html`<th>${l(lang, `col.${c}`)}</th>`)}</tr></thead><tbody>
${runs.map((r) => html`<tr><td><a href="${runHref(r.id)}">${time(lang, r.createdAt)}</a></td><td>${triggerText(lang, r.trigger)}</td><td>${badge(lang, r.status)}</td>${cols.map((c) => html`<td class="num">${formatNumber(lang, r[c])}</td>`)}</tr>`)}
</tbody></table>`;
}

function qualityView(lang: Lang, q: SourceQuality): Html {
  return html`<section class="card" data-testid="space-quality"><h2>${l(lang, 'source.quality')}</h2>
${q.score === null
  ? html`<p class="muted">${l(lang, 'source.qualityNone')}</p>`
  : html`<p class="score"><strong>${l(lang, 'source.score', { score: formatNumber(lang, q.score), max: formatNumber(lang, q.max) })}</strong></p>
  ${q.improvements.length
    ? html`<table class="wide"><thead><tr><th>${l(lang, 'col.todo')}</th><th>${l(lang, 'col.concerned')}</th></tr></thead><tbody>
    ${q.improvements.map((i) => html`<tr><td>${improvementText(lang, i.code)}</td><td>${counted(lang, 'datasets', i.datasets)}</td></tr>`)}
    </tbody></table>`
    : html``}`}
<p class="muted">${l(lang, 'source.brokenLinks', { checked: formatNumber(lang, q.links.checked), broken: formatNumber(lang, q.links.broken) })}</p>
${q.links.brokenExamples.length ? html`<ul class="examples">${q.links.brokenExamples.map((b) => html`<li dir="ltr"><code>${b.httpStatus ?? b.error ?? ''}</code> ${redactUrl(b.url)}</li>`)}</ul>` : html``}
</section>`;
}

export interface SpaceSourceData {
  source: SpaceSourceRow & { reviewComment: string | null };
  nextRun: Date | undefined;
  /** ms before "harvest now" is allowed (0: now). */
  waitMs: number;
  history: RunPoint[];
  problems: { run: { id: string; createdAt: Date; error: string | null }; groups: ProblemGroup[] } | undefined;
  quality: SourceQuality;
}

/** "2 heures 5 minutes", "٣ دقائق": the time left until "harvest now" is allowed. */
function timeLeft(lang: Lang, ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? counted(lang, 'hours', h) : '', m ? counted(lang, 'minutes', m) : ''].filter(Boolean).join(' ');
}

export function sourceView(lang: Lang, ctx: SpaceContext, d: SpaceSourceData): Html {
  const s = d.source;
  const harvest =
    s.approvalStatus === 'pending'
      ? html`<p class="flash" data-testid="pending-approval">${l(lang, 'source.pending')}</p>`
      : s.approvalStatus === 'rejected'
        ? html`<p class="flash error">${l(lang, 'source.rejected', { comment: s.reviewComment ?? '' })}</p>`
        : d.waitMs > 0
          ? html`<p data-testid="harvest-wait"><button type="button" disabled>${l(lang, 'source.harvest')}</button> ${l(lang, 'source.harvestWait', { left: timeLeft(lang, d.waitMs), at: formatDateTime(lang, new Date(Date.now() + d.waitMs)) })}</p>`
          : form(ctx, `${sourceHref(s.id)}/harvest`, l(lang, 'source.harvest'), { cls: 'primary', testId: 'space-harvest' });
  return html`<h1>${sourceName(s)}</h1>
<p class="sub"><a href="${safeHref(redactUrl(s.url))}" dir="ltr" rel="noreferrer noopener">${redactUrl(s.url)}</a> · ${s.kind} · ${approval(lang, s.approvalStatus)}</p>
<section class="card" data-testid="space-source">
  <dl class="figures">
    <div><dt>${l(lang, 'col.status')}</dt><dd>${badge(lang, s.runStatus)}</dd></div>
    <div><dt>${l(lang, 'col.schedule')}</dt><dd class="text">${scheduleText(lang, s.schedule, s.timezone)}</dd></div>
    <div><dt>${l(lang, 'col.nextRun')}</dt><dd>${time(lang, d.nextRun)}</dd></div>
  </dl>
  ${harvest}
</section>
<section class="card">
  <h2>${d.problems ? html`<a href="${runHref(d.problems.run.id)}">${l(lang, 'source.problems', { date: formatDateTime(lang, d.problems.run.createdAt) })}</a>` : l(lang, 'source.problems', { date: '—' })}</h2>
  ${d.problems?.run.error ? html`<p class="error-text">${d.problems.run.error}</p>` : html``}
  ${d.problems?.groups.length ? problemGroupsView(lang, d.problems.groups) : html`<p class="muted">${l(lang, 'source.noProblems')}</p>`}
</section>
${qualityView(lang, d.quality)}
<section class="card">
  <h2>${l(lang, 'source.runs')}</h2>
  ${d.history.length ? html`<figure>${historyChart(lang, d.history)}</figure>${runsTable(lang, d.history)}` : html`<p class="muted">${l(lang, 'source.noRuns')}</p>`}
</section>`;
}

export interface SpaceRunData {
  run: Run;
  source: { id: string; title: string | null; url: string };
  groups: ProblemGroup[];
  reviewText: string | null;
  pending: { total: number; items: PendingWithdrawal[] } | undefined;
}

export function runView(lang: Lang, ctx: SpaceContext, d: SpaceRunData): Html {
  const r = d.run;
  const cols = ['seen', 'created', 'updated', 'withdrawn', 'invalid'] as const;
  const title = (t: Record<string, string>, fallback: string) => t[lang] ?? t.fr ?? t.ar ?? t.en ?? Object.values(t)[0] ?? fallback;
  return html`<h1>${l(lang, 'run.title', { date: formatDateTime(lang, r.createdAt) })}</h1>
<p class="sub"><a href="${sourceHref(d.source.id)}">${sourceName(d.source)}</a> · ${triggerText(lang, r.trigger)} · ${badge(lang, r.status)}</p>
<section class="card" data-testid="space-run" data-run-id="${r.id}">
  <dl class="figures">${cols.map((c) => html`<div><dt>${l(lang, `col.${c}`)}</dt><dd>${formatNumber(lang, r[c])}</dd></div>`)}</dl>
  ${r.error ? html`<p class="error-text"><strong>${l(lang, 'run.error')}</strong> <code>${r.errorCode ?? ''}</code> ${r.error}</p>` : html``}
</section>
${d.pending
  ? html`<section class="card review" data-testid="space-review">
  <h2>${l(lang, 'review.title')}</h2>
  <p>${l(lang, 'review.text', { datasets: counted(lang, 'datasets', d.pending.total) })}</p>
  ${d.reviewText ? html`<p class="muted" data-testid="space-review-reason">${d.reviewText}</p>` : html``}
  <table class="wide" data-testid="space-pending"><thead><tr><th>${l(lang, 'col.title')}</th><th>${l(lang, 'col.identifier')}</th><th>${l(lang, 'col.lastSeen')}</th></tr></thead><tbody>
  ${d.pending.items.map((i) => html`<tr data-identifier="${i.identifier}"><td>${title(i.title, i.identifier)}</td><td><code dir="ltr">${i.identifier}</code></td><td>${time(lang, i.lastSeenAt)}</td></tr>`)}
  </tbody></table>
  ${d.pending.total > d.pending.items.length ? html`<p class="muted">${l(lang, 'review.more', { n: formatNumber(lang, d.pending.total - d.pending.items.length) })}</p>` : html``}
  <div class="actions">
  ${form(ctx, `${runHref(r.id)}/confirm`, l(lang, 'review.confirm'), { cls: 'danger', testId: 'space-confirm' })}
  ${form(ctx, `${runHref(r.id)}/cancel`, l(lang, 'review.cancel'), { testId: 'space-cancel' })}
  </div>
</section>`
  : html``}
<section class="card">
  <h2>${l(lang, 'run.problems')}</h2>
  ${d.groups.length ? problemGroupsView(lang, d.groups) : html`<p class="muted">${l(lang, 'run.noProblems')}</p>`}
</section>`;
}

/** What the register form holds (as typed: re-shown after a preview or a refusal). */
export interface RegisterValues {
  kind: string;
  url: string;
  title: string;
  schedule: string;
  timezone: string;
  config: string;
  /** The kind helpers: a SOAP service's WSDL and the operation chosen from it; a CKAN organisation to harvest alone. */
  soap_wsdl: string;
  soap_operation: string;
  ckan_organization: string;
}

/** The kinds with their sentence, for the form (a kind without one shows its code). */
const kindText = (lang: Lang, kind: string) => (Object.hasOwn(KIND_KEYS, kind) ? l(lang, KIND_KEYS[kind]!) : kind);
const KIND_KEYS: Record<string, LabelKey> = { dcat: 'kind.dcat', csv: 'kind.csv', ckan: 'kind.ckan', soap: 'kind.soap', csw: 'kind.csw' };
/** Source kinds the space has a sentence for (its test checks every adapter kind has one). */
export const KINDS_DESCRIBED = Object.keys(KIND_KEYS);

/** Where the form's check (espace.js) writes a field's message as the data officer types. */
const fieldError = (field: string) => html`<small class="field-error error-text" data-error-for="${field}" data-testid="register-error-${field}" role="status" aria-live="polite" dir="auto" hidden></small>`;

/**
 * The kinds' helpers, written into the config on preview or save: the operations of a SOAP
 * service's WSDL (listed by the server, a select once listed), a CKAN portal's organisation.
 */
function configHelpers(lang: Lang, v: RegisterValues, operations?: SoapOperationInfo[]): Html {
  const names = operations ? [...new Set(operations.map((o) => o.operation))] : [];
  const actionOf = (name: string) => operations?.find((o) => o.operation === name)?.soapAction ?? '';
  return html`<details class="helpers" ${v.soap_wsdl || v.ckan_organization || operations ? html`open` : html``} data-testid="register-helpers"><summary>${l(lang, 'register.helpers')}</summary>
  <fieldset><legend>SOAP</legend>
  <label>${l(lang, 'register.soapWsdl')} <input name="soap_wsdl" type="url" value="${v.soap_wsdl}" maxlength="4096" dir="ltr" data-testid="register-soap-wsdl"></label>
  <button type="submit" name="action" value="operations" formnovalidate data-testid="register-soap-list">${l(lang, 'register.soapList')}</button>
  ${operations
    ? names.length
      ? html`<label>${l(lang, 'register.soapOperation')} <select name="soap_operation" dir="ltr" data-testid="register-soap-operation">${names.map(
          (n) => html`<option value="${n}" ${n === v.soap_operation ? html`selected` : html``}>${n}${actionOf(n) ? ` — ${actionOf(n)}` : ''}</option>`,
        )}</select></label>`
      : html`<p class="muted">${l(lang, 'register.soapNone')}</p>`
    : html`<label>${l(lang, 'register.soapOperation')} <input name="soap_operation" value="${v.soap_operation}" maxlength="200" dir="ltr"></label>`}
  </fieldset>
  <fieldset><legend>CKAN</legend>
  <label>${l(lang, 'register.ckanOrg')} <input name="ckan_organization" value="${v.ckan_organization}" maxlength="200" dir="ltr" data-testid="register-ckan-org"></label>
  </fieldset>
</details>`;
}

/**
 * The CSV mapping table, from the file's own header: each column with the field it fills (as
 * previewed), changeable; "Use this mapping" writes the choice into the config as its mapping.
 */
function csvMappingTable(lang: Lang, columns: CsvColumn[], fields: string[]): Html {
  return html`<section class="card" data-testid="register-csv-mapping">
  <h3>${l(lang, 'register.csvTable')}</h3>
  <table class="wide"><thead><tr><th>${l(lang, 'register.csvColumn')}</th><th>${l(lang, 'register.csvField')}</th></tr></thead><tbody>
  ${columns.map(
    (c, i) => html`<tr><td><input type="hidden" name="csvcol_${String(i)}" value="${c.name}"><bdi>${c.name}</bdi></td><td><select name="csvmap_${String(i)}" dir="ltr" data-testid="csvmap-${String(i)}">
    <option value="" ${c.field === undefined ? html`selected` : html``}>${l(lang, 'register.csvIgnored')}</option>
    ${fields.map((f) => html`<option value="${f}" ${f === c.field ? html`selected` : html``}>${f}</option>`)}
    </select></td></tr>`,
  )}
  </tbody></table>
  <button type="submit" name="action" value="mapping" data-testid="register-csv-apply">${l(lang, 'register.csvApply')}</button>
</section>`;
}

export function registerView(
  lang: Lang,
  ctx: SpaceContext,
  kinds: string[],
  v: RegisterValues,
  opts: { result?: PreviewResult; operations?: SoapOperationInfo[]; columns?: CsvColumn[]; fields?: string[] } = {},
): Html {
  const preview = opts.result;
  const operations = opts.operations;
  return html`<h1>${l(lang, 'register.title')}</h1>
<p class="sub">${l(lang, 'register.intro')}</p>
<form method="post" action="${E}/register" class="card register-form" data-testid="register-form" data-check="${E}/register/check">${csrfField(ctx)}
  <fieldset><legend>${l(lang, 'register.kind')}</legend>
  ${kinds.map((k) => html`<label class="kind"><input type="radio" name="kind" value="${k}" ${k === v.kind ? html`checked` : html``} required> <strong>${k}</strong> — ${kindText(lang, k)}</label><br>`)}
  ${fieldError('kind')}
  </fieldset>
  <label>${l(lang, 'register.url')} <input name="url" type="url" value="${v.url}" required maxlength="4096" dir="ltr" data-testid="register-url"></label>
  ${fieldError('url')}
  <label>${l(lang, 'register.titleField')} <input name="title" value="${v.title}" maxlength="500"></label>
  <label>${l(lang, 'register.schedule')} <input name="schedule" value="${v.schedule}" maxlength="200" dir="ltr"></label>
  ${fieldError('schedule')}
  <label>${l(lang, 'register.timezone')} <input name="timezone" value="${v.timezone}" maxlength="100" dir="ltr"></label>
  ${fieldError('timezone')}
  <label>${l(lang, 'register.config')} <textarea name="config" rows="6" maxlength="20000" dir="ltr" data-testid="register-config">${v.config}</textarea></label>
  ${fieldError('config')}
  ${configHelpers(lang, v, operations)}
  ${opts.columns?.length ? csvMappingTable(lang, opts.columns, opts.fields ?? []) : html``}
  <div class="actions">
    <button type="submit" name="action" value="preview" data-testid="register-preview">${l(lang, 'register.preview')}</button>
    <button type="submit" name="action" value="save" class="primary" data-testid="register-save">${l(lang, 'register.save')}</button>
  </div>
</form>
${preview ? previewView(lang, preview) : html``}
<script src="/dashboard/static/espace.js" defer></script>`;
}

/** A record as it will appear: its title in the reader's language (or the first it has), identifier, distributions. */
function recordTitle(lang: Lang, r: PreviewResult['records'][number]): string {
  const t = r.title as Record<string, string> | undefined;
  return (t && (t[lang] ?? t.fr ?? t.ar ?? t.en ?? Object.values(t)[0])) ?? r.identifier;
}

/** What a preview read: the records as they will appear, the mapping used, the problems in words (the space's form and the dashboard's pending sources). */
export function previewView(lang: Lang, p: PreviewResult): Html {
  const notes = p.problems.filter((x) => x.severity === 'info');
  const groups = new Map<string, ProblemGroup>();
  for (const x of p.problems) {
    if (x.severity === 'info') continue;
    const g = groups.get(x.code) ?? { code: x.code, severity: x.severity, count: 0, examples: [] };
    g.count++;
    if (g.examples.length === 0) g.examples.push({ identifier: x.identifier ?? null, field: x.field ?? null, message: x.message, pageNo: 1 });
    groups.set(x.code, g);
  }
  return html`<section class="card" data-testid="register-preview-result">
  <h2>${l(lang, 'register.previewTitle')}</h2>
  <p class="muted">${l(lang, 'register.pages', { n: formatNumber(lang, p.pages) })}</p>
  ${p.error ? html`<p class="error-text"><code>${p.error.code}</code> ${p.error.message}</p>` : html``}
  ${notes.length ? html`<h3>${l(lang, 'register.mapping')}</h3><ul class="examples" data-testid="register-mapping">${notes.map((n) => html`<li><strong>${problemText(lang, n.code)}</strong><br><small dir="ltr">${n.message}</small></li>`)}</ul>` : html``}
  <h3>${l(lang, 'register.records')}</h3>
  ${p.records.length
    ? html`<table class="wide" data-testid="register-records"><thead><tr><th>${l(lang, 'col.title')}</th><th>${l(lang, 'col.identifier')}</th></tr></thead><tbody>
    ${p.records.map((r) => html`<tr><td>${recordTitle(lang, r)}</td><td><code dir="ltr">${r.identifier}</code></td></tr>`)}
    </tbody></table>`
    : html`<p class="muted">${l(lang, 'register.noRecords')}</p>`}
  ${groups.size ? html`<h3>${l(lang, 'run.problems')}</h3>${problemGroupsView(lang, [...groups.values()])}` : html``}
</section>`;
}

/** The organisation's contacts (read-only here) and the test button; `results` after a test. */
export function notificationsView(lang: Lang, ctx: SpaceContext, n: { slug: string; emails: string[]; webhookUrl: string | null }, results?: TestDelivery[]): Html {
  return html`<h1>${l(lang, 'notif.title')}</h1>
<section class="card" data-testid="space-notifications">
  <p>${l(lang, 'notif.intro')}</p>
  <dl class="figures"><div><dt>${l(lang, 'notif.emails')}</dt><dd dir="ltr">${n.emails.length ? n.emails.join(', ') : l(lang, 'notif.none')}</dd></div>
  <div><dt>${l(lang, 'notif.webhook')}</dt><dd dir="ltr">${n.webhookUrl ? redactUrl(n.webhookUrl) : l(lang, 'notif.none')}</dd></div></dl>
  <p class="muted">${l(lang, 'notif.change', { slug: n.slug })}</p>
  ${form(ctx, `${E}/notifications/test`, l(lang, 'notif.test'), { cls: 'primary', testId: 'send-test-notification' })}
  ${results
    ? html`<ul data-testid="test-results">${results.map((r) => html`<li data-channel="${r.channel}" data-outcome="${r.outcome}">${r.outcome === 'sent' ? l(lang, 'notif.sent', { channel: r.channel }) : l(lang, r.outcome === 'skipped' ? 'notif.skipped' : 'notif.failed', { channel: r.channel, reason: r.reason })}</li>`)}</ul>`
    : html``}
</section>`;
}
