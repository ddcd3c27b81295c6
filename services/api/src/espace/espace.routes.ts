import { fetchSettings, HasadError } from '@hasad/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  cancelWithdrawals,
  confirmWithdrawals,
  createSource,
  getOrganizationNotifications,
  getRunWithOwner,
  getSource,
  groupRunProblems,
  isUuid,
  latestRunWithProblems,
  listPendingWithdrawals,
  listRunHistory,
  listRuns,
  listSourcesWithLastRun,
} from '@hasad/db';
import { counted, type Lang } from '@hasad/i18n';
import { createMailer, publicUrlOf, sendTestNotification, type TestDelivery } from '@hasad/notify';
import { enqueueHarvestRun, getSourceQuality } from '@hasad/pipeline';
import { adapterKinds, CSV_FIELDS, getAdapter, listSoapOperations, parseCsvConfig, readCsvColumns, type CsvColumn, type PreviewResult, type SoapOperationInfo } from '@hasad/sources';
import { crossSite, sendHtml } from '../shared/html-reply.ts';
import { prepareHtmlScope } from '../shared/html-scope.ts';
import { nextRunTimes } from '../shared/schedules.ts';
import { areaSession, langOf, signInRoutes, signOutRoute, type SignInArea } from '../shared/sign-in.ts';
import { html } from '../dashboard/html.ts';
import { clearSessionCookie, sameToken, SessionStore, type DashboardSession } from '../dashboard/session.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { previewRunner } from '../shared/preview-runner.ts';
import { DEFAULT_TIMEZONE, harvestWaitMs, organizationFor, tellOperators, validateSource, validateTiming } from '../shared/sources.ts';
import { checkFeedUrl } from '../source-input.ts';
import { runReviewText } from '../shared/runs.ts';
import { l, type LabelKey } from './i18n.ts';
import { ESPACE_PATH as E, notificationsView, registerView, runHref, runView, signInView, sourcesView, sourceView, spacePage, type RegisterValues, type SpaceContext } from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in organisation's session on /espace routes. */
    spaceSession: DashboardSession | null;
  }
}

/** The space's own cookies: a session here is not a dashboard session, and the reverse. */
const SESSION_COOKIE = 'hasad_espace';
const SIGNIN_COOKIE = 'hasad_espace_signin';
/** Datasets a needs_review run would withdraw, listed on its page (the API pages through all). */
const PENDING_SHOWN = 200;

type Body = Record<string, string | undefined>;

/** The space as a signed-in area: organisations' tokens, the space's own cookies and pages. */
function spaceArea(store: SessionStore): SignInArea {
  const keys = { csrf: 'signin.csrf', invalid: 'signin.invalid', wrongRole: 'signin.notOrg' } as const;
  const log = { refused: 'space sign-in refused', signedIn: 'organisation signed in to its space', signedOut: 'organisation signed out of its space' };
  const signInPage: SignInArea['signInPage'] = (lang, csrf, next, error) => spacePage({ lang, title: l(lang, 'signin.title'), body: signInView(lang, csrf, next, error) });
  return { path: E, role: 'organization', sessionCookie: SESSION_COOKIE, signInCookie: SIGNIN_COOKIE, store, safeNext, signInPage, message: (lang, key) => l(lang, keys[key]), log };
}

/** Only a path of the space after sign-in or a language switch (no open redirect). */
function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.startsWith('//') || next.includes('\\')) return E;
  return next === E || next.startsWith(`${E}/`) || next.startsWith(`${E}?`) ? next : E;
}

const DONE: ReadonlySet<string> = new Set(['harvest', 'harvestLive', 'confirm', 'cancel', 'registered']);

/**
 * The institutions' space under /espace: an organisation signs in with its own token (the one
 * `hasad token create --org` issues) and sees only its sources and runs; another organisation's
 * ids answer 404, as unknown ones. Same stack and hardening as the operators' dashboard:
 * server-side sessions in Redis that end when the token is revoked, HttpOnly SameSite=Strict
 * signed cookies, a CSRF token on every form, the same CSP; one script, which only checks the
 * register form as it is typed (the form works without it).
 */
