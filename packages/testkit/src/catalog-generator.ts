import { createHash } from 'node:crypto';
import { RDF_MEDIA_TYPES, type RdfSyntax } from '@hasad/core';

/**
 * Generates DCAT catalogues with realistic French and Arabic text, as Turtle, RDF/XML,
 * JSON-LD or N-Triples, paged with Hydra. Written here (rather than with n3's Writer) because
 * the bench needs 100 000 datasets as fast as a string can be built, and RDF/XML and JSON-LD
 * have no RDF/JS writer in this stack.
 */
export type FeedFormat = RdfSyntax;

export const MEDIA_TYPES = Object.fromEntries(Object.entries(RDF_MEDIA_TYPES).map(([f, t]) => [f, `${t}; charset=utf-8`])) as Record<FeedFormat, string>;

const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  foaf: 'http://xmlns.com/foaf/0.1/',
  hydra: 'http://www.w3.org/ns/hydra/core#',
};
/** With `everyField`, the contact point's vocabulary too (left out otherwise, so plain pages stay as they were). */
const NS_EVERY_FIELD = { ...NS, vcard: 'http://www.w3.org/2006/vcard/ns#' };
type Namespaces = Record<string, string>;

type Obj = { iri: string } | { value: string; lang?: string; datatype?: string };
type Triple = [subject: string, predicate: string, object: Obj];

const TOPICS_FR = ['Qualité de l’eau potable', 'Budget communal', 'Accidents de la route', 'Écoles primaires', 'Marchés publics', 'Population légale', 'Précipitations mensuelles', 'Hôpitaux et centres de santé'];
const TOPICS_AR = ['جودة مياه الشرب', 'الميزانية الجماعية', 'حوادث السير', 'المدارس الابتدائية', 'الصفقات العمومية', 'السكان القانونيون', 'التساقطات الشهرية', 'المستشفيات والمراكز الصحية'];
const REGIONS = ['Tanger-Tétouan-Al Hoceïma', 'Oriental', 'Fès-Meknès', 'Rabat-Salé-Kénitra', 'Béni Mellal-Khénifra', 'Casablanca-Settat', 'Marrakech-Safi', 'Drâa-Tafilalet', 'Souss-Massa', 'Guelmim-Oued Noun', 'Laâyoune-Sakia El Hamra', 'Dakhla-Oued Ed-Dahab'];
const REGIONS_AR = ['طنجة تطوان الحسيمة', 'الشرق', 'فاس مكناس', 'الرباط سلا القنيطرة', 'بني ملال خنيفرة', 'الدار البيضاء سطات', 'مراكش آسفي', 'درعة تافيلالت', 'سوس ماسة', 'كلميم واد نون', 'العيون الساقية الحمراء', 'الداخلة وادي الذهب'];
const THEMES = ['ENVI', 'GOVE', 'TRAN', 'EDUC', 'ECON', 'SOCI', 'HEAL', 'AGRI'];

export interface GenerateOptions {
  /** Number of datasets. */
  datasets: number;
  /** Datasets per page; 0 or >= datasets means one unpaged document. */
  pageSize: number;
  /** Base URL the feed is served from (page links are built on it). */
  baseUrl: string;
  /** Base of dataset and catalogue URIs; default `baseUrl`. Feeds with the same `uriBase` describe the same datasets. */
  uriBase?: string;
  /** Changes every dataset whose index is in this set (title gets a revision suffix). */
  revised?: Set<number>;
  /** Leaves these dataset indexes out. */
  omit?: Set<number>;
  /** Use the older `hydra:PagedCollection` / `hydra:nextPage` vocabulary. */
  legacyPaging?: boolean;
  /**
   * Also gives each dataset what a national catalogue's records carry beyond the basics: a
   * contact point (vcard), landing page, spatial and temporal coverage, frequency, languages,
   * distribution titles, and names for the publishing organisations: for tests of the mapping.
   */
  everyField?: boolean;
}

/** The names the generator gives organisation `k` (the publisher of dataset `i` is `i % 7`) with `everyField`. */
export const organisationName = (k: number): { fr: string; ar: string } => ({ fr: `Organisation ${k}`, ar: `المؤسسة ${k}` });

/** The identifier the generator gives dataset `i` (what `dct:identifier` says). */
export const datasetIdentifier = (i: number) => `ds-${String(i).padStart(6, '0')}`;

