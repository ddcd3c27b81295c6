import type { LangMap } from '@hasad/core';
import type { XNode } from '../soap/xml.ts';
import { languageTag } from './vocab.ts';

/**
 * Reading ISO 19139 (gmd/gco/gmx/srv) and ISO 19115-3 (mdb/mri/cit/lan/gco…) trees by local
 * name. The two standards use different namespaces for mostly the same element names, and
 * records in the wild mix gml and gml/3.2: matching by local name reads them all with one mapper.
 */

/** The element children of `n` with local name `name` (`*`: all). */
export function kids(n: XNode | undefined, name: string): XNode[] {
  if (n === undefined) return [];
  if (name === '*') return n.children;
  const out: XNode[] = [];
  for (const c of n.children) if (c.name === name) out.push(c);
  return out;
}

/**
 * One step of a path: a local name, alternatives (`a|b`), or any element (`*`, null). Paths are
 * split once: the mapper asks the same few dozen paths of every record.
 */
type Step = string | readonly string[] | null;
const compiled = new Map<string, Step[]>();

function compile(path: string): Step[] {
  let steps = compiled.get(path);
  if (steps === undefined) {
    steps = path.split('/').map((step) => {
      if (step === '*') return null;
      const names = step.split('|');
      return names.length === 1 ? (names[0] as string) : names;
    });
    compiled.set(path, steps);
  }
  return steps;
}

function matches(step: Step, name: string): boolean {
  return step === null || (typeof step === 'string' ? step === name : step.includes(name));
}

/** Appends to `out` the elements below `n` that `steps[i…]` reach, in document order; stops after `max`. */
function collect(n: XNode, steps: Step[], i: number, out: XNode[], max: number): void {
  const step = steps[i] as Step;
  const last = i === steps.length - 1;
  for (const k of n.children) {
    if (!matches(step, k.name)) continue;
    if (last) out.push(k);
    else collect(k, steps, i + 1, out, max);
    if (out.length >= max) return;
  }
}

/** Elements reached by `a/b/*` from `n`, one step per local name; `a|b` for alternatives. */
export function at(n: XNode | undefined, path: string): XNode[] {
  const out: XNode[] = [];
  if (n !== undefined) collect(n, compile(path), 0, out, Number.POSITIVE_INFINITY);
  return out;
}

/** The first element `at(n, path)` gives, without collecting the others. */
export function first(n: XNode | undefined, path: string): XNode | undefined {
  if (n === undefined) return undefined;
  const out: XNode[] = [];
  collect(n, compile(path), 0, out, 1);
  return out[0];
}

/** An attribute by local name (`xlink:href` → `href`). */
export function attr(n: XNode | undefined, name: string): string | undefined {
  if (n === undefined) return undefined;
  for (const a of n.attrs) if (a.name === name) return a.value;
  return undefined;
}

/** The nil reason of an empty property (`gco:nilReason="missing"`), when given. */
function isNilProperty(n: XNode): boolean {
  return n.children.length === 0 && attr(n, 'nilReason') !== undefined;
}

/**
 * The text value of an ISO property: its gco:CharacterString, gmx:Anchor, gco:Decimal, gco:Date…
 * child (the first element child), or the element's own text for code lists and plain values.
 */
export function text(n: XNode | undefined): string | undefined {
  if (n === undefined || isNilProperty(n)) return undefined;
  const own = n.text.trim();
  if (own !== '') return own;
  for (const c of n.children) {
    if (c.name === 'PT_FreeText') continue;
    const t = c.text.trim();
    if (t !== '') return t;
  }
  return undefined;
}

/** The text at a path from `n`. */
export function textAt(n: XNode | undefined, path: string): string | undefined {
  for (const x of at(n, path)) {
    const t = text(x);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** A code list value: `codeListValue`, else the element's text (`<gmd:MD_ScopeCode codeListValue="dataset">`). */
export function codeValue(n: XNode | undefined): string | undefined {
  if (n === undefined) return undefined;
  const code = n.children.find((c) => attr(c, 'codeListValue') !== undefined || c.text.trim() !== '') ?? n;
  const v = attr(code, 'codeListValue')?.trim() || code.text.trim();
  return v === '' ? undefined : v;
}

/** The href of a property's gmx:Anchor (or of the property itself), when it is one. */
export function anchorHref(n: XNode | undefined): string | undefined {
  if (n === undefined) return undefined;
  for (const c of n.children) {
    if (c.name === 'Anchor') {
      const h = attr(c, 'href')?.trim();
      if (h) return h;
    }
  }
  const own = attr(n, 'href')?.trim();
  return own ? own : undefined;
}

/** How a record's locales are named: `#locale-fr`, `#FR` → `fr` (from its PT_Locale list). */
export interface Locales {
  /** The record's main language as a BCP 47 tag ('' when it gives none). */
  main: string;
  byId: Map<string, string>;
}

/** Reads the main language and the `PT_Locale` ids of a record. */
export function readLocales(root: XNode): Locales {
  const mainCode = codeValue(first(root, 'language')) ?? textAt(root, 'language') ?? codeValue(first(root, 'defaultLocale/PT_Locale/language'));
  const main = (mainCode === undefined ? undefined : languageTag(mainCode)) ?? '';
  const byId = new Map<string, string>();
  for (const loc of [...at(root, 'locale/PT_Locale'), ...at(root, 'otherLocale/PT_Locale')]) {
    const id = attr(loc, 'id');
    const code = codeValue(first(loc, 'languageCode')) ?? codeValue(first(loc, 'language'));
    const tag = code === undefined ? undefined : languageTag(code);
    if (id !== undefined && tag !== undefined) byId.set(id, tag);
  }
  return { main, byId };
}

function localeTag(ref: string | undefined, locales: Locales): string | undefined {
  if (ref === undefined) return undefined;
  const id = ref.replace(/^#/, '');
  const known = locales.byId.get(id);
  if (known !== undefined) return known;
  // Records that refer to a locale they never declare: `#locale-fr`, `#FR`, `#fre`.
  const m = /^(?:locale[-_])?([a-z]{2,3})$/i.exec(id);
  return m === null ? undefined : languageTag(m[1] as string);
}

/**
 * A multilingual ISO property as a language map: the plain value under the record's main
 * language, each `LocalisedCharacterString` under its locale's language. Nothing is dropped: a
 * translation whose locale cannot be resolved is kept under its locale reference.
 */
export function langText(n: XNode | undefined, locales: Locales): LangMap {
  const out: LangMap = {};
  if (n === undefined) return out;
  const main = text(n);
  if (main !== undefined) out[locales.main] = main;
  for (const group of at(n, 'PT_FreeText/textGroup')) {
    for (const l of kids(group, 'LocalisedCharacterString')) {
      const v = l.text.trim();
      if (v === '') continue;
      const ref = attr(l, 'locale');
      const tag = localeTag(ref, locales) ?? (ref ?? '').replace(/^#/, '').toLowerCase();
      if (out[tag] === undefined) out[tag] = v;
    }
  }
  return out;
}

/** The first non-empty language map among the nodes a path reaches. */
export function langTextAt(n: XNode | undefined, path: string, locales: Locales): LangMap {
  for (const x of at(n, path)) {
    const m = langText(x, locales);
    if (Object.keys(m).length > 0) return m;
  }
  return {};
}
