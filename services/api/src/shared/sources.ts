import { HasadError, redactConfig, redactUrl } from '@hasad/core';
import { findOrganizationBySlug, isUuid, listSourcesWithLastRun, type Organization, type Run, type SourceWithLastRun, type TokenPrincipal } from '@hasad/db';
import { checkSchedule, notifyReviewWanted } from '@hasad/pipeline';
import type { ReviewReason } from '@hasad/queues';
import { getAdapter } from '@hasad/sources';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { badParam, checkFeedUrl } from '../source-input.ts';
import { toIso } from '../timestamps.ts';

// Sources as the API and the institutions' space see, check and register them.

/** The time zone of a source registered without one. */
export const DEFAULT_TIMEZONE = 'Africa/Casablanca';

/**
 * One source as `p` may see it. A source of another organisation answers exactly like a
 * source that does not exist (same 404 body), so a token learns nothing about other
 * organisations' sources.
 */
export async function visibleSource(deps: ApiDeps, p: TokenPrincipal, id: string): Promise<SourceWithLastRun> {
  const [row] = isUuid(id) ? await listSourcesWithLastRun(deps.db, { id, organizationId: p.role === 'operator' ? null : p.organizationId }) : [];
  if (!row) throw notFound('source', id);
  return row;
}

/** A source as the API answers it: addresses and config with their credentials redacted. */
export function toSourceItem(row: SourceWithLastRun) {
  return {
    id: row.id,
    organization: row.organization,
    kind: row.kind,
    url: redactUrl(row.url),
    title: row.title,
    schedule: row.schedule,
    timezone: row.timezone,
    enabled: row.enabled,
    approvalStatus: row.approvalStatus,
    reviewedBy: row.reviewedBy,
    reviewedAt: toIso(row.reviewedAt),
    reviewComment: row.reviewComment,
    // The whole config, so a reviewer sees every address it makes Hasad connect to.
    config: redactConfig(row.config ?? {}),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    lastRun: row.runId
      ? {
          id: row.runId,
          status: row.runStatus,
          createdAt: toIso(row.runCreatedAt),
          finishedAt: toIso(row.runFinishedAt),
          errorCode: row.runErrorCode,
          seen: row.seen,
          created: row.created,
          updated: row.updated,
          unchanged: row.unchanged,
          withdrawn: row.withdrawn,
          invalid: row.invalid,
        }
      : null,
  };
}

/**
 * Checks what a source will be harvested with, the way the fetcher and the scheduler will
 * read it: the URL's scheme, the kind's config, the time zone, and the schedule against the
 * minimum interval. Each refusal is a 400 naming the parameter.
 */
export function validateSource(deps: ApiDeps, s: { kind: string; url: string; config: Record<string, unknown>; timezone: string; schedule: string | null }): void {
  checkFeedUrl(s.url);
  try {
    getAdapter(s.kind).parseConfig(s.config);
  } catch (err) {
    if (err instanceof HasadError) throw badParam('config', 'invalid_config', err.message);
    throw err;
  }
  validateTiming(deps, s);
}

/** The time zone and the schedule part of `validateSource` (the dashboard's schedule form uses it alone). */
export function validateTiming(deps: ApiDeps, s: { timezone: string; schedule: string | null }): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: s.timezone });
  } catch {
    throw badParam('timezone', 'invalid_parameter', `"${s.timezone}" is not an IANA time zone (e.g. Africa/Casablanca, UTC)`);
  }
  if (s.schedule !== null) {
    try {
      checkSchedule(s.schedule, s.timezone, deps.config.HASAD_MIN_SCHEDULE_INTERVAL_MS);
    } catch (err) {
      if (err instanceof HasadError) throw badParam('schedule', 'invalid_schedule', err.message);
      throw err;
    }
  }
}

/** The organisation a new source belongs to: the token's, or for an operator the `organization` slug given. */
export async function organizationFor(deps: ApiDeps, p: TokenPrincipal, slug: string | undefined): Promise<Organization> {
  if (p.role === 'organization') {
    if (slug !== undefined && slug !== p.organizationSlug) {
      throw badParam('organization', 'invalid_parameter', `an organisation token registers sources of its own organisation ("${p.organizationSlug}") only; leave "organization" out`);
    }
    return (await findOrganizationBySlug(deps.db, p.organizationSlug!))!;
  }
  if (slug === undefined) throw badParam('organization', 'invalid_parameter', 'an operator must name the organisation (its slug) the source belongs to');
  const org = await findOrganizationBySlug(deps.db, slug);
  if (!org) throw badParam('organization', 'invalid_parameter', `no organisation "${slug}"`);
  return org;
}

/**
 * How long an organisation must still wait before asking its source's next harvest (the
 * politeness limit: HASAD_MIN_SCHEDULE_INTERVAL_MS from the start of the last run), in ms; 0 when
 * it may ask now (no run yet, or one still queued or running, which is then the answer).
 */
export function harvestWaitMs(deps: ApiDeps, last: Run | undefined, now = Date.now()): number {
  if (!last || last.status === 'queued' || last.status === 'running') return 0;
  const started = last.startedAt ?? last.createdAt;
  return Math.max(0, started.getTime() + deps.config.HASAD_MIN_SCHEDULE_INTERVAL_MS - now);
}

/**
 * Asks the operators to review a source (`notify.review`, sent by the loader). Best effort: the
 * source is registered whatever happens here, and the dashboard lists every pending source, so a
 * queue that is down is logged, not an error for the institution.
 */
export async function tellOperators(deps: ApiDeps, log: { warn: (o: object, msg: string) => void }, sourceId: string, reason: ReviewReason, at: Date): Promise<void> {
  try {
    await notifyReviewWanted(deps, sourceId, reason, at);
  } catch (err) {
    log.warn({ err, sourceId }, 'could not queue the operators\' review notification; the source is listed as pending on the dashboard');
  }
}
