import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueScoreboards } from '@hasad/db';
import { refreshDueScoreboards, refreshOrganizationScoreboard } from '@hasad/pipeline';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// The publishers' scoreboard against a real PostgreSQL: organisations with datasets, runs and
// link checks as the loader and the link check leave them, the figures the scheduler's refresh
// stores, and what the API (JSON and CSV) answers from them. Every expected figure is worked
// out by hand below.

let h: ApiHarness;
/** The instant the figures are computed for: every date below is relative to it. */
const AT = new Date('2025-06-30T12:00:00Z');
const daysAgo = (d: number) => new Date(AT.getTime() - d * 86_400_000).toISOString();
const ids = { hcp: '', onee: '', quiet: '', hcpSource: '', deletedSource: '' };

async function one(text: string, values: unknown[]): Promise<string> {
  return (await h.pool.query<{ id: string }>(`${text} RETURNING id`, values)).rows[0]!.id;
}

async function dataset(sourceId: string, orgId: string, n: number, opts: { modified: string | null; updated: string; quality: number | null; distributions: unknown[]; status?: string }) {
  const record = { identifier: `ds-${n}`, title: { fr: `Jeu ${n}` }, distributions: opts.distributions };
  await h.pool.query(
    `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, modified_at, status, created_run, changed_run, created_at, updated_at, quality_score)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, gen_random_uuid(), gen_random_uuid(), $9, $9, $10)`,
    [sourceId, orgId, record.identifier, JSON.stringify(record.title), JSON.stringify(record), `h${n}`, opts.modified, opts.status ?? 'active', opts.updated, opts.quality],
  );
}

async function run(sourceId: string, status: string, finishedDaysAgo: number | null) {
  const finished = finishedDaysAgo === null ? null : daysAgo(finishedDaysAgo);
  await h.pool.query(`INSERT INTO runs (source_id, status, trigger, created_at, finished_at) VALUES ($1, $2, 'schedule', $3, $4)`, [sourceId, status, finished ?? daysAgo(0), finished]);
}

async function linkCheck(sourceId: string, url: string, ok: boolean) {
  await h.pool.query(`INSERT INTO link_checks (source_id, url, ok, http_status, method, duration_ms, checked_at) VALUES ($1, $2, $3, $4, 'HEAD', 12, $5)`, [
    sourceId,
    url,
    ok,
    ok ? 200 : 404,
    daysAgo(1),
  ]);
}

