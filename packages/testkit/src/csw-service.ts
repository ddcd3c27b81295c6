import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

/**
 * An OGC CSW 2.0.2 catalogue service on loopback, for the CSW adapter's tests, the end-to-end and
 * crash tests, and the bench. It answers GetCapabilities, GetRecords (KVP GET and XML POST,
 * paged by startPosition/maxRecords with numberOfRecordsMatched and nextRecord) and
 * GetRecordById, in ISO 19139 (`gmd`), DCAT and Dublin Core (`csw:Record`) output schemas, from the records it is given
 * (real ones from ../shared/conformance, or generated ones), and misbehaves on request.
 */

export const CSW_NS = 'http://www.opengis.net/cat/csw/2.0.2';
export const GMD_SCHEMA = 'http://www.isotc211.org/2005/gmd';
export const DCAT_SCHEMA = 'http://www.w3.org/ns/dcat#';

/** One catalogue record: its identifier and its XML in each output schema the service offers (no XML declaration). */
export interface CswServiceRecord {
  id: string;
  iso?: string;
  dcat?: string;
  /** Dublin Core (csw:Record), the CSW default output schema: always offered. */
  dc?: string;
}

export interface CswServiceOptions {
  records: CswServiceRecord[];
  /** Output schemas the capabilities offer besides Dublin Core (which every CSW server offers); default both. */
  schemas?: Array<'iso' | 'dcat'>;
  /** GetRecords over POST, GET or both (default both). */
  methods?: Array<'get' | 'post'>;
  /** Returned pages hold at most this many records whatever is asked. */
  capPageSize?: number;
  /** Wait this long before each GetRecords answer, in ms (read per request). */
  delayMs?: number;
  /** numberOfRecordsMatched as announced, when set (a catalogue that changes during a harvest). */
  matched?: number;
  /** Records hidden from the listing from now on (by identifier). */
  hidden?: Set<string>;
  /** nextRecord as announced for a request starting at the key, overriding the right value. */
  nextRecord?: Map<number, number>;
  /** SearchResults attributes left out of every GetRecords answer (a server that does not say where the next page starts, or how many records it holds). */
  omit?: Array<'nextRecord' | 'numberOfRecordsReturned' | 'numberOfRecordsMatched'>;
  /** Requests starting at the key answered by this ows:ExceptionReport text and HTTP status. */
  exceptions?: Map<number, { status: number; text: string }>;
  /** Called with the startPosition of each GetRecords before it is answered (a catalogue edited mid-harvest). */
  onGetRecords?: (startPosition: number) => void;
  /** Advertise this GetRecords URL in the capabilities instead of the service's own. */
  advertisedUrl?: string;
  /**
   * Awaited between a GetRecords answer's SearchResults start tag and its records (a page whose
   * records come late: held, for instance, until a request asked ahead has arrived).
   */
  beforeRecords?: (startPosition: number) => Promise<void> | void;
  /** Answers the GetRecords request starting at the key itself (a broken page: cut off, HTML, NUL bytes). */
  brokenPages?: Map<number, (res: ServerResponse) => void>;
}

export interface SeenCswRequest {
  method: string;
  request: string;
  startPosition?: number;
  maxRecords?: number;
  outputSchema?: string;
  /** The POST body or the query string. */
  body: string;
  status: number;
  /** performance.now() when the request arrived, and when the last byte of the answer was handed to the socket. */
  receivedAt: number;
  finishedAt?: number;
}

