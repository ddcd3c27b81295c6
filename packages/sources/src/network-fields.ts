import { getAdapter } from './adapters/index.ts';

/** An absolute URL of a scheme Hasad could be made to connect to. */
const URL_LIKE = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/** Every string of `v` that looks like a URL, by its dotted path in the config. */
function urlStrings(v: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (typeof v === 'string') {
    if (URL_LIKE.test(v)) out.set(path, v);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => urlStrings(x, path ? `${path}.${i}` : String(i), out));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) urlStrings(x, path ? `${path}.${k}` : k, out);
  }
  return out;
}

const asObject = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The config fields, changed between `before` and `after`, that decide where Hasad connects:
 * the adapter's declared `networkFields` (SOAP `endpoint` and `wsdl`…), compared as JSON, and,
 * for any kind, every value that is a URL wherever it sits (so an adapter that gains a URL
 * option sends the source back to review even before it is declared). Empty when nothing that
 * decides where Hasad connects changed. For a change of kind, compare the source as a whole.
 */
export function changedNetworkFields(kind: string, before: unknown, after: unknown): string[] {
  const a = asObject(before);
  const b = asObject(after);
  const changed = new Set<string>();
  for (const f of getAdapter(kind).networkFields) {
    if (JSON.stringify(a[f] ?? null) !== JSON.stringify(b[f] ?? null)) changed.add(f);
  }
  const ua = urlStrings(a, '', new Map());
  const ub = urlStrings(b, '', new Map());
  for (const [path, url] of ub) if (ua.get(path) !== url) changed.add(path);
  for (const path of ua.keys()) if (!ub.has(path)) changed.add(path);
  return [...changed].sort();
}