beforeAll(async () => {
  h = await startApiHarness();
  ids.hcp = await one(`INSERT INTO organizations (slug, name) VALUES ('hcp', 'Haut-Commissariat au Plan')`, []);
  ids.onee = await one(`INSERT INTO organizations (slug, name) VALUES ('onee', 'Office National de l''Électricité')`, []);
  // A name a spreadsheet would run as a formula: the CSV must neutralise it.
  ids.quiet = await one(`INSERT INTO organizations (slug, name) VALUES ('agence', '=HYPERLINK("https://evil.example","<b>Agence</b>")')`, []);
  ids.hcpSource = await one(`INSERT INTO sources (organization_id, kind, url) VALUES ($1, 'dcat', 'https://data.hcp.ma/catalog.ttl')`, [ids.hcp]);
  ids.deletedSource = await one(`INSERT INTO sources (organization_id, kind, url, deleted_at) VALUES ($1, 'csv', 'https://data.hcp.ma/old.csv', now())`, [ids.hcp]);
  const oneeSource = await one(`INSERT INTO sources (organization_id, kind, url) VALUES ($1, 'ckan', 'https://open.onee.ma/api/3/action/package_search')`, [ids.onee]);

  const EU = 'http://publications.europa.eu/resource/authority/file-type/';
  // HCP, active: ages 10, 60, 200 and 400 days (the last one has no dct:modified: Hasad's own
  // last change counts); scores 200, 300, none, 100; distributions CSV, PDF, JSON, XLS (by its
  // media type), GeoJSON (EU URI): open and machine-readable are CSV, JSON and GeoJSON.
  await dataset(ids.hcpSource, ids.hcp, 1, { modified: daysAgo(10), updated: daysAgo(2), quality: 200, distributions: [{ format: 'CSV' }, { format: 'PDF' }] });
  await dataset(ids.hcpSource, ids.hcp, 2, { modified: daysAgo(60), updated: daysAgo(2), quality: 300, distributions: [{ format: 'json' }, { mediaType: 'application/vnd.ms-excel' }] });
  await dataset(ids.hcpSource, ids.hcp, 3, { modified: daysAgo(200), updated: daysAgo(2), quality: null, distributions: [{ format: `${EU}GEOJSON` }] });
  await dataset(ids.hcpSource, ids.hcp, 4, { modified: null, updated: daysAgo(400), quality: 100, distributions: [] });
  // Withdrawn: counts nowhere.
  await dataset(ids.hcpSource, ids.hcp, 5, { modified: daysAgo(1), updated: daysAgo(1), quality: 400, distributions: [{ format: 'CSV' }], status: 'withdrawn' });
  // ONEE: one active dataset, modified 45 days ago, one PDF distribution.
  await dataset(oneeSource, ids.onee, 6, { modified: daysAgo(45), updated: daysAgo(45), quality: 150, distributions: [{ format: 'PDF' }] });

  // HCP's runs in the last 90 days: succeeded, unchanged, failed, needs_review → 2 of 4. Left
  // out: a cancelled run, one older than 90 days, a live one, and the deleted source's failure.
  await run(ids.hcpSource, 'succeeded', 1);
  await run(ids.hcpSource, 'unchanged', 5);
  await run(ids.hcpSource, 'failed', 10);
  await run(ids.hcpSource, 'needs_review', 20);
  await run(ids.hcpSource, 'cancelled', 30);
  await run(ids.hcpSource, 'succeeded', 100);
  await run(ids.hcpSource, 'running', null);
  await run(ids.deletedSource, 'failed', 3);
  await run(oneeSource, 'failed', 2);

  // HCP's link checks: 1 broken of 4 (the deleted source's broken link is left out).
  await linkCheck(ids.hcpSource, 'https://data.hcp.ma/a.csv', true);
  await linkCheck(ids.hcpSource, 'https://data.hcp.ma/b.pdf', true);
  await linkCheck(ids.hcpSource, 'https://data.hcp.ma/c.json', true);
  await linkCheck(ids.hcpSource, 'https://data.hcp.ma/gone.xls', false);
  await linkCheck(ids.deletedSource, 'https://data.hcp.ma/old.csv', false);

  // The daily history: HCP's mean score was 180 thirty-one days before, 150 sixty days before.
  await h.pool.query(
    `INSERT INTO organization_scoreboard_history (organization_id, day, datasets, quality_score, computed_at) VALUES ($1, $2, 3, 180, $3), ($1, $4, 2, 150, $5)`,
    [ids.hcp, daysAgo(31).slice(0, 10), daysAgo(31), daysAgo(60).slice(0, 10), daysAgo(60)],
  );
});

