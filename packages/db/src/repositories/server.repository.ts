import pg from 'pg';
import { ConfigError } from '@hasad/core';
import type { DbHandle } from '../client.ts';

/**
 * True when the PostgreSQL server at `url` accepts a connection and answers a query within
 * about two seconds; false on any failure (the caller looks elsewhere, it does not report it).
 */
export async function ping(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A server that goes away mid-probe emits 'error' on the client: answered no, not a crash.
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Runs a trivial query on the pool: resolves when PostgreSQL answers, rejects with the driver's error otherwise (readiness probes). */
export async function pingPool(h: DbHandle): Promise<void> {
  await h.pool.query('SELECT 1');
}

/** Database names {@link ensureDatabase} creates: an unquoted identifier, so the name needs no quoting anywhere else. */
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates database `name` on the server of `adminUrl` if it does not exist; returns the URL of
 * that database (`adminUrl` with its path replaced).
 *
 * @throws ConfigError when `name` is not lower-case letters, digits and underscores (it is spliced
 *   into CREATE DATABASE, which takes no parameters).
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!DATABASE_NAME.test(name)) throw new ConfigError(`database name "${name}" must be lower-case letters, digits and underscores, not starting with a digit`, { name });
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
