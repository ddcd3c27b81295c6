/**
 * Code lists the ISO 19139 → GeoDCAT-AP mapping needs (SEMIC's reference tables, written out as
 * data: they are small and fixed, and fetching the registries at harvest time would make a run
 * depend on a third server).
 */

export const INSPIRE_THEME_BASE = 'http://inspire.ec.europa.eu/theme/';
export const DATA_THEME_BASE = 'http://publications.europa.eu/resource/authority/data-theme/';
export const LANGUAGE_BASE = 'http://publications.europa.eu/resource/authority/language/';
export const FREQUENCY_BASE = 'http://publications.europa.eu/resource/authority/frequency/';

/**
 * The 34 INSPIRE spatial data themes: code, English and French labels (the INSPIRE registry's),
 * and the EU data themes SEMIC's alignment (inspire-themes-to-mdr-data-themes.rdf) matches them to.
 */
const INSPIRE_THEMES: ReadonlyArray<[code: string, en: string, fr: string, dataThemes: string[]]> = [
  ['ad', 'Addresses', 'Adresses', ['REGI']],
  ['au', 'Administrative units', 'Unités administratives', ['GOVE']],
  ['rs', 'Coordinate reference systems', 'Référentiels de coordonnées', ['REGI']],
  ['gg', 'Geographical grid systems', 'Systèmes de maillage géographique', ['REGI']],
  ['cp', 'Cadastral parcels', 'Parcelles cadastrales', ['REGI', 'ECON']],
  ['gn', 'Geographical names', 'Dénominations géographiques', ['REGI']],
  ['hy', 'Hydrography', 'Hydrographie', ['ENVI', 'TECH']],
  ['ps', 'Protected sites', 'Sites protégés', ['ENVI']],
  ['tn', 'Transport networks', 'Réseaux de transport', ['TRAN']],
  ['el', 'Elevation', 'Altitude', ['REGI']],
  ['ge', 'Geology', 'Géologie', ['REGI', 'TECH']],
  ['lc', 'Land cover', 'Occupation des terres', ['ENVI']],
  ['oi', 'Orthoimagery', 'Ortho-imagerie', ['REGI', 'TECH']],
  ['af', 'Agricultural and aquaculture facilities', 'Installations agricoles et aquacoles', ['AGRI']],
  ['am', 'Area management/restriction/regulation zones and reporting units', 'Zones de gestion, de restriction ou de réglementation et unités de déclaration', ['ENVI']],
  ['ac', 'Atmospheric conditions', 'Conditions atmosphériques', ['ENVI']],
  ['br', 'Bio-geographical regions', 'Régions biogéographiques', ['ENVI']],
  ['bu', 'Buildings', 'Bâtiments', ['REGI']],
  ['er', 'Energy resources', "Sources d'énergie", ['ENER']],
  ['ef', 'Environmental monitoring facilities', 'Installations de suivi environnemental', ['ENVI']],
  ['hb', 'Habitats and biotopes', 'Habitats et biotopes', ['ENVI']],
  ['hh', 'Human health and safety', 'Santé et sécurité des personnes', ['HEAL']],
  ['lu', 'Land use', 'Usage des sols', ['ECON', 'ENVI']],
  ['mr', 'Mineral resources', 'Ressources minérales', ['ECON', 'ENVI', 'ENER']],
  ['nz', 'Natural risk zones', 'Zones à risque naturel', ['ENVI']],
  ['of', 'Oceanographic geographical features', 'Caractéristiques géographiques océanographiques', ['ENVI']],
  ['pd', 'Population distribution — demography', 'Répartition de la population — démographie', ['SOCI']],
  ['pf', 'Production and industrial facilities', 'Lieux de production et sites industriels', ['ECON']],
  ['sr', 'Sea regions', 'Régions maritimes', ['ENVI']],
  ['so', 'Soil', 'Sols', ['ENVI']],
  ['sd', 'Species distribution', 'Répartition des espèces', ['ENVI']],
  ['su', 'Statistical units', 'Unités statistiques', ['SOCI']],
  ['us', 'Utility and governmental services', "Services d'utilité publique et services publics", ['GOVE']],
  ['mf', 'Meteorological geographical features', 'Caractéristiques géographiques météorologiques', ['ENVI', 'TECH']],
];

