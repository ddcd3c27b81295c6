/**
 * Conformance: CSW answers and ISO 19139 records collected in ../shared/conformance/csw (pycsw's
 * functional tests, ckanext-spatial's test records, OWSLib's and GeoNetwork's records) and SEMIC's
 * ISO 19139 → GeoDCAT-AP test cases in ../shared/conformance/geodcat-ap, read through the CSW
 * adapter's own readers and mapper; the harvest of the same records over HTTP is in
 * csw-harvest.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'n3';
import type { Quad } from 'n3';
import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { DC_RECORD_NAMES, mapDcRecord } from '../src/adapters/csw/dc.ts';
import { mapIsoRecord } from '../src/adapters/csw/iso.ts';
import type { IsoDataset } from '../src/adapters/csw/iso.ts';
import { CswExceptionError, readCapabilities, readSearchResults, recordTexts } from '../src/adapters/csw/protocol.ts';
import { at, attr } from '../src/adapters/csw/iso-xml.ts';
import { decodeXml, parseXml } from '../src/adapters/soap/xml.ts';
import type { XNode } from '../src/adapters/soap/xml.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const present = existsSync(path.join(conformance, 'csw')) && existsSync(path.join(conformance, 'geodcat-ap'));
if (!present) console.warn(`SKIPPED: ../shared/conformance/csw or geodcat-ap not found (looked in ${conformance}); CSW conformance tests did not run`);

function root(file: string): { xml: string; root: XNode } {
  const p = path.join(conformance, file);
  const xml = decodeXml(readFileSync(p), undefined, p, 'XML');
  return { xml, root: parseXml(xml, p).root };
}

/** The ISO records of a file: the document itself, or the records of a CSW answer. */
function isoRecords(file: string): Array<ReturnType<typeof mapIsoRecord>> {
  const { xml, root: r } = root(file);
  if (/Response$/.test(r.name)) {
    const results = readSearchResults(r, file);
    const texts = recordTexts(xml, results.records);
    return results.records.map((rec, i) => mapIsoRecord(rec, texts[i]));
  }
  return [mapIsoRecord(r, xml)];
}

const VALID_ISO = [
  'csw/ckanext-spatial/iso19139/dataset.xml',
  'csw/ckanext-spatial/gemini2.1/validation/04_Dataset_Valid.xml',
  'csw/ckanext-spatial/gemini2.1/validation/08_Series_Valid.xml',
  'csw/ckanext-spatial/gemini2.1/validation/12_Service_Valid.xml',
  'csw/ckanext-spatial/gemini2.1/dataset1.xml',
  'csw/ckanext-spatial/gemini2.1/service1.xml',
  'csw/ckanext-spatial/gemini2.1/service1_newer.xml',
  'csw/ckanext-spatial/gemini2.1/FCSConservancyPolygons.xml',
  'csw/ckanext-spatial/gemini2.1/source1/same_dataset.xml',
  'csw/ckanext-spatial/gemini2.1-waf/wales1.xml',
  'csw/ckanext-spatial/gemini2.1/error_validation.xml',
  // Schematron-invalid only (no format, no keyword, no level description, service type): harvested with a warning.
  'csw/ckanext-spatial/gemini2.1/validation/02_Dataset_Invalid_19139_Missing_Data_Format.xml',
  'csw/ckanext-spatial/gemini2.1/validation/03_Dataset_Invalid_GEMINI_Missing_Keyword.xml',
  'csw/ckanext-spatial/gemini2.1/validation/06_Series_Invalid_19139_Missing_Data_Format.xml',
  'csw/ckanext-spatial/gemini2.1/validation/07_Series_Invalid_GEMINI_Missing_Keyword.xml',
  'csw/ckanext-spatial/gemini2.1/validation/10_Service_Invalid_19139_Level_Description.xml',
  'csw/ckanext-spatial/gemini2.1/validation/11_Service_Invalid_GEMINI_Service_Type.xml',
  'csw/owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml',
  'csw/owslib/iso_keywords_anchor.xml',
  'csw/owslib/csw_iso_identifier.xml',
  'csw/owslib/iso19139_srv.xml',
  'csw/geonetwork/owslib-csw_dov_getrecordbyid.xml',
  'csw/pycsw/apiso/data/3e9a8c05.xml',
  'csw/pycsw/apiso/data/iso_19115-2_Sentinel-2-scene.xml',
  'csw/pycsw/apiso/data/pacioos-NS06agg.xml',
  'csw/pycsw/apiso/expected/post_GetRecordById-full.xml',
  'csw/pycsw/iso19115p3/data/auscope-iso19139-geoprovinces.xml',
  'csw/pycsw/iso19115p3/data/metawal.wallonie.be-catchments.xml',
  'geodcat-ap/inspire-mif-pilot-dk/19139metadata-50b921ea-935e-d605-2287-4ee364046795.xml',
];

