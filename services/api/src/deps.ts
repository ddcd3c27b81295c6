import type { HasadConfig, Logger } from '@hasad/core';
import type { Db, DbHandle } from '@hasad/db';
import type { Queues } from '@hasad/queues';

/** What the API needs from its caller, which owns (opens and closes) every connection. */
export interface ApiDeps {
  db: Db;
  /** The pool `db` runs on; the readiness probe queries it directly. */
  pool: DbHandle['pool'];
  queues: Queues;
  config: HasadConfig;
  log: Logger;
}
