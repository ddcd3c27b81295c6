import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ParseLimits } from './errors.ts';

const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .default('0')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/**
 * Says what is wrong with one HASAD_ALLOW_HOSTS entry, or undefined when it is well formed: a
 * host name, an IP address, a CIDR block (`10.0.0.0/8`, `fd00::/8`), each but CIDRs optionally
 * with `:port` (`127.0.0.1:8080`, `[::1]:8080`, `feeds.local:8443`).
 */
export function allowHostEntryProblem(entry: string): string | undefined {
  const port = (p: string | undefined) => p === undefined || (/^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535);
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) return isIP(bracketed[1] ?? '') === 6 && port(bracketed[2]) ? undefined : 'expected [IPv6] or [IPv6]:port';
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const family = isIP(cidr[1] ?? '');
    const bits = Number(cidr[2]);
    return family !== 0 && bits <= (family === 4 ? 32 : 128) ? undefined : 'expected a CIDR block such as 10.0.0.0/8 or fd00::/8';
  }
  if (isIP(entry) !== 0) return undefined;
  const hostPort = /^([^:]+)(?::(.*))?$/.exec(entry);
  if (hostPort && port(hostPort[2]) && (isIP(hostPort[1] ?? '') === 4 || HOST_NAME.test(hostPort[1] ?? ''))) return undefined;
  return 'expected a host name, an IP address or a CIDR block, optionally with :port';
}

/** A comma-separated list, blanks around and empty entries dropped. */
const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  );

/** A comma-separated list of HASAD_ALLOW_HOSTS entries, each checked. */
const allowHosts = commaList.superRefine((entries, ctx) => {
  for (const e of entries) {
    const problem = allowHostEntryProblem(e);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `"${e}": ${problem}` });
  }
});

/** A comma-separated list of e-mail addresses, each checked. */
const emailList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  )
  .pipe(z.array(z.string().email('not an e-mail address')));

/**
 * Every environment variable Hasad reads, with its default. Each one is documented (meaning,
 * unit, default) in the README's table; keep the two in step. Nothing else reads process.env.
 */
