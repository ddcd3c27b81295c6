import iconv from 'iconv-lite';
import { SaxesParser } from 'saxes';
import type { SaxesAttributePlain, SaxesTagPlain } from 'saxes';
import { LimitExceededError, ParseError } from '@hasad/core';
import { SOAP11_ENV, SOAP12_ENV } from './envelope.ts';
import type { SoapMessage } from './envelope.ts';
import { XDoc, XML_NS } from './xml.ts';
import type { CompiledPath, Namespaces, PathStep, XAttr, XNode } from './xml.ts';

/**
 * A SOAP answer read as a stream (issue 11). xml2js builds the whole document as a tree, about 55
 * bytes of heap per byte of input, so a 40 MB answer of tiny elements ran the process out of
 * memory. Here saxes is fed chunk by chunk and only what the harvest needs is built: each record
 * element (handed on as soon as it closes, then dropped), the elements on the way to the records
 * and the paging values, the Body's children (names only, for messages), a Fault, and elements with
 * an `id` (RPC-encoded multiRefs). Every other element is counted and skipped. Hard limits stop a
 * hostile answer with `limit_exceeded` before it costs the process.
 *
 * saxes (sax-js's successor, about 4 times faster on a CSW page) runs without its xmlns mode:
 * namespaces are resolved here, since that mode fails on a sloppy service's unbound prefix. saxes is
 * stricter than sax-js was; the slips sax-js let through (see {@link TOLERATED}) are let through
 * still, so a page a service has always served does not start failing.
 */

/**
 * The limits every XML answer read here is held to, whatever the kind reading it (SOAP, CSW): each
 * kind extends them with its own and names them by its own settings (`HASAD_<KIND>_MAX_DEPTH`, …).
 */
export interface XmlLimits {
  /** Elements open at once (nesting depth). */
  maxDepth: number;
  /** Characters of one element's text or one attribute value. */
  maxTextLength: number;
}

/** The defaults of {@link XmlLimits}, the same for every kind. */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxDepth: 256,
  maxTextLength: 8 * 1024 * 1024,
};

/** Hard limits on one SOAP answer (settings `HASAD_SOAP_MAX_*`, see docs/limits.md). */
export interface SoapLimits extends XmlLimits {
  /** Record elements on one page. */
  maxRecords: number;
  /** Bytes of one answer, as received (after content decoding). */
  maxBodyBytes: number;
  /** Elements held in memory at once: the current record, the retained skeleton, multiRefs, a Fault. */
  maxNodes: number;
}

export const DEFAULT_SOAP_LIMITS: SoapLimits = {
  ...DEFAULT_XML_LIMITS,
  maxRecords: 100_000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxNodes: 250_000,
};

/** The setting each limit is named by in errors. */
export const SOAP_LIMIT_SETTINGS: Record<keyof SoapLimits, string> = {
  maxDepth: 'HASAD_SOAP_MAX_DEPTH',
  maxTextLength: 'HASAD_SOAP_MAX_TEXT_LENGTH',
  maxRecords: 'HASAD_SOAP_MAX_RECORDS',
  maxBodyBytes: 'HASAD_SOAP_MAX_BODY_BYTES',
  maxNodes: 'HASAD_SOAP_MAX_NODES',
};

/** saxes without its namespace handling (resolved here), with positions for errors. */
type SaxesOptions = { xmlns: false; position: true };

const SOAP12_ENC_NS = 'http://www.w3.org/2003/05/soap-encoding';
const FORMAT = 'SOAP envelope';

/** What becomes of an open element. */
const enum Mode {
  /** Not needed: counted for depth, never built. */
  Skip,
  /** On the way to something needed: built, its children judged one by one. */
  Skeleton,
  /** A record: built whole, handed on when it closes. */
  Record,
  /** Inside a record or another element kept whole. */
  Whole,
}

interface Frame {
  mode: Mode;
  node: XNode | undefined;
  /** For each tracked path: whether this element matches its first `depth` steps. */
  on: readonly boolean[];
  /** A child element was met: a skeleton element's text is then only whitespace between children. */
  sawChild: boolean;
  /** Nodes held before this record opened (Record frames), restored when it is handed on. */
  heldBefore: number;
  /** A reference (`href="#…"`, `enc:ref`) inside this record: it waits for the end of the document. */
  hasRef: boolean;
}

