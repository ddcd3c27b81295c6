import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Validators of a response: the ETag is weak (W/"…") because the same representation may be
 * serialised with other whitespace or key order; Last-Modified has HTTP's one-second grain.
 */
export interface Validators {
  etag: string;
  lastModified?: Date | null;
}

/** A weak ETag from the parts that decide a representation. */
export function weakEtag(...parts: unknown[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p) ?? '').update('\u0000');
  return `W/"${h.digest('base64url')}"`;
}

/** Weak comparison (RFC 9110 §8.8.3.2): equal opaque tags, W/ prefixes ignored. */
function etagMatches(header: string, etag: string): boolean {
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  if (header.trim() === '*') return true;
  const mine = opaque(etag);
  return header.split(',').some((t) => opaque(t) === mine);
}

/**
 * Sets ETag, Last-Modified and Cache-Control on the reply, and tells whether the request's
 * precondition says the client's copy is current (answer 304). If-None-Match wins over
 * If-Modified-Since when both are sent (RFC 9110 §13.2.2).
 */
export function checkNotModified(req: FastifyRequest, reply: FastifyReply, v: Validators): boolean {
  reply.header('etag', v.etag);
  // Caches may keep the answer but must ask again each time: the catalogue changes at any harvest.
  reply.header('cache-control', 'public, no-cache');
  const lastModified = v.lastModified ? new Date(Math.floor(v.lastModified.getTime() / 1000) * 1000) : undefined;
  if (lastModified) reply.header('last-modified', lastModified.toUTCString());
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string') return etagMatches(inm, v.etag);
  const ims = req.headers['if-modified-since'];
  if (typeof ims === 'string' && lastModified) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && lastModified.getTime() <= since;
  }
  return false;
}

/** Answers 304 Not Modified (validators already set by {@link checkNotModified}). */
export function sendNotModified(reply: FastifyReply): FastifyReply {
  return reply.code(304).send();
}
