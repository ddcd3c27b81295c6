import type { FastifyInstance } from 'fastify';
import { redactUrl } from '@hasad/core';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses, sourceItem } from '../schemas.ts';
import { toIso } from '../timestamps.ts';

interface SourceWithLastRun {
  id: string;
  organization: string;
  kind: string;
  url: string;
  title: string | null;
  schedule: string | null;
  timezone: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  runId: string | null;
  runStatus: string | null;
  runCreatedAt: Date | null;
  runFinishedAt: Date | null;
  runErrorCode: string | null;
  seen: number | null;
  created: number | null;
  updated: number | null;
  unchanged: number | null;
  withdrawn: number | null;
  invalid: number | null;
}

/**
 * Sources with their organisation's slug and their latest run, one index probe per source
 * (runs_source_created_idx). Local query: `listSources`/`getSource` in @hasad/db return
 * neither. The source's `config` is left out on purpose: it may hold credentials.
 */
async function querySources(deps: ApiDeps, id?: string): Promise<SourceWithLastRun[]> {
  const res = await deps.pool.query<SourceWithLastRun>(
    `SELECT s.id, o.slug AS organization, s.kind, s.url, s.title, s.schedule, s.timezone, s.enabled,
       s.created_at AS "createdAt", s.updated_at AS "updatedAt",
       r.id AS "runId", r.status AS "runStatus", r.created_at AS "runCreatedAt", r.finished_at AS "runFinishedAt",
       r.error_code AS "runErrorCode", r.seen, r.created, r.updated, r.unchanged, r.withdrawn, r.invalid
     FROM sources s
     JOIN organizations o ON o.id = s.organization_id
     LEFT JOIN LATERAL (SELECT * FROM runs WHERE runs.source_id = s.id ORDER BY runs.created_at DESC LIMIT 1) r ON true
     ${id ? 'WHERE s.id = $1' : ''}
     ORDER BY o.slug, s.created_at`,
    id ? [id] : [],
  );
  return res.rows;
}

function toSourceItem(row: SourceWithLastRun) {
  return {
    id: row.id,
    organization: row.organization,
    kind: row.kind,
    url: redactUrl(row.url),
    title: row.title,
    schedule: row.schedule,
    timezone: row.timezone,
    enabled: row.enabled,
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

export function sourceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/v1/sources',
    {
      schema: {
        response: {
          200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: sourceItem } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ items: (await querySources(deps)).map(toSourceItem) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sources/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: sourceItem, ...errorResponses },
      },
    },
    async (req) => {
      const [row] = await querySources(deps, req.params.id);
      if (!row) throw notFound('source', req.params.id);
      return toSourceItem(row);
    },
  );
}