export interface EnvelopeStreamOptions {
  source: string;
  /** Path of the record elements from below the Envelope. */
  recordPath: CompiledPath;
  /** Other paths whose elements are kept whole (paging values). */
  keepPaths: CompiledPath[];
  namespaces: Namespaces;
  limits: SoapLimits;
  /** Called with each record element as it closes (not for records reached through references). */
  onRecord: (node: XNode) => void;
  /** Keep every element (an embedded document), any root. */
  whole?: boolean;
  /** The format errors name. Default `SOAP envelope`. */
  format?: string;
  /** The answer's Content-Type, named when it turns out to be an HTML page. */
  contentType?: string;
  /** The settings `limit_exceeded` errors name, when not the SOAP ones (another kind reading XML with its own limits). */
  settings?: Record<keyof SoapLimits, string>;
  /** With `whole`: elements handed on as they close, see {@link XmlDocumentOptions.detach}. */
  detach?: DetachOptions;
  /** With `whole`: an element seen as it opens, see {@link XmlDocumentOptions.opened}. */
  opened?: OpenedOptions;
  /** With `whole`: where some elements' text lies, see {@link XmlDocumentOptions.spans}. */
  spans?: SpanOptions;
}

/**
 * Where in the text written some elements lie (a CSW page's records, whose own XML is kept): the
 * offsets of their start tag's `<` and past their end tag's `>`, from saxes's position, so that
 * each element's text is cut from the text as read instead of scanning the whole text again.
 */
export interface SpanOptions {
  /** The depth of the elements (the root is at 0). */
  depth: number;
  /** The local name their parent must have. */
  parent: string;
  /** Filled as each closes: [start, end) in the text written, by the node its parent keeps (after a `detach` replace). */
  found: Map<XNode, [number, number]>;
  /** The text written, as written (XmlDocumentOptions.text). */
  pieces: readonly string[];
}

/** An element handed on as soon as it opens, with its attributes and without its children yet. */
export interface OpenedOptions {
  /** The depth of the element (the root is at 0). */
  depth: number;
  /** Its local name. */
  name: string;
  /** Receives the element; a promise returned holds the reading of the rest of the document until it settles (the chunk in hand is parsed first). */
  call: (node: XNode) => Promise<void> | undefined;
}

/**
 * Elements of a document kept whole that are handed on as they close and replaced in their
 * parent by what `replace` returns (a CSW page's records, mapped one by one: a record's tree is
 * garbage once mapped, instead of the page's whole tree living until its last byte is read).
 */
export interface DetachOptions {
  /** The depth of the elements (the root is at 0). */
  depth: number;
  /** The local name their parent must have. */
  parent: string;
  /** Receives the element, whole; returns what its parent keeps in its place. */
  replace: (node: XNode) => XNode;
}

function stepMatches(step: PathStep | undefined, name: string, prefix: string, uri: string, ns: Namespaces): boolean {
  if (step === undefined || step.kind === 'attribute') return false;
  if (step.kind === 'any') return true;
  if (name !== step.local) return false;
  if (step.prefix === undefined) return true;
  const u = ns[step.prefix];
  return u !== undefined ? uri === u : prefix === step.prefix;
}

const isXmlns = (key: string) => key.startsWith('xmlns') && (key.length === 5 || key.charCodeAt(5) === 58 /* : */);

/**
 * Feeds a SOAP answer's text to saxes and builds what the harvest needs (see the module comment).
 * `write` each decoded chunk, then `end()` for the retained skeleton as a {@link SoapMessage}; records
 * that close while streaming go to `onRecord`, and `selectNodes(msg.envelope, recordPath)` on the
 * skeleton finds the rest (records holding or reached through references, or inside an element's
 * escaped XML text).
 */
export class EnvelopeStream {
  private readonly parser: SaxesParser<SaxesOptions>;
  private readonly doc: XDoc;
  private readonly stack: Frame[] = [];
  /** The open elements, when the document is kept whole (no frames then). */
  private readonly nodes: XNode[] = [];
  private readonly paths: PathStep[][];
  private readonly pathLengths: number[];
  private root: XNode | undefined;
  private held = 0;
  /** Record elements met so far (streamed or kept). */
  records = 0;
  private failure: unknown;
  private readonly names = new Map<string, { prefix: string; local: string }>();
  /**
   * The attributes of the tag about to open, as saxes reports them one by one (emptied by `open`).
   * Walking saxes's own `attributes` (a dictionary-mode object, for…in on every element, even those
   * without attributes) cost more than the rest of `open`.
   */
  private readonly pending: SaxesAttributePlain[] = [];
  /** The first characters written (see `write`). */
  private head = '';
  /** saxes reported a repeated attribute on the tag about to open. */
  private repeated = false;
  /** With `spans`: characters written so far, and where the open element whose span is noted starts. */
  private written = 0;
  private spanStart = -1;

