import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ParseLimits } from './errors.ts';

// Functions, not shared schemas: settingDocs documents each schema instance, so two settings must not share one.
const bool = () =>
  z
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

/** Who reads a setting: a role of `hasad start --role`, or the `hasad` CLI's own commands (`migrate`, `preview`, `token`, …). */
export type SettingReader = 'api' | 'scheduler' | 'fetcher' | 'loader' | 'cli';

/** A setting's documentation, kept beside its definition; docs/settings.md's table is generated from it (`npm run docs:settings`). */
export interface SettingDoc {
  /** What it does, in Markdown (links relative to docs/). */
  doc: string;
  /** Its unit or kind of value (`ms`, `count`, `URL`, …). */
  unit: string;
  /** The processes that read it. */
  roles: readonly SettingReader[];
  /**
   * What applies when it is unset, in Markdown, for a setting without a default in its schema
   * (`none`, another setting's value…). With a schema default, it must start with that default
   * (in backticks) and may only add a gloss such as `(200 MiB)`.
   */
  default?: string;
}

/** The documentation of every setting, attached to its schema in envSchema below. */
export const settingDocs = z.registry<SettingDoc>();

const ALL = ['api', 'scheduler', 'fetcher', 'loader', 'cli'] as const;
const ROLES = ['api', 'scheduler', 'fetcher', 'loader'] as const;
/** Every process that makes outgoing requests: harvests, previews, link checks, webhooks. */
const FETCHING = ['api', 'fetcher', 'loader', 'cli'] as const;
/** Every process that reads a source's pages: harvests and previews. */
const HARVESTING = ['api', 'fetcher', 'cli'] as const;
/** Every process that may queue a notification (a run that fails or ends). */
const NOTIFYING = ROLES;
/** Processes that deliver notifications: the loader's notify worker and the API's test notification. */
const DELIVERING = ['api', 'loader'] as const;

/**
 * Every environment variable Hasad reads, with its default and its documentation (settingDocs);
 * docs/settings.md is generated from them. Nothing else reads process.env but the logger
 * (NODE_ENV, in settingsReadElsewhere) and the demo, which hands its environment to loadConfig.
 */
