import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import { contentHash } from '../../content-hash.ts';
import { mapPackage, mapPackages } from './map.ts';
import type { CkanMapContext } from './map.ts';

// ../shared/conformance beside the repository: real CKAN / DKAN answers and ckanext-dcat's
// example dataset dicts (see its SOURCES.md). A clone without it skips these tests, loudly.
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const haveConformance = existsSync(conformance);
if (!haveConformance) console.warn(`SKIPPED CKAN mapping conformance tests: ${conformance} not found`);

const ctx: CkanMapContext = { portal: 'https://data.gov.ma/data', language: 'fr' };

function fixture(rel: string): unknown {
  return JSON.parse(readFileSync(path.join(conformance, rel), 'utf8'));
}

/** The package dicts of a fixture: an API envelope (package_show, package_search, DKAN list) or a bare dict. */
function packagesOf(rel: string): Record<string, unknown>[] {
  let doc = fixture(rel) as Record<string, unknown> | unknown[];
  if (!Array.isArray(doc) && 'result' in doc) doc = doc['result'] as Record<string, unknown> | unknown[];
  if (!Array.isArray(doc) && Array.isArray(doc['results'])) doc = doc['results'] as unknown[];
  return (Array.isArray(doc) ? doc : [doc]) as Record<string, unknown>[];
}

function mapOne(rel: string): { record: CanonicalDataset; problems: ReturnType<typeof mapPackage>['problems'] } {
  const [pkg] = packagesOf(rel);
  const res = mapPackage(pkg as Record<string, unknown>, ctx);
  expect(res.record, JSON.stringify(res.problems)).toBeDefined();
  return { record: res.record as CanonicalDataset, problems: res.problems };
}

const EXAMPLES = 'ckanext-dcat/examples-ckan';
const codes = (problems: { code: string }[]) => problems.map((p) => p.code);

describe.skipIf(!haveConformance)('CKAN mapping: real CKAN answers (demo.ckan.org, 2017)', () => {
  it('maps every package of a package_search answer without an error', () => {
    const pkgs = packagesOf('ckan-api/demo.ckan.org-2017/packages.json');
    expect(pkgs).toHaveLength(3);
    const batches = [...mapPackages(pkgs, ctx, 1000)];
    expect(batches.flatMap((b) => b.records.map((r) => r.identifier))).toEqual([
      '62513382-3b26-4bc8-9096-40b6ce8383c0',
      '9c3036b8-f6ac-4a4e-9036-5a3cc90c3900',
      '17be64bb-da74-4195-9bb8-565c39846af2',
    ]);
    expect(batches.flatMap((b) => b.problems)).toEqual([]);
  });

  it('maps a package_show answer field by field', () => {
    const { record, problems } = mapOne('ckan-api/demo.ckan.org-2017/17be64bb-da74-4195-9bb8-565c39846af2.json');
    expect(problems).toEqual([]);
    expect(record).toEqual({
      identifier: '17be64bb-da74-4195-9bb8-565c39846af2',
      uri: 'https://data.gov.ma/data/dataset/2016-regione-asia-est-oceania-classi-di-eta',
      title: { fr: '2016 Regione Asia Est Oceania * Classi di età' },
      description: { fr: 'Dati demografici al 31.12.2016 della Regione Asia Est Oceania per classi di età' },
      keywords: { fr: ['2016', 'RASE', 'età'] },
      themes: [],
      // The organisation, with its page on the portal as URI.
      publisher: { name: { fr: 'SDB' }, uri: 'https://data.gov.ma/data/organization/sdb' },
      // license_url is preferred to license_id "cc-by" and the title.
      license: 'http://www.opendefinition.org/licenses/cc-by',
      // CKAN's own timestamps are naive UTC: they get their Z.
      issued: '2017-07-05T19:28:19.620158Z',
      modified: '2017-07-05T19:29:07.136124Z',
      spatial: [],
      temporal: [],
      language: [],
      distributions: [
        {
          uri: 'https://data.gov.ma/data/dataset/2016-regione-asia-est-oceania-classi-di-eta/resource/a5cd573b-5565-48f1-9b2d-8726004cb020',
          title: { fr: '20161231_RASE.csv' },
          description: { fr: 'dati per classi di età...' },
          accessUrl: 'https://demo.ckan.org/dataset/17be64bb-da74-4195-9bb8-565c39846af2/resource/a5cd573b-5565-48f1-9b2d-8726004cb020/download/20161231_rase.csv',
          // url_type "upload": the file is stored by CKAN, so the URL is a download.
          downloadUrl: 'https://demo.ckan.org/dataset/17be64bb-da74-4195-9bb8-565c39846af2/resource/a5cd573b-5565-48f1-9b2d-8726004cb020/download/20161231_rase.csv',
          format: 'CSV',
          issued: '2017-07-05T19:29:04.818480Z',
        },
      ],
    });
  });

  it('takes the contact point from maintainer when no extra names one; an empty url is no landing page', () => {
    const { record } = mapOne('ckan-api/demo.ckan.org-2017/62513382-3b26-4bc8-9096-40b6ce8383c0.json');
    expect(record.contactPoint).toEqual({ name: 'TKKIM', email: 'misoh049@gmail.com' });
    expect(record.landingPage).toBeUndefined();
    expect(record.license).toBe('other-open');
    expect(record.publisher).toBeUndefined();
  });
});

