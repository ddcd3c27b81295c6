import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { neutraliseCsvCell, redactUrl } from '@hasad/core';
import {
  cancelWithdrawals,
  confirmWithdrawals,
  countProblems,
  dashboardFilterValues,
  getRunTimeline,
  getRunWithOwner,
  getSource,
  groupRunProblems,
  isUuid,
  iterateRunProblems,
  latestRunWithProblems,
  listDashboardSources,
  listIriClashes,
  listPendingWithdrawals,
  listProblems,
  listRunHistory,
  reviewSource,
  updateSource,
} from '@hasad/db';
import { counted } from '@hasad/i18n';
import { cancelHarvestRun, enqueueHarvestRun, getSourceQuality } from '@hasad/pipeline';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { previewView } from '../espace/views.ts';
import { crossSite, sendHtml } from '../shared/html-reply.ts';
import { prepareHtmlScope } from '../shared/html-scope.ts';
import { previewRunner } from '../shared/preview-runner.ts';
import { runReviewText } from '../shared/runs.ts';
import { nextRunTimes } from '../shared/schedules.ts';
import { areaSession, langOf, signInRoutes, signOutRoute, type SignInArea } from '../shared/sign-in.ts';
import { validateTiming } from '../shared/sources.ts';
import { queuesBoard, QUEUES_BOARD_PATH } from './queues-board.ts';
import { html, type Html } from './html.ts';
import { t, type Lang, type MessageKey } from './i18n.ts';
import { DASHBOARD_PATH as D, page, type PageContext } from './layout.ts';
import { computeSnapshot, runSnapshot, SnapshotCache } from './live.ts';
import { clearSessionCookie, sameToken, SESSION_COOKIE, SessionStore, SIGNIN_COOKIE, type DashboardSession } from './session.ts';
import { qualityView } from './quality.view.ts';
import { overviewView, pendingWithdrawalsView, runView, signInView, sourcesView, sourceView, type SourcesQuery } from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in operator's session on dashboard and Bull Board routes. */
    dashboardSession: DashboardSession | null;
  }
}

/** Problems per page on the run page; steps of the timeline shown at most. */
const PROBLEMS_PER_PAGE = 50;
const TIMELINE_LIMIT = 1000;
/** Datasets a needs_review run would withdraw, listed on its page (the API pages through all of them). */
const PENDING_SHOWN = 200;
/** How often a live page receives a new snapshot (server-sent events). */
const EVENTS_INTERVAL_MS = 1000;

/** The stylesheet and the script, read once: no build step, nothing from a CDN. */
const STATIC: Record<string, { body: string; type: string }> = {
  'dashboard.css': { body: readFileSync(new URL('./static/dashboard.css', import.meta.url), 'utf8'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { body: readFileSync(new URL('./static/dashboard.js', import.meta.url), 'utf8'), type: 'text/javascript; charset=utf-8' },
  // The institutions' space's one script: its register form checked as the data officer types.
  'espace.js': { body: readFileSync(new URL('./static/espace.js', import.meta.url), 'utf8'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { body: readFileSync(new URL('./static/favicon.svg', import.meta.url), 'utf8'), type: 'image/svg+xml' },
};

/** Where to go after signing in or switching language: only a path of this dashboard or Bull Board (no open redirect). */
function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.startsWith('//') || next.includes('\\')) return D;
  return next === D || next.startsWith(`${D}/`) || next.startsWith(`${D}?`) || next === QUEUES_BOARD_PATH || next.startsWith(`${QUEUES_BOARD_PATH}/`) ? next : D;
}

/** Whether the request was routed to Bull Board (by the route's path, after the router decoded the URL). */
function isQueuesBoardRoute(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  if (route !== undefined) return route === QUEUES_BOARD_PATH || route.startsWith(`${QUEUES_BOARD_PATH}/`);
  // Unrouted (404): judge by the decoded, normalised path all the same.
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/\/{2,}/g, '/');
  } catch {
    return true;
  }
  return path === QUEUES_BOARD_PATH || path.startsWith(`${QUEUES_BOARD_PATH}/`);
}

function ctxOf(req: FastifyRequest): PageContext {
  const s = req.dashboardSession!;
  return { lang: langOf(req), csrf: s.csrf, operatorName: s.principal.operatorName ?? s.principal.prefix, here: req.url };
}

const DONE_KEYS = new Set(['harvest', 'harvestLive', 'pause', 'resume', 'approve', 'reject', 'schedule', 'confirm', 'cancel', 'cancelRun']);

