import type { HasadConfig, Logger } from '@hasad/core';
import type { DbHandle } from '@hasad/db';
import type { Queues } from '@hasad/queues';

/** What the API needs from its caller, which owns (opens and closes) every connection. */
export interface ApiDeps {
  db: DbHandle;
  queues: Queues;
  config: HasadConfig;
  log: Logger;
}
