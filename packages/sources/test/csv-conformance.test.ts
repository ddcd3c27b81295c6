/**
 * CSV conformance: real inventory files from ../shared/conformance (verbatim copies, see its
 * SOURCES.md), served from a loopback server and harvested through the real CSV adapter:
 * - the Etalab "catalogue de données" schema's valid example (etalab/schema-catalogue-donnees);
 * - the Project Open Data v1.1 CSV examples, checked against the JSON catalogues published next
 *   to them (project-open-data.github.io v1.1/examples).
 */
import { harvestWithConfig } from '../src/adapters/index.ts';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { ETALAB_CATALOGUE_MAPPING, csvAdapter } from '../src/adapters/csv/index.ts';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const ETALAB = 'csv-inventory/etalab-schema-catalogue-donnees';
const POD = 'dcat-us/pod-v1.1-examples';
const present = existsSync(path.join(conformance, ETALAB)) && existsSync(path.join(conformance, POD));
if (!present) console.warn(`SKIPPED: CSV conformance files not found under ${conformance}; CSV conformance tests did not run`);

interface Outcome {
  records: CanonicalDataset[];
  problems: RecordProblem[];
}

let server: Loopback;

async function harvest(file: string, config: unknown): Promise<Outcome> {
  const out: Outcome = { records: [], problems: [] };
  for await (const ev of harvestWithConfig(csvAdapter, { url: `${server.base}/${file}`, config, http: loopbackHttp })) {
    if (ev.type === 'batch') {
      out.records.push(...ev.records);
      out.problems.push(...ev.problems);
    } else {
      out.problems.push(...(ev.problems ?? []));
    }
  }
  return out;
}

const codes = (o: Outcome) => o.problems.map((p) => `${p.severity}:${p.code}`);

