import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Parser } from 'n3';
import { decompressDescription } from '@hasad/core';
import type { Quad } from 'n3';
import { cswRecordId, cswTitleAr, cswTitleFr, generatedCswRecords, isoServiceRecord, startCswService } from '@hasad/testkit';
import type { CswService, CswServiceRecord } from '@hasad/testkit';
import { DcatApValidator } from '@hasad/api/testing';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against a paged
// CSW 2.0.2 geoportal written for the test (@hasad/testkit), answering in ISO 19139 and in DCAT
// from generated records and from the real records of ../shared/conformance.

const conformance = path.resolve(fileURLToPath(new URL('../', import.meta.url)), '..', 'shared', 'conformance');
const present = existsSync(path.join(conformance, 'csw'));
if (!present) console.warn(`SKIPPED: ../shared/conformance/csw not found (looked in ${conformance}); the CSW harvest of conformance records did not run`);

/** A conformance ISO file as a record the service holds: its own XML, without the declaration. */
function isoFile(file: string, id: string): CswServiceRecord {
  const xml = readFileSync(path.join(conformance, file), 'latin1').startsWith('<?xml version="1.0" encoding="ISO-8859-1"')
    ? readFileSync(path.join(conformance, file), 'latin1')
    : readFileSync(path.join(conformance, file), 'utf8');
  return { id, iso: xml.replace(/^\s*<\?xml[^>]*\?>/, '') };
}

