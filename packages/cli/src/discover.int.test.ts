import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverServices, freePort, PrivateServiceError, ServicesMissingError } from './discover.ts';

// The demo's service discovery against the real world: real binaries, real private servers on
// ports the OS hands out. The local defaults are pointed at closed ports so the "nothing
// answers" branches run even on this machine, where PostgreSQL and Redis do answer.
const scratch = mkdtempSync(join(tmpdir(), 'hasad-discover-'));
// As root the private PostgreSQL runs as the postgres user, which must reach its data folder.
if (process.getuid?.() === 0) spawnSync('chown', ['postgres', scratch]);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Local-default URLs on which nothing listens (ports the OS just handed out and took back). */
async function closedLocals() {
  return { localDatabaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, localRedisUrl: `redis://127.0.0.1:${await freePort()}` };
}

async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.query('SELECT 1 AS one')).rows[0].one === 1;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

// Found here independently of the code under test, so a broken lookup fails instead of skipping.
const isExec = (f: string) => spawnSync('test', ['-x', f]).status === 0;
const onPath = (bin: string) => (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, bin)).find(isExec);
const redisServer = onPath('redis-server');
const pgInitdb = [onPath('initdb'), ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/initdb`) : [])].find((f) => f && isExec(f) && isExec(join(dirname(f), 'pg_ctl')) && isExec(join(dirname(f), 'postgres')));
const debianInitdb = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/initdb`).find(isExec) : undefined;
const haveBinaries = redisServer !== undefined && pgInitdb !== undefined;
if (!haveBinaries)
  console.log(
    `SKIPPED private-instance discovery tests: ${[redisServer ? '' : 'redis-server not on PATH', pgInitdb ? '' : 'no initdb/pg_ctl/postgres on PATH or under /usr/lib/postgresql'].filter(Boolean).join('; ')} (Debian: apt-get install postgresql redis-server)`,
  );

/** A folder that holds only links to the PostgreSQL server programs: a PATH entry, not Debian's layout. */
function pgLinksDir(): string {
  const dir = join(scratch, 'pg-on-path');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const p of ['initdb', 'pg_ctl', 'postgres']) symlinkSync(join(dirname(pgInitdb!), p), join(dir, p));
  }
  return dir;
}

