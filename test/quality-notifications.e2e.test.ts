import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createSource, setOrganizationNotifications } from '@hasad/db';
import { SmtpTestServer } from '@hasad/notify/testing';
import { FeedServer } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// A quality drop told to the institution, through the whole pipeline: fetcher (harvest and the
// link check that follows each complete run, which keeps the source's score with the run) and
// loader, real Redis and PostgreSQL, a real SMTP server on loopback. Apart from
// notifications.e2e.test.ts because the link check is on here (it is off in the other suites).

describe('quality-drop notifications', () => {
  let p: TestPipeline;
  let feeds: FeedServer;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    [feeds, smtp] = await Promise.all([FeedServer.start(), SmtpTestServer.start()]);
    p = await startTestPipeline(['fetcher', 'loader'], {
      HASAD_LINK_CHECK_SAMPLE: '20',
      HASAD_SMTP_URL: smtp.url,
      HASAD_SMTP_FROM: 'Hasad <hasad@data.gov.ma>',
      HASAD_NOTIFY_BACKOFF_MS: '200',
      HASAD_PUBLIC_URL: 'https://hasad.example.ma',
    });
  });
  afterAll(async () => {
    await p?.close();
    await Promise.all([feeds?.close(), smtp?.close()]);
  });

  /** Waits until the load and notify queues are idle. */
  async function settled() {
    await waitUntil('the load queue to drain', () => p.rt.queues.load.getJobCounts('waiting', 'active', 'delayed'), (c) => !c.waiting && !c.active && !c.delayed);
    await waitUntil('the notify queue to drain', () => p.rt.queues.notify.getJobCounts('waiting', 'active', 'delayed'), (c) => !c.waiting && !c.active && !c.delayed);
  }

  it('a run after which the metadata quality dropped tells the organisation once, with what would raise it', async () => {
    const slug = 'equipement';
    const org = await createOrganization(p.rt.db, { slug, name: 'Ministère de l’Équipement' });
    await setOrganizationNotifications(p.rt.db, slug, { emails: ['qualite@equipement.gov.ma'] });
    const rich = ['identifiant,titre,description,mots-clés', 'eq-1,Routes classées,Réseau routier par région,routes;transport', 'eq-2,Ports,Trafic portuaire annuel,ports;mer'].join('\n') + '\n';
    const poor = ['identifiant,titre', 'eq-1,Routes classées', 'eq-2,Ports'].join('\n') + '\n';
    let body = rich;
    feeds.route(`/${slug}/inventaire.csv`, () => ({ status: 200, contentType: 'text/csv; charset=utf-8', body }));
    const src = await createSource(p.rt.db, { organizationId: org.id, kind: 'csv', url: `${feeds.url}/${slug}/inventaire.csv`, title: `Inventaire ${slug}`, config: {} });
    const quality = (runId: string) =>
      waitUntil('the link check to keep the score with the run', async () => (await p.rt.db.pool.query(`SELECT details->'quality' AS q FROM runs WHERE id = $1`, [runId])).rows[0]?.q, (q) => q != null);
    const mine = () => smtp.messages.filter((m) => m.rcptTo.includes('qualite@equipement.gov.ma'));

    const first = await p.harvest(src.id);
    expect(first.status).toBe('succeeded');
    expect((await quality(first.id)).previous).toBeNull();
    body = poor;
    const second = await p.harvest(src.id);
    const q = await quality(second.id);
    expect(q.score).toBeLessThan(q.previous);
    await waitUntil('the quality-drop e-mail', async () => mine().length, (n) => n >= 1);
    await settled();
    expect(mine()).toHaveLength(1);
    const mail = mine()[0]!;
    expect(mail.subject).toContain(`[Hasad] Qualité en baisse : « Inventaire ${slug} »`);
    expect(mail.text).toContain('Ajouter une description (obligatoire en DCAT-AP) (2 jeux de données)');
    expect(mail.text).toContain('إضافة وصف');
    expect(mail.text).toContain(`https://hasad.example.ma/espace/sources/${src.id}`);
    // Still as poor: no new drop, nothing more.
    const third = await p.harvest(src.id);
    await quality(third.id);
    await settled();
    expect(mine()).toHaveLength(1);
  });

});