describe('CSW harvest end to end', () => {
  let p: TestPipeline;
  let svc: CswService;
  let sourceId: string;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0', HASAD_HARVEST_ATTEMPTS: '1' });
    svc = await startCswService({ records: generatedCswRecords(45) });
    sourceId = await p.addSource(svc.url, { kind: 'csw', config: { pageSize: 20 } });
  });
  afterAll(async () => {
    await p?.close();
    await svc?.close();
  });

  it('harvests every page of ISO 19139 records into the catalogue, French and Arabic intact, the ISO XML kept', async () => {
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 45, created: 45, withdrawn: 0, invalid: 0, pagesFetched: 3 });
    expect(svc.starts()).toEqual([1, 21, 41]);
    const rows = await p.datasets(sourceId);
    expect(rows.size).toBe(45);
    const row = rows.get(cswRecordId(7))!;
    expect(row.title).toEqual({ fr: cswTitleFr(7), ar: cswTitleAr(7) });
    expect(row.record).toMatchObject({
      uri: `https://geo.example.ma/id/${cswRecordId(7)}`,
      license: 'https://creativecommons.org/licenses/by/4.0/',
      accessRights: 'http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations',
      spatial: ['POLYGON((-7 30, -6 30, -6 31.5, -7 31.5, -7 30))'],
      temporal: [{ start: '2020-01-01', end: '2023-12-31' }],
      geo: { resourceType: 'dataset', provenance: { fr: 'Numérisé à partir d’images satellitaires.' } },
    });
    // The ISO document is kept beside the record (GET /api/v1/datasets/:id/source gives it back).
    const kept = (await p.rt.db.pool.query('SELECT source_format, source_description_deflated FROM datasets WHERE id = $1', [row.id])).rows[0];
    expect(kept.source_format).toBe('application/xml');
    expect(decompressDescription(kept.source_description_deflated)).toContain(`<gco:CharacterString>${cswRecordId(7)}</gco:CharacterString>`);
    expect(row.record.sourceDescription).toBeUndefined();
    const notes = (await p.problems(run.id)).map((x) => x.code);
    expect(notes).toEqual(expect.arrayContaining(['csw_capabilities', 'csw_plan', 'csw_count']));
  });

  it('a second harvest of the same service ends unchanged without mapping a page again', async () => {
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 45, unchanged: 45, created: 0, updated: 0, withdrawn: 0, pagesFetched: 3, pagesNotModified: 3 });
  });

  it('a record edited at the service is the one dataset updated, though the records after it moved: a record is fingerprinted by its own text, not its place', async () => {
    // Record 25 gets a new Arabic title and record 5 leaves the listing: every record after 5 moves
    // up one place, and records 21 and 41 to the page before.
    const records = svc.options.records;
    const original = records[24]!;
    const revised = `${cswTitleAr(25)} (مراجعة)`;
    records[24] = { ...original, iso: original.iso!.replace(cswTitleAr(25), revised) };
    svc.options.hidden = new Set([cswRecordId(5)]);
    try {
      const run = await p.harvest(sourceId);
      expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 44, created: 0, updated: 1, unchanged: 43, withdrawn: 1 });
      expect((await p.datasets(sourceId)).get(cswRecordId(25))!.title).toEqual({ fr: cswTitleFr(25), ar: revised });
    } finally {
      records[24] = original;
      svc.options.hidden = undefined;
    }
    // As it was: record 25 back to its title, record 5 back in the catalogue.
    const back = await p.harvest(sourceId);
    expect(back).toMatchObject({ status: 'succeeded', seen: 45, withdrawn: 0, unchanged: 43 });
    const rows = await p.datasets(sourceId);
    expect(rows.size).toBe(45);
    expect(rows.get(cswRecordId(25))!.title).toEqual({ fr: cswTitleFr(25), ar: cswTitleAr(25) });
  });

  it('a count that shrinks during the harvest withdraws nothing', async () => {
    // Ten records disappear from the listing once page 1 was answered: page 2 sees 35 matched.
    svc.options.onGetRecords = (start) => {
      if (start === 21) svc.options.hidden = new Set(Array.from({ length: 10 }, (_, i) => cswRecordId(i + 1)));
    };
    const done = p.harvest(sourceId);
    const run = await done;
    svc.options.onGetRecords = undefined;
    svc.options.hidden = undefined;
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ withdrawn: 0 });
    expect(run.status).not.toBe('failed');
    expect((await p.problems(run.id)).map((x) => x.code)).toContain('csw_count_changed');
    expect((await p.datasets(sourceId)).size).toBe(45);
  });

  it('withdraws a record the service no longer lists after a complete run', async () => {
    svc.options.hidden = new Set([cswRecordId(12)]);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'succeeded', seen: 44, withdrawn: 1 });
    expect((await p.datasets(sourceId, 'all')).get(cswRecordId(12))!.status).toBe('withdrawn');
  });

  it('an ExceptionReport on page 2 fails the run with its text and withdraws nothing', async () => {
    svc.options.hidden = new Set([cswRecordId(1), cswRecordId(2), cswRecordId(12)]);
    svc.options.exceptions = new Map([[21, { status: 500, text: 'Erreur du catalogue : index Lucene verrouillé' }]]);
    const run = await p.harvest(sourceId);
    svc.options.exceptions = undefined;
    expect(run).toMatchObject({ status: 'failed', errorCode: 'csw_exception', withdrawn: 0 });
    expect(run.error).toContain('Erreur du catalogue : index Lucene verrouillé');
    expect((await p.datasets(sourceId)).size).toBe(44);
  });

  it('harvests the DCAT output schema of the same service', async () => {
    const dcatSource = await p.addSource(svc.url, { kind: 'csw', config: { pageSize: 20, outputSchema: 'dcat' }, slug: 'csw-dcat' });
    svc.options.hidden = undefined;
    const run = await p.harvest(dcatSource);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 45, created: 45 });
    const row = (await p.datasets(dcatSource)).get(cswRecordId(3))!;
    expect(row.title).toEqual({ fr: cswTitleFr(3), ar: cswTitleAr(3) });
    expect(row.record.uri).toBe(`https://geo.example.ma/id/${cswRecordId(3)}`);
  });

  it('harvests Dublin Core (csw:Record) when the config asks for it, the run noting that the records are thinner than ISO', async () => {
    const dcSource = await p.addSource(svc.url, { kind: 'csw', config: { pageSize: 20, outputSchema: 'dc' }, slug: 'csw-dc' });
    svc.options.hidden = undefined;
    const run = await p.harvest(dcSource);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 45, created: 45, invalid: 0, pagesFetched: 3 });
    expect((await p.problems(run.id)).find((x) => x.code === 'csw_dublin_core')).toMatchObject({ severity: 'warning' });
    const row = (await p.datasets(dcSource)).get(cswRecordId(4))!;
    expect(row.title).toEqual({ fr: cswTitleFr(4), ar: cswTitleAr(4) });
    expect(row.record).toMatchObject({ spatial: ['POLYGON((-5 30, -4 30, -4 31.5, -5 31.5, -5 30))'], modified: '2024-02-05', keywords: { '': ['agriculture', 'zone 4'] } });
    const kept = (await p.rt.db.pool.query('SELECT source_format, source_description_deflated FROM datasets WHERE id = $1', [row.id])).rows[0];
    expect(kept.source_format).toBe('application/xml');
    expect(decompressDescription(kept.source_description_deflated)).toContain(`<dc:identifier>${cswRecordId(4)}</dc:identifier>`);
  });

  it('keeps a service record as a data service: /catalog exports it as dcat:DataService serving the datasets of its source', async () => {
    const geoportal = await startCswService({
      records: [
        ...generatedCswRecords(3),
        {
          id: 'wms-occupation',
          iso: isoServiceRecord('wms-occupation', [
            { uuidref: cswRecordId(1) },
            { href: `https://geo.example.ma/csw?service=CSW&request=GetRecordById&id=${cswRecordId(2)}` },
            { uuidref: 'jeu-d-un-autre-catalogue' },
          ]),
        },
      ],
    });
    try {
      const src = await p.addSource(geoportal.url, { kind: 'csw', config: { pageSize: 2 }, slug: 'csw-services' });
      const run = await p.harvest(src);
      expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 4, created: 4, invalid: 0 });
      const rows = await p.datasets(src);
      expect(rows.get('wms-occupation')!.record).toMatchObject({
        title: { fr: 'Service WMS d’occupation des sols' },
        dataService: {
          endpointUrl: ['https://geo.example.ma/wms'],
          endpointDescription: ['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities'],
          conformsTo: [{ uri: 'http://www.opengeospatial.org/standards/wms' }],
          type: 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/view',
        },
      });

      const res = await fetch(`${p.rt.apiUrl}/catalog.ttl?organization=csw-services`);
      expect(res.status).toBe(200);
      const turtle = await res.text();
      const quads: Quad[] = new Parser().parse(turtle);
      const DCAT = 'http://www.w3.org/ns/dcat#';
      const TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
      const objects = (s: Quad['subject'] | Quad['object'], pred: string) => quads.filter((q) => q.subject.equals(s) && q.predicate.value === pred).map((q) => q.object);
      const typed = (t: string) => quads.filter((q) => q.predicate.value === TYPE && q.object.value === `${DCAT}${t}`).map((q) => q.subject);
      const byIdentifier = (id: string) => quads.find((q) => q.predicate.value === 'http://purl.org/dc/terms/identifier' && q.object.value === id)!.subject;
      const services = typed('DataService').filter((s) => s.termType === 'NamedNode');
      expect(services).toHaveLength(1);
      const service = services[0]!;
      expect(service.equals(byIdentifier('wms-occupation'))).toBe(true);
      // Listed by the catalogue as a service, not as a dataset.
      const catalog = typed('Catalog')[0]!;
      expect(objects(catalog, `${DCAT}service`).map((o) => o.value)).toEqual([service.value]);
      expect(objects(catalog, `${DCAT}dataset`).map((o) => o.value)).not.toContain(service.value);
      expect(objects(catalog, `${DCAT}dataset`)).toHaveLength(3);
      expect(objects(service, `${DCAT}distribution`)).toEqual([]);
      expect(objects(service, `${DCAT}endpointURL`).map((o) => o.value)).toEqual(['https://geo.example.ma/wms']);
      // Served: the two datasets of the source it names (by uuidref and by a GetRecordById link), under their exported IRIs; the third reference by its identifier.
      const served = objects(service, `${DCAT}servesDataset`);
      expect(served.filter((o) => o.termType === 'NamedNode').map((o) => o.value).sort()).toEqual([byIdentifier(cswRecordId(1)).value, byIdentifier(cswRecordId(2)).value].sort());
      const elsewhere = served.find((o) => o.termType === 'BlankNode')!;
      expect(objects(elsewhere, 'http://purl.org/dc/terms/identifier').map((o) => o.value)).toEqual(['jeu-d-un-autre-catalogue']);
      // The WMS distribution of a served dataset points at the service; the unserved dataset's does not.
      const linked = (id: string) =>
        objects(byIdentifier(id), `${DCAT}distribution`)
          .filter((d) => objects(d, `${DCAT}accessService`).some((a) => a.equals(service)))
          .map((d) => objects(d, `${DCAT}accessURL`)[0]?.value);
      expect(linked(cswRecordId(1))).toEqual(['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities']);
      expect(linked(cswRecordId(2))).toEqual(['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities']);
      expect(linked(cswRecordId(3))).toEqual([]);
      // The data service meets DCAT-AP 3.0.1's mandatory shapes.
      if (present) {
        const results = await new DcatApValidator(path.join(conformance, 'dcat-ap', '3.0.1', 'shacl')).validate(turtle);
        expect(results.filter((r) => r.severity === 'Violation' && r.focusNode === service.value)).toEqual([]);
      }
    } finally {
      await geoportal.close();
    }
  });

  it.skipIf(!present)('harvests the real records of ../shared/conformance, the invalid one named', async () => {
    const real = await startCswService({
      records: [
        isoFile('csw/ckanext-spatial/iso19139/dataset.xml', 'a'),
        isoFile('csw/ckanext-spatial/gemini2.1/validation/08_Series_Valid.xml', 'b'),
        isoFile('csw/ckanext-spatial/gemini2.1/service1.xml', 'c'),
        isoFile('csw/ckanext-spatial/iso19139/dataset-invalid.xml', 'd'),
        isoFile('csw/owslib/iso_keywords_anchor.xml', 'e'),
        isoFile('csw/owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml', 'f'),
        isoFile('geodcat-ap/inspire-mif-pilot-dk/19139metadata-50b921ea-935e-d605-2287-4ee364046795.xml', 'g'),
      ],
    });
    try {
      const src = await p.addSource(real.url, { kind: 'csw', config: { pageSize: 3 }, slug: 'csw-real' });
      const run = await p.harvest(src);
      expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 7, created: 6, invalid: 1, pagesFetched: 3 });
      const problems = await p.problems(run.id);
      expect(problems.find((x) => x.severity === 'error')).toMatchObject({ code: 'iso_invalid', identifier: 'test-dataset' });
      const rows = await p.datasets(src);
      expect(rows.get('50b921ea-935e-d605-2287-4ee364046795')!.title).toEqual({ da: 'INSPIRE - Adresser' });
      expect(rows.get('test-dataset-1')!.record).toMatchObject({ geo: { resourceType: 'dataset' } });
      // Latin-1 record: accents intact.
      expect(JSON.stringify(rows.get('3f342f64-9348-11df-ba6a-0014c2c00eab')!.record)).not.toContain('\ufffd');
    } finally {
      await real.close();
    }
  });
});
