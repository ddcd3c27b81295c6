import type { FastifyInstance } from 'fastify';
import { catalogueVersion, countValues } from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../schemas.ts';
import { licenseLabel, themeLabel, type Labels } from '../vocabularies.ts';

const valueList = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['value', 'count'],
        properties: {
          value: { type: 'string', description: 'URI (or label) as the datasets give it; use it as the filter value' },
          label: { type: 'object', properties: { fr: { type: 'string' }, en: { type: 'string' }, ar: { type: 'string' } } },
          count: { type: 'integer', description: 'active datasets' },
        },
      },
    },
  },
} as const;

/** `GET /themes` and `GET /licenses`: the values in use, with their count of active datasets. */
export function vocabularyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const route = (path: string, column: 'themes' | 'license', label: (v: string) => Labels | undefined) =>
    app.get(path, { schema: { tags: ['catalogue'], summary: `The ${column === 'themes' ? 'themes' : 'licences'} in use, with labels and counts of active datasets`, response: { 200: valueList, ...errorResponses } } }, async (req, reply) => {
      const version = await catalogueVersion(deps.db);
      if (checkNotModified(req, reply, { etag: weakEtag(path, version.token), lastModified: version.lastModified })) return sendNotModified(reply);
      const values = await countValues(deps.db, column);
      return { items: values.map((v) => ({ value: v.value, ...(label(v.value) ? { label: label(v.value) } : {}), count: v.count })) };
    });
  route('/api/v1/themes', 'themes', themeLabel);
  route('/api/v1/licenses', 'license', licenseLabel);
}
