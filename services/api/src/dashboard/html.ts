/**
 * A small tagged template for server-rendered HTML that escapes every interpolated value.
 *
 * Hand-written rather than a template library: the dashboard renders a dozen pages from typed
 * data, and a 40-line tag whose one rule is "everything interpolated is escaped unless it is
 * already `Html`" is easier to audit than a template language (whose own escaping rules,
 * helpers and file loading would each need checking). Attribute values must be quoted in the
 * templates (`href="${url}"`): the escaping covers `"` and `'`, not unquoted attributes.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** `html\`<p>${text}</p>\``: interpolated strings and numbers are escaped, `Html` values and arrays of them are inserted as they are; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** An href for a URL that came from outside (a feed URL): only http(s) links, anything else becomes inert. */
export function safeHref(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#';
}
