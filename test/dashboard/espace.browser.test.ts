import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from '@hasad/cli';
import { createApiToken, createOrganization } from '@hasad/db';
import { FeedServer } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { waitUntil } from '../helpers/wait.ts';

// The institutions' space in a real browser (Debian's Chromium driven by playwright-core)
// against the real pipeline (api, fetcher, loader; real Redis and PostgreSQL; the institution's
// CSV on loopback): sign in, register with a preview, an operator approves in the dashboard,
// harvest, read the run's problems in Arabic, fix the feed, confirm a withdrawal after seeing
// the list; another organisation sees none of it. HASAD_SCREENSHOTS=1 writes the French and
// Arabic screenshots to docs/screenshots/.
const CHROMIUM = process.env.HASAD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`SKIPPED test/dashboard/espace: no Chromium at ${CHROMIUM}`);
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

/** The institution's inventory: `valid` titled rows and `untitled` rows without a title. */
const inventory = (valid: number, untitled: number) =>
  [
    'identifiant,titre,description,mots-clés',
    // Untitled rows first: the preview stops after its first 10 records.
    ...Array.from({ length: untitled }, (_, i) => `hab-x${i + 1},,Ligne sans titre,`),
    ...Array.from({ length: valid }, (_, i) => `hab-${i + 1},Logements sociaux livrés ${2015 + i},Par région et par programme,logement;habitat`),
  ].join('\n') + '\n';

