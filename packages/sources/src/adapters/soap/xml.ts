import iconv from 'iconv-lite';
import { Parser } from 'xml2js';
import { ParseError } from '@hasad/core';

/**
 * A small, safe XML tree over xml2js, with the lookups SOAP needs: namespace-aware names,
 * `xsi:nil`, RPC-encoded `href="#id"` / `multiRef` references, and XML documents escaped
 * inside a text element (read as if they were child elements).
 */

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
/** SOAP 1.2 encoding: `enc:id` / `enc:ref` replace 1.1's `id` / `href="#…"`. */
const SOAP12_ENC_NS = 'http://www.w3.org/2003/05/soap-encoding';
/** References followed at most in a chain (guards against `a → b → a`). */
const MAX_REF_DEPTH = 16;

/** Prefix → namespace URI in scope; prototype-chained from the parent's scope. */
type Scope = Record<string, string>;

export interface XAttr {
  /** Local name. */
  name: string;
  prefix: string;
  uri: string;
  value: string;
}

/**
 * One element. Children keep document order among siblings of the same qualified name; xml2js
 * groups siblings by qualified name, so `<a:x/><b:y/><a:x/>` lists both `a:x` before `b:y`.
 */
export interface XNode {
  /** Local name. */
  name: string;
  /** The prefix as written in the document ('' when none). */
  prefix: string;
  /** Namespace URI ('' when none). */
  uri: string;
  attrs: readonly XAttr[];
  /** The element's own character data (text and CDATA), untrimmed; '' when none. */
  text: string;
  children: XNode[];
  /** Namespace declarations in scope here (for QName-valued attributes such as WSDL's `binding`). */
  scope: Scope;
  doc: XDoc;
}

/** A parsed document: its root and an index of `id`s for RPC-encoded references. */
export class XDoc {
  root!: XNode;
  /** Where the document came from, for error messages. */
  readonly source: string;
  private ids: Map<string, XNode> | undefined;
  /** Documents parsed from an element's text, by element. */
  readonly embedded = new WeakMap<XNode, XNode | null>();
  /** How an element's escaped XML text is parsed (the streaming reader sets one with its limits). */
  parseEmbedded: ((text: string, format: string) => XNode) | undefined;

  constructor(source: string) {
    this.source = source;
  }

  /** The element with `id="…"` (SOAP 1.1 multiRef) or `enc:id="…"` (SOAP 1.2). */
  byId(id: string): XNode | undefined {
    if (this.ids === undefined) {
      this.ids = new Map();
      const stack = [this.root];
      while (stack.length > 0) {
        const n = stack.pop() as XNode;
        for (const a of n.attrs) {
          if (a.name === 'id' && (a.uri === '' || a.uri === SOAP12_ENC_NS) && !this.ids.has(a.value)) this.ids.set(a.value, n);
        }
        for (const c of n.children) stack.push(c);
      }
    }
    return this.ids.get(id);
  }
}

/** The raw shape xml2js produces with the options below. */
interface RawNode {
  _?: string;
  $?: Record<string, string>;
  [child: string]: RawNode[] | string | Record<string, string> | undefined;
}

const PARSER_OPTIONS = {
  explicitArray: true,
  explicitCharkey: true,
  explicitRoot: true,
  charkey: '_',
  attrkey: '$',
  // Namespaces are resolved here, not by sax: a sloppy service's unbound prefix must not fail a page.
  xmlns: false,
  trim: false,
  normalize: false,
  strict: true,
  async: false,
  emptyTag: () => ({}),
} as const;

/**
 * Rejects documents with a DTD. sax expands no external entity, but a document type declaration
 * has no business in a SOAP message (SOAP 1.1 §3, SOAP 1.2 part 1 §5) and refusing it rules out
 * entity expansion attacks whatever the parser does. Mentions inside comments, CDATA sections or
 * processing instructions are harmless: the markup is read left to right, so that a `<!--` inside
 * a processing instruction cannot hide a DOCTYPE after it.
 */
function assertNoDtd(xml: string, source: string, format: string): void {
  if (!/<!(?:DOCTYPE|ENTITY)/i.test(xml)) return;
  const markup = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<!(DOCTYPE|ENTITY)/gi;
  for (let m = markup.exec(xml); m !== null; m = markup.exec(xml)) {
    if (m[1] !== undefined) throw dtdError(source, format, m[1]);
  }
}

function dtdError(source: string, format: string, what: string): ParseError {
  return new ParseError(source, format, `the document contains <!${what.toUpperCase()}>: document type declarations and entities are refused`);
}

