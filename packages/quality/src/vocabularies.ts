/**
 * The controlled vocabularies the scorer recognises. Small, hand-kept lists on purpose: the
 * scorer runs on the loader's hot path (a few microseconds a record) and must not load the EU
 * vocabularies' full RDF files; the lists cover the formats and licences public-sector feeds
 * use, and an unknown value only costs the points it would have earned.
 */

const EU_FILE_TYPE = /^https?:\/\/publications\.europa\.eu\/resource\/authority\/file-type\/([A-Za-z0-9_]+)$/;
const IANA_MEDIA_TYPE_URI = /^https?:\/\/(?:www\.)?iana\.org\/assignments\/media-types\/(.+)$/i;
/** IANA's registered top-level media types (RFC 6838 and later registrations). */
const IANA_TOP_LEVEL = new Set(['application', 'audio', 'font', 'haptics', 'image', 'message', 'model', 'multipart', 'text', 'video']);
const MEDIA_TYPE = /^([a-z0-9][a-z0-9!#$&^_.+-]*)\/([a-z0-9][a-z0-9!#$&^_.+-]*)$/;

/** Media types to the EU file-type code they name. */
const MEDIA_TYPE_CODES: Record<string, string> = {
  'text/csv': 'CSV',
  'text/tab-separated-values': 'TSV',
  'application/json': 'JSON',
  'application/ld+json': 'JSON_LD',
  'application/geo+json': 'GEOJSON',
  'application/vnd.geo+json': 'GEOJSON',
  'application/xml': 'XML',
  'text/xml': 'XML',
  'application/rdf+xml': 'RDF_XML',
  'text/turtle': 'RDF_TURTLE',
  'application/n-triples': 'RDF_N_TRIPLES',
  'application/n-quads': 'RDF_N_QUADS',
  'text/n3': 'N3',
  'application/gml+xml': 'GML',
  'application/vnd.google-earth.kml+xml': 'KML',
  'application/vnd.google-earth.kmz': 'KMZ',
  'application/geopackage+sqlite3': 'GPKG',
  'application/x-netcdf': 'NETCDF',
  'application/netcdf': 'NETCDF',
  'application/vnd.oasis.opendocument.spreadsheet': 'ODS',
  'application/vnd.oasis.opendocument.text': 'ODT',
  'application/vnd.ms-excel': 'XLS',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'application/msword': 'DOC',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'application/pdf': 'PDF',
  'text/html': 'HTML',
  'application/xhtml+xml': 'XHTML',
  'text/plain': 'TXT',
  'application/zip': 'ZIP',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/tiff': 'TIFF',
  'application/x-shapefile': 'SHP',
  'application/vnd.shp': 'SHP',
  'application/sparql-query': 'SPARQLQ',
};

/** Plain labels sources write to the EU code (after upper-casing and `[^A-Z0-9]` → `_`). */
const LABEL_CODES: Record<string, string> = {
  TTL: 'RDF_TURTLE',
  TURTLE: 'RDF_TURTLE',
  RDF: 'RDF_XML',
  RDF_XML: 'RDF_XML',
  JSON_LD: 'JSON_LD',
  JSONLD: 'JSON_LD',
  NT: 'RDF_N_TRIPLES',
  N_TRIPLES: 'RDF_N_TRIPLES',
  EXCEL: 'XLS',
  SHAPEFILE: 'SHP',
  ESRI_SHAPEFILE: 'SHP',
  GEO_JSON: 'GEOJSON',
  NETCDF4: 'NETCDF',
  JPG: 'JPEG',
  TEXT: 'TXT',
};

/**
 * Formats whose specification is open and free of licence conditions. Based on the
 * data.europa.eu MQA's non-proprietary list; XLS/XLSX/DOC/DOCX/SHP are left out (vendor-controlled).
 */
const NON_PROPRIETARY = new Set([
  'CSV', 'TSV', 'JSON', 'JSON_LD', 'GEOJSON', 'XML', 'RDF_XML', 'RDF_TURTLE', 'RDF_N_TRIPLES', 'RDF_N_QUADS', 'N3', 'RDF_TRIG', 'GML', 'KML', 'KMZ', 'GPKG',
  'NETCDF', 'ODS', 'ODT', 'ODP', 'TXT', 'HTML', 'XHTML', 'PDF', 'PDFA1A', 'PDFA1B', 'PNG', 'JPEG', 'ZIP', 'GZIP', 'TAR', 'SPARQLQ',
]);

/** Formats a program can read field by field (tables, trees, graphs, geometries), not only display. */
const MACHINE_READABLE = new Set([
  'CSV', 'TSV', 'JSON', 'JSON_LD', 'GEOJSON', 'XML', 'RDF_XML', 'RDF_TURTLE', 'RDF_N_TRIPLES', 'RDF_N_QUADS', 'N3', 'RDF_TRIG', 'GML', 'KML', 'KMZ', 'GPKG',
  'NETCDF', 'ODS', 'XLS', 'XLSX', 'SHP', 'SPARQLQ',
]);

const LICENCE_VOCABULARIES = [
  /^https?:\/\/publications\.europa\.eu\/resource\/authority\/licence\/[A-Za-z0-9_.-]+$/,
  /^https?:\/\/spdx\.org\/licenses\/[A-Za-z0-9_.+-]+(?:\.html)?$/,
  /^https?:\/\/creativecommons\.org\/(?:licenses|publicdomain)\/[a-z0-9.+/-]+$/,
  /^https?:\/\/opendatacommons\.org\/licenses\/[a-z0-9.+/-]+$/,
  /^https?:\/\/(?:www\.)?etalab\.gouv\.fr\/(?:licence-ouverte-open-licence|wp-content\/uploads\/20\d\d\/\d\d\/ETALAB-Licence-Ouverte-v2\.0\.pdf)\/?$/,
];

const ACCESS_RIGHTS = /^https?:\/\/publications\.europa\.eu\/resource\/authority\/access-right\/(PUBLIC|RESTRICTED|NON_PUBLIC|SENSITIVE|CONFIDENTIAL|NORMAL)$/;

/** The EU file-type code a distribution's format or media type names (`CSV`), if any. */
export function formatCode(format: string | undefined, mediaType: string | undefined): string | undefined {
  if (format !== undefined) {
    const eu = EU_FILE_TYPE.exec(format.trim());
    if (eu) return eu[1]!.toUpperCase();
    const asType = mediaTypeCode(format);
    if (asType) return asType;
    const label = format.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
    if (label !== '' && !label.includes('HTTP')) return LABEL_CODES[label] ?? label;
  }
  return mediaType !== undefined ? mediaTypeCode(mediaType) : undefined;
}

function mediaTypeCode(v: string): string | undefined {
  const t = (IANA_MEDIA_TYPE_URI.exec(v.trim())?.[1] ?? v).split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE_CODES[t];
}

/** dct:format from the EU file-type authority table (a URI, as DCAT-AP asks). */
export const isEuFileType = (format: string | undefined): boolean => format !== undefined && EU_FILE_TYPE.test(format.trim());

/**
 * A media type of IANA's registry: a registered top-level type and a subtype outside the
 * unregistered `x-` space. The subtype list itself is not checked (thousands of entries).
 */
export function isIanaMediaType(mediaType: string | undefined): boolean {
  if (mediaType === undefined) return false;
  const t = (IANA_MEDIA_TYPE_URI.exec(mediaType.trim())?.[1] ?? mediaType).split(';')[0]!.trim().toLowerCase();
  const m = MEDIA_TYPE.exec(t);
  return m !== null && IANA_TOP_LEVEL.has(m[1]!) && !m[2]!.startsWith('x-');
}

export const isNonProprietary = (code: string | undefined): boolean => code !== undefined && NON_PROPRIETARY.has(code);
export const isMachineReadable = (code: string | undefined): boolean => code !== undefined && MACHINE_READABLE.has(code);

/**
 * A distribution format counted as open by the publishers' scoreboard: its specification is open
 * (non-proprietary) and a program can read it field by field (machine-readable): CSV, JSON, XML,
 * RDF, GeoJSON, ODS… count; PDF (not machine-readable) and XLS (proprietary) do not.
 */
export function isOpenFormat(format: string | null | undefined, mediaType: string | null | undefined): boolean {
  const code = formatCode(format ?? undefined, mediaType ?? undefined);
  return isNonProprietary(code) && isMachineReadable(code);
}
export const isLicenceFromVocabulary = (licence: string | undefined): boolean => licence !== undefined && LICENCE_VOCABULARIES.some((re) => re.test(licence.trim()));
export const isAccessRightsFromVocabulary = (v: string | undefined): boolean => v !== undefined && ACCESS_RIGHTS.test(v.trim());
export const isUri = (v: string): boolean => /^(?:https?|urn):/i.test(v.trim());
