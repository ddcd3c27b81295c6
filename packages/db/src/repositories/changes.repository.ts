import { sql } from 'drizzle-orm';
import type { Db, DbHandle } from '../client.ts';

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

/** A `since` older than what the feed still holds: changes after it were pruned (HASAD_CHANGES_RETENTION_DAYS). */
export class ExpiredChangeCursorError extends Error {
  override readonly name = 'ExpiredChangeCursorError';
  readonly code = 'cursor_expired';
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
  // A txid is an unsigned 64-bit number (xid8): a larger one is no cursor of ours (and would
  // make PostgreSQL's cast fail).
  if (!m || BigInt(m[1]!) > 0xffff_ffff_ffff_ffffn) throw new InvalidChangeCursorError('since is not a cursor this feed gave out');
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
 *
 * Every ORDER BY names the column through the table alias (`c.txid`): a bare `txid` in ORDER BY
 * would mean the output column `txid::text AS txid`, and PostgreSQL would sort the ids as text
 * ('1000000' before '999999'), skipping and repeating changes whenever txids cross a power of
 * ten. `c.txid` is the xid8 column, compared as a 64-bit number.
 */
export async function listChanges(h: DbHandle, opts: { since?: string; limit: number }): Promise<ChangesPage> {
  const limit = Math.min(Math.max(opts.limit, 1), 10_000);
  if (opts.since === 'now') {
    const res = await h.db.execute<{ txid: string; seq: number }>(sql`
      SELECT c.txid::text AS txid, c.seq FROM dataset_changes c
      WHERE c.txid < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY c.txid DESC, c.seq DESC LIMIT 1`);
    const last = res.rows[0];
    return { items: [], nextCursor: encodeChangeCursor(last ? { txid: last.txid, seq: Number(last.seq) } : START) };
  }
  const horizon = await feedHorizon(h.db);
  let from = horizon ?? START;
  if (opts.since) {
    from = decodeChangeCursor(opts.since);
    if (horizon && before(from, horizon)) {
      throw new ExpiredChangeCursorError(
        `changes after this cursor were pruned (older than the feed's retention, last pruned at ${horizon.prunedAt}): read /api/v1/datasets again and follow the feed from since=now`,
      );
    }
  }
  const res = await h.db.execute<{ seq: string; txid: string; kind: ChangeKind; datasetId: string; sourceId: string; at: string }>(sql`
    SELECT c.seq, c.txid::text AS txid, c.kind, c.dataset_id AS "datasetId", c.source_id AS "sourceId", c.at
    FROM dataset_changes c
    WHERE (c.txid, c.seq) > (${from.txid}::xid8, ${from.seq}::bigint)
      AND c.txid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY c.txid, c.seq
    LIMIT ${limit}`);
  const rows = res.rows;
  const last = rows[rows.length - 1];
  return {
    items: rows.map((r) => ({ seq: Number(r.seq), kind: r.kind, datasetId: r.datasetId, sourceId: r.sourceId, at: r.at })),
    nextCursor: encodeChangeCursor(last ? { txid: last.txid, seq: Number(last.seq) } : from),
  };
}

/** (txid, seq) order; txids are 64-bit, compared as decimal strings of any length. */
function before(a: Position, b: Position): boolean {
  const ta = BigInt(a.txid);
  const tb = BigInt(b.txid);
  return ta < tb || (ta === tb && a.seq < b.seq);
}

/** The last position pruned, if the feed was ever pruned (`pruneChanges`, retention.repository.ts, moves it). */
async function feedHorizon(db: Db): Promise<(Position & { prunedAt: string }) | undefined> {
  const res = await db.execute<{ txid: string; seq: string; pruned_at: string }>(sql`SELECT txid::text AS txid, seq, pruned_at FROM change_feed_horizon WHERE id = 1`);
  const row = res.rows[0];
  return row ? { txid: row.txid, seq: Number(row.seq), prunedAt: new Date(row.pruned_at).toISOString() } : undefined;
}
