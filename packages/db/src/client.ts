import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.ts';

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/**
 * The one database argument of every @hasad/db repository function (first, named `h`): the
 * repository picks `db` (drizzle) or `pool` (hand-written SQL) inside, so callers never choose.
 */
export interface DbHandle {
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

/**
 * Opens a pool and a drizzle instance on it. Hot paths (the loader's batch upsert, finalise)
 * use `pool` with hand-written set-based SQL; everything else goes through `db`.
 */
export function createDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'hasad',
    // A PostgreSQL outage must surface as an error the caller retries, not a hang.
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (server restart) emits here; without a listener it would crash the process.
  pool.on('error', () => {});
  // So does a checked-out client (a transaction in flight when PostgreSQL restarts, 57P01): it
  // emits on itself, not on the pool. The failure still reaches the caller through the pending
  // query, and the job is retried; the event alone must not kill the process.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzle(pool, { schema, casing: 'snake_case' }) as Db;
  return {
    pool,
    db,
    close: () => pool.end(),
  };
}

