import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { HasadError } from '@hasad/core';
import { ensureDatabase, ping } from '@hasad/db';
import { Redis } from 'ioredis';

const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';
/** Where Debian and Ubuntu install the server binaries (one folder per major version, not on PATH). */
const DEBIAN_PG_ROOTS = ['/usr/lib/postgresql'];
/** The PostgreSQL server programs a private instance needs, all from one folder. */
const PG_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'] as const;
/** How long a private redis-server has to answer PING, in milliseconds. */
const REDIS_START_MS = 10_000;

export interface Discovered {
  databaseUrl: string;
  redisUrl: string;
  notes: string[];
  /** Stops the private instances this process started, if any. */
  stop(): Promise<void>;
}

/** Where discovery looks; the defaults are the demo's, tests override them. */
export interface DiscoverOptions {
  /** Folder for private instances' data and logs; default `.hasad` in the working directory. */
  workDir?: string;
  /** Folders searched for `initdb`/`pg_ctl`/`postgres` and `redis-server`; default the env's PATH. */
  searchPath?: readonly string[];
  /** Folders holding one `<version>/bin` per PostgreSQL major version, searched after the path; default `/usr/lib/postgresql`. */
  postgresRoots?: readonly string[];
  /** The local PostgreSQL tried when DATABASE_URL is not set; default `postgres://postgres@127.0.0.1:5432/postgres`. */
  localDatabaseUrl?: string;
  /** The local Redis tried when REDIS_URL is not set; default `redis://127.0.0.1:6379`. */
  localRedisUrl?: string;
}

/** Discovery found neither a server to use nor the binaries to start one: says what to install. */
export class ServicesMissingError extends HasadError {
  constructor(message: string, context: { missing: string[]; debianPackages: string[] }) {
    super('services_missing', message, { context, permanent: true });
  }
}

