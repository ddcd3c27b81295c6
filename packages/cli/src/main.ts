import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, HasadError, loadConfig, type HasadConfig } from '@hasad/core';
import {
  cancelWithdrawals,
  confirmWithdrawals,
  createDb,
  createOrganization,
  createApiToken,
  createSource,
  findOrganizationBySlug,
  getRun,
  getSourceQuality,
  listApiTokens,
  rescoreDatasets,
  revokeApiToken,
  runMigrations,
  type DbHandle,
} from '@hasad/db';
import { checkSchedule } from '@hasad/scheduler';
import { getAdapter, listSoapOperations, previewSource } from '@hasad/sources';
import { httpOptions, triggerHarvest, waitForRun } from './commands.ts';
import { orgNotify } from './org-notify.ts';
import { ROLES, startRoles, stopOnSignals, type Role } from './runtime.ts';

const USAGE = `hasad: harvest open-data feeds into one catalogue

Usage:
  hasad migrate                                  apply database migrations
  hasad start [--role all|api|scheduler|fetcher|loader[,...]]
  hasad org create --slug SLUG --name NAME        prints the organisation as JSON
  hasad org notify --slug SLUG [--email ADDR]... [--no-email] [--webhook URL | --no-webhook] [--webhook-secret S | --rotate-secret]
                                                 who is told when a source keeps failing or a run needs review
  hasad source add --org SLUG --kind dcat|csv|soap|ckan --url URL [--schedule CRON|30m|6h|daily] [--config FILE] [--title T]
  hasad harvest SOURCE_ID [--wait] [--timeout SECONDS]
  hasad token create --org SLUG [--expires 90d|DATE]   prints a new API token once (store it: it cannot be shown again)
  hasad token create --operator NAME [--expires ...]   an operator's token (every organisation, approves sources)
  hasad token list [--org SLUG] | hasad token revoke TOKEN_ID
  hasad run show RUN_ID | hasad run confirm RUN_ID | hasad run cancel RUN_ID
  hasad preview --kind dcat|csv|soap|ckan --url URL [--limit N] [--config FILE]
  hasad soap operations --url WSDL_URL             list a SOAP service's operations and SOAPActions
  hasad quality rescore [--source ID] [--all]     score datasets without a (current) quality score; --all: every one
  hasad quality show SOURCE_ID                    a source's metadata quality (as GET /api/v1/sources/:id/quality)
  hasad demo                                     everything, with a demo feed on loopback

Settings come from the environment (DATABASE_URL, REDIS_URL, ...; see the README).`;

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  switch (cmd) {
    case 'migrate': {
      const config = loadConfig();
      await runMigrations(config.DATABASE_URL);
      print({ migrated: true });
      return 0;
    }
    case 'start': {
      const { values } = parseArgs({ args: argv.slice(1), options: { role: { type: 'string', default: 'all' } } });
      const roles = parseRoles(values.role!);
      const config = loadConfig();
      await runMigrations(config.DATABASE_URL);
      const rt = await startRoles(roles, config);
      stopOnSignals(rt);
      return -1; // keep running
    }
    case 'org':
      if (sub === 'notify') return withDb((h, config) => orgNotify(h, config, rest));
      if (sub !== 'create') break;
      return withDb(async (h) => {
        const { values } = parseArgs({ args: rest, options: { slug: { type: 'string' }, name: { type: 'string' } } });
        if (!values.slug || !values.name) throw new ConfigError('org create needs --slug and --name');
        print(await createOrganization(h.db, { slug: values.slug, name: values.name }));
        return 0;
      });
    case 'source':
      if (sub !== 'add') break;
      return withDb(async (h, hasadConfig) => {
        const { values } = parseArgs({
          args: rest,
          options: { org: { type: 'string' }, kind: { type: 'string' }, url: { type: 'string' }, schedule: { type: 'string' }, config: { type: 'string' }, title: { type: 'string' }, timezone: { type: 'string' } },
        });
        if (!values.org || !values.kind || !values.url) throw new ConfigError('source add needs --org, --kind and --url');
        const org = await findOrganizationBySlug(h.db, values.org);
        if (!org) throw new ConfigError(`no organisation with slug "${values.org}" (create it with: hasad org create --slug ${values.org} --name ...)`);
        const config = values.config ? await readJson(values.config) : {};
        getAdapter(values.kind).parseConfig(config);
        checkUrl(values.url);
        const timezone = values.timezone ?? 'Africa/Casablanca';
        if (values.schedule) checkSchedule(values.schedule, timezone, hasadConfig.HASAD_MIN_SCHEDULE_INTERVAL_MS);
        const src = await createSource(h.db, { organizationId: org.id, kind: values.kind, url: values.url, title: values.title ?? null, config, schedule: values.schedule ?? null, timezone });
        print(src);
        return 0;
      });
    case 'token':
      return withDb(async (h) => {
        if (sub === 'create') {
          const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, operator: { type: 'string' }, expires: { type: 'string' } } });
          if (!values.org === !values.operator) throw new ConfigError('token create needs either --org SLUG or --operator NAME');
          const expiresAt = values.expires ? parseExpiry(values.expires) : null;
          let created;
          if (values.org) {
            const org = await findOrganizationBySlug(h.db, values.org);
            if (!org) throw new ConfigError(`no organisation with slug "${values.org}" (create it with: hasad org create --slug ${values.org} --name ...)`);
            created = await createApiToken(h.db, { role: 'organization', organizationId: org.id }, { expiresAt });
          } else {
            created = await createApiToken(h.db, { role: 'operator', operatorName: values.operator! }, { expiresAt });
          }
          print({ token: created.token, ...created.info, note: 'the token is shown only now: store it; Hasad keeps only its hash' });
          return 0;
        }
        if (sub === 'list') {
          const { values } = parseArgs({ args: rest, options: { org: { type: 'string' } } });
          let organizationId: string | undefined;
          if (values.org) {
            const org = await findOrganizationBySlug(h.db, values.org);
            if (!org) throw new ConfigError(`no organisation with slug "${values.org}"`);
            organizationId = org.id;
          }
          print(await listApiTokens(h.db, organizationId ? { organizationId } : {}));
          return 0;
        }
        if (sub === 'revoke') {
          const id = rest[0];
          if (!id) throw new ConfigError('token revoke needs a TOKEN_ID (see hasad token list)');
          const info = await revokeApiToken(h.db, id);
          if (!info) throw new ConfigError(`no token ${id}`);
          print(info);
          return 0;
        }
        throw new ConfigError(`unknown token command "${sub ?? ''}"; use create, list or revoke`);
      });
    case 'harvest':
      return withDb(async (h, config) => {
        const { values, positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true, options: { wait: { type: 'boolean', default: false }, timeout: { type: 'string', default: '3600' } } });
        const sourceId = positionals[0];
        if (!sourceId) throw new ConfigError('harvest needs a SOURCE_ID');
        const run = await triggerHarvest(h, config, sourceId, 'manual');
        if (!values.wait) {
          print({ runId: run.id, status: run.status, sourceId });
          return 0;
        }
        const done = await waitForRun(h, run.id, Number(values.timeout) * 1000);
        print(done);
        return done.status === 'succeeded' || done.status === 'unchanged' ? 0 : 1;
      });
    case 'run':
      return withDb(async (h) => {
        const runId = rest[0];
        if (!runId) throw new ConfigError(`run ${sub ?? ''} needs a RUN_ID`);
        if (sub === 'confirm') print({ runId, ...(await confirmWithdrawals(h.pool, runId)) });
        else if (sub === 'cancel') {
          await cancelWithdrawals(h.pool, runId);
          print({ runId, cancelled: true });
        } else if (sub === 'show') {
          const run = await getRun(h.db, runId);
          if (!run) throw new ConfigError(`no run ${runId}`);
          print(run);
        } else throw new ConfigError(`unknown run command "${sub}"`);
        return 0;
      });
    case 'quality':
      return withDb(async (h) => {
        if (sub === 'rescore') {
          const { values } = parseArgs({ args: rest, options: { source: { type: 'string' }, all: { type: 'boolean', default: false } } });
          const started = performance.now();
          const res = await rescoreDatasets(h.db, { ...(values.source ? { sourceId: values.source } : {}), all: values.all ?? false });
          print({ ...res, seconds: Math.round((performance.now() - started) / 100) / 10 });
          return 0;
        }
        if (sub === 'show') {
          const sourceId = rest[0];
          if (!sourceId) throw new ConfigError('quality show needs a SOURCE_ID');
          if (!(await h.pool.query('SELECT 1 FROM sources WHERE id::text = $1', [sourceId])).rowCount) throw new ConfigError(`no source ${sourceId}`);
          print(await getSourceQuality(h.db, sourceId));
          return 0;
        }
        throw new ConfigError(`unknown quality command "${sub ?? ''}"; use rescore or show`);
      });
    case 'preview': {
      const config = loadConfig();
      const { values } = parseArgs({ args: argv.slice(1), options: { kind: { type: 'string', default: 'dcat' }, url: { type: 'string' }, limit: { type: 'string', default: '20' }, config: { type: 'string' } } });
      if (!values.url) throw new ConfigError('preview needs --url');
      const srcConfig = values.config ? await readJson(values.config) : {};
      const res = await previewSource(values.kind!, values.url, srcConfig, { limit: Number(values.limit), http: httpOptions(config) });
      print(res);
      return 0;
    }
    case 'soap': {
      if (sub !== 'operations') break;
      const config = loadConfig();
      const { values } = parseArgs({ args: rest, options: { url: { type: 'string' } } });
      if (!values.url) throw new ConfigError('soap operations needs --url WSDL_URL');
      print(await listSoapOperations(values.url, httpOptions(config)));
      return 0;
    }
    case 'demo': {
      const { runDemo } = await import('./demo.ts');
      await runDemo();
      return -1;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${USAGE}\n`);
  return 2;
}

function parseRoles(s: string): Role[] {
  if (s === 'all') return [...ROLES];
  const roles = s.split(',').map((r) => r.trim());
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length) throw new ConfigError(`unknown role(s) ${bad.join(', ')}; use all or some of ${ROLES.join(', ')}`);
  return roles as Role[];
}

/** `--expires`: a duration from now (`90d`, `12h`, `30m`) or a date/time (`2026-12-31`, ISO 8601). */
function parseExpiry(s: string, now = Date.now()): Date {
  const m = /^(\d+)\s*([mhd])$/.exec(s.trim());
  if (m) return new Date(now + Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new ConfigError(`--expires "${s}" is neither a duration (90d, 12h, 30m) nor a date (2026-12-31)`);
  if (t <= now) throw new ConfigError(`--expires "${s}" is in the past`);
  return new Date(t);
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`"${url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`"${url}" must be http or https`);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
}

