/**
 * Conformance: SOAP responses and WSDLs collected in ../shared/conformance/soap (verbatim copies
 * of node-soap's request-response samples, savon's fixtures, the NOAA NDFD and SDMX 2.1 WSDLs;
 * see its SOURCES.md) are served from a loopback server and read through the real adapter.
 */
import { harvestWithConfig } from '../src/adapters/index.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchStatusError, HasadError, ParseError } from '@hasad/core';
import type { CanonicalDataset } from '@hasad/core';
import { listSoapOperations, soapAdapter } from '../src/adapters/soap/index.ts';
import type { BatchEvent, HarvestEvent, PageEvent } from '../src/types.ts';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const soapDir = path.resolve(repoRoot, '..', 'shared', 'conformance', 'soap');
const present = existsSync(soapDir);
if (!present) console.warn(`SKIPPED: ../shared/conformance/soap not found (looked in ${soapDir}); SOAP conformance tests did not run`);

const SAMPLES = 'node-soap/request-response-samples';
const read = (file: string) => readFileSync(path.join(soapDir, file));

/** One answer per path: `/r/<status>/<fixture path>` answers the fixture with that status; requests are kept with their bodies. */
let server: Loopback;
const bodies: string[] = [];
beforeAll(async () => {
  if (!present) return;
  server = await startLoopback(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    const m = /^\/r\/(\d{3})\/(.+)$/.exec(req.url ?? '');
    const file = m === null ? undefined : path.join(soapDir, decodeURIComponent(m[2] as string));
    if (m === null || file === undefined || !file.startsWith(soapDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(Number(m[1]), { 'content-type': 'text/xml; charset=utf-8' }).end(readFileSync(file));
  });
});
afterAll(async () => {
  await server?.close();
});

const urlOf = (fixture: string, status = 200) => `${server.base}/r/${status}/${fixture}`;

async function harvest(fixture: string, config: Record<string, unknown>, status = 200): Promise<{ events: HarvestEvent[]; error?: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(soapAdapter, { url: urlOf(fixture, status), config: { envelope: '<Get xmlns="urn:test"/>', paging: { mode: 'none' }, ...config }, http: loopbackHttp })) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events };
}
const recordsOf = (events: HarvestEvent[]): CanonicalDataset[] => events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.records);
const pageOf = (events: HarvestEvent[]) => events.find((e): e is PageEvent => e.type === 'page');

describe.skipIf(!present)('SOAP Faults from savon and node-soap', () => {
  const cases: Array<[fixture: string, message: string]> = [
    ['savon-fixtures/response/soap_fault.xml', 'soap:Server: Fault occurred while processing.'],
    ['savon-fixtures/response/soap_fault12.xml', 'soap:Sender / m:MessageTimeout: Sender Timeout'],
    ['savon-fixtures/response/another_soap_fault.xml', 'ERR_NO_SESSION: Wrong session message'],
    ['savon-fixtures/response/empty_soap_fault.xml', '(no faultstring) detail: 80:1289245853:55'],
    ['savon-fixtures/response/soap_fault_funky.xml', '42: The Answer to Life The Universe And Everything'],
    ['savon-fixtures/response/soap_fault_invalid_encoding.xml', 'soap:Server: Response with invalid encoding'],
    [`${SAMPLES}/login__error_returned_should_contain_root_Json_on_fault/response.xml`, 'soapenv:Server.userException: You have entered an invalid email address or password. Please try again.'],
  ];
  for (const status of [500, 200]) {
    it.each(cases)(`%s with HTTP ${status} fails the harvest with the fault text`, async (fixture, message) => {
      const { events, error } = await harvest(fixture, { recordPath: 'Body/x', fields: { identifier: 'id', title: 't' } }, status);
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(HasadError);
      expect((error as HasadError).code).toBe('soap_fault');
      expect((error as HasadError).permanent).toBe(true);
      expect((error as Error).message).toContain(`(page 1, HTTP ${status}): ${message}`);
    });
  }

  it('keeps the fault detail in the error context', async () => {
    const { error } = await harvest(`${SAMPLES}/login__error_returned_should_contain_root_Json_on_fault/response.xml`, { recordPath: 'Body/x', fields: { identifier: 'id', title: 't' } }, 500);
    expect((error as HasadError).context).toMatchObject({
      httpStatus: 500,
      code: 'soapenv:Server.userException',
      detail: expect.stringContaining('INVALID_LOGIN_CREDENTIALS'),
    });
  });
});