/** The confirmation a redirect after an action asked for (`?done=approve`): only known keys, never text from the URL. */
function flashOf(lang: Lang, q: Record<string, string | undefined>): { kind: 'ok'; text: string } | undefined {
  if (!q.done || !DONE_KEYS.has(q.done)) return undefined;
  const n = Number(q.n ?? 0) || 0;
  return { kind: 'ok', text: t(lang, `done.${q.done}` as MessageKey, { n, datasets: counted(lang, 'datasets', n) }) };
}

type Body = Record<string, string | undefined>;

/** The dashboard as a signed-in area: operators' tokens, the dashboard's cookies and pages. */
function dashboardArea(store: SessionStore): SignInArea {
  const keys = { csrf: 'signin.csrf', invalid: 'signin.invalid', wrongRole: 'signin.notOperator' } as const;
  const log = { refused: 'dashboard sign-in refused', signedIn: 'operator signed in to the dashboard', signedOut: 'operator signed out of the dashboard' };
  const signInPage: SignInArea['signInPage'] = (lang, csrf, next, error) => page({ lang, title: t(lang, 'signin.title'), body: signInView(lang, csrf, next, error) });
  return { path: D, role: 'operator', sessionCookie: SESSION_COOKIE, signInCookie: SIGNIN_COOKIE, store, safeNext, signInPage, message: (lang, key) => t(lang, keys[key]), log };
}

/**
 * The operator dashboard under /dashboard and Bull Board under /admin/queues, both behind one
 * sign-in with an operator token. Everything is registered in one encapsulated scope, so the
 * cookie plugin, the form parser and the sign-in gate apply to these routes only.
 */
export async function dashboard(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(async (scope) => {
    await prepareHtmlScope(scope, deps);
    scope.decorateRequest('dashboardSession', null);
    // BullMQ's own connection: sessions are a handful of small keys under the deployment's prefix.
    const area = dashboardArea(new SessionStore(async () => (await deps.queues.harvest.client) as never, deps.config.HASAD_QUEUE_PREFIX));

    publicRoutes(scope, deps, area);
    await scope.register(async (secured) => {
      secured.addHook('onRequest', async (req, reply) => {
        const session = await areaSession(req, deps, area);
        if (!session) {
          if (req.url.startsWith(`${D}/events`) || req.url.startsWith(`${D}/live.json`)) {
            return reply.code(401).header('cache-control', 'no-store').send({ error: { code: 'unauthorized', message: 'sign in at /dashboard/sign-in' } });
          }
          clearSessionCookie(req, reply, area.sessionCookie);
          return reply.code(303).header('cache-control', 'no-store').redirect(`${D}/sign-in?next=${encodeURIComponent(req.method === 'GET' ? req.url : D)}`, 303);
        }
        req.dashboardSession = session;
        // The rate limiter (a route hook, run after this one) then counts per token, not per address.
        req.principal = session.principal;
        // Bull Board stays read-only: its action routes (retry, clean, promote…) are refused. The
        // route that matched decides, not the raw URL: the router decodes `%61dmin` and the like.
        if (isQueuesBoardRoute(req) && req.method !== 'GET' && req.method !== 'HEAD') {
          return reply.code(403).send({ error: { code: 'read_only', message: 'the queues board is read-only' } });
        }
      });
      // Synchronizer token: every POST carries the session's CSRF token in a hidden field.
      secured.addHook('preHandler', async (req, reply) => {
        if (req.method !== 'POST') return;
        if (crossSite(req) || !sameToken((req.body as Body | undefined)?._csrf, req.dashboardSession!.csrf)) {
          req.log.warn({ url: req.url, tokenId: req.principal?.tokenId }, 'dashboard form refused: CSRF token missing or wrong');
          const lang = langOf(req);
          return sendHtml(reply, page({ lang, title: t(lang, 'error.title'), ctx: ctxOf(req), body: html`<p class="flash error" role="alert">${t(lang, 'signin.csrf')}</p>` }), 403);
        }
      });
      securedRoutes(secured, deps, area);
      await queuesBoard(secured, deps);
    });
  });
}

function publicRoutes(app: FastifyInstance, deps: ApiDeps, area: SignInArea): void {
  app.get<{ Params: { file: string } }>(`${D}/static/:file`, async (req, reply) => {
    // Own properties only: `constructor` or `__proto__` must not reach Object's members.
    const f = Object.hasOwn(STATIC, req.params.file) ? STATIC[req.params.file] : undefined;
    if (!f) return reply.code(404).type('text/plain').send('not found');
    return reply.header('content-type', f.type).header('cache-control', 'public, max-age=300').header('x-content-type-options', 'nosniff').send(f.body);
  });

  signInRoutes(app, deps, area);
}

