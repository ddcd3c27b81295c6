/**
 * Values PostgreSQL refuses in `text` and `jsonb`: the NUL character (U+0000: "invalid byte
 * sequence for encoding UTF8: 0x00", and jsonb's "\u0000 cannot be converted to text") and
 * lone UTF-16 surrogates (JSON.stringify writes them as `\udXXX` escapes, which jsonb refuses:
 * "Unicode low surrogate must follow a high surrogate"). One such character in one title used
 * to fail the whole batch, retried until the run gave up.
 *
 * Hand-written rather than `String.prototype.toWellFormed`: that replaces lone surrogates but
 * keeps NUL (valid Unicode, refused by PostgreSQL only), and it cannot say which field changed,
 * which the institution is told.
 */

// A lone high surrogate (not followed by a low one), a lone low surrogate (not preceded by a
// high one), or NUL. The `u` flag is left off on purpose: with it, a lone surrogate is one code
// point and the look-arounds below could not see pairs.
const REFUSED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Any character that may be refused: NUL or any surrogate (a pair is fine, REFUSED then tells). */
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** Whether `s` holds a character PostgreSQL refuses. */
export function hasRefusedCharacters(s: string): boolean {
  // Nearly every string holds neither NUL nor a surrogate: one character class decides, without
  // the look-arounds.
  if (!SUSPECT.test(s)) return false;
  REFUSED.lastIndex = 0;
  return REFUSED.test(s);
}

/** Whether any string (or object key) in `value` holds a refused character; allocates nothing. */
function anyRefused(value: unknown): boolean {
  if (typeof value === 'string') return hasRefusedCharacters(value);
  if (Array.isArray(value)) {
    for (const v of value) if (anyRefused(v)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      if (hasRefusedCharacters(k) || anyRefused((value as Record<string, unknown>)[k])) return true;
    }
  }
  return false;
}

/** `s` with NUL removed and lone surrogates replaced by U+FFFD (the replacement character). */
export function cleanString(s: string): string {
  REFUSED.lastIndex = 0;
  return s.replace(REFUSED, (c) => (c === '\u0000' ? '' : '\ufffd'));
}

/**
 * A deep copy of `value` with every string (and object key) cleaned, and the dotted paths
 * (`title.fr`, `distributions.0.title.ar`) of the strings that changed. Values without a
 * refused character are returned as they are (same object), so the common case copies nothing
 * (and, checked first by a walk that allocates nothing, builds no path either).
 */
export function cleanValue(value: unknown, path = ''): { value: unknown; fields: string[] } {
  // The common case, nothing to clean, found without building a path or a result for each value.
  if (path === '' && !anyRefused(value)) return { value, fields: [] };
  if (typeof value === 'string') {
    return hasRefusedCharacters(value) ? { value: cleanString(value), fields: [path || '(value)'] } : { value, fields: [] };
  }
  if (Array.isArray(value)) {
    const fields: string[] = [];
    let copy: unknown[] | undefined;
    value.forEach((v, i) => {
      const r = cleanValue(v, path ? `${path}.${i}` : String(i));
      if (r.fields.length > 0) {
        copy ??= value.slice();
        copy[i] = r.value;
        fields.push(...r.fields);
      }
    });
    return { value: copy ?? value, fields };
  }
  if (value !== null && typeof value === 'object') {
    const fields: string[] = [];
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const key = hasRefusedCharacters(k) ? cleanString(k) : k;
      const at = path ? `${path}.${key}` : key;
      const r = cleanValue(v, at);
      if (key !== k) fields.push(at);
      if (r.fields.length > 0 || key !== k) {
        copy ??= { ...(value as Record<string, unknown>) };
        if (key !== k) delete copy[k];
        copy[key] = r.value;
        fields.push(...r.fields);
      }
    }
    return { value: copy ?? value, fields };
  }
  return { value, fields: [] };
}