/** A private instance could not be started from binaries that are installed. */
export class PrivateServiceError extends HasadError {
  constructor(message: string, context: { service: 'PostgreSQL' | 'Redis'; binary: string; port: number }) {
    super('private_service_failed', message, { context, permanent: true });
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

/** A TCP port on 127.0.0.1 that the OS says is free now (it may be taken again before use). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `dirs` holding an executable `name`. */
function findIn(dirs: readonly string[], name: string): string | undefined {
  for (const d of dirs) if (d && isExecutable(join(d, name))) return join(d, name);
  return undefined;
}

/**
 * A folder holding initdb, pg_ctl and postgres together: first on the search path (a source
 * build, Homebrew, or links in /usr/local/bin), then Debian's `/usr/lib/postgresql/<v>/bin`,
 * newest major version first.
 */
function findPgBin(searchPath: readonly string[], roots: readonly string[]): string | undefined {
  const candidates = [...searchPath];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  return candidates.find((d) => d && PG_PROGRAMS.every((p) => isExecutable(join(d, p))));
}

/** The last lines of a log file, for an error message; empty when it cannot be read. */
function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a private PostgreSQL from the binaries in `bin`, data in `<workDir>/pgdata`, on a free
 * port. PostgreSQL refuses to run as root: as root it runs as the `postgres` user.
 */
async function startPrivatePostgres(bin: string, workDir: string): Promise<{ url: string; port: number; dataDir: string; stop: () => Promise<void> }> {
  const dataDir = join(workDir, 'pgdata');
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (program: string, args: string[]) => {
    const [cmd, ...pre] = [...asPostgres, join(bin, program)];
    return spawnSync(cmd!, [...pre, ...args], { encoding: 'utf8' });
  };
  mkdirSync(workDir, { recursive: true });
  if (asPostgres.length) spawnSync('chown', ['-R', 'postgres', workDir]);
  const port = await freePort();
  const fail = (what: string, detail: string) =>
    new PrivateServiceError(`could not start a private PostgreSQL (${join(bin, 'pg_ctl')}, port ${port}, data in ${dataDir}): ${what}${detail ? `\n${detail}` : ''}`, {
      service: 'PostgreSQL',
      binary: join(bin, 'postgres'),
      port,
    });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const init = run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust']);
    if (init.status !== 0) throw fail('initdb failed', (init.stderr || init.error?.message || '').trim());
  }
  // A demo killed without Ctrl-C leaves its server running on this data directory (and pg_ctl
  // would refuse to start another): it is stopped first, as the next demo owns the directory.
  if (run('pg_ctl', ['-D', dataDir, 'status']).status === 0) run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  const log = join(dataDir, 'server.log');
  // pg_ctl starts the server in a session of its own, so the terminal's Ctrl-C reaches only the
  // demo, which then stops the workers (that still need the database) before the server.
  const st = run('pg_ctl', ['-D', dataDir, '-o', `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`, '-l', log, '-w', '-t', '60', 'start']);
  if (st.status !== 0) throw fail(`pg_ctl start exited with ${st.status ?? st.signal}`, [(st.stderr || st.error?.message || '').trim(), tail(log)].filter(Boolean).join('\n'));
  const stop = async () => {
    run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  };
  try {
    return { url: await ensureDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, 'hasad'), port, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits for `child` to exit, up to `ms`; true when it did. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

/** Starts a private redis-server (no persistence) on a free port; fails when it exits or does not answer in time. */
async function startPrivateRedis(bin: string, workDir: string): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const log = join(workDir, `redis-${port}.log`);
  // Detached (its own process group): the terminal's Ctrl-C reaches only the demo, which closes
  // its workers while Redis still answers and then stops Redis itself.
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDir, '--logfile', log], {
    stdio: 'ignore',
    detached: true,
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await exited(child, 5000))) child.kill('SIGKILL');
    await exited(child, 2000);
  };
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + REDIS_START_MS;
  for (;;) {
    if (await redisAnswers(url)) return { url, port, stop };
    const gone = spawnError ? `could not run it: ${spawnError.message}` : child.exitCode !== null || child.signalCode !== null ? `it exited with ${child.exitCode ?? child.signalCode}` : undefined;
    if (gone || Date.now() > deadline) {
      await stop();
      const why = gone ?? `it did not answer PING within ${REDIS_START_MS / 1000} s`;
      const logged = tail(log);
      throw new PrivateServiceError(`could not start a private Redis (${bin} on 127.0.0.1:${port}): ${why}${logged ? `\n${logged}` : ''}`, { service: 'Redis', binary: bin, port });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Finds PostgreSQL and Redis for the demo, each on its own: DATABASE_URL / REDIS_URL when set
 * (used as is); else the local defaults (127.0.0.1:5432, 127.0.0.1:6379) when they answer; else
 * private instances on free ports, started from the installed binaries (initdb/pg_ctl/postgres
 * on PATH or under /usr/lib/postgresql/<v>/bin; redis-server on PATH) with data under
 * `.hasad/`; else one error naming everything missing and the Debian packages to install.
 * Nothing is started unless everything needed can be; if starting fails, what was started is
 * stopped again.
 */
export async function discoverServices(env: Record<string, string | undefined>, opts: DiscoverOptions = {}): Promise<Discovered> {
  const workDir = opts.workDir ?? resolve('.hasad');
  const searchPath = opts.searchPath ?? (env.PATH ?? '').split(delimiter).filter(Boolean);
  const localPg = opts.localDatabaseUrl ?? LOCAL_PG;
  const localRedis = opts.localRedisUrl ?? LOCAL_REDIS;
  const hostOf = (url: string) => new URL(url).host;
  const notes: string[] = [];

  // What each service needs, decided before anything starts: a missing Redis must not leave a
  // private PostgreSQL behind, and one message names every package to install.
  let databaseUrl = env.DATABASE_URL;
  let pgBin: string | undefined;
  if (databaseUrl) notes.push('PostgreSQL: DATABASE_URL');
  else if (await ping(localPg)) {
    databaseUrl = await ensureDatabase(localPg, 'hasad');
    notes.push(`PostgreSQL: local server on ${hostOf(localPg)}, database "hasad"`);
  } else pgBin = findPgBin(searchPath, opts.postgresRoots ?? DEBIAN_PG_ROOTS) ?? '';

  let redisUrl = env.REDIS_URL;
  let redisBin: string | undefined;
  if (redisUrl) notes.push('Redis: REDIS_URL');
  else if (await redisAnswers(localRedis)) {
    redisUrl = localRedis;
    notes.push(`Redis: local server on ${hostOf(localRedis)}`);
  } else redisBin = findIn(searchPath, 'redis-server') ?? '';

  const missing: string[] = [];
  const packages: string[] = [];
  if (pgBin === '') {
    missing.push(`PostgreSQL is not reachable on ${hostOf(localPg)} and its server programs (${PG_PROGRAMS.join(', ')}) are neither on PATH nor under ${(opts.postgresRoots ?? DEBIAN_PG_ROOTS).join(', ') || 'any PostgreSQL folder'}`);
    packages.push('postgresql');
  }
  if (redisBin === '') {
    missing.push(`Redis is not reachable on ${hostOf(localRedis)} and redis-server is not on PATH`);
    packages.push('redis-server');
  }
  if (missing.length) {
    const vars = [pgBin === '' ? 'DATABASE_URL' : '', redisBin === '' ? 'REDIS_URL' : ''].filter(Boolean).join(' and ');
    throw new ServicesMissingError(`${missing.join('; ')}. Install ${packages.length > 1 ? 'them' : 'it'} (Debian: apt-get install ${packages.join(' ')}) or set ${vars}.`, {
      missing: packages.map((p) => (p === 'postgresql' ? 'PostgreSQL' : 'Redis')),
      debianPackages: packages,
    });
  }

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => {});
  };
  try {
    if (pgBin) {
      const p = await startPrivatePostgres(pgBin, workDir);
      stops.push(p.stop);
      databaseUrl = p.url;
      notes.push(`PostgreSQL: private instance on 127.0.0.1:${p.port} (data in ${p.dataDir})`);
    }
    if (redisBin) {
      const r = await startPrivateRedis(redisBin, workDir);
      stops.push(r.stop);
      redisUrl = r.url;
      notes.push(`Redis: private instance on 127.0.0.1:${r.port}`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { databaseUrl: databaseUrl!, redisUrl: redisUrl!, notes, stop: stopAll };
}