/** The French title the generator gives dataset `i`, for assertions. */
export function datasetTitle(i: number, revised = false): { fr: string; ar: string } {
  const t = i % TOPICS_FR.length;
  const r = i % REGIONS.length;
  return {
    fr: `${TOPICS_FR[t]} — ${REGIONS[r]} n° ${i}${revised ? ' (révisé)' : ''}`,
    ar: `${TOPICS_AR[t]} - ${REGIONS_AR[r]} رقم ${i}${revised ? ' (مراجع)' : ''}`,
  };
}

/** The triples `everyField` adds to dataset `i` (subject `s`). */
function moreFieldsTriples(i: number, s: string, base: string): Triple[] {
  const vcard = NS_EVERY_FIELD.vcard;
  const contact = `${s}#contact`;
  const period = `${s}#period`;
  return [
    [s, `${NS.dcat}contactPoint`, { iri: contact }],
    [contact, `${NS.rdf}type`, { iri: `${vcard}Organization` }],
    [contact, `${vcard}fn`, { value: 'Service des données' }],
    [contact, `${vcard}hasEmail`, { iri: 'mailto:donnees@example.ma' }],
    [s, `${NS.dcat}landingPage`, { iri: `${base}/fr/dataset/${i}` }],
    [s, `${NS.dct}spatial`, { iri: 'https://sws.geonames.org/2542007/' }],
    [s, `${NS.dct}temporal`, { iri: period }],
    [period, `${NS.rdf}type`, { iri: `${NS.dct}PeriodOfTime` }],
    [period, `${NS.dcat}startDate`, { value: '2020-01-01', datatype: `${NS.xsd}date` }],
    [period, `${NS.dcat}endDate`, { value: '2020-12-31', datatype: `${NS.xsd}date` }],
    [s, `${NS.dct}accrualPeriodicity`, { iri: 'http://publications.europa.eu/resource/authority/frequency/MONTHLY' }],
    [s, `${NS.dct}language`, { iri: 'http://publications.europa.eu/resource/authority/language/FRA' }],
    [s, `${NS.dct}language`, { iri: 'http://publications.europa.eu/resource/authority/language/ARA' }],
  ];
}

function datasetTriples(i: number, base: string, revised: boolean, everyField: boolean): Triple[] {
  const s = `${base}/dataset/${i}`;
  const title = datasetTitle(i, revised);
  const theme = THEMES[i % THEMES.length];
  const day = String((i % 28) + 1).padStart(2, '0');
  const t: Triple[] = [
    [s, `${NS.rdf}type`, { iri: `${NS.dcat}Dataset` }],
    [s, `${NS.dct}identifier`, { value: datasetIdentifier(i) }],
    [s, `${NS.dct}title`, { value: title.fr, lang: 'fr' }],
    [s, `${NS.dct}title`, { value: title.ar, lang: 'ar' }],
    [s, `${NS.dct}description`, { value: `Données publiées : ${title.fr}.`, lang: 'fr' }],
    [s, `${NS.dct}description`, { value: `بيانات منشورة: ${title.ar}.`, lang: 'ar' }],
    [s, `${NS.dcat}keyword`, { value: 'données ouvertes', lang: 'fr' }],
    [s, `${NS.dcat}keyword`, { value: 'بيانات مفتوحة', lang: 'ar' }],
    [s, `${NS.dcat}theme`, { iri: `http://publications.europa.eu/resource/authority/data-theme/${theme}` }],
    [s, `${NS.dct}publisher`, { iri: `${base}/organisation/${i % 7}` }],
    [s, `${NS.dct}issued`, { value: `2024-01-${day}`, datatype: `${NS.xsd}date` }],
    [s, `${NS.dct}modified`, { value: `2026-11-${day}T10:00:00Z`, datatype: `${NS.xsd}dateTime` }],
    [s, `${NS.dct}license`, { iri: 'https://creativecommons.org/licenses/by/4.0/' }],
    ...(everyField ? moreFieldsTriples(i, s, base) : []),
  ];
  for (const [fmt, media] of [['CSV', 'text/csv'], ['JSON', 'application/json']] as const) {
    const d = `${s}/${fmt.toLowerCase()}`;
    t.push(
      [s, `${NS.dcat}distribution`, { iri: d }],
      [d, `${NS.rdf}type`, { iri: `${NS.dcat}Distribution` }],
      [d, `${NS.dcat}accessURL`, { iri: `${base}/files/${i}.${fmt.toLowerCase()}` }],
      [d, `${NS.dct}format`, { iri: `http://publications.europa.eu/resource/authority/file-type/${fmt}` }],
      [d, `${NS.dcat}mediaType`, { iri: `http://www.iana.org/assignments/media-types/${media}` }],
      [d, `${NS.dcat}byteSize`, { value: String(1000 + (i % 50000)), datatype: `${NS.xsd}nonNegativeInteger` }],
    );
    if (everyField) t.push([d, `${NS.dct}title`, { value: `Fichier ${fmt}`, lang: 'fr' }]);
  }
  return t;
}

