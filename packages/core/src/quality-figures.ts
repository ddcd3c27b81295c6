/**
 * A source's quality as @hasad/db's SQL aggregates give it (`readSourceQualityFigures`), before
 * @hasad/quality's `sourceQualityOf` names and weighs each criterion. Declared here because
 * neither package may import the other (the repository does not know the scoring rules).
 */
export interface SourceQualityFigures {
  sourceId: string;
  /** Active datasets of the source, and those of them with a score. */
  datasets: number;
  scored: number;
  /** Average points per criterion assessed on at least one dataset, by its 1-based position in the stored scores' `c` array. */
  criterionAverages: Array<{ n: number; average: number }>;
  /** The most common improvement codes of the stored scores, most datasets first (unrounded average gain, up to 3 example ids). */
  improvements: Array<{ code: string; datasets: number; averageGain: number; exampleDatasetIds: string[] }>;
  /** The source's link checks (latest result per URL). */
  links: {
    checked: number;
    answered: number;
    lastCheckedAt: string | null;
    /** Up to 5 URLs that did not answer, most recent first. */
    brokenExamples: Array<{ url: string; httpStatus: number | null; error: string | null; datasetId: string | null; checkedAt: string }>;
  };
}