afterAll(async () => {
  await h?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

describe('publishers’ scoreboard', () => {
  it('answers null figures for an organisation not computed yet, and 404 for an unknown one', async () => {
    const res = await get('/api/v1/organizations/hcp/scoreboard');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ organization: { slug: 'hcp' }, datasets: null, quality: { score: null, max: 405 }, computedAt: null });
    const unknown = await get('/api/v1/organizations/nobody/scoreboard');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('computes every due organisation’s figures once, then only what a finished run made due', async () => {
    expect((await dueScoreboards(h.deps.db, 60, AT)).sort()).toEqual([ids.hcp, ids.onee, ids.quiet].sort());
    expect(await refreshDueScoreboards(h.deps.db, 60, AT)).toBe(3);
    expect(await dueScoreboards(h.deps.db, 60, AT)).toEqual([]);
    // A run of ONEE's ends after the figures: ONEE alone is due.
    await h.pool.query(`UPDATE runs SET finished_at = $1 WHERE status = 'failed' AND source_id IN (SELECT id FROM sources WHERE organization_id = $2)`, [new Date(AT.getTime() + 1000), ids.onee]);
    expect(await dueScoreboards(h.deps.db, 60, new Date(AT.getTime() + 2000))).toEqual([ids.onee]);
    // An hour later (HASAD_SCOREBOARD_REFRESH_MINUTES=60) every organisation is due again.
    expect((await dueScoreboards(h.deps.db, 60, new Date(AT.getTime() + 61 * 60_000))).length).toBe(3);
    await refreshOrganizationScoreboard(h.deps.db, ids.onee, new Date(AT.getTime() + 2000));
  });

  it('serves an institution’s exact figures', async () => {
    const res = await get('/api/v1/organizations/hcp/scoreboard');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      organization: { slug: 'hcp', name: 'Haut-Commissariat au Plan' },
      datasets: 4,
      updated: { last30Days: 1, last90Days: 2, last365Days: 3 },
      medianAgeDays: 130,
      quality: { score: 200, max: 405, rating: 'sufficient', trend: 20, scored: 3 },
      brokenLinks: { share: 0.25, checked: 4, broken: 1 },
      harvestHealth: { share: 0.5, runs: 4, succeeded: 2, days: 90 },
      openFormats: { share: 0.6, distributions: 5, open: 3 },
      computedAt: AT.toISOString(),
    });
    // The day's history row, which the trend of 30 days later will read.
    const hist = await h.pool.query(`SELECT day::text, datasets, quality_score FROM organization_scoreboard_history WHERE organization_id = $1 ORDER BY day DESC LIMIT 1`, [ids.hcp]);
    expect(hist.rows[0]).toEqual({ day: '2025-06-30', datasets: 4, quality_score: 200 });
    const onee = (await get('/api/v1/organizations/onee/scoreboard')).json();
    expect(onee).toMatchObject({ datasets: 1, medianAgeDays: 45, quality: { score: 150, trend: null }, brokenLinks: { share: null, checked: 0 }, harvestHealth: { share: 0, runs: 1 }, openFormats: { share: 0, distributions: 1 } });
    expect((await get('/api/v1/organizations/agence/scoreboard')).json()).toMatchObject({ datasets: 0, medianAgeDays: null, quality: { score: null, rating: null }, openFormats: { share: null } });
  });

  it('lists every institution sorted on any figure, without the figure last', async () => {
    const slugs = async (qs: string) => ((await get(`/api/v1/scoreboard${qs}`)).json() as { items: Array<{ organization: { slug: string } }> }).items.map((e) => e.organization.slug);
    expect(await slugs('')).toEqual(['hcp', 'onee', 'agence']);
    expect(await slugs('?sort=datasets&order=asc')).toEqual(['agence', 'onee', 'hcp']);
    expect(await slugs('?sort=quality&order=asc')).toEqual(['onee', 'hcp', 'agence']);
    expect(await slugs('?sort=openFormats')).toEqual(['hcp', 'onee', 'agence']);
    expect(await slugs('?sort=medianAge')).toEqual(['onee', 'hcp', 'agence']);
    expect(await slugs('?sort=name')).toEqual(['agence', 'hcp', 'onee']);
    const bad = await get('/api/v1/scoreboard?sort=password');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('openFormats');
  });

  it('downloads the scoreboard as CSV, cells neutralised against formulas', async () => {
    for (const res of [await get('/api/v1/scoreboard?format=csv&sort=name'), await get('/api/v1/scoreboard?sort=name', { accept: 'text/csv' })]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="hasad-scoreboard.csv"');
      const lines = res.body.replace(/^\uFEFF/, '').split('\r\n');
      expect(lines[0]).toBe(
        'organization,name,datasets,updated_30_days,updated_90_days,updated_365_days,median_age_days,quality_score,quality_max,quality_trend_30_days,broken_links_share,links_checked,harvest_health,runs_90_days,open_formats_share,distributions,computed_at',
      );
      expect(lines[1]).toBe(`"agence","'=HYPERLINK(""https://evil.example"",""<b>Agence</b>"")","0","0","0","0","","","405","","","0","","0","","0","${AT.toISOString()}"`);
      expect(lines[2]).toBe(`"hcp","Haut-Commissariat au Plan","4","1","2","3","130","200","405","20","0.25","4","0.5","4","0.6","5","${AT.toISOString()}"`);
      expect(lines[4]).toBe('');
    }
  });

  it('shows the public page /observatoire in French, Arabic and English, sorted by links, escaped', async () => {
    const fr = await get('/observatoire', { 'accept-language': 'fr-FR,fr;q=0.9' });
    expect(fr.statusCode).toBe(200);
    expect(fr.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(fr.headers['content-language']).toBe('fr');
    expect(fr.body).toContain('<html lang="fr" dir="ltr">');
    expect(fr.body).toContain('Observatoire des publications');
    // Figures as French writes them: 25 %, 130 days, a signed trend; the rating in words.
    const hcpRow = /<tr data-org="hcp">[\s\S]*?<\/tr>/.exec(fr.body)![0];
    const pct = (n: number) => new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(n);
    expect(hcpRow).toContain(`data-figure="brokenLinks">${pct(0.25)}</td>`);
    expect(hcpRow).toContain(`data-figure="openFormats">${pct(0.6)}</td>`);
    expect(hcpRow).toContain('data-figure="qualityTrend">+20</td>');
    expect(hcpRow).toContain('data-figure="medianAge">130</td>');
    expect(hcpRow).toContain('<span class="badge q-sufficient">suffisante</span>');
    // The organisation's name is text: escaped, never markup.
    expect(fr.body).toContain('=HYPERLINK(&quot;https://evil.example&quot;,&quot;&lt;b&gt;Agence&lt;/b&gt;&quot;)');
    expect(fr.body).not.toContain('<b>Agence</b>');
    // Sorting is a link; the current column says so.
    expect(fr.body).toContain('href="/observatoire?lang=fr&amp;sort=quality&amp;order=desc"');
    expect(fr.body).toContain('aria-sort="descending" data-sort="datasets"');
    expect(fr.body).toContain('href="/api/v1/scoreboard?format=csv&amp;sort=datasets&amp;order=desc"');

    const ar = await get('/observatoire?lang=ar&sort=quality&order=asc');
    expect(ar.headers['content-language']).toBe('ar');
    expect(ar.body).toContain('<html lang="ar" dir="rtl">');
    expect(ar.body).toContain('مرصد النشر');
    expect([...ar.body.matchAll(/<tr data-org="([^"]+)">/g)].map((m) => m[1])).toEqual(['onee', 'hcp', 'agence']);
    expect(ar.body).toContain('aria-sort="ascending" data-sort="quality"');
    // Arabic digits and percent sign as ar-MA writes them (Latin digits in Morocco).
    expect(/<tr data-org="hcp">[\s\S]*?data-figure="brokenLinks">([^<]+)</.exec(ar.body)![1]).toBe(new Intl.NumberFormat('ar-MA', { style: 'percent', maximumFractionDigits: 1 }).format(0.25));

    const en = await get('/observatoire?lang=en&sort=nonsense&order=sideways');
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('Publishers’ scoreboard');
    expect([...en.body.matchAll(/<tr data-org="([^"]+)">/g)].map((m) => m[1])).toEqual(['hcp', 'onee', 'agence']);
  });
});
