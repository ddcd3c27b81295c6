/** Value readers every adapter shares: dates and media types, normalised the same way whatever the source kind. */

const DATE_RE = /^(-?\d{4,})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads an xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth lexical form (typed or not:
 * many feeds declare the wrong date type or none) and returns it normalised: `T` separator,
 * seconds present, upper-case `Z`, `±hh:mm` offsets.
 * @returns undefined when the text is not such a date (e.g. `31/12/2020`, `2020-13-01`).
 */
export function normaliseDate(text: string): string | undefined {
  const m = DATE_RE.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  if (mo !== undefined) {
    const month = Number(mo);
    if (month < 1 || month > 12) return undefined;
    if (d !== undefined) {
      const day = Number(d);
      if (day < 1 || day > daysIn(year, month)) return undefined;
    }
  }
  let out = y as string;
  if (mo !== undefined) out += `-${mo}`;
  if (d !== undefined) out += `-${d}`;
  if (h !== undefined) {
    const hour = Number(h);
    const minute = Number(mi);
    const second = s === undefined ? 0 : Number(s);
    const midnight24 = hour === 24 && minute === 0 && second === 0;
    if ((hour > 23 && !midnight24) || minute > 59 || second > 59) return undefined;
    out += `T${h}:${mi}:${s ?? '00'}${frac ?? ''}`;
  }
  if (tz !== undefined) {
    if (tz === 'z' || tz === 'Z') out += 'Z';
    else {
      const t = tz.replace(':', '');
      const hours = Number(t.slice(1, 3));
      const minutes = Number(t.slice(3, 5));
      if (hours > 14 || minutes > 59) return undefined;
      out += `${t.slice(0, 3)}:${t.slice(3, 5)}`;
    }
  }
  return out;
}

const MEDIA_TYPE_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const MEDIA_TYPE_IRI = /^https?:\/\/(?:www\.)?iana\.org\/assignments\/media-types\/(.+)$/i;

/** `text/csv` from `text/csv`, `Text/CSV; charset=utf-8` or the IANA IRI form. */
export function normaliseMediaType(v: string): string | undefined {
  const iri = MEDIA_TYPE_IRI.exec(v.trim());
  const t = (iri?.[1] ?? v).split(';')[0]?.trim().toLowerCase() ?? '';
  return MEDIA_TYPE_RE.test(t) ? t : undefined;
}

