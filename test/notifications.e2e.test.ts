import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createSource, getOrganizationNotifications, setOrganizationNotifications } from '@hasad/db';
import { renderMetrics } from '@hasad/metrics';
import { notifyRunEnded } from '@hasad/pipeline';
import { verifyWebhook, type NotificationEvent } from '@hasad/notify';
import { SmtpTestServer, WebhookReceiver, type ReceivedWebhook } from '@hasad/notify/testing';
import { FeedServer, mountCatalog } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// Notifications through the whole pipeline: real fetcher and loader workers, real Redis and
// PostgreSQL, a real SMTP server and real webhook receivers on loopback.
const OPS_SECRET = 'operators-webhook-secret-0123456789';
const ORG_SECRET = 'ministry-webhook-secret-abcdefghij';

/** Waits until the notify queue has nothing waiting, delayed or running: every delivery has ended. */
async function notifyIdle(p: TestPipeline) {
  return waitUntil(
    'the notify queue to drain',
    () => p.rt.queues.notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
    (c) => c.waiting === 0 && c.active === 0 && c.delayed === 0 && c.prioritized === 0,
    { timeoutMs: 30_000 },
  );
}

/** Waits until the load queue (finalise jobs) and the notify queue are both idle. */
async function settled(p: TestPipeline) {
  await waitUntil('the load queue to drain', () => p.rt.queues.load.getJobCounts('waiting', 'active', 'delayed'), (c) => !c.waiting && !c.active && !c.delayed);
  return notifyIdle(p);
}

function verified(hook: ReceivedWebhook, secret: string): boolean {
  return verifyWebhook(secret, { signature: hook.headers['x-hasad-signature'] as string, timestamp: hook.headers['x-hasad-timestamp'] as string }, hook.body);
}

