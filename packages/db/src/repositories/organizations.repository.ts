import { asc, eq } from 'drizzle-orm';
import { ConfigError } from '@hasad/core';
import type { DbHandle } from '../client.ts';
import { organizations } from '../schema/index.ts';

export type Organization = typeof organizations.$inferSelect;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** Creates an organisation; the slug is lower-case letters, digits and dashes. */
export async function createOrganization(h: DbHandle, input: { slug: string; name: string }): Promise<Organization> {
  if (!SLUG.test(input.slug)) throw new ConfigError(`organisation slug "${input.slug}" must be lower-case letters, digits and dashes (1-64 characters)`, { slug: input.slug });
  if (!input.name.trim()) throw new ConfigError('organisation name must not be empty');
  const [row] = await h.db.insert(organizations).values({ slug: input.slug, name: input.name.trim() }).onConflictDoNothing().returning();
  if (!row) throw new ConfigError(`organisation "${input.slug}" already exists`, { slug: input.slug });
  return row;
}

export async function findOrganizationBySlug(h: DbHandle, slug: string): Promise<Organization | undefined> {
  const [row] = await h.db.select().from(organizations).where(eq(organizations.slug, slug));
  return row;
}

export async function getOrganization(h: DbHandle, id: string): Promise<Organization | undefined> {
  const [row] = await h.db.select().from(organizations).where(eq(organizations.id, id));
  return row;
}

export async function listOrganizations(h: DbHandle): Promise<Organization[]> {
  return h.db.select().from(organizations).orderBy(asc(organizations.slug));
}

/**
 * Organisations by slug with their count of active datasets (`listOrganizations` has no
 * counts). `counts: false` skips the counting, one subquery per organisation, and gives 0.
 */
export async function listOrganizationsWithCounts(
  h: DbHandle,
  opts: { counts?: boolean } = {},
): Promise<Array<{ id: string; slug: string; name: string; createdAt: Date; datasetCount: number }>> {
  const count = opts.counts === false ? '0' : `(SELECT count(*) FROM datasets d WHERE d.organization_id = o.id AND d.status = 'active')::int`;
  const res = await h.pool.query<{ id: string; slug: string; name: string; createdAt: Date; datasetCount: number }>(
    `SELECT o.id, o.slug, o.name, o.created_at AS "createdAt", ${count} AS "datasetCount" FROM organizations o ORDER BY o.slug`,
  );
  return res.rows;
}

/** An operator marks an organisation as trusted (its new sources start approved) or not. */
export async function setOrganizationTrusted(h: DbHandle, slug: string, trusted: boolean): Promise<Organization | undefined> {
  const [row] = await h.db.update(organizations).set({ trusted }).where(eq(organizations.slug, slug)).returning();
  return row;
}