describe.skipIf(!present)('SOAP responses from savon and node-soap', () => {
  it('resolves RPC-encoded multiRef references (savon multi_ref.xml)', async () => {
    const { events, error } = await harvest('savon-fixtures/response/multi_ref.xml', {
      recordPath: 'Body/listResponse/listReturn/listReturn',
      fields: { identifier: 'mailId', title: 'subject', modified: 'date', spatial: 'location', accessRights: 'state' },
    });
    expect(error).toBeUndefined();
    expect(recordsOf(events).map((r) => [r.identifier, r.title[''], r.modified, r.spatial, r.accessRights])).toEqual([
      ['708021', 'Mail from 04-29-2009: Technical support', '2009-04-30T06:38:34.000Z', ['Archive'], 'Original'],
      ['855763', 'Mail from 09-22-2009: Misc', '2009-09-22T13:47:23.000Z', ['Archive'], 'Original'],
      ['972219', 'Mail from 12-17-2009: Misc', '2009-12-18T15:43:21.000Z', ['Archive'], 'Original'],
    ]);
  });

  it('treats xsi:nil elements as absent (node-soap Dummy__should_handle_nil)', async () => {
    const fixture = `${SAMPLES}/Dummy__should_handle_nil/response.xml`;
    const { events, error } = await harvest(fixture, { recordPath: 'Body/DummyResponse/DummyResult/DummyList/DummyElement', fields: { identifier: '@language', title: 'x' } });
    expect(error).toBeUndefined();
    expect(recordsOf(events)).toEqual([]);
    expect(pageOf(events)?.problems?.map((p) => p.code)).toEqual(['no_datasets']);
    const asField = await harvest(fixture, { recordPath: 'Body/DummyResponse/DummyResult', fields: { identifier: 'DummyList/DummyElement', 'title.en': 'DummyList/DummyElement' } });
    expect(recordsOf(asField.events)).toEqual([]);
    expect(asField.events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.problems.map((p) => p.code))).toEqual(['missing_identifier']);
  });

  it('reads an XML document held in CDATA as child elements (node-soap Dummy__should_handle_cdata_xml_in_response)', async () => {
    const { events, error } = await harvest(`${SAMPLES}/Dummy__should_handle_cdata_xml_in_response/response.xml`, {
      recordPath: 'Body/DummyResponse/DummyResult/DummyList/DummyElement/response/forms/form',
      fields: { identifier: '@ObjectId', 'title.en': '@Form_Name', 'description.en': 'Last_Name', 'keywords.en': 'First_Name' },
    });
    expect(error).toBeUndefined();
    expect(recordsOf(events)).toEqual([
      expect.objectContaining({ identifier: '1234', title: { en: 'Dummy Form' }, description: { en: 'Dumpty' }, keywords: { en: ['Humpty'] } }),
    ]);
  });

  it('reads an XML document escaped as text the same way', async () => {
    // The CDATA sample's inner document, escaped instead: what most RPC services return in <return>.
    const inner = '<response><forms><form ObjectId="1234" Form_Name="Dummy Form"><First_Name>Humpty</First_Name></form></forms></response>';
    const escaped = inner.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const local = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' }).end(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetResponse><return>${escaped}</return></GetResponse></s:Body></s:Envelope>`);
    });
    try {
      const events: HarvestEvent[] = [];
      const config = { envelope: '<Get/>', paging: { mode: 'none' }, recordPath: 'Body/GetResponse/return/response/forms/form', fields: { identifier: '@ObjectId', title: 'First_Name' } };
      for await (const ev of harvestWithConfig(soapAdapter, { url: `${local.base}/svc`, config, http: loopbackHttp })) events.push(ev);
      expect(recordsOf(events).map((r) => [r.identifier, r.title])).toEqual([['1234', { '': 'Humpty' }]]);
    } finally {
      await local.close();
    }
  });

  it('ignores a commented-out envelope (node-soap Dummy__should_ignore_commented_envelope_in_response)', async () => {
    const { events } = await harvest(`${SAMPLES}/Dummy__should_ignore_commented_envelope_in_response/response.xml`, {
      recordPath: 'Body/DummyResponse/DummyResult/DummyList',
      fields: { identifier: 'DummyElement/@language', title: 'DummyElement' },
    });
    expect(recordsOf(events).map((r) => [r.identifier, r.title])).toEqual([['en-US', { '': 'Dummy Element Entry' }]]);
  });

  it('matches prefixed steps by declared namespace, else by the prefix written (savon list.xml)', async () => {
    const fixture = 'savon-fixtures/response/list.xml';
    const fields = { identifier: 'logTime', title: 'logText', 'description.en': 'logType' };
    const byNamespace = await harvest(fixture, { recordPath: 'Body/MultiNamespacedEntryResponse/history/c:case', namespaces: { c: 'http://www.example.com/Common/xsd' }, fields });
    expect(recordsOf(byNamespace.events).map((r) => [r.identifier, r.title[''], r.description])).toEqual([
      ['2010-09-21T18:22:01.558+10:00', 'test', { en: 'Notes Log' }],
      ['2010-09-21T18:22:07.038+10:00', 'another test', { en: 'Notes Log' }],
    ]);
    const byPrefix = await harvest(fixture, { recordPath: 'Body/MultiNamespacedEntryResponse/history/ns11:case', fields });
    expect(recordsOf(byPrefix.events).map((r) => r.title[''])).toEqual(['another test']);
    const byLocalName = await harvest(fixture, { recordPath: 'Envelope/Body/*/history/case', fields });
    expect(recordsOf(byLocalName.events)).toHaveLength(2);
  });

  it('reads SOAP-encoded arrays (savon f5.xml) and Salesforce records with xsi:type (node-soap readMetadata)', async () => {
    const f5 = await harvest('savon-fixtures/response/f5.xml', { recordPath: 'Body/get_agent_listen_addressResponse/return/item', fields: { identifier: 'transport', title: 'ipport/port', 'publisher.name': 'ipport/address' } });
    expect(recordsOf(f5.events).map((r) => [r.identifier, r.title[''], r.publisher])).toEqual([
      ['TRANSPORT_TCP6', '161', undefined],
      ['TRANSPORT_UDP6', '161', undefined],
    ]);
    const sf = await harvest(`${SAMPLES}/readMetadata__should_respect_xsi_type_attribute/response.xml`, {
      recordPath: 'Body/readMetadataResponse/result/records',
      fields: { identifier: 'fullName', title: 'fullName', keywords: 'businessProcesses/fullName', themes: '@type' },
    });
    expect(recordsOf(sf.events)).toEqual([expect.objectContaining({ identifier: 'Opportunity', keywords: { '': ['Another Process', 'Some Process'] }, themes: ['CustomObject'] })]);
  });

  it('reads default-namespace and deeply nested bodies (savon taxcloud, authentication, header; node-soap IndienenBericht, multiCall)', async () => {
    const cases: Array<[string, string, Record<string, string>, string[]]> = [
      ['savon-fixtures/response/taxcloud.xml', 'Body/LookupResponse/LookupResult/Messages/ResponseMessage', { identifier: 'ResponseType', title: 'Message' }, ['Error']],
      ['savon-fixtures/response/authentication.xml', 'Body/authenticateResponse/return', { identifier: 'authenticationValue/token', title: 'authenticationValue/client' }, ['a68d1d6379b62ff339a0e0c69ed4d9cf']],
      ['savon-fixtures/response/header.xml', 'Body/AuthenticateReply', { identifier: 'processStatus/statusCode', title: 'processStatus/statusCode' }, ['P']],
      [`${SAMPLES}/IndienenBericht__should_work_with_deeply_nested_XML_messages/response.xml`, 'Body/IndienenBerichtResponse/IndienenBerichtResult', { identifier: 'ConversatieId', title: 'TraceerId' }, ['12345']],
      [`${SAMPLES}/multiCall__rpc_stype_request_xsi_attributes/response.xml`, 'Body/multiCallResponse/multiCallReturn', { identifier: 'item', title: 'item/@type' }, ['true']],
    ];
    for (const [fixture, recordPath, fields, ids] of cases) {
      const { events, error } = await harvest(fixture, { recordPath, fields });
      expect(error, fixture).toBeUndefined();
      expect(recordsOf(events).map((r) => r.identifier), fixture).toEqual(ids);
    }
  });

  it('an empty Body is a page without records (node-soap ResponseHeaders)', async () => {
    const { events, error } = await harvest(`${SAMPLES}/ResponseHeaders__return_soap_headers/response.xml`, { recordPath: 'Body/Response/item', fields: { identifier: 'id', title: 't' } });
    expect(error).toBeUndefined();
    expect(pageOf(events)?.problems?.map((p) => p.message)).toEqual(['no record at Body/Response/item on page 1 (the Body holds <Response>)']);
  });

  it('refuses an envelope without Body (savon no_body.xml) and an MTOM multipart answer with a ParseError', async () => {
    const noBody = await harvest('savon-fixtures/response/no_body.xml', { recordPath: 'Body/x', fields: { identifier: 'id', title: 't' } });
    expect(noBody.error).toBeInstanceOf(ParseError);
    expect((noBody.error as Error).message).toContain('the Envelope has no Body');
    const mtom = await harvest(`${SAMPLES}/getAttachments__should_handle_MTOM_response/response.xml`, { recordPath: 'Body/x', fields: { identifier: 'id', title: 't' } });
    expect(mtom.error).toBeInstanceOf(ParseError);
    const mtom500 = await harvest(`${SAMPLES}/getAttachments__should_handle_MTOM_response/response.xml`, { recordPath: 'Body/x', fields: { identifier: 'id', title: 't' } }, 500);
    expect(mtom500.error).toBeInstanceOf(FetchStatusError);
  });

  it('sends a whole node-soap request envelope as the template, unchanged', async () => {
    const request = read(`${SAMPLES}/Dummy__should_handle_cdata_xml_in_response/request.xml`).toString('utf8');
    const before = bodies.length;
    const { error } = await harvest(`${SAMPLES}/Dummy__should_handle_cdata_xml_in_response/response.xml`, {
      envelope: request,
      soapAction: 'http://www.Dummy.com#Dummy',
      recordPath: 'Body/DummyResponse/DummyResult/DummyList/DummyElement/response/forms/form',
      fields: { identifier: '@ObjectId', title: 'First_Name' },
    });
    expect(error).toBeUndefined();
    expect(bodies.slice(before)).toEqual([request]);
  });
});

