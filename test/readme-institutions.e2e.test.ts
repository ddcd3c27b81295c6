import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer, mountCatalog } from '@hasad/testkit';
import { runCommand, type CommandResult } from './helpers/cli.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// docs/institutions.md (the README's "Institutions" section before) quotes test/fixtures/institutions-examples.sh. This test
// runs every command of that file, in order, exactly as written (bash, curl, npx hasad),
// against a real listening API with a fetcher and a loader, a loopback feed as $FEED, and the
// values earlier answers gave ($TOKEN, $SOURCE_ID, …) in the environment, as a reader would set them.

const EXAMPLES = fileURLToPath(new URL('./fixtures/institutions-examples.sh', import.meta.url));
const DATASETS = 12;

/** The commands of the examples file: blank-line separated paragraphs, comment lines dropped. */
function commandsOf(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((para) =>
      para
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('#'))
        .join('\n')
        .trim(),
    )
    .filter((c) => c.length > 0);
}

type Result = CommandResult;

const run = (command: string, env: Record<string, string>): Promise<Result> => runCommand('bash', ['-c', command], { ...process.env, ...env });

describe('README "Institutions" examples, run against the real API', () => {
  let p: TestPipeline;
  let feeds: FeedServer;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0', HASAD_ALLOW_PRIVATE_HOSTS: '1' });
    feeds = await FeedServer.start();
    const ctl = mountCatalog(feeds, '/ministere', { datasets: DATASETS, pageSize: 0 });
    Object.assign(env, {
      HASAD: p.rt.apiUrl!,
      FEED: ctl.url,
      // What `npx hasad` (the operator's commands) reads.
      DATABASE_URL: p.config.DATABASE_URL,
      REDIS_URL: p.config.REDIS_URL,
      HASAD_QUEUE_PREFIX: p.config.HASAD_QUEUE_PREFIX,
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await feeds?.close();
    await p?.close();
  });

  it('docs/institutions.md quotes the examples file verbatim', () => {
    const readme = readFileSync(new URL('../docs/institutions.md', import.meta.url), 'utf8');
    const examples = readFileSync(EXAMPLES, 'utf8');
    // The section is part of the acceptance: a README without it fails, it is not skipped.
    expect(readme).toMatch(/^# Institutions$/m);
    expect(readme).toContain(examples.trimEnd());
  });

  it('every command succeeds and answers what the comments say', async () => {
    const commands = commandsOf(readFileSync(EXAMPLES, 'utf8'));
    const steps: Array<{ command: RegExp; exit?: number; check(r: Result): void | Promise<void> }> = [
      { command: /^npx hasad org create --slug min-eau /, check: (r) => expect(r.json).toMatchObject({ slug: 'min-eau' }) },
      {
        command: /^npx hasad token create --org min-eau --expires 90d$/,
        check: (r) => {
          expect(r.json).toMatchObject({ role: 'organization', organization: 'min-eau', token: expect.stringMatching(/^hsd_[A-Za-z0-9_-]{43}$/) });
          expect(r.json.prefix).toBe(r.json.token.slice(0, 12));
          expect(Date.parse(r.json.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
          env.TOKEN = r.json.token;
        },
      },
      {
        command: /\/api\/v1\/preview"/,
        check: (r) => {
          expect(r.json.records).toHaveLength(5);
          expect(r.json).toMatchObject({ problems: expect.any(Array), pages: 1 });
        },
      },
      {
        command: /\/api\/v1\/sources" /,
        check: (r) => {
          expect(r.json).toMatchObject({ organization: 'min-eau', kind: 'dcat', url: env.FEED, schedule: 'daily', approvalStatus: 'pending' });
          env.SOURCE_ID = r.json.id;
        },
      },
      {
        command: /^npx hasad token create --operator "Salma Idrissi"$/,
        check: (r) => {
          expect(r.json).toMatchObject({ role: 'operator', operatorName: 'Salma Idrissi' });
          env.OPERATOR_TOKEN = r.json.token;
        },
      },
      { command: /\/approve"/, check: (r) => expect(r.json).toMatchObject({ id: env.SOURCE_ID, approvalStatus: 'approved', reviewedBy: 'Salma Idrissi', reviewComment: 'feed checked' }) },
      {
        command: /\/harvest"/,
        check: async (r) => {
          expect(r.json).toMatchObject({ sourceId: env.SOURCE_ID, status: 'queued', created: true });
          env.RUN_ID = r.json.runId;
          // What a reader does next: wait for the harvest to finish.
          const deadline = Date.now() + 60_000;
          for (;;) {
            const run = (await (await fetch(`${env.HASAD}/api/v1/runs/${env.RUN_ID}`, { headers: { authorization: `Bearer ${env.TOKEN}` } })).json()) as { finishedAt?: string | null };
            if (run.finishedAt) break;
            if (Date.now() > deadline) throw new Error(`run ${env.RUN_ID} did not finish: ${JSON.stringify(run)}`);
            await new Promise((res) => setTimeout(res, 100));
          }
        },
      },
      {
        command: /\/sources\/\$SOURCE_ID" -H/,
        check: (r) => expect(r.json).toMatchObject({ id: env.SOURCE_ID, approvalStatus: 'approved', lastRun: { id: env.RUN_ID, status: 'succeeded', created: DATASETS } }),
      },
      {
        command: /\/runs\/\$RUN_ID\?problemsLimit=20"/,
        check: (r) => expect(r.json).toMatchObject({ id: env.RUN_ID, status: 'succeeded', seen: DATASETS, problems: { total: expect.any(Number), limit: 20, offset: 0 } }),
      },
      { command: /\/sources\/\$SOURCE_ID\/runs\?limit=10"/, check: (r) => expect(r.json.items.map((x: { id: string }) => x.id)).toEqual([env.RUN_ID]) },
      {
        command: /\/datasets\?source=\$SOURCE_ID"$/,
        check: (r) => {
          expect(r.json.total).toBe(DATASETS);
          expect(r.json.items[0]).toMatchObject({ organization: 'min-eau', sourceId: env.SOURCE_ID, status: 'active' });
        },
      },
      { command: /-X PATCH /, check: (r) => expect(r.json).toMatchObject({ schedule: '0 6 * * 1-5', approvalStatus: 'approved' }) },
      {
        command: /-X DELETE "\$HASAD\/api\/v1\/sources\/\$SOURCE_ID" /,
        // curl --fail-with-body exits 22 on an HTTP error, and still prints the body.
        exit: 22,
        check: (r) => expect(r.json.error).toMatchObject({ code: 'confirmation_required', message: expect.stringContaining(`its ${DATASETS} active datasets`) }),
      },
      {
        command: /\?confirm=true"/,
        check: async (r) => {
          expect(r.json).toEqual({ id: env.SOURCE_ID, deleted: true, withdrawn: DATASETS });
          expect(await p.datasets(env.SOURCE_ID!, 'withdrawn')).toHaveProperty('size', DATASETS);
        },
      },
    ];

    expect(commands, 'the examples file and this test list the same commands').toHaveLength(steps.length);
    for (const [i, command] of commands.entries()) {
      const step = steps[i]!;
      expect(command, `command ${i + 1}`).toMatch(step.command);
      const r = await run(command, env);
      const what = `command ${i + 1}:\n${command}\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, what).toBe(step.exit ?? 0);
      expect(r.json, what).toBeDefined();
      await step.check(r);
    }
    // The token was shown by the CLI only: never by the API.
    expect(JSON.stringify(await (await fetch(`${env.HASAD}/api/v1/sources`, { headers: { authorization: `Bearer ${env.OPERATOR_TOKEN}` } })).json())).not.toContain(env.TOKEN);
  });
});