export async function espace(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(async (scope) => {
    await prepareHtmlScope(scope, deps);
    scope.decorateRequest('spaceSession', null);
    const area = spaceArea(new SessionStore(async () => (await deps.queues.harvest.client) as never, deps.config.HASAD_QUEUE_PREFIX, 'espace'));

    publicRoutes(scope, deps, area);
    await scope.register(async (secured) => {
      secured.addHook('onRequest', async (req, reply) => {
        const session = await areaSession(req, deps, area);
        if (!session || !session.principal.organizationId) {
          clearSessionCookie(req, reply, SESSION_COOKIE);
          return reply.code(303).header('cache-control', 'no-store').redirect(`${E}/sign-in?next=${encodeURIComponent(req.method === 'GET' ? req.url : E)}`, 303);
        }
        req.spaceSession = session;
        req.principal = session.principal;
      });
      secured.addHook('preHandler', async (req, reply) => {
        if (req.method !== 'POST') return;
        const body = (req.body as Body | undefined) ?? {};
        if (crossSite(req) || !sameToken(body._csrf, req.spaceSession!.csrf)) {
          req.log.warn({ url: req.url, tokenId: req.principal?.tokenId }, 'space form refused: CSRF token missing or wrong');
          const lang = langOf(req);
          return sendHtml(reply, spacePage({ lang, title: l(lang, 'error.title'), ctx: ctxOf(req), body: html`<p class="flash error" role="alert">${l(lang, 'signin.csrf')}</p>` }), 403);
        }
      });
      securedRoutes(secured, deps, area);
    });
  });
}

/** Every field a CSV column can fill, with the language variants of the multilingual ones, for the mapping table. */
const CSV_FIELD_NAMES: string[] = Object.entries(CSV_FIELDS).flatMap(([name, def]) => (def.lang ? [name, `${name}.fr`, `${name}.ar`, `${name}.en`] : [name]));
const MAX_COLUMNS = 500;

/**
 * The mapping chosen in the CSV mapping table (`csvcol_N`: the column's name, `csvmap_N`: the
 * field, empty for "not read"), as the config's `mapping`; a message when it cannot be used.
 */
export function csvMappingFromForm(b: Record<string, string | undefined>): Record<string, string> | string {
  const mapping: Record<string, string> = {};
  for (let i = 0; i < MAX_COLUMNS; i++) {
    const column = b[`csvcol_${i}`];
    if (column === undefined) break;
    const field = (b[`csvmap_${i}`] ?? '').trim();
    if (field === '') continue;
    if (!CSV_FIELD_NAMES.includes(field)) return `"${field}" is not a field a CSV column can fill`;
    if (Object.hasOwn(mapping, field)) return `${field} is chosen for two columns ("${mapping[field]}" and "${column}"); choose it for one`;
    mapping[field] = column;
  }
  return mapping;
}

/** A CKAN organisation's name (its slug in the portal's URLs). */
const CKAN_NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;

/**
 * Writes the register form's kind helpers into the config: the SOAP WSDL and the operation chosen
 * from it (`wsdl`, `operation`), a CKAN organisation as the `fq` filter (`organization:NAME`,
 * joined to a filter already there). Returns true when the config changed, a message when a
 * helper's value cannot be used.
 */
export function applyConfigHelpers(v: RegisterValues, cfg: Record<string, unknown>): boolean | string {
  let changed = false;
  if (v.kind === 'soap' && v.soap_wsdl !== '') {
    if (cfg.wsdl !== v.soap_wsdl) [cfg.wsdl, changed] = [v.soap_wsdl, true];
    if (v.soap_operation !== '' && cfg.operation !== v.soap_operation) [cfg.operation, changed] = [v.soap_operation, true];
  }
  if (v.kind === 'ckan' && v.ckan_organization !== '') {
    if (!CKAN_NAME.test(v.ckan_organization)) return `"${v.ckan_organization}" is not a CKAN organisation name (lower-case letters, digits, - and _, as in the portal's /organization/NAME address)`;
    const clause = `organization:${v.ckan_organization}`;
    const fq = typeof cfg.fq === 'string' ? cfg.fq.trim() : '';
    if (!fq.split(/\s+/).includes(clause)) [cfg.fq, changed] = [fq === '' ? clause : `(${fq}) AND ${clause}`, true];
  }
  return changed;
}

