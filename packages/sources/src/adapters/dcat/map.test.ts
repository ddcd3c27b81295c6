import { describe, expect, it } from 'vitest';
import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { contentHash } from '../../content-hash.ts';
import { findNextPage, mapPage, normaliseDate, normaliseMediaType } from './map.ts';
import type { MappedBatch } from './map.ts';
import { parseRdfString } from './parse.ts';
import type { RdfFormat } from './parse.ts';

const PAGE = 'https://data.example.ma/catalog';

async function mapText(text: string, format: RdfFormat = 'turtle', batchSize = 1000): Promise<MappedBatch[]> {
  const { graph } = await parseRdfString(text, { url: PAGE, format });
  return [...mapPage(graph, batchSize)];
}

async function mapAll(text: string, format: RdfFormat = 'turtle') {
  const batches = await mapText(text, format);
  return {
    records: batches.flatMap((b) => b.records),
    problems: batches.flatMap((b) => b.problems),
    invalidIdentifiers: batches.flatMap((b) => b.invalidIdentifiers),
  };
}

const PREFIXES = `
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
`;

// One dataset, written three times. Blank-node distribution + IRI distribution, a blank publisher,
// a blank contact point, a blank temporal period and a blank location with a WKT geometry.
const WATER_TTL = `${PREFIXES}
<https://data.example.ma/dataset/eau> a dcat:Dataset ;
  dct:identifier "eau-2024" ;
  dct:title "Qualité de l'eau"@fr, "جودة المياه"@ar, "Water quality"@EN ;
  dct:description "Mesures mensuelles."@fr ;
  dcat:keyword "eau"@fr, "qualité, potable"@fr, "مياه"@ar ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
  dct:publisher [ a foaf:Organization ; foaf:name "Office de l'eau"@fr, "مكتب الماء"@ar ; foaf:mbox <mailto:contact@eau.ma> ;
                  foaf:homepage <https://eau.ma/> ; dct:type <http://purl.org/adms/publishertype/NationalAuthority> ] ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Service données" ; vcard:hasEmail <mailto:donnees@eau.ma> ;
                      vcard:hasTelephone <tel:+212500000000> ] ;
  dcat:landingPage <https://data.example.ma/fr/eau> ;
  dct:issued "2024-01-15"^^xsd:date ;
  dct:modified "2024-05-01T10:30:00Z"^^xsd:dateTime ;
  dct:license <https://creativecommons.org/licenses/by/4.0/> ;
  dct:spatial <https://sws.geonames.org/2542007/>, [ a dct:Location ; locn:geometry "POINT(-6.84 34.02)" ] ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ; dcat:endDate "2020-12-31"^^xsd:date ] ;
  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> ;
  dct:language <http://publications.europa.eu/resource/authority/language/FRA>, <http://publications.europa.eu/resource/authority/language/ARA> ;
  dcat:distribution <https://data.example.ma/dist/eau-csv>, [
    a dcat:Distribution ; dct:title "API JSON"@fr ;
    dcat:accessURL <https://api.example.ma/eau> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/application/json> ] .
<https://data.example.ma/dist/eau-csv> a dcat:Distribution ;
  dct:title "Fichier CSV"@fr ; dcat:downloadURL <https://data.example.ma/files/eau.csv> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
  dcat:mediaType "text/csv" ; dcat:byteSize "123456"^^xsd:nonNegativeInteger ; dct:issued "2024-01-15"^^xsd:date .
`;

