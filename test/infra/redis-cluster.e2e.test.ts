import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@hasad/core';
import { createOrganization, createSource } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { startRoles, triggerHarvest, waitForRun, type Runtime } from '@hasad/cli';
import { FeedServer, generatePage, mountCatalog } from '@hasad/testkit';
import { freePort } from '../helpers/free-port.ts';

/**
 * Hasad on a real Redis Cluster: three private masters on loopback ports the OS hands out
 * (never the shared 6379), every role in this process connected through
 * HASAD_REDIS_CLUSTER_NODES with the default prefix `{hasad}`. A harvest goes through the
 * queues, job schedulers and the host limiter's scripts (one of them the Retry-After pause);
 * a key outside the hash tag's slot would fail with CROSSSLOT.
 */
const haveRedis = ['redis-server', 'redis-cli'].every((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0);
if (!haveRedis) console.log('SKIPPED test/infra/redis-cluster.e2e.test.ts: redis-server or redis-cli is not installed');

interface PrivateCluster {
  ports: number[];
  close(): Promise<void>;
}

/** Starts three cluster-enabled redis-server processes and joins them into one cluster (no replicas). */
async function startCluster(): Promise<PrivateCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'hasad-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const close = async () => {
    for (const child of children) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      // The cluster bus port defaults to port + 10 000, which may be taken or beyond 65 535: ask the OS for it too.
      const [port, bus] = [await freePort(), await freePort()];
      ports.push(port);
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) await until(() => cli(port, 'ping') === 'PONG', `redis-server on ${port}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) await until(() => cli(port, 'cluster', 'info').includes('cluster_state:ok'), `cluster state on ${port}`);
    return { ports, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();
}

async function until(ok: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every key of every master, with the port of the node holding it. */
async function allKeys(ports: number[]): Promise<Array<{ key: string; port: number }>> {
  const out: Array<{ key: string; port: number }> = [];
  for (const port of ports) {
    const r = new Redis({ port, host: '127.0.0.1' });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'COUNT', 1000);
        cursor = next;
        out.push(...keys.map((key) => ({ key, port })));
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  }
  return out;
}

describe.skipIf(!haveRedis)('Hasad on a Redis Cluster', () => {
  let cluster: PrivateCluster;
  let rt: Runtime;
  let server: FeedServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startCluster();
    db = await createTestDatabase();
    server = await FeedServer.start();
    env = {
      DATABASE_URL: db.url,
      // Unused with cluster nodes set: a port nothing listens on, so a stray single-node connection would fail.
      REDIS_URL: 'redis://127.0.0.1:1',
      HASAD_REDIS_CLUSTER_NODES: cluster.ports.map((p) => `redis://127.0.0.1:${p}`).join(','),
      HASAD_ALLOW_PRIVATE_HOSTS: '1',
      LOG_LEVEL: process.env.HASAD_TEST_LOG_LEVEL ?? 'silent',
      HASAD_LOCK_DURATION_MS: '5000',
      HASAD_SHUTDOWN_GRACE_MS: '5000',
      HASAD_RECONCILE_INTERVAL_MS: '1000',
      HASAD_HARVEST_BACKOFF_MS: '200',
      PORT: '0',
    };
    rt = await startRoles(['api', 'scheduler', 'fetcher', 'loader'], loadConfig(env));
  });
  afterAll(async () => {
    await rt?.stop();
    await server?.close();
    await db?.drop();
    await cluster?.close();
  });

  it('harvests two sources, one of them told to wait by a 429, with every key in the {hasad} slot', async () => {
    const config = loadConfig(env);
    expect(config.HASAD_QUEUE_PREFIX).toBe('{hasad}');
    const big = mountCatalog(server, '/cluster', { datasets: 2_500, pageSize: 500 });
    const paused = mountCatalog(server, '/paused', { datasets: 30, pageSize: 10 });
    // Page 2 of the second feed answers 429 once: the fetcher pauses the host through the limiter's PAUSE script.
    let refused = 0;
    server.route('/paused/catalog?page=2', () =>
      refused++ === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } : { body: generatePage(paused.options, 2, 'turtle'), contentType: 'text/turtle' },
    );
    const org = await createOrganization(rt.db, { slug: 'cluster-org', name: 'Ministère de test' });
    const runs = [];
    for (const url of [big.url, paused.url]) {
      const source = await createSource(rt.db, { organizationId: org.id, kind: 'dcat', url, config: {}, withdrawThreshold: null });
      runs.push(await triggerHarvest(rt.db, config, source.id, 'manual', rt.queues));
    }
    const [bigRun, pausedRun] = await Promise.all(runs.map((r) => waitForRun(rt.db, r.id, 120_000)));
    expect(bigRun, bigRun?.error ?? '').toMatchObject({ status: 'succeeded', seen: 2_500, created: 2_500, pagesFetched: 5 });
    expect(pausedRun, pausedRun?.error ?? '').toMatchObject({ status: 'succeeded', seen: 30, created: 30, pagesFetched: 3 });
    expect(refused).toBe(2);
    const problems = await rt.db.pool.query(`SELECT code FROM run_problems WHERE run_id = $1`, [pausedRun!.id]);
    expect(problems.rows.map((r) => r.code)).toEqual(['retry_after']);
    const rows = await rt.db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT (source_id, source_identifier))::int AS d FROM datasets WHERE status = 'active'`);
    expect(rows.rows[0]).toEqual({ n: 2_530, d: 2_530 });

    const keys = await allKeys(cluster.ports);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.key.startsWith('{hasad}:'))).toEqual([]);
    // One hash tag, one slot, one master.
    expect(new Set(keys.map((k) => k.port)).size).toBe(1);
  });

  it('the API reports ready against the cluster', async () => {
    const res = await fetch(`${rt.apiUrl}/readyz`);
    expect(res.status).toBe(200);
  });

  it('without a hash tag the configuration is refused, and BullMQ itself fails with CROSSSLOT', async () => {
    expect(() => loadConfig({ ...env, HASAD_QUEUE_PREFIX: 'hasad' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, HASAD_QUEUE_PREFIX: 'hasad' })).toThrow(/HASAD_QUEUE_PREFIX="hasad": needs a \{hash tag\}/);
    const conn = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 1 } });
    const queue = new Queue('harvest', { connection: conn as unknown as ConnectionOptions, prefix: 'untagged' });
    queue.on('error', () => undefined);
    try {
      await expect(queue.add('harvest.source', { sourceId: 'x' })).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await queue.close();
      conn.disconnect();
    }
  });
});