/** Lower case, one space, one kind of dash and apostrophe: labels are typed by hand in records. */
function labelKey(label: string): string {
  return label
    .toLowerCase()
    .replace(/[\u2010-\u2015-]+/g, '-')
    .replace(/[\u2019`]/g, "'")
    .replace(/\s*-\s*/g, ' - ')
    .replace(/\s+/g, ' ')
    .trim();
}

const THEME_BY_LABEL = new Map<string, string>();
const DATA_THEMES_BY_CODE = new Map<string, string[]>();
for (const [code, en, fr, dataThemes] of INSPIRE_THEMES) {
  THEME_BY_LABEL.set(labelKey(en), code);
  THEME_BY_LABEL.set(labelKey(fr), code);
  DATA_THEMES_BY_CODE.set(code, dataThemes);
}

/**
 * The INSPIRE theme URI a keyword names: its anchor when it is one, else its label (English or
 * French) in a thesaurus of INSPIRE themes.
 */
export function inspireTheme(label: string, href: string | undefined): string | undefined {
  if (href !== undefined) {
    const m = /^https?:\/\/inspire\.ec\.europa\.eu\/theme\/([a-z]{2})(?:[/#?].*)?$/.exec(href);
    if (m !== null && DATA_THEMES_BY_CODE.has(m[1] as string)) return INSPIRE_THEME_BASE + m[1];
  }
  const code = THEME_BY_LABEL.get(labelKey(label));
  return code === undefined ? undefined : INSPIRE_THEME_BASE + code;
}

/** The EU data themes (DCAT-AP `dcat:theme`) an INSPIRE theme URI is aligned with. */
export function dataThemesFor(inspireThemeUri: string): string[] {
  const code = inspireThemeUri.slice(INSPIRE_THEME_BASE.length);
  return (DATA_THEMES_BY_CODE.get(code) ?? []).map((t) => DATA_THEME_BASE + t);
}

/**
 * ISO 639-2 (bibliographic and terminology) → ISO 639-1 for the languages met on geoportals of
 * the region and of Europe. A code not listed is kept as given (BCP 47 allows three letters).
 */
const ISO639_2_TO_1: Record<string, string> = {
  ara: 'ar', fre: 'fr', fra: 'fr', eng: 'en', ger: 'de', deu: 'de', dut: 'nl', nld: 'nl', spa: 'es', ita: 'it', por: 'pt',
  cze: 'cs', ces: 'cs', slo: 'sk', slk: 'sk', slv: 'sl', pol: 'pl', dan: 'da', swe: 'sv', fin: 'fi', nor: 'no', nob: 'nb',
  nno: 'nn', gre: 'el', ell: 'el', hun: 'hu', est: 'et', lav: 'lv', lit: 'lt', rum: 'ro', ron: 'ro', bul: 'bg', hrv: 'hr',
  gle: 'ga', mlt: 'mt', cat: 'ca', baq: 'eu', eus: 'eu', glg: 'gl', ice: 'is', isl: 'is', tur: 'tr', rus: 'ru', ukr: 'uk',
  chi: 'zh', zho: 'zh', jpn: 'ja', per: 'fa', fas: 'fa', heb: 'he', wel: 'cy', cym: 'cy', ltz: 'lb',
};

/** A BCP 47 tag from an ISO 19139 language code (`fre`, `fr`, `fr-FR`, `eng; USA`), lower case. */
export function languageTag(code: string): string | undefined {
  const c = code.trim().toLowerCase().split(/[;\s]/)[0] ?? '';
  if (/^[a-z]{2}(?:-[a-z0-9]+)*$/.test(c)) return c;
  if (/^[a-z]{3}$/.test(c)) return ISO639_2_TO_1[c] ?? c;
  return undefined;
}

/** The EU language authority URI (`…/language/FRA`) for an ISO 639-2 or 639-1 code. */
export function languageUri(code: string): string | undefined {
  const c = code.trim().toLowerCase().split(/[;\s]/)[0] ?? '';
  let three: string | undefined;
  if (/^[a-z]{3}$/.test(c)) three = c;
  else if (/^[a-z]{2}$/.test(c)) three = Object.entries(ISO639_2_TO_1).find(([k, v]) => v === c && !BIBLIOGRAPHIC.has(k))?.[0];
  if (three === undefined) return undefined;
  // The authority uses the terminology codes (FRA, DEU), not the bibliographic ones (FRE, GER).
  return LANGUAGE_BASE + (TERMINOLOGY[three] ?? three).toUpperCase();
}

const TERMINOLOGY: Record<string, string> = { fre: 'fra', ger: 'deu', dut: 'nld', cze: 'ces', slo: 'slk', gre: 'ell', rum: 'ron', baq: 'eus', ice: 'isl', chi: 'zho', per: 'fas', wel: 'cym' };
const BIBLIOGRAPHIC = new Set(Object.keys(TERMINOLOGY));

/** ISO 19115 MD_MaintenanceFrequencyCode → EU frequency authority (SEMIC's table). */
const FREQUENCIES: Record<string, string> = {
  continual: 'UPDATE_CONT',
  daily: 'DAILY',
  weekly: 'WEEKLY',
  fortnightly: 'BIWEEKLY',
  monthly: 'MONTHLY',
  quarterly: 'QUARTERLY',
  biannually: 'ANNUAL_2',
  annually: 'ANNUAL',
  asNeeded: 'AS_NEEDED',
  irregular: 'IRREG',
  notPlanned: 'NOT_PLANNED',
  unknown: 'UNKNOWN',
};

/** The frequency URI for an ISO maintenance code, or undefined for a code not in ISO 19115. */
export function frequencyUri(code: string): string | undefined {
  const f = FREQUENCIES[code.trim()];
  return f === undefined ? undefined : FREQUENCY_BASE + f;
}

/** ISO 19115 topic categories (MD_TopicCategoryCode), as the INSPIRE registry names them. */
export const TOPIC_CATEGORY_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/';
export const TOPIC_CATEGORIES = new Set([
  'farming', 'biota', 'boundaries', 'climatologyMeteorologyAtmosphere', 'economy', 'elevation', 'environment',
  'geoscientificInformation', 'health', 'imageryBaseMapsEarthCover', 'intelligenceMilitary', 'inlandWaters', 'location',
  'oceans', 'planningCadastre', 'society', 'structure', 'transportation', 'utilitiesCommunication',
  // ISO 19115-1:2014 additions
  'extraTerrestrial', 'disaster',
]);

/**
 * Children an ISO 19139 MD_Metadata (and gmi:MI_Metadata) may have, per the XSD. An element of
 * the gmd namespace outside this list makes the record invalid (as the XSD would).
 */
export const MD_METADATA_CHILDREN = new Set([
  'fileIdentifier', 'language', 'characterSet', 'parentIdentifier', 'hierarchyLevel', 'hierarchyLevelName', 'contact',
  'dateStamp', 'metadataStandardName', 'metadataStandardVersion', 'dataSetURI', 'locale', 'spatialRepresentationInfo',
  'referenceSystemInfo', 'metadataExtensionInfo', 'identificationInfo', 'contentInfo', 'distributionInfo',
  'dataQualityInfo', 'portrayalCatalogueInfo', 'metadataConstraints', 'applicationSchemaInfo', 'metadataMaintenance',
  'series', 'describes', 'propertyType', 'featureType', 'featureAttribute', 'acquisitionInformation',
]);

/** The spatial data service types of INSPIRE (Regulation 1205/2008), as `srv:serviceType` names them. */
export const INSPIRE_SERVICE_TYPES = new Set(['discovery', 'view', 'download', 'transformation', 'invoke', 'other']);

/** INSPIRE's register of spatial data service types (GeoDCAT-AP: the service's dct:type). */
export const SERVICE_TYPE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/';
/** INSPIRE's resource type `service` (GeoDCAT-AP: dct:type of every data service). */
export const RESOURCE_TYPE_SERVICE = 'http://inspire.ec.europa.eu/metadata-codelist/ResourceType/service';

/**
 * The specification each service protocol implements (GeoDCAT-AP: the data service's
 * dct:conformsTo), as SEMIC's test cases and examples write them: OGC's standard pages, and the
 * Atom syndication format's RFC for INSPIRE ATOM download services.
 */
export const PROTOCOL_STANDARDS: Readonly<Record<string, string>> = {
  WMS: 'http://www.opengeospatial.org/standards/wms',
  WFS: 'http://www.opengeospatial.org/standards/wfs',
  WCS: 'http://www.opengeospatial.org/standards/wcs',
  WMTS: 'http://www.opengeospatial.org/standards/wmts',
  CSW: 'http://www.opengeospatial.org/standards/cat',
  SOS: 'http://www.opengeospatial.org/standards/sos',
  WPS: 'http://www.opengeospatial.org/standards/wps',
  ATOM: 'https://www.rfc-editor.org/rfc/rfc4287',
};

/** INSPIRE's registers GeoDCAT-AP takes its values from. */
export const RESOURCE_TYPE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/ResourceType/';
export const RESPONSIBLE_PARTY_ROLE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/';
export const DEGREE_OF_CONFORMITY_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/';
export const SERVICE_CATEGORY_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory/';
export const SPATIAL_REPRESENTATION_TYPE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialRepresentationType/';

/** ISO 19139 MD_SpatialRepresentationTypeCode values INSPIRE's register has. */
const SPATIAL_REPRESENTATION_TYPES = new Set(['vector', 'grid', 'textTable', 'tin', 'stereoModel', 'video']);

/** adms:representationTechnique of an ISO spatial representation type: the INSPIRE IRI, else the code as given. */
export function representationTypeUri(code: string): string {
  return SPATIAL_REPRESENTATION_TYPES.has(code) ? SPATIAL_REPRESENTATION_TYPE_BASE + code : code;
}

/** ISO 19139 scope codes the INSPIRE ResourceType register has. */
const RESOURCE_TYPES = new Set(['dataset', 'series', 'service']);

/** geodcatap:resourceType of an ISO scope code: the INSPIRE ResourceType IRI, else the code as given. */
export function resourceTypeUri(code: string): string {
  return RESOURCE_TYPES.has(code) ? RESOURCE_TYPE_BASE + code : code;
}

/** ISO 19115 CI_RoleCode values the INSPIRE ResponsiblePartyRole register has. */
const RESPONSIBLE_PARTY_ROLES = new Set(['resourceProvider', 'custodian', 'owner', 'user', 'distributor', 'originator', 'pointOfContact', 'principalInvestigator', 'processor', 'publisher', 'author']);

/** dcat:hadRole of an ISO role code: the INSPIRE ResponsiblePartyRole IRI, else the code as given. */
export function partyRoleUri(code: string): string {
  return RESPONSIBLE_PARTY_ROLES.has(code) ? RESPONSIBLE_PARTY_ROLE_BASE + code : code;
}

/**
 * A reference system's code as the OGC IRI GeoDCAT-AP writes (`http://www.opengis.net/def/crs/EPSG/0/4258`)
 * when it is an EPSG code in one of its usual spellings (`EPSG:4258`, `urn:ogc:def:crs:EPSG::4258`,
 * `urn:ogc:def:crs:EPSG:6.6:4258`, `http://www.opengis.net/gml/srs/epsg.xml#4258`), else as given.
 */
export function referenceSystemUri(code: string): string {
  const c = code.trim();
  const epsg = /^(?:urn:ogc:def:crs:)?EPSG:(?:[\d.]*:)?(\d+)$/i.exec(c)?.[1] ?? /^https?:\/\/www\.opengis\.net\/gml\/srs\/epsg\.xml#(\d+)$/i.exec(c)?.[1];
  return epsg === undefined ? c : `http://www.opengis.net/def/crs/EPSG/0/${epsg}`;
}

/** ISO 19139 MD_CharacterSetCode values → IANA charset names (cnt:characterEncoding). */
const CHARSETS: Readonly<Record<string, string>> = {
  ucs2: 'ISO-10646-UCS-2', ucs4: 'ISO-10646-UCS-4', utf7: 'UTF-7', utf8: 'UTF-8', utf16: 'UTF-16',
  usAscii: 'US-ASCII', jis: 'ISO-2022-JP', shiftJIS: 'Shift_JIS', eucJP: 'EUC-JP', eucKR: 'EUC-KR', big5: 'Big5', GB2312: 'GB2312', ebcdic: 'IBM037',
};

/** The IANA name of an ISO character set code (`utf8` → `UTF-8`, `8859part1` → `ISO-8859-1`), else the code as given. */
export function charsetName(code: string): string {
  const part = /^8859part(\d+)$/.exec(code)?.[1];
  return part !== undefined ? `ISO-8859-${part}` : (CHARSETS[code] ?? code);
}