const WATER_RDF = `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
  xmlns:dct="http://purl.org/dc/terms/" xmlns:foaf="http://xmlns.com/foaf/0.1/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#"
  xmlns:locn="http://www.w3.org/ns/locn#">
  <dcat:Distribution rdf:about="https://data.example.ma/dist/eau-csv">
    <dct:issued rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2024-01-15</dct:issued>
    <dcat:byteSize rdf:datatype="http://www.w3.org/2001/XMLSchema#nonNegativeInteger">123456</dcat:byteSize>
    <dcat:mediaType>text/csv</dcat:mediaType>
    <dct:format rdf:resource="http://publications.europa.eu/resource/authority/file-type/CSV"/>
    <dcat:downloadURL rdf:resource="https://data.example.ma/files/eau.csv"/>
    <dct:title xml:lang="fr">Fichier CSV</dct:title>
  </dcat:Distribution>
  <dcat:Dataset rdf:about="https://data.example.ma/dataset/eau">
    <dcat:distribution>
      <dcat:Distribution>
        <dcat:mediaType rdf:resource="http://www.iana.org/assignments/media-types/application/json"/>
        <dcat:accessURL rdf:resource="https://api.example.ma/eau"/>
        <dct:title xml:lang="fr">API JSON</dct:title>
      </dcat:Distribution>
    </dcat:distribution>
    <dcat:distribution rdf:resource="https://data.example.ma/dist/eau-csv"/>
    <dct:language rdf:resource="http://publications.europa.eu/resource/authority/language/ARA"/>
    <dct:language rdf:resource="http://publications.europa.eu/resource/authority/language/FRA"/>
    <dct:accrualPeriodicity rdf:resource="http://publications.europa.eu/resource/authority/frequency/MONTHLY"/>
    <dct:temporal>
      <dct:PeriodOfTime>
        <dcat:endDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2020-12-31</dcat:endDate>
        <dcat:startDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2020-01-01</dcat:startDate>
      </dct:PeriodOfTime>
    </dct:temporal>
    <dct:spatial>
      <dct:Location><locn:geometry>POINT(-6.84 34.02)</locn:geometry></dct:Location>
    </dct:spatial>
    <dct:spatial rdf:resource="https://sws.geonames.org/2542007/"/>
    <dct:license rdf:resource="https://creativecommons.org/licenses/by/4.0/"/>
    <dct:modified rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2024-05-01T10:30:00Z</dct:modified>
    <dct:issued rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2024-01-15</dct:issued>
    <dcat:landingPage rdf:resource="https://data.example.ma/fr/eau"/>
    <dcat:contactPoint>
      <vcard:Organization>
        <vcard:hasTelephone rdf:resource="tel:+212500000000"/>
        <vcard:hasEmail rdf:resource="mailto:donnees@eau.ma"/>
        <vcard:fn>Service données</vcard:fn>
      </vcard:Organization>
    </dcat:contactPoint>
    <dct:publisher>
      <foaf:Organization>
        <dct:type rdf:resource="http://purl.org/adms/publishertype/NationalAuthority"/>
        <foaf:homepage rdf:resource="https://eau.ma/"/>
        <foaf:mbox rdf:resource="mailto:contact@eau.ma"/>
        <foaf:name xml:lang="ar">مكتب الماء</foaf:name>
        <foaf:name xml:lang="fr">Office de l'eau</foaf:name>
      </foaf:Organization>
    </dct:publisher>
    <dcat:theme rdf:resource="http://publications.europa.eu/resource/authority/data-theme/ENVI"/>
    <dcat:keyword xml:lang="ar">مياه</dcat:keyword>
    <dcat:keyword xml:lang="fr">qualité, potable</dcat:keyword>
    <dcat:keyword xml:lang="fr">eau</dcat:keyword>
    <dct:description xml:lang="fr">Mesures mensuelles.</dct:description>
    <dct:title xml:lang="en">Water quality</dct:title>
    <dct:title xml:lang="ar">جودة المياه</dct:title>
    <dct:title xml:lang="fr">Qualité de l'eau</dct:title>
    <dct:identifier>eau-2024</dct:identifier>
  </dcat:Dataset>
</rdf:RDF>`;

