import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { parseXml } from './xml.ts';

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('parseXml refuses DTDs however they are hidden', () => {
  it.each([
    ['behind a processing instruction holding "<!--"', `<?xml version="1.0"?><?pi <!-- ?><!DOCTYPE Envelope [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Envelope><Body>&lol2;</Body></Envelope><!-- -->`],
    ['behind a comment', `<!-- x --><!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Envelope><Body>&xxe;</Body></Envelope>`],
    ['without an internal subset', `<!DOCTYPE Envelope SYSTEM "http://169.254.169.254/latest/meta-data/"><Envelope/>`],
  ])('%s', (_name, doc) => {
    const err = caught(() => parseXml(doc, 'http://svc/', 'SOAP envelope'));
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toBe('could not parse SOAP envelope from http://svc/: the document contains <!DOCTYPE>: document type declarations and entities are refused');
  });

  it('still reads the words inside CDATA, comments and processing instructions', () => {
    const doc = parseXml('<?note <!DOCTYPE in a PI?><!-- <!ENTITY --><a><![CDATA[<!DOCTYPE html>]]></a>', 'u');
    expect(doc.root.text).toBe('<!DOCTYPE html>');
  });

  it('an escaped DTD inside a text element (a <return> string) is refused too', () => {
    const doc = parseXml('<Envelope><Body><return>&lt;!DOCTYPE r [&lt;!ENTITY x "y"&gt;]&gt;&lt;r&gt;&amp;x;&lt;/r&gt;</return></Body></Envelope>', 'http://svc/', 'SOAP envelope');
    const ret = doc.root.children[0]?.children[0];
    expect(ret?.text.startsWith('<!DOCTYPE')).toBe(true);
    expect(() => parseXml(ret?.text ?? '', 'http://svc/', 'XML inside <return>')).toThrow(/<!DOCTYPE>: document type declarations and entities are refused/);
  });
});
