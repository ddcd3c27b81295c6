import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createSource } from '@hasad/db';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { waitUntil } from '../helpers/wait.ts';

// The public scoreboard (/observatoire) in a real browser (Debian's Chromium driven by
// playwright-core) against the API and the scheduler roles (real PostgreSQL and Redis): the
// scheduler computes five institutions' figures from their datasets, runs and link checks,
// the page shows them in French, sorts by a column heading (a link: no script), switches to
// Arabic (right to left) keeping the sort, and offers the CSV. HASAD_SCREENSHOTS=1 writes the
// French and Arabic screenshots to docs/screenshots/.
const CHROMIUM = process.env.HASAD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`SKIPPED test/dashboard/observatoire: no Chromium at ${CHROMIUM}`);
const SCREENSHOTS = process.env.HASAD_SCREENSHOTS === '1' ? resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots') : undefined;

async function screenshot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.readUInt32BE(16)).toBeGreaterThan(600);
  if (SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(resolve(SCREENSHOTS, `${name}.png`), png);
  }
}

/**
 * Five institutions: how many active datasets, their quality score, the share of them modified
 * recently, of their distributions in CSV (else PDF), of their runs that succeeded (of 10) and
 * of their links broken (of 10).
 */
const INSTITUTIONS = [
  { slug: 'hcp', name: 'Haut-Commissariat au Plan', datasets: 40, quality: 310, fresh: 0.8, csv: 0.9, ok: 10, broken: 0 },
  { slug: 'onee', name: 'Office National de l’Électricité et de l’Eau Potable', datasets: 25, quality: 180, fresh: 0.3, csv: 0.4, ok: 7, broken: 3 },
  { slug: 'sante', name: 'Ministère de la Santé et de la Protection Sociale', datasets: 60, quality: 240, fresh: 0.5, csv: 0.6, ok: 9, broken: 1 },
  { slug: 'bam', name: 'Bank Al-Maghrib', datasets: 12, quality: 360, fresh: 0.9, csv: 1, ok: 10, broken: 0 },
  { slug: 'tourisme', name: 'Ministère du Tourisme', datasets: 8, quality: 120, fresh: 0.1, csv: 0.2, ok: 4, broken: 5 },
];

describe.skipIf(!haveChromium)('publishers’ scoreboard in a browser', () => {
  let p: TestPipeline;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'scheduler']);
    base = p.rt.apiUrl!;
    const db = p.rt.db;
    const pool = p.rt.db.pool;
    for (const inst of INSTITUTIONS) {
      const org = await createOrganization(db, { slug: inst.slug, name: inst.name });
      const src = await createSource(db, { organizationId: org.id, kind: 'dcat', url: `https://data.${inst.slug}.ma/catalog.ttl` });
      // Dataset i: modified within the last 28 days when fresh, else 100 + 20 i days ago.
      await pool.query(
        `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, modified_at, status, created_run, changed_run, quality_score)
         SELECT $1, $2, 'ds-' || i, jsonb_build_object('fr', 'Jeu ' || i),
           jsonb_build_object('identifier', 'ds-' || i, 'title', jsonb_build_object('fr', 'Jeu ' || i),
             'distributions', jsonb_build_array(jsonb_build_object('format', CASE WHEN i <= round($4::float8 * $3) THEN 'CSV' ELSE 'PDF' END))),
           'h' || i, now() - make_interval(days => CASE WHEN i <= round($5::float8 * $3) THEN i % 28 ELSE 100 + 20 * i END), 'active', gen_random_uuid(), gen_random_uuid(), $6::int - (i % 3) * 10 + 10
         FROM generate_series(1, $3::int) i`,
        [src.id, org.id, inst.datasets, inst.csv, inst.fresh, inst.quality],
      );
      await pool.query(
        `INSERT INTO runs (source_id, status, trigger, created_at, finished_at)
         SELECT $1, CASE WHEN i <= $2 THEN 'succeeded' ELSE 'failed' END, 'schedule', now() - make_interval(days => i), now() - make_interval(days => i) FROM generate_series(1, 10) i`,
        [src.id, inst.ok],
      );
      await pool.query(
        `INSERT INTO link_checks (source_id, url, ok, method, duration_ms) SELECT $1, 'https://data.example.ma/' || $3 || '/' || i, i > $2, 'HEAD', 10 FROM generate_series(1, 10) i`,
        [src.id, inst.broken, inst.slug],
      );
    }
    // The scheduler computes the figures on its interval (1 s in tests).
    await waitUntil('the scoreboard figures', async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM organization_scoreboard')).rows[0]!.n, (n) => n === INSTITUTIONS.length);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await p?.close();
  });

  const rows = (page: Page) => page.locator('[data-testid=scoreboard] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-org')));

  it('shows the figures in French, sorts by a column heading, then in Arabic right to left', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/observatoire`);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr');
    await expect(page.locator('h1').innerText()).resolves.toBe('Observatoire des publications');
    // Default: most datasets first.
    expect(await rows(page)).toEqual(['sante', 'hcp', 'onee', 'bam', 'tourisme']);
    const hcp = page.locator('tr[data-org=hcp]');
    await expect(hcp.locator('[data-figure=datasets]').innerText()).resolves.toBe('40');
    await expect(hcp.locator('[data-figure=updated30]').innerText()).resolves.toBe('32');
    await expect(hcp.locator('[data-figure=harvestHealth]').innerText()).resolves.toMatch(/^100\s%$/);
    await expect(page.locator('tr[data-org=onee] [data-figure=brokenLinks]').innerText()).resolves.toMatch(/^30\s%$/);

    // Sort by quality (best first), then click again for the worst first.
    await Promise.all([page.waitForURL(/sort=quality&order=desc/), page.click('[data-testid=sort-quality]')]);
    expect(await rows(page)).toEqual(['bam', 'hcp', 'sante', 'onee', 'tourisme']);
    await expect(page.locator('th[data-sort=quality]').getAttribute('aria-sort')).resolves.toBe('descending');
    await screenshot(page, 'observatoire-fr');
    await Promise.all([page.waitForURL(/sort=quality&order=asc/), page.click('[data-testid=sort-quality]')]);
    expect(await rows(page)).toEqual(['tourisme', 'onee', 'sante', 'hcp', 'bam']);

    // The CSV link downloads the same order.
    const csvHref = await page.locator('[data-testid=csv]').getAttribute('href');
    const csv = await (await fetch(`${base}${csvHref}`)).text();
    expect(csv.split('\r\n').slice(1, 6).map((l) => l.split(',')[0])).toEqual(['"tourisme"', '"onee"', '"sante"', '"hcp"', '"bam"']);

    // Arabic, right to left, keeping the sort; sort by open formats.
    await Promise.all([page.waitForURL(/lang=ar/), page.click('a[hreflang=ar]')]);
    await expect(page.locator('html').getAttribute('dir')).resolves.toBe('rtl');
    await expect(page.locator('h1').innerText()).resolves.toBe('مرصد النشر');
    expect(await rows(page)).toEqual(['tourisme', 'onee', 'sante', 'hcp', 'bam']);
    await Promise.all([page.waitForURL(/sort=openFormats&order=desc/), page.click('[data-testid=sort-openFormats]')]);
    expect(await rows(page)).toEqual(['bam', 'hcp', 'sante', 'onee', 'tourisme']);
    await screenshot(page, 'observatoire-ar');
    await context.close();
  });
});