const WATER_JSONLD = JSON.stringify({
  '@context': {
    dcat: 'http://www.w3.org/ns/dcat#',
    dct: 'http://purl.org/dc/terms/',
    foaf: 'http://xmlns.com/foaf/0.1/',
    vcard: 'http://www.w3.org/2006/vcard/ns#',
    locn: 'http://www.w3.org/ns/locn#',
    xsd: 'http://www.w3.org/2001/XMLSchema#',
  },
  '@graph': [
    {
      '@id': 'https://data.example.ma/dataset/eau',
      '@type': 'dcat:Dataset',
      'dct:identifier': 'eau-2024',
      'dct:title': [
        { '@value': 'Water quality', '@language': 'en' },
        { '@value': "Qualité de l'eau", '@language': 'fr' },
        { '@value': 'جودة المياه', '@language': 'ar' },
      ],
      'dct:description': { '@value': 'Mesures mensuelles.', '@language': 'fr' },
      'dcat:keyword': [
        { '@value': 'مياه', '@language': 'ar' },
        { '@value': 'qualité, potable', '@language': 'fr' },
        { '@value': 'eau', '@language': 'fr' },
      ],
      'dcat:theme': { '@id': 'http://publications.europa.eu/resource/authority/data-theme/ENVI' },
      'dct:publisher': {
        '@type': 'foaf:Organization',
        'foaf:name': [
          { '@value': 'مكتب الماء', '@language': 'ar' },
          { '@value': "Office de l'eau", '@language': 'fr' },
        ],
        'foaf:mbox': { '@id': 'mailto:contact@eau.ma' },
        'foaf:homepage': { '@id': 'https://eau.ma/' },
        'dct:type': { '@id': 'http://purl.org/adms/publishertype/NationalAuthority' },
      },
      'dcat:contactPoint': {
        '@type': 'vcard:Organization',
        'vcard:fn': 'Service données',
        'vcard:hasEmail': { '@id': 'mailto:donnees@eau.ma' },
        'vcard:hasTelephone': { '@id': 'tel:+212500000000' },
      },
      'dcat:landingPage': { '@id': 'https://data.example.ma/fr/eau' },
      'dct:issued': { '@value': '2024-01-15', '@type': 'xsd:date' },
      'dct:modified': { '@value': '2024-05-01T10:30:00Z', '@type': 'xsd:dateTime' },
      'dct:license': { '@id': 'https://creativecommons.org/licenses/by/4.0/' },
      'dct:spatial': [{ '@type': 'dct:Location', 'locn:geometry': 'POINT(-6.84 34.02)' }, { '@id': 'https://sws.geonames.org/2542007/' }],
      'dct:temporal': {
        '@type': 'dct:PeriodOfTime',
        'dcat:startDate': { '@value': '2020-01-01', '@type': 'xsd:date' },
        'dcat:endDate': { '@value': '2020-12-31', '@type': 'xsd:date' },
      },
      'dct:accrualPeriodicity': { '@id': 'http://publications.europa.eu/resource/authority/frequency/MONTHLY' },
      'dct:language': [
        { '@id': 'http://publications.europa.eu/resource/authority/language/ARA' },
        { '@id': 'http://publications.europa.eu/resource/authority/language/FRA' },
      ],
      'dcat:distribution': [
        {
          '@type': 'dcat:Distribution',
          'dct:title': { '@value': 'API JSON', '@language': 'fr' },
          'dcat:accessURL': { '@id': 'https://api.example.ma/eau' },
          'dcat:mediaType': { '@id': 'http://www.iana.org/assignments/media-types/application/json' },
        },
        {
          '@id': 'https://data.example.ma/dist/eau-csv',
          '@type': 'dcat:Distribution',
          'dct:title': { '@value': 'Fichier CSV', '@language': 'fr' },
          'dcat:downloadURL': { '@id': 'https://data.example.ma/files/eau.csv' },
          'dct:format': { '@id': 'http://publications.europa.eu/resource/authority/file-type/CSV' },
          'dcat:mediaType': 'text/csv',
          'dcat:byteSize': { '@value': '123456', '@type': 'xsd:nonNegativeInteger' },
          'dct:issued': { '@value': '2024-01-15', '@type': 'xsd:date' },
        },
      ],
    },
  ],
});