export const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/hasad'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * Key prefix of every Redis key Hasad writes. The braces make it a Redis Cluster hash tag:
   * every key then hashes to one slot, which BullMQ's multi-key scripts need on a cluster.
   */
  HASAD_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*(?:\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/, 'letters, digits, _ . - and at most one {hash tag} only')
    .min(1)
    .default('{hasad}'),
  /**
   * Seed nodes of a Redis Cluster, comma-separated redis:// or rediss:// URLs; set, Hasad talks to
   * the cluster (REDIS_URL is then unused) and HASAD_QUEUE_PREFIX must carry a {hash tag}.
   */
  HASAD_REDIS_CLUSTER_NODES: commaList.pipe(z.array(z.string().regex(/^rediss?:\/\/[^\s/]+:\d{1,5}\/?$/, 'expected redis://host:port or rediss://host:port'))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(8080, 0),
  HOST: z.string().default('127.0.0.1'),
  HASAD_OPS_PORT: int(0, 0),
  HASAD_ALLOW_PRIVATE_HOSTS: bool,
  /**
   * Hosts the fetcher may reach although the address rules refuse them (loopback, private…):
   * comma-separated host names, IP addresses or CIDR blocks, optionally with `:port`. Dev and tests.
   */
  HASAD_ALLOW_HOSTS: allowHosts,
  HASAD_USER_AGENT: z.string().default('Hasad/0.1 (+https://data.gov.ma; open-data harvester)'),
  HASAD_FETCH_TIMEOUT_MS: int(30_000, 100),
  /** Time allowed to open a connection (TCP and TLS), in ms. */
  HASAD_FETCH_CONNECT_TIMEOUT_MS: int(10_000, 100),
  /** Time allowed for the response headers, in ms; default HASAD_FETCH_TIMEOUT_MS. */
  HASAD_FETCH_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  /** Longest silence between two chunks of a response body, in ms; default HASAD_FETCH_TIMEOUT_MS. */
  HASAD_FETCH_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  /** Overall time allowed for one page, from the first request (redirects included) to the body's last byte, in ms. */
  HASAD_FETCH_DEADLINE_MS: int(600_000, 1000),
  // 200 MiB: the largest single-file catalogue harvested so far is 142 MB.
  HASAD_FETCH_MAX_BYTES: int(200 * 1024 * 1024, 1024),
  /** Requests to one host (name and port) in flight at once, across every fetcher sharing the Redis. */
  HASAD_HOST_CONCURRENCY: int(2, 1),
  /** Requests started per second to one host, across every fetcher sharing the Redis. */
  HASAD_HOST_RATE_PER_SECOND: int(5, 1),
  /**
   * Longest Retry-After (429/503) for which a harvest is put off without spending an attempt, in ms;
   * also the most a run may be put off in total. Longer waits count as an ordinary failed attempt.
   */
  HASAD_RETRY_AFTER_MAX_MS: int(3_600_000, 0),
  HASAD_MAX_REDIRECTS: int(5),
  HASAD_BATCH_SIZE: int(1000, 1),
  /** Pages one run may read at most; a source's `limits.maxPages` can only lower it. */
  HASAD_MAX_PAGES: int(10_000, 1),
  /**
   * Slowest transfer rate accepted while a body is being read, in bytes per second, measured over
   * HASAD_FETCH_RATE_WINDOW_MS of waiting for the network (0 turns the floor off). A source's
   * `limits.minBytesPerSecond` replaces it for that source.
   */
  HASAD_FETCH_MIN_BYTES_PER_SECOND: int(1024, 0),
  /** The window the rate floor is measured over, in ms (waiting for the network only). */
  HASAD_FETCH_RATE_WINDOW_MS: int(30_000, 100),
  /**
   * Time one fetcher may spend on one run (requests, downloads and parsing; not the waits for
   * the loaders), in ms. A source's `limits.runBudgetSeconds` can only lower it.
   */
  HASAD_RUN_BUDGET_MS: int(300_000, 1000),
  HASAD_MAX_INFLIGHT_BATCHES: int(16, 1),
  HASAD_FETCHER_CONCURRENCY: int(2, 1),
  HASAD_LOADER_CONCURRENCY: int(2, 1),
  HASAD_WITHDRAW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  /** Distribution URLs checked per source after each complete run (metadata quality's link check); 0 turns it off. */
  HASAD_LINK_CHECK_SAMPLE: int(20, 0),
  /**
   * Notifications (see the README's Notifications section). SMTP: either one URL
   * (`smtp://user:pass@host:587`, `smtps://…:465`) or host, port, user and password apart.
   */
  HASAD_SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//i.test(u), 'expected smtp://… or smtps://…')
    .optional(),
  HASAD_SMTP_HOST: z.string().min(1).optional(),
  /** 465 means TLS from the first byte; any other port upgrades with STARTTLS when the server offers it. */
  HASAD_SMTP_PORT: int(587, 1),
  HASAD_SMTP_USER: z.string().optional(),
  HASAD_SMTP_PASS: z.string().optional(),
  HASAD_SMTP_FROM: z.string().min(3).default('Hasad <no-reply@data.gov.ma>'),
  /** Operators' addresses, comma-separated: told of every source's repeated failures and reviews. */
  HASAD_NOTIFY_OPERATOR_EMAILS: emailList,
  /** Operators' webhook: every event is POSTed there as signed JSON. */
  HASAD_NOTIFY_WEBHOOK_URL: z.string().url().optional(),
  /** Signs the operators' webhook (and an organisation's webhook that has no secret of its own). */
  HASAD_NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  /** Failed runs in a row after which a source's owners and the operators are told (once per streak). */
  HASAD_NOTIFY_FAILURE_STREAK: int(3, 1),
  /** First retry delay of a notification that could not be delivered, in ms (doubles each attempt). */
  HASAD_NOTIFY_BACKOFF_MS: int(10_000, 1),
  /** Base URL of the API as people reach it, for the links in notifications; default http://HOST:PORT. */
  HASAD_PUBLIC_URL: z.string().url().optional(),
  HASAD_RECONCILE_INTERVAL_MS: int(30_000, 100),
  HASAD_ORPHAN_GRACE_MS: int(60_000, 0),
  HASAD_LOCK_DURATION_MS: int(30_000, 1000),
  HASAD_SHUTDOWN_GRACE_MS: int(25_000, 0),
  HASAD_SCHEDULE_SPREAD_MS: int(300_000, 0),
  HASAD_HARVEST_ATTEMPTS: int(5, 1),
  HASAD_HARVEST_BACKOFF_MS: int(5_000, 1),
  /**
   * Finished runs kept per source (with their pages, batches and problems); older ones are deleted
   * by the scheduler, except each source's last successful run. 0 keeps every run.
   */
  HASAD_RUN_RETENTION_COUNT: int(100, 0),
  /**
   * Days the change feed (`/api/v1/changes`) keeps a change; older ones are deleted by the
   * scheduler, and a cursor from before them is answered 410 `cursor_expired`. 0 keeps every change.
   */
  HASAD_CHANGES_RETENTION_DAYS: int(90, 0),
  /**
   * Minutes after which the scheduler computes an organisation's scoreboard figures again
   * (/observatoire, GET /api/v1/scoreboard) even when none of its runs ended meanwhile; a run
   * that ends (and its link check) makes them due at the next reconcile tick anyway.
   */
  HASAD_SCOREBOARD_REFRESH_MINUTES: int(60, 1),
  /**
   * Shortest time allowed between two scheduled harvests of one source (cron or interval), in ms;
   * also between the start of a source's last run and a "harvest now" asked with an organisation token.
   */
  HASAD_MIN_SCHEDULE_INTERVAL_MS: int(3_600_000, 60_000),
  /** API requests per minute per token (each token has its own budget). */
  HASAD_RATE_LIMIT_PER_MINUTE: int(300, 1),
  /** API requests per minute per client IP address without a token; requests with a refused token count here too. */
  HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: int(120, 1),
  /**
   * API requests carrying a token (valid or not) per minute per client IP address, whatever the
   * token: one address cycling through many tokens is limited. Counted before the token is looked up.
   */
  HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: int(1200, 1),
  /**
   * Catalogue search answers kept per API process (least recently used evicted; any catalogue
   * change empties it). 0 turns the cache off.
   */
  HASAD_SEARCH_CACHE_ENTRIES: int(1000, 0),
  /**
   * Hard limits on one SOAP answer, which is parsed as a stream (docs/limits.md): elements nested
   * at most this deep; characters in one element's text or attribute value; record elements on one
   * page; bytes of one answer; elements held in memory at once (a record, the elements above the
   * records, multiRefs). Past one, the page fails with `limit_exceeded` naming the setting.
   */
  HASAD_SOAP_MAX_DEPTH: int(256, 8),
  HASAD_SOAP_MAX_TEXT_LENGTH: int(8 * 1024 * 1024, 1024),
  HASAD_SOAP_MAX_RECORDS: int(100_000, 1),
  HASAD_SOAP_MAX_BODY_BYTES: int(64 * 1024 * 1024, 1024),
  HASAD_SOAP_MAX_NODES: int(250_000, 100),
  /**
   * Hard limits on one CSW answer, read as a stream and kept whole (docs/limits.md): elements
   * nested at most this deep; characters in one element's text or attribute value; elements in
   * one answer. Its bytes are the source's `maxPageBytes`. Past one, the page fails with `limit_exceeded`.
   */
  HASAD_CSW_MAX_DEPTH: int(256, 8),
  HASAD_CSW_MAX_TEXT_LENGTH: int(8 * 1024 * 1024, 1024),
  HASAD_CSW_MAX_ELEMENTS: int(1_000_000, 100),
  /** Overall deadline of one `POST /api/v1/preview`, in ms. */
  HASAD_PREVIEW_TIMEOUT_MS: int(20_000, 1000),
  /** Nesting depth of JSON arrays/objects or XML elements a page may reach (docs/limits.md). */
  HASAD_PARSE_MAX_DEPTH: int(100, 2),
  /** Longest token (literal, IRI, JSON string, leading blank run) of a page, in characters of its decoded text. */
  HASAD_PARSE_MAX_TOKEN_BYTES: int(16 * 1024 * 1024, 1024),
  /** Records one page may yield. */
  HASAD_PARSE_MAX_RECORDS_PER_PAGE: int(200_000, 1),
  /** Heap of each parsing worker thread, in MB: a page needing more fails alone. */
  HASAD_PARSE_HEAP_MB: int(2048, 32),
  /** CPU time one page's parsing may take, in seconds: beyond it the worker is stopped and the page fails. */
  HASAD_PARSE_CPU_SECONDS: int(300, 1),
  /**
   * Secret that signs the operator dashboard's session cookie (at least 32 characters). Unset: a
   * random one per API process, so sessions end when the process restarts and do not carry
   * across several API processes: set it when running more than one.
   */
  HASAD_SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
});

