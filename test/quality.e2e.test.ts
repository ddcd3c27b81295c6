import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization } from '@hasad/db';
import { getSourceQuality, rescoreDatasets } from '@hasad/pipeline';
import { fromStored } from '@hasad/quality';
import { FeedServer } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// Metadata quality through the real pipeline: a loopback DCAT feed of two datasets, one well
// described whose file answers 200, one bare whose file answers 404. The loader scores both, the
// fetcher's link check (links queue) checks both URLs, and the API shows the source's quality to
// its organisation only.

const feedOf = (base: string) => `
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<${base}/catalog> a dcat:Catalog ; dcat:dataset <${base}/ds/good>, <${base}/ds/poor> .

<${base}/ds/good> a dcat:Dataset ;
  dct:identifier "good" ;
  dct:title "Qualité des eaux de baignade"@fr, "جودة مياه الاستحمام"@ar ;
  dct:description "Résultats des analyses, par plage et par mois."@fr ;
  dcat:keyword "eau"@fr, "baignade"@fr ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
  dct:spatial <https://sws.geonames.org/2542007/> ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ; dcat:endDate "2024-12-31"^^xsd:date ] ;
  dct:publisher [ a foaf:Agent ; foaf:name "Ministère de l'Équipement et de l'Eau"@fr ] ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "Service données" ; vcard:hasEmail <mailto:data@eau.gov.ma> ] ;
  dct:issued "2020-02-01"^^xsd:date ;
  dct:modified "2025-01-15"^^xsd:date ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
  dcat:distribution <${base}/dist/good> .

<${base}/dist/good> a dcat:Distribution ;
  dcat:accessURL <${base}/files/baignade.csv> ;
  dcat:downloadURL <${base}/files/baignade.csv> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dcat:byteSize "2048"^^xsd:nonNegativeInteger .

<${base}/ds/poor> a dcat:Dataset ;
  dct:identifier "poor" ;
  dct:title "Stations"@fr ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <${base}/files/gone.xls> ] .
`;