const EXPECTED_WATER: CanonicalDataset = {
  identifier: 'eau-2024',
  uri: 'https://data.example.ma/dataset/eau',
  title: { ar: 'جودة المياه', en: 'Water quality', fr: "Qualité de l'eau" },
  description: { fr: 'Mesures mensuelles.' },
  keywords: { ar: ['مياه'], fr: ['eau', 'qualité, potable'] },
  themes: ['http://publications.europa.eu/resource/authority/data-theme/ENVI'],
  publisher: {
    name: { ar: 'مكتب الماء', fr: "Office de l'eau" },
    email: 'contact@eau.ma',
    homepage: 'https://eau.ma/',
    type: 'http://purl.org/adms/publishertype/NationalAuthority',
  },
  contactPoint: { name: 'Service données', email: 'donnees@eau.ma', phone: '+212500000000' },
  landingPage: 'https://data.example.ma/fr/eau',
  issued: '2024-01-15',
  modified: '2024-05-01T10:30:00Z',
  license: 'https://creativecommons.org/licenses/by/4.0/',
  spatial: ['POINT(-6.84 34.02)', 'https://sws.geonames.org/2542007/'],
  temporal: [{ start: '2020-01-01', end: '2020-12-31' }],
  accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/MONTHLY',
  language: ['http://publications.europa.eu/resource/authority/language/ARA', 'http://publications.europa.eu/resource/authority/language/FRA'],
  // Sorted by content, so the order cannot depend on blank-node labels or triple order.
  distributions: [
    { title: { fr: 'API JSON' }, accessUrl: 'https://api.example.ma/eau', mediaType: 'application/json' },
    {
      uri: 'https://data.example.ma/dist/eau-csv',
      title: { fr: 'Fichier CSV' },
      downloadUrl: 'https://data.example.ma/files/eau.csv',
      format: 'http://publications.europa.eu/resource/authority/file-type/CSV',
      mediaType: 'text/csv',
      byteSize: 123456,
      issued: '2024-01-15',
    },
  ],
};