export type HasadConfig = z.infer<typeof envSchema>;

/** Queue settings derived from the configuration (the one place that maps them). */
export function queueSettings(c: HasadConfig) {
  return { redisUrl: c.REDIS_URL, clusterNodes: c.HASAD_REDIS_CLUSTER_NODES, prefix: c.HASAD_QUEUE_PREFIX, harvestAttempts: c.HASAD_HARVEST_ATTEMPTS, harvestBackoffMs: c.HASAD_HARVEST_BACKOFF_MS };
}

/**
 * Outgoing HTTP settings derived from the configuration (the one place that maps them); the
 * shape of `@hasad/sources`' HttpOptions, without the host limiter, which the caller adds.
 */
export function fetchSettings(c: HasadConfig) {
  return {
    allowPrivateHosts: c.HASAD_ALLOW_PRIVATE_HOSTS,
    allowHosts: c.HASAD_ALLOW_HOSTS,
    userAgent: c.HASAD_USER_AGENT,
    timeoutMs: c.HASAD_FETCH_TIMEOUT_MS,
    connectTimeoutMs: c.HASAD_FETCH_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: c.HASAD_FETCH_HEADERS_TIMEOUT_MS ?? c.HASAD_FETCH_TIMEOUT_MS,
    bodyTimeoutMs: c.HASAD_FETCH_BODY_TIMEOUT_MS ?? c.HASAD_FETCH_TIMEOUT_MS,
    deadlineMs: c.HASAD_FETCH_DEADLINE_MS,
    maxBytes: c.HASAD_FETCH_MAX_BYTES,
    maxRedirects: c.HASAD_MAX_REDIRECTS,
    soapLimits: {
      maxDepth: c.HASAD_SOAP_MAX_DEPTH,
      maxTextLength: c.HASAD_SOAP_MAX_TEXT_LENGTH,
      maxRecords: c.HASAD_SOAP_MAX_RECORDS,
      maxBodyBytes: c.HASAD_SOAP_MAX_BODY_BYTES,
      maxNodes: c.HASAD_SOAP_MAX_NODES,
    },
    cswLimits: { maxDepth: c.HASAD_CSW_MAX_DEPTH, maxTextLength: c.HASAD_CSW_MAX_TEXT_LENGTH, maxElements: c.HASAD_CSW_MAX_ELEMENTS },
    hostConcurrency: c.HASAD_HOST_CONCURRENCY,
    hostRequestsPerSecond: c.HASAD_HOST_RATE_PER_SECOND,
    minBytesPerSecond: c.HASAD_FETCH_MIN_BYTES_PER_SECOND,
    rateWindowMs: c.HASAD_FETCH_RATE_WINDOW_MS,
  };
}

