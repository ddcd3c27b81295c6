import {
  getOrganizationScoreboardFigures,
  listScoreboardFigures,
  refreshDueScoreboards as refreshDue,
  refreshOrganizationScoreboard as refreshOne,
  type DbHandle,
  type ScoreboardFigures,
  type ScoreboardSort,
} from '@hasad/db';
import { isOpenFormat, MQA_MAX, ratingOf, type Rating } from '@hasad/quality';

/** One institution's line of the publishers' scoreboard, as the API answers it: the stored figures, the quality rated. */
export interface ScoreboardEntry extends Omit<ScoreboardFigures, 'quality'> {
  /** Mean metadata quality score of the scored active datasets, out of 405 (docs/quality.md); its change since 30 days before. */
  quality: { score: number | null; max: number; rating: Rating | null; trend: number | null; scored: number | null };
}

// The repository stores and reads the figures; the rules that classify formats and rate a score
// are @hasad/quality's, joined here.
function entryOf(f: ScoreboardFigures): ScoreboardEntry {
  const { score, trend, scored } = f.quality;
  return { ...f, quality: { score, max: MQA_MAX, rating: score === null ? null : ratingOf(score, MQA_MAX), trend, scored } };
}

/** Computes and stores one organisation's figures (see @hasad/db's `refreshOrganizationScoreboard`). */
export const refreshOrganizationScoreboard = (h: DbHandle, organizationId: string, at?: Date): Promise<void> => refreshOne(h, organizationId, isOpenFormat, at);

/** Refreshes every organisation whose figures are due, one after the other. Returns how many. */
export const refreshDueScoreboards = (h: DbHandle, maxAgeMinutes: number, at?: Date): Promise<number> => refreshDue(h, maxAgeMinutes, isOpenFormat, at);

/** One organisation's stored figures; undefined for an unknown slug. */
export async function getOrganizationScoreboard(h: DbHandle, slug: string): Promise<ScoreboardEntry | undefined> {
  const f = await getOrganizationScoreboardFigures(h, slug);
  return f && entryOf(f);
}

/** Every organisation's stored figures, sorted (see @hasad/db's `listScoreboardFigures`). */
export async function listScoreboard(h: DbHandle, opts: { sort?: ScoreboardSort; order?: 'asc' | 'desc' } = {}): Promise<ScoreboardEntry[]> {
  return (await listScoreboardFigures(h, opts)).map(entryOf);
}