/** sax reports "…\nLine: 3\nColumn: 14\nChar: x" with a 0-based line. */
function saxPosition(message: string): { detail: string; position?: { line: number; column: number } } {
  const m = /\nLine: (\d+)\nColumn: (\d+)/.exec(message);
  const detail = message.split('\n')[0] ?? message;
  if (m === null) return { detail };
  return { detail, position: { line: Number(m[1]) + 1, column: Number(m[2]) } };
}

/**
 * xml2js stores each child list with `Object.defineProperty` (its guard against a `<__proto__>`
 * element) and, for an element named like an inherited member (`<constructor>`), wraps that
 * member in the list too. Both cost a third of its time on a SOAP page. This replacement stores
 * own properties by plain assignment, keeps `defineProperty` for `__proto__` alone, and ignores
 * inherited names; it is installed only where xml2js exposes the hook it replaces, so another
 * xml2js version falls back to its own.
 */
function assignOrPush(obj: Record<string, unknown>, key: string, value: unknown): void {
  const list = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (Array.isArray(list)) list.push(value);
  else if (key === '__proto__') Object.defineProperty(obj, key, { value: [value], writable: true, enumerable: true, configurable: true });
  else obj[key] = [value];
}

/**
 * Parses an XML string into an {@link XNode} tree.
 * @param source the URL (or name) the text came from, for errors.
 * @param format the format named in errors, e.g. `SOAP envelope`, `WSDL`.
 * @throws ParseError for a DTD, malformed XML or an empty document.
 */
export function parseXml(xml: string, source: string, format = 'XML'): XDoc {
  assertNoDtd(xml, source, format);
  let result: Record<string, RawNode> | null | undefined;
  let failure: unknown;
  // Synchronous with `async: false`: the callback runs before parseString returns.
  const parser = new Parser(PARSER_OPTIONS);
  const hooks = parser as unknown as { saxParser: { ondoctype: () => void }; assignOrPush?: unknown };
  if (typeof hooks.assignOrPush === 'function') hooks.assignOrPush = assignOrPush;
  // Second line behind assertNoDtd: should sax ever meet a DOCTYPE, the parse fails there.
  hooks.saxParser.ondoctype = () => {
    throw dtdError(source, format, 'DOCTYPE');
  };
  parser.parseString(xml, (err: unknown, out: Record<string, RawNode> | null) => {
    if (err) failure ??= err;
    else result = out;
  });
  if (failure instanceof ParseError) throw failure;
  if (failure !== undefined) {
    const { detail, position } = saxPosition(failure instanceof Error ? failure.message : String(failure));
    throw new ParseError(source, format, detail, position);
  }
  const rootName = result == null ? undefined : Object.keys(result)[0];
  if (result == null || rootName === undefined) throw new ParseError(source, format, 'the document is empty');
  const doc = new XDoc(source);
  doc.root = build(rootName, result[rootName] as RawNode, Object.create(null) as Scope, doc);
  return doc;
}

const NO_ATTRS: readonly XAttr[] = Object.freeze([]);
/** Shared by every element without children (most of them): one array fewer per leaf. Frozen, so a push would throw. */
const NO_CHILDREN = Object.freeze([]) as unknown as XNode[];

/** A qualified name split once per document: the same few names repeat on every record. */
interface QName {
  prefix: string;
  local: string;
}

function splitName(qname: string, cache: Map<string, QName>): QName {
  let q = cache.get(qname);
  if (q === undefined) {
    const i = qname.indexOf(':');
    q = i < 0 ? { prefix: '', local: qname } : { prefix: qname.slice(0, i), local: qname.slice(i + 1) };
    cache.set(qname, q);
  }
  return q;
}

function lookup(scope: Scope, prefix: string): string {
  if (prefix === 'xml') return XML_NS;
  return scope[prefix] ?? '';
}

const isXmlns = (key: string) => key.startsWith('xmlns') && (key.length === 5 || key.charCodeAt(5) === 58 /* : */);

/**
 * Converts iteratively: a deeply nested document must not overflow the stack. One pass over
 * xml2js's tree; the work stack holds (qname, raw, scope, parent) in four parallel arrays.
 */
