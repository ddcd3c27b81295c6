import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createDb, type DbHandle } from '@hasad/db';
import { csvInventoryIdentifier, csvInventoryTitle, datasetIdentifier, datasetTitle, FeedServer, generateCsvInventory, mountCatalog } from '@hasad/testkit';
import { runHasad, type CommandResult } from './helpers/cli.ts';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, warnIfMissing } from './helpers/conformance.ts';
import { freePort } from './helpers/free-port.ts';
import { testEnv } from './helpers/pipeline.ts';
import { describeProcesses, killAllRoles, startRoleProcess, type RoleProcess } from './helpers/processes.ts';

// The `hasad` CLI as an operator runs it (packages/cli/bin/hasad.js, what `npx hasad` starts),
// each command a separate process: against a fresh database and queue prefix, with the fetcher
// and loader in their own processes, and feeds served by a real HTTP server on loopback.

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type CliResult = CommandResult;

/** Runs `hasad ARGS` with exactly `env` (plus PATH, HOME and NODE_ENV=test) and resolves once it exits. */
const hasad = (env: Record<string, string>, ...args: string[]): Promise<CliResult> => runHasad({ NODE_ENV: 'test', ...env }, args);

/** What a failed expectation on a CLI call prints: the command and everything it wrote. */
const said = (args: string[], r: CliResult) => `hasad ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

let server: FeedServer;
let dir: string;

beforeAll(async () => {
  server = await FeedServer.start();
  dir = await mkdtemp(join(tmpdir(), 'hasad-cli-e2e-'));
});
afterAll(async () => {
  await killAllRoles();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hasad migrate', () => {
  const name = `hasad_test_cli_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const admin = () => new pg.Client({ connectionString: ADMIN_URL });

  beforeAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
  });
  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  const tables = async () => {
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      const res = await c.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      return res.rows.map((r) => r.table_name);
    } finally {
      await c.end();
    }
  };

  it('creates the tables in an empty database, and a second migrate changes nothing', async () => {
    expect(await tables()).toEqual([]);
    const env = { DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' };
    const first = await hasad(env, 'migrate');
    expect(first.code, said(['migrate'], first)).toBe(0);
    expect(first.json).toEqual({ migrated: true });
    const created = await tables();
    expect(created).toEqual(expect.arrayContaining(['organizations', 'sources', 'source_pages', 'runs', 'run_pages', 'run_batches', 'run_problems', 'datasets', 'dataset_changes']));
    const again = await hasad(env, 'migrate');
    expect(again.code, said(['migrate'], again)).toBe(0);
    expect(await tables()).toEqual(created);
  });
});

