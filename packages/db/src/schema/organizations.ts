import { boolean, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Institutions that publish feeds (ministries, public bodies). */
export const organizations = pgTable('organizations', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull().unique(),
  name: text().notNull(),
  /** Set by an operator: sources this organisation registers are approved at once instead of starting `pending`. */
  trusted: boolean().notNull().default(false),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
