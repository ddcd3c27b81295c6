import { describe, expect, it } from 'vitest';
import { LimitExceededError, ParseError } from '@hasad/core';
import { envelopePath } from './client.ts';
import { DEFAULT_SOAP_LIMITS, EnvelopeStream, readXmlDocument } from './stream.ts';
import type { SoapLimits } from './stream.ts';
import { compilePath, selectNodes, selectValues } from './xml.ts';
import type { XNode } from './xml.ts';

const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const open = `<?xml version="1.0"?><s:Envelope xmlns:s="${ENV}"><s:Body><R><total>3</total><list>`;
const close = '</list></R></s:Body></s:Envelope>';
const rec = (i: number) => `<d><id>${i}</id><t>titre ${i}</t></d>`;

function reader(limits: Partial<SoapLimits> = {}, recordPath = 'Body/R/list/d') {
  const got: XNode[] = [];
  const s = new EnvelopeStream({
    source: 'http://svc.test/soap',
    recordPath: envelopePath(recordPath),
    keepPaths: [envelopePath('Body/R/total')],
    namespaces: {},
    limits: { ...DEFAULT_SOAP_LIMITS, ...limits },
    onRecord: (n) => got.push(n),
  });
  return { s, got };
}

function limitOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof LimitExceededError) return err.context['limit'] as string;
    throw err;
  }
  return undefined;
}

