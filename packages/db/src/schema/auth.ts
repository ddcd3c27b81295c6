import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';

/**
 * API bearer tokens. Only the SHA-256 of a token is stored: the token itself is shown once,
 * when it is created. A token belongs either to an organisation (role `organization`, acts on
 * that organisation's sources and runs only) or to a named operator (role `operator`).
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** organization | operator */
    role: text().notNull(),
    organizationId: uuid().references(() => organizations.id, { onDelete: 'cascade' }),
    /** The operator's name (recorded as the reviewer of the sources they approve or reject). */
    operatorName: text(),
    /** Hex SHA-256 of the whole token (`hsd_…`). A 256-bit random token needs no salt or slow hash. */
    tokenHash: text().notNull(),
    /** The first 8 characters after `hsd_`, to recognise a token in listings without revealing it. */
    prefix: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }),
    /** Moved at most about once a minute per token, so authentication does not write on every request. */
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_key').on(t.tokenHash),
    index('api_tokens_org_idx').on(t.organizationId),
    check('api_tokens_owner_check', sql`(role = 'organization' AND organization_id IS NOT NULL) OR (role = 'operator' AND operator_name IS NOT NULL)`),
  ],
);

export const TOKEN_ROLES = ['organization', 'operator'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