async function withDb(fn: (h: DbHandle, config: HasadConfig) => Promise<number>): Promise<number> {
  const config = loadConfig();
  const h = createDb(config.DATABASE_URL, { max: 2, applicationName: 'hasad-cli' });
  try {
    return await fn(h, config);
  } catch (err) {
    const cause = connectionFailure(err);
    if (cause) throw new ConfigError(`cannot reach PostgreSQL at ${redactUrl(config.DATABASE_URL)} (DATABASE_URL): ${cause}`);
    throw err;
  } finally {
    await h.close().catch(() => {});
  }
}

/** Error codes that mean the database could not be reached or entered, not that a statement failed. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '3D000', '28P01', '28000', '57P03']);

/**
 * The message of a connection failure somewhere in `err`'s chain (drizzle wraps the driver's
 * error as `cause` and reports only "Failed query: …"; a refused connection to a host with
 * several addresses is an AggregateError), or undefined.
 */
function connectionFailure(err: unknown, depth = 0): string | undefined {
  if (depth > 5 || err === null || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return typeof e.message === 'string' && e.message !== '' ? e.message : e.code;
  if (Array.isArray(e.errors)) for (const x of e.errors) {
    const m = connectionFailure(x, depth + 1);
    if (m) return m;
  }
  return connectionFailure(e.cause, depth + 1);
}

/** A connection URL with its password hidden, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof HasadError) process.stderr.write(`hasad: ${err.message}\n`);
    else process.stderr.write(`hasad: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
