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

/** Upcoming firings compared at most when only consecutive firing days could bring two harvests close. */
const CRON_LOOKAHEAD = 15;

/**
 * The shortest time between two harvests a schedule asks for, in ms: the interval itself, or
 * for a cron expression the smallest gap between two firings on the wall clock of its time
 * zone (`0 9,10 * * *` counts as one hour, not one day). Within a day a cron expression fires
 * at the same times every firing day, so those gaps come from its fields directly; the gap
 * across midnight (23:30 → 00:30) only exists on consecutive firing days, so it is confirmed
 * on the next firings. cron-parser needs about 1-10 ms per firing: the common cases use none
 * or two, the rest at most {@link CRON_LOOKAHEAD}. With `enoughMs`, a lower bound at or above
 * it is returned as is (all a minimum-interval check needs). Daylight-saving shifts are ignored.
 *
 * @throws ConfigError when the schedule is not valid (see {@link toRepeat}).
 */
export function scheduleMinGapMs(schedule: string, tz: string, opts: { now?: Date; enoughMs?: number } = {}): number {
  const repeat = toRepeat(schedule, '00000000-0000-0000-0000-000000000000', tz, 0);
  if ('every' in repeat) return repeat.every;
  const it = cronParser.parseExpression(repeat.pattern, { tz, currentDate: opts.now ?? new Date() });
  const f = it.fields;
  const times: number[] = [];
  for (const h of f.hour) for (const m of f.minute) for (const sec of f.second) times.push((h * 3600 + m * 60 + sec) * 1000);
  times.sort((a, b) => a - b);
  let intraDay = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) intraDay = Math.min(intraDay, times[i]! - times[i - 1]!);
  const acrossMidnight = 86_400_000 + times[0]! - times[times.length - 1]!;
  if (intraDay <= acrossMidnight) return intraDay;
  // A lower bound that already satisfies the caller needs no confirmation.
  if (opts.enoughMs !== undefined && acrossMidnight >= opts.enoughMs) return acrossMidnight;
  let min = intraDay;
  let prev = it.next().getTime();
  for (let i = 1; i < CRON_LOOKAHEAD; i++) {
    let next: number;
    try {
      next = it.next().getTime();
    } catch {
      break; // no firing left in cron-parser's range
    }
    min = Math.min(min, next - prev);
    if (min <= acrossMidnight) break;
    prev = next;
  }
  return min;
}

/**
 * Validates a schedule and refuses one that would harvest a source more often than every
 * `minIntervalMs` (HASAD_MIN_SCHEDULE_INTERVAL_MS), so nobody can hammer a server through Hasad.
 *
 * @throws ConfigError naming the schedule, its shortest gap and the minimum.
 */
export function checkSchedule(schedule: string, tz: string, minIntervalMs: number): void {
  const gap = scheduleMinGapMs(schedule, tz, { enoughMs: minIntervalMs });
  if (gap < minIntervalMs) {
    throw new ConfigError(
      `schedule "${schedule}" would harvest the source every ${formatDuration(gap)}; the minimum interval between two harvests of a source is ${formatDuration(minIntervalMs)} (HASAD_MIN_SCHEDULE_INTERVAL_MS)`,
      { field: 'schedule', schedule, gapMs: gap, minIntervalMs },
    );
  }
}

/** `90 s`, `5 min`, `1 h 30 min`, `2 d`: for messages. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms / 60_000) * 60_000;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${name}`);
    rest -= n * size;
  }
  return parts.join(' ');
}
