/**
 * The `hasad` command line (commander): every command with its options, `--help` and examples.
 * `main.ts` runs it; tests build it in-process to walk every command's help.
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, HasadError, loadConfig, parseLimits, queueSettings, type HasadConfig } from '@hasad/core';
import {
  confirmWithdrawals,
  createDb,
  createOrganization,
  createApiToken,
  createSource,
  findOrganizationBySlug,
  getRun,
  getSource,
  listApiTokens,
  listSources,
  reviewSource,
  revokeApiToken,
  runMigrations,
  type DbHandle,
} from '@hasad/db';
import { cancelHarvestRun, checkSchedule, getSourceQuality, rescoreDatasets, type CancelResult } from '@hasad/pipeline';
import { Queues } from '@hasad/queues';
import { adapterKinds, fetchCswCapabilities, fetchCswRecord, getAdapter, listSoapOperations, parseCswConfig, previewSource } from '@hasad/sources';
import { httpOptions, triggerHarvest, waitForRun } from './commands.ts';
import { orgNotify, type OrgNotifyOptions } from './org-notify.ts';
import { ROLES, startRoles, stopOnSignals, type Role } from './runtime.ts';

/**
 * Exit codes, the same for every command: 0 done; 1 the command ran and what it did failed (a
 * harvest that ended failed, an unknown id, a service out of reach); 2 the command line itself
 * was wrong (unknown command or option, missing argument).
 */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const KINDS = adapterKinds();
const SCHEDULE_HELP = 'a cron expression (read in --timezone), hourly, daily, weekly, monthly, or an interval of at least the minimum (HASAD_MIN_SCHEDULE_INTERVAL_MS, 1 hour by default) such as 6h';