describe.skipIf(!haveConformance)('CKAN mapping: DKAN (udata-ckan fixture)', () => {
  const rel = 'ckan-api/dkan-french-w-license.json';

  it('reads French dates, HTML-escaped JSON in extras, a licence URL given as title, capitalised state', () => {
    const { record, problems } = mapOne(rel);
    expect(record.identifier).toBe('04be6288-696d-4331-850d-a144871a7e3a');
    expect(record.title).toEqual({ fr: 'Antennes régionales de la Région Hauts-de-France (au 01/10/2019)' });
    // "mar, 10/12/2019 - 09:23": Tuesday 10 December 2019, the portal's local time.
    expect(record.issued).toBe('2019-12-10T09:23:00');
    // dataset-reference-date is `[{&quot;type&quot;: &quot;revision&quot;, ...}]`: unescaped, then read.
    expect(record.modified).toBe('2019-10-01');
    expect(record.license).toBe('http://www.etalab.gouv.fr/pages/Licence_ouverte_Open_licence-5899923.html');
    expect(record.contactPoint).toEqual({ email: 'sig@hautsdefrance.fr' });
    expect(record.accrualPeriodicity).toBe('asNeeded');
    expect(record.themes).toEqual(['Région Hauts-de-France']);
    // vocabulary_id "2" on every tag is ignored: they are the dataset's keywords.
    expect(record.keywords['fr']).toHaveLength(13);
    expect(record.keywords['fr']).toContain('Services d utilité publique et services publics');
    // bbox-* extras (ckanext-spatial) become a polygon.
    expect(JSON.parse(record.spatial[0] as string)).toEqual({
      type: 'Polygon',
      coordinates: [[[1.18652344, 48.80546301], [4.65820313, 48.80546301], [4.65820313, 51.16423318], [1.18652344, 51.16423318], [1.18652344, 48.80546301]]],
    });
    expect(record.distributions).toHaveLength(2);
    expect(record.distributions[0]).toMatchObject({
      format: 'xlsx',
      byteSize: 42, // "42 octets"
      issued: '2019-12-19T03:00:00', // "jeu, 19/12/2019 - 03:00"
      modified: '2019-12-19T03:00:00', // "Date changed  jeu, 19/12/2019 - 03:00"
    });
    expect(record.distributions[0]?.mediaType).toBeUndefined();
    // mimetype "xlsx" is not a media type: dropped, with a warning naming the field.
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'invalid_media_type', field: 'distributions[0].mediaType' })]);
  });

  it('skips the package when harvesting: DKAN marks it private', () => {
    const batches = [...mapPackages(packagesOf(rel), ctx, 1000)];
    expect(batches.flatMap((b) => b.records)).toEqual([]);
    expect(batches.flatMap((b) => b.invalidIdentifiers)).toEqual([]);
    expect(batches.flatMap((b) => b.problems)).toEqual([
      expect.objectContaining({ severity: 'info', code: 'private_package', identifier: '04be6288-696d-4331-850d-a144871a7e3a' }),
    ]);
  });
});