/** The URL of page `n` (1-based) of a generated feed. */
export const pageUrl = (base: string, n: number, ext = '') => `${base}/catalog${ext}?page=${n}`;

/** Generates page `n` (1-based) of a catalogue as a string in `format`. */
export function generatePage(opts: GenerateOptions, n: number, format: FeedFormat): string {
  const all = opts.datasets;
  const size = opts.pageSize > 0 ? opts.pageSize : all;
  const pages = Math.max(1, Math.ceil(all / size));
  const base = opts.uriBase ?? opts.baseUrl;
  const triples: Triple[] = [];
  const cat = `${base}/catalog`;
  triples.push([cat, `${NS.rdf}type`, { iri: `${NS.dcat}Catalog` }]);
  for (let i = (n - 1) * size; i < Math.min(all, n * size); i++) {
    if (opts.omit?.has(i)) continue;
    triples.push([cat, `${NS.dcat}dataset`, { iri: `${base}/dataset/${i}` }]);
    for (const t of datasetTriples(i, base, opts.revised?.has(i) ?? false, opts.everyField ?? false)) triples.push(t);
  }
  if (opts.everyField) {
    for (let k = 0; k < 7; k++) {
      const org = `${base}/organisation/${k}`;
      const name = organisationName(k);
      triples.push([org, `${NS.rdf}type`, { iri: `${NS.foaf}Organization` }], [org, `${NS.foaf}name`, { value: name.fr, lang: 'fr' }], [org, `${NS.foaf}name`, { value: name.ar, lang: 'ar' }]);
    }
  }
  if (pages > 1) {
    const web = opts.baseUrl;
    const self = pageUrl(web, n);
    if (opts.legacyPaging) {
      triples.push([self, `${NS.rdf}type`, { iri: `${NS.hydra}PagedCollection` }]);
      if (n < pages) triples.push([self, `${NS.hydra}nextPage`, { value: pageUrl(web, n + 1) }]);
    } else {
      triples.push([self, `${NS.rdf}type`, { iri: `${NS.hydra}PartialCollectionView` }]);
      triples.push([self, `${NS.hydra}first`, { iri: pageUrl(web, 1) }]);
      triples.push([self, `${NS.hydra}last`, { iri: pageUrl(web, pages) }]);
      if (n < pages) triples.push([self, `${NS.hydra}next`, { iri: pageUrl(web, n + 1) }]);
      if (n > 1) triples.push([self, `${NS.hydra}previous`, { iri: pageUrl(web, n - 1) }]);
    }
  }
  return serialize(triples, format, base, opts.everyField ? NS_EVERY_FIELD : NS);
}

export function pageCount(opts: GenerateOptions): number {
  const size = opts.pageSize > 0 ? opts.pageSize : opts.datasets;
  return Math.max(1, Math.ceil(opts.datasets / size));
}

