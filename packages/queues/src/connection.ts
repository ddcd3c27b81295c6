import { Queue, type ConnectionOptions, type JobsOptions, type QueueOptions } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { DESCRIPTIONS_TTL_DAYS } from '@hasad/core';
import { jobCatalog, QUEUE_NAMES, type JobName, type PayloadOf, type QueueName } from './catalog.ts';
import { RedisHostLimiter, type RedisHostLimits } from './host-limiter.ts';

/** A connection to one Redis server or to a Redis Cluster; BullMQ and the host limiter take either. */
export type RedisConnection = Redis | Cluster;

export interface QueueSettings {
  redisUrl: string;
  /**
   * Seed nodes of a Redis Cluster (redis:// URLs); when non-empty, `redisUrl` is unused. Every
   * key then needs the hash tag of `prefix` (see `HASAD_QUEUE_PREFIX`).
   */
  clusterNodes?: readonly string[];
  /**
   * Key prefix, so that several deployments or test files share one Redis without colliding.
   * Every key Hasad writes starts with it (BullMQ's and the host limiter's), so a prefix with a
   * hash tag (`{hasad}`) puts them all in one Redis Cluster slot.
   */
  prefix: string;
  /** Overrides of the catalogue's retry policy for harvest jobs (attempts; first backoff delay in ms). */
  harvestAttempts?: number;
  harvestBackoffMs?: number;
}

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` so that a Redis
 * outage blocks and reconnects rather than failing every command. With `clusterNodes`, a
 * cluster client seeded from them (the user name, password and TLS of the first apply to all).
 */
export function createRedis(url: string, opts: { forWorker?: boolean; clusterNodes?: readonly string[] } = {}): RedisConnection {
  const options = { maxRetriesPerRequest: opts.forWorker ? null : 3, enableReadyCheck: true, lazyConnect: false };
  const seeds = (opts.clusterNodes ?? []).map((u) => new URL(u));
  const first = seeds[0];
  if (first === undefined) return new Redis(url, options);
  return new Cluster(
    seeds.map((s) => ({ host: s.hostname, port: Number(s.port) })),
    {
      enableReadyCheck: true,
      lazyConnect: false,
      redisOptions: {
        maxRetriesPerRequest: options.maxRetriesPerRequest,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
}

/** The producer side: one Queue per queue name, each with an error listener. */
export class Queues {
  readonly harvest: Queue;
  readonly load: Queue;
  readonly notify: Queue;
  readonly links: Queue;
  private readonly connection: RedisConnection;
  private readonly settings: QueueSettings;

  constructor(settings: QueueSettings, onError: (err: Error) => void = () => {}) {
    this.settings = settings;
    this.connection = createRedis(settings.redisUrl, { forWorker: true, ...(settings.clusterNodes ? { clusterNodes: settings.clusterNodes } : {}) });
    const opts: QueueOptions = { connection: this.connection as unknown as ConnectionOptions, prefix: settings.prefix };
    this.harvest = new Queue('harvest', opts);
    this.load = new Queue('load', opts);
    this.notify = new Queue('notify', opts);
    this.links = new Queue('links', opts);
    this.harvest.on('error', onError);
    this.load.on('error', onError);
    this.notify.on('error', onError);
    this.links.on('error', onError);
  }

  get(name: QueueName): Queue {
    return name === 'harvest' ? this.harvest : name === 'load' ? this.load : name === 'links' ? this.links : this.notify;
  }

  /** Every queue, in the catalogue's order: what dashboards and /metrics list. */
  all(): Queue[] {
    return QUEUE_NAMES.map((name) => this.get(name));
  }

  /**
   * Adds a job from the catalogue, with the catalogue's options merged under `opts`
   * (`backoffDelayMs`: the first retry delay, keeping the catalogue's backoff type).
   */
  async add<N extends JobName>(name: N, data: PayloadOf<N>, opts: { jobId?: string; deduplicationId?: string; priority?: number; backoffDelayMs?: number } = {}) {
    const def = jobCatalog[name];
    const base = this.optsFor(name);
    const backoff = opts.backoffDelayMs !== undefined && typeof base.backoff === 'object' ? { backoff: { ...base.backoff, delay: opts.backoffDelayMs } } : {};
    return this.get(def.queue).add(name, data, {
      ...base,
      ...backoff,
      ...(opts.jobId ? { jobId: opts.jobId } : {}),
      ...(opts.deduplicationId ? { deduplication: { id: opts.deduplicationId } } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
    });
  }

  /**
   * Parks a `load.batch` job's compressed descriptions as one binary value beside it (see
   * @hasad/core's loadBatchPayload.descriptions), before the job is added; returns its key. The
   * key is new for every call: a batch queued again after a fetcher's retry never overwrites the
   * bytes a job already queued points into. It expires after DESCRIPTIONS_TTL_DAYS (longer than
   * a failed batch job is kept); the loader deletes it once its job has completed.
   */
  async putDescriptions(jobId: string, bytes: Uint8Array): Promise<string> {
    const key = `${this.settings.prefix}:descriptions:${jobId}:${randomUUID()}`;
    await this.connection.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 'EX', DESCRIPTIONS_TTL_DAYS * 24 * 3600);
    return key;
  }

  /** A batch's descriptions as parked by putDescriptions; null when they are not there (expired, or lost with Redis). */
  async getDescriptions(key: string): Promise<Buffer | null> {
    return this.connection.getBuffer(key);
  }

  /** Deletes a batch's descriptions (its job completed). */
  async dropDescriptions(key: string): Promise<void> {
    await this.connection.del(key);
  }

  /** Adds many jobs of one kind in one round trip. */
  async addBulk<N extends JobName>(name: N, items: Array<{ data: PayloadOf<N>; jobId: string }>) {
    const def = jobCatalog[name];
    return this.get(def.queue).addBulk(items.map((i) => ({ name, data: i.data, opts: { ...this.optsFor(name), jobId: i.jobId } })));
  }

  /** The catalogue's options for a job, with this deployment's overrides applied. */
  optsFor(name: JobName): JobsOptions {
    const base: JobsOptions = jobCatalog[name].opts;
    if (name !== 'harvest.source') return base;
    return {
      ...base,
      ...(this.settings.harvestAttempts ? { attempts: this.settings.harvestAttempts } : {}),
      ...(this.settings.harvestBackoffMs ? { backoff: { type: 'exponential', delay: this.settings.harvestBackoffMs } } : {}),
    };
  }

  private hostLimiters = new Map<string, RedisHostLimiter>();

  /**
   * The per-host politeness limiter shared by every fetcher of this deployment (same Redis, same
   * prefix), on this object's connection. One instance per set of limits.
   */
  hostLimiter(limits: RedisHostLimits): RedisHostLimiter {
    const key = JSON.stringify(limits);
    let l = this.hostLimiters.get(key);
    if (l === undefined) {
      l = new RedisHostLimiter(this.connection, this.settings.prefix, limits);
      this.hostLimiters.set(key, l);
    }
    return l;
  }

  /**
   * Deletes every key under this prefix: BullMQ's, the host limiter's, the dashboard's sessions.
   * For tests and throw-away deployments (a test's prefix must leave nothing behind); never
   * called by the services. On a Redis Cluster each master is scanned.
   */
  async deleteAllKeys(): Promise<number> {
    const nodes: Redis[] = this.connection instanceof Cluster ? this.connection.nodes('master') : [this.connection];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.settings.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        // On a cluster the keys of one SCAN page may lie in several slots: one key a call there.
        if (this.connection instanceof Cluster) for (const key of keys) deleted += await this.connection.del(key);
        else deleted += await node.del(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  }

  async close(): Promise<void> {
    // A Queue closed before its start-up commands are answered leaves them to be rejected
    // unhandled when the connection goes: let start-up finish first (quick when Redis answers,
    // bounded when it does not).
    const settle = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    if (['wait', 'connecting', 'connect'].includes(this.connection.status)) {
      await Promise.race([new Promise((r) => this.connection.once('ready', r)), settle(2000)]);
    }
    if (this.connection.status === 'ready') {
      await Promise.race([Promise.allSettled([this.harvest.waitUntilReady(), this.load.waitUntilReady(), this.notify.waitUntilReady(), this.links.waitUntilReady()]), settle(2000)]);
    }
    await Promise.race([Promise.allSettled([this.harvest.close(), this.load.close(), this.notify.close(), this.links.close()]), settle(5000)]);
    // QUIT, not a hard disconnect, when Redis answers: replies still due are received first.
    if (this.connection.status === 'ready') await Promise.race([this.connection.quit().catch(() => undefined), settle(2000)]);
    this.connection.disconnect();
  }
}