describe('SOAP answers read as a stream', () => {
  it('hands each record on as it closes, keeps only the skeleton, and reads the paging value', () => {
    const { s, got } = reader();
    s.write(open + rec(1) + rec(2));
    // Both records were handed on before the document ended.
    expect(got.map((n) => selectValues(n, compilePath('id'))[0])).toEqual(['1', '2']);
    s.write(rec(3) + close);
    const msg = s.end();
    expect(got).toHaveLength(3);
    expect(msg.version).toBe('1.1');
    expect(selectValues(msg.envelope, envelopePath('Body/R/total'))).toEqual(['3']);
    // Records handed on are not held in the tree.
    expect(selectNodes(msg.envelope, envelopePath('Body/R/list/d'))).toEqual([]);
    expect(s.records).toBe(3);
  });

  it('a record holding an RPC reference waits for the multiRef that follows it', () => {
    const { s, got } = reader();
    s.write(`${open}<d><id href="#a"/><t>x</t></d>${rec(2)}</list></R><multiRef id="a">ID-A</multiRef></s:Body></s:Envelope>`);
    const msg = s.end();
    expect(got).toHaveLength(1);
    const kept = selectNodes(msg.envelope, envelopePath('Body/R/list/d'));
    expect(kept.map((n) => selectValues(n, compilePath('id'))[0])).toEqual(['ID-A']);
  });

  it('a record element that is itself a reference (<d href="#a"/>) waits for its multiRef too', () => {
    const { s, got } = reader();
    s.write(`${open}<d href="#a"/>${rec(2)}</list></R><multiRef id="a"><id>ID-A</id></multiRef></s:Body></s:Envelope>`);
    const msg = s.end();
    // Only the plain record went on at once; the reference was kept and resolves at the end.
    expect(got.map((n) => selectValues(n, compilePath('id'))[0])).toEqual(['2']);
    const kept = selectNodes(msg.envelope, envelopePath('Body/R/list/d'));
    expect(kept.map((n) => selectValues(n, compilePath('id'))[0])).toEqual(['ID-A']);
  });

  it('reads records inside escaped XML text, under the same limits', () => {
    const inner = `<list>${rec(1)}${rec(2)}</list>`.replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const { s } = reader({}, 'Body/R/return/list/d');
    s.write(`<s:Envelope xmlns:s="${ENV}"><s:Body><R><total>2</total><return>${inner}</return></R></s:Body></s:Envelope>`);
    const msg = s.end();
    // <list> is the root of <return>'s text, read as its child.
    expect(selectNodes(msg.envelope, envelopePath('Body/R/return/list/d'))).toHaveLength(2);
    const deep = `<list>${'<x>'.repeat(50)}${'</x>'.repeat(50)}</list>`.replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const tight = reader({ maxDepth: 20 }, 'Body/R/return/list/d');
    tight.s.write(`<s:Envelope xmlns:s="${ENV}"><s:Body><R><return>${deep}</return></R></s:Body></s:Envelope>`);
    const m2 = tight.s.end();
    expect(limitOf(() => selectNodes(m2.envelope, envelopePath('Body/R/return/list/d')))).toBe('HASAD_SOAP_MAX_DEPTH');
  });

  it('stops at each limit with limit_exceeded naming its setting', () => {
    expect(limitOf(() => reader({ maxDepth: 30 }).s.write(open + '<d>' + '<x>'.repeat(40)))).toBe('HASAD_SOAP_MAX_DEPTH');
    expect(limitOf(() => reader({ maxTextLength: 1024 }).s.write(`${open}<d><id>${'a'.repeat(2000)}</id></d>`))).toBe('HASAD_SOAP_MAX_TEXT_LENGTH');
    expect(limitOf(() => reader({ maxTextLength: 1024 }).s.write(`${open}<d id="${'a'.repeat(2000)}"></d>`))).toBe('HASAD_SOAP_MAX_TEXT_LENGTH');
    expect(limitOf(() => reader({ maxRecords: 10 }).s.write(open + Array.from({ length: 11 }, (_, i) => rec(i)).join('')))).toBe('HASAD_SOAP_MAX_RECORDS');
    // One record of endless tiny elements: held whole until it closes, so the node limit stops it.
    expect(limitOf(() => reader({ maxNodes: 1000 }).s.write(`${open}<d><id>1</id>${'<x/>'.repeat(2000)}`))).toBe('HASAD_SOAP_MAX_NODES');
    // Tiny elements outside any record are skipped, not held: 100,000 of them pass a limit of 1,000.
    const skipped = reader({ maxNodes: 1000 });
    skipped.s.write(`${open}${rec(1)}</list><junk>${'<x/>'.repeat(100_000)}</junk></R></s:Body></s:Envelope>`);
    expect(skipped.s.end().body.children.map((c) => c.name)).toEqual(['R']);
    // …but Body children are each held (their names explain an empty page), so a flood of them stops.
    expect(limitOf(() => reader({ maxNodes: 1000 }).s.write(`<s:Envelope xmlns:s="${ENV}"><s:Body>${'<x/>'.repeat(2000)}`))).toBe('HASAD_SOAP_MAX_NODES');
  });

  it('refuses a DTD and an undefined entity, and names the position of malformed XML', () => {
    const dtd = reader();
    expect(() => {
      dtd.s.write('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><s:Envelope xmlns:s="x"><s:Body>&lol;</s:Body></s:Envelope>');
      dtd.s.end();
    }).toThrow(/DOCTYPE.*refused/);
    const ent = reader();
    expect(() => {
      ent.s.write(`<s:Envelope xmlns:s="${ENV}"><s:Body>&xxe;</s:Body></s:Envelope>`);
      ent.s.end();
    }).toThrow(ParseError);
    const bad = reader();
    let err: unknown;
    try {
      bad.s.write(`<s:Envelope xmlns:s="${ENV}">\n<s:Body><a></b></s:Body></s:Envelope>`);
      bad.s.end();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).context['line']).toBe(2);
  });
});

describe('what sax-js let through is let through still (saxes is stricter)', () => {
  const whole = (xml: string, limits: Partial<SoapLimits> = {}) => {
    const s = new EnvelopeStream({ source: 'http://svc.test/soap', recordPath: { source: '', steps: [] }, keepPaths: [], namespaces: {}, limits: { ...DEFAULT_SOAP_LIMITS, ...limits }, onRecord: () => undefined, whole: true });
    s.write(xml);
    return s.finish();
  };
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };

  it('a newline before the XML declaration, a control character, "]]>" in text and a repeated attribute', () => {
    expect(whole('\n  <?xml version="1.0" encoding="UTF-8"?><r>a</r>').text).toBe('a');
    expect(whole('<r>x\u000cy</r>').text).toBe('x\u000cy');
    expect(whole('<r>x]]>y</r>').text).toBe('x]]>y');
    expect(whole('<r a="1" a="2"/>').attrs).toHaveLength(1);
  });

  it('a lower-case <!doctype> or an <!ENTITY> inside an element is refused as a DTD, not as bad syntax', () => {
    const refused = 'could not parse SOAP envelope from http://svc.test/soap: the document contains <!DOCTYPE>: document type declarations and entities are refused';
    expect(message(() => whole('<!doctype r><r/>'))).toBe(refused);
    expect(message(() => whole('<r><!ENTITY x "y"></r>'))).toBe(refused.replace('DOCTYPE', 'ENTITY'));
  });

  it('a text that never ends stops at the text limit as it is read, not at its end', () => {
    const s = new EnvelopeStream({ source: 'u', recordPath: { source: '', steps: [] }, keepPaths: [], namespaces: {}, limits: { ...DEFAULT_SOAP_LIMITS, maxTextLength: 1000 }, onRecord: () => undefined, whole: true });
    s.write('<r>');
    expect(limitOf(() => s.write('x'.repeat(1001)))).toBe('HASAD_SOAP_MAX_TEXT_LENGTH');
    const a = new EnvelopeStream({ source: 'u', recordPath: { source: '', steps: [] }, keepPaths: [], namespaces: {}, limits: { ...DEFAULT_SOAP_LIMITS, maxTextLength: 1000 }, onRecord: () => undefined, whole: true });
    expect(limitOf(() => a.write(`<r a="${'x'.repeat(1001)}`))).toBe('HASAD_SOAP_MAX_TEXT_LENGTH');
  });
});

