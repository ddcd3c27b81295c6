import type { SourceQualityFigures } from '@hasad/core';
import { improvementMessageKey } from './messages.ts';
import { CRITERIA, CRITERION_NAMES, DIMENSIONS, IMPROVEMENT_CODES, IMPROVEMENT_CRITERION, ratingOf, type Criterion, type Dimension, type ImprovementCode, type Rating } from './score.ts';

/** The quality of a source: what `GET /api/v1/sources/:id/quality` answers and the dashboard shows. */
export interface SourceQuality {
  sourceId: string;
  /** Active datasets of the source. */
  datasets: number;
  /** Of them, those with a score (rows written before migration 0007 have none until `hasad quality rescore`). */
  scored: number;
  /**
   * The source's score: for each criterion, the average points of the datasets assessed on it,
   * summed. The link criteria are averaged over the datasets whose URLs were checked (a sample).
   * Null when no dataset is scored.
   */
  score: number | null;
  /** The weights of the criteria assessed on at least one dataset (405 in the EDP methodology; dct:rights is never assessed). */
  max: number;
  rating: Rating | null;
  dimensions: Record<Dimension, { average: number; max: number }>;
  /** Average points per criterion; null when no dataset was assessed on it. */
  criteria: Record<Criterion, { average: number | null; max: number }>;
  /** The most common improvements: how many datasets each would raise, by how much on average, and up to 3 of them. */
  improvements: Array<{
    code: ImprovementCode;
    criterion: Criterion;
    dimension: Dimension;
    messageKey: string;
    datasets: number;
    averageGain: number;
    exampleDatasetIds: string[];
  }>;
  /** The sampled link check of the source's distribution URLs (latest result per URL). */
  links: {
    checked: number;
    answered: number;
    broken: number;
    lastCheckedAt: string | null;
    /** Up to 5 URLs that did not answer, most recent first. */
    brokenExamples: Array<{ url: string; httpStatus: number | null; error: string | null; datasetId: string | null; checkedAt: string }>;
  };
  /** When it was aggregated: after the source's last complete run's link check, or on the first read. */
  computedAt: string;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * A source's quality from its figures (@hasad/db's `readSourceQualityFigures`): each criterion's
 * average named and weighed, summed per dimension and in all, rated, and the improvements
 * described. Criteria no dataset was assessed on count neither in the score nor in its maximum.
 */
export function sourceQualityOf(f: SourceQualityFigures): Omit<SourceQuality, 'computedAt'> {
  const byCriterion = new Map(f.criterionAverages.map((r) => [CRITERION_NAMES[r.n - 1], r.average]));
  const crit = {} as SourceQuality['criteria'];
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, { average: 0, max: 0 }])) as SourceQuality['dimensions'];
  let total = 0;
  let max = 0;
  for (const c of CRITERION_NAMES) {
    const avg = byCriterion.get(c);
    crit[c] = { average: avg === undefined ? null : round1(avg), max: CRITERIA[c].weight };
    if (avg === undefined) continue;
    const dim = dimensions[CRITERIA[c].dimension];
    dim.average += avg;
    dim.max += CRITERIA[c].weight;
    total += avg;
    max += CRITERIA[c].weight;
  }
  for (const d of DIMENSIONS) dimensions[d].average = round1(dimensions[d].average);
  const score = f.scored === 0 ? null : Math.round(total);
  return {
    sourceId: f.sourceId,
    datasets: f.datasets,
    scored: f.scored,
    score,
    max,
    rating: score === null ? null : ratingOf(score, max),
    dimensions,
    criteria: crit,
    improvements: f.improvements
      .filter((r): r is typeof r & { code: ImprovementCode } => (IMPROVEMENT_CODES as readonly string[]).includes(r.code))
      .map((r) => {
        const criterion = IMPROVEMENT_CRITERION[r.code];
        return {
          code: r.code,
          criterion,
          dimension: CRITERIA[criterion].dimension,
          messageKey: improvementMessageKey(r.code),
          datasets: r.datasets,
          averageGain: round1(r.averageGain),
          exampleDatasetIds: r.exampleDatasetIds,
        };
      }),
    links: {
      checked: f.links.checked,
      answered: f.links.answered,
      broken: f.links.checked - f.links.answered,
      lastCheckedAt: f.links.lastCheckedAt,
      brokenExamples: f.links.brokenExamples,
    },
  };
}
