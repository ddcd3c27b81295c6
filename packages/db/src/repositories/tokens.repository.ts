import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { ConfigError } from '@hasad/core';
import type { DbHandle } from '../client.ts';
import { apiTokens, organizations, type TokenRole } from '../schema/index.ts';
import { isUuid } from './sources.repository.ts';

export type ApiToken = typeof apiTokens.$inferSelect;

/** Every token starts with this, so secret scanners and people recognise it. */
export const TOKEN_PREFIX = 'hsd_';
/** `hsd_` + base64url of 32 random bytes (256 bits, 43 characters, no padding). */
export const TOKEN_PATTERN = /^hsd_[A-Za-z0-9_-]{43}$/;

/** A token as listings show it: never the token or its hash. */
export interface TokenInfo {
  id: string;
  role: TokenRole;
  organization: string | null;
  operatorName: string | null;
  /** `hsd_` + the first 8 characters of the token's random part. */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The owner of a valid token, as authentication hands it to the API. */
export interface TokenPrincipal {
  tokenId: string;
  role: TokenRole;
  organizationId: string | null;
  organizationSlug: string | null;
  operatorName: string | null;
  prefix: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Hex SHA-256 of a token: what the table stores and what a lookup compares. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token (256 bits). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Creates a token for an organisation or an operator and returns it with the plain token,
 * which is not stored anywhere and cannot be shown again.
 */
export async function createApiToken(
  h: DbHandle,
  owner: { role: 'organization'; organizationId: string } | { role: 'operator'; operatorName: string },
  opts: { expiresAt?: Date | null } = {},
): Promise<{ token: string; info: TokenInfo }> {
  if (owner.role === 'operator' && !owner.operatorName.trim()) throw new ConfigError('operator name must not be empty');
  const token = generateToken();
  const [row] = await h.db
    .insert(apiTokens)
    .values({
      role: owner.role,
      organizationId: owner.role === 'organization' ? owner.organizationId : null,
      operatorName: owner.role === 'operator' ? owner.operatorName.trim() : null,
      tokenHash: hashToken(token),
      prefix: token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 8),
      expiresAt: opts.expiresAt ?? null,
    })
    .returning();
  const info = (await listApiTokens(h, { id: row!.id }))[0]!;
  return { token, info };
}

/**
 * Looks a presented token up by its hash (the comparison happens inside a unique-index probe
 * on the hash, never character by character on the secret). Revoked and expired tokens are
 * returned too, so the caller can say why they are refused.
 */
export async function findTokenPrincipal(h: DbHandle, token: string): Promise<TokenPrincipal | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const [row] = await h.db
    .select({
      tokenId: apiTokens.id,
      role: apiTokens.role,
      organizationId: apiTokens.organizationId,
      organizationSlug: organizations.slug,
      operatorName: apiTokens.operatorName,
      prefix: apiTokens.prefix,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .leftJoin(organizations, eq(organizations.id, apiTokens.organizationId))
    .where(eq(apiTokens.tokenHash, hashToken(token)));
  return row ? { ...row, role: row.role as TokenRole, prefix: `${TOKEN_PREFIX}${row.prefix}` } : undefined;
}

/**
 * Moves `last_used_at` to now unless it moved less than `minIntervalMs` ago: several API
 * processes may call this on every request, and only about one write per token and interval results.
 */
export async function touchApiToken(h: DbHandle, id: string, minIntervalMs = 60_000): Promise<void> {
  await h.db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - make_interval(secs => ${minIntervalMs / 1000})`))));
}

/** Revokes a token (idempotent: the first revocation time is kept). Returns undefined for an unknown id. */
export async function revokeApiToken(h: DbHandle, id: string): Promise<TokenInfo | undefined> {
  if (!isUuid(id)) return undefined;
  await h.db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(eq(apiTokens.id, id));
  return (await listApiTokens(h, { id }))[0];
}

/** Tokens, newest first, optionally of one organisation; never the token or its hash. */
export async function listApiTokens(h: DbHandle, filter: { organizationId?: string; id?: string } = {}): Promise<TokenInfo[]> {
  const conds = [];
  if (filter.organizationId) conds.push(eq(apiTokens.organizationId, filter.organizationId));
  if (filter.id) conds.push(eq(apiTokens.id, filter.id));
  const rows = await h.db
    .select({
      id: apiTokens.id,
      role: apiTokens.role,
      organization: organizations.slug,
      operatorName: apiTokens.operatorName,
      prefix: apiTokens.prefix,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .leftJoin(organizations, eq(organizations.id, apiTokens.organizationId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => ({ ...r, role: r.role as TokenRole, prefix: `${TOKEN_PREFIX}${r.prefix}` }));
}
