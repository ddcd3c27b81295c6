import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import { mapPage, parseRdfString } from '@hasad/sources';
import { CRITERIA, fromStored, IMPROVEMENT_CODES, IMPROVEMENT_MESSAGES, MQA_MAX, scoreDataset, toStored } from './index.ts';

const base = (over: Partial<CanonicalDataset> = {}): CanonicalDataset => ({
  identifier: 'ds-1',
  title: { fr: 'Qualité des eaux' },
  description: {},
  keywords: {},
  themes: [],
  spatial: [],
  temporal: [],
  language: [],
  distributions: [],
  ...over,
});

const EU = 'http://publications.europa.eu/resource/authority';

/** Every indicator met: the full 405 points once both links are known to answer. */
const complete = (): CanonicalDataset =>
  base({
    description: { fr: 'Mesures mensuelles', ar: 'قياسات شهرية' },
    keywords: { fr: ['eau'], ar: ['ماء'] },
    themes: [`${EU}/data-theme/ENVI`],
    spatial: ['https://sws.geonames.org/2542007/'],
    temporal: [{ start: '2020-01-01', end: '2024-12-31' }],
    publisher: { name: { fr: 'Ministère de l’Eau' } },
    contactPoint: { email: 'data@eau.gov.ma' },
    issued: '2020-02-01',
    modified: '2025-01-15',
    license: `${EU}/licence/CC_BY_4_0`,
    accessRights: `${EU}/access-right/PUBLIC`,
    distributions: [
      {
        accessUrl: 'https://eau.gov.ma/q',
        downloadUrl: 'https://eau.gov.ma/q.csv',
        format: `${EU}/file-type/CSV`,
        mediaType: 'text/csv',
        byteSize: 1024,
      },
    ],
  });

describe('scoreDataset', () => {
  it('weights add up to the EDP methodology’s 405 points', () => {
    expect(Object.values(CRITERIA).reduce((s, c) => s + c.weight, 0)).toBe(MQA_MAX);
  });

  it('gives a complete record every point it can be assessed on, and nothing to improve', () => {
    const q = scoreDataset(complete(), new Map([['https://eau.gov.ma/q', true], ['https://eau.gov.ma/q.csv', true]]));
    // dct:rights is not kept by the canonical record: its 5 points are left out of max.
    expect(q).toMatchObject({ score: 400, max: 400, rating: 'excellent', unassessed: ['rights'], improvements: [] });
    expect(q.dimensions).toEqual({
      findability: { points: 100, max: 100 },
      accessibility: { points: 100, max: 100 },
      interoperability: { points: 110, max: 110 },
      reusability: { points: 75, max: 75 },
      contextuality: { points: 15, max: 15 },
    });
  });

  it('leaves the link criteria out of max until a link check is known, and scores broken links', () => {
    const unchecked = scoreDataset(complete());
    expect(unchecked).toMatchObject({ score: 320, max: 320, unassessed: ['rights', 'accessUrlAnswers', 'downloadUrlAnswers'] });
    const broken = scoreDataset(complete(), new Map([['https://eau.gov.ma/q', false]]));
    expect(broken.criteria.accessUrlAnswers).toBe(0);
    expect(broken.max).toBe(370);
    expect(broken.improvements[0]).toEqual({ code: 'fix_access_url', criterion: 'accessUrlAnswers', dimension: 'accessibility', gain: 50 });
  });

  it('says what a bare record lacks, largest gain first', () => {
    const q = scoreDataset(base());
    expect(q.score).toBe(0);
    expect(q.rating).toBe('bad');
    expect(q.improvements.map((i) => i.code)).toEqual([
      'add_distribution',
      'add_keywords',
      'add_themes',
      'add_description',
      'add_spatial',
      'add_temporal',
      'add_license',
      'add_contact_point',
      'add_access_rights',
      'add_publisher',
      'add_issued',
      'add_modified',
    ]);
  });

  it('scores distribution-level indicators by the share of distributions meeting them', () => {
    const q = scoreDataset(
      base({
        distributions: [
          { accessUrl: 'https://x.ma/a', format: 'CSV', mediaType: 'text/csv' },
          { accessUrl: 'https://x.ma/b', format: 'XLSX' },
        ],
      }),
    );
    expect(q.criteria.format).toBe(20);
    expect(q.criteria.mediaType).toBe(5);
    // a plain `CSV` label is not the EU vocabulary, but text/csv is an IANA media type
    expect(q.criteria.formatVocabulary).toBe(5);
    expect(q.criteria.nonProprietary).toBe(10);
    expect(q.criteria.machineReadable).toBe(20);
    expect(q.improvements.find((i) => i.code === 'use_non_proprietary_format')?.gain).toBe(10);
  });

  it('flags DCAT-AP violations: no description, a distribution without access URL, a literal theme', () => {
    const q = scoreDataset(base({ themes: ['Environnement'], distributions: [{ downloadUrl: 'https://x.ma/f.csv' }] }));
    expect(q.criteria.dcatAp).toBe(0);
    expect(q.improvements.filter((i) => i.criterion === 'dcatAp').map((i) => i.code)).toEqual(['add_description', 'add_access_url', 'use_theme_uris']);
  });

  it('asks for vocabulary URIs where a licence or access rights were given as text', () => {
    const q = scoreDataset(base({ license: 'Licence Ouverte', accessRights: 'public' }));
    expect(q.criteria.license).toBe(20);
    expect(q.criteria.licenseVocabulary).toBe(0);
    expect(q.improvements.map((i) => i.code)).toEqual(expect.arrayContaining(['use_license_vocabulary', 'use_access_rights_vocabulary']));
  });

  it('stores a quarter of the JSON and reads back the same quality', () => {
    for (const q of [scoreDataset(base()), scoreDataset(complete()), scoreDataset(complete(), new Map([['https://eau.gov.ma/q', false]]))]) {
      const stored = JSON.parse(JSON.stringify(toStored(q)));
      expect(fromStored(stored)).toEqual(q);
      expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(q).length / 2);
    }
    expect(fromStored({ score: 3 })).toBeNull();
  });

  it('has a French, English and Arabic message for every improvement code', () => {
    for (const code of IMPROVEMENT_CODES) {
      for (const lang of ['fr', 'en', 'ar'] as const) expect(IMPROVEMENT_MESSAGES[code][lang], `${code} ${lang}`).toMatch(/\S/);
    }
  });

  it('costs microseconds a record', () => {
    const r = complete();
    const n = 20_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) scoreDataset(r);
    const us = ((performance.now() - t) * 1000) / n;
    console.log(`scoreDataset: ${us.toFixed(1)} µs per record (${n} records)`);
    expect(us).toBeGreaterThan(0);
  });
});

