import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

export interface Discovered {
  databaseUrl: string;
  redisUrl: string;
  notes: string[];
  /** Stops the private instances this process started, if any. */
  stop(): Promise<void>;
}

async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
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

/** Creates database `name` on the server of `adminUrl` if it does not exist; returns its URL. */
async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function findPgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

const which = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim() || undefined;

/**
 * Finds PostgreSQL and Redis for the demo: DATABASE_URL / REDIS_URL when set; else the
 * local defaults when they answer; else private instances started from the installed
 * binaries under `.hasad/`; else an error that says exactly what to install.
 */
export async function discoverServices(env: Record<string, string | undefined>, workDir = resolve('.hasad')): Promise<Discovered> {
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) notes.push('PostgreSQL: DATABASE_URL');
  else if (await pgAnswers(LOCAL_PG)) {
    databaseUrl = await ensureDatabase(LOCAL_PG, 'hasad');
    notes.push('PostgreSQL: local server on 127.0.0.1:5432, database "hasad"');
  } else {
    const bin = findPgBin();
    if (!bin) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 and not installed. Install it (Debian: apt-get install postgresql) or set DATABASE_URL.');
    const dataDir = join(workDir, 'pgdata');
    const port = 54329;
    const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
    mkdirSync(workDir, { recursive: true });
    if (asPostgres.length) spawnSync('chown', ['-R', 'postgres', workDir]);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      const init = spawnSync(asPostgres[0] ?? join(bin, 'initdb'), [...asPostgres.slice(1), ...(asPostgres.length ? [join(bin, 'initdb')] : []), '-D', dataDir, '-U', 'postgres', '--auth=trust'], { encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    }
    const pgArgs = ['-D', dataDir, '-o', `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`, '-l', join(dataDir, 'server.log'), '-w', 'start'];
    const st = spawnSync(asPostgres[0] ?? join(bin, 'pg_ctl'), [...asPostgres.slice(1), ...(asPostgres.length ? [join(bin, 'pg_ctl')] : []), ...pgArgs], { encoding: 'utf8' });
    if (st.status !== 0) throw new Error(`could not start a private PostgreSQL: ${st.stderr}`);
    stops.push(async () => {
      spawnSync(asPostgres[0] ?? join(bin, 'pg_ctl'), [...asPostgres.slice(1), ...(asPostgres.length ? [join(bin, 'pg_ctl')] : []), '-D', dataDir, '-m', 'fast', 'stop']);
    });
    databaseUrl = await ensureDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, 'hasad');
    notes.push(`PostgreSQL: private instance on 127.0.0.1:${port} (data in ${dataDir})`);
  }

  let redisUrl = env.REDIS_URL;
  if (redisUrl) notes.push('Redis: REDIS_URL');
  else if (await redisAnswers(LOCAL_REDIS)) {
    redisUrl = LOCAL_REDIS;
    notes.push('Redis: local server on 127.0.0.1:6379');
  } else {
    const bin = which('redis-server');
    if (!bin) throw new Error('Redis is not reachable on 127.0.0.1:6379 and redis-server is not installed. Install it (Debian: apt-get install redis-server) or set REDIS_URL.');
    const port = 63799;
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    redisUrl = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await redisAnswers(redisUrl)); i++) await new Promise((r) => setTimeout(r, 100));
    stops.push(async () => {
      child.kill('SIGTERM');
    });
    notes.push(`Redis: private instance on 127.0.0.1:${port}`);
  }
  return {
    databaseUrl,
    redisUrl,
    notes,
    async stop() {
      for (const s of stops.reverse()) await s();
    },
  };
}
