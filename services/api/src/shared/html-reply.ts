import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Html } from '../dashboard/html.ts';

// The HTML pages' answers and form checks, shared by the dashboard, the institutions' space and
// the observatory.

/**
 * Pages may load only this origin's stylesheet and script (no inline script), may not be
 * framed, and post forms only to this origin. Inline SVG needs no exception.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * A form post sent from another site (defence beside the CSRF token): browsers say so in
 * `Sec-Fetch-Site`, else in `Origin`. `same-origin` and `none` (typed or bookmarked) pass; an
 * `Origin` of another host, or `null` (sandboxed or privacy-redirected), does not. A client that
 * sends neither (not a browser) is judged by the token alone.
 */
export function crossSite(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (!URL.canParse(origin)) return true;
  const from = new URL(origin);
  // The request's own host read with the Origin's scheme, so that a default port compares equal.
  const own = URL.canParse(`${from.protocol}//${req.host}`) ? new URL(`${from.protocol}//${req.host}`).host : req.host;
  return from.host !== own;
}

/** An HTML page, with the pages' security headers (CSP above, no framing, no caching). */
export function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .send(body.value);
}
