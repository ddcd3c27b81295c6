import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';

export type ChangeKind = 'created' | 'updated' | 'withdrawn' | 'restored';

export interface ChangeItem {
  seq: number;
  kind: ChangeKind;
  datasetId: string;
  sourceId: string;
  at: string;
}

export interface ChangesPage {
  items: ChangeItem[];
  /** Where to resume: pass as `since`. Given even when there is nothing new, to poll with. */
  nextCursor: string;
}

/** A `since` the caller sent is not a cursor of this feed. */
export class InvalidChangeCursorError extends Error {
  override readonly name = 'InvalidChangeCursorError';
  readonly code = 'invalid_cursor';
}

/** Position in the feed: the last (transaction id, seq) read. */
interface Position {
  txid: string;
  seq: number;
}

const START: Position = { txid: '0', seq: 0 };

export function encodeChangeCursor(p: Position): string {
  return Buffer.from(`${p.txid}.${p.seq}`).toString('base64url');
}

function decodeChangeCursor(cursor: string): Position {
  const m = /^(\d{1,20})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidChangeCursorError('since is not a cursor this feed gave out');
  return { txid: m[1]!, seq: Number(m[2]) };
}

/**
 * Reads the change feed after `since` (an opaque cursor; absent = from the beginning; `now` =
 * skip everything so far), in order, at most `limit` changes.
 *
 * Why (txid, seq) and the snapshot horizon: `seq` comes from a sequence, so a transaction can
 * take seq 101, a later one 102 and commit first. A reader that returned 102 and moved its
 * cursor past it would never see 101. Instead the feed is ordered by the writing transaction's
 * id, then seq, and shows only changes of transactions older than the oldest transaction still
 * running (`pg_snapshot_xmin`): those are all finished, and any transaction writing later has a
 * larger id, so nothing can ever appear behind a cursor. The price is that a change shows up
 * once every older transaction has ended (normally milliseconds; an idle open transaction
 * holds the feed back until it ends).
 */
export async function listChanges(db: Db, opts: { since?: string; limit: number }): Promise<ChangesPage> {
  const limit = Math.min(Math.max(opts.limit, 1), 10_000);
  if (opts.since === 'now') {
    const res = await db.execute<{ txid: string; seq: number }>(sql`
      SELECT txid::text AS txid, seq FROM dataset_changes
      WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY txid DESC, seq DESC LIMIT 1`);
    const last = res.rows[0];
    return { items: [], nextCursor: encodeChangeCursor(last ? { txid: last.txid, seq: Number(last.seq) } : START) };
  }
  const from = opts.since ? decodeChangeCursor(opts.since) : START;
  const res = await db.execute<{ seq: string; txid: string; kind: ChangeKind; datasetId: string; sourceId: string; at: string }>(sql`
    SELECT seq, txid::text AS txid, kind, dataset_id AS "datasetId", source_id AS "sourceId", at
    FROM dataset_changes
    WHERE (txid, seq) > (${from.txid}::xid8, ${from.seq}::bigint)
      AND txid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY txid, seq
    LIMIT ${limit}`);
  const rows = res.rows;
  const last = rows[rows.length - 1];
  return {
    items: rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, datasetId: r.datasetId, sourceId: r.sourceId, at: r.at })),
    nextCursor: encodeChangeCursor(last ? { txid: last.txid, seq: Number(last.seq) } : from),
  };
}
