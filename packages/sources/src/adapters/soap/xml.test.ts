import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { compilePath, decodeXml, parseXml, selectNodes, selectValues } from './xml.ts';

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('parseXml', () => {
  it('refuses a DTD before parsing: billion laughs and external entities never reach the parser', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><Envelope><Body>&lol2;</Body></Envelope>`;
    const xxe = `<?xml version="1.0"?><!doctype foo [<!entity xxe SYSTEM "file:///etc/passwd">]><Envelope><Body>&xxe;</Body></Envelope>`;
    for (const doc of [laughs, xxe]) {
      const err = caught(() => parseXml(doc, 'http://svc/', 'SOAP envelope'));
      expect(err).toBeInstanceOf(ParseError);
      expect((err as Error).message).toBe('could not parse SOAP envelope from http://svc/: the document contains <!DOCTYPE>: document type declarations and entities are refused');
    }
    const entityOnly = caught(() => parseXml('<a><!ENTITY x "y"></a>', 'u'));
    expect((entityOnly as Error).message).toContain('<!ENTITY>');
  });

  it('accepts the words inside comments and CDATA', () => {
    const doc = parseXml('<!-- no <!DOCTYPE here --><a><![CDATA[<!DOCTYPE html><!ENTITY x>]]></a>', 'u');
    expect(doc.root.text).toBe('<!DOCTYPE html><!ENTITY x>');
  });

  it('refuses an undefined entity and reports the position of malformed XML', () => {
    expect((caught(() => parseXml('<a>&nope;</a>', 'u')) as Error).message).toContain('Invalid character entity');
    const err = caught(() => parseXml('<a>\n<b></a>', 'http://svc/', 'SOAP envelope')) as ParseError;
    expect(err).toBeInstanceOf(ParseError);
    expect(err.context).toMatchObject({ line: 2 });
    expect((caught(() => parseXml('   ', 'u')) as Error).message).toContain('the document is empty');
  });

  it('keeps names, prefixes, namespaces, attributes, text and CDATA', () => {
    const doc = parseXml('<s:E xmlns:s="urn:s" xmlns="urn:d"><r a="1" s:b="2"><t>x &amp; <![CDATA[<y>]]></t><t/></r></s:E>', 'u');
    const r = doc.root.children[0]!;
    expect([doc.root.name, doc.root.prefix, doc.root.uri]).toEqual(['E', 's', 'urn:s']);
    expect([r.name, r.prefix, r.uri]).toEqual(['r', '', 'urn:d']);
    expect(r.attrs).toEqual([
      { name: 'a', prefix: '', uri: '', value: '1' },
      { name: 'b', prefix: 's', uri: 'urn:s', value: '2' },
    ]);
    expect(r.children.map((c) => c.text)).toEqual(['x & <y>', '']);
  });

  it('survives element names xml2js confuses with Object properties, and deep nesting', () => {
    const doc = parseXml('<a><constructor>c</constructor><toString>t</toString></a>', 'u');
    expect(doc.root.children.map((c) => [c.name, c.text])).toEqual([
      ['constructor', 'c'],
      ['toString', 't'],
    ]);
    const proto = parseXml('<a><__proto__><polluted>yes</polluted></__proto__><b>1</b><__proto__/><hasOwnProperty>h</hasOwnProperty></a>', 'u');
    expect(proto.root.children.map((c) => [c.name, c.children.map((g) => g.name)])).toEqual([
      ['__proto__', ['polluted']],
      ['__proto__', []],
      ['b', []],
      ['hasOwnProperty', []],
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const deep = `${'<d>'.repeat(20_000)}x${'</d>'.repeat(20_000)}`;
    expect(parseXml(deep, 'u').root.name).toBe('d');
  });
});

describe('decodeXml', () => {
  it('follows the BOM, then the Content-Type charset, then the XML declaration, else UTF-8', () => {
    const arabic = '<t>جودة المياه</t>';
    expect(decodeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(arabic)]), 'text/xml; charset=iso-8859-1', 'u', 'x')).toBe(arabic);
    expect(decodeXml(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(arabic, 'utf16le')]), undefined, 'u', 'x')).toBe(arabic);
    expect(decodeXml(iconv.encode(arabic, 'windows-1256'), 'text/xml; charset="windows-1256"', 'u', 'x')).toBe(arabic);
    const declared = `<?xml version="1.0" encoding="windows-1256"?>${arabic}`;
    expect(decodeXml(iconv.encode(declared, 'windows-1256'), 'text/xml', 'u', 'x')).toBe(declared);
    expect(decodeXml(Buffer.from('<t>é</t>'), undefined, 'u', 'x')).toBe('<t>é</t>');
    const lie = '<?xml version="1.0" encoding="utf-16"?><t>é</t>';
    expect(decodeXml(Buffer.from(lie), undefined, 'u', 'x')).toBe(lie);
    expect(caught(() => decodeXml(Buffer.from('<t/>'), 'text/xml; charset=klingon', 'u', 'x'))).toBeInstanceOf(ParseError);
  });
});

describe('paths', () => {
  const doc = parseXml(
    `<soap:Envelope xmlns:soap="urn:env" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:a="urn:one" xmlns:b="urn:two">
      <soap:Body><a:list><a:item k="1"><a:v>one</a:v></a:item><b:item k="2"><b:v>two</b:v></b:item><a:item xsi:nil="true"/><a:item href="#r1"/></a:list>
      <multiRef id="r1" k="3"><v>three</v></multiRef></soap:Body></soap:Envelope>`,
    'u',
  );
  const values = (path: string, ns = {}) => selectValues(doc.root, compilePath(path), ns);

  it('match by local name, by declared namespace, or by the prefix written', () => {
    // xml2js groups siblings by qualified name: a:item elements come before the b:item one.
    expect(values('Body/list/item/v')).toEqual(['one', 'three', 'two']);
    expect(values('Body/list/x:item/v', { x: 'urn:two' })).toEqual(['two']);
    expect(values('Body/list/b:item/v')).toEqual(['two']);
    expect(values('Body/*/item/@k')).toEqual(['1', '3', '2']);
    expect(selectNodes(doc.root, compilePath('Body/list/item'))).toHaveLength(3);
  });

  it('reject malformed paths', () => {
    expect(() => compilePath('a/@b/c')).toThrow('the attribute step "@b" must come last');
    expect(() => compilePath('a b')).toThrow('"a b" is not an element name');
    expect(() => compilePath('  ')).toThrow('the path is empty');
    expect(compilePath('/Body/x/').steps.map((s) => s.local)).toEqual(['Body', 'x']);
  });

  it('a reference cycle or a dangling reference reads as absent', () => {
    const cyc = parseXml('<E><Body><r><x href="#a"/><y href="#gone"/></r><m id="a" href="#b"/><m id="b" href="#a"/></Body></E>', 'u');
    expect(selectNodes(cyc.root, compilePath('Body/r/x'))).toEqual([]);
    expect(selectNodes(cyc.root, compilePath('Body/r/y'))).toEqual([]);
  });

  it('an element whose text is malformed XML fails with a ParseError naming it', () => {
    const bad = parseXml('<E><Body><return>&lt;a&gt;&lt;b&gt;&lt;/a&gt;</return></Body></E>', 'http://svc/');
    const err = caught(() => selectNodes(bad.root, compilePath('Body/return/a')));
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toContain('could not parse XML inside <return> from http://svc/');
    // Read as a value, the text stays text.
    expect(selectValues(bad.root, compilePath('Body/return'))).toEqual(['<a><b></a>']);
  });
});
