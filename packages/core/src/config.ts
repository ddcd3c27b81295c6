import { z } from 'zod';
import { ConfigError } from './errors.ts';

const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .default('0')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/**
 * Every environment variable Hasad reads, with its default. Each one is documented (meaning,
 * unit, default) in the README's table; keep the two in step. Nothing else reads process.env.
 */
export const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/hasad'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  HASAD_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('hasad'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(8080, 0),
  HOST: z.string().default('127.0.0.1'),
  HASAD_OPS_PORT: int(0, 0),
  HASAD_ALLOW_PRIVATE_HOSTS: bool,
  HASAD_USER_AGENT: z.string().default('Hasad/0.1 (+https://data.gov.ma; open-data harvester)'),
  HASAD_FETCH_TIMEOUT_MS: int(30_000, 100),
  HASAD_FETCH_MAX_BYTES: int(1024 * 1024 * 1024, 1024),
  HASAD_MAX_REDIRECTS: int(5),
  HASAD_BATCH_SIZE: int(1000, 1),
  HASAD_MAX_PAGES: int(10_000, 1),
  HASAD_MAX_INFLIGHT_BATCHES: int(16, 1),
  HASAD_FETCHER_CONCURRENCY: int(2, 1),
  HASAD_LOADER_CONCURRENCY: int(2, 1),
  HASAD_WITHDRAW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  HASAD_RECONCILE_INTERVAL_MS: int(30_000, 100),
  HASAD_ORPHAN_GRACE_MS: int(60_000, 0),
  HASAD_LOCK_DURATION_MS: int(30_000, 1000),
  HASAD_SHUTDOWN_GRACE_MS: int(25_000, 0),
  HASAD_SCHEDULE_SPREAD_MS: int(300_000, 0),
  HASAD_HARVEST_ATTEMPTS: int(5, 1),
  HASAD_HARVEST_BACKOFF_MS: int(5_000, 1),
});

export type HasadConfig = z.infer<typeof envSchema>;

/** Queue settings derived from the configuration (the one place that maps them). */
export function queueSettings(c: HasadConfig) {
  return { redisUrl: c.REDIS_URL, prefix: c.HASAD_QUEUE_PREFIX, harvestAttempts: c.HASAD_HARVEST_ATTEMPTS, harvestBackoffMs: c.HASAD_HARVEST_BACKOFF_MS };
}

/** Parses the environment once, listing every bad variable at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): HasadConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const res = envSchema.safeParse(picked);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(picked[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`, { issues: res.error.issues });
  }
  return res.data;
}
