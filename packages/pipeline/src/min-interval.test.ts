import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hasad/core';
import { checkSchedule, formatDuration, scheduleMinGapMs } from './schedule.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TZ = 'Africa/Casablanca';
// A fixed "now" so that the firings compared are always the same.
const now = new Date('2026-03-02T10:00:00Z');

describe('scheduleMinGapMs', () => {
  it.each([
    ['hourly', HOUR],
    ['6h', 6 * HOUR],
    ['daily', DAY],
    ['*/5 * * * *', 5 * MIN],
    ['0,30 9 * * *', 30 * MIN],
    ['0 9,10 * * *', HOUR],
    ['0 3 * * *', DAY],
    ['0 3 * * 1', 7 * DAY],
    ['0 */3 * * * *', 3 * MIN],
    ['* * * * * *', 1000],
    // Across midnight on consecutive days: 23:59 then 00:00.
    ['0,59 0,23 * * *', MIN],
    // 23:00 then 01:00 only on Monday: never on consecutive days, so 22 h.
    ['0 1,23 * * 1', 22 * HOUR],
  ])('"%s" fires at least %i ms apart', (schedule, gap) => {
    // UTC: Africa/Casablanca's Ramadan clock changes would shorten some gaps by an hour.
    expect(scheduleMinGapMs(schedule, 'UTC', { now })).toBe(gap);
  });
});

describe('checkSchedule', () => {
  it('refuses a schedule more frequent than the minimum, naming the schedule, its gap and the setting', () => {
    expect(() => checkSchedule('*/10 * * * *', TZ, HOUR)).toThrow(ConfigError);
    expect(() => checkSchedule('*/10 * * * *', TZ, HOUR)).toThrow(
      'schedule "*/10 * * * *" would harvest the source every 10 min; the minimum interval between two harvests of a source is 1 h (HASAD_MIN_SCHEDULE_INTERVAL_MS)',
    );
    expect(() => checkSchedule('30m', TZ, HOUR)).toThrow(/every 30 min/);
  });

  it('accepts schedules at or above the minimum, quickly', () => {
    const started = performance.now();
    for (const s of ['hourly', 'daily', 'weekly', 'monthly', '0 * * * *', '0 3 * * 1', '0 3 1 * *', '0 9,10 * * *', '2h']) checkSchedule(s, TZ, HOUR);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('still rejects what is not a schedule', () => {
    expect(() => checkSchedule('every tuesday', TZ, HOUR)).toThrow(/neither a cron expression/);
  });
});

describe('formatDuration', () => {
  it.each([
    [1000, '1 s'],
    [5 * MIN, '5 min'],
    [HOUR + 30 * MIN, '1 h 30 min'],
    [2 * DAY, '2 d'],
  ])('%i ms is "%s"', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
