import type { AddressInfo } from 'node:net';
import { buildApp, type ApiDeps } from './app.ts';

export interface RunningApi {
  /** Base URL the server listens on, with the real port when `PORT` was 0. */
  url: string;
  /** Stops accepting connections and waits for requests in flight. Queues and pool stay open: the caller closes them after. */
  close(): Promise<void>;
}

/** Builds the API and listens on `config.HOST`:`config.PORT` (0 = a free port). */
export async function startApi(deps: ApiDeps): Promise<RunningApi> {
  const app = await buildApp(deps);
  await app.listen({ port: deps.config.PORT, host: deps.config.HOST });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  deps.log.info({ url }, 'api listening');
  return {
    url,
    async close() {
      await app.close();
      deps.log.info('api closed');
    },
  };
}