  constructor(private readonly o: EnvelopeStreamOptions) {
    this.doc = new XDoc(o.source);
    // Embedded documents (escaped XML in a text element) are parsed under the same limits.
    this.doc.parseEmbedded = (text, format) => parseWhole(text, o.source, format, o.limits);
    this.paths = [o.recordPath, ...o.keepPaths].map((p) => p.steps);
    this.pathLengths = this.paths.map((p) => p.length);
    const p = new SaxesParser<SaxesOptions>({ xmlns: false, position: true });
    this.parser = p;
    const format = o.format ?? FORMAT;
    // Thrown from the handlers: saxes stops where it is, and `write` keeps the first failure.
    p.on('error', (err) => {
      const m = /^(\d+):(\d+): ([\s\S]*)$/.exec(err.message);
      const detail = m?.[3] ?? err.message;
      if (TOLERATED.test(detail)) {
        if (detail.startsWith('duplicate attribute: ')) this.repeated = true;
        return;
      }
      // sax-js read `<!ENTITY …>` and `<!doctype …>` as declarations, refused here as DTDs; saxes sees bad syntax.
      const bang = /^(DOCTYPE|ENTITY)/i.exec((p as unknown as { openWakaBang: string }).openWakaBang)?.[1];
      if (detail === 'incorrect syntax.' && bang !== undefined) {
        if (/^\s*(?:<\?xml[^>]*\?>\s*)?<!doctype\s+html\b/i.test(this.head)) throw htmlError(o.source, format, o.contentType);
        throw dtdError(o.source, format, bang);
      }
      throw new ParseError(o.source, format, detail.replace(/\.$/, ''), m === null ? undefined : { line: Number(m[1]), column: Number(m[2]) });
    });
    p.on('doctype', (doctype) => {
      if (/^\s*html\b/i.test(doctype)) throw htmlError(o.source, format, o.contentType);
      throw dtdError(o.source, format, 'DOCTYPE');
    });
    p.on('attribute', (a) => this.pending.push(a));
    if (o.whole === true) {
      // No further handler (an opentagstart handler would tell where a tag starts): saxes keeps
      // its handlers as properties added one by one, and an eighth turns the parser into a
      // dictionary-mode object, every `this.i` of its per-character loop a hash lookup (a CSW
      // page's parse took 4 times as long). Where a span starts is found in the text instead
      // (`tagStartBefore`).
      p.on('opentag', (tag) => this.openWhole(tag));
      p.on('closetag', () => this.closeWhole());
      p.on('text', (t) => this.textWhole(t));
      p.on('cdata', (t) => this.textWhole(t));
    } else {
      p.on('opentag', (tag) => this.open(tag));
      p.on('closetag', () => this.close());
      p.on('text', (t) => this.text(t));
      p.on('cdata', (t) => this.text(t));
    }
  }

  private limit(which: keyof SoapLimits, detail: string): never {
    throw new LimitExceededError(this.o.source, this.o.format ?? FORMAT, (this.o.settings ?? SOAP_LIMIT_SETTINGS)[which], this.o.limits[which], detail);
  }

  private split(qname: string): { prefix: string; local: string } {
    let q = this.names.get(qname);
    if (q === undefined) {
      const i = qname.indexOf(':');
      q = i < 0 ? { prefix: '', local: qname } : { prefix: qname.slice(0, i), local: qname.slice(i + 1) };
      // Bounded: a document of ever new names must not grow the cache without end.
      if (this.names.size < 10_000) this.names.set(qname, q);
    }
    return q;
  }