describe.skipIf(!haveConformance)('CKAN mapping: ckanext-dcat example dataset dicts', () => {
  it('maps the scheming DCAT-AP dataset (ckan_full_dataset_dcat_ap.json)', () => {
    const { record, problems } = mapOne(`${EXAMPLES}/ckan_full_dataset_dcat_ap.json`);
    // No id: the name is the identifier.
    expect(record.identifier).toBe('test-dataset-shacl');
    expect(record.uri).toBe('https://data.gov.ma/data/dataset/test-dataset-shacl');
    expect(record).toMatchObject({
      title: { fr: 'Test DCAT dataset' },
      description: { fr: 'Lorem ipsum' },
      keywords: { fr: ['Tag 1', 'Tag 2'] },
      themes: ['https://example.org/uri/theme1', 'https://example.org/uri/theme2', 'https://example.org/uri/theme3'],
      language: ['ca', 'en', 'es'],
      issued: '2024-05-01',
      modified: '2024-05-05',
      accrualPeriodicity: 'monthly',
      accessRights: 'Statement about access rights',
      landingPage: 'http://example.org/ds1',
      publisher: { name: { fr: 'Test Publisher' }, email: 'publisher@example.org', homepage: 'https://example.org', type: 'public_body' },
      contactPoint: { name: 'Contact 1', email: 'contact1@example.org', url: 'https://example.org' },
      temporal: [
        { start: '1905-03-01', end: '2013-01-05' },
        { start: '2024-04-10', end: '2024-05-29' },
      ],
    });
    expect(record.spatial).toContain('https://sws.geonames.org/6361390/');
    expect(record.spatial).toContain('Tarragona');
    expect(record.spatial.some((s) => s.startsWith('{"type":"Polygon"'))).toBe(true);
    expect(record.distributions).toEqual([
      {
        title: { fr: 'Resource 1' },
        description: { fr: 'Some description' },
        accessUrl: 'https://example.com/data.csv',
        downloadUrl: 'https://example.com/data.csv',
        format: 'CSV',
        byteSize: 12323,
        license: 'http://creativecommons.org/licenses/by/3.0/',
        issued: '2024-05-01T01:20:33',
        modified: '2024-05-05T09:33:20',
      },
    ]);
    // Two contacts, one contact point: the first is kept, and the choice is reported.
    expect(codes(problems)).toEqual(['multiple_values']);
  });

  it('maps the legacy extras form of the same dataset to the same values', () => {
    const scheming = mapOne(`${EXAMPLES}/ckan_full_dataset_dcat_ap.json`).record;
    const { record, problems } = mapOne(`${EXAMPLES}/ckan_full_dataset_dcat_ap_legacy.json`);
    expect(problems).toEqual([]);
    // The legacy form has one period and one contact (without URL); the rest is the same dataset.
    const { temporal: _t1, contactPoint: _c1, ...a } = record;
    const { temporal: _t2, contactPoint: _c2, ...b } = scheming;
    expect(a).toEqual(b);
    expect(record.temporal).toEqual([{ start: '1905-03-01', end: '2013-01-05' }]);
    expect(record.contactPoint).toEqual({ name: 'Contact 1', email: 'contact1@example.org' });
  });

  it('keeps every language of a multilingual (ckanext-fluent) dataset', () => {
    const { record } = mapOne(`${EXAMPLES}/ckan_dataset_multilingual.json`);
    // The plain title repeats the English one: not filed again under the portal language.
    expect(record.title).toEqual({ ca: 'Conjunt de dades de prova DCAT', en: 'Test DCAT dataset', es: 'Conjunto de datos de prueba DCAT' });
    expect(record.description).toEqual({ ca: 'Una descripció qualsevol', en: 'Some description', es: 'Una descripción cualquiera' });
    expect(record.keywords).toEqual({ ca: ['Pins', 'Roures'], en: ['Oaks', 'Pines'], es: ['Pinos', 'Robles'] });
    expect(record.distributions[0]?.title).toEqual({ ca: 'Recurs 1', en: 'Resource 1', es: 'Recurso 1' });
  });

  it('maps ckan_dataset.json as ckanext-dcat itself does (its dataset.json is the expected DCAT)', () => {
    const expected = fixture(`${EXAMPLES}/dataset.json`) as Record<string, unknown>;
    const { record, problems } = mapOne(`${EXAMPLES}/ckan_dataset.json`);
    expect(problems).toEqual([]);
    expect(record.title).toEqual({ fr: expected['title'] });
    expect(record.description).toEqual({ fr: expected['description'] });
    expect(record.landingPage).toBe(expected['landingPage']);
    expect(record.issued).toBe(expected['issued']);
    expect(record.modified).toBe(`${expected['modified'] as string}:00`); // seconds added by normalisation
    expect(record.language).toEqual([...(expected['language'] as string[])].sort());
    expect(record.keywords['fr']).toEqual(expected['keyword']);
    expect(record.publisher).toEqual({ name: { fr: 'Geological Society' }, email: 'info@gs.org' });
    const dist = (expected['distribution'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(record.distributions[0]).toMatchObject({ accessUrl: dist['accessURL'], description: { fr: dist['description'] }, format: dist['format'] });
    // The package id, not extras' guid, identifies it in Hasad.
    expect(record.identifier).toBe('2988a6aa-2802-4f32-b846-d4520c79c4b7');
  });

  it('reads the INSPIRE extras of a harvested legacy dataset (full_ckan_dataset_legacy.json)', () => {
    const { record, problems } = mapOne(`${EXAMPLES}/full_ckan_dataset_legacy.json`);
    expect(problems).toEqual([]);
    expect(record.temporal).toEqual([{ start: '1982', end: '1986' }]);
    expect(record.accrualPeriodicity).toBe('notPlanned');
    expect(record.spatial).toEqual(['{"type":"Polygon","coordinates":[[[33,-22],[33,-15],[25,-15],[25,-22],[33,-22]]]}']);
    // Extras (contact-email) are preferred to the core maintainer fields.
    expect(record.contactPoint).toEqual({ email: 'enquiries@bgs.ac.uk' });
    expect(record.license).toBeUndefined(); // license_id null
  });

  it.each([
    'ckan_full_dataset_dcat_ap_vocabularies.json',
    'ckan_full_dataset_dcat_us_vocabularies.json',
    'health_dcat_ap.json',
    'ckan_dcat_ap_dataset_series.json',
    'ckan_full_dataset_croissant.json',
  ])('maps %s without error, deterministically', (file) => {
    const [pkg] = packagesOf(`${EXAMPLES}/${file}`);
    const a = mapPackage(pkg as Record<string, unknown>, ctx);
    const b = mapPackage(structuredClone(pkg) as Record<string, unknown>, ctx);
    expect(a.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(a.record).toBeDefined();
    expect(contentHash(a.record as CanonicalDataset)).toBe(contentHash(b.record as CanonicalDataset));
  });

  it('reads vocabulary URIs of the DCAT-AP vocabularies dataset', () => {
    const { record } = mapOne(`${EXAMPLES}/ckan_full_dataset_dcat_ap_vocabularies.json`);
    expect(record.accrualPeriodicity).toBe('http://publications.europa.eu/resource/authority/frequency/MONTHLY');
    expect(record.language).toContain('http://publications.europa.eu/resource/authority/language/ENG');
    expect(record.distributions[0]).toMatchObject({
      format: 'http://publications.europa.eu/resource/authority/file-type/CSV',
      mediaType: 'text/csv', // from the IANA IRI
    });
  });
});

/** A minimal valid package, to vary one thing at a time. */
function pkg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'p-1', name: 'eau-potable', title: 'Eau potable', state: 'active', private: false, ...extra };
}

describe('CKAN mapping: rules', () => {
  it('keeps French and Arabic titles of title_translated, and the plain title only when it is a new text', () => {
    const r = mapPackage(pkg({ title: 'Eau potable', title_translated: { fr: 'Eau potable', ar: 'الماء الصالح للشرب' }, notes_translated: { AR: 'وصف' } }), ctx);
    expect(r.record?.title).toEqual({ ar: 'الماء الصالح للشرب', fr: 'Eau potable' });
    expect(r.record?.description).toEqual({ ar: 'وصف' });
    const onlyAr = mapPackage(pkg({ title: 'Water', title_translated: { ar: 'الماء' } }), { ...ctx, language: 'en' });
    expect(onlyAr.record?.title).toEqual({ ar: 'الماء', en: 'Water' });
  });

  it('a package without a title is an error: no record, identifier known', () => {
    const r = mapPackage(pkg({ title: '  ', title_translated: {} }), ctx);
    expect(r.record).toBeUndefined();
    expect(r.identifier).toBe('p-1');
    expect(r.problems).toEqual([expect.objectContaining({ severity: 'error', code: 'missing_title', identifier: 'p-1' })]);
    const [batch] = [...mapPackages([pkg({ title: '' })], ctx, 10)];
    expect(batch?.invalidIdentifiers).toEqual(['p-1']);
  });

  it('identifies by id, else by name; neither is an error without identifier', () => {
    expect(mapPackage(pkg(), ctx).record?.identifier).toBe('p-1');
    expect(mapPackage(pkg({ id: undefined }), ctx).record?.identifier).toBe('eau-potable');
    const none = mapPackage(pkg({ id: null, name: '' }), ctx);
    expect(none.identifier).toBeUndefined();
    expect(codes(none.problems)).toEqual(['missing_identifier']);
  });

  it('drops invalid values with a warning naming the field, and keeps the record', () => {
    const r = mapPackage(
      pkg({
        url: 'not a url',
        metadata_created: '31/12/2020',
        maintainer_email: 'nobody',
        extras: [
          { key: 'spatial', value: '{"type": "Poly' },
          { key: 'language', value: 'fr, ??' },
          { key: 'temporal_start', value: 'hier' },
        ],
        resources: [{ url: 'ftp://x.ma/f.csv', size: '2 Mo', mimetype: 'csv', created: 'lundi' }],
      }),
      ctx,
    );
    expect(r.record).toBeDefined();
    expect(r.record?.landingPage).toBeUndefined();
    expect(r.record?.issued).toBeUndefined();
    expect(r.record?.language).toEqual(['fr']);
    expect(r.record?.spatial).toEqual([]);
    expect(r.record?.distributions).toEqual([{ accessUrl: 'ftp://x.ma/f.csv' }]);
    expect(r.problems.map((p) => `${p.severity}:${p.code}:${p.field}`).sort()).toEqual(
      [
        'warning:invalid_url:landingPage',
        'warning:invalid_date:issued',
        'warning:invalid_email:contactPoint.email',
        'warning:invalid_geometry:spatial',
        'warning:invalid_language:language',
        'warning:invalid_date:temporal.start',
        'warning:invalid_byte_size:distributions[0].byteSize',
        'warning:invalid_media_type:distributions[0].mediaType',
        'warning:invalid_date:distributions[0].issued',
      ].sort(),
    );
  });

  it('unescapes HTML-escaped extras: JSON first tried raw, text decoded', () => {
    const r = mapPackage(
      pkg({
        extras: [
          { key: 'spatial', value: '{&quot;type&quot;: &quot;Point&quot;, &quot;coordinates&quot;: [-7.6, 33.6]}' },
          { key: 'contact_name', value: 'Direction de l&#39;eau &amp; de l&#x27;assainissement' },
          { key: 'contact_email', value: 'eau@gov.ma' },
          { key: 'theme', value: '[&quot;Environnement&quot;]' },
        ],
      }),
      ctx,
    );
    expect(r.problems).toEqual([]);
    expect(r.record?.spatial).toEqual(['{"type":"Point","coordinates":[-7.6,33.6]}']);
    expect(r.record?.contactPoint).toEqual({ name: "Direction de l'eau & de l'assainissement", email: 'eau@gov.ma' });
    expect(r.record?.themes).toEqual(['Environnement']);
  });

  it("reads a group's uri before its title (Hasad's own CKAN API labels the title, the theme's URI is in uri)", () => {
    const r = mapPackage(pkg({ groups: [{ name: 'ENER', title: 'Énergie', uri: 'http://publications.europa.eu/resource/authority/data-theme/ENER' }, { name: 'eau', title: 'Eau' }] }), ctx);
    expect(r.record?.themes).toEqual(['Eau', 'http://publications.europa.eu/resource/authority/data-theme/ENER']);
  });

  it('prefers an explicit publisher and contact to the organisation and maintainer; groups are themes', () => {
    const r = mapPackage(
      pkg({
        organization: { name: 'ministere-equipement', title: "Ministère de l'Équipement" },
        groups: [{ name: 'eau', title: 'Eau' }, { name: 'sante' }],
        maintainer: 'Service SIG',
        maintainer_email: 'sig@equipement.gov.ma',
        author: 'A. Auteur',
        author_email: 'auteur@equipement.gov.ma',
        tags: [{ name: 'eau', vocabulary_id: 'v1' }, { name: 'barrages' }, 'nappes'],
      }),
      ctx,
    );
    expect(r.record?.publisher).toEqual({ name: { fr: "Ministère de l'Équipement" }, uri: 'https://data.gov.ma/data/organization/ministere-equipement' });
    expect(r.record?.contactPoint).toEqual({ name: 'Service SIG', email: 'sig@equipement.gov.ma' });
    expect(r.record?.themes).toEqual(['Eau', 'sante']);
    expect(r.record?.keywords).toEqual({ fr: ['barrages', 'eau', 'nappes'] });

    const explicit = mapPackage(
      pkg({
        organization: { name: 'o', title: 'O' },
        maintainer_email: 'm@x.ma',
        extras: [
          { key: 'publisher_name', value: 'Agence du Bassin' },
          { key: 'publisher_uri', value: 'https://abh.ma' },
          { key: 'maintainer_email', value: 'contact@abh.ma' },
        ],
      }),
      ctx,
    );
    expect(explicit.record?.publisher).toEqual({ name: { fr: 'Agence du Bassin' }, uri: 'https://abh.ma' });
    expect(explicit.record?.contactPoint).toEqual({ email: 'contact@abh.ma' });
  });

  it('author is the contact when there is no maintainer; name and e-mail never come from two people', () => {
    expect(mapPackage(pkg({ author: 'Bureau', author_email: 'b@x.ma' }), ctx).record?.contactPoint).toEqual({ name: 'Bureau', email: 'b@x.ma' });
    // A maintainer without e-mail loses to an author with one: the contact must be reachable.
    expect(mapPackage(pkg({ maintainer: 'Sans mail', author: 'Bureau', author_email: 'b@x.ma' }), ctx).record?.contactPoint).toEqual({ name: 'Bureau', email: 'b@x.ma' });
    expect(mapPackage(pkg({ maintainer: 'Sans mail' }), ctx).record?.contactPoint).toEqual({ name: 'Sans mail' });
  });

  it('prefers the licence URL, ignores "not specified"', () => {
    expect(mapPackage(pkg({ license_id: 'cc-by', license_title: 'CC BY', license_url: 'https://opendefinition.org/licenses/cc-by' }), ctx).record?.license).toBe('https://opendefinition.org/licenses/cc-by');
    expect(mapPackage(pkg({ license_id: 'odc-odbl', license_title: 'ODbL' }), ctx).record?.license).toBe('odc-odbl');
    expect(mapPackage(pkg({ license_id: 'notspecified', license_title: 'License not specified' }), ctx).record?.license).toBeUndefined();
  });

  it('extras issued/modified win over CKAN timestamps; French long dates are read', () => {
    const r = mapPackage(
      pkg({
        metadata_created: '2020-01-01T10:00:00.123456',
        metadata_modified: 'mercredi, 12 juillet 2017 - 10:05',
        extras: [{ key: 'issued', value: '2019-06-01' }],
      }),
      ctx,
    );
    expect(r.record?.issued).toBe('2019-06-01');
    expect(r.record?.modified).toBe('2017-07-12T10:05:00');
  });

  it('skips private, deleted and draft packages and harvest sources with an info problem; dedupes a page', () => {
    const batches = [
      ...mapPackages(
        [
          pkg({ id: 'a' }),
          pkg({ id: 'b', private: true }),
          pkg({ id: 'c', state: 'deleted' }),
          pkg({ id: 'd', state: 'draft' }),
          pkg({ id: 'e', type: 'harvest' }),
          pkg({ id: 'a', title: 'Doublon' }),
          'not a package',
          pkg({ id: 'f', state: 'Active' }),
        ],
        ctx,
        1,
      ),
    ];
    expect(batches.flatMap((b) => b.records.map((r) => r.identifier))).toEqual(['a', 'f']);
    expect(batches.flatMap((b) => b.problems).map((p) => `${p.severity}:${p.code}:${p.identifier ?? ''}`)).toEqual([
      'info:private_package:b',
      'info:package_not_active:c',
      'info:package_not_active:d',
      'info:harvest_source:e',
      'warning:duplicate_identifier:a',
      'warning:invalid_package:',
    ]);
    expect(batches.flatMap((b) => b.invalidIdentifiers)).toEqual([]);
  });
});

describe('CKAN mapping: day/month order of numeric dates in date extras, inferred per harvest', () => {
  const extras = (kv: Record<string, string>) => ({ extras: Object.entries(kv).map(([key, value]) => ({ key, value })) });
  /** Maps pages in turn with one harvest's context, as the CKAN harvest does. */
  function harvestPages(pages: Record<string, unknown>[][], language = 'fr') {
    const harvestCtx: CkanMapContext = { ...ctx, language, dateOrder: { settled: false } };
    return pages.map((page) => {
      const batches = [...mapPackages(page, harvestCtx, 100)];
      const problems = batches.flatMap((b) => b.problems);
      return {
        notes: problems.filter((p) => p.code === 'ckan_mapping').map((p) => p.message),
        dropped: problems.filter((p) => p.code === 'invalid_date').map((p) => p.message),
        dates: batches.flatMap((b) => b.records).map((r) => [r.identifier, r.issued, r.modified, r.temporal]),
      };
    });
  }

  it('a value past 12 (31/12/2024) proves day first for the page and the pages after; ISO and metadata dates read as before', () => {
    const [p1, p2] = harvestPages([
      [pkg({ id: 'a', name: 'a', ...extras({ issued: '05/03/2026', temporal_start: '01/01/2020', temporal_end: '31/12/2024' }) }), pkg({ id: 'b', name: 'b', ...extras({ modified: '13/02/2026', issued: '2026-01-05' }) })],
      [pkg({ id: 'c', name: 'c', ...extras({ issued: '07/08/2026' }), metadata_modified: '2026-09-01T10:00:00.000000' })],
    ]);
    expect(p1?.notes).toEqual(['numeric dates in date fields and extras read day first (DD/MM/YYYY): "31/12/2024" (temporal_end of a) shows it']);
    expect(p1?.dates).toEqual([
      ['a', '2026-03-05', undefined, [{ start: '2020-01-01', end: '2024-12-31' }]],
      ['b', '2026-01-05', '2026-02-13', []],
    ]);
    expect(p1?.dropped).toEqual([]);
    expect(p2).toEqual({ notes: [], dropped: [], dates: [['c', '2026-08-07', '2026-09-01T10:00:00.000000Z', []]] });
  });

  it('values that prove neither: day first for a French or Arabic source, month first for an English one; the order is proven when it can be', () => {
    expect(harvestPages([[pkg(extras({ issued: '05/03/2026' }))]], 'ar')[0]).toMatchObject({ notes: ['numeric dates in date fields and extras read day first (DD/MM/YYYY): every value could be either; the source’s language is Arabic'], dates: [['p-1', '2026-03-05', undefined, []]] });
    expect(harvestPages([[pkg(extras({ issued: '05/03/2026' }))]], 'en')[0]?.dates).toEqual([['p-1', '2026-05-03', undefined, []]]);
    expect(harvestPages([[pkg(extras({ issued: '02/13/2026' }))]], 'fr')[0]).toMatchObject({ notes: ['numeric dates in date fields and extras read month first (MM/DD/YYYY): "02/13/2026" (issued of eau-potable) shows it'], dates: [['p-1', '2026-02-13', undefined, []]] });
  });

  it('both orders on a page: nothing is guessed, the numeric dates stay dropped with invalid_date, and the note says why', () => {
    const [p1] = harvestPages([[pkg({ id: 'a', name: 'a', ...extras({ issued: '13/02/2026' }) }), pkg({ id: 'b', name: 'b', ...extras({ issued: '02/13/2026' }) })]]);
    expect(p1?.notes).toEqual(['numeric dates are written both day first ("13/02/2026", issued of a) and month first ("02/13/2026", issued of b); they are not read']);
    expect(p1?.dates).toEqual([
      ['a', undefined, undefined, []],
      ['b', undefined, undefined, []],
    ]);
    expect(p1?.dropped).toHaveLength(2);
  });

  it('a page without numeric dates settles nothing; without the harvest state (a single package mapped) they are not read', () => {
    const pages = harvestPages([[pkg(extras({ issued: '2026-03-05' }))], [pkg(extras({ issued: '13/02/2026' }))]]);
    expect(pages.map((p) => p.notes.length)).toEqual([0, 1]);
    expect(pages[1]?.dates).toEqual([['p-1', '2026-02-13', undefined, []]]);
    expect(mapPackage(pkg(extras({ issued: '13/02/2026' })), ctx).record?.issued).toBeUndefined();
  });
});
