import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createOrganization, createSource, type DbHandle } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { datasetIdentifier, FeedServer } from '@hasad/testkit';
import { testEnv } from '../helpers/pipeline.ts';
import { describeProcesses, killAllRoles, startRoleProcess, type RoleProcess } from '../helpers/processes.ts';
import { mountSlowCatalog } from '../helpers/slow-feed.ts';
import { waitUntil } from '../helpers/wait.ts';
import { printFaultTable, recordFault } from './report.ts';

// PostgreSQL stopped for 20 s in the middle of a harvest, then started again. The shared
// PostgreSQL on 5432 is never touched: this file starts a private instance (initdb into a temp
// directory, as the postgres user when run as root) on a free port and stops that one.
const DATASETS = 6_000;
const PAGE_SIZE = 200;
const PAGES = DATASETS / PAGE_SIZE;
const OUTAGE_MS = 20_000;

function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway PostgreSQL cluster: start/stop it at will; `destroy()` stops it and removes its directory. */
class PrivatePostgres {
  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]) {
    const asPostgres = process.getuid?.() === 0;
    const cmd = asPostgres ? 'runuser' : join(this.bin, tool);
    const full = asPostgres ? ['-u', 'postgres', '--', join(this.bin, tool), ...args] : args;
    const r = spawnSync(cmd, full, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }

  static async create(): Promise<PrivatePostgres> {
    const bin = pgBin();
    if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'hasad-faults-pg-'));
    chmodSync(dir, 0o777);
    if (process.getuid?.() === 0) spawnSync('chown', ['postgres', dir]);
    const pg = new PrivatePostgres(bin, dir, await freePort());
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync']);
    pg.start();
    return pg;
  }

  start(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(this.dir, 'server.log'), '-w', 'start']);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let server: FeedServer;
let pgServer: PrivatePostgres | undefined;
let env: Awaited<ReturnType<typeof testEnv>> | undefined;
/**
 * Runs unless HASAD_FAULTS_PG_OUTAGE=0, and only where a private cluster can be made (Debian's
 * PostgreSQL binaries; as root, the `postgres` user to run them). Skipped loudly otherwise.
 */
const CAN = pgBin() !== undefined && (process.getuid?.() !== 0 || spawnSync('id', ['postgres']).status === 0);
const RUN = process.env.HASAD_FAULTS_PG_OUTAGE !== '0' && CAN;
if (!RUN) console.warn(`SKIPPED the PostgreSQL outage case: ${CAN ? 'HASAD_FAULTS_PG_OUTAGE=0' : 'no PostgreSQL binaries (or no postgres user) to start a private cluster'}`);

let h: DbHandle | undefined;
const procs: RoleProcess[] = [];

beforeAll(async () => {
  server = await FeedServer.start();
  if (RUN) pgServer = await PrivatePostgres.create();
});
afterEach(async () => {
  await killAllRoles();
  await h?.close().catch(() => {});
  h = undefined;
  // The queue keys go with cleanup(); the database goes with the private cluster.
  await env?.cleanup().catch(() => {});
  env = undefined;
});
afterAll(async () => {
  await killAllRoles();
  await server?.close();
  pgServer?.destroy();
  printFaultTable('fault suite: PostgreSQL outage');
});

describe.skipIf(!RUN)('PostgreSQL outage', () => {
  it(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s mid-run: workers retry with backoff, the run completes with every dataset exactly once`, async (ctx) => {
    const pgs = pgServer!;
    // testEnv makes its database on the server DATABASE_URL names: point it at the private cluster.
    const shared = process.env.DATABASE_URL;
    process.env.DATABASE_URL = pgs.url;
    try {
      env = await testEnv({ HASAD_FETCHER_CONCURRENCY: '1', HASAD_HARVEST_BACKOFF_MS: '2000', LOG_LEVEL: 'info' });
    } finally {
      if (shared === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = shared;
    }
    const e = env;
    expect(e.config.DATABASE_URL).toContain(`:${pgs.port}/`);
    const db = (h = createDb(e.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' }));
    db.pool.on('error', () => {});
    const logs = () => describeProcesses(procs);
    ctx.onTestFailed(() => {
      process.stderr.write(`\nworker output for ${ctx.task.name}:\n${logs()}\n`);
    });
    const feed = mountSlowCatalog(server, '/pg-outage', { datasets: DATASETS, pageSize: PAGE_SIZE }, 150);
    const org = await createOrganization(db.db, { slug: 'pg-outage', name: 'Direction de test' });
    const sourceId = (await createSource(db.db, { organizationId: org.id, kind: 'dcat', url: feed.url, config: {} })).id;
    // The scheduler's reconciler is part of recovery (runs whose jobs gave up are repaired).
    for (const role of ['fetcher', 'loader', 'scheduler']) procs.push(startRoleProcess(role, e.env));

    const run = await triggerHarvest(db, e.config, sourceId, 'manual');
    const pages = async () => (await db.pool.query('SELECT pages_fetched AS p, fetch_done AS d FROM runs WHERE id = $1', [run.id])).rows[0] as { p: number; d: boolean };
    await waitUntil('a few checkpointed pages', pages, (s) => s.p >= 4, { context: logs });
    const before = await pages();
    expect(before.d).toBe(false);

    const downAt = Date.now();
    pgs.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    feed.delayMs = 5;
    pgs.start();
    const upAt = Date.now();

    // waitForRun polls through our own pool, whose connections died with the server: it reconnects.
    const done = await waitUntil(
      'the run to be final',
      async () => {
        try {
          return await waitForRun(db, run.id, 1_000);
        } catch {
          return undefined;
        }
      },
      (r) => r !== undefined,
      { timeoutMs: 90_000, intervalMs: 200, context: logs },
    );
    const recoveryMs = Date.now() - upAt;
    // No worker died of the outage.
    for (const p of procs) expect(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('running'), 10))]), `${p.roles} still running`).toBe('running');

    const cat = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT source_identifier)::int AS d, count(*) FILTER (WHERE status = 'active')::int AS a, count(*) FILTER (WHERE status = 'withdrawn')::int AS w FROM datasets WHERE source_id = $1`,
      [sourceId],
    );
    const c = cat.rows[0] as { n: number; d: number; a: number; w: number };
    recordFault({ case: `PostgreSQL down ${OUTAGE_MS / 1000} s mid-run → run ${done!.status}`, expected: DATASETS, found: c.a, duplicates: c.n - c.d, wronglyWithdrawn: c.w, recoveryMs: Date.now() - downAt });
    void recoveryMs;
    expect(done, logs()).toMatchObject({ status: 'succeeded', seen: DATASETS, created: DATASETS, withdrawn: 0, invalid: 0, pagesFetched: PAGES, errorCode: null });
    expect(c).toEqual({ n: DATASETS, d: DATASETS, a: DATASETS, w: 0 });
    const active = await db.pool.query(`SELECT source_identifier FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY source_identifier`, [sourceId]);
    expect(active.rows.map((r) => r.source_identifier)).toEqual(Array.from({ length: DATASETS }, (_, i) => datasetIdentifier(i)).sort());
    const runs = await db.pool.query('SELECT count(*)::int AS n FROM runs WHERE source_id = $1', [sourceId]);
    expect(runs.rows[0].n).toBe(1);
  }, 240_000);
});
