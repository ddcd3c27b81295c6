import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Institutions that publish feeds (ministries, public bodies). */
export const organizations = pgTable('organizations', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull().unique(),
  name: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
