import { runCountsOf, type NotificationContext, type RunCounts } from '@hasad/db';
import { improvementText, problemText, type Lang } from '@hasad/i18n';
import type { NotifyEvent } from '@hasad/queues';

/**
 * The JSON body of a webhook delivery, and what an e-mail is written from. Fields are only ever
 * added, never renamed: receivers parse it.
 */
export interface NotificationEvent {
  /** Stable per (event, run): the same id on every channel and every retry, so a receiver can drop repeats. */
  id: string;
  kind: NotifyEvent;
  /** When the run ended (ISO 8601). */
  occurredAt: string;
  organization: { slug: string; name: string };
  source: { id: string; title: string | null; kind: string; url: string };
  run: {
    id: string;
    /** The run's final status: `failed`, `needs_review`, `succeeded` or `unchanged`. */
    outcome: string;
    trigger: string;
    startedAt: string | null;
    finishedAt: string | null;
    /** Pages fetched and answered 304, then the dataset counts (`pendingWithdrawals`: what a `needs_review` run would withdraw once confirmed). */
    counts: { pagesFetched: number; pagesNotModified: number } & RunCounts;
    error: { code: string | null; message: string } | null;
    review: { reason: string | null; message: string | null } | null;
    /** The source's metadata quality score after this run, its maximum, and after the previous run (`quality_drop`). */
    quality: { score: number | null; max: number; previous: number | null } | null;
  };
  /** Failed runs in a row: ending with this run (`failure_streak`) or ended by it (`recovered`). */
  failures: { inARow: number; threshold: number };
  /**
   * The run's problems grouped by code, most frequent first (at most 10): each with its sentence
   * in French, Arabic and English (what is wrong, what to change in the feed) and one example.
   */
  problems: Array<{ code: string; severity: string; count: number; text: Record<Lang, string>; example: { identifier: string | null; field: string | null; message: string } | null }>;
  /** What would raise the source's quality score most (`quality_drop`): each improvement's sentence and how many datasets it concerns. */
  improvements: Array<{ code: string; datasets: number; text: Record<Lang, string> }>;
  /** The API's run and source (a token of the organisation or an operator reads them), the operators' dashboard pages and the institution's space. */
  links: { run: string; source: string; sourceRuns: string; dashboardRun: string; dashboardSource: string; spaceRun: string; spaceSource: string };
}

/** The settings an event needs besides the run itself. */
export interface EventSettings {
  /** Base URL of the API as people reach it (no trailing slash needed). */
  publicUrl: string;
  failureStreak: number;
}

/** Builds the event of `kind` about the finished run in `ctx`. */
export function buildEvent(kind: NotifyEvent, ctx: NotificationContext, settings: EventSettings): NotificationEvent {
  const base = settings.publicUrl.replace(/\/+$/, '');
  const { run, source, organization } = ctx;
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const inARow = run.status === 'failed' ? ctx.failuresBefore + 1 : ctx.failuresBefore;
  return {
    id: `${kind}-${run.id}`,
    kind,
    occurredAt: iso(run.finishedAt) ?? new Date().toISOString(),
    organization: { slug: organization.slug, name: organization.name },
    source: { id: source.id, title: source.title, kind: source.kind, url: source.url },
    run: {
      id: run.id,
      outcome: run.status,
      trigger: run.trigger,
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
      counts: { pagesFetched: run.pagesFetched, pagesNotModified: run.pagesNotModified, ...runCountsOf(run) },
      error: run.error ? { code: run.errorCode, message: run.error } : null,
      review: run.review ? { reason: run.review.reason ?? null, message: run.review.message ?? null } : null,
      quality: run.quality ? { score: run.quality.score ?? null, max: run.quality.max, previous: run.quality.previous ?? null } : null,
    },
    failures: { inARow, threshold: settings.failureStreak },
    improvements: (ctx.improvements ?? []).map((i) => ({ code: i.code, datasets: i.datasets, text: { fr: improvementText('fr', i.code), ar: improvementText('ar', i.code), en: improvementText('en', i.code) } })),
    problems: ctx.problems.map((g) => {
      const e = g.examples[0];
      return {
        code: g.code,
        severity: g.severity,
        count: g.count,
        text: { fr: problemText('fr', g.code), ar: problemText('ar', g.code), en: problemText('en', g.code) },
        example: e ? { identifier: e.identifier, field: e.field, message: e.message } : null,
      };
    }),
    links: {
      run: `${base}/api/v1/runs/${run.id}`,
      source: `${base}/api/v1/sources/${source.id}`,
      sourceRuns: `${base}/api/v1/sources/${source.id}/runs`,
      dashboardRun: `${base}/dashboard/runs/${run.id}`,
      dashboardSource: `${base}/dashboard/sources/${source.id}`,
      spaceRun: `${base}/espace/runs/${run.id}`,
      spaceSource: `${base}/espace/sources/${source.id}`,
    },
  };
}