describe('DCAT mapping', () => {
  it('maps the same dataset identically from Turtle, RDF/XML and JSON-LD', async () => {
    const ttl = await mapAll(WATER_TTL, 'turtle');
    const rdf = await mapAll(WATER_RDF, 'rdfxml');
    const jsonld = await mapAll(WATER_JSONLD, 'jsonld');
    expect(ttl.problems).toEqual([]);
    // The kept description too is the same text whatever the syntax (canonical blank labels).
    expect(ttl.records).toEqual([{ ...EXPECTED_WATER, sourceDescription: { format: 'application/n-triples', body: expect.stringContaining('"مكتب الماء"@ar') } }]);
    expect(rdf.records).toEqual(ttl.records);
    expect(jsonld.records).toEqual(ttl.records);
    expect(rdf.problems).toEqual([]);
    expect(jsonld.problems).toEqual([]);
  });

  it('keeps French and Arabic titles byte for byte', async () => {
    const { records } = await mapAll(WATER_TTL);
    const title = records[0]?.title ?? {};
    expect(Buffer.from(title['fr'] ?? '', 'utf8').equals(Buffer.from("Qualité de l'eau", 'utf8'))).toBe(true);
    expect(Buffer.from(title['ar'] ?? '', 'utf8').equals(Buffer.from('جودة المياه', 'utf8'))).toBe(true);
    // Language tags are lower-cased: "EN" in the source becomes "en".
    expect(Object.keys(title).sort()).toEqual(['ar', 'en', 'fr']);
  });

  it('hashes the same content the same whatever the syntax or triple order', async () => {
    const ttl = (await mapAll(WATER_TTL)).records[0] as CanonicalDataset;
    const rdf = (await mapAll(WATER_RDF, 'rdfxml')).records[0] as CanonicalDataset;
    expect(contentHash(rdf)).toBe(contentHash(ttl));
    expect(contentHash(ttl)).toMatch(/^d2:[0-9a-f]{40}$/);
    const shuffled: CanonicalDataset = {
      ...ttl,
      themes: [...ttl.themes].reverse(),
      language: [...ttl.language].reverse(),
      spatial: [...ttl.spatial].reverse(),
      distributions: [...ttl.distributions].reverse(),
      keywords: { fr: [...(ttl.keywords['fr'] ?? [])].reverse(), ar: ttl.keywords['ar'] ?? [] },
    };
    expect(contentHash(shuffled)).toBe(contentHash(ttl));
    expect(contentHash({ ...ttl, title: { ...ttl.title, fr: 'Qualité de l’eau' } })).not.toBe(contentHash(ttl));
  });

  it('maps blank-node and IRI distributions, dct:IMT formats, literal URLs and vCard values', async () => {
    const { records, problems } = await mapAll(`${PREFIXES}
      @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
      @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
      <https://x.ma/d/1> a dcat:Dataset ; dct:title "Un" ;
        dcat:contactPoint <https://x.ma/contact> ;
        dct:publisher <https://x.ma/org/1> ;
        dcat:distribution [ dcat:accessURL "http://data.some.org/download.zip" ;
                            dct:format [ a dct:IMT ; rdfs:label "CSV" ; rdf:value "text/csv" ] ;
                            dcat:mediaType "Text/CSV; charset=utf-8" ],
                          <https://x.ma/dist/2> .
      <https://x.ma/contact> vcard:fn "Équipe" ; vcard:hasEmail "equipe@x.ma" ; vcard:hasURL <https://x.ma/contact-form> ;
        vcard:hasTelephone [ vcard:hasValue <tel:+212-5-00> ] .
      <https://x.ma/dist/2> dct:license "Licence Ouverte" ; dct:format "ZIP" .`);
    expect(problems).toEqual([]);
    const d = records[0] as CanonicalDataset;
    // An IRI publisher without further triples is kept by its IRI.
    expect(d.publisher).toEqual({ uri: 'https://x.ma/org/1' });
    expect(d.contactPoint).toEqual({
      uri: 'https://x.ma/contact',
      name: 'Équipe',
      email: 'equipe@x.ma',
      url: 'https://x.ma/contact-form',
      phone: '+212-5-00',
    });
    expect(d.distributions).toEqual([
      { accessUrl: 'http://data.some.org/download.zip', format: 'CSV', mediaType: 'text/csv' },
      { uri: 'https://x.ma/dist/2', license: 'Licence Ouverte', format: 'ZIP' },
    ]);
  });

  it('reads every xsd date type and date-like untyped literals', async () => {
    const cases: [string, string][] = [
      ['"2024-01-15"^^xsd:date', '2024-01-15'],
      ['"2024-01-15+01:00"^^xsd:date', '2024-01-15+01:00'],
      ['"2024-01-15T08:30:00"^^xsd:dateTime', '2024-01-15T08:30:00'],
      ['"2024-01-15T08:30:00.250-05:00"^^xsd:dateTime', '2024-01-15T08:30:00.250-05:00'],
      ['"2024-01-15T08:30:00Z"^^xsd:dateTimeStamp', '2024-01-15T08:30:00Z'],
      ['"2024"^^xsd:gYear', '2024'],
      ['"2024-02"^^xsd:gYearMonth', '2024-02'],
      ['"2024-02-29"', '2024-02-29'],
      ['"2024-01-15 08:30"', '2024-01-15T08:30:00'],
      ['"2024-01-15T08:30:00z"@fr', '2024-01-15T08:30:00Z'],
      ['"2024-01-15"^^xsd:dateTime', '2024-01-15'],
    ];
    const ttl = cases.map(([lit], i) => `<https://x.ma/d/${i}> a dcat:Dataset ; dct:title "T" ; dct:issued ${lit} .`).join('\n');
    const { records, problems } = await mapAll(`${PREFIXES}\n${ttl}`);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.issued)).toEqual(cases.map((c) => c[1]));
  });

  it('drops bad dates and byte sizes with warnings that name the field and value, keeping the record', async () => {
    const { records, problems } = await mapAll(`${PREFIXES}
      <https://x.ma/d/1> a dcat:Dataset ; dct:title "T" ;
        dct:issued "06/05/2009" ; dct:modified "2023-02-30"^^xsd:date ;
        dct:temporal [ dcat:startDate "2020-13-01" ; dcat:endDate "2020-12-31" ] ;
        dcat:distribution [ dcat:accessURL <https://x.ma/f> ; dcat:byteSize "12 MB" ; dct:modified "yesterday" ],
                          [ dcat:accessURL <https://x.ma/g> ; dcat:byteSize "-5"^^xsd:integer ] .`);
    const d = records[0] as CanonicalDataset;
    expect(d.issued).toBeUndefined();
    expect(d.modified).toBeUndefined();
    // The bad start is kept as given: the period is not made open-ended.
    expect(d.temporal).toEqual([{ end: '2020-12-31', startAsGiven: '2020-13-01' }]);
    expect(d.distributions).toEqual([{ accessUrl: 'https://x.ma/f' }, { accessUrl: 'https://x.ma/g' }]);
    const brief = problems.map((p) => [p.severity, p.code, p.field, p.identifier]);
    expect(brief).toEqual(
      expect.arrayContaining([
        ['warning', 'invalid_date', 'issued', 'https://x.ma/d/1'],
        ['warning', 'invalid_date', 'modified', 'https://x.ma/d/1'],
        ['warning', 'invalid_date', 'temporal.start', 'https://x.ma/d/1'],
        ['warning', 'invalid_byte_size', 'distributions[0].byteSize', 'https://x.ma/d/1'],
        ['warning', 'invalid_date', 'distributions[0].modified', 'https://x.ma/d/1'],
        ['warning', 'invalid_byte_size', 'distributions[1].byteSize', 'https://x.ma/d/1'],
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(problems.find((p) => p.field === 'issued')?.message).toContain('"06/05/2009"');
    expect(problems.find((p) => p.field === 'distributions[0].byteSize')?.message).toContain('"12 MB"');
  });

  it('skips datasets without title, and blank ones without identifier or title, with error problems; names a titled blank one from its description', async () => {
    const text = `${PREFIXES}
      <https://x.ma/d/untitled> a dcat:Dataset ; dct:identifier "untitled-1" ; dct:description "no title" .
      [] a dcat:Dataset ; dct:title "Anonymous" ; dcat:keyword "part" .
      [] a dcat:Dataset ; dct:description "neither identifier nor title" .
      [] a dcat:Dataset ; dct:title "Blank but identified" ; dct:identifier "blank-2" .
      <https://x.ma/d/ok> a dcat:Dataset ; dct:title "Fine" .`;
    const batches = await mapText(text);
    const records = batches.flatMap((b) => b.records);
    const problems = batches.flatMap((b) => b.problems);
    const anonymous = records.find((r) => r.title[''] === 'Anonymous')?.identifier;
    expect(anonymous).toMatch(/^urn:hasad:dcat-blank:[0-9a-f]{40}$/);
    expect(records.map((r) => [r.identifier, r.uri])).toEqual([
      [anonymous, undefined],
      ['blank-2', undefined],
      ['https://x.ma/d/ok', 'https://x.ma/d/ok'],
    ]);
    expect(problems.map((p) => [p.severity, p.code, p.identifier])).toEqual([
      ['error', 'missing_title', 'untitled-1'],
      ['warning', 'identifier_from_hash', anonymous],
      ['error', 'missing_identifier', undefined],
    ]);
    expect(batches.flatMap((b) => b.invalidIdentifiers)).toEqual(['untitled-1']);
    // The same description in another syntax or order gives the same identifier; another description another one.
    const again = (await mapText(text.replace('dct:title "Anonymous" ; dcat:keyword "part"', 'dcat:keyword "part" ; dct:title "Anonymous"'))).flatMap((b) => b.records);
    expect(again.find((r) => r.title[''] === 'Anonymous')?.identifier).toBe(anonymous);
    const other = (await mapText(text.replace('"part"', '"partie"'))).flatMap((b) => b.records);
    expect(other.find((r) => r.title[''] === 'Anonymous')?.identifier).not.toBe(anonymous);
  });

  it('keeps two datasets with their own IRIs that share an identifier, each keyed by its IRI, whatever their order', async () => {
    const a = '<https://x.ma/d/a> a dcat:Dataset ; dct:identifier "same" ; dct:title "First" .';
    const b = '<https://x.ma/d/b> a dcat:Dataset ; dct:identifier "same" ; dct:title "Second" .';
    const c = '<https://x.ma/d/c> a dcat:Dataset ; dct:identifier "own" ; dct:title "Third" .';
    const { records, problems } = await mapAll(`${PREFIXES}\n${a}\n${b}\n${c}`);
    expect(records.map((r) => [r.identifier, r.title['']])).toEqual([
      ['https://x.ma/d/a', 'First'],
      ['https://x.ma/d/b', 'Second'],
      ['own', 'Third'],
    ]);
    expect(problems.filter((p) => p.code === 'duplicate_identifier')).toEqual([
      expect.objectContaining({ severity: 'warning', identifier: 'https://x.ma/d/a', message: expect.stringContaining('"same"') }),
      expect.objectContaining({ severity: 'warning', identifier: 'https://x.ma/d/b', message: expect.stringContaining('"same"') }),
    ]);
    const swapped = await mapAll(`${PREFIXES}\n${b}\n${c}\n${a}`);
    expect(swapped.records.map((r) => r.identifier).sort()).toEqual(['https://x.ma/d/a', 'https://x.ma/d/b', 'own']);
    // One that has another identifier no other dataset gives is keyed by it.
    const versioned = await mapAll(`${PREFIXES}\n${a}\n${b.replace('dct:identifier "same"', 'dct:identifier "same", "v2"')}`);
    expect(versioned.records.map((r) => r.identifier)).toEqual(['https://x.ma/d/a', 'v2']);
    expect(versioned.problems.filter((p) => p.code === 'duplicate_identifier').map((p) => p.message)).toEqual([
      expect.stringContaining('keyed by its IRI'),
      expect.stringContaining('keyed by its other identifier "v2"'),
    ]);
  });

  it('keeps the first of two blank-node datasets with the same identifier on a page', async () => {
    const { records, problems } = await mapAll(`${PREFIXES}
      [] a dcat:Dataset ; dct:identifier "same" ; dct:title "First" .
      [] a dcat:Dataset ; dct:identifier "same" ; dct:title "Second" .`);
    expect(records.map((r) => r.title[''])).toEqual(['First']);
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'duplicate_identifier', identifier: 'same' })]);
  });

  it('accepts dcat:DatasetSeries as datasets and keeps keywords with commas whole', async () => {
    const { records } = await mapAll(`${PREFIXES}
      <https://x.ma/series> a dcat:DatasetSeries ; dct:title "Budget"@fr ; dcat:keyword "Trees, forest, shrub" .`);
    expect(records).toHaveLength(1);
    expect(records[0]?.keywords).toEqual({ '': ['Trees, forest, shrub'] });
  });

  it('warns when a single-valued field has several values and keeps one deterministically', async () => {
    const { records, problems } = await mapAll(`${PREFIXES}
      <https://x.ma/d/1> a dcat:Dataset ; dct:title "B", "A" ; dct:license <https://l/2>, <https://l/1> .`);
    expect(records[0]?.title).toEqual({ '': 'A' });
    expect(records[0]?.license).toBe('https://l/1');
    expect(problems.map((p: RecordProblem) => [p.code, p.field])).toEqual([
      ['multiple_values', 'title'],
      ['multiple_values', 'license'],
    ]);
  });

  it('yields records in batches of batchSize', async () => {
    const ttl = Array.from({ length: 5 }, (_, i) => `<https://x.ma/d/${i}> a dcat:Dataset ; dct:title "T${i}" .`).join('\n');
    const batches = await mapText(`${PREFIXES}\n${ttl}`, 'turtle', 2);
    expect(batches.map((b) => b.records.map((r) => r.title['']))).toEqual([['T0', 'T1'], ['T2', 'T3'], ['T4']]);
  });

  it('reads OWL-Time periods and schema.org dates in dct:temporal', async () => {
    const { records } = await mapAll(`${PREFIXES}
      @prefix time: <http://www.w3.org/2006/time#> .
      @prefix schema: <http://schema.org/> .
      <https://x.ma/d/1> a dcat:Dataset ; dct:title "T" ;
        dct:temporal [ time:hasBeginning [ time:inXSDDate "2019-01-01"^^xsd:date ] ; time:hasEnd [ time:inXSDDateTime "2019-06-30T00:00:00Z"^^xsd:dateTime ] ],
                     [ schema:startDate "2021"^^xsd:gYear ] .`);
    expect(records[0]?.temporal).toEqual([{ start: '2019-01-01', end: '2019-06-30T00:00:00Z' }, { start: '2021' }]);
  });
});