const CONFORMANCE = resolve(fileURLToPath(new URL('../../../', import.meta.url)), '..', 'shared', 'conformance');
const EXAMPLES = [
  ['dcat-ap/3.0.1/examples', /^example-bee-population\.ttl$/],
  ['piveau-hub-edp', /^(example_consus_ckan|update_example|example_metric)\.ttl$/],
  ['w3c-dcat3-examples', /^(basic-example|csiro-dap-examples|ga-courts)\.ttl$/],
] as const;

describe.skipIf(!existsSync(CONFORMANCE))('scoreDataset on the conformance DCAT-AP examples (dcat adapter)', () => {
  it('scores each example, within bounds, consistently with what the record holds', async () => {
    const rows: string[] = [];
    let seen = 0;
    for (const [dir, re] of EXAMPLES) {
      const folder = resolve(CONFORMANCE, dir);
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder).filter((f) => re.test(f))) {
        const { graph } = await parseRdfString(readFileSync(resolve(folder, file), 'utf8'), { url: `https://example.org/${file}`, format: 'turtle' });
        for (const batch of mapPage(graph, 100)) {
          for (const r of batch.records) {
            const q = scoreDataset(r as CanonicalDataset);
            seen++;
            expect(q.score).toBeGreaterThanOrEqual(0);
            expect(q.score).toBeLessThanOrEqual(q.max);
            const has = (code: string) => q.improvements.some((i) => i.code === code);
            expect(has('add_keywords')).toBe(Object.values(r.keywords).flat().length === 0);
            expect(has('add_themes')).toBe(r.themes.length === 0);
            expect(has('add_distribution')).toBe(r.distributions.length === 0);
            rows.push(`${dir}/${file} ${r.identifier}: ${q.score}/${q.max} ${q.rating}; ${q.improvements.map((i) => i.code).join(', ')}`);
          }
        }
      }
    }
    console.log(rows.join('\n'));
    expect(seen).toBeGreaterThan(3);
  });

  it('gives the W3C ga-courts example its themes, keywords and distributions’ formats', async () => {
    const file = resolve(CONFORMANCE, 'w3c-dcat3-examples/ga-courts.ttl');
    if (!existsSync(file)) return console.warn(`SKIPPED: ${file} not found`);
    const { graph } = await parseRdfString(readFileSync(file, 'utf8'), { url: 'https://example.org/ga-courts', format: 'turtle' });
    const [r] = [...mapPage(graph, 10)].flatMap((b) => b.records);
    const q = scoreDataset(r as CanonicalDataset);
    expect(q.criteria.themes).toBe(30);
    expect(q.criteria.keywords).toBe(30);
    expect(q.criteria.format).toBeGreaterThan(0);
  });
});

if (!existsSync(CONFORMANCE)) console.warn(`SKIPPED conformance scoring tests: ${CONFORMANCE} not found (it holds the shared conformance files; see README)`);