  private open(tag: SaxesTagPlain): void {
    const stack = this.stack;
    const depth = stack.length; // 0 for the Envelope
    const parent = depth === 0 ? undefined : (stack[depth - 1] as Frame);
    const limits = this.o.limits;
    if (depth + 1 > limits.maxDepth) this.limit('maxDepth', `elements nested ${depth + 1} deep`);
    if (parent !== undefined) parent.sawChild = true;
    const { prefix, local } = this.split(tag.name);
    const parentNode = parent?.node;
    const parentScope = parentNode?.scope ?? NO_SCOPE;
    const scope = this.scanAttributes(tag.name, parentScope);
    const hasId = this.hasId;
    const isRef = this.isRef;
    const uri = prefix === 'xml' ? XML_NS : (scope[prefix] ?? '');

    // What this element is (a document kept whole goes to `openWhole` instead). Inside a record or
    // an element kept whole the answer is immediate; path matching is for the elements above the records.
    let mode: Mode;
    let on = NO_MATCHES;
    if (parent === undefined) {
      mode = Mode.Skeleton;
      on = this.paths.map(() => true);
    } else if (parent.mode === Mode.Record || parent.mode === Mode.Whole) {
      mode = Mode.Whole;
    } else if (parent.mode === Mode.Skip) {
      mode = Mode.Skip;
    } else {
      const matches: boolean[] = [];
      on = matches;
      for (let i = 0; i < this.paths.length; i++) matches.push((parent.on[i] as boolean) && stepMatches(this.paths[i]?.[depth - 1], local, prefix, uri, this.o.namespaces));
      const steps = this.pathLengths;
      const isBodyChild = depth === 2 && parent.node?.name === 'Body';
      if (on[0] === true && steps[0] === depth) mode = Mode.Record;
      else if (on.some((m, i) => m && steps[i] === depth)) mode = Mode.Whole;
      else if (isBodyChild && local.endsWith('Fault')) mode = Mode.Whole;
      else if (hasId) mode = Mode.Whole;
      else if (on.some((m, i) => m && (steps[i] as number) > depth) || depth === 1 || isBodyChild) mode = Mode.Skeleton;
      else mode = Mode.Skip;
    }

    const frame: Frame = { mode, node: undefined, on, sawChild: false, heldBefore: this.held, hasRef: false };
    if (mode === Mode.Record) {
      this.records++;
      if (this.records > limits.maxRecords) this.limit('maxRecords', `more than ${limits.maxRecords} record elements at ${this.o.recordPath.source}`);
    }
    if (mode !== Mode.Skip) {
      if (++this.held > limits.maxNodes) {
        this.limit('maxNodes', `more than ${limits.maxNodes} elements to hold at once (a record, the elements above the records, multiRefs)`);
      }
      const attrs = this.buildAttributes(scope);
      const node: XNode = { name: local, prefix, uri, attrs, text: '', children: NO_CHILDREN, scope, doc: this.doc };
      frame.node = node;
      if (parentNode === undefined) this.root = node;
      // A record is attached when it closes, and only if it must wait for the end of the document.
      else if (mode !== Mode.Record) adopt(parentNode, node);
    }
    this.pending.length = 0;
    stack.push(frame);
    // Marked once the frame is on the stack: a record element that is itself a reference
    // (`<item href="#id0"/>`, savon's multi_ref.xml) waits for its multiRef as well.
    if (isRef && mode !== Mode.Skip) this.markRef();
  }

  /** What {@link scanAttributes} found besides the scope: an `id`, a reference, a declaration. */
  private hasId = false;
  private isRef = false;
  private declares = false;

  /**
   * One pass over the pending attributes (most elements have none): limits, namespace
   * declarations, ids, references. Returns the element's scope (its parent's unless it declares).
   */
  private scanAttributes(tagName: string, parentScope: Record<string, string>): Record<string, string> {
    const list = this.pending;
    if (this.repeated) dedupe(list);
    this.repeated = false;
    const max = this.o.limits.maxTextLength;
    let scope = parentScope;
    let declares = false;
    let hasId = false;
    let isRef = false;
    for (let i = 0; i < list.length; i++) {
      const { name: key, value } = list[i] as SaxesAttributePlain;
      if (value.length > max) this.limit('maxTextLength', `the attribute ${key} of <${tagName}> holds ${value.length} characters`);
      if (key === 'id' || key.endsWith(':id')) hasId = true;
      if ((key === 'href' && value.startsWith('#')) || key.endsWith(':ref')) isRef = true;
      if (!isXmlns(key)) continue;
      if (!declares) scope = Object.create(parentScope) as Record<string, string>;
      declares = true;
      scope[key.length === 5 ? '' : key.slice(6)] = value;
    }
    this.hasId = hasId;
    this.isRef = isRef;
    this.declares = declares;
    return scope;
  }