describe.skipIf(!present)('CSV conformance (../shared/conformance)', () => {
  beforeAll(async () => {
    // Static files served without a Content-Type, as many open-data portals do.
    server = await startLoopback(async (req, res, base) => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', base).pathname).slice(1);
      if (rel.includes('..') || !existsSync(path.join(conformance, rel))) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200);
      res.end(await readFile(path.join(conformance, rel)));
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('Etalab catalogue schema (exemple-valide.csv)', () => {
    const file = `${ETALAB}/exemple-valide.csv`;

    it('harvests the example with the etalab preset', async () => {
      const r = await harvest(file, { preset: 'etalab' });
      expect(r.records).toEqual([
        {
          identifier: expect.stringMatching(/^csv-[0-9a-f]{40}$/),
          title: { fr: 'Arbres vivants inventoriés en forêt.' },
          description: { fr: expect.stringMatching(/^Données brutes de l'inventaire forestier .* fournies au kilomètre près\.$/) },
          keywords: { fr: ['arbre', 'forêt', 'écologie'] },
          themes: [],
          spatial: ['France métropolitaine'],
          temporal: [],
          language: [],
          issued: '2005-01-14',
          modified: '2019-05-28',
          accrualPeriodicity: 'Annuelle ou plusieurs fois par an',
          landingPage: 'https://www.data.gouv.fr/fr/datasets/donnees-brutes-de-l-inventaire-forestier/',
          license: 'Licence ouverte',
          publisher: { name: { fr: "Institut national de l'information géographique et forestière" } },
          contactPoint: { name: "Service de l'inventaire forestier.", email: 'inventaire-forestier@ign.fr' },
          distributions: [{ format: 'CSV' }, { format: 'XLSX' }],
        },
      ]);
      // The schema has no identifier column: one page-level warning says the identifiers are hashes.
      expect(codes(r)).toEqual(['info:csv_dialect', 'info:csv_mapping', 'warning:identifier_from_hash']);
      expect(r.problems[1]?.message).toContain('ignored: "siret_orga", "id_alt_orga", "si", "contact_personne"');
    });

    it('the preset accounts for every column of the schema', () => {
      const schema = JSON.parse(readFileSync(path.join(conformance, ETALAB, 'schema.json'), 'utf8')) as { fields: Array<{ name: string }> };
      const mapped = Object.values(ETALAB_CATALOGUE_MAPPING).map((v) => (typeof v === 'string' ? v : v.column));
      // Left out on purpose (see ETALAB_CATALOGUE_MAPPING): registry numbers, the internal system, a person's e-mail.
      const leftOut = ['siret_orga', 'id_alt_orga', 'si', 'contact_personne'];
      expect(schema.fields.map((f) => f.name).sort()).toEqual([...mapped, ...leftOut].sort());
    });

    it('the default header recognition reads the same values, untagged, and the same identifier', async () => {
      const preset = await harvest(file, { preset: 'etalab' });
      const plain = await harvest(file, {});
      expect(codes(plain)).toEqual(['info:csv_dialect', 'info:csv_mapping', 'warning:identifier_from_hash']);
      const a = preset.records[0] as CanonicalDataset;
      const b = plain.records[0] as CanonicalDataset;
      expect(b.identifier).toBe(a.identifier);
      expect(b.title).toEqual({ '': a.title['fr'] });
      expect(b.description).toEqual({ '': a.description['fr'] });
      expect(b.keywords).toEqual({ '': a.keywords['fr'] });
      expect(b.publisher).toEqual({ name: { '': a.publisher?.name?.['fr'] } });
      const { title, description, keywords, publisher, contactPoint, ...rest } = a;
      expect(b).toMatchObject(rest);
      // "service" and "contact_service" are Etalab's own names; only the preset knows them.
      expect(b.contactPoint).toBeUndefined();
      expect(plain.problems[1]?.message).toContain('ignored: "siret_orga", "id_alt_orga", "service", "si", "contact_service", "contact_personne"');
    });
  });

  describe('Project Open Data v1.1 CSV examples', () => {
    interface PodDataset {
      title: string;
      identifier: string;
      description: string;
      keyword: string[];
      modified: string;
      issued?: string;
      accessLevel: string;
      license?: string;
      landingPage?: string;
      spatial?: string;
      temporal?: string;
      theme?: string[];
      language?: string[];
      accrualPeriodicity?: string;
      contactPoint: { fn: string; hasEmail: string };
      publisher: { name: string };
      distribution?: Array<{ downloadURL?: string; accessURL?: string; mediaType?: string; format?: string }>;
    }

    /** Where the upstream CSV and JSON examples disagree (typos upstream, not harvest errors). */
    const UPSTREAM_DIFFERENCES: Record<string, Record<string, string>> = {
      'catalog-sample': { 'U.S. Widget Manufacturing Statistics': 'identifier: H4PZ56R2 in the CSV, H45X26V8 in the JSON' },
      'catalog-sample-extended': { 'U.S. Widget Phase Modulation Ranges': 'keyword: "widgetmodulation" in the CSV (comma missing)' },
    };

    it.each(['catalog-sample', 'catalog-sample-extended'])('%s.csv with the pod preset matches %s.json', async (stem) => {
      const r = await harvest(`${POD}/${stem}.csv`, { preset: 'pod' });
      expect(codes(r)).toEqual(['info:csv_dialect', 'info:csv_mapping']);
      const json = JSON.parse(readFileSync(path.join(conformance, POD, `${stem}.json`), 'utf8')) as { dataset: PodDataset[] };
      expect(r.records.map((d) => d.title[''])).toEqual(json.dataset.map((d) => d.title));
      r.records.forEach((rec, i) => {
        const d = json.dataset[i] as PodDataset;
        const known = UPSTREAM_DIFFERENCES[stem]?.[d.title] ?? '';
        if (!known.startsWith('identifier')) expect(rec.identifier).toBe(d.identifier);
        if (!known.startsWith('keyword')) expect(rec.keywords).toEqual({ '': d.keyword });
        expect(rec).toMatchObject({
          description: { '': d.description },
          modified: d.modified,
          accessRights: d.accessLevel,
          publisher: { name: { '': d.publisher.name } },
          contactPoint: { name: d.contactPoint.fn, email: d.contactPoint.hasEmail.replace(/^mailto:/, '') },
        });
        expect([rec.issued, rec.license, rec.landingPage, rec.accrualPeriodicity]).toEqual([d.issued, d.license, d.landingPage, d.accrualPeriodicity]);
        expect(rec.spatial).toEqual(d.spatial === undefined ? [] : [d.spatial]);
        expect(rec.themes).toEqual(d.theme ?? []);
        expect(rec.language).toEqual(d.language ?? []);
        const [start, end] = d.temporal?.split('/') ?? [];
        expect(rec.temporal).toEqual(d.temporal === undefined ? [] : [{ start, end }]);
        // The CSV layout has room for one distribution: the JSON's first.
        const first = d.distribution?.[0];
        expect(rec.distributions).toEqual(
          first === undefined
            ? []
            : [{ downloadUrl: first.downloadURL, mediaType: first.mediaType, ...(first.format !== undefined && { format: first.format }) }],
        );
      });
    });

    it.each(['catalog-sample', 'catalog-sample-extended'])('%s.csv without a mapping: the same datasets, no warnings', async (stem) => {
      const preset = await harvest(`${POD}/${stem}.csv`, { preset: 'pod' });
      const plain = await harvest(`${POD}/${stem}.csv`, {});
      expect(codes(plain)).toEqual(['info:csv_dialect', 'info:csv_mapping']);
      expect(plain.records.map((d) => [d.identifier, d.title, d.description, d.modified, d.distributions])).toEqual(
        preset.records.map((d) => [d.identifier, d.title, d.description, d.modified, d.distributions]),
      );
      // Without the preset, nothing says the publisher cell lists parent organisations: kept whole.
      expect(plain.records[0]?.publisher?.name?.['']).toBe('Widget Services,Office of Citizen Services and Innovative Technologies,General Services Administration,U.S. Government');
    });
  });
});
