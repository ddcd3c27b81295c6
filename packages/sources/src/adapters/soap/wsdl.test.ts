import { afterEach, describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { loopbackHttp, routes, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';
import { listSoapOperations } from './wsdl.ts';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
};

describe('listSoapOperations', () => {
  it('follows wsdl:import to bindings and services defined in other documents', async () => {
    server = await startLoopback(
      routes({
        '/service.wsdl': {
          body: `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:b="urn:bindings" targetNamespace="urn:service">
            <wsdl:import namespace="urn:bindings" location="bindings.wsdl"/>
            <wsdl:service name="Catalogue"><wsdl:port name="CatalogueSoap12" binding="b:CatalogueBinding"><soap12:address location="https://data.example.ma/catalogue.svc"/></wsdl:port></wsdl:service>
          </wsdl:definitions>`,
        },
        '/bindings.wsdl': {
          body: `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" targetNamespace="urn:bindings">
            <import namespace="urn:service" location="service.wsdl"/>
            <binding name="CatalogueBinding" type="x:P"><s12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
              <operation name="GetDatasets"><s12:operation soapAction="urn:catalogue/GetDatasets"/></operation>
              <operation name="GetDataset"><s12:operation soapAction="urn:catalogue/GetDataset"/></operation>
            </binding>
            <binding name="CatalogueHttp" type="x:P"><http:binding verb="GET"/><operation name="GetDatasets"/></binding>
          </definitions>`,
        },
      }),
    );
    expect(await listSoapOperations(`${server.base}/service.wsdl`, loopbackHttp)).toEqual([
      { service: 'Catalogue', port: 'CatalogueSoap12', binding: 'CatalogueBinding', operation: 'GetDatasets', soapAction: 'urn:catalogue/GetDatasets', soapVersion: '1.2', endpoint: 'https://data.example.ma/catalogue.svc' },
      { service: 'Catalogue', port: 'CatalogueSoap12', binding: 'CatalogueBinding', operation: 'GetDataset', soapAction: 'urn:catalogue/GetDataset', soapVersion: '1.2', endpoint: 'https://data.example.ma/catalogue.svc' },
    ]);
    // Each document once, although they import each other.
    expect(server.requests.map((r) => r.path)).toEqual(['/service.wsdl', '/bindings.wsdl']);
  });

  it('refuses WSDL 2.0, documents that are not WSDL, and DTDs', async () => {
    server = await startLoopback(
      routes({
        '/v2': { body: '<description xmlns="http://www.w3.org/ns/wsdl"/>' },
        '/html': { body: '<html><body>Not found</body></html>' },
        '/dtd': { body: '<!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&x;</definitions>' },
      }),
    );
    const v2 = await caught(listSoapOperations(`${server.base}/v2`, loopbackHttp));
    expect(v2).toBeInstanceOf(ParseError);
    expect((v2 as Error).message).toContain('WSDL 2.0 is not supported (only WSDL 1.1)');
    expect((await caught(listSoapOperations(`${server.base}/html`, loopbackHttp)) as Error).message).toContain('the root element is <html>, not wsdl:definitions');
    expect((await caught(listSoapOperations(`${server.base}/dtd`, loopbackHttp)) as Error).message).toContain('document type declarations and entities are refused');
  });
});
