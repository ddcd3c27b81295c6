/**
 * JSON schemas shared by the routes. Fastify validates requests against them and serialises
 * responses with them, so a property missing here is missing from the response: objects
 * that carry open-ended data (record fields a newer adapter adds, run details) say
 * `additionalProperties: true`.
 */

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
/** BCP 47 tag (lower-cased, `""` for untagged) → text. */
const langMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const langListMap = { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;

/** The body of every 4xx and 5xx answer. */
export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        /** Present on 5xx answers: quote it when reporting the problem; the logs carry the detail. */
        requestId: { type: 'string' },
      },
    },
  },
} as const;

export const errorResponses = { '4xx': errorBody, '5xx': errorBody } as const;

/** An ISO 8601 date (`2024-12-31`) or date-time with offset: the `modifiedFrom`/`modifiedTo` parameters. */
export const dateOrDateTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$',
} as const;

const agent = {
  type: 'object',
  additionalProperties: true,
  properties: { uri: { type: 'string' }, name: langMap, email: { type: 'string' }, homepage: { type: 'string' }, type: { type: 'string' } },
} as const;

const contactPoint = {
  type: 'object',
  additionalProperties: true,
  properties: { uri: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, url: { type: 'string' }, phone: { type: 'string' } },
} as const;

const distribution = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: { type: 'string' },
    title: langMap,
    description: langMap,
    accessUrl: { type: 'string' },
    downloadUrl: { type: 'string' },
    format: { type: 'string' },
    mediaType: { type: 'string' },
    license: { type: 'string' },
    byteSize: { type: 'number' },
    issued: { type: 'string' },
    modified: { type: 'string' },
  },
} as const;

/**
 * A dataset as the catalogue shows it: Hasad's own fields followed by every field of the
 * canonical record (`CanonicalDataset` in @hasad/core).
 */
export const datasetItem = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'organization', 'sourceId', 'sourceIdentifier', 'uri', 'status', 'createdAt', 'updatedAt', 'withdrawnAt'],
  properties: {
    id: uuid,
    organization: { type: 'string', description: 'organisation slug' },
    sourceId: uuid,
    sourceIdentifier: { type: 'string' },
    uri: nullableString,
    status: { type: 'string', enum: ['active', 'withdrawn'] },
    createdAt: dateTime,
    updatedAt: dateTime,
    withdrawnAt: nullableDateTime,
    identifier: { type: 'string' },
    title: langMap,
    description: langMap,
    keywords: langListMap,
    themes: stringList,
    publisher: agent,
    contactPoint,
    landingPage: { type: 'string' },
    issued: { type: 'string' },
    modified: { type: 'string' },
    license: { type: 'string' },
    accessRights: { type: 'string' },
    spatial: stringList,
    temporal: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { start: { type: 'string' }, end: { type: 'string' } } } },
    accrualPeriodicity: { type: 'string' },
    language: stringList,
    distributions: { type: 'array', items: distribution },
  },
} as const;

const facetValues = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'count'],
    properties: { value: { type: 'string' }, label: { type: 'string', description: "the value as shown, in the request's language (Accept-Language): organisation name, theme or licence label, language name" }, count: { type: 'integer' } },
  },
} as const;

/** Facet counts over the filtered set, most frequent first; only the facets asked for. */
export const facetsBody = {
  type: 'object',
  properties: {
    organization: { ...facetValues, description: 'organisation slug (value) and name (label)' },
    theme: facetValues,
    format: facetValues,
    license: facetValues,
    keyword: facetValues,
    language: facetValues,
  },
} as const;

export const organizationItem = {
  type: 'object',
  required: ['id', 'slug', 'name', 'datasetCount'],
  properties: {
    id: uuid,
    slug: { type: 'string' },
    name: { type: 'string' },
    datasetCount: { type: 'integer', description: 'active datasets' },
  },
} as const;

const counts = {
  seen: { type: 'integer' },
  created: { type: 'integer' },
  updated: { type: 'integer' },
  unchanged: { type: 'integer' },
  withdrawn: { type: 'integer' },
  invalid: { type: 'integer' },
} as const;

/** The short summary of a source's latest run shown with the source. */
export const lastRunSummary = {
  type: ['object', 'null'],
  required: ['id', 'status', 'createdAt', 'finishedAt'],
  properties: {
    id: uuid,
    status: { type: 'string' },
    createdAt: dateTime,
    finishedAt: nullableDateTime,
    errorCode: nullableString,
    ...counts,
  },
} as const;

export const sourceItem = {
  type: 'object',
  required: ['id', 'organization', 'kind', 'url', 'title', 'schedule', 'timezone', 'enabled', 'approvalStatus', 'reviewedBy', 'reviewedAt', 'reviewComment', 'createdAt', 'updatedAt', 'lastRun'],
  properties: {
    id: uuid,
    organization: { type: 'string', description: 'organisation slug' },
    kind: { type: 'string' },
    url: { type: 'string', description: 'a password in the URL is shown as ***' },
    title: nullableString,
    schedule: nullableString,
    timezone: { type: 'string' },
    enabled: { type: 'boolean' },
    approvalStatus: { type: 'string', enum: ['pending', 'approved', 'rejected'], description: 'only approved sources are scheduled and harvested' },
    reviewedBy: { type: ['string', 'null'], description: 'the operator who approved or rejected the source last' },
    reviewedAt: nullableDateTime,
    reviewComment: nullableString,
    config: {
      type: 'object',
      additionalProperties: true,
      description: 'the source config as stored, values under credential-like keys (password, token, key, secret, auth…) shown as •••••• and URLs without their password',
    },
    createdAt: dateTime,
    updatedAt: dateTime,
    lastRun: lastRunSummary,
  },
} as const;

export const runItem = {
  type: 'object',
  required: ['id', 'sourceId', 'status', 'trigger', 'createdAt'],
  properties: {
    id: uuid,
    sourceId: uuid,
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'unchanged', 'needs_review', 'failed', 'cancelled'] },
    trigger: { type: 'string' },
    attempts: { type: 'integer' },
    ...counts,
    pendingWithdrawals: { type: ['integer', 'null'] },
    error: nullableString,
    errorCode: nullableString,
    pagesTotal: { type: ['integer', 'null'] },
    pagesFetched: { type: 'integer' },
    pagesNotModified: { type: 'integer' },
    bytes: { type: 'integer', description: 'bytes downloaded' },
    details: { type: 'object', additionalProperties: true },
    createdAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    heartbeatAt: dateTime,
    durationMs: { type: ['integer', 'null'], description: 'finishedAt − startedAt in milliseconds; null until the run has finished' },
  },
} as const;

export const problemItem = {
  type: 'object',
  required: ['severity', 'code', 'message', 'identifier', 'field', 'pageNo'],
  properties: {
    severity: { type: 'string', enum: ['error', 'warning', 'info'] },
    code: { type: 'string' },
    message: { type: 'string', description: 'what the harvester saw, in English, with the values involved' },
    text: { type: 'string', description: 'what the code means and what to change in the feed, in the language of Accept-Language (fr, ar, en)' },
    identifier: nullableString,
    field: nullableString,
    pageNo: { type: 'integer' },
  },
} as const;