  /** The pending attributes as the element keeps them (namespace declarations left out), after {@link scanAttributes}. */
  private buildAttributes(scope: Record<string, string>): XAttr[] {
    const list = this.pending;
    const declares = this.declares;
    if (list.length <= (declares ? 1 : 0)) return NO_ATTRS as XAttr[];
    const attrs: XAttr[] = [];
    for (let i = 0; i < list.length; i++) {
      const { name: key, value } = list[i] as SaxesAttributePlain;
      if (declares && isXmlns(key)) continue;
      const a = this.split(key);
      attrs.push({ name: a.local, prefix: a.prefix, uri: a.prefix === '' ? '' : a.prefix === 'xml' ? XML_NS : (scope[a.prefix] ?? ''), value });
    }
    return attrs.length === 0 ? (NO_ATTRS as XAttr[]) : attrs;
  }

  /**
   * `open` for a document kept whole (`whole`: a CSW answer, an embedded document): every element
   * is built, so there is no mode to decide, no path to match and no record to hand on, and the
   * stack holds the elements themselves instead of a frame each (a CSW page opens some 20,000).
   */
  private openWhole(tag: SaxesTagPlain): void {
    const nodes = this.nodes;
    const depth = nodes.length;
    const limits = this.o.limits;
    if (depth + 1 > limits.maxDepth) this.limit('maxDepth', `elements nested ${depth + 1} deep`);
    const { prefix, local } = this.split(tag.name);
    if (depth === 0 && local.toLowerCase() === 'html') throw htmlError(this.o.source, this.o.format ?? FORMAT, this.o.contentType);
    const parentNode = depth === 0 ? undefined : (nodes[depth - 1] as XNode);
    const scope = this.scanAttributes(tag.name, parentNode?.scope ?? NO_SCOPE);
    const uri = prefix === 'xml' ? XML_NS : (scope[prefix] ?? '');
    if (++this.held > limits.maxNodes) this.limit('maxNodes', `more than ${limits.maxNodes} elements in the document`);
    const node: XNode = { name: local, prefix, uri, attrs: this.buildAttributes(scope), text: '', children: NO_CHILDREN, scope, doc: this.doc };
    if (parentNode === undefined) this.root = node;
    else adopt(parentNode, node);
    // Most elements have no attribute: setting an array's length costs even when it is 0 already.
    if (this.pending.length !== 0) this.pending.length = 0;
    nodes.push(node);
    const spans = this.o.spans;
    if (spans !== undefined && depth === spans.depth && parentNode?.name === spans.parent) this.spanStart = this.tagStartBefore(spans.pieces, this.parser.position);
    const opened = this.o.opened;
    if (opened !== undefined && depth === opened.depth && local === opened.name) opened.call(node);
  }

  private closeWhole(): void {
    const nodes = this.nodes;
    const node = nodes.pop() as XNode;
    const { detach, spans } = this.o;
    let kept = node;
    if (detach !== undefined && nodes.length === detach.depth) {
      const parent = nodes[nodes.length - 1] as XNode;
      // The element was adopted last (it is closing): it is the parent's last child.
      if (parent.name === detach.parent) parent.children[parent.children.length - 1] = kept = detach.replace(node);
    }
    if (spans !== undefined && nodes.length === spans.depth && this.spanStart >= 0) {
      spans.found.set(kept, [this.spanStart, this.parser.position]);
      this.spanStart = -1;
    }
  }

  /**
   * Where the start tag that ends just before `end` begins: the last `<` before it, since a start
   * tag holds no other (`<` is not allowed in an attribute value), looked for in the pieces written.
   */
  private tagStartBefore(pieces: readonly string[], end: number): number {
    let base = this.written;
    for (let k = pieces.length - 1; k >= 0; k--) {
      const piece = pieces[k]!;
      base -= piece.length;
      // A piece that starts at or past `end` (saxes may hold back the end of the last one).
      if (base >= end) continue;
      const i = piece.lastIndexOf('<', end - 1 - base);
      if (i >= 0) return base + i;
    }
    return -1;
  }

  private textWhole(t: string): void {
    const node = this.nodes[this.nodes.length - 1];
    if (node === undefined) return;
    if (node.text.length + t.length > this.o.limits.maxTextLength) this.limit('maxTextLength', `the text of <${node.prefix ? `${node.prefix}:` : ''}${node.name}> runs past ${this.o.limits.maxTextLength} characters`);
    node.text += t;
  }

