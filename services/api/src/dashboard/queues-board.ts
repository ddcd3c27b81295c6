import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ApiDeps } from '../deps.ts';

export const QUEUES_BOARD_PATH = '/admin/queues';

/**
 * Bull Board for every queue (harvest, load, notify, links), read-only (no retry, clean, promote or
 * obliterate). Registered by the dashboard inside its signed-in scope: anonymous requests to
 * any of its pages, API or static routes are sent to the sign-in page (see dashboard.routes.ts).
 */
export async function queuesBoard(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    // A way back to the dashboard from Bull Board's menu (the dashboard links here in its own).
    options: { uiConfig: { boardTitle: 'Hasad queues', miscLinks: [{ text: '← Hasad dashboard', url: '/dashboard' }], favIcon: { default: '/dashboard/static/favicon.svg', alternative: '/dashboard/static/favicon.svg' } } },
  });
  // Bull Board installs its own error handler, which echoes error messages. Re-throwing
  // hands the error to the app's handler instead (Fastify falls back to the parent's).
  serverAdapter.setErrorHandler((err) => {
    throw err;
  });
  await app.register(async (board) => {
    // Bull Board's page asks a public font service for its typeface: on an offline network it
    // fails, elsewhere it tells a third party who opens the board. The link is taken out (the
    // system sans-serif is used), and a CSP keeps the page to this origin's own assets.
    board.addHook('onSend', async (_req, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      if (!type.startsWith('text/html') || typeof payload !== 'string') return payload;
      reply.header('content-security-policy', BOARD_CSP);
      return withoutExternalAssets(payload);
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
  });
}

/** Bull Board's own scripts and styles only; its inline UI-config JSON and loading style need 'unsafe-inline' for styles alone. */
const BOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** The page without any `<link>` or `<script>` that points to another origin. */
export function withoutExternalAssets(page: string): string {
  return page.replace(/<link\b[^>]*href="(?:https?:)?\/\/[^"]*"[^>]*>\s*/gi, '').replace(/<script\b[^>]*src="(?:https?:)?\/\/[^"]*"[^>]*>\s*<\/script>\s*/gi, '');
}