describe.skipIf(!present)('WSDL operations (listSoapOperations)', () => {
  const ops = (file: string) => listSoapOperations(`${server.base}/r/200/${file}`, loopbackHttp);

  it('NOAA NDFD: twelve RPC operations over SOAP 1.1', async () => {
    const list = await ops('noaa-ndfd/ndfdXML.wsdl');
    expect(list).toHaveLength(12);
    expect(list[0]).toEqual({
      service: 'ndfdXML',
      port: 'ndfdXMLPort',
      binding: 'ndfdXMLBinding',
      operation: 'NDFDgen',
      soapAction: 'http://graphical.weather.gov/xml/DWMLgen/wsdl/ndfdXML.wsdl#NDFDgen',
      soapVersion: '1.1',
      endpoint: 'http://graphical.weather.gov/xml/SOAP_server/ndfdXMLserver.php',
    });
    expect(list.map((o) => o.operation)).toContain('LatLonListCityNames');
  });

  it('SDMX 2.1: twenty-four document operations with empty SOAPActions', async () => {
    const list = await ops('sdmx-2.1-soap/SDMX-WS.wsdl');
    expect(list).toHaveLength(24);
    expect(new Set(list.map((o) => `${o.service}/${o.port}/${o.binding}/${o.soapVersion}/${o.soapAction}/${o.endpoint}`))).toEqual(
      new Set(['SdmxServiceService/SdmxService/SdmxServiceSoapBinding/1.1//http://localhost:8080/axis/services/SdmxService']),
    );
    expect(list.map((o) => o.operation)).toContain('GetGenericData');
  });

  it('savon and node-soap WSDLs: prefixes, SOAP 1.2, several services, broken service sections', async () => {
    const vies = await ops('savon-fixtures/wsdl/vies.xml');
    expect(vies.map((o) => [o.service, o.port, o.operation, o.soapAction, o.endpoint])).toEqual([
      ['checkVatService', 'checkVatPort', 'checkVat', '', 'http://ec.europa.eu/taxation_customs/vies/services/checkVatService'],
      ['checkVatService', 'checkVatPort', 'checkVatApprox', '', 'http://ec.europa.eu/taxation_customs/vies/services/checkVatService'],
    ]);
    // Its port names a binding the WSDL does not define: the binding's operations are still listed.
    const multi = await ops('savon-fixtures/wsdl/multiple_namespaces.xml');
    expect(multi.map((o) => [o.service, o.port, o.binding, o.operation, o.soapAction])).toEqual([
      [null, null, 'ArticleSoap', 'Save', 'http://example.com/actions.Save'],
      [null, null, 'ArticleSoap', 'Lookup', 'http://example.com/actions.Lookup'],
    ]);
    const services = await ops('node-soap/wsdl/multi-service.wsdl');
    expect(services.map((o) => [o.service, o.port, o.operation, o.endpoint])).toEqual([
      ['Hello_Service', 'Hello_Port', 'sayHello', 'http://localhost:8001/SayHello/'],
      ['Bye_Service', 'Bye_Port', 'sayBye', 'http://localhost:8001/SayBye/'],
      ['Bye_Service', 'Another_Bye_Port', 'sayAnotherBye', 'http://localhost:8001/SayAnotherBye/'],
    ]);
    const rpc = await ops('node-soap/wsdl/rpcexample.wsdl');
    expect(rpc).toHaveLength(13);
    expect(rpc.every((o) => o.soapVersion === '1.2' && o.soapAction === '' && o.endpoint === 'http://127.0.0.1/')).toBe(true);
    const login = await ops('node-soap/wsdl/logincms.wsdl');
    expect(login.map((o) => [o.operation, o.soapVersion, o.endpoint])).toEqual([['loginCms', '1.1', 'https://wsaahomo.afip.gov.ar/ws/services/LoginCms']]);
  });

  it('every WSDL of the node-soap samples lists at least one operation', async () => {
    const dirs = readdirSync(path.join(soapDir, SAMPLES)).filter((d) => existsSync(path.join(soapDir, SAMPLES, d, 'soap.wsdl')));
    expect(dirs.length).toBeGreaterThan(5);
    for (const d of dirs) {
      const list = await ops(`${SAMPLES}/${d}/soap.wsdl`);
      expect(list.length, d).toBeGreaterThan(0);
    }
    const vecozo = await ops(`${SAMPLES}/IndienenBericht__should_work_with_deeply_nested_XML_messages/soap.wsdl`);
    expect(new Set(vecozo.map((o) => o.soapVersion))).toEqual(new Set(['1.1', '1.2']));
  });
});
