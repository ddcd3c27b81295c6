import { ParseError } from '@hasad/core';
import { fetchPage } from '../../http/client.ts';
import type { HttpOptions } from '../../types.ts';
import type { SoapVersion } from './envelope.ts';
import { decodeXml, parseXml } from './xml.ts';
import type { XNode } from './xml.ts';

/** WSDL 1.1: the SOAP operations a service offers, with what a request to each needs. */

const WSDL11_NS = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL20_NS = 'http://www.w3.org/ns/wsdl';
const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
/** WSDL documents read at most for one listing (the first plus its `wsdl:import`s). */
const MAX_WSDL_DOCUMENTS = 10;

/** One operation of one SOAP binding, as a port of a service exposes it. */
export interface SoapOperationInfo {
  /** The service's name; null for a binding no port of the WSDL uses. */
  service: string | null;
  /** The port's name; null for a binding no port uses. */
  port: string | null;
  binding: string;
  operation: string;
  /** `soap:operation/@soapAction`; `''` when the binding gives none. */
  soapAction: string;
  soapVersion: SoapVersion;
  /** The port's `soap:address/@location`; null when absent. */
  endpoint: string | null;
}

interface Binding {
  ns: string;
  name: string;
  version: SoapVersion;
  operations: Array<{ name: string; soapAction: string }>;
}

const wsdlChildren = (n: XNode, name: string) => n.children.filter((c) => c.name === name && (c.uri === WSDL11_NS || c.uri === ''));
const attr = (n: XNode, name: string) => n.attrs.find((a) => a.name === name && a.uri === '')?.value;

/** Resolves a QName-valued attribute (`tns:Binding`) with the namespaces in scope where it is written. */
function qname(n: XNode, value: string): { ns: string | undefined; local: string } {
  const i = value.indexOf(':');
  if (i < 0) return { ns: n.scope[''], local: value };
  return { ns: n.scope[value.slice(0, i)], local: value.slice(i + 1) };
}

function soapBinding(b: XNode): SoapVersion | undefined {
  for (const c of b.children) {
    if (c.name !== 'binding') continue;
    if (c.uri === WSDL_SOAP11_NS) return '1.1';
    if (c.uri === WSDL_SOAP12_NS) return '1.2';
  }
  return undefined;
}

/**
 * Lists the SOAP operations of parsed WSDL 1.1 documents (the first one and those it imports),
 * in document order: for each service port with a SOAP 1.1 or 1.2 binding, each operation of
 * that binding; then the operations of SOAP bindings no port uses (a WSDL whose service section
 * names a missing binding still shows what it offers). HTTP bindings are left out.
 * @throws ParseError for a document that is not WSDL 1.1 (WSDL 2.0 included).
 */
export function operationsFromWsdl(docs: readonly XNode[], source: string): SoapOperationInfo[] {
  const bindings: Binding[] = [];
  const ports: Array<{ service: string; port: XNode }> = [];
  for (const root of docs) {
    if (root.name !== 'definitions' || root.uri !== WSDL11_NS) {
      const what = root.uri === WSDL20_NS ? 'WSDL 2.0 is not supported (only WSDL 1.1)' : `the root element is <${root.name}>, not wsdl:definitions`;
      throw new ParseError(source, 'WSDL', what);
    }
    const tns = attr(root, 'targetNamespace') ?? '';
    for (const b of wsdlChildren(root, 'binding')) {
      const version = soapBinding(b);
      const name = attr(b, 'name');
      if (version === undefined || name === undefined) continue;
      const operations = wsdlChildren(b, 'operation').flatMap((op) => {
        const opName = attr(op, 'name');
        if (opName === undefined) return [];
        const soapOp = op.children.find((c) => c.name === 'operation' && (c.uri === WSDL_SOAP11_NS || c.uri === WSDL_SOAP12_NS));
        return [{ name: opName, soapAction: (soapOp === undefined ? undefined : attr(soapOp, 'soapAction')) ?? '' }];
      });
      bindings.push({ ns: tns, name, version, operations });
    }
    for (const s of wsdlChildren(root, 'service')) {
      for (const port of wsdlChildren(s, 'port')) ports.push({ service: attr(s, 'name') ?? '', port });
    }
  }

  const out: SoapOperationInfo[] = [];
  const used = new Set<Binding>();
  for (const { service, port } of ports) {
    const ref = attr(port, 'binding');
    if (ref === undefined) continue;
    const { ns, local } = qname(port, ref);
    // An unresolvable prefix still names the binding by its local name.
    const binding = bindings.find((b) => b.name === local && (ns === undefined || b.ns === ns)) ?? bindings.find((b) => b.name === local);
    if (binding === undefined) continue;
    used.add(binding);
    const address = port.children.find((c) => c.name === 'address' && (c.uri === WSDL_SOAP11_NS || c.uri === WSDL_SOAP12_NS));
    const endpoint = (address === undefined ? undefined : attr(address, 'location')) ?? null;
    for (const op of binding.operations) {
      out.push({ service, port: attr(port, 'name') ?? '', binding: binding.name, operation: op.name, soapAction: op.soapAction, soapVersion: binding.version, endpoint });
    }
  }
  for (const b of bindings) {
    if (used.has(b)) continue;
    for (const op of b.operations) out.push({ service: null, port: null, binding: b.name, operation: op.name, soapAction: op.soapAction, soapVersion: b.version, endpoint: null });
  }
  return out;
}

/** Fetches and parses one WSDL document. */
async function readWsdl(url: string, http: HttpOptions, signal: AbortSignal | undefined): Promise<XNode> {
  const res = await fetchPage({ url, http, accept: 'text/xml, application/wsdl+xml, application/xml;q=0.9, */*;q=0.1', ...(signal !== undefined && { signal }) });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
  } finally {
    res.body.destroy();
  }
  return parseXml(decodeXml(Buffer.concat(chunks), res.contentType, res.url, 'WSDL'), res.url, 'WSDL').root;
}

/**
 * Fetches a WSDL 1.1 document (and the WSDL documents it imports, up to 10) through the shared
 * HTTP client and lists its SOAP operations (see {@link operationsFromWsdl}). For
 * `hasad soap operations --url WSDL` and for sources configured with `wsdl` + `operation`.
 *
 * @throws the fetch errors of `fetchPage`; ParseError for malformed XML, a DTD or a document that
 *   is not WSDL 1.1.
 */
export async function listSoapOperations(wsdlUrl: string, http: HttpOptions, signal?: AbortSignal): Promise<SoapOperationInfo[]> {
  const docs: XNode[] = [];
  const queue = [wsdlUrl];
  const seen = new Set<string>(queue);
  while (queue.length > 0 && docs.length < MAX_WSDL_DOCUMENTS) {
    const url = queue.shift() as string;
    const root = await readWsdl(url, http, signal);
    docs.push(root);
    for (const imp of wsdlChildren(root, 'import')) {
      const location = attr(imp, 'location');
      if (location === undefined || !URL.canParse(location, url)) continue;
      const next = new URL(location, url).href;
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return operationsFromWsdl(docs, wsdlUrl);
}
