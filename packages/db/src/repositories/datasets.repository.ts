import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';

export interface DatasetFilter {
  q?: string;
  /** Organisation slug or id. */
  organization?: string;
  source?: string;
  status?: 'active' | 'withdrawn' | 'all';
  page?: number;
  limit?: number;
}

export type DatasetRow = {
  id: string;
  sourceId: string;
  organizationId: string;
  organization: string;
  sourceIdentifier: string;
  uri: string | null;
  status: string;
  record: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
  updatedAt: string;
  withdrawnAt: string | null;
};

const SELECT = sql`
  SELECT d.id, d.source_id AS "sourceId", d.organization_id AS "organizationId", o.slug AS organization,
    d.source_identifier AS "sourceIdentifier", d.uri, d.status, d.record, d.content_hash AS "contentHash",
    d.created_at AS "createdAt", d.updated_at AS "updatedAt", d.withdrawn_at AS "withdrawnAt"
  FROM datasets d JOIN organizations o ON o.id = d.organization_id`;

/** Lists datasets, newest change first. Withdrawn datasets are hidden unless asked for. */
export async function listDatasets(db: Db, f: DatasetFilter): Promise<{ total: number; items: DatasetRow[] }> {
  const conds: SQL[] = [];
  const status = f.status ?? 'active';
  if (status !== 'all') conds.push(sql`d.status = ${status}`);
  if (f.organization) conds.push(isUuidLike(f.organization) ? sql`d.organization_id = ${f.organization}` : sql`o.slug = ${f.organization}`);
  if (f.source) {
    if (!isUuidLike(f.source)) return { total: 0, items: [] };
    conds.push(sql`d.source_id = ${f.source}`);
  }
  if (f.q?.trim()) {
    // Plain substring match over every language of title, description and keywords; the
    // ranked full-text search with stemming and Arabic folding is issue 5's.
    const like = `%${f.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // Values only: matching the JSON text would also match the language keys (`q=fr`).
    conds.push(sql`(
      EXISTS (SELECT 1 FROM jsonb_each_text(d.record->'title') t WHERE t.value ILIKE ${like})
      OR EXISTS (SELECT 1 FROM jsonb_each_text(d.record->'description') t WHERE t.value ILIKE ${like})
      OR EXISTS (SELECT 1 FROM jsonb_each(d.record->'keywords') k, jsonb_array_elements_text(k.value) kw WHERE kw ILIKE ${like}))`);
  }
  const where = conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``;
  const limit = Math.min(Math.max(f.limit ?? 20, 1), 200);
  const page = Math.max(f.page ?? 1, 1);
  const [items, total] = await Promise.all([
    db.execute<DatasetRow>(sql`${SELECT} ${where} ORDER BY d.updated_at DESC, d.id LIMIT ${limit} OFFSET ${(page - 1) * limit}`),
    db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM datasets d JOIN organizations o ON o.id = d.organization_id ${where}`),
  ]);
  return { total: total.rows[0]?.n ?? 0, items: items.rows };
}

/** Finds a dataset by Hasad id, by the source's URI for it, or by the source's own identifier. */
export async function getDataset(db: Db, key: string): Promise<DatasetRow | undefined> {
  const cond = isUuidLike(key) ? sql`d.id = ${key}` : sql`(d.uri = ${key} OR d.source_identifier = ${key})`;
  const res = await db.execute<DatasetRow>(sql`${SELECT} WHERE ${cond} ORDER BY d.status, d.updated_at DESC LIMIT 1`);
  return res.rows[0];
}

function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
