import type { FastifyReply, FastifyRequest } from 'fastify';
import { negotiateLang, type Lang } from '@hasad/i18n';

/**
 * The language of the sentences an answer carries beside its codes (problems, review reasons,
 * quality improvements), from `Accept-Language` (French when none of fr/ar/en is asked for).
 * The answer says which language it speaks and that it depends on the header.
 */
export function answerLang(req: FastifyRequest, reply: FastifyReply): Lang {
  const lang = negotiateLang(req.headers['accept-language']);
  reply.header('content-language', lang).header('vary', 'Accept-Language');
  return lang;
}