describe('metadata quality: scores, link check, source quality API', () => {
  let p: TestPipeline;
  let feeds: FeedServer;
  let sourceId: string;
  let tokenA: string;
  let tokenB: string;
  let runId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0', HASAD_LINK_CHECK_SAMPLE: '20' });
    feeds = await FeedServer.start();
    feeds.route('/feed.ttl', () => ({ body: feedOf(feeds.url), contentType: 'text/turtle' }));
    feeds.route('/files/baignade.csv', { body: 'plage;mois;resultat\nAin Diab;2024-07;bonne\n', contentType: 'text/csv' });
    // /files/gone.xls has no route: the feed server answers 404.
    sourceId = await p.addSource(`${feeds.url}/feed.ttl`, { config: { format: 'turtle' } });
    const org = await p.rt.db.pool.query<{ organization_id: string }>('SELECT organization_id FROM sources WHERE id = $1', [sourceId]);
    tokenA = (await createApiToken(p.rt.db, { role: 'organization', organizationId: org.rows[0]!.organization_id })).token;
    const orgB = await createOrganization(p.rt.db, { slug: 'autre-ministere', name: 'Autre ministère' });
    tokenB = (await createApiToken(p.rt.db, { role: 'organization', organizationId: orgB.id })).token;
  });

  afterAll(async () => {
    await feeds?.close();
    await p?.close();
  });

  it('stores each dataset’s score when the loader writes it', async () => {
    const run = await p.harvest(sourceId);
    expect(run.status).toBe('succeeded');
    runId = run.id;
    const res = await p.rt.db.pool.query<{ id: string; source_identifier: string; quality_score: number; quality: any }>(
      'SELECT id, source_identifier, quality_score, quality FROM datasets WHERE source_id = $1',
      [sourceId],
    );
    for (const r of res.rows) ids[r.source_identifier] = r.id;
    // Stored compact (StoredQuality); fromStored gives the full form the API shows.
    const by = new Map(res.rows.map((r) => [r.source_identifier, { quality_score: r.quality_score, quality: fromStored(r.quality)! }]));
    const good = by.get('good')!;
    const poor = by.get('poor')!;
    expect(good.quality_score).toBe(good.quality.score);
    expect(good.quality.improvements).toEqual([]);
    expect(poor.quality.improvements.map((i: { code: string }) => i.code)).toEqual(
      expect.arrayContaining(['add_keywords', 'add_themes', 'add_description', 'add_license', 'add_contact_point', 'add_download_url', 'use_non_proprietary_format']),
    );
    expect(good.quality_score).toBeGreaterThan(poor.quality_score);
  });

  it('checks the distribution URLs after the run (links queue, fetcher role) and re-scores the datasets', async () => {
    const checks = await waitUntil(
      'two link checks',
      async () =>
        (
          await p.rt.db.pool.query<{ url: string; ok: boolean; http_status: number; method: string; dataset_id: string }>(
            'SELECT url, ok, http_status, method, dataset_id FROM link_checks WHERE source_id = $1 ORDER BY url',
            [sourceId],
          )
        ).rows,
      (rows) => rows.length === 2,
      { timeoutMs: 60_000 },
    );
    expect(checks).toEqual([
      { url: `${feeds.url}/files/baignade.csv`, ok: true, http_status: 200, method: 'HEAD', dataset_id: ids['good'] },
      // HEAD answered 404, so a ranged GET was tried, which answered 404 too.
      { url: `${feeds.url}/files/gone.xls`, ok: false, http_status: 404, method: 'GET', dataset_id: ids['poor'] },
    ]);
    // Stored in the same job as the checks, just after them.
    const q = await waitUntil(
      're-scored datasets',
      async () => {
        const r = await p.rt.db.pool.query<{ source_identifier: string; quality: any }>('SELECT source_identifier, quality FROM datasets WHERE source_id = $1', [sourceId]);
        return new Map(r.rows.map((x) => [x.source_identifier, fromStored(x.quality) as any]));
      },
      (m) => m.get('poor')?.criteria.accessUrlAnswers != null && m.get('good')?.criteria.accessUrlAnswers != null,
      { timeoutMs: 30_000 },
    );
    // The same job then stores the source's aggregate.
    await waitUntil(
      "the source's stored quality",
      async () => (await p.rt.db.pool.query<{ run_id: string }>('SELECT run_id FROM source_quality WHERE source_id = $1', [sourceId])).rows,
      (rows) => rows[0]?.run_id === runId,
      { timeoutMs: 30_000 },
    );
    expect(q.get('good')).toMatchObject({ score: 400, max: 400, rating: 'excellent', improvements: [] });
    expect(q.get('poor').criteria.accessUrlAnswers).toBe(0);
    expect(q.get('poor').improvements[0]).toMatchObject({ code: 'fix_access_url', gain: 50 });
  });

  it('answers GET /api/v1/sources/:id/quality to the owning organisation, 404 to another', async () => {
    const api = p.rt.apiUrl!;
    const res = await fetch(`${api}/api/v1/sources/${sourceId}/quality`, { headers: { authorization: `Bearer ${tokenA}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ sourceId, datasets: 2, scored: 2, links: { checked: 2, answered: 1, broken: 1 } });
    // Stored by the link check job, read as is.
    const stored = await p.rt.db.pool.query<{ run_id: string; computed_at: Date }>('SELECT run_id, computed_at FROM source_quality WHERE source_id = $1', [sourceId]);
    expect(stored.rows[0]!.run_id).toBe(runId);
    expect(body.computedAt).toBe(stored.rows[0]!.computed_at.toISOString());
    expect(body.links.brokenExamples).toEqual([expect.objectContaining({ url: `${feeds.url}/files/gone.xls`, httpStatus: 404, datasetId: ids['poor'] })]);
    // The README's example: the mean of 400 and 0, out of 400 (dct:rights is never assessed).
    expect(body).toMatchObject({ score: 200, max: 400, rating: 'sufficient' });
    expect(body.dimensions.accessibility).toEqual({ average: 50, max: 100 });
    // Averages of the two datasets' points, criterion by criterion.
    expect(body.criteria.keywords).toEqual({ average: 15, max: 30 });
    expect(body.criteria.accessUrlAnswers).toEqual({ average: 25, max: 50 });
    const keywords = body.improvements.find((i: { code: string }) => i.code === 'add_keywords');
    // With the sentence in the language of Accept-Language (French when none is asked for).
    expect(keywords).toEqual({
      code: 'add_keywords',
      criterion: 'keywords',
      dimension: 'findability',
      messageKey: 'quality.improvement.add_keywords',
      message: 'Ajouter des mots-clés (dcat:keyword)',
      datasets: 1,
      averageGain: 30,
      exampleDatasetIds: [ids['poor']],
    });
    const ar = await fetch(`${api}/api/v1/sources/${sourceId}/quality`, { headers: { authorization: `Bearer ${tokenA}`, 'accept-language': 'ar' } });
    expect(ar.headers.get('content-language')).toBe('ar');
    expect(((await ar.json()) as any).improvements.find((i: { code: string }) => i.code === 'add_keywords').message).toBe('إضافة كلمات مفتاحية (dcat:keyword)');

    const other = await fetch(`${api}/api/v1/sources/${sourceId}/quality`, { headers: { authorization: `Bearer ${tokenB}` } });
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).error.code).toBe('not_found');
    const anonymous = await fetch(`${api}/api/v1/sources/${sourceId}/quality`);
    expect(anonymous.status).toBe(401);
  });

  it('shows the dataset’s score in the public dataset answer', async () => {
    const res = await fetch(`${p.rt.apiUrl!}/api/v1/datasets/${ids['poor']}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    // Nothing earned: no keyword, theme, description, licence, format…, and its one URL answers 404. Every criterion but dct:rights was assessed.
    expect(body.quality).toMatchObject({ score: 0, max: 400, rating: 'bad', unassessed: ['rights'] });
    expect(body.quality.improvements[0]).toMatchObject({ code: 'fix_access_url', messageKey: 'quality.improvement.fix_access_url' });
  });

  it('keeps the scores, link criteria included, through an unchanged re-harvest', async () => {
    const run = await p.harvest(sourceId);
    expect(run.status).toBe('unchanged');
    const r = await p.rt.db.pool.query<{ quality: unknown }>('SELECT quality FROM datasets WHERE id = $1', [ids['poor']]);
    expect(fromStored(r.rows[0]!.quality)?.criteria.accessUrlAnswers).toBe(0);
    // Its link check (queued by finalise) is done before the next tests touch the same rows.
    await waitUntil(
      'the link check of the unchanged run',
      async () => (await p.rt.db.pool.query<{ run_id: string }>('SELECT run_id FROM source_quality WHERE source_id = $1', [sourceId])).rows,
      (rows) => rows[0]?.run_id === run.id,
      { timeoutMs: 30_000 },
    );
  });

  it('re-scores datasets without a score (the backfill of `hasad quality rescore`), link checks included', async () => {
    await p.rt.db.pool.query('UPDATE datasets SET quality = NULL, quality_score = NULL WHERE source_id = $1', [sourceId]);
    const res = await rescoreDatasets(p.rt.db, { sourceId });
    expect(res).toEqual({ rescored: 2, sources: 1 });
    const r = await p.rt.db.pool.query<{ quality_score: number; quality: unknown }>('SELECT quality_score, quality FROM datasets WHERE id = $1', [ids['poor']]);
    const q = fromStored(r.rows[0]!.quality)!;
    expect(q.criteria.accessUrlAnswers).toBe(0);
    expect(r.rows[0]!.quality_score).toBe(q.score);
    expect((await rescoreDatasets(p.rt.db, { sourceId })).rescored).toBe(0);
    // The source's stored aggregate was refreshed with them.
    const stored = await p.rt.db.pool.query<{ quality: any }>('SELECT quality FROM source_quality WHERE source_id = $1', [sourceId]);
    expect(stored.rows[0]!.quality).toMatchObject({ datasets: 2, scored: 2, links: { checked: 2, answered: 1 } });
  });

  it('re-aggregates a stored source quality older than the source\'s last run (link check off or not done yet)', async () => {
    await p.rt.db.pool.query(`UPDATE source_quality SET computed_at = now() - interval '1 day', quality = quality || '{"score": 1}' WHERE source_id = $1`, [sourceId]);
    const q = await getSourceQuality(p.rt.db, sourceId);
    expect(q.score).toBe(200);
    const row = await p.rt.db.pool.query<{ run_id: string | null; computed_at: Date }>('SELECT run_id, computed_at FROM source_quality WHERE source_id = $1', [sourceId]);
    expect(row.rows[0]!.run_id).toBeNull();
    expect(q.computedAt).toBe(row.rows[0]!.computed_at.toISOString());
    // Fresh now: read as stored.
    expect((await getSourceQuality(p.rt.db, sourceId)).computedAt).toBe(q.computedAt);
  });
});
