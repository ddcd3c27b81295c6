import { CRITERION_NAMES, DIMENSIONS, fromStored, IMPROVEMENT_CODES, improvementMessageKey } from '@hasad/quality';

/**
 * Response schemas of the metadata quality (the dataset's `quality` field and
 * `GET /api/v1/sources/:id/quality`). Every improvement carries its stable `code` and a
 * `messageKey` (`quality.improvement.<code>`) for the portal's French, Arabic and English texts.
 */
const points = { type: 'object', required: ['points', 'max'], properties: { points: { type: 'number' }, max: { type: 'integer' } } } as const;
const rating = { type: ['string', 'null'], enum: ['excellent', 'good', 'sufficient', 'bad', null] } as const;
const code = { type: 'string', enum: [...IMPROVEMENT_CODES] } as const;
const dimension = { type: 'string', enum: [...DIMENSIONS] } as const;
const criterion = { type: 'string', enum: [...CRITERION_NAMES] } as const;

export const datasetQualityBody = {
  type: ['object', 'null'],
  description: 'Metadata quality after the data.europa.eu MQA (405 points; criteria not assessed are left out of max). Null until scored.',
  required: ['score', 'max', 'rating', 'dimensions', 'improvements', 'unassessed'],
  properties: {
    score: { type: 'integer' },
    max: { type: 'integer' },
    rating,
    dimensions: { type: 'object', properties: Object.fromEntries(DIMENSIONS.map((d) => [d, points])) },
    criteria: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
    improvements: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'criterion', 'dimension', 'gain', 'messageKey'],
        properties: { code, criterion, dimension, gain: { type: 'number' }, messageKey: { type: 'string' } },
      },
    },
    unassessed: { type: 'array', items: criterion },
    version: { type: 'integer' },
  },
} as const;

/** The stored quality (`StoredQuality`) as the dataset answer shows it: in full, each improvement with its message key. */
export function toQualityItem(stored: unknown): Record<string, unknown> | null {
  const q = fromStored(stored);
  if (q === null) return null;
  return { ...q, improvements: q.improvements.map((i) => ({ ...i, messageKey: improvementMessageKey(i.code) })) };
}

const average = { type: 'object', required: ['average', 'max'], properties: { average: { type: ['number', 'null'] }, max: { type: 'integer' } } } as const;

export const sourceQualityResponse = {
  type: 'object',
  required: ['sourceId', 'datasets', 'scored', 'score', 'max', 'rating', 'dimensions', 'criteria', 'improvements', 'links', 'computedAt'],
  properties: {
    sourceId: { type: 'string', format: 'uuid' },
    datasets: { type: 'integer', description: 'active datasets' },
    scored: { type: 'integer', description: 'active datasets with a score' },
    score: { type: ['integer', 'null'], description: 'sum over the criteria of the average points of the datasets assessed on each' },
    max: { type: 'integer' },
    rating,
    dimensions: { type: 'object', properties: Object.fromEntries(DIMENSIONS.map((d) => [d, average])) },
    criteria: { type: 'object', properties: Object.fromEntries(CRITERION_NAMES.map((c) => [c, average])) },
    improvements: {
      type: 'array',
      description: 'the most common improvements, most datasets first',
      items: {
        type: 'object',
        required: ['code', 'criterion', 'dimension', 'messageKey', 'datasets', 'averageGain', 'exampleDatasetIds'],
        properties: {
          code,
          criterion,
          dimension,
          messageKey: { type: 'string' },
          message: { type: 'string', description: 'what to do, in the language of Accept-Language (fr, ar, en)' },
          datasets: { type: 'integer' },
          averageGain: { type: 'number' },
          exampleDatasetIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
        },
      },
    },
    links: {
      type: 'object',
      required: ['checked', 'answered', 'broken', 'lastCheckedAt', 'brokenExamples'],
      properties: {
        checked: { type: 'integer' },
        answered: { type: 'integer' },
        broken: { type: 'integer' },
        lastCheckedAt: { type: ['string', 'null'], format: 'date-time' },
        brokenExamples: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              url: { type: 'string' },
              httpStatus: { type: ['integer', 'null'] },
              error: { type: ['string', 'null'] },
              datasetId: { type: ['string', 'null'] },
              checkedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
    computedAt: { type: 'string', format: 'date-time', description: 'when it was aggregated: after the last complete run’s link check' },
  },
} as const;