function ctxOf(req: FastifyRequest): SpaceContext {
  const s = req.spaceSession!;
  return { lang: langOf(req), csrf: s.csrf, organization: s.principal.organizationSlug ?? s.principal.prefix, here: req.url };
}

function publicRoutes(app: FastifyInstance, deps: ApiDeps, area: SignInArea): void {
  signInRoutes(app, deps, area);
}

function securedRoutes(app: FastifyInstance, deps: ApiDeps, area: SignInArea): void {
  const org = (req: FastifyRequest) => req.spaceSession!.principal.organizationId!;
  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = ctxOf(req);
    return sendHtml(reply, spacePage({ lang: ctx.lang, title: l(ctx.lang, 'error.notFound'), ctx, body: html`<p class="flash error" data-testid="not-found">${l(ctx.lang, 'error.notFound')}</p>` }), 404);
  };
  const flashOf = (lang: Lang, q: Record<string, string | undefined>) => {
    if (!q.done || !DONE.has(q.done)) return undefined;
    const n = Number(q.n ?? 0) || 0;
    return { kind: 'ok' as const, text: l(lang, `done.${q.done}` as LabelKey, { datasets: counted(lang, 'datasets', n) }) };
  };
  /** The organisation's own source (not deleted), else undefined: another's answers as one that does not exist. */
  const ownSource = async (req: FastifyRequest, id: string) => {
    const [row] = isUuid(id) ? await listSourcesWithLastRun(deps.db, { id, organizationId: org(req) }) : [];
    return row;
  };
  const ownRun = async (req: FastifyRequest, id: string) => {
    const found = isUuid(id) ? await getRunWithOwner(deps.db, id) : undefined;
    return found && found.organizationId === org(req) && !found.sourceDeletedAt ? found.run : undefined;
  };

  signOutRoute(app, area, (req) => req.spaceSession!);

  app.get(E, async (req, reply) => {
    const ctx = ctxOf(req);
    const [rows, nextRuns] = await Promise.all([listSourcesWithLastRun(deps.db, { organizationId: org(req) }), nextRunTimes(deps)]);
    return sendHtml(reply, spacePage({ lang: ctx.lang, title: l(ctx.lang, 'sources.title'), ctx, body: sourcesView(ctx.lang, rows, nextRuns) }));
  });

  const renderSource = async (req: FastifyRequest, reply: FastifyReply, id: string, status = 200, error?: string) => {
    const ctx = ctxOf(req);
    const row = await ownSource(req, id);
    if (!row) return notFound(req, reply);
    const [stored, history, latest, nextRuns, quality, last] = await Promise.all([
      getSource(deps.db, id),
      listRunHistory(deps.db, id, 20),
      latestRunWithProblems(deps.db, id),
      nextRunTimes(deps),
      getSourceQuality(deps.db, id),
      listRuns(deps.db, { sourceId: id, limit: 1 }),
    ]);
    const problems = latest ? { run: latest, groups: await groupRunProblems(deps.db, latest.id) } : undefined;
    const flash = error ? { kind: 'error' as const, text: error } : flashOf(ctx.lang, req.query as Record<string, string>);
    return sendHtml(
      reply,
      spacePage({
        lang: ctx.lang,
        title: row.title ?? row.url,
        ctx,
        ...(flash ? { flash } : {}),
        body: sourceView(ctx.lang, ctx, {
          source: { ...row, reviewComment: stored?.reviewComment ?? null },
          nextRun: nextRuns.get(id),
          waitMs: harvestWaitMs(deps, last[0]),
          history,
          problems,
          quality,
        }),
      }),
      status,
    );
  };

  app.get<{ Params: { id: string } }>(`${E}/sources/:id`, async (req, reply) => renderSource(req, reply, req.params.id));

  // "Harvest now" within the politeness limit: the same rule as the API for organisation tokens.
  app.post<{ Params: { id: string } }>(`${E}/sources/:id/harvest`, async (req, reply) => {
    const lang = langOf(req);
    const row = await ownSource(req, req.params.id);
    if (!row) return notFound(req, reply);
    if (row.approvalStatus !== 'approved') return renderSource(req, reply, row.id, 409, l(lang, 'error.notApproved'));
    if (harvestWaitMs(deps, (await listRuns(deps.db, { sourceId: row.id, limit: 1 }))[0]) > 0) return renderSource(req, reply, row.id, 429);
    const { run, created } = await enqueueHarvestRun({ db: deps.db, queues: deps.queues }, row.id, 'manual');
    req.log.info({ sourceId: row.id, runId: run.id, created, tokenId: req.principal?.tokenId }, 'space: harvest requested');
    return reply.redirect(`${runHref(run.id)}?done=${created ? 'harvest' : 'harvestLive'}`, 303);
  });

  const renderRun = async (req: FastifyRequest, reply: FastifyReply, id: string, status = 200, error?: string) => {
    const ctx = ctxOf(req);
    const run = await ownRun(req, id);
    if (!run) return notFound(req, reply);
    const [source, groups, pending] = await Promise.all([
      getSource(deps.db, run.sourceId),
      groupRunProblems(deps.db, run.id),
      run.status === 'needs_review' ? listPendingWithdrawals(deps.db, run.id, { limit: PENDING_SHOWN, offset: 0 }) : undefined,
    ]);
    const flash = error ? { kind: 'error' as const, text: error } : flashOf(ctx.lang, req.query as Record<string, string>);
    return sendHtml(
      reply,
      spacePage({
        lang: ctx.lang,
        title: l(ctx.lang, 'run.title', { date: run.createdAt.toISOString() }),
        ctx,
        ...(flash ? { flash } : {}),
        body: runView(ctx.lang, ctx, {
          run,
          source: { id: run.sourceId, title: source?.title ?? null, url: source?.url ?? '' },
          groups,
          reviewText: run.status === 'needs_review' ? runReviewText(ctx.lang, run) : null,
          pending,
        }),
      }),
      status,
    );
  };

  app.get<{ Params: { id: string } }>(`${E}/runs/:id`, async (req, reply) => renderRun(req, reply, req.params.id));

  for (const action of ['confirm', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`${E}/runs/:id/${action}`, async (req, reply) => {
      const run = await ownRun(req, req.params.id);
      if (!run) return notFound(req, reply);
      if (run.status !== 'needs_review') return renderRun(req, reply, run.id, 409, l(langOf(req), 'error.notWaiting'));
      try {
        const n = action === 'confirm' ? (await confirmWithdrawals(deps.db, run.id)).withdrawn : (await cancelWithdrawals(deps.db, run.id), 0);
        req.log.info({ runId: run.id, action, tokenId: req.principal?.tokenId }, `space: withdrawals ${action}`);
        return reply.redirect(`${runHref(run.id)}?done=${action}&n=${n}`, 303);
      } catch (err) {
        // Not (or no longer) the source's latest finished run, or decided meanwhile.
        return renderRun(req, reply, run.id, 409, err instanceof Error ? err.message : String(err));
      }
    });
  }

  const kinds = adapterKinds();
  const preview = previewRunner(deps);
  const blank: RegisterValues = { kind: '', url: '', title: '', schedule: 'daily', timezone: DEFAULT_TIMEZONE, config: '{}', soap_wsdl: '', soap_operation: '', ckan_organization: '' };
  const registerPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    v: RegisterValues,
    opts: { status?: number; error?: string; result?: PreviewResult; operations?: SoapOperationInfo[]; columns?: CsvColumn[] } = {},
  ) => {
    const ctx = ctxOf(req);
    return sendHtml(
      reply,
      spacePage({
        lang: ctx.lang,
        title: l(ctx.lang, 'register.title'),
        ctx,
        ...(opts.error ? { flash: { kind: 'error' as const, text: opts.error } } : {}),
        body: registerView(ctx.lang, ctx, kinds, v, { ...opts, fields: CSV_FIELD_NAMES }),
      }),
      opts.status ?? 200,
    );
  };

  app.get(`${E}/register`, async (req, reply) => registerPage(req, reply, blank));

  /**
   * The form's check as the data officer types (espace.js posts the form here, CSRF token
   * included): every field the API would refuse, each with its message, from the very checks
   * saving runs (the URL's syntax, the kind's zod config schema, the time zone and schedule).
   * Nothing is fetched and nothing is written; the address rules are applied by the preview.
   */
  app.post<{ Body: Body }>(`${E}/register/check`, async (req, reply) => {
    const lang = langOf(req);
    const b = req.body ?? {};
    const errors: Array<{ field: string; message: string }> = [];
    const refused = (field: string, err: unknown) => {
      if (err instanceof HasadError) errors.push({ field, message: l(lang, 'register.refused', { detail: err.message }) });
      else throw err;
    };
    const kind = (b.kind ?? '').trim();
    const url = (b.url ?? '').trim();
    if (!kinds.includes(kind)) errors.push({ field: 'kind', message: l(lang, 'register.unknownKind') });
    if (url !== '') {
      try {
        checkFeedUrl(url);
      } catch (err) {
        refused('url', err);
      }
    }
    let config: unknown;
    try {
      config = JSON.parse((b.config ?? '').trim() || '{}');
      if (!config || typeof config !== 'object' || Array.isArray(config)) {
        errors.push({ field: 'config', message: l(lang, 'register.badJson', { detail: 'not an object' }) });
        config = undefined;
      }
    } catch (err) {
      errors.push({ field: 'config', message: l(lang, 'register.badJson', { detail: (err as Error).message }) });
    }
    if (config !== undefined && kinds.includes(kind)) {
      try {
        getAdapter(kind).parseConfig(config);
      } catch (err) {
        refused('config', err);
      }
    }
    const schedule = (b.schedule ?? '').trim();
    const timezone = (b.timezone ?? '').trim() || DEFAULT_TIMEZONE;
    try {
      validateTiming(deps, { timezone, schedule: schedule || null });
    } catch (err) {
      refused(err instanceof ApiError && err.context?.field === 'timezone' ? 'timezone' : 'schedule', err);
    }
    return reply.header('cache-control', 'no-store').send({ ok: errors.length === 0, errors });
  });

  /**
   * One form, two buttons: "preview" fetches the feed as a harvest would (nothing written) and
   * shows the first records and every problem; "save" registers it with the API's own checks
   * (pending until an operator approves, unless the organisation is trusted).
   */
  app.post<{ Body: Body }>(`${E}/register`, async (req, reply) => {
    const lang = langOf(req);
    const b = req.body ?? {};
    const limits: Record<keyof RegisterValues, number> = { kind: 20, url: 4096, title: 500, schedule: 200, timezone: 100, config: 20_000, soap_wsdl: 4096, soap_operation: 200, ckan_organization: 200 };
    const v = { ...blank };
    for (const k of Object.keys(limits) as Array<keyof RegisterValues>) {
      const raw = b[k] ?? '';
      // Refused, not cut: a cut URL or JSON would be another feed than the one typed.
      if (raw.length > limits[k]) return registerPage(req, reply, { ...v, [k]: '' }, { status: 400, error: l(lang, 'register.tooLong', { field: k, max: limits[k] }) });
      v[k] = k === 'config' ? raw : raw.trim();
    }
    if (!kinds.includes(v.kind)) return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.unknownKind') });
    let config: unknown;
    try {
      config = JSON.parse(v.config.trim() || '{}');
    } catch (err) {
      return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.badJson', { detail: (err as Error).message }) });
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.badJson', { detail: 'not an object' }) });
    const cfg = config as Record<string, unknown>;
    // The kind's helpers (a WSDL's operation, a CKAN organisation) write into the config, and the
    // config shown again is the one previewed or saved: what the data officer sees is what is kept.
    const helped = applyConfigHelpers(v, cfg);
    if (typeof helped === 'string') return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.refused', { detail: helped }) });
    if (helped) v.config = JSON.stringify(cfg, null, 2);
    if (b.action === 'mapping' && v.kind === 'csv') {
      // The CSV mapping table: each column's chosen field becomes the config's explicit mapping.
      const chosen = csvMappingFromForm(b);
      if (typeof chosen === 'string') return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.refused', { detail: chosen }) });
      cfg.mapping = chosen;
      delete cfg.preset;
      v.config = JSON.stringify(cfg, null, 2);
    }
    try {
      if (b.action === 'operations') {
        // "List the WSDL's operations": fetched as a feed is (address rules, size and time limits).
        if (v.soap_wsdl === '') return registerPage(req, reply, v, { status: 400, error: l(lang, 'register.soapNoWsdl') });
        checkFeedUrl(v.soap_wsdl);
        try {
          const operations = await listSoapOperations(v.soap_wsdl, fetchSettings(deps.config), AbortSignal.timeout(deps.config.HASAD_PREVIEW_TIMEOUT_MS));
          return registerPage(req, reply, v, { operations });
        } catch (err) {
          if (err instanceof HasadError) return registerPage(req, reply, v, { status: 422, error: l(lang, 'register.soapFailed', { detail: err.message }) });
          throw err;
        }
      }
      if (b.action === 'save') {
        const p = req.spaceSession!.principal;
        const org = await organizationFor(deps, p, undefined);
        const input = { kind: v.kind, url: v.url, config: cfg, timezone: v.timezone || DEFAULT_TIMEZONE, schedule: v.schedule || null };
        validateSource(deps, input);
        const trusted = org.trusted;
        const src = await createSource(deps.db, {
          organizationId: org.id,
          ...input,
          title: v.title || null,
          enabled: true,
          approvalStatus: trusted ? 'approved' : 'pending',
          reviewedBy: null,
          reviewedAt: trusted ? new Date() : null,
          reviewComment: trusted ? 'approved automatically: the organisation is trusted' : null,
        });
        req.log.info({ sourceId: src.id, organization: org.slug, approvalStatus: src.approvalStatus, tokenId: p.tokenId }, 'space: source registered');
        if (src.approvalStatus === 'pending') await tellOperators(deps, req.log, src.id, 'registered', src.createdAt);
        return reply.redirect(`${E}/sources/${src.id}?done=registered`, 303);
      }
      const result = await preview(v.kind, v.url, cfg, 10);
      // For a CSV, the mapping table is built from the file's own header.
      const columns = v.kind === 'csv' ? await csvColumns(v.url, cfg) : undefined;
      return registerPage(req, reply, v, { result, ...(columns !== undefined && { columns }) });
    } catch (err) {
      // The API's refusals (bad URL, config, schedule; what a harvest would fail with), their message as the API gives it.
      if (err instanceof ApiError) return registerPage(req, reply, v, { status: err.statusCode, error: l(lang, 'register.refused', { detail: err.message }) });
      throw err;
    }
  });

  /** The CSV file's header and the field each column fills; undefined when it cannot be read (the preview says why). */
  const csvColumns = async (url: string, cfg: Record<string, unknown>): Promise<CsvColumn[] | undefined> => {
    try {
      return await readCsvColumns(url, parseCsvConfig(cfg), fetchSettings(deps.config), AbortSignal.timeout(deps.config.HASAD_PREVIEW_TIMEOUT_MS));
    } catch (err) {
      if (err instanceof HasadError) return undefined;
      throw err;
    }
  };

  const notificationsPage = async (req: FastifyRequest, reply: FastifyReply, results?: TestDelivery[]) => {
    const ctx = ctxOf(req);
    const n = await getOrganizationNotifications(deps.db, req.spaceSession!.principal.organizationSlug!);
    if (!n) return notFound(req, reply);
    return sendHtml(reply, spacePage({ lang: ctx.lang, title: l(ctx.lang, 'notif.title'), ctx, body: notificationsView(ctx.lang, ctx, n, results) }));
  };
  app.get(`${E}/notifications`, async (req, reply) => notificationsPage(req, reply));
  // Sent at once, to the organisation's own contacts only, and the outcome shown per channel.
  app.post(`${E}/notifications/test`, async (req, reply) => {
    const mailer = createMailer(deps.config);
    try {
      const results = await sendTestNotification({ db: deps.db, config: deps.config, mailer }, req.spaceSession!.principal.organizationSlug!, publicUrlOf(deps.config));
      req.log.info({ organization: req.spaceSession!.principal.organizationSlug, results: results.map((r) => `${r.channel}:${r.outcome}`) }, 'space: test notification');
      return notificationsPage(req, reply, results);
    } finally {
      mailer?.close();
    }
  });

  // Unknown paths under the space: the same 404 page.
  app.get(`${E}/*`, async (req, reply) => notFound(req, reply));
}