describe('findNextPage', () => {
  it('reads hydra:next on a PartialCollectionView, relative to the page', async () => {
    const { graph } = await parseRdfString(
      `@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
       <?page=1> a hydra:PartialCollectionView ; hydra:next <?page=2> .`,
      { url: `${PAGE}?page=1`, format: 'turtle' },
    );
    expect(findNextPage(graph, `${PAGE}?page=1`)).toEqual({ nextUrl: `${PAGE}?page=2`, problems: [] });
  });

  it('reads the older hydra:nextPage given as a literal, resolving relative links', async () => {
    const { graph } = await parseRdfString(
      `@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
       <https://elsewhere.org/page/1> a hydra:PagedCollection ; hydra:nextPage "page-2.ttl" .`,
      { url: 'https://data.example.ma/feed/page-1.ttl', format: 'turtle' },
    );
    expect(findNextPage(graph, 'https://data.example.ma/feed/page-1.ttl').nextUrl).toBe('https://data.example.ma/feed/page-2.ttl');
  });

  it('has no next page when the view has none', async () => {
    const { graph } = await parseRdfString(WATER_TTL, { url: PAGE, format: 'turtle' });
    expect(findNextPage(graph, PAGE)).toEqual({ problems: [] });
  });
});

describe('normalisers', () => {
  it('normaliseDate rejects impossible dates', () => {
    expect(normaliseDate('2023-02-29')).toBeUndefined();
    expect(normaliseDate('2024-00-10')).toBeUndefined();
    expect(normaliseDate('2024-01-10T25:00:00')).toBeUndefined();
    expect(normaliseDate('2024-01-10T24:00:00')).toBe('2024-01-10T24:00:00');
    expect(normaliseDate('2024-01-10T10:00:00+0530')).toBe('2024-01-10T10:00:00+05:30');
    expect(normaliseDate('10 January 2024')).toBeUndefined();
  });

  it('normaliseMediaType reduces IANA IRIs and drops parameters', () => {
    expect(normaliseMediaType('http://www.iana.org/assignments/media-types/text/csv')).toBe('text/csv');
    expect(normaliseMediaType('https://www.iana.org/assignments/media-types/application/vnd.geo+json')).toBe('application/vnd.geo+json');
    expect(normaliseMediaType('Text/CSV; charset=utf-8')).toBe('text/csv');
    expect(normaliseMediaType('CSV')).toBeUndefined();
  });
});
