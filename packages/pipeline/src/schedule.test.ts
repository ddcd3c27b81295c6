import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hasad/core';
import { toRepeat } from './schedule.ts';

const TZ = 'Africa/Casablanca';
const SPREAD = 300_000; // the default HASAD_SCHEDULE_SPREAD_MS, 5 min
const SOURCE = '5d15229f-2582-4c5a-a2df-5c275a293985';
/** Fixed, distinct source ids, so "different sources get different offsets" is checked the same way on every run. */
const MANY = Array.from({ length: 50 }, (_, i) => `0c1e7a52-9d43-4f6b-8a21-${String(i).padStart(12, '0')}`);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('toRepeat: intervals', () => {
  it.each([
    ['hourly', HOUR],
    ['daily', DAY],
    ['weekly', 7 * DAY],
    ['30m', 30 * MIN],
    ['6h', 6 * HOUR],
    ['1d', DAY],
    ['90s', 90_000],
    ['2 h', 2 * HOUR],
    ['  daily  ', DAY],
  ])('"%s" repeats every %i ms, offset by a whole number of ms below min(interval, spread)', (schedule, every) => {
    const r = toRepeat(schedule, SOURCE, TZ, SPREAD);
    expect(r).toEqual({ every, offset: expect.any(Number) });
    const { offset } = r as { offset: number };
    expect(Number.isInteger(offset)).toBe(true);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(Math.min(every, SPREAD));
  });

  it('an interval shorter than the spread keeps its offset inside the interval', () => {
    for (const id of MANY) {
      const r = toRepeat('1m', id, TZ, SPREAD) as { every: number; offset: number };
      expect(r.every).toBe(MIN);
      expect(r.offset).toBeGreaterThanOrEqual(0);
      expect(r.offset).toBeLessThan(MIN);
    }
  });

  it('the same source always gets the same offset', () => {
    const first = toRepeat('6h', SOURCE, TZ, SPREAD);
    for (let i = 0; i < 5; i++) expect(toRepeat('6h', SOURCE, TZ, SPREAD)).toEqual(first);
    // The time zone plays no part in an interval's offset.
    expect(toRepeat('6h', SOURCE, 'UTC', SPREAD)).toEqual(first);
  });

  it('different sources are spread over the window instead of all firing at once', () => {
    const offsets = MANY.map((id) => (toRepeat('daily', id, TZ, SPREAD) as { offset: number }).offset);
    expect(new Set(offsets).size).toBeGreaterThanOrEqual(45);
    // Not bunched in a corner of the 5-minute window.
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(SPREAD / 2);
    for (const o of offsets) expect(o).toBeLessThan(SPREAD);
  });

  it('a spread of 0 turns spreading off', () => {
    for (const id of MANY.slice(0, 5)) expect(toRepeat('hourly', id, TZ, 0)).toEqual({ every: HOUR, offset: 0 });
  });
});

describe('toRepeat: cron expressions', () => {
  it('a 5-field cron gets a per-source second prepended and keeps the source time zone', () => {
    const r = toRepeat('0 3 * * *', SOURCE, TZ, SPREAD);
    expect(r).toEqual({ pattern: expect.stringMatching(/^([0-9]|[1-5][0-9]) 0 3 \* \* \*$/), tz: TZ });
    expect(toRepeat('0 3 * * *', SOURCE, TZ, SPREAD)).toEqual(r);
    const seconds = new Set(MANY.map((id) => (toRepeat('0 3 * * *', id, TZ, SPREAD) as { pattern: string }).pattern.split(' ')[0]));
    expect(seconds.size).toBeGreaterThanOrEqual(25);
  });

  it('"monthly" is 03:00 on the 1st, in the source time zone, at a per-source second', () => {
    const r = toRepeat('monthly', SOURCE, 'Europe/Paris', SPREAD);
    expect(r).toEqual({ pattern: expect.stringMatching(/^([0-9]|[1-5][0-9]) 0 3 1 \* \*$/), tz: 'Europe/Paris' });
  });

  it('a 6-field cron (seconds given) is kept as written', () => {
    expect(toRepeat('30 15 2 * * 1-5', SOURCE, TZ, SPREAD)).toEqual({ pattern: '30 15 2 * * 1-5', tz: TZ });
  });
});

describe('toRepeat: invalid schedules', () => {
  it.each(['fortnightly', 'every 5 minutes', '* * * *', '0 0 3 1 1 * 2026', '', '5x', '-1h'])('"%s" is a ConfigError that quotes the value', (schedule) => {
    const call = () => toRepeat(schedule, SOURCE, TZ, SPREAD);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(`"${schedule}"`);
  });

  it.each(['30s', '0m', '59 s'])('"%s" is shorter than one minute: a ConfigError that says so', (schedule) => {
    const call = () => toRepeat(schedule, SOURCE, TZ, SPREAD);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(`schedule "${schedule}" is shorter than one minute`);
  });

  // Inherited property names of the named-schedule table are not schedules.
  it.each(['toString', 'constructor', '__proto__'])('"%s" is a ConfigError, not an interval', (schedule) => {
    expect(() => toRepeat(schedule, SOURCE, TZ, SPREAD)).toThrow(ConfigError);
  });

  // Five words are checked as cron, so `hasad source add --schedule` refuses them at once.
  it.each(['tous les jours à 3h', '61 * * * *', '0 25 * * *'])('"%s" is not a valid cron expression: a ConfigError', (schedule) => {
    expect(() => toRepeat(schedule, SOURCE, TZ, SPREAD)).toThrow(ConfigError);
  });
});