export const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/hasad').register(settingDocs, { unit: 'URL', roles: ALL, doc: 'PostgreSQL connection URL' }),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379').register(settingDocs, { unit: 'URL', roles: ALL, doc: 'Redis connection URL' }),
  // The braces make the prefix a Redis Cluster hash tag: every key then hashes to one slot, which BullMQ's multi-key scripts need on a cluster.
  HASAD_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*(?:\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/, 'letters, digits, _ . - and at most one {hash tag} only')
    .min(1)
    .default('{hasad}')
    .register(settingDocs, {
      unit: 'text',
      roles: ALL,
      doc: 'prefix of every Redis key Hasad writes (several deployments or tests can share one Redis); the braces make it a Redis Cluster hash tag, so it runs unchanged on a cluster',
    }),
  HASAD_REDIS_CLUSTER_NODES: commaList.pipe(z.array(z.string().regex(/^rediss?:\/\/[^\s/]+:\d{1,5}\/?$/, 'expected redis://host:port or rediss://host:port'))).register(settingDocs, {
    unit: 'list',
    roles: ALL,
    doc: 'seed nodes of a Redis Cluster, comma-separated `redis://host:port` (user name, password and `rediss:` of the first apply to all); set, `REDIS_URL` is unused and the prefix must carry a `{hash tag}`',
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').register(settingDocs, { unit: '—', roles: ALL, doc: 'pino level (`fatal` … `trace`, `silent`)' }),
  PORT: int(8080, 0).register(settingDocs, { unit: 'port', roles: ['api', 'loader'], doc: 'API port (`0` = any free port); also the default of the links in notifications' }),
  HOST: z.string().default('127.0.0.1').register(settingDocs, { unit: 'address', roles: ['api', 'loader'], doc: 'API listen address; also the default of the links in notifications' }),
  HASAD_OPS_PORT: int(0, 0).register(settingDocs, { unit: 'port', roles: ['scheduler', 'fetcher', 'loader'], doc: 'in a process without the API role, port of its `/healthz`, `/readyz` and `/metrics` (`0` = none)' }),
  HASAD_ALLOW_PRIVATE_HOSTS: bool().register(settingDocs, { unit: '`0`/`1`', roles: FETCHING, doc: 'let the fetcher reach loopback and private addresses (dev and tests only; the demo allows only its own feed, through `HASAD_ALLOW_HOSTS`)' }),
  HASAD_ALLOW_HOSTS: allowHosts.register(settingDocs, {
    unit: 'list',
    roles: FETCHING,
    doc: 'hosts the fetcher may reach despite the address rules: comma-separated host names, IP addresses or CIDR blocks, optionally `:port` (`127.0.0.1:8080`, `[::1]`, `10.0.0.0/8`); dev and tests',
  }),
  HASAD_USER_AGENT: z.string().default('Hasad/0.1 (+https://data.gov.ma; open-data harvester)').register(settingDocs, { unit: 'text', roles: FETCHING, doc: 'User-Agent of every outgoing request' }),
  HASAD_FETCH_TIMEOUT_MS: int(30_000, 100).register(settingDocs, { unit: 'ms', roles: FETCHING, doc: 'default of the headers and body idle timeouts' }),
  HASAD_FETCH_CONNECT_TIMEOUT_MS: int(10_000, 100).register(settingDocs, { unit: 'ms', roles: FETCHING, doc: 'time allowed to open a connection (TCP + TLS)' }),
  HASAD_FETCH_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).optional().register(settingDocs, { unit: 'ms', roles: FETCHING, default: '`HASAD_FETCH_TIMEOUT_MS`', doc: 'time allowed for the response headers' }),
  HASAD_FETCH_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).optional().register(settingDocs, { unit: 'ms', roles: FETCHING, default: '`HASAD_FETCH_TIMEOUT_MS`', doc: 'longest silence between two chunks of a response body' }),
  HASAD_FETCH_DEADLINE_MS: int(600_000, 1000).register(settingDocs, { unit: 'ms', roles: FETCHING, doc: "overall time per page, from the first request (redirects included) to the body's last byte" }),
  // 200 MiB: the largest single-file catalogue harvested so far is 142 MB.
  HASAD_FETCH_MAX_BYTES: int(200 * 1024 * 1024, 1024).register(settingDocs, { unit: 'bytes', roles: FETCHING, default: '`209715200` (200 MiB)', doc: 'largest body per page, counted after decompression' }),
  HASAD_HOST_CONCURRENCY: int(2, 1).register(settingDocs, { unit: 'count', roles: ['api', 'fetcher'], doc: 'requests in flight to one host (name:port) at once, across every fetcher sharing the Redis' }),
  HASAD_HOST_RATE_PER_SECOND: int(5, 1).register(settingDocs, { unit: 'req/s', roles: ['api', 'fetcher'], doc: 'requests started per second to one host, across every fetcher sharing the Redis' }),
  HASAD_RETRY_AFTER_MAX_MS: int(3_600_000, 0).register(settingDocs, {
    unit: 'ms',
    roles: ['fetcher'],
    doc: 'longest Retry-After (429/503) honoured by putting the harvest off without spending an attempt; also the most a run may be put off in total (longer waits count as an ordinary failed attempt)',
  }),
  HASAD_MAX_REDIRECTS: int(5).register(settingDocs, { unit: 'count', roles: FETCHING, doc: 'redirects followed per request (each hop re-checked)' }),
  HASAD_BATCH_SIZE: int(1000, 1).register(settingDocs, { unit: 'records', roles: ['fetcher'], doc: 'records per `load.batch` job' }),
  HASAD_BENCH_SKIP_SOURCE_DESCRIPTION: bool().register(settingDocs, {
    unit: '`0`/`1`',
    roles: ['fetcher'],
    doc: 'measurement only, for the harvest bench: DCAT datasets are harvested without their kept source description, to measure what keeping it costs; never set it in production (`/catalog` would then lose every triple the canonical record does not hold)',
  }),
  HASAD_MAX_PAGES: int(10_000, 1).register(settingDocs, {
    unit: 'pages',
    roles: ['fetcher'],
    doc: "pages one run may read at most (beyond: the run fails `page_limit_exceeded`); a source's `limits.maxPages` can only lower it ([limits](limits.md))",
  }),
  HASAD_FETCH_MIN_BYTES_PER_SECOND: int(1024, 0).register(settingDocs, {
    unit: 'bytes/s',
    roles: FETCHING,
    doc: "slowest transfer rate accepted while a body is read, over `HASAD_FETCH_RATE_WINDOW_MS` of waiting for the network (slower: the run fails `too_slow`, not retried); `0` turns the floor off; a source's `limits.minBytesPerSecond` replaces it ([limits](limits.md))",
  }),
  HASAD_FETCH_RATE_WINDOW_MS: int(30_000, 100).register(settingDocs, { unit: 'ms', roles: FETCHING, doc: 'the window the rate floor is measured over (time spent waiting for the network only)' }),
  HASAD_RUN_BUDGET_MS: int(300_000, 1000).register(settingDocs, {
    unit: 'ms',
    roles: ['fetcher'],
    default: '`300000` (5 min)',
    doc: "time one fetcher may spend on one run: requests, downloads and parsing, not the waits for the loaders (beyond: the run fails `run_budget_exceeded`, not retried); a source's `limits.runBudgetSeconds` can only lower it ([limits](limits.md))",
  }),
  HASAD_MAX_INFLIGHT_BATCHES: int(16, 1).register(settingDocs, { unit: 'jobs', roles: ['fetcher'], doc: 'load jobs waiting in Redis above which fetchers pause' }),
  HASAD_FETCHER_CONCURRENCY: int(2, 1).register(settingDocs, { unit: 'jobs', roles: ['fetcher'], doc: 'harvests one fetcher process runs at once' }),
  HASAD_LOADER_CONCURRENCY: int(2, 1).register(settingDocs, { unit: 'jobs', roles: ['loader'], doc: 'batches one loader process loads at once' }),
  HASAD_WITHDRAW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2).register(settingDocs, { unit: '0..1', roles: ['loader'], doc: "share of a source's active datasets one run may withdraw without review" }),
  HASAD_LINK_CHECK_SAMPLE: int(20, 0).register(settingDocs, { unit: 'URLs', roles: ['loader'], doc: 'distribution URLs checked per source after each complete run ([metadata quality](quality.md)); `0` turns the link check off' }),
  HASAD_SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//i.test(u), 'expected smtp://… or smtps://…')
    .optional()
    .register(settingDocs, {
      unit: 'URL',
      roles: NOTIFYING,
      default: 'none (no e-mail)',
      doc: 'SMTP server for [notifications](operators.md#notifications), `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; or `HASAD_SMTP_HOST` and the settings below',
    }),
  HASAD_SMTP_HOST: z.string().min(1).optional().register(settingDocs, { unit: 'host', roles: NOTIFYING, default: 'none', doc: 'SMTP server, when not given as `HASAD_SMTP_URL`' }),
  HASAD_SMTP_PORT: int(587, 1).register(settingDocs, { unit: 'port', roles: DELIVERING, doc: 'port of `HASAD_SMTP_HOST`: 465 means TLS from the first byte; any other upgrades with STARTTLS when the server offers it' }),
  HASAD_SMTP_USER: z.string().optional().register(settingDocs, { unit: 'text', roles: DELIVERING, default: 'none', doc: 'SMTP login with `HASAD_SMTP_HOST`' }),
  HASAD_SMTP_PASS: z.string().optional().register(settingDocs, { unit: 'text', roles: DELIVERING, default: 'none', doc: 'SMTP password with `HASAD_SMTP_HOST`' }),
  HASAD_SMTP_FROM: z.string().min(3).default('Hasad <no-reply@data.gov.ma>').register(settingDocs, { unit: 'address', roles: DELIVERING, doc: 'sender of notification e-mails' }),
  HASAD_NOTIFY_OPERATOR_EMAILS: emailList.register(settingDocs, { unit: 'comma-separated addresses', roles: NOTIFYING, doc: "operators' addresses, told of every source's repeated failures and reviews" }),
  HASAD_NOTIFY_WEBHOOK_URL: z.string().url().optional().register(settingDocs, { unit: 'URL', roles: NOTIFYING, default: 'none', doc: "operators' webhook: every notification is POSTed there as signed JSON" }),
  HASAD_NOTIFY_WEBHOOK_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .register(settingDocs, { unit: 'text, ≥ 16 characters', roles: DELIVERING, default: 'none', doc: "HMAC key of the operators' webhook (required with it), and of organisation webhooks without their own" }),
  HASAD_NOTIFY_FAILURE_STREAK: int(3, 1).register(settingDocs, { unit: 'runs', roles: NOTIFYING, doc: "failed runs in a row after which a source's owners and the operators are told (once per streak)" }),
  HASAD_NOTIFY_BACKOFF_MS: int(10_000, 1).register(settingDocs, { unit: 'ms', roles: NOTIFYING, doc: 'first retry delay of a notification that could not be delivered (doubles each attempt; 8 attempts)' }),
  HASAD_PUBLIC_URL: z.string().url().optional().register(settingDocs, { unit: 'URL', roles: DELIVERING, default: '`http://HOST:PORT`', doc: "the API's address as people reach it, for the links in notifications" }),
  HASAD_RECONCILE_INTERVAL_MS: int(30_000, 100).register(settingDocs, { unit: 'ms', roles: ['scheduler'], doc: 'how often the scheduler reconciles schedules, repairs orphaned runs, applies the retentions and looks whether the search vocabulary is due' }),
  HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS: int(300_000, 0).register(settingDocs, {
    unit: 'ms',
    roles: ['scheduler'],
    doc: 'least time between two computations of the search vocabulary (suggestions, typo retries), which the scheduler recomputes when the catalogue changed; one computation costs seconds of PostgreSQL CPU on a large catalogue (about 5 s at 200,000 datasets)',
  }),
  HASAD_ORPHAN_GRACE_MS: int(60_000, 0).register(settingDocs, { unit: 'ms', roles: ['scheduler'], doc: 'a live run is only repaired when its heartbeat is older than this' }),
  HASAD_LOCK_DURATION_MS: int(30_000, 1000).register(settingDocs, { unit: 'ms', roles: ['fetcher', 'loader'], doc: "BullMQ job lock; a killed worker's job is taken over after about this long" }),
  HASAD_SHUTDOWN_GRACE_MS: int(25_000, 0).register(settingDocs, { unit: 'ms', roles: ['fetcher', 'loader'], doc: 'on SIGTERM, how long workers may finish the jobs in hand' }),
  HASAD_SCHEDULE_SPREAD_MS: int(300_000, 0).register(settingDocs, { unit: 'ms', roles: ['scheduler'], doc: "window over which the sources' schedules are spread (an interval is shifted by a fixed share of min(interval, this))" }),
  HASAD_HARVEST_ATTEMPTS: int(5, 1).register(settingDocs, { unit: 'count', roles: ['api', 'scheduler', 'cli'], doc: 'attempts of a harvest job on transient errors (5xx, network, database)' }),
  HASAD_HARVEST_BACKOFF_MS: int(5_000, 1).register(settingDocs, { unit: 'ms', roles: ['api', 'scheduler', 'cli'], doc: 'first retry delay of a harvest job (doubles each attempt)' }),
  HASAD_RUN_RETENTION_COUNT: int(100, 0).register(settingDocs, {
    unit: 'runs',
    roles: ['scheduler'],
    doc: "finished runs kept per source, with their pages, batches and problems; the scheduler deletes older ones every reconcile interval (at most 500 a time), except each source's last successful run; `0` keeps all",
  }),
  HASAD_CHANGES_RETENTION_DAYS: int(90, 0).register(settingDocs, {
    unit: 'days',
    roles: ['api', 'scheduler'],
    doc: 'days the change feed (`/api/v1/changes`) keeps a change; the scheduler deletes older ones every reconcile interval (at most 10 000 a time), and a cursor from before them gets 410 `cursor_expired`; `0` keeps all',
  }),
  HASAD_SCOREBOARD_REFRESH_MINUTES: int(60, 1).register(settingDocs, {
    unit: 'minutes',
    // The API only shows it (/observatoire says how often the figures are refreshed).
    roles: ['api', 'scheduler'],
    doc: "minutes after which the scheduler computes an organisation's [scoreboard](../README.md#publishers-scoreboard-observatoire) figures again even when none of its runs ended meanwhile (a run that ends, or its link check, makes them due at the next reconcile tick anyway)",
  }),
  HASAD_MIN_SCHEDULE_INTERVAL_MS: int(3_600_000, 60_000).register(settingDocs, {
    unit: 'ms',
    roles: ['api', 'scheduler', 'cli'],
    default: '`3600000` (1 hour; at least `60000`)',
    doc: 'shortest time allowed between two scheduled harvests of one source (cron or interval), and between the start of a source\'s last run and a "harvest now" asked with an organisation token; a more frequent schedule is refused',
  }),
  HASAD_RATE_LIMIT_PER_MINUTE: int(300, 1).register(settingDocs, { unit: 'requests', roles: ['api'], doc: 'API requests per minute per token (each token its own budget)' }),
  HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: int(120, 1).register(settingDocs, {
    unit: 'requests',
    roles: ['api'],
    doc: 'API requests per minute per client address without a valid token; also how many refused tokens an address may send a minute',
  }),
  HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: int(1200, 1).register(settingDocs, {
    unit: 'requests',
    roles: ['api'],
    doc: 'API requests per minute per client address carrying a token (valid or not), whichever token: one address cycling through many tokens is limited; counted before the token is looked up',
  }),
  HASAD_SEARCH_CACHE_ENTRIES: int(1000, 0).register(settingDocs, {
    unit: 'entries',
    roles: ['api'],
    doc: 'catalogue search answers kept per API process (least recently used evicted; any catalogue change empties it); `0` turns the cache off',
  }),
  // Hard limits on one SOAP answer, which is parsed as a stream: past one, the page fails with `limit_exceeded` naming the setting.
  HASAD_SOAP_MAX_DEPTH: int(256, 8).register(settingDocs, { unit: 'levels', roles: HARVESTING, doc: 'elements a SOAP answer may nest ([limits](limits.md#soap-answers-read-as-a-stream))' }),
  HASAD_SOAP_MAX_TEXT_LENGTH: int(8 * 1024 * 1024, 1024).register(settingDocs, {
    unit: 'characters',
    roles: HARVESTING,
    default: '`8388608` (8 Mi)',
    doc: "characters of one element's text or one attribute value in a SOAP answer (an escaped XML document in a `<return>` included)",
  }),
  HASAD_SOAP_MAX_RECORDS: int(100_000, 1).register(settingDocs, { unit: 'records', roles: HARVESTING, doc: 'record elements (at `recordPath`) on one SOAP page' }),
  HASAD_SOAP_MAX_BODY_BYTES: int(64 * 1024 * 1024, 1024).register(settingDocs, {
    unit: 'bytes',
    roles: HARVESTING,
    default: '`67108864` (64 MiB)',
    doc: 'bytes of one SOAP answer (after content decoding; `HASAD_FETCH_MAX_BYTES` applies too)',
  }),
  HASAD_SOAP_MAX_NODES: int(250_000, 100).register(settingDocs, {
    unit: 'elements',
    roles: HARVESTING,
    doc: 'elements of a SOAP answer held in memory at once: the record being read, the elements above the records, multiRefs, a Fault',
  }),
  // Hard limits on one CSW answer, read as a stream and kept whole (its bytes: the source's maxPageBytes).
  HASAD_CSW_MAX_DEPTH: int(256, 8).register(settingDocs, { unit: 'levels', roles: HARVESTING, doc: 'elements a CSW answer may nest ([limits](limits.md#csw-and-ckan-pages))' }),
  HASAD_CSW_MAX_TEXT_LENGTH: int(8 * 1024 * 1024, 1024).register(settingDocs, {
    unit: 'characters',
    roles: HARVESTING,
    default: '`8388608` (8 Mi)',
    doc: "characters of one element's text or one attribute value in a CSW answer",
  }),
  HASAD_CSW_MAX_ELEMENTS: int(1_000_000, 100).register(settingDocs, { unit: 'elements', roles: HARVESTING, doc: 'elements of one CSW answer, counted whether held or not (a page read before is kept whole in memory while its records are mapped; a new page\'s records are mapped and dropped as each closes)' }),
  HASAD_PREVIEW_TIMEOUT_MS: int(20_000, 1000).register(settingDocs, { unit: 'ms', roles: ['api'], doc: 'overall deadline of one `POST /api/v1/preview`' }),
  HASAD_PARSE_MAX_DEPTH: int(100, 2).register(settingDocs, { unit: 'levels', roles: HARVESTING, doc: 'nesting of JSON arrays/objects or XML elements a page may reach ([parsing limits](limits.md))' }),
  HASAD_PARSE_MAX_TOKEN_BYTES: int(16 * 1024 * 1024, 1024).register(settingDocs, {
    unit: 'characters',
    roles: HARVESTING,
    default: '`16777216` (16 MiB)',
    doc: 'longest single token of a page (literal, IRI, comment, JSON string, leading blank space), counted in characters of the decoded text',
  }),
  HASAD_PARSE_MAX_RECORDS_PER_PAGE: int(200_000, 1).register(settingDocs, { unit: 'records', roles: HARVESTING, doc: 'records one page may yield (every source kind)' }),
  HASAD_PARSE_HEAP_MB: int(2048, 32).register(settingDocs, {
    unit: 'MB',
    roles: HARVESTING,
    doc: 'heap of each parsing worker thread (fetcher: one per concurrent harvest; API: two for previews); a page needing more fails alone',
  }),
  HASAD_PARSE_YOUNG_MB: int(32, 0).register(settingDocs, {
    unit: 'MB',
    roles: HARVESTING,
    doc: "young generation of each parsing worker thread (`0`: V8's default): smaller keeps less memory resident for more frequent scavenges; 32 took the fetcher's peak RSS from about 665 to 564 MB on the bench's first harvest, CPU unchanged within the runs' spread",
  }),
  HASAD_PARSE_CPU_SECONDS: int(300, 1).register(settingDocs, { unit: 's', roles: HARVESTING, doc: "CPU time one page's parsing may take: beyond it the worker is stopped and the page fails" }),
  HASAD_SESSION_SECRET: z
    .string()
    .min(32, 'at least 32 characters')
    .optional()
    .register(settingDocs, {
      unit: 'text',
      roles: ['api'],
      default: 'random per process',
      doc: "signs the dashboard's session cookie (at least 32 characters); unset: a random secret per API process, so sessions end when it restarts and are not shared between API processes: set it when running several",
    }),
});

/** Settings read outside loadConfig (the logger reads NODE_ENV before any configuration exists). */
export const settingsReadElsewhere: Readonly<Record<string, SettingDoc>> = {
  NODE_ENV: {
    unit: 'text',
    roles: ALL,
    default: 'unset',
    doc: '`production` keeps the logs in JSON even when standard output is a terminal (`infra/Dockerfile` sets it); otherwise a terminal gets colour logs through `pino-pretty`. Read by the logger (`packages/core/src/logger.ts`), not by `loadConfig`',
  },
};

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