function build(rootName: string, rootRaw: RawNode, rootScope: Scope, doc: XDoc): XNode {
  const names = new Map<string, QName>();
  const qnames: string[] = [rootName];
  const raws: RawNode[] = [rootRaw];
  const scopes: Scope[] = [rootScope];
  const parents: Array<XNode | null> = [null];
  let root: XNode | undefined;
  while (raws.length > 0) {
    const qname = qnames.pop() as string;
    const raw = raws.pop() as RawNode;
    const parentScope = scopes.pop() as Scope;
    const parent = parents.pop() as XNode | null;
    let scope = parentScope;
    let attrs = NO_ATTRS;
    const rawAttrs = raw.$;
    if (rawAttrs !== undefined) {
      const keys = Object.keys(rawAttrs);
      let declares = false;
      for (const key of keys) {
        if (!isXmlns(key)) continue;
        if (!declares) scope = Object.create(parentScope) as Scope;
        declares = true;
        scope[key.length === 5 ? '' : key.slice(6)] = rawAttrs[key] as string;
      }
      const list: XAttr[] = [];
      for (const key of keys) {
        if (declares && isXmlns(key)) continue;
        const { prefix, local } = splitName(key, names);
        // Unprefixed attributes are in no namespace (Namespaces in XML §6.2).
        list.push({ name: local, prefix, uri: prefix === '' ? '' : lookup(scope, prefix), value: rawAttrs[key] as string });
      }
      if (list.length > 0) attrs = list;
    }
    const { prefix, local } = splitName(qname, names);
    const text = raw._;
    const node: XNode = { name: local, prefix, uri: lookup(scope, prefix), attrs, text: typeof text === 'string' ? text : '', children: NO_CHILDREN, scope, doc };
    if (parent === null) root = node;
    else if (parent.children === NO_CHILDREN) parent.children = [node];
    else parent.children.push(node);
    // Depth first, pushed in reverse: siblings are popped, and so appended, in document order.
    const keys = Object.keys(raw);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k] as string;
      if (key === '_' || key === '$') continue;
      const list = raw[key];
      if (!Array.isArray(list)) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const item: unknown = list[i];
        // xml2js's `key in obj` sees inherited names: <constructor> may also yield Object itself.
        if (typeof item !== 'object' || item === null) continue;
        qnames.push(key);
        raws.push(item as RawNode);
        scopes.push(scope);
        parents.push(node);
      }
    }
  }
  return root as XNode;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const BOMS: Array<[bytes: number[], encoding: string]> = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/**
 * Decodes an XML body: a byte-order mark first, then the Content-Type charset, then the XML
 * declaration's encoding, else UTF-8 (RFC 7303 §3.2 order, BOM first as browsers do).
 * @throws ParseError for an encoding neither Node nor iconv-lite knows.
 */
export function decodeXml(bytes: Buffer, contentType: string | undefined, source: string, format: string): string {
  let encoding: string | undefined;
  for (const [bom, enc] of BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) {
      encoding = enc;
      bytes = bytes.subarray(bom.length);
      break;
    }
  }
  encoding ??= /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
  if (encoding === undefined) {
    const declared = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']/.exec(bytes.subarray(0, 256).toString('latin1'))?.[1];
    // A declaration readable as ASCII cannot be UTF-16 without a BOM: some services say so anyway.
    if (declared !== undefined && !/^utf-?16/i.test(declared)) encoding = declared;
  }
  const enc = (encoding ?? 'utf-8').toLowerCase();
  if (enc === 'utf-8' || enc === 'utf8') return bytes.toString('utf8');
  if (!iconv.encodingExists(enc)) throw new ParseError(source, format, `unknown character encoding "${encoding}"`);
  return iconv.decode(bytes, enc);
}

// ---------------------------------------------------------------------------------------------
// Paths

/** One step of a path: an element (by local name, optionally `prefix:`), `*`, or a final `@attribute`. */
export interface PathStep {
  kind: 'element' | 'any' | 'attribute';
  local: string;
  prefix?: string;
}

export interface CompiledPath {
  source: string;
  steps: PathStep[];
}

const NAME = /^(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)$/;

/**
 * Compiles `a/b/tns:c/@attr`. Steps match by local name; `tns:c` matches by namespace when
 * `tns` is declared in the source's `namespaces`, else by the prefix written in the document.
 * `*` matches any element; `@name` (last step only) reads an attribute.
 * @throws Error with a message naming the bad step.
 */
export function compilePath(source: string): CompiledPath {
  const trimmed = source.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') throw new Error('the path is empty');
  const parts = trimmed.split('/');
  const steps = parts.map((raw, i): PathStep => {
    const part = raw.trim();
    if (part === '*') return { kind: 'any', local: '*' };
    const attr = part.startsWith('@');
    const m = NAME.exec(attr ? part.slice(1) : part);
    if (m === null) throw new Error(`"${part}" is not an element name, "*" or "@attribute"`);
    if (attr && i !== parts.length - 1) throw new Error(`the attribute step "${part}" must come last`);
    return { kind: attr ? 'attribute' : 'element', local: m[2] as string, ...(m[1] !== undefined && { prefix: m[1] }) };
  });
  return { source, steps };
}

/** Prefixes the source config declares (`{ tns: 'urn:…' }`), for prefixed path steps. */
export type Namespaces = Readonly<Record<string, string>>;

function nameMatches(node: { name: string; prefix: string; uri: string }, step: PathStep, ns: Namespaces): boolean {
  if (step.kind === 'any') return true;
  if (node.name !== step.local) return false;
  if (step.prefix === undefined) return true;
  const uri = ns[step.prefix];
  return uri !== undefined ? node.uri === uri : node.prefix === step.prefix;
}

