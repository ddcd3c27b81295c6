/** PostgreSQL's text form of a timestamptz (DateStyle ISO): `2025-03-01 08:45:00.123456+01` or `+05:30`. */
const PG_TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;

/**
 * A timestamp as the API shows it: RFC 3339 in UTC (`2025-03-01T07:45:00.123Z`).
 * Raw queries through drizzle hand timestamptz back as PostgreSQL's text, drizzle selects
 * and pg as `Date`; both end up the same.
 */
export function toIso(value: Date | string): string;
export function toIso(value: Date | string | null): string | null;
export function toIso(value: Date | string | null): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  const m = PG_TIMESTAMPTZ.exec(value);
  const normalised = m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}` : value;
  const date = new Date(normalised);
  // An unparseable value is shown as PostgreSQL gave it rather than as `Invalid Date`.
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
