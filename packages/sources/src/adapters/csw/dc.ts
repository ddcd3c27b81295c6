import type { Agent, CanonicalDataset, Distribution, LangMap } from '@hasad/core';
import { newDataset, RecordProblems } from '../shared/batches.ts';
import type { RecordMapResult } from '../shared/batches.ts';
import { normaliseDate } from '../shared/values.ts';
import type { XNode } from '../soap/xml.ts';
import { attr, kids } from './iso-xml.ts';
import { languageUri, PROTOCOL_STANDARDS } from './vocab.ts';

/**
 * Dublin Core `csw:Record` (the CSW default output schema, `http://www.opengis.net/cat/csw/2.0.2`,
 * which every server must offer) → the canonical record. Far thinner than ISO 19139: no contact,
 * no constraint but a rights text, keywords without thesaurus, one bounding box. Used when a
 * server offers neither ISO 19139 nor DCAT, or when the source's config asks for it. Elements are
 * read by local name (`csw:Record`, `csw30:Record`, `SummaryRecord` and `BriefRecord` alike).
 */

export const DC_RECORD_NAMES = new Set(['Record', 'SummaryRecord', 'BriefRecord']);

const WKT = 'http://www.opengis.net/ont/geosparql#wktLiteral';
const GEOJSON = 'https://www.iana.org/assignments/media-types/application/vnd.geo+json';

/** The trimmed, non-empty texts of the children named `name`. */
function texts(n: XNode, name: string): Array<{ value: string; node: XNode }> {
  return kids(n, name)
    .map((node) => ({ value: node.text.trim(), node }))
    .filter((x) => x.value !== '');
}

/** Texts by their xml:lang (`''` untagged); the first of each language wins. */
function langMap(n: XNode, ...names: string[]): LangMap {
  const out: LangMap = {};
  for (const name of names) {
    for (const { value, node } of texts(n, name)) {
      const lang = (attr(node, 'lang') ?? '').toLowerCase();
      out[lang] ??= value;
    }
    if (Object.keys(out).length > 0) break;
  }
  return out;
}

/** The service a link's scheme or protocol names (`OGC:WMS`, `OGC:WFS-1.1.0-http-get-capabilities`), if any. */
function serviceOf(scheme: string | undefined): string | undefined {
  return /\b(?:OGC:|ESRI:)?(WMS|WFS|WCS|WMTS|CSW|SOS|WPS)\b/i.exec(scheme ?? '')?.[1]?.toUpperCase();
}

/**
 * An ows:BoundingBox (or ows:WGS84BoundingBox) as [west, south, east, north] in WGS 84 degrees.
 * EPSG:4326 (CSW 2.0.2's default CRS) gives its corners latitude first; CRS84 and WGS84BoundingBox
 * longitude first. Another CRS cannot be read without reprojecting: undefined.
 */
function readBox(box: XNode): { bbox?: [number, number, number, number]; reason?: string } {
  const crs = attr(box, 'crs') ?? '';
  const lonFirst = box.name === 'WGS84BoundingBox' || /CRS:?84\b/i.test(crs);
  const latFirst = !lonFirst && (crs === '' || /(?:EPSG(?::[\d.]*)?:|EPSG\/\d+\/)4326$/i.test(crs));
  if (!lonFirst && !latFirst) return { reason: `its CRS ${crs} is not WGS 84` };
  const corner = (name: string) => {
    const v = kids(box, name)[0]?.text.trim().split(/\s+/).map(Number);
    return v !== undefined && v.length === 2 && v.every(Number.isFinite) ? (v as [number, number]) : undefined;
  };
  const lo = corner('LowerCorner');
  const hi = corner('UpperCorner');
  if (lo === undefined || hi === undefined) return { reason: 'its corners are not two numbers each' };
  const [w, s, e, n] = lonFirst ? [lo[0], lo[1], hi[0], hi[1]] : [lo[1], lo[0], hi[1], hi[0]];
  if (Math.abs(w) > 180 || Math.abs(e) > 180 || Math.abs(s) > 90 || Math.abs(n) > 90 || s > n) return { reason: 'it is not a valid WGS 84 box' };
  return { bbox: [w, s, e, n] };
}

/**
 * Maps one Dublin Core record. Errors (record left out): `missing_identifier`, `missing_title`.
 * Warnings: `invalid_date`, `invalid_url`, `invalid_bbox`, `unsupported_value`.
 * @param xml the record's own XML text, kept as its source description.
 */