describe('discoverServices', () => {
  it('uses DATABASE_URL and REDIS_URL as they are, without probing or starting anything', async () => {
    const env = { DATABASE_URL: 'postgres://someone:secret@db.example.invalid:6543/catalogue', REDIS_URL: 'redis://queues.example.invalid:6380/2', PATH: '' };
    const found = await discoverServices(env, { workDir: join(scratch, 'unused'), postgresRoots: [], ...(await closedLocals()) });
    expect(found.databaseUrl).toBe(env.DATABASE_URL);
    expect(found.redisUrl).toBe(env.REDIS_URL);
    expect(found.notes).toEqual(['PostgreSQL: DATABASE_URL', 'Redis: REDIS_URL']);
    await found.stop();
    expect(existsSync(join(scratch, 'unused'))).toBe(false);
  });

  it('names both Debian packages when neither service answers and no binaries are installed (empty PATH)', async () => {
    const err = await discoverServices({ PATH: '' }, { workDir: join(scratch, 'unused'), postgresRoots: [], ...(await closedLocals()) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServicesMissingError);
    const message = (err as Error).message;
    expect(message).toMatch(/PostgreSQL is not reachable on 127\.0\.0\.1:\d+ and its server programs \(initdb, pg_ctl, postgres\)/);
    expect(message).toMatch(/Redis is not reachable on 127\.0\.0\.1:\d+ and redis-server is not on PATH/);
    expect(message).toContain('apt-get install postgresql redis-server');
    expect(message).toContain('or set DATABASE_URL and REDIS_URL');
    expect(existsSync(join(scratch, 'unused'))).toBe(false);
  });

  it('names only what is missing, and starts nothing when Redis is missing but PostgreSQL is installed', async () => {
    const workDir = join(scratch, 'redis-missing');
    const err = await discoverServices({ PATH: '' }, { workDir, searchPath: pgInitdb ? [pgLinksDir()] : [], postgresRoots: [], ...(await closedLocals()) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServicesMissingError);
    const message = (err as Error).message;
    if (pgInitdb) expect(message).not.toMatch(/PostgreSQL/);
    expect(message).toMatch(/Debian: apt-get install (postgresql )?redis-server\)/);
    // No private PostgreSQL was started only to be left behind.
    expect(existsSync(workDir)).toBe(false);
  });
});

describe.skipIf(!haveBinaries)('discoverServices: private instances from the installed binaries', () => {
  const workDir = join(scratch, 'private');

  it('starts a private PostgreSQL (binaries found on PATH only) and a private Redis on free ports, and stops both', async () => {
    const locals = await closedLocals();
    const found = await discoverServices({ PATH: [pgLinksDir(), dirname(redisServer!)].join(delimiter) }, { workDir, postgresRoots: [], ...locals });
    let stopped = false;
    try {
      const db = new URL(found.databaseUrl);
      const redis = new URL(found.redisUrl);
      expect(db.hostname).toBe('127.0.0.1');
      expect(db.pathname).toBe('/hasad');
      expect(redis.hostname).toBe('127.0.0.1');
      // Ports from the OS: neither the local defaults nor the old fixed 54329 / 63799.
      for (const port of [db.port, redis.port]) expect(['5432', '6379', '54329', '63799', new URL(locals.localDatabaseUrl).port, new URL(locals.localRedisUrl).port]).not.toContain(port);
      expect(found.notes).toEqual([`PostgreSQL: private instance on 127.0.0.1:${db.port} (data in ${join(workDir, 'pgdata')})`, `Redis: private instance on 127.0.0.1:${redis.port}`]);

      const c = new pg.Client({ connectionString: found.databaseUrl });
      await c.connect();
      const row = (await c.query<{ db: string; port: string }>("SELECT current_database() AS db, current_setting('port') AS port")).rows[0]!;
      await c.end();
      expect(row).toEqual({ db: 'hasad', port: db.port });
      const r = new Redis(found.redisUrl, { maxRetriesPerRequest: 1 });
      expect(await r.config('GET', 'port')).toEqual(['port', redis.port]);
      expect(await r.config('GET', 'save')).toEqual(['save', '']);
      r.disconnect();

      await found.stop();
      stopped = true;
      expect(await pgAnswers(found.databaseUrl)).toBe(false);
      expect(await redisAnswers(found.redisUrl)).toBe(false);
      expect(existsSync(join(workDir, 'pgdata', 'postmaster.pid'))).toBe(false);
    } finally {
      if (!stopped) await found.stop();
    }
  });

  it('fails naming Redis when the private redis-server dies at start, and stops the private PostgreSQL it had started', async () => {
    const fake = join(scratch, 'broken-redis');
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, 'redis-server'), '#!/bin/sh\necho "redis-server: cannot start" >&2\nexit 3\n');
    chmodSync(join(fake, 'redis-server'), 0o755);
    const logFile = join(workDir, 'pgdata', 'server.log');
    const logBefore = existsSync(logFile) ? statSync(logFile).size : 0;
    const started = Date.now();
    const err = await discoverServices({ PATH: '' }, { workDir, searchPath: [pgLinksDir(), fake], postgresRoots: [], ...(await closedLocals()) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrivateServiceError);
    expect((err as Error).message).toMatch(new RegExp(`^could not start a private Redis \\(${fake}/redis-server on 127\\.0\\.0\\.1:\\d+\\): it exited with 3`));
    // It noticed the exit; it did not sit out the start timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
    // The private PostgreSQL had started for this attempt, and was shut down again: its log says
    // so and its pid file is gone. The log's last line may land a moment after the error reached
    // here (seen once in CI on a loaded machine: "checkpoint complete" read, the line after it not
    // yet), so both are looked at again for up to 10 s.
    const shutDown = /database system is ready to accept connections[\s\S]*database system is shut down/;
    const pidFile = join(workDir, 'pgdata', 'postmaster.pid');
    let log = readFileSync(logFile).subarray(logBefore).toString('utf8');
    for (let waited = 0; (!shutDown.test(log) || existsSync(pidFile)) && waited < 10_000; waited += 100) {
      await sleep(100);
      log = readFileSync(logFile).subarray(logBefore).toString('utf8');
    }
    expect(log).toMatch(shutDown);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('finds the binaries under /usr/lib/postgresql/<version>/bin when they are not on PATH', async () => {
    if (!debianInitdb) {
      console.log(`SKIPPED the /usr/lib/postgresql lookup: PostgreSQL's programs are at ${dirname(pgInitdb!)}, not in Debian's layout`);
      return;
    }
    const found = await discoverServices({ PATH: dirname(redisServer!) }, { workDir, ...(await closedLocals()) });
    try {
      expect(await pgAnswers(found.databaseUrl)).toBe(true);
      expect(await redisAnswers(found.redisUrl)).toBe(true);
    } finally {
      await found.stop();
    }
    expect(existsSync(join(workDir, 'pgdata', 'postmaster.pid'))).toBe(false);
  });
});
