import { normaliseDate } from '../shared/values.ts';

/**
 * Date formats for SOAP fields. `iso` (the default) reads ISO 8601 / xsd dates and date-times;
 * a pattern such as `DD/MM/YYYY` or `DD/MM/YYYY HH:mm` reads local formats. Tokens: `YYYY`,
 * `MM`/`M` (month, 2 or 1–2 digits), `DD`/`D` (day), `HH`/`H` (hour, 24 h), `mm` (minutes),
 * `ss` (seconds). Other characters are literal, except letters (a typo such as `JJ/MM/AAAA`
 * must not silently read nothing), apart from `T`, the ISO date/time separator.
 */

const TOKENS = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'M', 'D', 'H'] as const;
type Token = (typeof TOKENS)[number];
const UNIT: Record<Token, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'> = {
  YYYY: 'year',
  MM: 'month',
  M: 'month',
  DD: 'day',
  D: 'day',
  HH: 'hour',
  H: 'hour',
  mm: 'minute',
  ss: 'second',
};
const DIGITS: Record<Token, string> = { YYYY: '(\\d{4})', MM: '(\\d{2})', M: '(\\d{1,2})', DD: '(\\d{2})', D: '(\\d{1,2})', HH: '(\\d{2})', H: '(\\d{1,2})', mm: '(\\d{2})', ss: '(\\d{2})' };

/** Reads a date text into the normalised lexical form (`2024-05-01`, `2024-05-01T10:30:00`), or undefined. */
export type DateReader = (text: string) => string | undefined;

/**
 * Compiles a date format.
 * @throws Error naming what is wrong with the format (unknown letters, a unit twice, minutes without hours…).
 */
export function compileDateFormat(format: string): DateReader {
  if (format === 'iso') return normaliseDate;
  let re = '';
  const units: Array<(typeof UNIT)[Token]> = [];
  for (let i = 0; i < format.length; ) {
    const token = TOKENS.find((t) => format.startsWith(t, i));
    if (token !== undefined) {
      if (units.includes(UNIT[token])) throw new Error(`the ${UNIT[token]} appears twice in "${format}"`);
      units.push(UNIT[token]);
      re += DIGITS[token];
      i += token.length;
      continue;
    }
    const c = format[i] as string;
    if (/[A-Za-z]/.test(c) && c !== 'T') {
      throw new Error(`"${c}" in "${format}" is not a date token (use YYYY, MM, M, DD, D, HH, H, mm, ss or "iso")`);
    }
    re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s/, '\\s+');
    i++;
  }
  const need: Array<[unit: (typeof UNIT)[Token], requires: (typeof UNIT)[Token]]> = [
    ['month', 'year'],
    ['day', 'month'],
    ['hour', 'day'],
    ['minute', 'hour'],
    ['second', 'minute'],
  ];
  if (!units.includes('year')) throw new Error(`"${format}" has no year (YYYY)`);
  for (const [unit, requires] of need) {
    if (units.includes(unit) && !units.includes(requires)) throw new Error(`"${format}" has a ${unit} but no ${requires}`);
  }
  const matcher = new RegExp(`^${re}$`);
  return (text) => {
    const m = matcher.exec(text.trim());
    if (m === null) return undefined;
    const part: Partial<Record<(typeof UNIT)[Token], string>> = {};
    units.forEach((u, i) => {
      part[u] = (m[i + 1] as string).padStart(u === 'year' ? 4 : 2, '0');
    });
    let iso = part.year as string;
    if (part.month !== undefined) iso += `-${part.month}`;
    if (part.day !== undefined) iso += `-${part.day}`;
    if (part.hour !== undefined) iso += `T${part.hour}:${part.minute ?? '00'}:${part.second ?? '00'}`;
    // normaliseDate checks the ranges (month 13, 31 April, hour 25).
    return normaliseDate(iso);
  };
}
