import { date, integer, pgTable, primaryKey, real, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';

/**
 * The publishers' scoreboard (`/observatoire`, `GET /api/v1/scoreboard`): one row of figures per
 * organisation, computed by the scheduler after each of the organisation's runs ends and on a
 * periodic refresh (scoreboard.repository.ts), and only read by the API. Shares are 0..1; null
 * when there is nothing to count (no dataset scored, no link checked, no run finished).
 */
export const organizationScoreboard = pgTable('organization_scoreboard', {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  /** Active datasets. */
  datasets: integer().notNull(),
  /** Active datasets last modified (dct:modified, else Hasad's last change) in the last 30, 90, 365 days. */
  updated30: integer().notNull(),
  updated90: integer().notNull(),
  updated365: integer().notNull(),
  /** Median days since the active datasets' last modification. */
  medianAgeDays: real(),
  /** Mean metadata quality score (points of 405) of the active datasets that have one. */
  qualityScore: real(),
  qualityScored: integer().notNull(),
  /** qualityScore minus the score of the daily history 30 (or more) days before. */
  qualityTrend: real(),
  linksChecked: integer().notNull(),
  linksBroken: integer().notNull(),
  brokenLinksShare: real(),
  /** Runs of the organisation's sources finished in the last 90 days (cancelled ones left out), and those that succeeded. */
  runs: integer().notNull(),
  runsSucceeded: integer().notNull(),
  harvestHealth: real(),
  /** Distributions of the active datasets, and those in an open, machine-readable format. */
  distributions: integer().notNull(),
  openDistributions: integer().notNull(),
  openFormatsShare: real(),
  computedAt: timestamp({ withTimezone: true }).notNull(),
});

/** One row per organisation and day (UTC) with the day's last figures: the trends read it. */
export const organizationScoreboardHistory = pgTable(
  'organization_scoreboard_history',
  {
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    day: date().notNull(),
    datasets: integer().notNull(),
    medianAgeDays: real(),
    qualityScore: real(),
    brokenLinksShare: real(),
    harvestHealth: real(),
    openFormatsShare: real(),
    computedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.day] })],
);
