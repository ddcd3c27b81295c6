import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { describeFault, escapeXml, findFault, placeholdersOf, readEnvelope, renderEnvelope, soapHeaders } from './envelope.ts';

describe('request envelopes', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a & b < c > d "e" 'f' ماء`)).toBe('a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos; ماء');
  });

  it('fills placeholders with escaped values and wraps a Body-only template in the right envelope', () => {
    const t = '<q:Get xmlns:q="urn:q" filter="{{f}}"><q:page>{{ page }}</q:page></q:Get>';
    expect(placeholdersOf(t)).toEqual(['f', 'page']);
    expect(renderEnvelope(t, { f: `"x" & <y>`, page: '2' }, '1.1')).toBe(
      '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><q:Get xmlns:q="urn:q" filter="&quot;x&quot; &amp; &lt;y&gt;"><q:page>2</q:page></q:Get></soap:Body></soap:Envelope>',
    );
    expect(renderEnvelope('<Get/>', {}, '1.2')).toContain('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">');
    const whole = '<env:Envelope xmlns:env="urn:e"><env:Body><Get>{{page}}</Get></env:Body></env:Envelope>';
    expect(renderEnvelope(whole, { page: '1' }, '1.1')).toBe(whole.replace('{{page}}', '1'));
    expect(() => renderEnvelope('<a>{{b}}</a>', {}, '1.1')).toThrow('no value for {{b}}');
  });

  it('names the action in SOAPAction for 1.1 and in the media type for 1.2', () => {
    expect(soapHeaders('1.1', 'urn:Get')).toEqual({ 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:Get"' });
    expect(soapHeaders('1.1', undefined)).toEqual({ 'content-type': 'text/xml; charset=utf-8', soapaction: '""' });
    expect(soapHeaders('1.2', 'urn:Get')).toEqual({ 'content-type': 'application/soap+xml; charset=utf-8; action="urn:Get"' });
    expect(soapHeaders('1.2', '')).toEqual({ 'content-type': 'application/soap+xml; charset=utf-8' });
  });
});

describe('responses', () => {
  it('knows the version from the envelope namespace and refuses what is not an envelope', () => {
    expect(readEnvelope('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'u').version).toBe('1.2');
    expect(readEnvelope('<Envelope><Body/></Envelope>', 'u').version).toBeUndefined();
    expect(() => readEnvelope('<html><body>Service Unavailable</body></html>', 'http://svc/')).toThrow(ParseError);
    expect(() => readEnvelope('<html/>', 'http://svc/')).toThrow('the root element is <html>, not a SOAP Envelope');
  });

  it('reads SOAP 1.2 Faults, preferring the English reason', () => {
    const msg = readEnvelope(
      `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>
        <env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>rpc:BadArguments</env:Value></env:Subcode></env:Code>
        <env:Reason><env:Text xml:lang="fr">Arguments invalides</env:Text><env:Text xml:lang="en">Bad arguments</env:Text></env:Reason>
        <env:Role>urn:gateway</env:Role><env:Detail><e:page xmlns:e="urn:e">-1</e:page></env:Detail>
      </env:Fault></env:Body></env:Envelope>`,
      'u',
    );
    const fault = findFault(msg.body);
    expect(fault).toEqual({ code: 'env:Sender / rpc:BadArguments', text: 'Bad arguments', actor: 'urn:gateway', detail: '-1' });
    expect(describeFault(fault!)).toBe('env:Sender / rpc:BadArguments: Bad arguments');
    expect(describeFault({ code: '', text: '' })).toBe('(the Fault gives no faultstring and no detail)');
  });

  it('does not take a response element whose name merely ends in Fault for a Fault', () => {
    const msg = readEnvelope('<Envelope><Body><GetDefaultResponse><ReportFault>none</ReportFault></GetDefaultResponse><LastFault><when>x</when></LastFault></Body></Envelope>', 'u');
    expect(findFault(msg.body)).toBeUndefined();
  });
});