describe('notifications', () => {
  let p: TestPipeline;
  let feeds: FeedServer;
  let smtp: SmtpTestServer;
  let opsHook: WebhookReceiver;
  let orgHook: WebhookReceiver;
  let flakyHook: WebhookReceiver;
  let forbiddenHook: WebhookReceiver;
  let orgs = 0;

  beforeAll(async () => {
    [feeds, smtp, opsHook, orgHook, flakyHook, forbiddenHook] = await Promise.all([
      FeedServer.start(),
      SmtpTestServer.start(),
      WebhookReceiver.start('/ops'),
      WebhookReceiver.start('/eau'),
      WebhookReceiver.start('/flaky'),
      WebhookReceiver.start('/forbidden'),
    ]);
    const port = (u: string) => new URL(u).port;
    p = await startTestPipeline(['fetcher', 'loader'], {
      // The address rules stay on, as in production: only the feed server and the known receivers
      // are let through, so a webhook aimed at another loopback port is refused.
      HASAD_ALLOW_PRIVATE_HOSTS: '0',
      HASAD_ALLOW_HOSTS: [feeds.url, opsHook.url, orgHook.url, flakyHook.url].map((u) => `127.0.0.1:${port(u)}`).join(','),
      HASAD_HARVEST_ATTEMPTS: '1',
      HASAD_SMTP_URL: smtp.url,
      HASAD_SMTP_FROM: 'Hasad <hasad@data.gov.ma>',
      HASAD_NOTIFY_OPERATOR_EMAILS: 'astreinte@data.gov.ma, ops@data.gov.ma',
      HASAD_NOTIFY_WEBHOOK_URL: opsHook.url,
      HASAD_NOTIFY_WEBHOOK_SECRET: OPS_SECRET,
      HASAD_NOTIFY_BACKOFF_MS: '200',
      HASAD_PUBLIC_URL: 'https://hasad.example.ma',
    });
  });
  afterAll(async () => {
    await p?.close();
    await Promise.all([feeds?.close(), smtp?.close(), opsHook?.close(), orgHook?.close(), flakyHook?.close(), forbiddenHook?.close()]);
  });

  /** An organisation with the given contacts and one DCAT source of 40 datasets. */
  async function sourceOf(contacts: { emails?: string[]; webhookUrl?: string; webhookSecret?: string }) {
    const slug = `ministere-${++orgs}`;
    const org = await createOrganization(p.rt.db, { slug, name: `Ministère n° ${orgs}` });
    await setOrganizationNotifications(p.rt.db, slug, contacts);
    const ctl = mountCatalog(feeds, `/${slug}`, { datasets: 40, pageSize: 20 });
    const src = await createSource(p.rt.db, { organizationId: org.id, kind: 'dcat', url: ctl.url, title: `Catalogue ${slug}`, config: {} });
    return { slug, ctl, sourceId: src.id };
  }

  describe('a source failing three times in a row', () => {
    let s: Awaited<ReturnType<typeof sourceOf>>;
    const failedRuns: string[] = [];

    beforeAll(async () => {
      s = await sourceOf({ emails: ['donnees@eau.gov.ma'], webhookUrl: orgHook.url, webhookSecret: ORG_SECRET });
      expect(await p.harvest(s.sourceId)).toMatchObject({ status: 'succeeded', created: 40 });
      s.ctl.failPages.set(1, 404);
    });

    it('says nothing after the first and second failures', async () => {
      for (let i = 0; i < 2; i++) {
        const run = await p.harvest(s.sourceId);
        expect(run.status).toBe('failed');
        failedRuns.push(run.id);
      }
      await settled(p);
      expect(smtp.messages).toHaveLength(0);
      expect(orgHook.requests).toHaveLength(0);
      expect(opsHook.requests).toHaveLength(0);
    });

    it('at the third, sends one e-mail to the organisation and the operators and one signed webhook to each receiver', async () => {
      const run = await p.harvest(s.sourceId);
      expect(run.status).toBe('failed');
      failedRuns.push(run.id);
      await waitUntil('the e-mail and both webhooks', async () => [smtp.messages.length, orgHook.requests.length, opsHook.requests.length], (n) => n.every((x) => x >= 1));
      await settled(p);
      expect(smtp.messages).toHaveLength(1);
      const mail = smtp.messages[0]!;
      expect(mail.from).toBe('hasad@data.gov.ma');
      expect(mail.rcptTo.sort()).toEqual(['astreinte@data.gov.ma', 'donnees@eau.gov.ma', 'ops@data.gov.ma']);
      expect(mail.headers['to']).toBe('donnees@eau.gov.ma');
      expect(mail.headers['cc']).toBe('astreinte@data.gov.ma, ops@data.gov.ma');
      expect(mail.headers['auto-submitted']).toBe('auto-generated');
      expect(mail.subject).toBe(`[Hasad] Échecs répétés : « Catalogue ${s.slug} » (3 de suite) / Source failing 3 times in a row`);
      // French first, English below; the error, the run and its links in both.
      const fr = mail.text.indexOf(`La source « Catalogue ${s.slug} » (Ministère n° 1) a échoué 3 fois de suite.`);
      const en = mail.text.indexOf(`The source "Catalogue ${s.slug}" (Ministère n° 1) failed 3 times in a row.`);
      expect(fr).toBeGreaterThan(-1);
      expect(en).toBeGreaterThan(fr);
      expect(mail.text).toContain('answered HTTP 404');
      expect(mail.text).toContain(`https://hasad.example.ma/api/v1/runs/${run.id}`);

      expect(orgHook.requests).toHaveLength(1);
      const hook = orgHook.requests[0]!;
      expect(hook.method).toBe('POST');
      expect(hook.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(hook.headers['x-hasad-event']).toBe('failure_streak');
      expect(verified(hook, ORG_SECRET)).toBe(true);
      expect(verified(hook, OPS_SECRET)).toBe(false);
      expect(verified({ ...hook, body: hook.body.replace('"failed"', '"succeeded"') }, ORG_SECRET)).toBe(false);
      const event = JSON.parse(hook.body) as NotificationEvent;
      expect(event).toMatchObject({
        id: `failure_streak-${run.id}`,
        kind: 'failure_streak',
        organization: { slug: s.slug, name: 'Ministère n° 1' },
        source: { id: s.sourceId, kind: 'dcat', url: s.ctl.url, title: `Catalogue ${s.slug}` },
        run: { id: run.id, outcome: 'failed', error: { code: 'fetch_status' } },
        failures: { inARow: 3, threshold: 3 },
        links: {
          run: `https://hasad.example.ma/api/v1/runs/${run.id}`,
          source: `https://hasad.example.ma/api/v1/sources/${s.sourceId}`,
          dashboardRun: `https://hasad.example.ma/dashboard/runs/${run.id}`,
          dashboardSource: `https://hasad.example.ma/dashboard/sources/${s.sourceId}`,
        },
      });
      expect(event.run.error!.message).toContain('answered HTTP 404');
      expect(hook.headers['x-hasad-delivery']).toBe(event.id);

      expect(opsHook.requests).toHaveLength(1);
      expect(verified(opsHook.requests[0]!, OPS_SECRET)).toBe(true);
      expect(JSON.parse(opsHook.requests[0]!.body)).toEqual(event);
    });

    it('a finalise delivered again, and a fourth failure, send nothing more', async () => {
      const third = failedRuns[2]!;
      // The same finalise job delivered again (BullMQ is at-least-once): it finds the run final
      // and asks for its notifications again.
      await p.rt.queues.add('load.finalise', { runId: third }, { jobId: `finalise-${third}-again` });
      await notifyRunEnded({ db: p.rt.db, queues: p.rt.queues, config: p.config }, third);
      const fourth = await p.harvest(s.sourceId);
      expect(fourth.status).toBe('failed');
      await settled(p);
      expect(smtp.messages).toHaveLength(1);
      expect(orgHook.requests).toHaveLength(1);
      expect(opsHook.requests).toHaveLength(1);
    });

    it('when the source works again, says so once', async () => {
      s.ctl.failPages.clear();
      const run = await p.harvest(s.sourceId);
      expect(run.status).toBe('unchanged');
      await waitUntil('the recovery e-mail', async () => smtp.messages.length, (n) => n >= 2);
      await settled(p);
      expect(smtp.messages).toHaveLength(2);
      expect(smtp.messages[1]!.subject).toBe(`[Hasad] Source rétablie : « Catalogue ${s.slug} » / Source working again`);
      expect(smtp.messages[1]!.text).toContain('fonctionne de nouveau après 4 échecs de suite');
      expect(orgHook.requests.map((r) => r.headers['x-hasad-event'])).toEqual(['failure_streak', 'recovered']);
      expect(JSON.parse(orgHook.requests[1]!.body)).toMatchObject({ kind: 'recovered', run: { id: run.id, outcome: 'unchanged' }, failures: { inARow: 4 } });
      // A success after a success is not news.
      await p.harvest(s.sourceId);
      await settled(p);
      expect(smtp.messages).toHaveLength(2);
    });
  });

  it('a run with invalid records tells the organisation once per change, in French, Arabic and English, with a link to the run in its space', async () => {
    const slug = `ministere-${++orgs}`;
    const org = await createOrganization(p.rt.db, { slug, name: `Ministère n° ${orgs}` });
    await setOrganizationNotifications(p.rt.db, slug, { emails: ['donnees@habitat.gov.ma'], webhookUrl: orgHook.url, webhookSecret: ORG_SECRET });
    const rows = (untitled: number) =>
      ['identifiant,titre,description', 'hab-1,Logements sociaux,Par région', 'hab-2,Permis de construire,Par commune', ...Array.from({ length: untitled }, (_, i) => `hab-x${i},,sans titre`)].join('\n') + '\n';
    let body = rows(2);
    feeds.route(`/${slug}/inventaire.csv`, () => ({ status: 200, contentType: 'text/csv; charset=utf-8', body }));
    const src = await createSource(p.rt.db, { organizationId: org.id, kind: 'csv', url: `${feeds.url}/${slug}/inventaire.csv`, title: `Inventaire ${slug}`, config: {} });
    const mailsBefore = smtp.messages.length;
    const hooksBefore = orgHook.requests.length;

    const run = await p.harvest(src.id);
    expect(run).toMatchObject({ status: 'succeeded', invalid: 2 });
    await waitUntil('the invalid-records e-mail', async () => smtp.messages.length, (n) => n > mailsBefore);
    await settled(p);
    const mails = smtp.messages.slice(mailsBefore);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`[Hasad] Enregistrements invalides : « Inventaire ${slug} » (2) / سجلات غير صالحة / Invalid records`);
    const text = mails[0]!.text;
    // The problem in each language, with its count agreed and an example record.
    expect(text).toContain('- 2 enregistrements · Le jeu de données n’a pas de titre');
    expect(text).toContain('- سجلان · مجموعة البيانات بلا عنوان فلم تنشر.');
    expect(text).toContain('- 2 records · The dataset has no title');
    expect(text).toContain('hab-x0');
    expect(text).toContain(`https://hasad.example.ma/espace/runs/${run.id}`);
    const hooks = orgHook.requests.slice(hooksBefore);
    expect(hooks.map((h) => h.headers['x-hasad-event'])).toEqual(['invalid_records']);
    const event = JSON.parse(hooks[0]!.body) as NotificationEvent;
    expect(event.problems[0]).toMatchObject({ code: 'missing_title', count: 2, text: { ar: 'مجموعة البيانات بلا عنوان فلم تنشر. أعطوا كل مجموعة عنوانا (dct:title أو عمود العنوان).' } });
    expect(event.links.spaceRun).toBe(`https://hasad.example.ma/espace/runs/${run.id}`);

    // The same invalid records again: nothing new to tell. Three: told again.
    expect(await p.harvest(src.id)).toMatchObject({ invalid: 2 });
    await settled(p);
    expect(smtp.messages.length - mailsBefore).toBe(1);
    body = rows(3);
    expect(await p.harvest(src.id)).toMatchObject({ invalid: 3 });
    await waitUntil('the second invalid-records e-mail', async () => smtp.messages.length, (n) => n > mailsBefore + 1);
    await settled(p);
    expect(smtp.messages.length - mailsBefore).toBe(2);
    expect(smtp.messages.at(-1)!.text).toContain('- 3 enregistrements ·');
  });

  it('a run that ends needs_review sends one e-mail and one webhook', async () => {
    const s = await sourceOf({ emails: ['opendata@sante.gov.ma'] });
    expect(await p.harvest(s.sourceId)).toMatchObject({ status: 'succeeded', created: 40 });
    const mailsBefore = smtp.messages.length;
    const opsBefore = opsHook.requests.length;
    s.ctl.options.omit = new Set(Array.from({ length: 12 }, (_, i) => i)); // 30 % > 20 %
    const run = await p.harvest(s.sourceId);
    expect(run).toMatchObject({ status: 'needs_review', pendingWithdrawals: 12 });
    await waitUntil('the review e-mail', async () => smtp.messages.length, (n) => n > mailsBefore);
    await settled(p);
    const mails = smtp.messages.slice(mailsBefore);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.headers['to']).toBe('opendata@sante.gov.ma');
    expect(mails[0]!.subject).toBe(`[Hasad] Revue requise : « Catalogue ${s.slug} » retirerait 12 jeux de données / Run needs review`);
    expect(mails[0]!.text).toContain(`hasad run confirm ${run.id}`);
    expect(mails[0]!.text).toContain('12 of 40 active datasets (30.0 %) would be withdrawn');
    const hooks = opsHook.requests.slice(opsBefore);
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({ kind: 'needs_review', run: { id: run.id, outcome: 'needs_review', counts: { seen: 28, pendingWithdrawals: 12 }, review: { reason: 'threshold' } } });

    // The feed stays shrunk and the next scheduled run asks for the same review: nothing new to tell.
    const again = await p.harvest(s.sourceId);
    expect(again).toMatchObject({ status: 'needs_review', pendingWithdrawals: 12 });
    await settled(p);
    expect(smtp.messages.length).toBe(mailsBefore + 1);
    expect(opsHook.requests.length).toBe(opsBefore + 1);
    // It shrinks further: told again.
    s.ctl.options.omit = new Set(Array.from({ length: 16 }, (_, i) => i));
    const further = await p.harvest(s.sourceId);
    expect(further).toMatchObject({ status: 'needs_review', pendingWithdrawals: 16 });
    await waitUntil('the second review e-mail', async () => smtp.messages.length, (n) => n > mailsBefore + 1);
    await settled(p);
    expect(smtp.messages.slice(mailsBefore).map((m) => m.subject)).toEqual([
      `[Hasad] Revue requise : « Catalogue ${s.slug} » retirerait 12 jeux de données / Run needs review`,
      `[Hasad] Revue requise : « Catalogue ${s.slug} » retirerait 16 jeux de données / Run needs review`,
    ]);
  });

  it('a webhook receiver answering 500 is tried again until it accepts, with the same delivery id and a valid signature each time', async () => {
    const s = await sourceOf({ webhookUrl: flakyHook.url, webhookSecret: ORG_SECRET });
    await p.harvest(s.sourceId);
    flakyHook.statuses = [500, 500];
    // 16 of 40 datasets gone (40 % > 20 %): a review. (A feed listing nothing at all fails no_datasets.)
    s.ctl.options.omit = new Set(Array.from({ length: 16 }, (_, i) => i));
    const run = await p.harvest(s.sourceId);
    expect(run.status).toBe('needs_review');
    await waitUntil('the third delivery', async () => flakyHook.requests.length, (n) => n >= 3, { timeoutMs: 30_000 });
    await settled(p);
    expect(flakyHook.requests.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(flakyHook.requests.map((r) => r.headers['x-hasad-delivery']))).toEqual(new Set([`needs_review-${run.id}`]));
    expect(flakyHook.requests.every((r) => verified(r, ORG_SECRET))).toBe(true);
    const jobs = await p.rt.queues.notify.getJobs(['completed']);
    const job = jobs.find((j) => j.data.runId === run.id && j.data.channel === 'webhook-organization');
    // Two refused attempts and the one that was accepted (BullMQ counts the successful one too).
    expect(job?.attemptsMade).toBe(3);
    // The workers run in this process: their counter says the same.
    const metrics = await renderMetrics();
    expect(metrics).toContain('hasad_notifications_total{event="needs_review",channel="webhook-organization",outcome="retry"} 2');
  });

  it('an SMTP server answering 451 (try later) gets the message again; one answering 550 is not asked twice', async () => {
    const s = await sourceOf({ emails: ['donnees@habitat.gov.ma'] });
    await p.harvest(s.sourceId);
    const before = smtp.messages.length;
    smtp.failNext = [451];
    s.ctl.options.omit = new Set(Array.from({ length: 16 }, (_, i) => i));
    const first = await p.harvest(s.sourceId);
    expect(first.status).toBe('needs_review');
    await waitUntil('the e-mail after a 451', async () => smtp.messages.length, (n) => n > before);
    await settled(p);
    expect(smtp.messages.slice(before).map((m) => m.headers['to'])).toEqual(['donnees@habitat.gov.ma']);
    const retried = (await p.rt.queues.notify.getJobs(['completed'])).find((j) => j.data.runId === first.id && j.data.channel === 'email');
    expect(retried?.attemptsMade).toBe(2);

    smtp.failNext = [550];
    // One dataset back in the feed: another review (15 held back, not 16), so another message.
    s.ctl.options.omit = new Set(Array.from({ length: 15 }, (_, i) => i));
    const second = await p.harvest(s.sourceId);
    expect(second.status).toBe('needs_review');
    await settled(p);
    expect(smtp.messages.length).toBe(before + 1);
    const failed = (await p.rt.queues.notify.getJobs(['failed'])).find((j) => j.data.runId === second.id && j.data.channel === 'email');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/^SMTP: .*550/);
    expect(smtp.failNext).toEqual([]);
  });

  it('hasad org notify sets the contacts, prints a new webhook secret once, and refuses a forbidden address', async () => {
    await createOrganization(p.rt.db, { slug: 'cli-org', name: 'Par la ligne de commande' });
    const env = { HASAD_ALLOW_PRIVATE_HOSTS: '0', HASAD_ALLOW_HOSTS: `127.0.0.1:${new URL(orgHook.url).port}` };
    const set = await hasad(p, env, 'org', 'notify', '--slug', 'cli-org', '--email', 'a@cli.gov.ma', '--email', 'b@cli.gov.ma', '--webhook', orgHook.url);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const printed = JSON.parse(set.stdout);
    expect(printed).toMatchObject({ slug: 'cli-org', emails: ['a@cli.gov.ma', 'b@cli.gov.ma'], webhookUrl: orgHook.url, webhookSecretSet: true });
    expect(printed.webhookSecret).toMatch(/^whsec_/);
    const refused = await hasad(p, env, 'org', 'notify', '--slug', 'cli-org', '--webhook', forbiddenHook.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^hasad: --webhook: refused to fetch .*loopback/);
    expect(await getOrganizationNotifications(p.rt.db, 'cli-org')).toMatchObject({ emails: ['a@cli.gov.ma', 'b@cli.gov.ma'], webhookUrl: orgHook.url, webhookSecretSet: true });
  });

  it('a webhook aimed at an address the rules refuse is not called, and fails at once without retries', async () => {
    const s = await sourceOf({ webhookUrl: forbiddenHook.url, webhookSecret: ORG_SECRET });
    await p.harvest(s.sourceId);
    s.ctl.options.omit = new Set(Array.from({ length: 16 }, (_, i) => i));
    const run = await p.harvest(s.sourceId);
    expect(run.status).toBe('needs_review');
    await settled(p);
    const failed = (await p.rt.queues.notify.getJobs(['failed'])).find((j) => j.data.runId === run.id);
    expect(failed?.data.channel).toBe('webhook-organization');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/refused to fetch .*loopback/);
    expect(forbiddenHook.requests).toHaveLength(0);
    expect(await renderMetrics()).toContain('hasad_notifications_total{event="needs_review",channel="webhook-organization",outcome="failed"} 1');
  });
});