export function mapDcRecord(root: XNode, xml?: string): RecordMapResult & { record?: CanonicalDataset } {
  const pr = new RecordProblems();
  const identifier = texts(root, 'identifier')[0]?.value;
  if (identifier === undefined) pr.error('missing_identifier', 'identifier', 'the record has no dc:identifier; skipped');
  else pr.identifier = identifier;
  const title = langMap(root, 'title');
  if (Object.keys(title).length === 0) pr.error('missing_title', 'title', 'the record has no dc:title; skipped');
  if (identifier === undefined || Object.keys(title).length === 0) return { problems: pr.list, ...(identifier !== undefined && { identifier }) };

  const record = newDataset(identifier, title, langMap(root, 'abstract', 'description'));
  for (const { value, node } of texts(root, 'subject')) {
    const list = (record.keywords[(attr(node, 'lang') ?? '').toLowerCase()] ??= []);
    if (!list.includes(value)) list.push(value);
  }
  const type = texts(root, 'type')[0]?.value;
  if (type !== undefined) record.type = type;

  // Dates: dct:modified (the core queryable Modified), else dc:date.
  const rawDate = texts(root, 'modified')[0]?.value ?? texts(root, 'date')[0]?.value;
  if (rawDate !== undefined) {
    const d = normaliseDate(rawDate);
    if (d !== undefined) record.modified = d;
    else pr.warn('invalid_date', 'modified', `date ${JSON.stringify(rawDate)} is not a valid date; dropped`);
  }
  const issued = texts(root, 'issued')[0]?.value;
  if (issued !== undefined) {
    const d = normaliseDate(issued);
    if (d !== undefined) record.issued = d;
    else pr.warn('invalid_date', 'issued', `issued date ${JSON.stringify(issued)} is not a valid date; dropped`);
  }

  for (const { value } of texts(root, 'language')) {
    const uri = languageUri(value);
    if (uri !== undefined) record.language.push(uri);
    else pr.warn('unsupported_value', 'language', `language ${JSON.stringify(value)} is not an ISO 639 code; dropped`);
  }
  record.language = [...new Set(record.language)];

  const rights = [...texts(root, 'rights'), ...texts(root, 'license'), ...texts(root, 'accessRights')];
  if (rights.length > 0) record.rights = rights.map(({ value }) => (/^https?:\/\/\S+$/i.test(value) ? { uri: value } : { label: { '': value } }));
  const publisher = texts(root, 'publisher')[0]?.value;
  if (publisher !== undefined) record.publisher = { name: { '': publisher } };
  const creators: Agent[] = texts(root, 'creator').map(({ value }) => ({ name: { '': value } }));
  if (creators.length > 0) record.creator = creators;
  const relations = texts(root, 'relation').map((x) => x.value);
  if (relations.length > 0) record.relation = [...new Set(relations)].sort();

  // Spatial: the bounding boxes (WKT in spatial, typed in locations) and dct:spatial texts.
  for (const box of [...kids(root, 'BoundingBox'), ...kids(root, 'WGS84BoundingBox')]) {
    const { bbox, reason } = readBox(box);
    if (bbox === undefined) {
      pr.warn('invalid_bbox', 'spatial', `bounding box dropped: ${reason}`);
      continue;
    }
    const [w, s, e, n] = bbox;
    const ring = [[w, s], [e, s], [e, n], [w, n], [w, s]];
    const wkt = `POLYGON((${ring.map(([x, y]) => `${x} ${y}`).join(', ')}))`;
    record.spatial.push(wkt);
    (record.locations ??= []).push({ geometry: [{ value: wkt, datatype: WKT }, { value: JSON.stringify({ type: 'Polygon', coordinates: [ring] }), datatype: GEOJSON }] });
  }
  for (const { value } of texts(root, 'spatial')) record.spatial.push(value);
  record.spatial = [...new Set(record.spatial)];

  // Links: dct:references (scheme = protocol) and dc:URI (GeoNetwork: protocol, name, description).
  const format = texts(root, 'format')[0]?.value;
  const seen = new Set<string>();
  [...texts(root, 'references'), ...texts(root, 'URI')].forEach(({ value: url, node }, i) => {
    if (!URL.canParse(url) || /^(?:javascript|data|file|mailto):/i.test(url)) {
      pr.warn('invalid_url', `distributions[${i}].accessUrl`, `link ${JSON.stringify(url)} is not an absolute URL to data; dropped`);
      return;
    }
    if (seen.has(url)) return;
    seen.add(url);
    const scheme = attr(node, 'scheme') ?? attr(node, 'protocol');
    const d: Distribution = { accessUrl: url };
    const name = attr(node, 'name')?.trim();
    if (name) d.title = { '': name };
    const description = attr(node, 'description')?.trim();
    if (description) d.description = { '': description };
    const service = serviceOf(scheme);
    if (service !== undefined) {
      d.format = service;
      const standard = PROTOCOL_STANDARDS[service];
      d.accessService = [{ endpointUrl: [url], ...(standard !== undefined && { conformsTo: [{ uri: standard }] }) }];
    } else {
      if (/DOWNLOAD/i.test(scheme ?? '')) d.downloadUrl = url;
      if (format !== undefined) d.format = format;
    }
    record.distributions.push(d);
  });

  if (xml !== undefined) record.sourceDescription = { format: 'application/xml', body: xml };
  return { record, problems: pr.list, identifier };
}