  /** The innermost open record, told that it holds a reference. */
  private markRef(): void {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i] as Frame;
      if (f.mode === Mode.Record) {
        f.hasRef = true;
        return;
      }
      if (f.mode !== Mode.Whole) return;
    }
  }

  private close(): void {
    const frame = this.stack.pop() as Frame;
    if (frame.mode !== Mode.Record) return;
    const node = frame.node as XNode;
    const parentNode = this.stack[this.stack.length - 1]?.node;
    if (frame.hasRef && parentNode !== undefined) {
      // References are resolved against multiRefs that may come later: kept for the end.
      adopt(parentNode, node);
      return;
    }
    this.held = frame.heldBefore;
    this.o.onRecord(node);
  }

  private text(t: string): void {
    const frame = this.stack[this.stack.length - 1];
    const node = frame?.node;
    if (frame === undefined || node === undefined) return;
    // Between a skeleton element's children there is only layout; drop it, it would grow with the page.
    if (frame.mode === Mode.Skeleton && frame.sawChild) return;
    if (node.text.length + t.length > this.o.limits.maxTextLength) this.limit('maxTextLength', `the text of <${node.prefix ? `${node.prefix}:` : ''}${node.name}> runs past ${this.o.limits.maxTextLength} characters`);
    node.text += t;
  }

  /** Feeds decoded text. @throws ParseError, LimitExceededError. */
  write(chunk: string): void {
    this.rethrow();
    // The document's first characters, to tell an HTML page saxes stopped at (`<!doctype html>`).
    if (this.head.length < 64) this.head += chunk.slice(0, 64);
    this.written += chunk.length;
    try {
      this.parser.write(chunk);
      // saxes holds a text, attribute value, name or comment until it ends: one that runs on past
      // the text limit is stopped here rather than at its end (sax-js flushed past 64 KiB).
      const held = this.parser as unknown as { text: string; name: string };
      if (held.text.length > this.o.limits.maxTextLength || held.name.length > this.o.limits.maxTextLength) {
        const node = this.stack[this.stack.length - 1]?.node;
        const where = node === undefined ? 'the document' : `<${node.prefix ? `${node.prefix}:` : ''}${node.name}>`;
        this.limit('maxTextLength', `a text, attribute value, name or comment in ${where} runs past ${this.o.limits.maxTextLength} characters`);
      }
    } catch (err) {
      this.failure ??= err;
    }
    this.rethrow();
  }

  private rethrow(): void {
    const f = this.failure;
    if (f === undefined) return;
    if (f instanceof LimitExceededError || f instanceof ParseError) throw f;
    throw new ParseError(this.o.source, this.o.format ?? FORMAT, f instanceof Error ? f.message : String(f));
  }

  /**
   * Ends the document and returns its retained skeleton.
   * @throws ParseError for malformed XML, a root other than Envelope, no Body.
   */
  /**
   * Ends the document and returns its root element.
   * @throws ParseError for malformed or empty XML.
   */
  finish(): XNode {
    this.rethrow();
    try {
      this.parser.close();
    } catch (err) {
      this.failure ??= err;
    }
    this.rethrow();
    if (this.root === undefined) throw new ParseError(this.o.source, this.o.format ?? FORMAT, 'the document is empty');
    this.doc.root = this.root;
    return this.root;
  }

  end(): SoapMessage {
    const envelope = this.finish();
    if (envelope.name !== 'Envelope') {
      throw new ParseError(this.o.source, FORMAT, `the root element is <${envelope.prefix ? `${envelope.prefix}:` : ''}${envelope.name}>, not a SOAP Envelope`);
    }
    const body = envelope.children.find((c) => c.name === 'Body');
    if (body === undefined) throw new ParseError(this.o.source, FORMAT, 'the Envelope has no Body');
    const version = envelope.uri === SOAP11_ENV ? '1.1' : envelope.uri === SOAP12_ENV ? '1.2' : undefined;
    return { doc: this.doc, envelope, body, version };
  }
}

const NO_ATTRS: readonly XAttr[] = Object.freeze([]);
/** Shared by every element without children (most of them): one array fewer per leaf. Frozen, so a push would throw. */
const NO_CHILDREN = Object.freeze([]) as unknown as XNode[];
/** The scope above the root: no prefix declared. Never written to (a declaring element makes its own). */
const NO_SCOPE = Object.freeze(Object.create(null) as Record<string, string>);
/** The path matches of an element that is not matched against the paths (skipped, or inside a record). */
const NO_MATCHES: readonly boolean[] = Object.freeze([]);

/**
 * A tag's attributes with each repeated name once, where it first appeared, with its last value:
 * what saxes's `attributes` holds (saxes keeps the last value of a repeated attribute).
 */
function dedupe(list: SaxesAttributePlain[]): void {
  const last = new Map<string, string>();
  for (const a of list) last.set(a.name, a.value);
  list.length = 0;
  for (const [name, value] of last) list.push({ name, value });
}

