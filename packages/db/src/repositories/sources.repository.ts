import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { sources } from '../schema/index.ts';

export type Source = typeof sources.$inferSelect;
export type NewSource = typeof sources.$inferInsert;

/** Channel on which source changes are announced, so the scheduler reconciles at once. */
export const SOURCES_CHANNEL = 'hasad_sources';

export async function createSource(db: Db, input: NewSource): Promise<Source> {
  const [row] = await db.insert(sources).values(input).returning();
  await notifySourcesChanged(db, row!.id);
  return row!;
}

export async function getSource(db: Db, id: string): Promise<Source | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(sources).where(eq(sources.id, id));
  return row;
}

/** pending | approved | rejected: only approved sources are scheduled or harvested. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

/**
 * Sources, oldest first. Sources deleted through the API are left out unless `includeDeleted`;
 * `approvedOnly` keeps the ones an operator (or the organisation's trust) approved.
 */
export async function listSources(db: Db, filter: { enabledOnly?: boolean; approvedOnly?: boolean; includeDeleted?: boolean; organizationId?: string } = {}): Promise<Source[]> {
  const conds = [];
  if (!filter.includeDeleted) conds.push(isNull(sources.deletedAt));
  if (filter.enabledOnly) conds.push(eq(sources.enabled, true));
  if (filter.approvedOnly) conds.push(eq(sources.approvalStatus, 'approved'));
  if (filter.organizationId) conds.push(eq(sources.organizationId, filter.organizationId));
  return db.select().from(sources).where(conds.length ? and(...conds) : undefined).orderBy(asc(sources.createdAt));
}

export async function updateSource(
  db: Db,
  id: string,
  patch: Partial<
    Pick<Source, 'url' | 'kind' | 'title' | 'config' | 'schedule' | 'timezone' | 'enabled' | 'withdrawThreshold' | 'approvalStatus' | 'reviewedBy' | 'reviewedAt' | 'reviewComment' | 'deletedAt'>
  >,
): Promise<Source | undefined> {
  const [row] = await db.update(sources).set({ ...patch, updatedAt: new Date() }).where(eq(sources.id, id)).returning();
  if (row) await notifySourcesChanged(db, id);
  return row;
}

export async function notifySourcesChanged(db: Db, sourceId: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${SOURCES_CHANNEL}, ${sourceId})`);
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