describe('a whole XML document read as it arrives (readXmlDocument, the CSW reader)', () => {
  const settings = { maxDepth: 'X_DEPTH', maxTextLength: 'X_TEXT', maxNodes: 'X_ELEMENTS' };
  const limits = { maxDepth: 20, maxTextLength: 1000, maxNodes: 500 };
  /** The document cut in pieces of `size` bytes, as a body arriving in chunks. */
  async function* chunks(doc: Buffer | string, size = 7) {
    const b = Buffer.isBuffer(doc) ? doc : Buffer.from(doc);
    for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  }
  const read = (doc: Buffer | string, o: { maxBytes?: number; contentType?: string; text?: string[] } = {}) =>
    readXmlDocument(chunks(doc), { source: 'http://geo.test/csw', contentType: o.contentType, format: 'CSW GetRecords response', limits, settings, maxBytes: o.maxBytes ?? 1e6, tooLarge: () => new Error('too large'), ...(o.text && { text: o.text }) });

  it('an HTML page (a maintenance or login page served with status 200) is said to be one, its Content-Type named', async () => {
    const said = 'could not parse CSW GetRecords response from http://geo.test/csw: the service answered an HTML page (text/html; charset=utf-8), not XML: a maintenance, login or error page?';
    await expect(read('<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>', { contentType: 'text/html; charset=utf-8' })).rejects.toThrow(said);
    // No DOCTYPE, an XHTML root, any case, another Content-Type.
    await expect(read('<HTML><body>Connexion</body></HTML>', { contentType: 'text/html; charset=utf-8' })).rejects.toThrow(said);
    await expect(read('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', { contentType: 'application/xml' })).rejects.toThrow(said.replace('text/html; charset=utf-8', 'application/xml'));
    await expect(read('<!doctype html><p>x</p>')).rejects.toThrow('the service answered an HTML page, not XML');
    // Any other DOCTYPE is still refused as one; an element named html below the root is XML like any other.
    await expect(read('<!DOCTYPE r><r/>')).rejects.toThrow('the document contains <!DOCTYPE>: document type declarations and entities are refused');
    expect((await read('<r><html>x</html></r>')).children[0]?.text).toBe('x');
  });

  it('builds the whole tree in document order, decodes by the XML declaration across chunks, and hands the text on', async () => {
    const text: string[] = [];
    const doc = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><r xmlns:g="urn:g"><g:a>caf'), Buffer.from([0xe9]), Buffer.from('</g:a><b x="1"/><g:a>2</g:a></r>')]);
    const root = await read(doc, { text });
    expect(root.children.map((c) => `${c.prefix}:${c.name}`)).toEqual(['g:a', ':b', 'g:a']);
    expect(root.children[0]).toMatchObject({ uri: 'urn:g', text: 'café' });
    expect(root.children[1]?.attrs[0]).toMatchObject({ name: 'x', value: '1' });
    expect(text.join('')).toBe(doc.toString('latin1'));
  });

  it('reads UTF-8 characters cut between chunks, CDATA and character references', async () => {
    const root = await read('<r><a>日本語 é ✓ 😀</a><b><![CDATA[<x> & y]]></b><c>&#233;&#x1F600;&amp;</c></r>', { maxBytes: 1e6 });
    expect(root.children.map((c) => c.text)).toEqual(['日本語 é ✓ 😀', '<x> & y', 'é😀&']);
  });

  it('fails past each limit with limit_exceeded naming the given setting, and past maxBytes with tooLarge()', async () => {
    const limitOfAsync = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as LimitExceededError).context?.['limit'];
    expect(await limitOfAsync(read(`<r>${'<a>'.repeat(100)}`))).toBe('X_DEPTH');
    expect(await limitOfAsync(read(`<r><a>${'x'.repeat(2000)}</a></r>`))).toBe('X_TEXT');
    expect(await limitOfAsync(read(`<r>${'<a/>'.repeat(1000)}</r>`))).toBe('X_ELEMENTS');
    await expect(read(`<r>${'<a/>'.repeat(100)}</r>`, { maxBytes: 100 })).rejects.toThrow('too large');
    await expect(read('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>')).rejects.toThrow(/refused/);
    await expect(read('<r><a></b></r>')).rejects.toBeInstanceOf(ParseError);
  });
  it('a short head is parsed as soon as its encoding is known, not after 512 bytes: an element that opens there is seen before the rest is sent', async () => {
    /** The head in pieces of 7 bytes, then the rest only once `opened` saw <s> (or after 2 s, too late). */
    const readHeld = async (head: Buffer, rest: Buffer, contentType?: string) => {
      let seen!: () => void;
      const sawS = new Promise<void>((resolve) => (seen = resolve));
      let early = false;
      async function* body() {
        yield* chunks(head);
        early = await Promise.race([sawS.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
        yield rest;
      }
      const root = await readXmlDocument(body(), {
        source: 'http://geo.test/csw', contentType, format: 'CSW GetRecords response', limits, settings, maxBytes: 1e6, tooLarge: () => new Error('too large'),
        opened: { depth: 1, name: 's', call: () => (seen(), undefined) },
      });
      return { early, text: root.children[0]?.text };
    };
    const latin1 = (s: string) => Buffer.from(s, 'latin1');
    // Its declaration read to its end (across pieces): decoded as it says.
    expect(await readHeld(latin1('<?xml version="1.0" encoding="ISO-8859-1"?>\n<r><s>'), latin1('caf\u00e9</s></r>'))).toEqual({ early: true, text: 'café' });
    // No declaration: UTF-8. A Content-Type charset: decoded by it, the declaration unread.
    expect(await readHeld(Buffer.from('<r><s>'), Buffer.from('日本</s></r>'))).toEqual({ early: true, text: '日本' });
    expect(await readHeld(latin1('<?xml version="1.0" encoding="UTF-8"?><r><s>'), latin1('caf\u00e9</s></r>'), 'application/xml; charset=ISO-8859-1')).toEqual({ early: true, text: 'café' });
    // A UTF-16 BOM: decoded as UTF-16 from the start.
    const utf16 = Buffer.from('\ufeff<r><s>\u0645</s></r>', 'utf16le');
    expect(await readHeld(utf16.subarray(0, 14), utf16.subarray(14))).toEqual({ early: true, text: '\u0645' });
  });

  it('hands on the elements to detach as they close, whole, and keeps what replaces them', async () => {
    const seen: string[] = [];
    const root = await readXmlDocument(chunks('<r><s n="2"><m><t>a</t><t>b</t></m><x/><m><t>c</t></m></s><m><t>d</t></m></r>'), {
      source: 'http://geo.test/csw', contentType: undefined, format: 'CSW GetRecords response', limits, settings, maxBytes: 1e6, tooLarge: () => new Error('too large'),
      detach: {
        depth: 2,
        parent: 's',
        replace: (node) => {
          // Handed on when it closes: its whole subtree is there, and the elements after it are not yet read.
          seen.push(`${node.name}:${node.children.map((c) => c.text).join('')}`);
          return { ...node, children: [], text: 'kept' };
        },
      },
    });
    expect(seen).toEqual(['m:ab', 'x:', 'm:c']);
    const s = root.children[0]!;
    expect(s.attrs[0]).toMatchObject({ name: 'n', value: '2' });
    expect(s.children.map((c) => `${c.name}:${c.text}:${c.children.length}`)).toEqual(['m:kept:0', 'x:kept:0', 'm:kept:0']);
    // Not a child of the named parent: left in the tree.
    expect(root.children[1]?.children[0]?.text).toBe('d');
  });
});