function serialize(triples: Triple[], format: FeedFormat, base: string, ns: Namespaces): string {
  switch (format) {
    case 'turtle':
      return toTurtle(triples, base, ns);
    case 'ntriples':
      return triples.map(([s, p, o]) => `<${s}> <${p}> ${ntObj(o)} .`).join('\n') + '\n';
    case 'rdfxml':
      return toRdfXml(triples, ns);
    case 'jsonld':
      return toJsonLd(triples);
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
function ntObj(o: Obj): string {
  if ('iri' in o) return `<${o.iri}>`;
  return `"${esc(o.value)}"${o.lang ? `@${o.lang}` : o.datatype ? `^^<${o.datatype}>` : ''}`;
}

function groupBySubject(triples: Triple[]): Map<string, Triple[]> {
  const m = new Map<string, Triple[]>();
  for (const t of triples) {
    let g = m.get(t[0]);
    if (!g) m.set(t[0], (g = []));
    g.push(t);
  }
  return m;
}

/**
 * Turtle as publishers write it: prefixes (dataset IRIs included), `a`, and `,` object lists.
 * About the size of the issue's reference file (~1.2 kB per dataset).
 */
function toTurtle(triples: Triple[], base: string, ns: Namespaces): string {
  const prefixes: Record<string, string> = {
    ...ns,
    ds: `${base}/dataset/`,
    theme: 'http://publications.europa.eu/resource/authority/data-theme/',
    ft: 'http://publications.europa.eu/resource/authority/file-type/',
    media: 'http://www.iana.org/assignments/media-types/',
  };
  const short = (iri: string) => {
    for (const [k, v] of Object.entries(prefixes)) {
      if (iri.startsWith(v)) {
        const local = iri.slice(v.length);
        if (/^[A-Za-z0-9_-]+$/.test(local)) return `${k}:${local}`;
      }
    }
    return `<${iri}>`;
  };
  const obj = (o: Obj) => ('iri' in o ? short(o.iri) : `"${esc(o.value)}"${o.lang ? `@${o.lang}` : o.datatype ? `^^${short(o.datatype)}` : ''}`);
  const out: string[] = [Object.entries(prefixes).map(([k, v]) => `@prefix ${k}: <${v}> .\n`).join('')];
  for (const [s, ts] of groupBySubject(triples)) {
    const byPred = new Map<string, Obj[]>();
    for (const [, p, o] of ts) {
      let l = byPred.get(p);
      if (!l) byPred.set(p, (l = []));
      l.push(o);
    }
    const parts = [...byPred].map(([p, os]) => `${p === `${NS.rdf}type` ? 'a' : short(p)} ${os.map(obj).join(', ')}`);
    out.push(`${short(s)} ${parts.join(' ;\n  ')} .\n`);
  }
  return out.join('');
}

const xmlEsc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function qname(p: string, namespaces: Namespaces): string {
  for (const [prefix, ns] of Object.entries(namespaces)) if (p.startsWith(ns)) return `${prefix}:${p.slice(ns.length)}`;
  throw new Error(`no prefix for ${p}`);
}
function toRdfXml(triples: Triple[], ns: Namespaces): string {
  const out = ['<?xml version="1.0" encoding="utf-8"?>', `<rdf:RDF ${Object.entries(ns).map(([k, v]) => `xmlns:${k}="${v}"`).join(' ')}>`];
  for (const [s, ts] of groupBySubject(triples)) {
    out.push(`<rdf:Description rdf:about="${xmlEsc(s)}">`);
    for (const [, p, o] of ts) {
      const q = qname(p, ns);
      if ('iri' in o) out.push(`  <${q} rdf:resource="${xmlEsc(o.iri)}"/>`);
      else out.push(`  <${q}${o.lang ? ` xml:lang="${o.lang}"` : ''}${o.datatype ? ` rdf:datatype="${o.datatype}"` : ''}>${xmlEsc(o.value)}</${q}>`);
    }
    out.push('</rdf:Description>');
  }
  out.push('</rdf:RDF>\n');
  return out.join('\n');
}

function toJsonLd(triples: Triple[]): string {
  const nodes: Array<Record<string, unknown>> = [];
  for (const [s, ts] of groupBySubject(triples)) {
    const node: Record<string, unknown[]> & { '@id'?: string } = {};
    const types: string[] = [];
    for (const [, p, o] of ts) {
      if (p === `${NS.rdf}type` && 'iri' in o) {
        types.push(o.iri);
        continue;
      }
      const v = 'iri' in o ? { '@id': o.iri } : { '@value': o.value, ...(o.lang ? { '@language': o.lang } : {}), ...(o.datatype ? { '@type': o.datatype } : {}) };
      (node[p] ??= []).push(v);
    }
    nodes.push({ '@id': s, ...(types.length ? { '@type': types } : {}), ...node });
  }
  return JSON.stringify(nodes);
}

/** A strong ETag for a body. */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}
