import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type DbHandle } from './client.ts';
import { runMigrations } from './migrate.ts';
import { createOrganization } from './repositories/organizations.repository.ts';
import { createSource } from './repositories/sources.repository.ts';

/**
 * A fresh, migrated database for one test file, dropped by `drop()`. Tests never share a
 * database, so they can run in parallel and leave nothing behind.
 */
export async function createTestDatabase(baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `hasad_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await runMigrations(url);
  return {
    url,
    name,
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A fresh test database (createTestDatabase), opened, with one organisation (`slug`) and one
 * DCAT source of it: what a test of loading needs. `close()` closes the pool and drops it.
 */
export async function createTestSourceDatabase(slug: string): Promise<{ h: DbHandle; sourceId: string; close(): Promise<void> }> {
  const t = await createTestDatabase();
  const h = createDb(t.url);
  const org = await createOrganization(h, { slug, name: 'Org' });
  const sourceId = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/feed' })).id;
  return {
    h,
    sourceId,
    async close() {
      await h.close();
      await t.drop();
    },
  };
}
