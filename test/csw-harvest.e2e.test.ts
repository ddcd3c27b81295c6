import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cswRecordId, cswTitleAr, cswTitleFr, generatedCswRecords, startCswService } from '@hasad/testkit';
import type { CswService, CswServiceRecord } from '@hasad/testkit';
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
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '1' });
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
    const kept = (await p.rt.db.pool.query('SELECT source_format, source_description FROM datasets WHERE id = $1', [row.id])).rows[0];
    expect(kept.source_format).toBe('application/xml');
    expect(kept.source_description).toContain(`<gco:CharacterString>${cswRecordId(7)}</gco:CharacterString>`);
    expect(row.record.sourceDescription).toBeUndefined();
    const notes = (await p.problems(run.id)).map((x) => x.code);
    expect(notes).toEqual(expect.arrayContaining(['csw_capabilities', 'csw_plan', 'csw_count']));
  });

  it('a second harvest of the same service ends unchanged without mapping a page again', async () => {
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 45, unchanged: 45, created: 0, updated: 0, withdrawn: 0, pagesFetched: 3, pagesNotModified: 3 });
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
