import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findTokenPrincipalById, isUuid, type TokenPrincipal } from '@hasad/db';
import type { ApiDeps } from '../deps.ts';

export const SESSION_COOKIE = 'hasad_session';
/** Holds the sign-in form's CSRF token before there is a session. */
export const SIGNIN_COOKIE = 'hasad_signin';
export const LANG_COOKIE = 'hasad_lang';
/** A session lasts at most this long, whatever happens to its token. */
export const SESSION_TTL_SECONDS = 12 * 3600;

/** A signed-in operator: the session id (from the cookie), its CSRF token and the token's owner, checked on this request. */
export interface DashboardSession {
  sid: string;
  csrf: string;
  principal: TokenPrincipal;
}

interface StoredSession {
  tokenId: string;
  csrf: string;
  createdAt: number;
}

/** The few Redis commands the session store uses (BullMQ's ioredis connection has them). */
interface SessionRedis {
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

/**
 * Server-side sessions in Redis, keyed by the SHA-256 of a random session id (so the keys in
 * Redis are not usable as cookies). The cookie carries the session id, signed with
 * HASAD_SESSION_SECRET. A session holds the operator token's id, never the token: each request
 * looks the token up again, so revoking or expiring it ends the session at once.
 */
export class SessionStore {
  /** `space` keeps the operators' dashboard sessions and the institutions' space sessions apart. */
  constructor(
    private readonly redis: () => Promise<SessionRedis>,
    private readonly prefix: string,
    private readonly space: 'dashboard' | 'espace' = 'dashboard',
  ) {}

  private key(sid: string): string {
    return `${this.prefix}:${this.space}:session:${createHash('sha256').update(sid).digest('hex')}`;
  }

  async create(tokenId: string): Promise<{ sid: string; csrf: string }> {
    const sid = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const stored: StoredSession = { tokenId, csrf, createdAt: Date.now() };
    await (await this.redis()).set(this.key(sid), JSON.stringify(stored), 'EX', SESSION_TTL_SECONDS);
    return { sid, csrf };
  }

  async get(sid: string): Promise<StoredSession | undefined> {
    const raw = await (await this.redis()).get(this.key(sid));
    return raw ? (JSON.parse(raw) as StoredSession) : undefined;
  }

  async destroy(sid: string): Promise<void> {
    await (await this.redis()).del(this.key(sid));
  }
}

/** True when the request reached us over https, directly or through a proxy that says so. */
export function isHttps(req: FastifyRequest): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return req.protocol === 'https' || first === 'https';
}

/** Cookie flags of every dashboard cookie: not readable by scripts, never sent cross-site, Secure over https, signed. */
export function cookieOptions(req: FastifyRequest, maxAgeSeconds: number) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: isHttps(req), signed: true, maxAge: maxAgeSeconds };
}

/** The value of a signed cookie, or undefined when absent or tampered with. */
export function signedCookie(req: FastifyRequest, name: string): string | undefined {
  const raw = req.cookies[name];
  if (!raw) return undefined;
  const u = req.unsignCookie(raw);
  return u.valid && u.value ? u.value : undefined;
}

/** Constant-time comparison of two CSRF tokens. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The request's session when its cookie is valid, the session exists and its token is still
 * an operator token that is neither revoked nor expired; otherwise undefined (and a session
 * whose token died is deleted).
 */
export async function loadSession(
  req: FastifyRequest,
  deps: ApiDeps,
  store: SessionStore,
  opts: { cookie: string; role: TokenPrincipal['role'] } = { cookie: SESSION_COOKIE, role: 'operator' },
): Promise<DashboardSession | undefined> {
  const sid = signedCookie(req, opts.cookie);
  if (!sid) return undefined;
  const stored = await store.get(sid);
  if (!stored || !isUuid(stored.tokenId)) return undefined;
  const principal = await findTokenPrincipalById(deps.db, stored.tokenId);
  if (!principal || !tokenUsable(principal, Date.now(), opts.role)) {
    await store.destroy(sid);
    return undefined;
  }
  return { sid, csrf: stored.csrf, principal };
}

/** A token of `role` (an operator's by default) that is neither revoked nor expired. */
export function tokenUsable(p: TokenPrincipal, now = Date.now(), role: TokenPrincipal['role'] = 'operator'): boolean {
  return p.role === role && !p.revokedAt && !(p.expiresAt && p.expiresAt.getTime() <= now);
}

/** Sets the session cookie. */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, sid: string, cookie = SESSION_COOKIE): void {
  reply.setCookie(cookie, sid, cookieOptions(req, SESSION_TTL_SECONDS));
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply, cookie = SESSION_COOKIE): void {
  reply.clearCookie(cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure: isHttps(req) });
}
