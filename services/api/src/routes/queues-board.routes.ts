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
    options: { uiConfig: { boardTitle: 'Hasad queues' } },
  });
  // Bull Board installs its own error handler, which echoes error messages. Re-throwing
  // hands the error to the app's handler instead (Fastify falls back to the parent's).
  serverAdapter.setErrorHandler((err) => {
    throw err;
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
}