/** Parsing limits derived from the configuration (the one place that maps them); see docs/limits.md. */
export function parseLimits(c: HasadConfig): ParseLimits {
  return {
    maxDepth: c.HASAD_PARSE_MAX_DEPTH,
    maxTokenBytes: c.HASAD_PARSE_MAX_TOKEN_BYTES,
    maxRecordsPerPage: c.HASAD_PARSE_MAX_RECORDS_PER_PAGE,
    heapMb: c.HASAD_PARSE_HEAP_MB,
    cpuSeconds: c.HASAD_PARSE_CPU_SECONDS,
  };
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
  // On a cluster, keys without a common hash tag land in different slots and BullMQ's scripts fail with CROSSSLOT.
  if (res.data.HASAD_REDIS_CLUSTER_NODES.length > 0 && !/\{[^}]+\}/.test(res.data.HASAD_QUEUE_PREFIX)) {
    throw new ConfigError(`invalid environment:\n  HASAD_QUEUE_PREFIX=${JSON.stringify(res.data.HASAD_QUEUE_PREFIX)}: needs a {hash tag} (e.g. {hasad}) with HASAD_REDIS_CLUSTER_NODES`, {});
  }
  const d = res.data;
  // Settings that only make sense together: checked here because envSchema must stay a plain object.
  const clash: string[] = [];
  if (d.HASAD_SMTP_URL && d.HASAD_SMTP_HOST) clash.push('  HASAD_SMTP_URL and HASAD_SMTP_HOST: set one or the other');
  if (d.HASAD_NOTIFY_WEBHOOK_URL && !d.HASAD_NOTIFY_WEBHOOK_SECRET) clash.push('  HASAD_NOTIFY_WEBHOOK_SECRET: required with HASAD_NOTIFY_WEBHOOK_URL (every webhook is signed)');
  if (clash.length) throw new ConfigError(`invalid environment:\n${clash.join('\n')}`, { issues: clash });
  return d;
}