describe.skipIf(!haveChromium)('institutions’ space in a browser', () => {
  let p: TestPipeline;
  let feed: FeedServer;
  let browser: Browser;
  let base: string;
  let orgToken: string;
  let otherToken: string;
  let operatorToken: string;
  let csv = inventory(10, 2);
  const ids = { source: '', run: '', review: '' };

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '1' });
    base = p.rt.apiUrl!;
    feed = await FeedServer.start();
    feed.route('/habitat/inventaire.csv', () => ({ status: 200, contentType: 'text/csv; charset=utf-8', body: csv }));
    const db = p.rt.db;
    const org = await createOrganization(db, { slug: 'habitat', name: 'Ministère de l’Habitat' });
    const other = await createOrganization(db, { slug: 'tourisme', name: 'Ministère du Tourisme' });
    orgToken = (await createApiToken(db, { role: 'organization', organizationId: org.id })).token;
    otherToken = (await createApiToken(db, { role: 'organization', organizationId: other.id })).token;
    operatorToken = (await createApiToken(db, { role: 'operator', operatorName: 'Salma Idrissi' })).token;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await p?.close();
    await feed?.close();
  });

  async function spacePage(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/espace`);
    expect(new URL(page.url()).pathname).toBe('/espace/sign-in');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${base}/espace`), page.click('button[type=submit]')]);
    return page;
  }

  it('registers a CSV inventory with the guided form after seeing its preview', async () => {
    const page = await spacePage(orgToken);
    await page.click('[data-testid=nav-register]');
    await page.check('input[name=kind][value=csv]');
    await page.fill('[data-testid=register-url]', `${feed.url}/habitat/inventaire.csv`);
    await page.fill('input[name=title]', 'Inventaire du Ministère de l’Habitat');
    await page.fill('input[name=schedule]', '');
    // The form is checked as it is typed: a config the csv kind refuses is named under the field,
    // and the message goes once it is fixed.
    const configError = page.locator('[data-testid=register-error-config]');
    await page.fill('[data-testid=register-config]', '{"delimiter": "::"}');
    await configError.waitFor({ state: 'visible' });
    await expect(configError.innerText()).resolves.toContain('delimiter');
    await expect(page.getAttribute('[data-testid=register-config]', 'aria-invalid')).resolves.toBe('true');
    await page.fill('[data-testid=register-config]', '{}');
    await configError.waitFor({ state: 'hidden' });
    await Promise.all([page.waitForLoadState('load'), page.click('[data-testid=register-preview]')]);
    const preview = page.locator('[data-testid=register-preview-result]');
    await expect(preview.innerText()).resolves.toContain('Logements sociaux livrés 2015');
    await expect(preview.innerText()).resolves.toContain('Le jeu de données n’a pas de titre');
    await expect(page.locator('[data-testid=register-mapping]').innerText()).resolves.toContain('titre');
    await screenshot(page, 'espace-register-fr');
    await Promise.all([page.waitForURL(/\/espace\/sources\/[0-9a-f-]{36}\?done=registered/), page.click('[data-testid=register-save]')]);
    ids.source = new URL(page.url()).pathname.split('/').pop()!;
    await expect(page.locator('[data-testid=pending-approval]').count()).resolves.toBe(1);
    await page.context().close();
  });

  it('is approved by an operator in the dashboard', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/sources/${ids.source}`);
    await page.fill('#token', operatorToken);
    await Promise.all([page.waitForURL(`${base}/dashboard/sources/${ids.source}`), page.click('button[type=submit]')]);
    await Promise.all([page.waitForURL(/done=approve/), page.click('[data-testid=approve]')]);
    await context.close();
    const row = await p.rt.db.pool.query('SELECT approval_status FROM sources WHERE id = $1', [ids.source]);
    expect(row.rows[0].approval_status).toBe('approved');
  });

  it('harvests now, and reads the run’s problems in Arabic, right to left', async () => {
    const page = await spacePage(orgToken);
    await page.goto(`${base}/espace/sources/${ids.source}`);
    await Promise.all([page.waitForURL(/\/espace\/runs\//), page.click('[data-testid=space-harvest]')]);
    ids.run = new URL(page.url()).pathname.split('/').pop()!;
    const run = await waitForRun(p.rt.db, ids.run, 120_000);
    expect(run).toMatchObject({ status: 'succeeded', created: 10, invalid: 2 });
    await page.click('a[hreflang=ar]');
    await page.goto(`${base}/espace/runs/${ids.run}`);
    await expect(page.locator('html').getAttribute('dir')).resolves.toBe('rtl');
    const problems = await page.locator('[data-testid=space-problems]').innerText();
    expect(problems).toContain('مجموعة البيانات بلا عنوان فلم تنشر.');
    expect(problems).toContain('hab-x1');
    await screenshot(page, 'espace-run-ar');
    await page.goto(`${base}/espace/sources/${ids.source}`);
    await screenshot(page, 'espace-source-ar');
    await page.context().close();
  });

  it('fixes the feed, harvests again, and confirms a withdrawal after seeing which datasets go', async () => {
    csv = inventory(10, 0);
    // The same ten datasets, now without the untitled rows: nothing to change in the catalogue.
    expect(await p.harvest(ids.source)).toMatchObject({ status: 'unchanged', seen: 10, invalid: 0 });
    // The inventory loses 6 of its 10 datasets: above the 20 % threshold, the run waits for the institution.
    csv = inventory(4, 0);
    const review = await p.harvest(ids.source);
    expect(review).toMatchObject({ status: 'needs_review', pendingWithdrawals: 6 });
    ids.review = review.id;
    const page = await spacePage(orgToken);
    await page.goto(`${base}/espace/runs/${ids.review}`);
    const listed = await page.locator('[data-testid=space-pending] tr[data-identifier]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-identifier')));
    expect(listed.sort()).toEqual(['hab-10', 'hab-5', 'hab-6', 'hab-7', 'hab-8', 'hab-9']);
    await screenshot(page, 'espace-review-fr');
    await Promise.all([page.waitForURL(/done=confirm/), page.click('[data-testid=space-confirm]')]);
    await expect(page.locator('[data-testid=flash]').innerText()).resolves.toBe('Retraits confirmés, retirés : 6 jeux de données.');
    const withdrawn = await waitUntil('the withdrawals', () => p.datasets(ids.source, 'withdrawn'), (m) => m.size === 6);
    expect([...withdrawn.keys()].sort()).toEqual(listed.sort());
    await page.context().close();
  });

  it('shows another organisation none of it', async () => {
    const page = await spacePage(otherToken);
    await expect(page.locator('body').innerText()).resolves.not.toContain('Habitat');
    for (const url of [`/espace/sources/${ids.source}`, `/espace/runs/${ids.run}`, `/espace/runs/${ids.review}`]) {
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBe(404);
      await expect(page.locator('body').innerText()).resolves.not.toContain('Logements');
    }
    await page.context().close();
  });
});
