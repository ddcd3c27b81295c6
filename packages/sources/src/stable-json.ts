/**
 * Already serialised JSON that {@link stableStringify} copies as is (how the content hash hands
 * in lists it serialised once to sort them).
 */
export class RawJson {
  constructor(readonly json: string) {}
}

/** Object keys as JSON strings, cached: records repeat the same few dozen keys. */
const KEY_JSON = new Map<string, string>();
const KEY_CACHE_MAX = 10_000;

function keyJson(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (KEY_JSON.size < KEY_CACHE_MAX) KEY_JSON.set(k, j);
  }
  return j;
}

/**
 * JSON with object keys sorted at every level, `undefined` members left out. Written by hand
 * because JSON.stringify cannot sort keys (a replacer sees each object after its key order is
 * fixed); built by string concatenation, which V8 turns into cheap ropes, not arrays joined.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof RawJson) return value.json;
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) s += ',';
      const v: unknown = value[i];
      s += v === undefined ? 'null' : stableStringify(v);
    }
    return s + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += keyJson(k) + ':' + stableStringify(v);
  }
  return s + '}';
}
