import { html, type Html } from './html.ts';
import { clientLabels, dirOf, LANGS, t, type Lang, type MessageKey } from './i18n.ts';

export const DASHBOARD_PATH = '/dashboard';

/** What every page of a signed-in operator needs. */
export interface PageContext {
  lang: Lang;
  /** The session's CSRF token, put in every form. */
  csrf: string;
  operatorName: string;
  /** The current path and query, for the language links to come back to. */
  here: string;
}

/** A hidden field with the session's CSRF token: every POST form carries one. */
export function csrfField(ctx: { csrf: string }): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** A one-button POST form (an action), with the CSRF field. */
export function actionForm(ctx: PageContext, action: string, label: string, opts: { cls?: string; fields?: Html; testId?: string } = {}): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}${opts.fields}<button type="submit" class="${opts.cls ?? ''}" data-testid="${opts.testId ?? ''}">${label}</button></form>`;
}

function langLinks(lang: Lang, here: string): Html {
  return html`<nav class="langs" aria-label="langue / اللغة / language">${LANGS.map((l) =>
    l === lang ? html`<strong lang="${l}">${t(l, 'lang.name')}</strong>` : html`<a lang="${l}" hreflang="${l}" href="${DASHBOARD_PATH}/lang?l=${l}&amp;next=${encodeURIComponent(here)}">${t(l, 'lang.name')}</a>`,
  )}</nav>`;
}

/**
 * The whole page around `body`. `events` is the server-sent events URL that keeps the page's
 * live parts current; when one of the snapshot's `refreshOn` values changes, the script fetches
 * the page again and swaps its main part.
 */
export function page(opts: { lang: Lang; title: string; body: Html; ctx?: PageContext; events?: string; refreshOn?: string[]; flash?: { kind: 'ok' | 'error'; text: string } }): Html {
  const { lang, ctx } = opts;
  return html`<!doctype html>
<html lang="${lang}" dir="${dirOf(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Hasad</title>
<link rel="icon" href="${DASHBOARD_PATH}/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${DASHBOARD_PATH}/static/dashboard.css">
<script src="${DASHBOARD_PATH}/static/dashboard.js" defer></script>
</head>
<body data-events="${opts.events ?? ''}" data-refresh-on="${(opts.refreshOn ?? []).join(',')}" data-lang="${lang}" data-labels="${JSON.stringify(clientLabels(lang))}">
<header class="top">
  <a class="brand" href="${DASHBOARD_PATH}">حصاد Hasad</a>
  ${ctx
    ? html`<nav class="main" aria-label="menu">
    <a href="${DASHBOARD_PATH}">${t(lang, 'nav.overview')}</a>
    <a href="${DASHBOARD_PATH}/sources">${t(lang, 'nav.sources')}</a>
    <a href="/admin/queues">${t(lang, 'nav.queues')}</a>
  </nav>
  <span class="who">${t(lang, 'nav.signedInAs', { name: ctx.operatorName })}</span>
  <form method="post" action="${DASHBOARD_PATH}/sign-out" class="inline">${csrfField(ctx)}<button type="submit" class="link" data-testid="sign-out">${t(lang, 'nav.signOut')}</button></form>`
    : html``}
  ${langLinks(lang, ctx?.here ?? `${DASHBOARD_PATH}/sign-in`)}
</header>
${pageMain(opts)}`;
}

/** A flash message, if any. */
export type Flash = { kind: 'ok' | 'error'; text: string };

/** The end of a page (the dashboard's and the institutions' space's): the flash message if any, the body, and the closing tags. */
export function pageMain(opts: { body: Html; flash?: Flash | undefined }): Html {
  return html`<main>
${opts.flash ? html`<p class="flash ${opts.flash.kind}" role="${opts.flash.kind === 'error' ? 'alert' : 'status'}" data-testid="flash">${opts.flash.text}</p>` : html``}
${opts.body}
</main>
</body>
</html>`;
}

/** A status badge (`st-<status>` colours it). */
export function statusBadge(lang: Lang, status: string | null | undefined): Html {
  const s = status ?? 'none';
  const key = `status.${s}` as MessageKey;
  return html`<span class="badge st-${s}" data-status="${s}">${safeLabel(lang, key, s)}</span>`;
}

export function approvalBadge(lang: Lang, status: string): Html {
  return html`<span class="badge ap-${status}">${safeLabel(lang, `approval.${status}` as MessageKey, status)}</span>`;
}

/** A label for a key that comes from data (a status); the raw value when there is no label for it. */
function safeLabel(lang: Lang, key: MessageKey, fallback: string): string {
  try {
    return t(lang, key);
  } catch {
    return fallback;
  }
}
