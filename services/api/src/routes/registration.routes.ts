import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  countActiveDatasets,
  createSource,
  deleteSourceWithdrawingDatasets,
  findOrganizationBySlug,
  getSource,
  listRuns,
  listSourcesWithLastRun,
  reviewSource,
  RunActiveError,
  updateSource,
  type ApprovalStatus,
  type Run,
  type Source,
  type TokenPrincipal,
} from '@hasad/db';
import { enqueueHarvestRun, formatDuration } from '@hasad/pipeline';
import { adapterKinds, changedNetworkFields } from '@hasad/sources';
import { bearerSecurity, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { errorResponses, sourceItem } from '../schemas.ts';
import { knownBodyKeys } from '../source-input.ts';
import { runsListResponse, runsPaging, toRunItem, visibleRuns } from '../shared/runs.ts';
import { DEFAULT_TIMEZONE, harvestWaitMs, organizationFor, tellOperators, toSourceItem, validateSource, visibleSource } from '../shared/sources.ts';

interface SourceFields {
  kind: string;
  url: string;
  title?: string | null;
  config?: Record<string, unknown>;
  schedule?: string | null;
  timezone?: string;
  enabled?: boolean;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

function sourceFieldSchemas(kinds: string[]) {
  return {
    kind: { type: 'string', enum: kinds, description: 'the source kind: which adapter reads the feed' },
    url: { type: 'string', minLength: 1, maxLength: 4096, description: 'the feed (first page), http or https' },
    title: { type: ['string', 'null'], maxLength: 500 },
    config: { type: 'object', additionalProperties: true, description: 'kind-specific settings (e.g. `{"format": "turtle"}` for dcat)' },
    schedule: {
      type: ['string', 'null'],
      maxLength: 200,
      description: 'cron expression (5 or 6 fields, read in `timezone`), an interval (`6h`, `1d`) or hourly | daily | weekly | monthly; null = manual only. At least HASAD_MIN_SCHEDULE_INTERVAL_MS between two harvests.',
    },
    timezone: { type: 'string', maxLength: 64, description: 'IANA time zone of the cron expression (default Africa/Casablanca)' },
    enabled: { type: 'boolean', description: 'false pauses the schedule' },
  } as const;
}

/** A source `p` may act on, as stored (404 for another organisation's, as for a missing one). */
async function ownSource(deps: ApiDeps, p: TokenPrincipal, id: string): Promise<Source> {
  await visibleSource(deps, p, id);
  const src = await getSource(deps.db, id);
  if (!src) throw notFound('source', id);
  return src;
}

async function sourceResponse(deps: ApiDeps, id: string) {
  const [row] = await listSourcesWithLastRun(deps.db, { id });
  if (!row) throw notFound('source', id);
  return toSourceItem(row);
}

/**
 * The minimum interval between two harvests of a source holds for "harvest now" too: an
 * organisation may not ask for a run within HASAD_MIN_SCHEDULE_INTERVAL_MS of the start of the
 * source's last one (429 with Retry-After). A live run is not refused here: the request answers
 * with it. Operators may harvest at any time (e.g. right after fixing a feed with its owner).
 */

function tooSoon(deps: ApiDeps, sourceId: string, reply: FastifyReply, last: Run | undefined): void {
  const waitMs = harvestWaitMs(deps, last);
  if (waitMs <= 0 || !last) return;
  const minMs = deps.config.HASAD_MIN_SCHEDULE_INTERVAL_MS;
  const started = last.startedAt ?? last.createdAt;
  const seconds = Math.ceil(waitMs / 1000);
  reply.header('retry-after', String(seconds));
  throw new ApiError(
    429,
    'harvest_too_soon',
    `source ${sourceId} was last harvested at ${started.toISOString()} (run ${last.id}); the minimum interval between two harvests of a source is ${formatDuration(minMs)}, so the next can be asked from ${new Date(started.getTime() + minMs).toISOString()} (retry in ${seconds} s)`,
    { runId: last.id, retryAfterSeconds: seconds },
  );
}

const harvestResponse = {
  type: 'object',
  required: ['runId', 'sourceId', 'status', 'created'],
  properties: {
    runId: { type: 'string', format: 'uuid' },
    sourceId: { type: 'string', format: 'uuid' },
    status: { type: 'string', description: 'the run’s status (queued, or running for a live run)' },
    created: { type: 'boolean', description: 'false when the source already had a live run, which is the one returned' },
  },
} as const;

const deleteResponse = {
  type: 'object',
  required: ['id', 'deleted', 'withdrawn'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    deleted: { type: 'boolean', const: true },
    withdrawn: { type: 'integer', description: 'datasets withdrawn from the catalogue' },
  },
} as const;

const reviewBody = (required: boolean) =>
  ({
    type: 'object',
    additionalProperties: false,
    ...(required ? { required: ['comment'] } : {}),
    properties: { comment: { type: 'string', minLength: required ? 1 : 0, maxLength: 4000, description: 'shown to the organisation with the source' } },
    description: required ? 'the reason, which the organisation sees' : 'optional; the body may be left out',
  }) as const;

/**
 * The registration workflow: an organisation (with its token) registers, changes, harvests
 * and deletes its own sources; an operator can do all of it for any organisation and approves
 * or rejects sources. A source registered by an organisation that is not trusted starts
 * `pending`, and goes back to `pending` when its URL or kind changes: it is not scheduled or
 * harvested until an operator approves it (preview works meanwhile).
 */
export function registrationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const fields = sourceFieldSchemas(adapterKinds());

  app.post<{ Body: SourceFields & { organization?: string } }>(
    '/api/v1/sources',
    {
      config: { access: 'token' },
      preValidation: knownBodyKeys([...Object.keys(fields), 'organization']),
      schema: {
        tags: ['sources'],
        summary: 'Register a feed',
        description:
          'The source belongs to the token’s organisation (an operator names it with `organization`). It starts `pending` unless the organisation is trusted or the caller is an operator.',
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['kind', 'url'],
          properties: { ...fields, organization: { type: 'string', description: 'organisation slug; operators only' } },
        },
        response: { 201: sourceItem, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const org = await organizationFor(deps, p, b.organization);
      const input = { kind: b.kind, url: b.url.trim(), config: b.config ?? {}, timezone: b.timezone ?? DEFAULT_TIMEZONE, schedule: b.schedule?.trim() || null };
      validateSource(deps, input);
      const approval: { approvalStatus: ApprovalStatus; reviewedBy: string | null; reviewedAt: Date | null; reviewComment: string | null } =
        p.role === 'operator'
          ? { approvalStatus: 'approved', reviewedBy: p.operatorName, reviewedAt: new Date(), reviewComment: 'registered by an operator' }
          : org.trusted
            ? { approvalStatus: 'approved', reviewedBy: null, reviewedAt: new Date(), reviewComment: 'approved automatically: the organisation is trusted' }
            : { approvalStatus: 'pending', reviewedBy: null, reviewedAt: null, reviewComment: null };
      const src = await createSource(deps.db, { organizationId: org.id, ...input, title: b.title ?? null, enabled: b.enabled ?? true, ...approval });
      req.log.info({ sourceId: src.id, organization: org.slug, approvalStatus: src.approvalStatus, tokenId: p.tokenId }, 'source registered');
      if (src.approvalStatus === 'pending') await tellOperators(deps, req.log, src.id, 'registered', src.createdAt);
      return reply.code(201).send(await sourceResponse(deps, src.id));
    },
  );

  app.patch<{ Params: { id: string }; Body: Partial<SourceFields> }>(
    '/api/v1/sources/:id',
    {
      config: { access: 'token' },
      preValidation: knownBodyKeys(Object.keys(fields)),
      schema: {
        tags: ['sources'],
        summary: 'Change a source',
        description:
          'A change of where Hasad connects (`url`, `kind`, or a config field that names an address: SOAP `endpoint` and `wsdl`, any URL anywhere in the config), or any change to a rejected source, puts the source back to `pending` review, unless the organisation is trusted or the caller is an operator. The answer shows the whole config, credentials masked.',
        security: bearerSecurity,
        params: idParams,
        body: { type: 'object', minProperties: 1, properties: fields },
        response: { 200: sourceItem, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const src = await ownSource(deps, p, req.params.id);
      const b = req.body;
      const next = {
        kind: b.kind ?? src.kind,
        url: b.url !== undefined ? b.url.trim() : src.url,
        config: b.config ?? (src.config as Record<string, unknown>),
        timezone: b.timezone ?? src.timezone,
        schedule: b.schedule !== undefined ? b.schedule?.trim() || null : src.schedule,
      };
      validateSource(deps, next);
      const patch: Parameters<typeof updateSource>[2] = { ...next, ...(b.title !== undefined ? { title: b.title } : {}), ...(b.enabled !== undefined ? { enabled: b.enabled } : {}) };
      // Review follows the network: a reviewer approved these addresses, and a config field that
      // moves requests elsewhere (a SOAP endpoint, a WSDL) is as much a new address as `url`.
      const networkFields = next.kind !== src.kind ? ['kind'] : changedNetworkFields(next.kind, src.config, next.config);
      const moved = next.url !== src.url || networkFields.length > 0;
      if (p.role !== 'operator' && (moved || src.approvalStatus === 'rejected')) {
        const org = await findOrganizationBySlug(deps.db, p.organizationSlug!);
        if (!org?.trusted) {
          patch.approvalStatus = 'pending';
          if (moved) req.log.info({ sourceId: src.id, url: next.url !== src.url, networkFields }, 'source sent back to review: where it connects changed');
        }
      }
      await updateSource(deps.db, src.id, patch);
      if (patch.approvalStatus === 'pending' && src.approvalStatus !== 'pending') await tellOperators(deps, req.log, src.id, 'changed', new Date());
      return sourceResponse(deps, src.id);
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { confirm?: boolean } }>(
    '/api/v1/sources/:id',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: 'Delete a source and withdraw its datasets',
        description:
          'Needs `?confirm=true` (else 409 saying what would be withdrawn). The datasets are withdrawn (kept, hidden from the default listing), not erased; the source is never harvested again. 409 while a run is live.',
        security: bearerSecurity,
        params: idParams,
        querystring: { type: 'object', properties: { confirm: { type: 'boolean', default: false } } },
        response: { 200: deleteResponse, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const src = await ownSource(deps, p, req.params.id);
      if (!req.query.confirm) {
        const n = await countActiveDatasets(deps.db, src.id);
        throw new ApiError(
          409,
          'confirmation_required',
          `deleting source ${src.id} withdraws its ${n} active dataset${n === 1 ? '' : 's'} from the catalogue and stops its harvests; repeat the request with ?confirm=true to delete it`,
        );
      }
      try {
        const res = await deleteSourceWithdrawingDatasets(deps.db, src.id);
        if (!res) throw notFound('source', src.id);
        req.log.info({ sourceId: src.id, withdrawn: res.withdrawn, tokenId: p.tokenId }, 'source deleted');
        return { id: src.id, deleted: true, withdrawn: res.withdrawn };
      } catch (err) {
        if (err instanceof RunActiveError) {
          throw new ApiError(409, 'run_active', `source ${src.id} has a live run ${err.activeRunId}; delete it once that run has finished`, { runId: err.activeRunId });
        }
        throw err;
      }
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/sources/:id/harvest',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: 'Harvest now',
        description:
          '202 with the new run’s id; 200 with the live run’s id when one is already queued or running. 409 for a source that is not approved. 429 `harvest_too_soon` (with Retry-After) when an organisation token asks within HASAD_MIN_SCHEDULE_INTERVAL_MS of the start of the source’s last run; operators are not held to it.',
        security: bearerSecurity,
        params: idParams,
        response: { 200: harvestResponse, 202: harvestResponse, ...errorResponses },
      },
    },
    async (req, reply: FastifyReply) => {
      const p = principalOf(req);
      const src = await ownSource(deps, p, req.params.id);
      if (src.approvalStatus !== 'approved') {
        throw new ApiError(
          409,
          'not_approved',
          src.approvalStatus === 'pending'
            ? `source ${src.id} is waiting for an operator's approval; it cannot be harvested yet (POST /api/v1/preview works meanwhile)`
            : `source ${src.id} was rejected${src.reviewComment ? ` (${src.reviewComment})` : ''}; change it (PATCH) to ask for a new review`,
        );
      }
      if (p.role !== 'operator') tooSoon(deps, src.id, reply, (await listRuns(deps.db, { sourceId: src.id, limit: 1 }))[0]);
      const { run, created } = await enqueueHarvestRun({ db: deps.db, queues: deps.queues }, src.id, 'manual');
      req.log.info({ sourceId: src.id, runId: run.id, created, tokenId: p.tokenId }, 'harvest requested');
      return reply.code(created ? 202 : 200).send({ runId: run.id, sourceId: src.id, status: run.status, created });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>(
    '/api/v1/sources/:id/runs',
    {
      config: { access: 'token' },
      schema: {
        tags: ['runs'],
        summary: "A source's runs, newest first",
        security: bearerSecurity,
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: runsPaging },
        response: { 200: runsListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const runs = await visibleRuns(deps, principalOf(req), { source: req.params.id, limit, offset });
      return { limit, offset, items: runs.map(toRunItem) };
    },
  );

  for (const [action, status] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    app.post<{ Params: { id: string }; Body: { comment?: string } | undefined }>(
      `/api/v1/sources/:id/${action}`,
      {
        config: { access: 'operator' },
        preValidation: knownBodyKeys(['comment'], { emptyIsObject: true }),
        schema: {
          tags: ['operators'],
          summary: action === 'approve' ? 'Approve a source: it is scheduled from now on' : 'Reject a source, saying why',
          security: bearerSecurity,
          params: idParams,
          body: reviewBody(action === 'reject'),
          response: { 200: sourceItem, ...errorResponses },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const comment = req.body?.comment?.trim() || null;
        const src = await reviewSource(deps.db, req.params.id, { status, by: p.operatorName!, comment });
        if (!src) throw notFound('source', req.params.id);
        req.log.info({ sourceId: src.id, approvalStatus: status, reviewedBy: p.operatorName }, `source ${status}`);
        return sourceResponse(deps, src.id);
      },
    );
  }
}
