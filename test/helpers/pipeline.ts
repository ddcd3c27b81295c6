import { randomBytes } from 'node:crypto';
import { loadConfig, type HasadConfig } from '@hasad/core';
import { createOrganization, createSource, getRun, type Run } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { triggerHarvest, waitForRun, startRoles, type Role, type Runtime } from '@hasad/cli';
import { Redis } from 'ioredis';

export interface TestPipeline {
  config: HasadConfig;
  rt: Runtime;
  /** Creates an organisation and a source of `kind` at `url`; returns the source id. */
  addSource(url: string, opts?: { kind?: string; config?: unknown; withdrawThreshold?: number; slug?: string }): Promise<string>;
  /** Triggers a manual harvest and waits until the run is final. */
  harvest(sourceId: string, timeoutMs?: number): Promise<Run>;
  /** Active datasets of a source as (identifier → row). */
  datasets(sourceId: string, status?: 'active' | 'withdrawn' | 'all'): Promise<Map<string, { id: string; status: string; title: Record<string, string>; updatedAt: Date; contentHash: string; record: Record<string, unknown> }>>;
  problems(runId: string): Promise<Array<{ severity: string; code: string; message: string; identifier: string | null }>>;
  close(): Promise<void>;
}

/** Environment for a test: a fresh database, a unique queue prefix, loopback feeds allowed, quiet logs. */
export async function testEnv(extra: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const prefix = `hasad-test-${randomBytes(4).toString('hex')}`;
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HASAD_QUEUE_PREFIX: prefix,
    HASAD_ALLOW_PRIVATE_HOSTS: '1',
    LOG_LEVEL: process.env.HASAD_TEST_LOG_LEVEL ?? 'silent',
    HASAD_LOCK_DURATION_MS: '5000',
    HASAD_ORPHAN_GRACE_MS: '2000',
    HASAD_RECONCILE_INTERVAL_MS: '1000',
    HASAD_SHUTDOWN_GRACE_MS: '5000',
    // Every test feed is one loopback host: politeness has its own tests (test/hostile).
    HASAD_HOST_CONCURRENCY: '64',
    HASAD_HOST_RATE_PER_SECOND: '100000',
    // Tests poll the API from one address: no rate limit unless a test sets one.
    HASAD_RATE_LIMIT_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    // The link check after each run (metadata quality) would add requests to the feed servers'
    // logs that tests assert on: off unless a test turns it on (test/quality.e2e.test.ts).
    HASAD_LINK_CHECK_SAMPLE: '0',
    // An API started by a test listens on a free port: a fixed one (8080) collides with
    // whatever else runs on the machine or in a parallel test file.
    PORT: '0',
    ...extra,
  };
  return {
    env,
    config: loadConfig(env),
    async cleanup() {
      await deleteQueueKeys(env.REDIS_URL, prefix);
      await db.drop();
    },
  };
}

/** Removes every Redis key of a test's queue prefix. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const r = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Starts the given roles in this process against a fresh database and queue prefix. */
export async function startTestPipeline(roles: Role[] = ['fetcher', 'loader'], extra: Record<string, string> = {}): Promise<TestPipeline> {
  const env = await testEnv(extra);
  const rt = await startRoles(roles, env.config);
  let orgs = 0;
  return {
    config: env.config,
    rt,
    async addSource(url, opts = {}) {
      const org = await createOrganization(rt.db, { slug: opts.slug ?? `org-${++orgs}-${randomBytes(2).toString('hex')}`, name: 'Ministère de test' });
      const src = await createSource(rt.db, { organizationId: org.id, kind: opts.kind ?? 'dcat', url, config: opts.config ?? {}, withdrawThreshold: opts.withdrawThreshold ?? null });
      return src.id;
    },
    async harvest(sourceId, timeoutMs = 120_000) {
      const run = await triggerHarvest(rt.db, env.config, sourceId, 'manual');
      return waitForRun(rt.db, run.id, timeoutMs);
    },
    async datasets(sourceId, status = 'active') {
      const res = await rt.db.pool.query(
        `SELECT id, source_identifier, status, title, updated_at, content_hash, record FROM datasets WHERE source_id = $1 ${status === 'all' ? '' : 'AND status = $2'}`,
        status === 'all' ? [sourceId] : [sourceId, status],
      );
      return new Map(res.rows.map((r) => [r.source_identifier, { id: r.id, status: r.status, title: r.title, updatedAt: r.updated_at, contentHash: r.content_hash, record: r.record }]));
    },
    async problems(runId) {
      const res = await rt.db.pool.query('SELECT severity, code, message, identifier FROM run_problems WHERE run_id = $1 ORDER BY id', [runId]);
      return res.rows;
    },
    async close() {
      await rt.stop();
      await env.cleanup();
    },
  };
}

export { getRun };
