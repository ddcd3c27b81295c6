import { Queue, type ConnectionOptions, type JobsOptions, type QueueOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { jobCatalog, type JobName, type PayloadOf, type QueueName } from './catalog.ts';
import { RedisHostLimiter, type RedisHostLimits } from './host-limiter.ts';

export interface QueueSettings {
  redisUrl: string;
  /** Key prefix, so that several deployments or test files share one Redis without colliding. */
  prefix: string;
  /** Overrides of the catalogue's retry policy for harvest jobs (attempts; first backoff delay in ms). */
  harvestAttempts?: number;
  harvestBackoffMs?: number;
}

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` so that a Redis
 * outage blocks and reconnects rather than failing every command.
 */
export function createRedis(url: string, opts: { forWorker?: boolean } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}

/** The producer side: one Queue per queue name, each with an error listener. */
export class Queues {
  readonly harvest: Queue;
  readonly load: Queue;
  private readonly connection: Redis;
  private readonly settings: QueueSettings;

  constructor(settings: QueueSettings, onError: (err: Error) => void = () => {}) {
    this.settings = settings;
    this.connection = createRedis(settings.redisUrl, { forWorker: true });
    const opts: QueueOptions = { connection: this.connection as unknown as ConnectionOptions, prefix: settings.prefix };
    this.harvest = new Queue('harvest', opts);
    this.load = new Queue('load', opts);
    this.harvest.on('error', onError);
    this.load.on('error', onError);
  }

  get(name: QueueName): Queue {
    return name === 'harvest' ? this.harvest : this.load;
  }

  /** Adds a job from the catalogue, with the catalogue's options merged under `opts`. */
  async add<N extends JobName>(name: N, data: PayloadOf<N>, opts: { jobId?: string; deduplicationId?: string; priority?: number } = {}) {
    const def = jobCatalog[name];
    return this.get(def.queue).add(name, data, {
      ...this.optsFor(name),
      ...(opts.jobId ? { jobId: opts.jobId } : {}),
      ...(opts.deduplicationId ? { deduplication: { id: opts.deduplicationId } } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
    });
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

  async close(): Promise<void> {
    // A Queue closed before its start-up commands are answered leaves them to be rejected
    // unhandled when the connection goes: let start-up finish first (quick when Redis answers,
    // bounded when it does not).
    const settle = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    if (['wait', 'connecting', 'connect'].includes(this.connection.status)) {
      await Promise.race([new Promise((r) => this.connection.once('ready', r)), settle(2000)]);
    }
    if (this.connection.status === 'ready') {
      await Promise.race([Promise.allSettled([this.harvest.waitUntilReady(), this.load.waitUntilReady()]), settle(2000)]);
    }
    await Promise.race([Promise.allSettled([this.harvest.close(), this.load.close()]), settle(5000)]);
    // QUIT, not a hard disconnect, when Redis answers: replies still due are received first.
    if (this.connection.status === 'ready') await Promise.race([this.connection.quit().catch(() => undefined), settle(2000)]);
    this.connection.disconnect();
  }
}