/** `xsi:nil="true"`: the element is there to say the value is absent. */
export function isNil(node: XNode): boolean {
  for (const a of node.attrs) {
    if (a.name === 'nil' && (a.uri === XSI_NS || a.prefix === 'xsi') && (a.value.trim() === 'true' || a.value.trim() === '1')) return true;
  }
  return false;
}

/**
 * Follows RPC-encoded references: `<x href="#id0"/>` (SOAP 1.1) or `<x enc:ref="id0"/>` (SOAP 1.2)
 * stands for the element with that id (a `multiRef`). Returns the node itself when it is no reference.
 */
export function deref(node: XNode): XNode | undefined {
  let n = node;
  for (let depth = 0; depth < MAX_REF_DEPTH; depth++) {
    let id: string | undefined;
    for (const a of n.attrs) {
      if (a.name === 'href' && a.uri === '' && a.value.startsWith('#')) id = a.value.slice(1);
      else if (a.name === 'ref' && a.uri === SOAP12_ENC_NS) id = a.value;
    }
    if (id === undefined) return n;
    const target = n.doc.byId(id);
    if (target === undefined || target === n) return undefined;
    n = target;
  }
  return undefined;
}

/**
 * The child elements of a node. An element without children whose text is itself an XML document
 * (escaped or in CDATA, as many services return a `<return>` string) has that document's root
 * as its only child.
 * @throws ParseError when such text looks like XML but is not well-formed.
 */
export function childrenOf(node: XNode): XNode[] {
  if (node.children.length > 0) return node.children;
  const text = node.text.trim();
  if (!text.startsWith('<')) return node.children;
  let inner = node.doc.embedded.get(node);
  if (inner === undefined) {
    try {
      inner = node.doc.parseEmbedded?.(text, `XML inside <${node.name}>`) ?? parseXml(text, node.doc.source, `XML inside <${node.name}>`).root;
    } catch (err) {
      node.doc.embedded.set(node, null);
      throw err;
    }
    node.doc.embedded.set(node, inner);
  }
  return inner === null ? [] : [inner];
}

/**
 * The elements a path selects from `from` (the path's first step is matched against `from`'s
 * children). References are followed and `xsi:nil` elements are left out; the returned nodes are
 * the dereferenced ones. An attribute step is ignored here (see {@link selectValues}).
 */
export function selectNodes(from: XNode, path: CompiledPath, ns: Namespaces = {}): XNode[] {
  let current: XNode[] = [from];
  for (const step of path.steps) {
    if (step.kind === 'attribute') break;
    const any = step.kind === 'any';
    const { local, prefix } = step;
    const uri = prefix === undefined ? undefined : ns[prefix];
    const next: XNode[] = [];
    for (const node of current) {
      const children = childrenOf(node);
      for (let i = 0; i < children.length; i++) {
        const child = children[i] as XNode;
        // nameMatches, inlined: this runs for every child of every record, for every field.
        if (!any) {
          if (child.name !== local) continue;
          if (prefix !== undefined && (uri !== undefined ? child.uri !== uri : child.prefix !== prefix)) continue;
        }
        // No attributes: neither a reference nor xsi:nil.
        if (child.attrs.length === 0) {
          next.push(child);
          continue;
        }
        const target = deref(child);
        if (target !== undefined && !isNil(child) && !isNil(target)) next.push(target);
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** The first matching attribute's value. */
export function attribute(node: XNode, step: PathStep, ns: Namespaces = {}): string | undefined {
  for (const a of node.attrs) if (nameMatches(a, step, ns)) return a.value;
  return undefined;
}

/**
 * The string values a path reaches: each selected element's own text (trimmed, empty ones
 * dropped), or the attribute of a final `@name` step.
 */
export function selectValues(from: XNode, path: CompiledPath, ns: Namespaces = {}): string[] {
  const last = path.steps[path.steps.length - 1];
  const nodes = selectNodes(from, path, ns);
  const out: string[] = [];
  for (const n of nodes) {
    const v = last?.kind === 'attribute' ? attribute(n, last, ns) : n.text;
    const t = v?.trim();
    if (t !== undefined && t !== '') out.push(t);
  }
  return out;
}

/** All text below a node, whitespace collapsed: for fault details and messages. */
export function deepText(node: XNode, max = 300): string {
  const parts: string[] = [];
  let length = 0;
  const stack = [node];
  while (stack.length > 0 && length < max) {
    const n = stack.pop() as XNode;
    const t = n.text.trim();
    if (t !== '') {
      parts.push(t);
      length += t.length + 1;
    }
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as XNode);
  }
  const s = parts.join(' ').replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
