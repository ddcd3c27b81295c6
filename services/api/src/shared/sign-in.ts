import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findTokenPrincipal } from '@hasad/db';
import { DEFAULT_LANG, isLang, type Lang } from '@hasad/i18n';
import {
  clearSessionCookie,
  cookieOptions,
  LANG_COOKIE,
  loadSession,
  sameToken,
  setSessionCookie,
  signedCookie,
  tokenUsable,
  type DashboardSession,
  type SessionStore,
} from '../dashboard/session.ts';
import type { ApiDeps } from '../deps.ts';
import type { Html } from '../dashboard/html.ts';
import { crossSite, sendHtml } from './html-reply.ts';

/** Longest token read from the sign-in form (a token is 68 characters): anything longer is refused unread. */
const MAX_TOKEN = 2000;

/**
 * One signed-in area of HTML pages (the operators' dashboard, the institutions' space): who may
 * sign in, under which cookies, and how its pages look. Both areas sign in the same way, so the
 * flow (language switch, sign-in form with its own CSRF cookie, token check, session, sign-out)
 * is written once, here.
 */
export interface SignInArea {
  /** The area's root path: `/dashboard`, `/espace`. */
  path: string;
  /** The token role the area is for. */
  role: 'operator' | 'organization';
  /** The session cookie and the sign-in form's CSRF cookie: an area's session is not another's. */
  sessionCookie: string;
  signInCookie: string;
  store: SessionStore;
  /** A path of this area to go to after signing in (anything else: the root; no open redirect). */
  safeNext(next: unknown): string;
  /** The whole sign-in page, with an error when there is one. */
  signInPage(lang: Lang, csrf: string, next: string, error?: string): Html;
  /** The sign-in messages in `lang`: form expired, token not valid, token of the other role. */
  message(lang: Lang, key: 'csrf' | 'invalid' | 'wrongRole'): string;
  /** The log lines of a refused sign-in, a sign-in and a sign-out. */
  log: { refused: string; signedIn: string; signedOut: string };
}

/** The request's language: the area's language cookie, else the default. */
export function langOf(req: FastifyRequest): Lang {
  const v = req.cookies[LANG_COOKIE];
  return isLang(v) ? v : DEFAULT_LANG;
}

/** The session of the area, when the request carries a live one. */
export function areaSession(req: FastifyRequest, deps: ApiDeps, area: SignInArea): Promise<DashboardSession | undefined> {
  return loadSession(req, deps, area.store, { cookie: area.sessionCookie, role: area.role });
}

/** Registers `PATH/lang`, `GET PATH/sign-in` and `POST PATH/sign-in` (outside the area's sign-in gate). */
export function signInRoutes(app: FastifyInstance, deps: ApiDeps, area: SignInArea): void {
  const { path: P } = area;
  app.get<{ Querystring: { l?: string; next?: string } }>(`${P}/lang`, async (req, reply) => {
    // A preference, not a secret: unsigned, but with the same flags as the session cookie.
    if (isLang(req.query.l)) reply.setCookie(LANG_COOKIE, req.query.l, { ...cookieOptions(req, 365 * 86400), signed: false });
    return reply.redirect(area.safeNext(req.query.next), 303);
  });

  const form = (req: FastifyRequest, reply: FastifyReply, next: string, error?: string, status = 200) => {
    const csrf = randomBytes(24).toString('base64url');
    reply.setCookie(area.signInCookie, csrf, cookieOptions(req, 3600));
    return sendHtml(reply, area.signInPage(langOf(req), csrf, next, error), status);
  };

  app.get<{ Querystring: { next?: string } }>(`${P}/sign-in`, async (req, reply) => {
    if (await areaSession(req, deps, area)) return reply.redirect(area.safeNext(req.query.next), 303);
    return form(req, reply, area.safeNext(req.query.next));
  });

  app.post<{ Body: Record<string, string | undefined> }>(`${P}/sign-in`, async (req, reply) => {
    const lang = langOf(req);
    const body = req.body ?? {};
    const next = area.safeNext(body.next);
    // Login CSRF: the form's token must match the one set with the form (SameSite=Strict cookie).
    if (crossSite(req) || !sameToken(body._csrf, signedCookie(req, area.signInCookie))) return form(req, reply, next, area.message(lang, 'csrf'), 403);
    const token = body.token?.trim() ?? '';
    const found = token !== '' && token.length <= MAX_TOKEN ? await findTokenPrincipal(deps.db, token) : undefined;
    // Alive whatever its role, so that a live token of the other role gets the message that says so.
    if (!found || !tokenUsable({ ...found, role: area.role }, Date.now(), area.role)) {
      req.log.info({ prefix: found?.prefix }, area.log.refused);
      return form(req, reply, next, area.message(lang, 'invalid'), 401);
    }
    if (found.role !== area.role || (area.role === 'organization' && !found.organizationId)) return form(req, reply, next, area.message(lang, 'wrongRole'), 403);
    const { sid } = await area.store.create(found.tokenId);
    setSessionCookie(req, reply, sid, area.sessionCookie);
    reply.clearCookie(area.signInCookie, { path: '/' });
    req.log.info({ tokenId: found.tokenId, operator: found.operatorName, organizationId: found.organizationId }, area.log.signedIn);
    return reply.redirect(next, 303);
  });
}

/** Registers `POST PATH/sign-out` (inside the area's sign-in gate: `session` reads its session). */
export function signOutRoute(app: FastifyInstance, area: SignInArea, session: (req: FastifyRequest) => DashboardSession): void {
  app.post(`${area.path}/sign-out`, async (req, reply) => {
    await area.store.destroy(session(req).sid);
    clearSessionCookie(req, reply, area.sessionCookie);
    req.log.info({ tokenId: req.principal?.tokenId }, area.log.signedOut);
    return reply.redirect(`${area.path}/sign-in`, 303);
  });
}
