import { describe, expect, it } from 'vitest';
import type { DatasetRow } from '@hasad/db';
import { toCkanPackage } from './package.ts';

const ORG = { id: '11111111-1111-4111-8111-111111111111', slug: 'umwelt', name: 'Umweltamt', createdAt: '2024-01-01T00:00:00Z' };

function row(record: Record<string, unknown>): DatasetRow {
  return {
    id: '22222222-2222-4222-8222-222222222222',
    sourceId: '33333333-3333-4333-8333-333333333333',
    organizationId: ORG.id,
    organization: ORG.slug,
    organizationName: ORG.name,
    sourceUrl: 'https://feed.example.de/catalog',
    sourceIdentifier: 'luft',
    uri: 'https://data.example.de/d/luft',
    status: 'active',
    record: { identifier: 'luft', title: { de: 'Luft' }, description: {}, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [], ...record },
    contentHash: 'h',
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-02T00:00:00Z',
    withdrawnAt: null,
    quality: null,
  };
}

const extra = (pkg: Record<string, unknown>, key: string) => (pkg['extras'] as Array<{ key: string; value: string }>).find((e) => e.key === key)?.value;

describe('CKAN package dict', () => {
  it('shows every period (temporal_coverage), a bad end as given, not only the first', () => {
    const pkg = toCkanPackage(row({ temporal: [{ start: '1998-01-01', endAsGiven: '2003-02-30' }, { start: '2010', end: '2012' }] }), ORG);
    expect(pkg['temporal_coverage']).toEqual([{ start: '1998-01-01', end: '2003-02-30' }, { start: '2010', end: '2012' }]);
    expect(extra(pkg, 'temporal_start')).toBe('1998-01-01');
    expect(extra(pkg, 'temporal_end')).toBe('2003-02-30');
  });

  it('gives the DCAT-AP 3.0.1 fields under ckanext-dcat names: version, rights, attribution text, identifiers, landing pages, checksums, access services', () => {
    const pkg = toCkanPackage(
      row({
        version: '2.1',
        versionNotes: { de: 'Neue Stationen' },
        landingPage: 'https://a.example.de/',
        landingPages: ['https://a.example.de/', 'https://b.example.de/'],
        rights: [{ label: { de: 'Namensnennung' } }],
        attributionText: { de: '© Stadt Rostock' },
        otherIdentifier: [{ notation: '10.1234/luft' }],
        conformsTo: [{ uri: 'http://www.opengis.net/def/crs/EPSG/0/25833' }],
        inSeries: ['https://data.example.de/series/luft'],
        distributions: [
          {
            accessUrl: 'https://x.de/wms',
            rights: [{ uri: 'http://dcat-ap.de/def/licenses/cc-zero' }],
            checksum: { algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1', value: 'abc' },
            accessService: [{ endpointUrl: ['https://x.de/wms'] }],
            status: 'http://publications.europa.eu/resource/authority/distribution-status/COMPLETED',
          },
        ],
      }),
      ORG,
    );
    expect(pkg['version']).toBe('2.1');
    expect(extra(pkg, 'version_notes')).toBe('Neue Stationen');
    expect(extra(pkg, 'landing_pages')).toBe(JSON.stringify(['https://a.example.de/', 'https://b.example.de/']));
    expect(extra(pkg, 'rights')).toBe('Namensnennung');
    expect(extra(pkg, 'license_attribution_by_text')).toBe('© Stadt Rostock');
    expect(extra(pkg, 'alternate_identifier')).toBe(JSON.stringify(['10.1234/luft']));
    expect(extra(pkg, 'conforms_to')).toBe(JSON.stringify(['http://www.opengis.net/def/crs/EPSG/0/25833']));
    expect(extra(pkg, 'in_series')).toBe(JSON.stringify(['https://data.example.de/series/luft']));
    const res = (pkg['resources'] as Array<Record<string, unknown>>)[0];
    expect(res).toMatchObject({
      rights: 'http://dcat-ap.de/def/licenses/cc-zero',
      hash: 'abc',
      hash_algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1',
      access_services: [{ endpointUrl: ['https://x.de/wms'] }],
      status: 'http://publications.europa.eu/resource/authority/distribution-status/COMPLETED',
    });
  });
});