/** Runs the hasad CLI with the pipeline's settings; resolves with its exit code and output. */
async function hasad(p: TestPipeline, env: Record<string, string>, ...args: string[]) {
  const bin = fileURLToPath(new URL('../packages/cli/bin/hasad.js', import.meta.url));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...env, DATABASE_URL: p.config.DATABASE_URL, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('notifications without any settings', () => {
  let p: TestPipeline;
  let feeds: FeedServer;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '1' });
    feeds = await FeedServer.start();
  });
  afterAll(async () => {
    await p?.close();
    await feeds?.close();
  });

  it('sends nothing, queues nothing and fails nothing; organisation addresses without SMTP are ignored', async () => {
    const org = await createOrganization(p.rt.db, { slug: 'sans-smtp', name: 'Sans SMTP' });
    await setOrganizationNotifications(p.rt.db, 'sans-smtp', { emails: ['donnees@sans-smtp.gov.ma'] });
    const ctl = mountCatalog(feeds, '/quiet', { datasets: 10, pageSize: 10 });
    const src = await createSource(p.rt.db, { organizationId: org.id, kind: 'dcat', url: ctl.url, config: {} });
    ctl.failPages.set(1, 500);
    for (let i = 0; i < 4; i++) expect((await p.harvest(src.id)).status).toBe('failed');
    ctl.failPages.clear();
    expect((await p.harvest(src.id)).status).toBe('succeeded');
    await settled(p);
    const counts = await p.rt.queues.notify.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    const loadFailed = await p.rt.queues.load.getJobCounts('failed');
    expect(loadFailed.failed).toBe(0);
  });
});
