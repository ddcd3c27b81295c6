import { HasadError, ParseError } from '@hasad/core';
import { deepText, parseXml } from './xml.ts';
import type { XDoc, XNode } from './xml.ts';

/** SOAP envelopes: building requests from a template, reading responses and their Faults. */

export const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';

export type SoapVersion = '1.1' | '1.2';

/** Escapes text for XML content and attribute values (both quote kinds). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** The placeholder names a template uses, each once, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** True when the template is a whole envelope rather than the content of the Body. */
export function isFullEnvelope(template: string): boolean {
  return /<(?:[\w.-]+:)?Envelope[\s>/]/.test(template);
}

/**
 * Fills a request template: every `{{name}}` becomes the XML-escaped value. A template that is
 * only the Body's content is wrapped in an envelope of the given SOAP version.
 * @throws Error for a placeholder without a value (config validation rules that out first).
 */
export function renderEnvelope(template: string, values: Readonly<Record<string, string>>, version: SoapVersion): string {
  const filled = template.replace(PLACEHOLDER, (_all, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for {{${name}}}`);
    return escapeXml(v);
  });
  if (isFullEnvelope(filled)) return filled;
  const ns = version === '1.2' ? SOAP12_ENV : SOAP11_ENV;
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ns}"><soap:Body>${filled}</soap:Body></soap:Envelope>`;
}

/**
 * The headers a SOAP request needs: SOAP 1.1 names the action in a `SOAPAction` header (always
 * sent, `""` when empty, as 1.1 §6.1.1 requires), SOAP 1.2 in the media type's `action` parameter.
 */
export function soapHeaders(version: SoapVersion, soapAction: string | undefined): Record<string, string> {
  if (version === '1.2') {
    return { 'content-type': `application/soap+xml; charset=utf-8${soapAction ? `; action="${soapAction}"` : ''}` };
  }
  return { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapAction ?? ''}"` };
}

/** What a SOAP Fault says, from either version's structure. */
export interface SoapFault {
  /** 1.1 `faultcode`, or 1.2 `Code/Value` with its `Subcode/Value`s joined by ` / `. */
  code: string;
  /** 1.1 `faultstring`, or 1.2 `Reason/Text` (English preferred). */
  text: string;
  /** 1.1 `faultactor` or 1.2 `Role`. */
  actor?: string;
  /** The text of `detail` / `Detail`, whitespace collapsed and cut at 300 characters. */
  detail?: string;
}

/** A SOAP Fault: the service refused or failed the request. Permanent: the run fails with the fault text. */
export class SoapFaultError extends HasadError {
  readonly fault: SoapFault;
  constructor(url: string, fault: SoapFault, opts: { httpStatus: number; pageNo?: number }) {
    const where = [opts.pageNo !== undefined ? `page ${opts.pageNo}` : undefined, `HTTP ${opts.httpStatus}`].filter(Boolean).join(', ');
    super('soap_fault', `SOAP Fault from ${url} (${where}): ${describeFault(fault)}`, {
      context: { url, httpStatus: opts.httpStatus, ...(opts.pageNo !== undefined && { pageNo: opts.pageNo }), ...fault },
      permanent: true,
    });
    this.fault = fault;
  }
}

/** `code: text`, falling back to the detail when the Fault gives no text. */
export function describeFault(f: SoapFault): string {
  const text = f.text !== '' ? f.text : f.detail !== undefined ? `(no faultstring) detail: ${f.detail}` : '(the Fault gives no faultstring and no detail)';
  return f.code !== '' ? `${f.code}: ${text}` : text;
}

/** A parsed SOAP response. */
export interface SoapMessage {
  doc: XDoc;
  envelope: XNode;
  body: XNode;
  /** From the envelope's namespace; undefined for an Envelope in another namespace. */
  version: SoapVersion | undefined;
}

/**
 * Parses a SOAP response.
 * @throws ParseError for malformed XML, a DTD, a root other than Envelope, or no Body.
 */
export function readEnvelope(xml: string, url: string): SoapMessage {
  const doc = parseXml(xml, url, 'SOAP envelope');
  const envelope = doc.root;
  if (envelope.name !== 'Envelope') {
    throw new ParseError(url, 'SOAP envelope', `the root element is <${envelope.prefix ? `${envelope.prefix}:` : ''}${envelope.name}>, not a SOAP Envelope`);
  }
  const body = envelope.children.find((c) => c.name === 'Body');
  if (body === undefined) throw new ParseError(url, 'SOAP envelope', 'the Envelope has no Body');
  const version = envelope.uri === SOAP11_ENV ? '1.1' : envelope.uri === SOAP12_ENV ? '1.2' : undefined;
  return { doc, envelope, body, version };
}

const child = (n: XNode, name: string): XNode | undefined => n.children.find((c) => c.name === name);
const textOf = (n: XNode | undefined): string => (n === undefined ? '' : n.text.replace(/\s+/g, ' ').trim());

/**
 * The Fault in a Body, if any: a child named `Fault` in whichever namespace (services mix 1.1
 * envelopes with 1.2 fault structures), or a `…Fault` element carrying `faultcode`/`faultstring`.
 */
export function findFault(body: XNode): SoapFault | undefined {
  for (const c of body.children) {
    const looksLikeFault = c.name === 'Fault' || (c.name.endsWith('Fault') && c.children.some((g) => g.name === 'faultcode' || g.name === 'faultstring' || g.name === 'Reason'));
    if (looksLikeFault) return faultOf(c);
  }
  return undefined;
}

function faultOf(f: XNode): SoapFault {
  let code = textOf(child(f, 'faultcode'));
  let text = textOf(child(f, 'faultstring'));
  let actor = textOf(child(f, 'faultactor'));
  const codeNode = child(f, 'Code');
  if (code === '' && codeNode !== undefined) {
    const codes: string[] = [];
    for (let n: XNode | undefined = codeNode; n !== undefined; n = child(n, 'Subcode')) {
      const v = textOf(child(n, 'Value'));
      if (v !== '') codes.push(v);
    }
    code = codes.join(' / ');
  }
  const reason = child(f, 'Reason');
  if (text === '' && reason !== undefined) {
    const texts = reason.children.filter((t) => t.name === 'Text');
    const lang = (t: XNode) => t.attrs.find((a) => a.name === 'lang')?.value.toLowerCase() ?? '';
    const english = texts.find((t) => lang(t) === 'en' || lang(t).startsWith('en-'));
    text = textOf(english ?? texts[0]);
  }
  if (actor === '') actor = textOf(child(f, 'Role'));
  const detailNode = child(f, 'detail') ?? child(f, 'Detail');
  const detail = detailNode === undefined ? '' : deepText(detailNode);
  return { code, text, ...(actor !== '' && { actor }), ...(detail !== '' && { detail }) };
}
