import { createHash } from 'node:crypto';
import cronParser from 'cron-parser';
import { ConfigError } from '@hasad/core';

export type RepeatSpec = { pattern: string; tz: string } | { every: number; offset: number };

const NAMED: Record<string, number> = {
  hourly: 3_600_000,
  daily: 86_400_000,
  weekly: 7 * 86_400_000,
};
const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A number in [0, 1) derived from the source id: the same source always gets the same offset. */
export function stableFraction(sourceId: string): number {
  return createHash('sha1').update(sourceId).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Turns a stored schedule into BullMQ repeat options, spreading sources so they do not all
 * fire at once: an interval gets a deterministic offset within min(interval, spread); a 5-field
 * cron expression gets a deterministic second (0-59) prepended. `monthly` is the cron
 * `0 3 1 * *` (03:00 on the 1st, in the source's time zone).
 */
export function toRepeat(schedule: string, sourceId: string, tz: string, spreadMs: number): RepeatSpec {
  const s = schedule.trim();
  const f = stableFraction(sourceId);
  const every = Object.hasOwn(NAMED, s) ? NAMED[s] : parseInterval(s);
  if (every !== undefined) {
    return { every, offset: Math.floor(f * Math.min(every, spreadMs)) };
  }
  const cron = s === 'monthly' ? '0 3 1 * *' : s;
  const fields = cron.split(/\s+/);
  const pattern = fields.length === 5 ? `${Math.floor(f * 60)} ${cron}` : fields.length === 6 ? cron : undefined;
  if (pattern !== undefined) {
    // The parser BullMQ itself uses: a schedule it would reject is refused at registration.
    try {
      cronParser.parseExpression(pattern, { tz });
    } catch (err) {
      throw new ConfigError(`schedule "${schedule}" is not a valid cron expression: ${(err as Error).message}`, { schedule });
    }
    return { pattern, tz };
  }
  throw new ConfigError(`schedule "${schedule}" is neither a cron expression (5 or 6 fields), an interval like 30m/6h/1d, nor hourly/daily/weekly/monthly`, { schedule });
}

function parseInterval(s: string): number | undefined {
  const m = /^(\d+)\s*([smhd])$/.exec(s);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT[m[2]!]!;
  if (ms < 60_000) throw new ConfigError(`schedule "${s}" is shorter than one minute`, { schedule: s });
  return ms;
}