export interface CswService {
  /** The endpoint: `http://127.0.0.1:<port>/csw`. */
  url: string;
  requests: SeenCswRequest[];
  options: CswServiceOptions;
  /** startPosition of every GetRecords, in order. */
  starts(): number[];
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function capabilities(url: string, o: CswServiceOptions): string {
  const schemas = (o.schemas ?? ['iso', 'dcat']).map((s) => (s === 'iso' ? GMD_SCHEMA : DCAT_SCHEMA));
  const methods = o.methods ?? ['get', 'post'];
  const href = esc(o.advertisedUrl ?? url);
  const dcp = `<ows:DCP><ows:HTTP>${methods.includes('get') ? `<ows:Get xlink:href="${href}"/>` : ''}${methods.includes('post') ? `<ows:Post xlink:href="${href}"/>` : ''}</ows:HTTP></ows:DCP>`;
  const values = (vs: string[]) => vs.map((v) => `<ows:Value>${esc(v)}</ows:Value>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<csw:Capabilities xmlns:csw="${CSW_NS}" xmlns:ows="http://www.opengis.net/ows" xmlns:xlink="http://www.w3.org/1999/xlink" version="2.0.2">` +
    `<ows:ServiceIdentification><ows:Title>Géoportail de test — بوابة</ows:Title><ows:ServiceType>CSW</ows:ServiceType><ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion></ows:ServiceIdentification>` +
    `<ows:ServiceProvider><ows:ProviderName>Hasad testkit</ows:ProviderName></ows:ServiceProvider>` +
    `<ows:OperationsMetadata><ows:Operation name="GetCapabilities">${dcp}</ows:Operation>` +
    `<ows:Operation name="GetRecords">${dcp}<ows:Parameter name="outputSchema">${values([CSW_NS, ...schemas])}</ows:Parameter>` +
    `<ows:Parameter name="typeNames">${values(['csw:Record', 'gmd:MD_Metadata'])}</ows:Parameter><ows:Parameter name="CONSTRAINTLANGUAGE">${values(['FILTER', 'CQL_TEXT'])}</ows:Parameter></ows:Operation>` +
    `<ows:Operation name="GetRecordById">${dcp}<ows:Parameter name="outputSchema">${values([CSW_NS, ...schemas])}</ows:Parameter></ows:Operation>` +
    `</ows:OperationsMetadata></csw:Capabilities>`
  );
}

function exceptionReport(text: string, code = 'NoApplicableCode'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0"><ows:Exception exceptionCode="${esc(code)}"><ows:ExceptionText>${esc(text)}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>`;
}

/** A parameter of the request: an XML attribute of the POST body, or a KVP (case-insensitive). */
function param(body: string, query: URLSearchParams, name: string): string | undefined {
  for (const [k, v] of query) if (k.toLowerCase() === name.toLowerCase()) return v;
  return new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(body)?.[1];
}

/** Starts the service on 127.0.0.1 and a random port; `/csw` answers. */
export async function startCswService(options: CswServiceOptions): Promise<CswService> {
  const requests: SeenCswRequest[] = [];
  let url = '';
  const server = createServer(async (req, res) => {
    const receivedAt = performance.now();
    res.on('finish', () => (seen.finishedAt = performance.now()));
    const body = req.method === 'POST' ? await text(req) : '';
    const u = new URL(req.url ?? '/', 'http://x');
    const o = service.options;
    const request = param(body, u.searchParams, 'request') ?? /<(?:\w+:)?(GetRecords|GetRecordById|GetCapabilities)[\s>]/.exec(body)?.[1] ?? '';
    const send = (status: number, xml: string) => {
      seen.status = status;
      res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' }).end(xml);
    };
    const seen: SeenCswRequest = { method: req.method ?? 'GET', request, body: req.method === 'POST' ? body : u.search, status: 200, receivedAt };
    requests.push(seen);
    if (u.pathname !== '/csw') return send(404, exceptionReport(`no service at ${u.pathname}`));
    if (req.method === 'POST' && !(o.methods ?? ['get', 'post']).includes('post')) return send(405, exceptionReport('POST is not supported'));
    if (request === 'GetCapabilities') return send(200, capabilities(url, o));
    const schema = param(body, u.searchParams, 'outputSchema') ?? CSW_NS;
    seen.outputSchema = schema;
    const key: 'iso' | 'dcat' | 'dc' | undefined = schema === GMD_SCHEMA ? 'iso' : schema === DCAT_SCHEMA ? 'dcat' : schema === CSW_NS ? 'dc' : undefined;
    if (key === undefined || (key !== 'dc' && !(o.schemas ?? ['iso', 'dcat']).includes(key))) return send(400, exceptionReport(`outputSchema ${schema} is not supported`, 'InvalidParameterValue'));
    if (request === 'GetRecordById') {
      const visible = o.records.filter((r) => !o.hidden?.has(r.id));
      const id = param(body, u.searchParams, 'id') ?? /<(?:\w+:)?Id>([^<]*)</.exec(body)?.[1];
      const rec = visible.find((r) => r.id === id);
      return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordByIdResponse xmlns:csw="${CSW_NS}">${rec?.[key] ?? ''}</csw:GetRecordByIdResponse>`);
    }
    if (request !== 'GetRecords') return send(400, exceptionReport(`request ${JSON.stringify(request)} is not supported`, 'OperationNotSupported'));
    const start = Number(param(body, u.searchParams, 'startPosition') ?? '1');
    const max = Number(param(body, u.searchParams, 'maxRecords') ?? '10');
    seen.startPosition = start;
    seen.maxRecords = max;
    o.onGetRecords?.(start);
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    const exception = o.exceptions?.get(start);
    if (exception !== undefined) return send(exception.status, exceptionReport(exception.text));
    const broken = o.brokenPages?.get(start);
    if (broken !== undefined) return broken(res);
    const visible = o.records.filter((r) => !o.hidden?.has(r.id));
    const size = Math.min(max, o.capPageSize ?? Number.POSITIVE_INFINITY);
    const page = visible.slice(start - 1, start - 1 + size);
    const matched = o.matched ?? visible.length;
    const after = start + page.length;
    const next = o.nextRecord?.get(start) ?? (after > matched ? 0 : after);
    res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
    res.write(
      `<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="${CSW_NS}" xmlns:gmd="${GMD_SCHEMA}" xmlns:gco="http://www.isotc211.org/2005/gco" version="2.0.2">` +
        `<csw:SearchStatus timestamp="${new Date().toISOString()}"/>` +
        `<csw:SearchResults${o.omit?.includes('numberOfRecordsMatched') ? '' : ` numberOfRecordsMatched="${matched}"`}${o.omit?.includes('numberOfRecordsReturned') ? '' : ` numberOfRecordsReturned="${page.length}"`}${o.omit?.includes('nextRecord') ? '' : ` nextRecord="${next}"`} recordSchema="${schema}" elementSet="full">`,
    );
    await o.beforeRecords?.(start);
    for (const r of page) res.write(r[key] ?? '');
    res.end('</csw:SearchResults></csw:GetRecordsResponse>');
  });
  // Longer than Hasad's longest pause between two pages on a loaded machine: an idle connection
  // closed by the server just as the next POST is sent would reset it (POSTs are not retried).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/csw`;
  const service: CswService = {
    url,
    requests,
    options,
    starts: () => requests.filter((r) => r.request === 'GetRecords').map((r) => r.startPosition ?? 1),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return service;
}

/** Identifier and titles of generated record `i`. */
export const cswRecordId = (i: number) => `geo-${String(i).padStart(5, '0')}`;
export const cswTitleFr = (i: number) => `Carte d'occupation des sols n° ${i}`;
export const cswTitleAr = (i: number) => `خريطة استخدام الأراضي رقم ${i}`;

/**
 * A generated ISO 19139 dataset record, bilingual (French main language, Arabic locale), with
 * the elements a ministry's geoportal fills in: keywords (one an INSPIRE theme), a bounding box,
 * dates, constraints, a contact and two online resources (a WMS and a download).
 */
export function isoRecord(i: number): string {
  const id = cswRecordId(i);
  const ls = (fr: string, ar: string) =>
    `<gco:CharacterString>${esc(fr)}</gco:CharacterString><gmd:PT_FreeText><gmd:textGroup><gmd:LocalisedCharacterString locale="#locale-ar">${esc(ar)}</gmd:LocalisedCharacterString></gmd:textGroup></gmd:PT_FreeText>`;
  const w = -9 + (i % 5);
  return (
    `<gmd:MD_Metadata xmlns:gmd="${GMD_SCHEMA}" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gml="http://www.opengis.net/gml/3.2">` +
    `<gmd:fileIdentifier><gco:CharacterString>${id}</gco:CharacterString></gmd:fileIdentifier>` +
    `<gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre</gmd:LanguageCode></gmd:language>` +
    `<gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>` +
    `<gmd:contact><gmd:CI_ResponsibleParty><gmd:organisationName>${ls('Ministère de l’Agriculture', 'وزارة الفلاحة')}</gmd:organisationName><gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address><gmd:electronicMailAddress><gco:CharacterString>sig@agriculture.example.ma</gco:CharacterString></gmd:electronicMailAddress></gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo><gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="pointOfContact"/></gmd:role></gmd:CI_ResponsibleParty></gmd:contact>` +
    `<gmd:dateStamp><gco:DateTime>2024-03-${String((i % 28) + 1).padStart(2, '0')}T10:00:00</gco:DateTime></gmd:dateStamp>` +
    `<gmd:locale><gmd:PT_Locale id="locale-ar"><gmd:languageCode><gmd:LanguageCode codeList="x" codeListValue="ara">ara</gmd:LanguageCode></gmd:languageCode><gmd:characterEncoding><gmd:MD_CharacterSetCode codeList="x" codeListValue="utf8"/></gmd:characterEncoding></gmd:PT_Locale></gmd:locale>` +
    `<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation><gmd:title>${ls(cswTitleFr(i), cswTitleAr(i))}</gmd:title>` +
    `<gmd:date><gmd:CI_Date><gmd:date><gco:Date>2023-01-15</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="publication"/></gmd:dateType></gmd:CI_Date></gmd:date>` +
    `<gmd:date><gmd:CI_Date><gmd:date><gco:Date>2024-02-${String((i % 28) + 1).padStart(2, '0')}</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="revision"/></gmd:dateType></gmd:CI_Date></gmd:date>` +
    `<gmd:identifier><gmd:MD_Identifier><gmd:code><gco:CharacterString>https://geo.example.ma/id/${id}</gco:CharacterString></gmd:code></gmd:MD_Identifier></gmd:identifier></gmd:CI_Citation></gmd:citation>` +
    `<gmd:abstract>${ls(`Occupation des sols de la zone ${i} & environs, relevée par télédétection.`, `استخدام الأراضي في المنطقة ${i}`)}</gmd:abstract>` +
    `<gmd:pointOfContact><gmd:CI_ResponsibleParty><gmd:organisationName>${ls('Direction de la cartographie', 'مديرية الخرائط')}</gmd:organisationName><gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="publisher"/></gmd:role></gmd:CI_ResponsibleParty></gmd:pointOfContact>` +
    `<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword><gmx:Anchor xlink:href="http://inspire.ec.europa.eu/theme/lu">Usage des sols</gmx:Anchor></gmd:keyword><gmd:thesaurusName><gmd:CI_Citation><gmd:title><gco:CharacterString>GEMET - INSPIRE themes, version 1.0</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:thesaurusName></gmd:MD_Keywords></gmd:descriptiveKeywords>` +
    `<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword>${ls('agriculture', 'فلاحة')}</gmd:keyword><gmd:keyword>${ls(`zone ${i % 7}`, `منطقة ${i % 7}`)}</gmd:keyword></gmd:MD_Keywords></gmd:descriptiveKeywords>` +
    `<gmd:resourceConstraints><gmd:MD_LegalConstraints><gmd:accessConstraints><gmd:MD_RestrictionCode codeList="x" codeListValue="otherRestrictions"/></gmd:accessConstraints><gmd:otherConstraints><gmx:Anchor xlink:href="http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations">Pas de restriction d’accès public</gmx:Anchor></gmd:otherConstraints></gmd:MD_LegalConstraints></gmd:resourceConstraints>` +
    `<gmd:resourceConstraints><gmd:MD_LegalConstraints><gmd:useConstraints><gmd:MD_RestrictionCode codeList="x" codeListValue="otherRestrictions"/></gmd:useConstraints><gmd:otherConstraints><gmx:Anchor xlink:href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</gmx:Anchor></gmd:otherConstraints></gmd:MD_LegalConstraints></gmd:resourceConstraints>` +
    `<gmd:language><gmd:LanguageCode codeList="x" codeListValue="fre">fre</gmd:LanguageCode></gmd:language><gmd:language><gmd:LanguageCode codeList="x" codeListValue="ara">ara</gmd:LanguageCode></gmd:language>` +
    `<gmd:topicCategory><gmd:MD_TopicCategoryCode>planningCadastre</gmd:MD_TopicCategoryCode></gmd:topicCategory>` +
    `<gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox><gmd:westBoundLongitude><gco:Decimal>${w}</gco:Decimal></gmd:westBoundLongitude><gmd:eastBoundLongitude><gco:Decimal>${w + 1}</gco:Decimal></gmd:eastBoundLongitude><gmd:southBoundLatitude><gco:Decimal>30</gco:Decimal></gmd:southBoundLatitude><gmd:northBoundLatitude><gco:Decimal>31.5</gco:Decimal></gmd:northBoundLatitude></gmd:EX_GeographicBoundingBox></gmd:geographicElement>` +
    `<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="t${i}"><gml:beginPosition>2020-01-01</gml:beginPosition><gml:endPosition>2023-12-31</gml:endPosition></gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement></gmd:EX_Extent></gmd:extent>` +
    `</gmd:MD_DataIdentification></gmd:identificationInfo>` +
    `<gmd:distributionInfo><gmd:MD_Distribution><gmd:distributionFormat><gmd:MD_Format><gmd:name><gco:CharacterString>GeoPackage</gco:CharacterString></gmd:name><gmd:version><gco:CharacterString>1.2</gco:CharacterString></gmd:version></gmd:MD_Format></gmd:distributionFormat>` +
    `<gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://geo.example.ma/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>OGC:WMS</gco:CharacterString></gmd:protocol><gmd:name><gco:CharacterString>occupation_sols_${i}</gco:CharacterString></gmd:name></gmd:CI_OnlineResource></gmd:onLine>` +
    `<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://geo.example.ma/files/${id}.gpkg</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>WWW:DOWNLOAD-1.0-http--download</gco:CharacterString></gmd:protocol><gmd:function><gmd:CI_OnLineFunctionCode codeList="x" codeListValue="download"/></gmd:function></gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>` +
    `<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:lineage><gmd:LI_Lineage><gmd:statement>${ls('Numérisé à partir d’images satellitaires.', 'رقمنة من صور الأقمار الصناعية')}</gmd:statement></gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>` +
    `</gmd:MD_Metadata>`
  );
}

/** The same record as GeoNetwork's DCAT output schema gives it (RDF/XML). */
export function dcatRecord(i: number): string {
  const id = cswRecordId(i);
  return (
    `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="${DCAT_SCHEMA}" xmlns:dct="http://purl.org/dc/terms/">` +
    `<dcat:Dataset rdf:about="https://geo.example.ma/id/${id}"><dct:identifier>${id}</dct:identifier>` +
    `<dct:title xml:lang="fr">${esc(cswTitleFr(i))}</dct:title><dct:title xml:lang="ar">${esc(cswTitleAr(i))}</dct:title>` +
    `<dct:description xml:lang="fr">Occupation des sols de la zone ${i}</dct:description>` +
    `<dcat:distribution><dcat:Distribution><dcat:accessURL rdf:resource="https://geo.example.ma/files/${id}.gpkg"/></dcat:Distribution></dcat:distribution>` +
    `</dcat:Dataset></rdf:RDF>`
  );
}

/**
 * The same record as a CSW server's Dublin Core output gives it (csw:Record, full element set):
 * the box in EPSG:4326 with latitude first, as CSW 2.0.2 servers write it.
 */
export function dcRecord(i: number): string {
  const id = cswRecordId(i);
  const w = -9 + (i % 5);
  return (
    `<csw:Record xmlns:csw="${CSW_NS}" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/" xmlns:ows="http://www.opengis.net/ows">` +
    `<dc:identifier>${id}</dc:identifier><dc:title xml:lang="fr">${esc(cswTitleFr(i))}</dc:title><dc:title xml:lang="ar">${esc(cswTitleAr(i))}</dc:title>` +
    `<dc:type>dataset</dc:type><dc:subject>agriculture</dc:subject><dc:subject>zone ${i % 7}</dc:subject><dc:format>GeoPackage</dc:format>` +
    `<dct:modified>2024-02-${String((i % 28) + 1).padStart(2, '0')}</dct:modified>` +
    `<dct:abstract>${esc(`Occupation des sols de la zone ${i} & environs, relevée par télédétection.`)}</dct:abstract>` +
    `<dc:language>fre</dc:language><dc:rights>CC BY 4.0</dc:rights>` +
    `<dct:references scheme="OGC:WMS">https://geo.example.ma/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities</dct:references>` +
    `<dct:references scheme="WWW:DOWNLOAD-1.0-http--download">https://geo.example.ma/files/${id}.gpkg</dct:references>` +
    `<ows:BoundingBox crs="urn:x-ogc:def:crs:EPSG:6.11:4326"><ows:LowerCorner>30 ${w}</ows:LowerCorner><ows:UpperCorner>31.5 ${w + 1}</ows:UpperCorner></ows:BoundingBox>` +
    `</csw:Record>`
  );
}

/** `count` generated records in every schema. */
export function generatedCswRecords(count: number): CswServiceRecord[] {
  return Array.from({ length: count }, (_, k) => ({ id: cswRecordId(k + 1), iso: isoRecord(k + 1), dcat: dcatRecord(k + 1), dc: dcRecord(k + 1) }));
}

/**
 * A generated ISO 19139 service record (hierarchy level `service`, srv:SV_ServiceIdentification):
 * an INSPIRE view service whose resource locator is the WMS capabilities URL the generated
 * datasets also give, serving the datasets named by `operatesOn` (uuidref and/or xlink:href).
 */
export function isoServiceRecord(id: string, operatesOn: Array<{ uuidref?: string; href?: string }>): string {
  const coupled = operatesOn.map((o) => `<srv:operatesOn${o.uuidref !== undefined ? ` uuidref="${esc(o.uuidref)}"` : ''}${o.href !== undefined ? ` xlink:href="${esc(o.href)}"` : ''}/>`).join('');
  return (
    `<gmd:MD_Metadata xmlns:gmd="${GMD_SCHEMA}" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:srv="http://www.isotc211.org/2005/srv" xmlns:xlink="http://www.w3.org/1999/xlink">` +
    `<gmd:fileIdentifier><gco:CharacterString>${esc(id)}</gco:CharacterString></gmd:fileIdentifier>` +
    `<gmd:language><gmd:LanguageCode codeList="x" codeListValue="fre">fre</gmd:LanguageCode></gmd:language>` +
    `<gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="x" codeListValue="service">service</gmd:MD_ScopeCode></gmd:hierarchyLevel>` +
    `<gmd:dateStamp><gco:Date>2024-03-01</gco:Date></gmd:dateStamp>` +
    `<gmd:identificationInfo><srv:SV_ServiceIdentification><gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Service WMS d’occupation des sols</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>` +
    `<gmd:abstract><gco:CharacterString>Cartes d’occupation des sols du Ministère, par zone.</gco:CharacterString></gmd:abstract>` +
    `<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword><gco:CharacterString>infoMapAccessService</gco:CharacterString></gmd:keyword></gmd:MD_Keywords></gmd:descriptiveKeywords>` +
    `<srv:serviceType><gco:LocalName>view</gco:LocalName></srv:serviceType>` +
    `<srv:containsOperations><srv:SV_OperationMetadata><srv:operationName><gco:CharacterString>GetMap</gco:CharacterString></srv:operationName><srv:connectPoint><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://geo.example.ma/wms</gmd:URL></gmd:linkage></gmd:CI_OnlineResource></srv:connectPoint></srv:SV_OperationMetadata></srv:containsOperations>` +
    coupled +
    `</srv:SV_ServiceIdentification></gmd:identificationInfo>` +
    `<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://geo.example.ma/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>OGC:WMS-1.3.0-http-get-capabilities</gco:CharacterString></gmd:protocol></gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>` +
    `</gmd:MD_Metadata>`
  );
}
