import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization, createSource } from '@hasad/db';
import { FeedServer, mountCatalog, type CatalogControl } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { mountSlowCatalog, type SlowCatalog } from '../helpers/slow-feed.ts';
import { waitUntil } from '../helpers/wait.ts';

// The operator dashboard in a real browser (Debian's Chromium driven by playwright-core)
// against the real pipeline: api, fetcher and loader in this process, real Redis and PostgreSQL,
// institutions' feeds on loopback. HASAD_SCREENSHOTS=1 also writes the README's screenshots
// to docs/screenshots/.
const CHROMIUM = process.env.HASAD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`SKIPPED test/dashboard: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
const SCREENSHOTS = process.env.HASAD_SCREENSHOTS === '1' ? resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots') : undefined;

/** The screenshots the README shows; the others are only checked. */
const README_SHOTS = new Set(['overview', 'source']);

/** A PNG the test checks is a real, non-empty image; the README's are written to docs/screenshots when asked. */
async function screenshot(page: Page, name: string): Promise<Buffer> {
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  // Width and height from the IHDR chunk: a real page, not a blank 0×0 image.
  expect(png.readUInt32BE(16)).toBeGreaterThan(600);
  expect(png.readUInt32BE(20)).toBeGreaterThan(300);
  expect(png.length).toBeGreaterThan(20_000);
  if (SCREENSHOTS && README_SHOTS.has(name)) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(resolve(SCREENSHOTS, `${name}.png`), png);
  }
  return png;
}

/** Counts the page's own navigations (loads of its main frame). */
function navigations(page: Page): () => number {
  let n = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) n++;
  });
  return () => n;
}

describe.skipIf(!haveChromium)('operator dashboard in a browser', () => {
  let p: TestPipeline;
  let feed: FeedServer;
  let browser: Browser;
  let base: string;
  let token: string;
  let slow: SlowCatalog;
  let failing: CatalogControl;
  let shrinking: CatalogControl;
  const ids = { slow: '', failing: '', shrinking: '', pending: '' };

  beforeAll(async () => {
    // One attempt per harvest, so a failing page fails its run at once.
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '1', HASAD_HARVEST_BACKOFF_MS: '100' });
    base = p.rt.apiUrl!;
    feed = await FeedServer.start();
    const db = p.rt.db;
    token = (await createApiToken(db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;

    const org = await createOrganization(db, { slug: 'hcp', name: 'Haut-Commissariat au Plan' });
    const onee = await createOrganization(db, { slug: 'onee', name: "Office National de l'Électricité et de l'Eau Potable" });
    const add = async (organizationId: string, title: string, url: string, extra: Partial<Parameters<typeof createSource>[1]> = {}) =>
      (await createSource(db, { organizationId, kind: 'dcat', url, title, schedule: 'daily', config: {}, ...extra })).id;

    // 12 pages answered 400 ms apart: a harvest that lasts about 5 s, long enough to watch.
    slow = mountSlowCatalog(feed, '/recensement', { datasets: 120, pageSize: 10 }, 400);
    ids.slow = await add(org.id, 'Recensement général de la population', slow.url);
    // Page 2 answers 500: every run fails.
    failing = mountCatalog(feed, '/electricite', { datasets: 20, pageSize: 10 });
    failing.failPages.set(2, 500);
    ids.failing = await add(onee.id, "Consommation d'électricité", failing.url);
    for (let i = 0; i < 3; i++) expect((await p.harvest(ids.failing)).status).toBe('failed');
    // Harvested whole, then half its datasets disappear: the second run needs review.
    shrinking = mountCatalog(feed, '/emploi', { datasets: 20, pageSize: 10 });
    ids.shrinking = await add(org.id, 'Emploi et chômage', shrinking.url);
    expect((await p.harvest(ids.shrinking)).status).toBe('succeeded');
    // Half of each page gone (a page left empty would make the listing partial: empty_page).
    shrinking.options.omit = new Set([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    expect((await p.harvest(ids.shrinking)).status).toBe('needs_review');
    // Registered by an institution, waiting for an operator.
    ids.pending = await add(onee.id, 'Barrages et retenues', `${feed.url}/barrages/catalog?page=1`, { approvalStatus: 'pending' });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await p?.close();
    await feed?.close();
  });

  async function signedInPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type=submit]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Vue d’ensemble');
    return page;
  }

  it('refuses anonymous visitors on every page and on Bull Board', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls = [
      '/dashboard',
      '/dashboard/sources',
      `/dashboard/sources/${ids.failing}`,
      `/dashboard/runs/00000000-0000-4000-8000-000000000000`,
      '/admin/queues',
      '/admin/queues/queue/harvest',
      '/admin/queues/api/queues',
    ];
    for (const url of urls) {
      await page.goto(`${base}${url}`);
      expect(new URL(page.url()).pathname, url).toBe('/dashboard/sign-in');
      const text = await page.locator('body').innerText();
      expect(text, url).toContain('Connexion opérateur');
      expect(text, url).not.toMatch(/harvest|Recensement|électricité/i);
    }
    await context.close();
  });

  it('signs in and watches a harvest progress to completion without reloading the page', async () => {
    const overview = await signedInPage();
    const overviewNavs = navigations(overview);
    const runPage = await overview.context().newPage();
    await runPage.goto(`${base}/dashboard/sources/${ids.slow}`);
    await Promise.all([runPage.waitForURL(/\/dashboard\/runs\//), runPage.click('[data-testid=harvest-now]')]);
    const runNavs = navigations(runPage);
    const runId = new URL(runPage.url()).pathname.split('/').pop()!;
    await expect(runPage.locator('[data-testid=flash]').textContent()).resolves.toBe('Moissonnage demandé.');

    // The run page's counters move with the harvest, then the run ends, all without a reload.
    const seenPages = new Set<string>();
    await waitUntil(
      'the run page to show the run finished',
      async () => {
        seenPages.add((await runPage.locator('[data-run-field=pagesFetched]').textContent()) ?? '');
        return runPage.locator('body').getAttribute('data-run-final');
      },
      (final) => final !== null,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(seenPages.size, [...seenPages].join(',')).toBeGreaterThanOrEqual(3);
    expect(await runPage.locator('body').getAttribute('data-run-final')).toBe('succeeded');
    expect(await runPage.locator(`[data-run-status="${runId}"] .badge`).textContent()).toBe('réussie');
    expect(await runPage.locator('[data-run-field=pagesFetched]').textContent()).toBe('12');
    expect(await runPage.locator(`progress[data-run-progress="${runId}"]`).evaluate((el) => { const p = el as unknown as { value: number; max: number }; return [p.value, p.max]; })).toEqual([12, 12]);
    // The final counts and the timeline came in too.
    await expect(runPage.locator('[data-testid=timeline]').innerText()).resolves.toMatch(/Page 12 récupérée : 10 enregistrements[\s\S]*Finalisation : réussie/);
    await expect(runPage.locator('dl.figures div', { hasText: 'Créés' }).locator('dd').textContent()).resolves.toBe('120');
    expect(runNavs()).toBe(0);

    // Meanwhile the overview, opened before the harvest, listed it live and counted it once done.
    await waitUntil('the overview to count the run', async () => overview.locator('[data-live="outcomes.succeeded"]').textContent(), (t) => Number(t) >= 2, { timeoutMs: 10_000 });
    await expect(overview.locator('#live-runs tr.empty').count()).resolves.toBe(1);
    expect(overviewNavs()).toBe(0);
    await screenshot(runPage, 'run');
    await overview.context().close();
  });

  it('shows a running harvest on the overview (screenshot)', async () => {
    // A complete run first (at full speed), so the progress bar has the page count to aim at.
    slow.delayMs = 0;
    expect((await p.harvest(ids.slow)).status).toMatch(/^(succeeded|unchanged)$/);
    // Slower pages, so the run is still going when a loaded machine delivers the first snapshots.
    slow.delayMs = 700;
    const overview = await signedInPage();
    const navs = navigations(overview);
    const live = await overview.context().newPage();
    await live.goto(`${base}/dashboard/sources/${ids.slow}`);
    await Promise.all([live.waitForURL(/\/dashboard\/runs\//), live.click('[data-testid=harvest-now]')]);
    const runId = new URL(live.url()).pathname.split('/').pop()!;
    // The row appears without a reload, with a progress bar measured against the last complete run (12 pages).
    await overview.locator(`#live-runs tr[data-run="${runId}"]`).waitFor({ timeout: 20_000 });
    await waitUntil('pages to be fetched', async () => overview.locator(`#live-runs tr[data-run="${runId}"] [data-field=pagesFetched]`).textContent(), (t) => Number(t) >= 3, { timeoutMs: 20_000 });
    expect(await overview.locator(`progress[data-run-progress="${runId}"]`).getAttribute('max')).toBe('12');
    expect(navs()).toBe(0);
    await screenshot(overview, 'overview');
    await live.locator('body[data-run-final]').waitFor({ timeout: 60_000 });
    slow.delayMs = 400;
    await overview.context().close();
  });

  it('opens the failing source and reads the problem', async () => {
    const page = await signedInPage();
    const failingRow = page.locator('[data-testid=failing] tr', { hasText: "Consommation d'électricité" });
    await expect(failingRow.locator('td.num').textContent()).resolves.toBe('3');
    await Promise.all([page.waitForURL(`${base}/dashboard/sources/${ids.failing}`), failingRow.locator('a').click()]);
    const error = await page.locator('[data-testid=run-error]').textContent();
    expect(error).toContain(`${failing.url.replace('page=1', 'page=2')} answered HTTP 500`);
    expect(await page.locator('[data-testid=runs] tbody tr').count()).toBe(3);
    expect(await page.locator('svg.history rect.st-failed').count()).toBe(3);
    await screenshot(page, 'source-failing');
    // The run page shows what the server answered.
    await Promise.all([page.waitForURL(/\/dashboard\/runs\//), page.locator('a', { hasText: 'Exécution du' }).click()]);
    await expect(page.locator('[data-testid=failed-page]').textContent()).resolves.toContain('<html><body>error 500</body></html>');
    await expect(page.locator('[data-testid=timeline]').innerText()).resolves.toMatch(/Page 1 récupérée : 10 enregistrements[\s\S]*Finalisation : échouée/);
    await page.context().close();
  });

  it('approves a pending source', async () => {
    const overview = await signedInPage();
    const overviewNavs = navigations(overview);
    const page = await overview.context().newPage();
    await page.goto(`${base}/dashboard`);
    await page.locator('[data-testid=pending] a', { hasText: 'Barrages et retenues' }).click();
    await page.waitForURL(`${base}/dashboard/sources/${ids.pending}`);
    await expect(page.locator('.sub .badge.ap-pending').textContent()).resolves.toBe('en attente');
    await page.fill('#comment', 'Flux vérifié avec l’ONEE');
    await Promise.all([page.waitForURL(/done=approve/), page.click('[data-testid=approve]')]);
    await expect(page.locator('[data-testid=flash]').textContent()).resolves.toBe('Source approuvée : elle sera planifiée.');
    await expect(page.locator('.sub .badge.ap-approved').textContent()).resolves.toBe('approuvée');
    const row = (await p.rt.db.pool.query('SELECT approval_status, reviewed_by, review_comment FROM sources WHERE id = $1', [ids.pending])).rows[0];
    expect(row).toEqual({ approval_status: 'approved', reviewed_by: 'Salma Idrissi', review_comment: 'Flux vérifié avec l’ONEE' });
    // The overview opened before drops it from its list, without a reload.
    await overview.locator('[data-testid=pending]').waitFor({ state: 'detached', timeout: 10_000 });
    await expect(overview.locator('[data-live="counts.pending"]').textContent()).resolves.toBe('0');
    expect(overviewNavs()).toBe(0);
    await page.context().close();
  });

  it('confirms a needs_review withdrawal', async () => {
    const page = await signedInPage();
    await page.locator('[data-testid=review] a', { hasText: 'Emploi et chômage' }).click();
    await page.waitForURL(/\/dashboard\/runs\//);
    await expect(page.locator('[data-testid=review-actions]').innerText()).resolves.toContain('retirerait 10 jeux de données');
    await Promise.all([page.waitForURL(/done=confirm/), page.click('[data-testid=confirm-withdrawals]')]);
    await expect(page.locator('[data-testid=flash]').textContent()).resolves.toBe('Retraits confirmés, retirés : 10 jeux de données.');
    expect(await page.locator('[data-testid=review-actions]').count()).toBe(0);
    const active = (await p.rt.db.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND status = 'active'`, [ids.shrinking])).rows[0].n;
    expect(active).toBe(10);
    await page.goto(`${base}/dashboard/sources/${ids.shrinking}`);
    // The loader scored the datasets: the source's metadata quality and what would raise it.
    await expect(page.locator('[data-testid=quality-score]').textContent()).resolves.toMatch(/^\d+ \/ \d+$/);
    expect(await page.locator('[data-testid=quality-improvements] tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'source');
    await page.context().close();
  });

  it('opens Bull Board once signed in', async () => {
    const page = await signedInPage();
    await Promise.all([page.waitForURL(`${base}/admin/queues`), page.click('nav.main a[href="/admin/queues"]')]);
    // Bull Board's own page, its scripts and its API calls all pass the sign-in with the session cookie.
    await page.getByText('harvest', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.getByText('load', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.context().close();
  });

  it('lists and filters sources, in Arabic right to left', async () => {
    const page = await signedInPage();
    await page.goto(`${base}/dashboard/sources`);
    expect(await page.locator('[data-testid=sources] tbody tr').count()).toBe(4);
    await page.selectOption('select[name=outcome]', 'failed');
    await Promise.all([page.waitForURL(/outcome=failed/), page.click('form.filters button')]);
    expect(await page.locator('[data-testid=sources] tbody tr').count()).toBe(1);
    await page.fill('input[name=q]', '');
    await page.selectOption('select[name=outcome]', '');
    await page.fill('input[name=q]', 'emploi');
    await Promise.all([page.waitForURL(/q=emploi/), page.click('form.filters button')]);
    await expect(page.locator('[data-testid=sources] tbody tr a').first().textContent()).resolves.toBe('Emploi et chômage');
    await Promise.all([page.waitForURL(/\/dashboard\/sources\?/), page.click('a[hreflang=ar]')]);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await expect(page.locator('h1').textContent()).resolves.toContain('المصادر');
    await page.goto(`${base}/dashboard`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ar');
    await screenshot(page, 'overview-ar');
    await page.context().close();
  });
});