function adopt(parent: XNode, child: XNode): void {
  if (parent.children === NO_CHILDREN) parent.children = [child];
  else parent.children.push(child);
}

/**
 * An HTML page where XML was expected (a portal's maintenance, login or error page, served with
 * status 200): said so, rather than that its DOCTYPE is refused or its markup is not XML.
 */
function htmlError(source: string, format: string, contentType: string | undefined): ParseError {
  return new ParseError(source, format, `the service answered an HTML page${contentType === undefined ? '' : ` (${contentType})`}, not XML: a maintenance, login or error page?`);
}

function dtdError(source: string, format: string, what: string): ParseError {
  return new ParseError(source, format, `the document contains <!${what.toUpperCase()}>: document type declarations and entities are refused`);
}

/**
 * What saxes reports and sax-js let through, so still let through: an XML declaration not at the
 * very start (a service's leading newline) or not well formed, a character XML forbids (a control
 * character in a description; kept in the text as sax-js kept it), `]]>` in text, a repeated
 * attribute (saxes keeps the last value, sax-js kept the first), a second root element.
 */
const TOLERATED =
  /^(?:an XML declaration must be at the start|the XML declaration must appear at the start|XML declaration |did not expect any more name\/value pairs|expected (?:the name|one of) |value required\.|value must be quoted\.|version number must match|encoding value must match|standalone value must match|whitespace required\.|The character \? is disallowed anywhere in XML declarations|processing instructions are not allowed before root|disallowed character\.$|the string "\]\]>" is disallowed in char data|duplicate attribute: |documents may contain only one root)/;

/**
 * Parses a whole (embedded) document into a tree, every element kept, under `limits` (depth,
 * text length, elements held): for the XML a service escapes inside a `<return>` string.
 * @throws ParseError, LimitExceededError.
 */
export function parseWhole(text: string, source: string, format: string, limits: SoapLimits): XNode {
  const none: CompiledPath = { source: '', steps: [] };
  const s = new EnvelopeStream({ source, recordPath: none, keepPaths: [], namespaces: {}, limits, onRecord: () => undefined, whole: true, format });
  s.write(text);
  return s.finish();
}

/**
 * Bytes parsed between two turns given to the event loop while a document is read: 256 KiB of tiny
 * elements keep the parser busy for about 0.3 s on a loaded machine.
 */
const TURN_EVERY_BYTES = 256 * 1024;

/** How {@link readXmlDocument} reads one answer. */
export interface XmlDocumentOptions {
  /** The URL the answer came from, for errors. */
  source: string;
  contentType: string | undefined;
  /** The format errors name, e.g. `CSW GetRecords response`. */
  format: string;
  /** Elements nested at most, characters of one text or attribute value, elements held. */
  limits: Pick<SoapLimits, 'maxDepth' | 'maxTextLength' | 'maxNodes'>;
  /** The setting each limit is named by in `limit_exceeded` errors. */
  settings: Record<'maxDepth' | 'maxTextLength' | 'maxNodes', string>;
  /** Bytes of the answer read at most (after content decoding). */
  maxBytes: number;
  /** The error of an answer longer than `maxBytes`. */
  tooLarge: () => Error;
  /** Receives the decoded text as it is read (the caller may need the whole text, or its start for a message). */
  text?: string[];
  /** Notes where some elements lie in that text (see {@link SpanOptions}). */
  spans?: SpanOptions;
  /**
   * Elements handed on as they close (a GetRecords page's records), each replaced in its parent by
   * what `replace` returns. Every element still counts towards `maxNodes`.
   */
  detach?: DetachOptions;
  /** An element handed on as it opens (a GetRecords page's SearchResults, which announces the next page). */
  opened?: OpenedOptions;
}

/**
 * Reads a whole XML document from a response body as it arrives: decoded chunk by chunk (BOM,
 * Content-Type charset, XML declaration), fed to saxes under hard limits, every element built (the
 * document is kept whole, unlike a SOAP envelope's records). Replaces "read every byte, then
 * build an xml2js tree" (about 55 bytes of heap per byte, unbounded depth) for kinds that need the
 * whole tree: memory is bounded by `maxNodes` elements and `maxBytes` of text, and every 256 KiB
 * parsed gives the event loop a turn, so the API beside a fetcher keeps answering. Document type
 * declarations and entities are refused.
 * @throws LimitExceededError past a limit, `tooLarge()` past `maxBytes`, ParseError for
 *   malformed or empty XML.
 */