/** A command with an "Examples:" block after its options in `--help`. */
function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command('hasad')
    .description('Hasad (حصاد): harvest open-data feeds into one catalogue.\nSettings come from the environment (DATABASE_URL, REDIS_URL, …; see docs/settings.md).')
    .option('--debug', 'print the stack trace of an unexpected error')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Commander exits 1 on a bad command line; Hasad keeps 1 for "it ran and failed".
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(EXIT_USAGE, err.code, err.message);
    });

  examples(program.command('migrate').description('apply the database migrations (holds an advisory lock: safe to run from several places)'), ['hasad migrate']).action(async () => {
    await runMigrations(loadConfig().DATABASE_URL);
    print({ migrated: true });
  });

  examples(
    program
      .command('start')
      .description('run roles in this process until SIGTERM or Ctrl-C (migrates first)')
      .addOption(new Option('--role <roles>', `all, or a comma-separated list of ${ROLES.join(', ')}`).default('all')),
    ['hasad start', 'hasad start --role fetcher', 'hasad start --role api,scheduler'],
  ).action(async (o: { role: string }) => {
    const roles = parseRoles(o.role);
    const config = loadConfig();
    await runMigrations(config.DATABASE_URL);
    stopOnSignals(await startRoles(roles, config));
    keepRunning = true;
  });

  const org = program.command('org').description('organisations (the institutions that publish feeds)');
  examples(org.command('create').description('create an organisation; prints it as JSON').requiredOption('--slug <slug>', 'short name used in URLs').requiredOption('--name <name>', 'display name'), [
    'hasad org create --slug min-eau --name "Ministère de l\'Équipement et de l\'Eau"',
  ]).action((o: { slug: string; name: string }) =>
    withDb(async (h) => {
      print(await createOrganization(h, { slug: o.slug, name: o.name }));
    }),
  );
  examples(
    org
      .command('notify')
      .description('who is told when a source keeps failing or a run needs review; without options, prints the current settings')
      .requiredOption('--slug <slug>', 'the organisation')
      .option('--email <addresses...>', 'e-mail addresses (repeat or separate with commas)')
      .option('--no-email', 'no e-mail notifications')
      .option('--webhook <url>', 'an https URL that receives signed JSON')
      .option('--no-webhook', 'remove the webhook')
      .option('--webhook-secret <secret>', 'the secret the receiver checks X-Hasad-Signature with')
      .option('--rotate-secret', 'make a new webhook secret (printed once)'),
    ['hasad org notify --slug min-eau --email data@eau.gov.ma --webhook https://hooks.eau.gov.ma/hasad', 'hasad org notify --slug min-eau'],
  ).action((o: OrgNotifyOptions) => withDb((h, config) => orgNotify(h, config, o)));

  const source = program.command('source').description("institutions' feeds");
  examples(
    source
      .command('add')
      .description('register a feed for an organisation (pending review until an operator approves it)')
      .requiredOption('--org <slug>', 'the organisation that publishes it')
      .addOption(new Option('--kind <kind>', 'the kind of feed').choices(KINDS).makeOptionMandatory())
      .requiredOption('--url <url>', 'the feed (first page), http or https')
      .option('--schedule <schedule>', SCHEDULE_HELP)
      .option('--timezone <tz>', 'time zone a cron schedule is read in', 'Africa/Casablanca')
      .option('--config <file>', "a JSON file with the kind's config (see docs/sources.md)")
      .option('--title <title>', 'a title for the source'),
    [
      'hasad source add --org min-eau --kind dcat --url https://data.eau.gov.ma/catalog.ttl --schedule daily',
      'hasad source add --org min-eau --kind csv --url https://eau.gov.ma/inventaire.csv --config mapping.json --schedule "0 3 * * *"',
    ],
  ).action((o: { org: string; kind: string; url: string; schedule?: string; timezone: string; config?: string; title?: string }) =>
    withDb(async (h, hasadConfig) => {
      const found = await findOrganizationBySlug(h, o.org);
      if (!found) throw new ConfigError(`no organisation with slug "${o.org}" (create it with: hasad org create --slug ${o.org} --name ...)`);
      const config = o.config ? await readJson(o.config) : {};
      getAdapter(o.kind).parseConfig(config);
      checkUrl(o.url);
      if (o.schedule) checkSchedule(o.schedule, o.timezone, hasadConfig.HASAD_MIN_SCHEDULE_INTERVAL_MS);
      print(await createSource(h, { organizationId: found.id, kind: o.kind, url: o.url, title: o.title ?? null, config, schedule: o.schedule ?? null, timezone: o.timezone }));
    }),
  );
  examples(
    source
      .command('list')
      .description('list sources (one JSON object per source: id, organisation, kind, url, approval, schedule)')
      .option('--org <slug>', "only this organisation's")
      .addOption(new Option('--status <status>', 'only sources in this review state').choices(['pending', 'approved', 'rejected'])),
    ['hasad source list', 'hasad source list --status pending', 'hasad source list --org min-eau'],
  ).action((o: { org?: string; status?: string }) =>
    withDb(async (h) => {
      const organizationId = o.org ? (await organizationOrFail(h, o.org)).id : undefined;
      const rows = (await listSources(h, organizationId ? { organizationId } : {})).filter((s) => !o.status || s.approvalStatus === o.status);
      print(rows.map((s) => ({ id: s.id, organizationId: s.organizationId, kind: s.kind, url: s.url, title: s.title, approvalStatus: s.approvalStatus, enabled: s.enabled, schedule: s.schedule })));
    }),
  );
  examples(source.command('show').description('one source, with its whole config').argument('<source-id>'), ['hasad source show 0b6f…']).action((id: string) =>
    withDb(async (h) => {
      print(await sourceOrFail(h, id));
    }),
  );
  for (const [action, status] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    const cmd = source
      .command(action)
      .description(action === 'approve' ? 'approve a source: it is scheduled from now on' : 'reject a source, saying why')
      .argument('<source-id>')
      .requiredOption('--by <operator>', 'your name, kept with the review');
    if (action === 'approve') cmd.option('--comment <text>', 'a note kept with the review');
    else cmd.requiredOption('--comment <text>', 'why it is rejected (the institution sees it)');
    examples(cmd, [action === 'approve' ? 'hasad source approve 0b6f… --by "Salma Idrissi"' : 'hasad source reject 0b6f… --by "Salma Idrissi" --comment "not our feed"']).action(
      (id: string, o: { by: string; comment?: string }) =>
        withDb(async (h) => {
          const by = o.by.trim();
          if (!by) throw new ConfigError('--by must not be empty');
          await sourceOrFail(h, id);
          print(await reviewSource(h, id, { status, by, comment: o.comment?.trim() || null }));
        }),
    );
  }

  examples(
    program
      .command('harvest')
      .description('harvest a source now (queued for the fetchers); exits 1 if --wait sees the run fail')
      .argument('<source-id>')
      .option('--wait', 'wait until the run is final and print it')
      .option('--timeout <seconds>', 'how long --wait waits', positiveInt('--timeout'), 3600),
    ['hasad harvest 0b6f…', 'hasad harvest 0b6f… --wait --timeout 600'],
  ).action((sourceId: string, o: { wait?: boolean; timeout: number }) =>
    withDb(async (h, config) => {
      const run = await triggerHarvest(h, config, sourceId, 'manual');
      if (!o.wait) return print({ runId: run.id, status: run.status, sourceId });
      const done = await waitForRun(h, run.id, o.timeout * 1000);
      print(done);
      if (done.status !== 'succeeded' && done.status !== 'unchanged') process.exitCode = EXIT_FAILED;
    }),
  );

  const token = program.command('token').description('API tokens (shown once; Hasad keeps only their hash)');
  examples(
    token
      .command('create')
      .description("an organisation's token (--org) or an operator's (--operator); printed once")
      .addOption(new Option('--org <slug>', "the organisation's token").conflicts('operator'))
      .option('--operator <name>', "an operator's token (every organisation, approves sources)")
      .option('--expires <when>', 'a duration (90d, 12h, 30m) or a date (2026-12-31)'),
    ['hasad token create --org min-eau --expires 90d', 'hasad token create --operator "Salma Idrissi"'],
  ).action((o: { org?: string; operator?: string; expires?: string }) =>
    withDb(async (h) => {
      if (!o.org === !o.operator) throw new ConfigError('token create needs either --org SLUG or --operator NAME');
      const expiresAt = o.expires ? parseExpiry(o.expires) : null;
      let created;
      if (o.org) {
        const found = await findOrganizationBySlug(h, o.org);
        if (!found) throw new ConfigError(`no organisation with slug "${o.org}" (create it with: hasad org create --slug ${o.org} --name ...)`);
        created = await createApiToken(h, { role: 'organization', organizationId: found.id }, { expiresAt });
      } else {
        created = await createApiToken(h, { role: 'operator', operatorName: o.operator! }, { expiresAt });
      }
      print({ token: created.token, ...created.info, note: 'the token is shown only now: store it; Hasad keeps only its hash' });
    }),
  );
  examples(token.command('list').description('tokens (never the secret itself)').option('--org <slug>', "only this organisation's"), ['hasad token list --org min-eau']).action((o: { org?: string }) =>
    withDb(async (h) => {
      const organizationId = o.org ? (await organizationOrFail(h, o.org)).id : undefined;
      print(await listApiTokens(h, organizationId ? { organizationId } : {}));
    }),
  );
  examples(token.command('revoke').description('revoke a token: it stops working at once').argument('<token-id>', 'the id shown by token list'), ['hasad token revoke 5d1c…']).action((id: string) =>
    withDb(async (h) => {
      const info = await revokeApiToken(h, id);
      if (!info) throw new ConfigError(`no token ${id}`);
      print(info);
    }),
  );

  const run = program.command('run').description('harvest runs');
  examples(run.command('show').description('a run with its counts and status').argument('<run-id>'), ['hasad run show 9a41…']).action((id: string) =>
    withDb(async (h) => {
      const found = await getRun(h, id);
      if (!found) throw new ConfigError(`no run ${id}`);
      print(found);
    }),
  );
  examples(run.command('confirm').description('a run waiting for review: withdraw what it would withdraw').argument('<run-id>'), ['hasad run confirm 9a41…']).action((id: string) =>
    withDb(async (h) => {
      print({ runId: id, ...(await confirmWithdrawals(h, id)) });
    }),
  );
  examples(
    run
      .command('cancel')
      .description('a queued or running run: stop it at its next page boundary, withdrawing nothing; a run waiting for review: withdraw nothing')
      .argument('<run-id>'),
    ['hasad run cancel 9a41…'],
  ).action((id: string) =>
    withDb(async (h, config) => {
      const queues = new Queues(queueSettings(config));
      let res: CancelResult;
      try {
        res = await cancelHarvestRun({ db: h, queues }, id, 'the CLI');
      } finally {
        await queues.close();
      }
      if (res.outcome === 'not_found') throw new ConfigError(`no run ${id}`);
      if (res.outcome === 'final') throw new ConfigError(`run ${id} is ${res.run.status}: only a queued, running or needs_review run can be cancelled`);
      print({ runId: id, outcome: res.outcome, status: res.run.status, cancelled: true });
    }),
  );

  examples(
    program
      .command('preview')
      .description('read a feed as Hasad would, without storing anything: its first records and every problem (when a later page fails: what the pages before it gave, then the error, exit 1)')
      .addOption(new Option('--kind <kind>', 'the kind of feed').choices(KINDS).default('dcat'))
      .requiredOption('--url <url>', 'the feed (first page)')
      .option('--limit <n>', 'records at most', positiveInt('--limit'), 20)
      .option('--config <file>', "a JSON file with the kind's config"),
    ['hasad preview --url https://data.eau.gov.ma/catalog.ttl', 'hasad preview --kind csv --url https://eau.gov.ma/inventaire.csv --config mapping.json --limit 5'],
  ).action(async (o: { kind: string; url: string; limit: number; config?: string }) => {
    const config = loadConfig();
    const srcConfig = o.config ? await readJson(o.config) : {};
    const res = await previewSource(o.kind, o.url, srcConfig, { limit: o.limit, http: httpOptions(config), limits: parseLimits(config) });
    print(res);
    // The records of the pages before a failing page are printed, then the error; the exit code says it failed.
    if (res.error) {
      process.stderr.write(`page ${res.error.pageNo} failed: ${res.error.code}: ${res.error.message}\n`);
      process.exitCode = EXIT_FAILED;
    }
  });

  const soap = program.command('soap').description('SOAP services');
  examples(soap.command('operations').description("a SOAP service's operations and SOAPActions, from its WSDL").requiredOption('--url <wsdl-url>', 'the WSDL'), [
    'hasad soap operations --url https://services.example.gov.ma/Catalogue?wsdl',
  ]).action(async (o: { url: string }) => {
    print(await listSoapOperations(o.url, httpOptions(loadConfig())));
  });

  const csw = program.command('csw').description('CSW geoportals (GeoNetwork, pycsw): see docs/sources-csw.md');
  examples(csw.command('capabilities').description("a CSW service's versions, output schemas, constraint languages and endpoints").requiredOption('--url <csw-url>', 'the CSW endpoint'), [
    'hasad csw capabilities --url https://geoportail.example.ma/geonetwork/srv/fre/csw',
  ]).action(async (o: { url: string }) => {
    print(await fetchCswCapabilities(o.url, httpOptions(loadConfig())));
  });
  examples(
    csw
      .command('record')
      .description('one record by identifier (GetRecordById), mapped as a harvest would')
      .requiredOption('--url <csw-url>', 'the CSW endpoint')
      .requiredOption('--id <id>', "the record's identifier")
      .option('--config <file>', "a JSON file with the source's csw config"),
    ['hasad csw record --url https://geoportail.example.ma/geonetwork/srv/fre/csw --id 3e9a8c05'],
  ).action(async (o: { url: string; id: string; config?: string }) => {
    const srcConfig = parseCswConfig(o.config ? await readJson(o.config) : {});
    print(await fetchCswRecord(o.url, o.id, srcConfig, httpOptions(loadConfig())));
  });

  const quality = program.command('quality').description('metadata quality');
  examples(
    quality
      .command('rescore')
      .description('score datasets without a (current) quality score')
      .option('--source <source-id>', "only this source's datasets")
      .option('--all', 'every dataset, scored or not'),
    ['hasad quality rescore', 'hasad quality rescore --source 0b6f… --all'],
  ).action((o: { source?: string; all?: boolean }) =>
    withDb(async (h) => {
      const started = performance.now();
      const res = await rescoreDatasets(h, { ...(o.source ? { sourceId: o.source } : {}), all: o.all ?? false });
      print({ ...res, seconds: Math.round((performance.now() - started) / 100) / 10 });
    }),
  );
  examples(quality.command('show').description("a source's metadata quality (as GET /api/v1/sources/:id/quality)").argument('<source-id>'), ['hasad quality show 0b6f…']).action((id: string) =>
    withDb(async (h) => {
      await sourceOrFail(h, id);
      print(await getSourceQuality(h, id));
    }),
  );

  examples(program.command('demo').description('everything, with a demo feed on loopback; Ctrl-C stops it'), ['npm run demo']).action(async () => {
    const { runDemo } = await import('./demo.ts');
    await runDemo();
    keepRunning = true;
  });

  return program;
}

/** Set by the commands that serve until a signal (start, demo): the process is not exited after them. */
let keepRunning = false;
export const servesUntilSignal = (): boolean => keepRunning;

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

async function organizationOrFail(h: DbHandle, slug: string) {
  const found = await findOrganizationBySlug(h, slug);
  if (!found) throw new ConfigError(`no organisation with slug "${slug}"`);
  return found;
}

async function sourceOrFail(h: DbHandle, id: string) {
  const found = await getSource(h, id);
  if (!found || found.deletedAt) throw new ConfigError(`no source ${id}`);
  return found;
}

async function withDb(fn: (h: DbHandle, config: HasadConfig) => Promise<unknown>): Promise<void> {
  const config = loadConfig();
  const h = createDb(config.DATABASE_URL, { max: 2, applicationName: 'hasad-cli' });
  try {
    await fn(h, config);
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
  if (Array.isArray(e.errors))
    for (const x of e.errors) {
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

