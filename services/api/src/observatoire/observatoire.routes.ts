import type { FastifyInstance } from 'fastify';
import { SCOREBOARD_SORTS, type ScoreboardSort } from '@hasad/db';
import { listScoreboard } from '@hasad/pipeline';
import { isLang, negotiateLang } from '@hasad/i18n';
import { sendHtml } from '../shared/html-reply.ts';
import type { ApiDeps } from '../deps.ts';
import { defaultOrder, OBSERVATOIRE_PATH, observatoirePage, scoreboardView } from './views.ts';

const isSort = (v: unknown): v is ScoreboardSort => typeof v === 'string' && (SCOREBOARD_SORTS as readonly string[]).includes(v);

/**
 * The public scoreboard page (/observatoire), in French, Arabic or English: `lang=` in the
 * query (the language links), else the browser's Accept-Language. Sorting is by links
 * (`sort=`, `order=`); an unknown value falls back to the default rather than failing, as a
 * page reached from an old link should still show. Reads the stored figures only.
 */
export function observatoireRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { lang?: string; sort?: string; order?: string } }>(OBSERVATOIRE_PATH, { schema: { hide: true } }, async (req, reply) => {
    const lang = isLang(req.query.lang) ? req.query.lang : negotiateLang(req.headers['accept-language']);
    const sort = isSort(req.query.sort) ? req.query.sort : 'datasets';
    const order = req.query.order === 'asc' || req.query.order === 'desc' ? req.query.order : defaultOrder(sort);
    const entries = await listScoreboard(deps.db, { sort, order });
    const view = { lang, sort, order, entries, refreshMinutes: deps.config.HASAD_SCOREBOARD_REFRESH_MINUTES };
    reply.header('content-language', lang).header('vary', 'Accept-Language');
    return sendHtml(reply, observatoirePage(view, scoreboardView(view)));
  });
}
