import { describe, expect, it } from 'vitest';
import { toIso } from './timestamps.ts';

describe('toIso', () => {
  it.each([
    ['2025-03-01 08:45:00+00', '2025-03-01T08:45:00.000Z'],
    ['2025-03-01 08:45:00.123456+01', '2025-03-01T07:45:00.123Z'],
    ['2025-03-01 08:45:00+05:30', '2025-03-01T03:15:00.000Z'],
    ['2025-03-01 08:45:00-03', '2025-03-01T11:45:00.000Z'],
  ])('reads PostgreSQL text %s as %s', (pg, iso) => {
    expect(toIso(pg)).toBe(iso);
  });

  it('keeps Date and null as they mean', () => {
    expect(toIso(new Date('2025-03-01T08:45:00Z'))).toBe('2025-03-01T08:45:00.000Z');
    expect(toIso(null)).toBeNull();
  });
});