export async function readXmlDocument(body: AsyncIterable<unknown>, o: XmlDocumentOptions): Promise<XNode> {
  const none: CompiledPath = { source: '', steps: [] };
  const stream = new EnvelopeStream({
    source: o.source,
    recordPath: none,
    keepPaths: [],
    namespaces: {},
    limits: { ...o.limits, maxRecords: Number.POSITIVE_INFINITY, maxBodyBytes: o.maxBytes },
    settings: { ...o.settings, maxRecords: '', maxBodyBytes: '' },
    onRecord: () => undefined,
    whole: true,
    format: o.format,
    ...(o.contentType !== undefined && { contentType: o.contentType }),
    ...(o.detach !== undefined && { detach: o.detach }),
    ...(o.spans !== undefined && { spans: o.spans }),
    ...(o.opened !== undefined && { opened: { ...o.opened, call: (node: XNode) => (held = o.opened?.call(node)) } }),
  });
  /** What `opened` asked the reading to wait for. */
  let held: Promise<void> | undefined;
  let decoder: ReturnType<typeof streamDecoder> | undefined;
  let head: Buffer[] = [];
  let headBytes = 0;
  let total = 0;
  let lastTurn = 0;
  const write = (t: string) => {
    o.text?.push(t);
    stream.write(t);
  };
  // The encoding is read from the first bytes (BOM, XML declaration): held until there are enough.
  const start = () => {
    const first = Buffer.concat(head);
    head = [];
    const d = streamDecoder(first, o.contentType, o.source);
    write(d.decode(first.subarray(d.skip)));
    return d;
  };
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > o.maxBytes) throw o.tooLarge();
    if (decoder === undefined) {
      head.push(buf);
      headBytes += buf.length;
      if (headBytes >= 512 || encodingKnown(head, o.contentType)) decoder = start();
    } else write(decoder.decode(buf));
    if (held !== undefined) {
      await held;
      held = undefined;
    }
    if (total - lastTurn >= TURN_EVERY_BYTES) {
      lastTurn = total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  decoder ??= start();
  write(decoder.end());
  return stream.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding as the bytes arrive

/**
 * Whether the first bytes already tell the encoding (a BOM; a Content-Type charset; an XML
 * declaration read to its end, or none at all), so that decoding need not wait for 512 of them: a
 * service that sends a short head and its records later (a CSW page's SearchResults, which
 * announces the next page) is parsed up to that head as soon as it comes.
 */
function encodingKnown(head: Buffer[], contentType: string | undefined): boolean {
  const first = head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head);
  if (first.length < 4) return false;
  if (BOMS.some(([bom]) => bom.every((b, i) => first[i] === b))) return true;
  if (/;\s*charset\s*=/i.test(contentType ?? '')) return true;
  const text = first.subarray(0, 256).toString('latin1').trimStart();
  if (text.startsWith('<?xml')) return text.includes('?>') || first.length >= 256;
  // Not a declaration, nor the start of one: UTF-8 (or what Content-Type said) from the first byte.
  return !'<?xml'.startsWith(text);
}

const BOMS: Array<[bytes: number[], encoding: string]> = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/** A streaming decoder: the same order as `decodeXml` (BOM, Content-Type charset, XML declaration, UTF-8). */
export function streamDecoder(head: Buffer, contentType: string | undefined, source: string): { skip: number; decode: (b: Buffer) => string; end: () => string } {
  let encoding: string | undefined;
  let skip = 0;
  for (const [bom, enc] of BOMS) {
    if (bom.every((b, i) => head[i] === b)) {
      encoding = enc;
      skip = bom.length;
      break;
    }
  }
  encoding ??= /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
  if (encoding === undefined) {
    const declared = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([\w.:-]+)["']/.exec(head.subarray(0, 256).toString('latin1'))?.[1];
    if (declared !== undefined && !/^utf-?16/i.test(declared)) encoding = declared;
  }
  const enc = (encoding ?? 'utf-8').toLowerCase();
  if (enc === 'utf-8' || enc === 'utf8') {
    const d = new TextDecoder('utf-8');
    return { skip, decode: (b) => d.decode(b, { stream: true }), end: () => d.decode() };
  }
  if (!iconv.encodingExists(enc)) throw new ParseError(source, FORMAT, `unknown character encoding "${encoding}"`);
  const d = iconv.getDecoder(enc);
  return { skip, decode: (b) => d.write(b), end: () => d.end() ?? '' };
}