function securedRoutes(app: FastifyInstance, deps: ApiDeps, area: SignInArea): void {
  const snapshots = new SnapshotCache(deps);
  const streams = new Set<() => void>();
  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });

  signOutRoute(app, area, (req) => req.dashboardSession!);

  app.get(D, async (req, reply) => {
    const ctx = ctxOf(req);
    const [snap, clashes] = await Promise.all([computeSnapshot(deps), listIriClashes(deps.db)]);
    return sendHtml(
      reply,
      page({ lang: ctx.lang, title: t(ctx.lang, 'overview.title'), ctx, events: `${D}/events`, refreshOn: ['counts.failing', 'counts.needsReview', 'counts.pending'], body: overviewView(ctx.lang, ctx, snap, clashes) }),
    );
  });

  const liveFor = async (runId: string | undefined) => {
    const snap = await snapshots.get();
    return runId && isUuid(runId) ? { ...snap, run: (await runSnapshot(deps, runId)) ?? null } : snap;
  };

  app.get<{ Querystring: { run?: string } }>(`${D}/live.json`, async (req, reply) => {
    return reply.header('cache-control', 'no-store').send(await liveFor(req.query.run));
  });

  // Server-sent events: one JSON snapshot a second. The session is checked again on every tick,
  // so a revoked token or a sign-out ends the stream too.
  app.get<{ Querystring: { run?: string } }>(`${D}/events`, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const end = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
    const tick = async () => {
      try {
        if (!(await areaSession(req, deps, area))) {
          res.write('event: signed-out\ndata: {}\n\n');
          return end();
        }
        const data = await liveFor(req.query.run);
        if (!closed) res.write(`data: ${JSON.stringify(data)}\n\n`);
      } catch (err) {
        req.log.warn({ err }, 'dashboard event stream: snapshot failed');
      }
      if (!closed) timer = setTimeout(() => void tick(), EVENTS_INTERVAL_MS);
    };
    res.write('retry: 2000\n\n');
    void tick();
  });

  app.get<{ Querystring: SourcesQuery }>(`${D}/sources`, async (req, reply) => {
    const ctx = ctxOf(req);
    const q: SourcesQuery = {};
    for (const k of ['organization', 'kind', 'outcome', 'q'] as const) {
      const v = req.query[k];
      if (typeof v === 'string' && v.trim() !== '') q[k] = v.trim().slice(0, 200);
    }
    const [rows, filters, nextRuns] = await Promise.all([listDashboardSources(deps.db, q), dashboardFilterValues(deps.db), nextRunTimes(deps)]);
    return sendHtml(reply, page({ lang: ctx.lang, title: t(ctx.lang, 'sources.title'), ctx, body: sourcesView(ctx.lang, rows, filters, q, nextRuns) }));
  });

  const notFoundPage = (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = ctxOf(req);
    return sendHtml(reply, page({ lang: ctx.lang, title: t(ctx.lang, 'error.notFound'), ctx, body: html`<p class="flash error">${t(ctx.lang, 'error.notFound')}</p>` }), 404);
  };

  const renderSource = async (req: FastifyRequest, reply: FastifyReply, id: string, status = 200, error?: string) => {
    const ctx = ctxOf(req);
    const [source] = isUuid(id) ? await listDashboardSources(deps.db, { id }) : [];
    const stored = source ? await getSource(deps.db, id) : undefined;
    if (!source || !stored) return notFoundPage(req, reply);
    const [history, latest, nextRuns, quality] = await Promise.all([
      listRunHistory(deps.db, id, 30),
      latestRunWithProblems(deps.db, id),
      nextRunTimes(deps),
      getSourceQuality(deps.db, id),
    ]);
    const problems = latest ? { run: latest, groups: await groupRunProblems(deps.db, latest.id) } : undefined;
    const last = history[0];
    const review = last?.status === 'needs_review' ? await getRunWithOwner(deps.db, last.id) : undefined;
    const flash = error ? { kind: 'error' as const, text: error } : flashOf(ctx.lang, req.query as Record<string, string>);
    return sendHtml(
      reply,
      page({
        lang: ctx.lang,
        title: source.title ?? source.url,
        ctx,
        ...(flash ? { flash } : {}),
        body: sourceView(ctx.lang, ctx, {
          source,
          stored,
          history,
          problems,
          review: review ? { id: review.run.id, pendingWithdrawals: review.run.pendingWithdrawals, reason: runReviewText(ctx.lang, review.run) } : undefined,
          nextRun: nextRuns.get(id),
          quality: qualityView(ctx.lang, quality),
        }),
      }),
      status,
    );
  };

  app.get<{ Params: { id: string } }>(`${D}/sources/:id`, async (req, reply) => renderSource(req, reply, req.params.id));

  // Before approving a source: what a harvest would read from it now (nothing written), as its institution saw it.
  const preview = previewRunner(deps);
  app.get<{ Params: { id: string } }>(`${D}/sources/:id/preview`, async (req, reply) => {
    const ctx = ctxOf(req);
    const src = isUuid(req.params.id) ? await getSource(deps.db, req.params.id) : undefined;
    if (!src || src.deletedAt) return notFoundPage(req, reply);
    const title = `${t(ctx.lang, 'source.preview')} · ${src.title ?? redactUrl(src.url)}`;
    const back = html`<p><a href="${D}/sources/${src.id}">← ${src.title ?? redactUrl(src.url)}</a></p>`;
    try {
      const result = await preview(src.kind, src.url, src.config as Record<string, unknown>, 10);
      return sendHtml(reply, page({ lang: ctx.lang, title, ctx, body: html`<h1>${title}</h1>${back}${previewView(ctx.lang, result)}` }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return sendHtml(reply, page({ lang: ctx.lang, title, ctx, flash: { kind: 'error', text: `${err.code}: ${err.message}` }, body: html`<h1>${title}</h1>${back}` }), err.statusCode);
    }
  });

  /**
   * Runs a source action; an ApiError (the same refusals the API gives) re-renders the source
   * page with the message and the API's status, anything else goes to the error handler.
   */
  const sourceAction = (name: string, act: (req: FastifyRequest<{ Params: { id: string }; Body: Body }>, id: string) => Promise<string>) =>
    app.post<{ Params: { id: string }; Body: Body }>(`${D}/sources/:id/${name}`, async (req, reply) => {
      const id = req.params.id;
      const src = await getSource(deps.db, id);
      if (!src || src.deletedAt) return notFoundPage(req, reply);
      try {
        const target = await act(req, id);
        req.log.info({ sourceId: id, action: name, tokenId: req.principal?.tokenId, operator: req.principal?.operatorName }, `dashboard: source ${name}`);
        return reply.redirect(target, 303);
      } catch (err) {
        if (err instanceof ApiError) return renderSource(req, reply, id, err.statusCode, err.message);
        throw err;
      }
    });

  sourceAction('harvest', async (req, id) => {
    const src = (await getSource(deps.db, id))!;
    if (src.approvalStatus !== 'approved') throw new ApiError(409, 'not_approved', t(langOf(req), 'error.notApproved'));
    const { run, created } = await enqueueHarvestRun({ db: deps.db, queues: deps.queues }, id, 'manual');
    return `${D}/runs/${run.id}?done=${created ? 'harvest' : 'harvestLive'}`;
  });
  for (const [name, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    sourceAction(name, async (_req, id) => {
      await updateSource(deps.db, id, { enabled });
      return `${D}/sources/${id}?done=${name}`;
    });
  }
  sourceAction('review', async (req, id) => {
    const decision = req.body?.decision;
    const comment = req.body?.comment?.trim().slice(0, 4000) || null;
    if (decision !== 'approve' && decision !== 'reject') throw new ApiError(400, 'invalid_parameter', 'decision must be approve or reject');
    if (decision === 'reject' && !comment) throw new ApiError(400, 'invalid_parameter', t(langOf(req), 'error.commentRequired'));
    await reviewSource(deps.db, id, { status: decision === 'approve' ? 'approved' : 'rejected', by: req.principal!.operatorName!, comment });
    return `${D}/sources/${id}?done=${decision}`;
  });
  sourceAction('schedule', async (req, id) => {
    const src = (await getSource(deps.db, id))!;
    const next = { timezone: req.body?.timezone?.trim() || src.timezone, schedule: req.body?.schedule?.trim() || null };
    // The API's own checks (time zone, cron or interval, minimum interval), with its messages.
    validateTiming(deps, next);
    await updateSource(deps.db, id, { schedule: next.schedule, timezone: next.timezone });
    return `${D}/sources/${id}?done=schedule`;
  });

  for (const action of ['confirm', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`${D}/runs/:id/${action}`, async (req, reply) => {
      const found = isUuid(req.params.id) ? await getRunWithOwner(deps.db, req.params.id) : undefined;
      if (!found) return notFoundPage(req, reply);
      try {
        if (action === 'cancel' && (found.run.status === 'queued' || found.run.status === 'running')) {
          // A live run: stopped at its fetcher's next page boundary, withdrawing nothing (as the API and CLI do).
          const res = await cancelHarvestRun(deps, found.run.id, `operator ${req.principal?.operatorName ?? 'dashboard'}`);
          if (res.outcome === 'cancelled') {
            req.log.info({ runId: found.run.id, tokenId: req.principal?.tokenId, operator: req.principal?.operatorName }, 'dashboard: run cancelled');
            return reply.redirect(`${D}/runs/${found.run.id}?done=cancelRun`, 303);
          }
        }
        const target =
          action === 'confirm'
            ? `${D}/runs/${found.run.id}?done=confirm&n=${(await confirmWithdrawals(deps.db, found.run.id)).withdrawn}`
            : (await cancelWithdrawals(deps.db, found.run.id), `${D}/runs/${found.run.id}?done=cancel`);
        req.log.info({ runId: found.run.id, action, tokenId: req.principal?.tokenId, operator: req.principal?.operatorName }, `dashboard: withdrawals ${action}`);
        return reply.redirect(target, 303);
      } catch (err) {
        // confirmWithdrawals / cancelWithdrawals refuse a run that is not (or no longer) waiting for review.
        return renderRun(req, reply, found.run.id, 409, err instanceof Error ? err.message : String(err));
      }
    });
  }

  const renderRun = async (req: FastifyRequest, reply: FastifyReply, id: string, status = 200, error?: string) => {
    const ctx = ctxOf(req);
    const found = isUuid(id) ? await getRunWithOwner(deps.db, id) : undefined;
    if (!found) return notFoundPage(req, reply);
    const run = found.run;
    const offset = Math.max(0, Math.floor(Number((req.query as { offset?: string }).offset ?? 0)) || 0);
    const [source, progress, timeline, total, items] = await Promise.all([
      getSource(deps.db, run.sourceId),
      runSnapshot(deps, id),
      getRunTimeline(deps.db, id, TIMELINE_LIMIT),
      countProblems(deps.db, id),
      listProblems(deps.db, id, { limit: PROBLEMS_PER_PAGE, offset }),
    ]);
    const pending = run.status === 'needs_review' ? await listPendingWithdrawals(deps.db, id, { limit: PENDING_SHOWN, offset: 0 }) : undefined;
    const flash = error ? { kind: 'error' as const, text: error } : flashOf(ctx.lang, req.query as Record<string, string>);
    const final = progress?.final ?? true;
    return sendHtml(
      reply,
      page({
        lang: ctx.lang,
        title: t(ctx.lang, 'run.title', { id: id.slice(0, 8) }),
        ctx,
        ...(flash ? { flash } : {}),
        ...(final ? {} : { events: `${D}/events?run=${id}` }),
        body: runView(
          ctx.lang,
          ctx,
          {
            run,
            source: { id: run.sourceId, title: source?.title ?? null, url: source?.url ?? '', organization: progress?.organization ?? '' },
            progress: progress!,
            timeline,
            problems: { total, offset, limit: PROBLEMS_PER_PAGE, items },
            ...(pending ? { withdrawals: pendingWithdrawalsView(ctx.lang, pending) } : {}),
          },
          TIMELINE_LIMIT,
        ),
      }),
      status,
    );
  };

  app.get<{ Params: { id: string } }>(`${D}/runs/:id`, async (req, reply) => renderRun(req, reply, req.params.id));

  app.get<{ Params: { id: string } }>(`${D}/runs/:id/problems.csv`, async (req, reply) => {
    const found = isUuid(req.params.id) ? await getRunWithOwner(deps.db, req.params.id) : undefined;
    if (!found) return notFoundPage(req, reply);
    const cell = (v: string | number | null) => `"${neutraliseCsvCell(v === null ? '' : String(v)).replaceAll('"', '""')}"`;
    const runId = found.run.id;
    // Streamed, 5 000 rows a query: a run with a million problems does not sit in memory.
    async function* csv() {
      // A BOM so spreadsheet programs read the file as UTF-8 (French and Arabic intact).
      yield '\uFEFFpage,batch,severity,code,field,identifier,message\r\n';
      for await (const p of iterateRunProblems(deps.db, runId)) yield `${[p.pageNo, p.batchNo, p.severity, p.code, p.field, p.identifier, p.message].map(cell).join(',')}\r\n`;
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="run-${runId}-problems.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(csv()));
  });
}