/** Invalid by the ISO 19139 XSD: the record is left out with an error naming why. */
const XSD_INVALID: Array<[file: string, message: RegExp]> = [
  ['csw/ckanext-spatial/iso19139/dataset-invalid.xml', /<gmd:nosuchelement> is not an element of ISO 19139/],
  ['csw/ckanext-spatial/gemini2.1/validation/01_Dataset_Invalid_XSD_No_Such_Element.xml', /<gmd:nosuchelement> is not an element of ISO 19139/],
  ['csw/ckanext-spatial/gemini2.1/validation/05_Series_Invalid_XSD_No_Such_Element.xml', /<gmd:nosuchelement> is not an element of ISO 19139/],
  ['csw/ckanext-spatial/gemini2.1/validation/09_Service_Invalid_No_Such_Element.xml', /<gmd:nosuchelement> is not an element of ISO 19139/],
  ['csw/ckanext-spatial/gemini2.1/validation/13_Dataset_Invalid_Element_srv.xml', /a dataset record with service identification/],
];

describe.skipIf(!present)('ISO 19139 records of ../shared/conformance', () => {
  it.each(VALID_ISO)('%s gives a titled record that keeps its XML', (file) => {
    const results = isoRecords(file);
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
      const rec = r.record as IsoDataset;
      expect(rec.identifier).not.toBe('');
      expect(Object.values(rec.title).join('')).not.toBe('');
      expect(['dataset', 'series', 'service']).toContain(rec.geo.resourceType);
      // Lossless: the record's own ISO document, with the namespaces it needs to stand alone.
      expect(parseXml(rec.sourceDescription!.body, file).root.name).toMatch(/^(MD_Metadata|MI_Metadata)$/);
    }
  });

  it.each(XSD_INVALID)('%s is left out with a clear error', (file, message) => {
    const [r] = isoRecords(file);
    expect(r!.record).toBeUndefined();
    expect(r!.problems.find((p) => p.severity === 'error')?.message).toMatch(message);
  });

  it('a truncated document fails with the parser position', () => {
    expect(() => root('csw/ckanext-spatial/gemini2.1/error_bad_xml.xml')).toThrow(ParseError);
    expect(() => root('csw/ckanext-spatial/gemini2.1/error_bad_xml.xml')).toThrow(/line \d+/);
  });

  it('schematron-level gaps are warnings that name what INSPIRE misses', () => {
    const codes = (file: string) => isoRecords(file)[0]!.problems.map((p) => p.code);
    expect(codes('csw/ckanext-spatial/gemini2.1/validation/02_Dataset_Invalid_19139_Missing_Data_Format.xml')).toContain('iso_no_format');
    expect(codes('csw/ckanext-spatial/gemini2.1/validation/03_Dataset_Invalid_GEMINI_Missing_Keyword.xml')).toContain('iso_no_keyword');
    expect(codes('csw/ckanext-spatial/gemini2.1/validation/11_Service_Invalid_GEMINI_Service_Type.xml')).toContain('iso_service_type');
  });

  it('an ISO-8859-1 record is decoded from its XML declaration', () => {
    const rec = isoRecords('csw/owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml')[0]!.record!;
    expect(JSON.stringify(rec)).not.toContain('\ufffd');
  });

  it('a service record keeps its type, the datasets it serves and its endpoints', () => {
    const rec = isoRecords('csw/owslib/csw_iso_identifier.xml')[0]!.record!;
    expect(rec.geo.resourceType).toBe('dataset');
    const srv = isoRecords('csw/owslib/iso19139_srv.xml')[0]!.record!;
    expect(srv.geo.resourceType).toBe('service');
    expect(srv.geo.serviceType).toBeDefined();
    expect(srv.distributions.length).toBeGreaterThan(0);
  });

  it('a service names the datasets it serves by srv:coupledResource too (GEMINI 2.1 valid service record)', () => {
    const file = 'csw/ckanext-spatial/gemini2.1/validation/12_Service_Valid.xml';
    const eidc = 'CEH:EIDC:#1300181654668';
    const gateway =
      'https://gateway.ceh.ac.uk/soapServices/CSWStartup?Service=CSW&Request=GetRecordById&Version=2.0.2&outputSchema=http://www.isotc211.org/2005/gmd&elementSetname=full&id=337f9dea-726e-40c7-9f9b-e269911c9db6';
    const rec = isoRecords(file)[0]!.record!;
    expect(rec.geo.coupledResources).toEqual([
      { identifier: eidc, operation: 'GetMap' },
      { identifier: gateway, operation: 'GetMap' },
    ]);
    // The record names the same two datasets both ways: each once.
    expect(rec.dataService!.servesDataset).toEqual([eidc, gateway].sort());
    // The same record without its srv:operatesOn still serves both, by its coupled resources alone.
    const { xml } = root(file);
    const stripped = xml.replace(/<srv:operatesOn\b[^>]*\/>/g, '');
    expect(stripped).not.toContain('operatesOn');
    const alone = mapIsoRecord(parseXml(stripped, file).root, stripped).record!;
    expect(alone.dataService!.servesDataset).toEqual([eidc, gateway].sort());
    expect(alone.geo.operatesOn).toEqual([eidc, gateway]);
  });

  /** Every ISO record of ../shared/conformance that maps without error, with its file. */
  function allIsoRecords(): Array<{ file: string; node: XNode; result: ReturnType<typeof mapIsoRecord> }> {
    const files = (readdirSync(conformance, { recursive: true }) as string[]).filter((f) => /^(csw|geodcat-ap)\//.test(f) && f.endsWith('.xml')).sort();
    const out: Array<{ file: string; node: XNode; result: ReturnType<typeof mapIsoRecord> }> = [];
    for (const file of files) {
      let r: XNode;
      let xml: string;
      try {
        ({ xml, root: r } = root(file));
      } catch {
        continue; // error_bad_xml.xml: truncated on purpose (tested above)
      }
      const records = /Response$/.test(r.name) && r.name !== 'ExceptionReport' ? readSearchResults(r, file).records : [r];
      for (const node of records) if (/^(MD_Metadata|MI_Metadata)$/.test(node.name)) out.push({ file, node, result: mapIsoRecord(node, xml) });
    }
    return out;
  }

  it('every service record maps to a data service with its endpoints, type and served datasets', () => {
    const services = allIsoRecords().filter(({ node, result }) => at(node, 'identificationInfo/SV_ServiceIdentification').length > 0 && at(node, 'identificationInfo/MD_DataIdentification').length === 0 && result.record !== undefined);
    // ckanext-spatial's 8 valid service records, pycsw's (4 answers and its data file), OWSLib's, SEMIC's 2.
    expect(services.length).toBeGreaterThanOrEqual(14);
    for (const { file, node, result } of services) {
      const svc = result.record!.dataService;
      expect(svc, file).toBeDefined();
      expect(result.record!.type, file).toBe('http://inspire.ec.europa.eu/metadata-codelist/ResourceType/service');
      expect(svc!.endpointUrl.length, file).toBeGreaterThan(0);
      for (const u of svc!.endpointUrl) expect(u, file).toMatch(/^https?:\/\/[^?]+/);
      expect(svc!.type, file).toBeDefined();
      // The served datasets: each srv:operatesOn that names one (uuidref, else its link), and each srv:coupledResource's identifier, as given.
      const refs = at(node, 'identificationInfo/SV_ServiceIdentification/operatesOn')
        .map((o) => [attr(o, 'uuidref'), attr(o, 'href')].map((x) => x?.trim()).find((x) => x !== undefined && x !== ''))
        .filter((x): x is string => x !== undefined);
      for (const c of at(node, 'identificationInfo/SV_ServiceIdentification/coupledResource/SV_CoupledResource/identifier/CharacterString')) refs.push(c.text.trim());
      expect(svc!.servesDataset ?? [], file).toEqual([...new Set(refs)].sort());
    }
    expect(services.filter((s) => (s.result.record!.dataService!.servesDataset ?? []).length > 0).length).toBeGreaterThanOrEqual(8);
    // A record describing a dataset (its first identification) is never a data service.
    for (const { file, result } of allIsoRecords()) if (result.record !== undefined && result.record.geo.resourceType !== 'service') expect(result.record.dataService, file).toBeUndefined();
  });

  it("SEMIC's network service: endpoint URL, endpoint description and the WMS standard as the reference output gives them", () => {
    const base = 'geodcat-ap/semic-iso-19139-to-dcat-ap/test-cases/network-service';
    const rec = isoRecords(`${base}/input.xml`)[0]!.record!;
    const expected = new Parser().parse(readFileSync(path.join(conformance, base, 'expected_output.ttl'), 'utf8'));
    const svcNode = expected.find((q) => q.predicate.value === 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type' && q.object.value === 'http://www.w3.org/ns/dcat#DataService')!.subject;
    const of = (p: string) => expected.filter((q) => q.subject.equals(svcNode) && q.predicate.value === p).map((q) => q.object.value).sort();
    expect(rec.dataService!.endpointUrl).toEqual(of('http://www.w3.org/ns/dcat#endpointURL'));
    expect(rec.dataService!.endpointDescription).toEqual(of('http://www.w3.org/ns/dcat#endpointDescription'));
    expect(rec.dataService!.type).toBe(of('http://data.europa.eu/930/serviceType')[0]);
    expect(rec.dataService!.conformsTo).toEqual(of('http://data.europa.eu/930/serviceProtocol').map((uri) => ({ uri })));
    expect(rec.dataService!.servesDataset).toEqual(['https://geonetwork.epsilon-italia.it/geonetwork/srv/api/records/65273ef8-d29a-41d2-bbe6-308f8379dd05/formatters/xml?approved=true']);
  });

  it('multilingual ISO keeps every language (PT_FreeText)', () => {
    const rec = isoRecords('geodcat-ap/semic-iso-19139-to-dcat-ap/test-cases/multilingual-metadata/input.xml')[0]!.record!;
    expect(Object.keys(rec.title).sort()).toEqual(['cs', 'en', 'fr']);
    expect(rec.title.fr).toBe('Service de téléchargement ATOM pour Data50');
    expect(rec.keywords.fr).toContain('Réseaux de transport');
    expect(rec.publisher?.name?.en).toBe('Czech Office for Surveying, Mapping and Cadastre');
    expect(rec.geo.conformity[0]?.explanation?.fr).toMatch(/^Test de conformité/);
  });
});

// ---------------------------------------------------------------------------------------------
// SEMIC's test cases: what the reference XSLT produced for the same inputs

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const CASES = ['basic_dataset', 'distributorinfo-multiple', 'hvd_dataset_multilingual', 'hvd_dataset_non_multilingual', 'identifiers-anchor', 'multilingual-metadata', 'network-service', 'transfersize-bytesize'];

function expected(name: string): { quads: Quad[]; subject: string } {
  const ttl = readFileSync(path.join(conformance, 'geodcat-ap/semic-iso-19139-to-dcat-ap/test-cases', name, 'expected_output.ttl'), 'utf8');
  const quads = new Parser().parse(ttl);
  const typed = (t: string) => quads.find((q) => q.predicate.value === RDF_TYPE && q.object.value === t)?.subject.value;
  return { quads, subject: (typed(`${DCAT}Dataset`) ?? typed(`${DCAT}DataService`) ?? typed(`${DCAT}DatasetSeries`)) as string };
}

describe.skipIf(!present)("SEMIC's ISO 19139 → GeoDCAT-AP test cases", () => {
  it.each(CASES)('%s: title, description, dates, INSPIRE themes and byte sizes as the reference mapping', (name) => {
    const { quads, subject } = expected(name);
    const rec = isoRecords(`geodcat-ap/semic-iso-19139-to-dcat-ap/test-cases/${name}/input.xml`)[0]!.record!;
    const values = (s: string, p: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object);
    for (const t of values(subject, `${DCT}title`)) expect(rec.title[(t as { language: string }).language]).toBe(t.value);
    for (const t of values(subject, `${DCT}description`)) expect(rec.description[(t as { language: string }).language]).toBe(t.value);
    const issued = values(subject, `${DCT}issued`)[0]?.value;
    if (issued !== undefined) expect(rec.issued).toBe(issued);
    const modified = values(subject, `${DCT}modified`)[0]?.value;
    if (modified !== undefined) expect(rec.modified).toBe(modified);
    const created = values(subject, `${DCT}created`)[0]?.value;
    if (created !== undefined) expect(rec.geo.created).toBe(created);
    for (const theme of values(subject, `${DCAT}theme`).map((o) => o.value.replace(/^https:/, 'http:'))) {
      if (theme.startsWith('http://inspire.ec.europa.eu/theme/')) expect(rec.themes).toContain(theme);
    }
    const sizes = quads.filter((q) => q.predicate.value === `${DCAT}byteSize`).map((q) => Number(q.object.value));
    for (const size of sizes) expect(rec.distributions.map((d) => d.byteSize)).toContain(size);
    const endpoints = quads.filter((q) => q.predicate.value === `${DCAT}endpointURL`).map((q) => q.object.value);
    for (const e of endpoints) expect([...rec.distributions.map((d) => d.accessUrl), ...rec.geo.accessServices.map((s) => s.endpointUrl)].some((u) => u?.startsWith(e))).toBe(true);
    // Bounding box: the same WKT ring (SEMIC writes it from the north-west corner).
    const wkt = quads.find((q) => q.object.termType === 'Literal' && q.object.datatype.value.endsWith('wktLiteral'))?.object.value;
    if (wkt !== undefined) {
      const corners = (s: string) => new Set([...s.matchAll(/(-?[\d.]+) (-?[\d.]+)/g)].map((m) => `${Number(m[1])} ${Number(m[2])}`));
      expect(corners(rec.geo.geometries[0]!.wkt)).toEqual(corners(wkt));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// pycsw's answers: capabilities, paging attributes, exception reports

describe.skipIf(!present)("pycsw's CSW answers", () => {
  it('reads the capabilities of CSW 2.0.2 and 3.0 services', () => {
    const apiso = readCapabilities(root('csw/pycsw/apiso/expected/post_GetCapabilities.xml').root, 'x');
    expect(apiso.versions).toContain('2.0.2');
    expect(apiso.outputSchemas).toContain('http://www.isotc211.org/2005/gmd');
    expect(apiso.constraintLanguages).toEqual(['CQL_TEXT', 'FILTER']);
    expect(apiso.typeNames).toContain('gmd:MD_Metadata');
    expect(apiso.getRecords.post).toMatch(/^http:\/\/localhost\/pycsw\/csw\.py/);
    const v3 = readCapabilities(root('csw/pycsw/csw30/expected/post_GetCapabilities.xml').root, 'x');
    expect(v3.versions).toEqual(['2.0.2', '3.0.0']);
    expect(v3.getRecords.get).toBeDefined();
    const inspire = readCapabilities(root('csw/pycsw/apiso-inspire/expected/get_GetCapabilities.xml').root, 'x');
    expect(inspire.outputSchemas.length).toBeGreaterThan(0);
  });

  it.each([
    ['csw/pycsw/default/expected/post_GetRecords-all.xml', 12, 5, 6],
    ['csw/pycsw/default/expected/post_GetRecords-end.xml', 12, 3, 0],
    ['csw/pycsw/default/expected/get_GetRecords-all.xml', 12, 0, 11],
    ['csw/pycsw/csw30/expected/get_13c87956-51a4-4780-a8e9-6e0b5c0bb473.xml', 12, 10, 11],
    ['csw/pycsw/csw30/expected/get_92d4844d-57d5-4cf3-8f47-ba50e369dc04.xml', 0, 0, 0],
    ['csw/pycsw/csw30/expected/get_f1223a49-6d08-44ff-97fe-4c32cbbfad82.xml', 1, 0, 0],
  ])('%s: matched %i, returned %i, next %i', (file, matched, returned, next) => {
    const r = readSearchResults(root(file).root, file);
    expect([r.matched, r.returned, r.nextRecord, r.records.length]).toEqual([matched, returned, next, returned]);
  });

  it.each([
    ['csw/pycsw/default/expected/post_Exception-GetRecords-invalid-xml.xml', /ExceptionReport.*NoApplicableCode/],
    ['csw/pycsw/csw30/expected/post_Exception-GetRecordById-404.xml', /NotFound \(id\): No repository item found for 'does_not_exist'/],
    ['csw/pycsw/default/expected/get_GetCapabilities-invalid-request.xml', /ExceptionReport/],
  ])('%s fails with the report text', (file, message) => {
    const r = root(file).root;
    expect(() => readSearchResults(r, file)).toThrow(CswExceptionError);
    expect(() => readSearchResults(r, file)).toThrow(message);
  });

  it.each([
    ['csw/pycsw/default/expected/post_GetRecords-all.xml', 5],
    ['csw/pycsw/default/expected/post_GetRecords-end.xml', 3],
    ['csw/pycsw/default/expected/post_GetRecords-maxrecords.xml', 1],
    ['csw/pycsw/default/expected/get_GetRecords-sortby-asc.xml', 10],
    ['csw/pycsw/default/expected/post_GetRecordById.xml', 1],
    ['csw/pycsw/apiso/expected/post_GetRecordById-full-dc.xml', 1],
    ['csw/pycsw/csw30/expected/post_GetRecordById-dc-full.xml', 1],
  ])('%s: every Dublin Core record maps (%i), the untitled ones fail with missing_title', (file, count) => {
    const { xml, root: r } = root(file);
    const results = readSearchResults(r, file);
    const texts = recordTexts(xml, results.records);
    const dc = results.records.filter((n) => DC_RECORD_NAMES.has(n.name));
    expect(dc).toHaveLength(count);
    for (const [i, node] of results.records.entries()) {
      const m = mapDcRecord(node, texts[i]);
      const hasTitle = at(node, 'title').some((t) => t.text.trim() !== '');
      if (!hasTitle) {
        expect(m.record, file).toBeUndefined();
        expect(m.problems.map((p) => p.code)).toEqual(['missing_title']);
        continue;
      }
      expect(m.problems.filter((p) => p.severity === 'error'), file).toEqual([]);
      expect(m.record!.identifier).toBe(at(node, 'identifier')[0]!.text.trim());
      expect(parseXml(m.record!.sourceDescription!.body, file).root.name).toBe(node.name);
    }
  });

  it("pycsw's full Dublin Core record of a PacIOOS dataset: keywords, links, language, date and the latitude-first box", () => {
    const { xml, root: r } = root('csw/pycsw/apiso/expected/post_GetRecordById-full-dc.xml');
    const node = readSearchResults(r, 'x').records[0]!;
    const rec = mapDcRecord(node, recordTexts(xml, [node])[0]).record!;
    expect(rec).toMatchObject({
      identifier: 'NS06agg',
      title: { '': 'PacIOOS Nearshore Sensor 06: Pohnpei, Micronesia' },
      type: 'dataset',
      modified: '2014-04-16',
      language: ['http://publications.europa.eu/resource/authority/language/ENG'],
      spatial: ['POLYGON((158.22 6.96, 158.22 6.96, 158.22 6.96, 158.22 6.96, 158.22 6.96))'],
    });
    expect(rec.description['']).toMatch(/^The nearshore sensors are part of/);
    // 21 subjects, one given twice.
    expect(rec.keywords['']).toHaveLength(20);
    expect(rec.keywords['']).toContain('Oceans > Ocean Chemistry > Chlorophyll');
    expect(rec.distributions).toHaveLength(8);
    expect(rec.distributions.every((d) => d.format === 'WWW:LINK')).toBe(true);
  });

  it('every ISO record of the apiso answers is harvested, cut from the answer byte for byte', () => {
    const { xml, root: r } = root('csw/pycsw/apiso/expected/post_GetRecords-all.xml');
    const results = readSearchResults(r, 'x');
    const texts = recordTexts(xml, results.records);
    expect(texts).toHaveLength(5);
    const mapped = results.records.map((rec, i) => mapIsoRecord(rec, texts[i]));
    expect(mapped.map((m) => m.record?.identifier)).toEqual(['3e9a8c05', '366f6257-19eb-4f20-ba78-0698ac4aae77', '75a7eb5e-336e-453d-ab06-209b1070d396', 'a7308c0a-b748-48e2-bab7-0a608a51d416', '0173e0d7-6ea9-4407-b846-f29d6bfa9903']);
    // The text is the server's own, plus the namespace declarations inherited from the envelope.
    expect(texts[0]).toContain('<gco:CharacterString>3e9a8c05</gco:CharacterString>');
    expect(texts[0]).toMatch(/^<gmd:MD_Metadata [^>]*xmlns:gco="http:\/\/www\.isotc211\.org\/2005\/gco"/);
  });
});
