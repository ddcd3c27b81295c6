/**
 * Picks the representation an Accept header prefers among `offered` media types (RFC 9110
 * §12.5.1: q-values, then specificity; `*` ranges match). Ties keep the order of `offered`,
 * so the first offered type is the default for `Accept: *` and for a missing header.
 * @returns undefined when the header accepts none of them.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (!accept || !accept.trim()) return offered[0];
  const ranges = accept.split(',').flatMap((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    if (!range) return [];
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    return Number.isFinite(q) ? [{ range: range.trim(), q }] : [];
  });
  let best: { type: string; q: number; specificity: number } | undefined;
  for (const type of offered) {
    const [major] = type.split('/');
    let q = -1;
    let specificity = -1;
    for (const r of ranges) {
      const s = r.range === type ? 2 : r.range === `${major}/*` ? 1 : r.range === '*/*' ? 0 : -1;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (q > 0 && (!best || q > best.q)) best = { type, q, specificity };
  }
  return best?.type;
}
