import { sql } from 'drizzle-orm';
import { boolean, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Institutions that publish feeds (ministries, public bodies). */
export const organizations = pgTable('organizations', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull().unique(),
  name: text().notNull(),
  /** Set by an operator: sources this organisation registers are approved at once instead of starting `pending`. */
  trusted: boolean().notNull().default(false),
  /** Addresses told when one of the organisation's sources keeps failing or a run needs review (see @hasad/notify). */
  notifyEmails: text().array().notNull().default(sql`'{}'::text[]`),
  /** Where the same events are POSTed as signed JSON; null = no webhook. */
  webhookUrl: text(),
  /** HMAC-SHA256 key of the webhook's signature; never returned by the API after it is set. */
  webhookSecret: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