describe('hasad org create, source add and harvest --wait with fetcher and loader processes', () => {
  let env: Awaited<ReturnType<typeof testEnv>>;
  let cliEnv: Record<string, string>;
  let h: DbHandle;
  const procs: RoleProcess[] = [];
  let sourceId: string;
  const feed = () => mountCatalog(server, '/cli-ministere', { datasets: 30, pageSize: 10 });
  let ctl: ReturnType<typeof feed>;

  /** `hasad ARGS` with the pipeline's settings; prints the workers' output if the test fails. */
  const run = (ctx: TestContext, ...args: string[]) => {
    ctx.onTestFailed(() => {
      process.stderr.write(`\nworker output for ${ctx.task.name}:\n${describeProcesses(procs)}\n`);
    });
    return hasad(cliEnv, ...args);
  };

  beforeAll(async () => {
    // A fresh migrated database (createTestDatabase) and a private queue prefix.
    env = await testEnv({ HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    cliEnv = env.env;
    h = createDb(cliEnv.DATABASE_URL!, { max: 2 });
    ctl = feed();
    procs.push(startRoleProcess('fetcher', cliEnv), startRoleProcess('loader', cliEnv));
  });
  afterAll(async () => {
    await killAllRoles();
    await h?.close();
    await env?.cleanup();
  });

  it('org create prints the new organisation as JSON', async (ctx) => {
    const args = ['org', 'create', '--slug', 'min-equipement', '--name', "Ministère de l'Équipement et de l'Eau"];
    const r = await run(ctx, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json).toMatchObject({ id: expect.any(String), slug: 'min-equipement', name: "Ministère de l'Équipement et de l'Eau" });
    const { rows } = await h.pool.query('SELECT slug, name FROM organizations WHERE id = $1', [r.json.id]);
    expect(rows).toEqual([{ slug: 'min-equipement', name: "Ministère de l'Équipement et de l'Eau" }]);
  });

  it('source add prints the source id and stores its schedule and config', async (ctx) => {
    const configFile = join(dir, 'dcat-source.json');
    await writeFile(configFile, JSON.stringify({ format: 'turtle' }));
    const args = ['source', 'add', '--org', 'min-equipement', '--kind', 'dcat', '--url', ctl.url, '--schedule', '0 3 * * *', '--config', configFile];
    const r = await run(ctx, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'dcat', url: ctl.url, schedule: '0 3 * * *', config: { format: 'turtle' } });
    sourceId = r.json.id;
    const { rows } = await h.pool.query('SELECT s.kind, s.url, s.schedule, s.config, o.slug FROM sources s JOIN organizations o ON o.id = s.organization_id WHERE s.id = $1', [sourceId]);
    expect(rows).toEqual([{ kind: 'dcat', url: ctl.url, schedule: '0 3 * * *', config: { format: 'turtle' }, slug: 'min-equipement' }]);
  });

  it('source add refuses an organisation that does not exist, saying how to create it', async (ctx) => {
    const args = ['source', 'add', '--org', 'nobody', '--kind', 'dcat', '--url', ctl.url];
    const r = await run(ctx, ...args);
    expect(r.code, said(args, r)).toBe(1);
    expect(r.stderr).toContain('no organisation with slug "nobody"');
    expect(r.stderr).toContain('hasad org create --slug nobody');
  });

  it('source list and show: what an operator reviews from a terminal', async (ctx) => {
    // A source an operator adds from the CLI starts approved.
    const listed = await run(ctx, 'source', 'list');
    expect(listed.code, said(['source', 'list'], listed)).toBe(0);
    expect(listed.json).toEqual([expect.objectContaining({ id: sourceId, kind: 'dcat', url: ctl.url, approvalStatus: 'approved' })]);

    const shown = await run(ctx, 'source', 'show', sourceId);
    expect(shown.code, said(['source', 'show'], shown)).toBe(0);
    expect(shown.json).toMatchObject({ id: sourceId, config: { format: 'turtle' } });
  });

  it('source reject and approve record the review (a reject without --comment is a usage error, tested in program.test.ts)', async (ctx) => {
    const rejectArgs = ['source', 'reject', sourceId, '--by', 'Salma Idrissi'];
    const rejected = await run(ctx, ...rejectArgs, '--comment', 'pas notre flux');
    expect(rejected.code, said(rejectArgs, rejected)).toBe(0);
    expect(rejected.json).toMatchObject({ id: sourceId, approvalStatus: 'rejected', reviewedBy: 'Salma Idrissi', reviewComment: 'pas notre flux' });
    expect((await run(ctx, 'source', 'list', '--status', 'rejected')).json).toEqual([expect.objectContaining({ id: sourceId })]);

    const approved = await run(ctx, 'source', 'approve', sourceId, '--by', 'Salma Idrissi');
    expect(approved.code, said(['source', 'approve'], approved)).toBe(0);
    const { rows } = await h.pool.query('SELECT approval_status, reviewed_by, review_comment FROM sources WHERE id = $1', [sourceId]);
    expect(rows).toEqual([{ approval_status: 'approved', reviewed_by: 'Salma Idrissi', review_comment: null }]);

    const unknown = await run(ctx, 'source', 'approve', '00000000-0000-4000-8000-000000000000', '--by', 'x');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('hasad: no source 00000000-0000-4000-8000-000000000000\n');
  });

  it('harvest --wait exits 0 and prints the finished run when the feed is good', async (ctx) => {
    const args = ['harvest', sourceId, '--wait', '--timeout', '100'];
    const r = await run(ctx, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json).toMatchObject({ sourceId, status: 'succeeded', seen: 30, created: 30, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: 3, finishedAt: expect.any(String) });
    const { rows } = await h.pool.query<{ source_identifier: string; title: unknown }>(`SELECT source_identifier, title FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY 1`, [sourceId]);
    expect(rows).toEqual(Array.from({ length: 30 }, (_, i) => ({ source_identifier: datasetIdentifier(i), title: datasetTitle(i) })));
  });

  it('harvest --wait exits non-zero and prints the failed run when a page answers 500; nothing is withdrawn', async (ctx) => {
    ctl.options.omit = new Set([25, 26]); // on page 3, never reached
    ctl.failPages.set(2, 500);
    const args = ['harvest', sourceId, '--wait', '--timeout', '100'];
    const r = await run(ctx, ...args);
    ctl.failPages.clear();
    ctl.options.omit = new Set();
    expect(r.code, said(args, r)).toBe(1);
    expect(r.json).toMatchObject({ sourceId, status: 'failed', errorCode: 'fetch_status', withdrawn: 0 });
    expect(r.json.error).toContain('HTTP 500');
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND status = 'active'`, [sourceId]);
    expect(rows[0].n).toBe(30);
  });
});

describe('hasad preview and soap operations need neither PostgreSQL nor Redis', () => {
  let offline: Record<string, string>;

  beforeAll(async () => {
    // Ports the OS just handed out and took back: nothing listens there.
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    offline = {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/hasad`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      HASAD_ALLOW_PRIVATE_HOSTS: '1',
      LOG_LEVEL: 'silent',
    };
  });

  it('nothing listens at those addresses: a command that needs the database fails, naming PostgreSQL and the address', async () => {
    const args = ['org', 'create', '--slug', 'x', '--name', 'X'];
    const r = await hasad({ ...offline, DATABASE_URL: offline.DATABASE_URL!.replace('postgres@', 'postgres:s3cret@') }, ...args);
    expect(r.code, said(args, r)).toBe(1);
    expect(r.stderr).toMatch(/^hasad: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/hasad \(DATABASE_URL\): connect ECONNREFUSED/);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('--help on a command prints its usage and examples and exits 0 (it crashed with ERR_PARSE_ARGS_UNKNOWN_OPTION)', async () => {
    for (const args of [['preview', '--help'], ['source', 'add', '--help'], ['harvest', '--help']]) {
      const r = await hasad(offline, ...args);
      expect(r.code, said(args, r)).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: hasad ${args.slice(0, -1).join(' ')} `));
      expect(r.stdout).toContain('Examples:');
      expect(r.stderr).toBe('');
    }
  });

  it('preview --kind dcat --limit 2 prints two normalised records', async () => {
    const ctl = mountCatalog(server, '/cli-preview', { datasets: 12, pageSize: 5 });
    const args = ['preview', '--kind', 'dcat', '--url', ctl.url, '--limit', '2'];
    const served = server.requests.length;
    const r = await hasad(offline, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json.records).toHaveLength(2);
    expect(r.json.records.map((x: { identifier: string; title: unknown }) => [x.identifier, x.title])).toEqual([
      [datasetIdentifier(0), datasetTitle(0)],
      [datasetIdentifier(1), datasetTitle(1)],
    ]);
    expect(r.json).toMatchObject({ problems: [], invalidIdentifiers: [], pages: 1 });
    // Two records sit on page 1: page 2 is never asked for.
    expect(server.requests.slice(served).map((x) => x.path)).toEqual(['/cli-preview/catalog?page=1']);
  });

  it('preview --kind csv prints the records and the column mapping it used', async () => {
    // 50 rows over --limit 3: the mapping note comes with the first batch, so preview shows it
    // without reading the file to its end.
    server.route('/cli-preview/inventaire.csv', { body: generateCsvInventory({ rows: 50 }), contentType: 'text/csv' });
    const args = ['preview', '--kind', 'csv', '--url', `${server.url}/cli-preview/inventaire.csv`, '--limit', '3'];
    const r = await hasad(offline, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json.records.map((x: { identifier: string; title: Record<string, string> }) => [x.identifier, Object.values(x.title)])).toEqual(
      [1, 2, 3].map((i) => [csvInventoryIdentifier(i), [csvInventoryTitle(i)]]),
    );
    const mapping = (r.json.problems as Array<{ code: string; severity: string; message: string }>).find((x) => x.code === 'csv_mapping');
    expect(mapping, JSON.stringify(r.json.problems)).toMatchObject({ severity: 'info', message: expect.stringContaining('columns read by default header recognition') });
    expect(mapping!.message).toContain('"Identifiant" → identifier');
    expect(mapping!.message).toContain('"Titre" → title');
  });

  // NOAA's National Digital Forecast Database WSDL (see ../shared/conformance/soap for its origin).
  const NDFD_WSDL = join(CONFORMANCE_DIR, 'soap', 'noaa-ndfd', 'ndfdXML.wsdl');
  const HAVE_WSDL = HAVE_CONFORMANCE && existsSync(NDFD_WSDL);
  warnIfMissing('the hasad soap operations CLI test (it serves a real WSDL from ../shared/conformance/soap)');
  if (HAVE_CONFORMANCE && !HAVE_WSDL) console.warn(`SKIPPED the hasad soap operations CLI test: ${NDFD_WSDL} not found`);

  it.skipIf(!HAVE_WSDL)('soap operations --url WSDL prints each operation with its SOAPAction', async () => {
    server.route('/cli-soap/ndfdXML.wsdl', { body: readFileSync(NDFD_WSDL), contentType: 'text/xml; charset=utf-8' });
    const args = ['soap', 'operations', '--url', `${server.url}/cli-soap/ndfdXML.wsdl`];
    const r = await hasad(offline, ...args);
    expect(r.code, said(args, r)).toBe(0);
    expect(r.json).toHaveLength(12);
    expect(r.json[0]).toEqual({
      service: 'ndfdXML',
      port: 'ndfdXMLPort',
      binding: 'ndfdXMLBinding',
      operation: 'NDFDgen',
      soapAction: 'http://graphical.weather.gov/xml/DWMLgen/wsdl/ndfdXML.wsdl#NDFDgen',
      soapVersion: '1.1',
      endpoint: 'http://graphical.weather.gov/xml/SOAP_server/ndfdXMLserver.php',
    });
    for (const op of r.json as Array<{ operation: string; soapAction: string }>) {
      expect(op.soapAction).toBe(`http://graphical.weather.gov/xml/DWMLgen/wsdl/ndfdXML.wsdl#${op.operation}`);
    }
    expect(r.json.map((o: { operation: string }) => o.operation)).toContain('LatLonListCityNames');
  });
});
