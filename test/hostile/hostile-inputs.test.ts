import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, type Run } from '@hasad/db';
import { signInDashboard } from '../helpers/dashboard.ts';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import {
  catalogue,
  COMMENT_FILLER,
  gzipBomb,
  parseCsv,
  printTable,
  probeHealth,
  HEALTH_MAX_MS,
  startCanary,
  startHostileServer,
  stream,
  watchMemory,
  type CaseOutcome,
  type Handler,
  type HostileServer,
} from './support.ts';

/**
 * The hostile-input suite (issue 4): an institution's feed turns hostile. The whole pipeline
 * (the API, fetcher and loader in one process, real Redis, real PostgreSQL) harvests from a loopback server with
 * the address rules ON (HASAD_ALLOW_PRIVATE_HOSTS=0) and only the feed server's own address and
 * port allow-listed (HASAD_ALLOW_HOSTS=127.0.0.1:PORT): every other loopback, private or
 * link-local target is refused by the rules, before any connection. Canary servers listen where
 * the redirects point and must never see a request.
 *
 * For every case: the run fails with a clear error (or, for CSV formulas, the record is kept as
 * published and neutralised in the dashboard's CSV export), the API keeps serving (/healthz, and
 * the public catalogue answers what it answered before), the worker stays up (a healthy source
 * harvests fine right after), memory stays bounded, and no existing dataset changes.
 */

const MiB = 1024 * 1024;
const GB2 = 2 * 1024 * MiB;
const outcomes: CaseOutcome[] = [];

let server: HostileServer;
const canaries: HostileServer[] = [];
let otherPort: HostileServer; // 127.0.0.1 on another port
let v6: HostileServer | undefined; // [::1] on the feed server's port
let loopback2: HostileServer | undefined; // 127.0.0.2 on the feed server's port
let bomb: Buffer;

beforeAll(async () => {
  server = await startHostileServer();
  otherPort = (await startCanary('127.0.0.1'))!;
  v6 = await startCanary('::1', server.port);
  loopback2 = await startCanary('127.0.0.2', server.port);
  canaries.push(otherPort, ...[v6, loopback2].filter((c): c is HostileServer => c !== undefined));
  bomb = await gzipBomb(400 * MiB);
});

afterAll(async () => {
  printTable('hostile-input suite: every case, and what the user sees', outcomes);
  await Promise.all([server?.close(), ...canaries.map((c) => c.close())]);
});

/** Every dataset row, as a comparable snapshot. */
async function snapshot(p: TestPipeline) {
  const res = await p.rt.db.pool.query('SELECT id, source_id, source_identifier, status, content_hash, updated_at, record FROM datasets ORDER BY id');
  return res.rows;
}

/** The API role's settings: listening on a port of the OS's choosing, in the test's process. */
const API_ENV = { PORT: '0', HOST: '127.0.0.1' };

/** GET `path` from the running API: status and parsed body. */
async function apiGet(p: TestPipeline, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${p.rt.apiUrl}${path}`);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

/** What the public catalogue API answers for the datasets of each source, by source id. */
async function catalogueRead(p: TestPipeline, sourceIds: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const id of sourceIds) {
    const res = await apiGet(p, `/api/v1/datasets?source=${id}&limit=200&sort=id`);
    expect(res.status, `GET /api/v1/datasets?source=${id}: ${JSON.stringify(res.body)}`).toBe(200);
    out[id] = res.body.items;
  }
  return out;
}

/**
 * The API keeps serving in the same process as the workers that met the hostile feed: alive,
 * and the public catalogue answers exactly what it answered before.
 */
async function expectApiServes(p: TestPipeline, before: Record<string, unknown>): Promise<void> {
  const health = await apiGet(p, '/healthz');
  expect(health.status, 'GET /healthz').toBe(200);
  expect(await catalogueRead(p, Object.keys(before))).toEqual(before);
}

interface HostileCase {
  name: string;
  /** Path on the feed server; the route answers a healthy catalogue first, then `hostile`. */
  path: string;
  hostile: Handler;
  /** What the run's error must say. */
  error: RegExp;
  /** Peak RSS growth allowed during the hostile harvest, MB. */
  maxRssGrowthMb?: number;
  kind?: string;
  config?: unknown;
  healthy?: Handler;
}

function suite(title: string, env: Record<string, string>, cases: () => HostileCase[]) {
  describe(title, () => {
    let p: TestPipeline;
    let healthyId: string;

    beforeAll(async () => {
      p = await startTestPipeline(['api', 'fetcher', 'loader'], {
        ...API_ENV,
        HASAD_ALLOW_PRIVATE_HOSTS: '0',
        HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
        // Transient failures (timeouts) fail the run at once instead of being retried.
        HASAD_HARVEST_ATTEMPTS: '1',
        ...env,
      });
      healthyId = await p.addSource(server.route(`/healthy-${title.length}`, catalogue(`${server.url}/healthy-${title.length}`, 10)));
      expect(await p.harvest(healthyId)).toMatchObject({ status: 'succeeded', created: 10 });
    });
    afterAll(async () => {
      await p?.close();
    });

    for (const c of cases()) {
      it(c.name, async () => {
        const route = server.phased(c.path, c.healthy ?? catalogue(`${server.url}${c.path}`), c.hostile);
        const sourceId = await p.addSource(route.url, { ...(c.kind !== undefined && { kind: c.kind }), ...(c.config !== undefined && { config: c.config }) });
        const first = await p.harvest(sourceId);
        expect(first.status, first.error ?? '').toBe('succeeded');
        const before = await snapshot(p);
        const served = await catalogueRead(p, [healthyId, sourceId]);
        expect((served[sourceId] as unknown[]).length).toBeGreaterThan(0);
        route.flip();

        const started = Date.now();
        const memory = watchMemory();
        const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
        let run: Run;
        let health: Awaited<ReturnType<typeof probe.stop>>;
        try {
          run = await p.harvest(sourceId);
        } finally {
          health = await probe.stop();
          const growth = memory.stop();
          outcomes.push({ case: c.name, outcome: '(pending)', error: '', rssGrowthMb: growth, seconds: (Date.now() - started) / 1000 });
        }
        const row = outcomes[outcomes.length - 1] as CaseOutcome;
        row.outcome = `run ${run.status} (${run.errorCode ?? '-'})`;
        row.error = run.error ?? '';
        // The API answered all along, while its process's workers met the hostile feed.
        expect(health.failures, 'GET /healthz during the hostile harvest').toEqual([]);
        expect(health.answered).toBeGreaterThan(0);
        expect(health.maxMs, 'slowest /healthz, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);

        expect(run.status, run.error ?? '').toBe('failed');
        expect(run.error).toMatch(c.error);
        expect(row.rssGrowthMb, 'resident memory growth, MB').toBeLessThan(c.maxRssGrowthMb ?? 200);
        // No dataset changed: not this source's (nothing withdrawn after a failed run), nor any other.
        expect(await snapshot(p)).toEqual(before);
        // The API (same process) still answers, and the catalogue it serves did not change.
        await expectApiServes(p, served);
        // The worker is still up and harvesting.
        expect(await p.harvest(healthyId)).toMatchObject({ status: 'unchanged', seen: 10 });
        expect((await apiGet(p, '/healthz')).status).toBe(200);
        row.outcome += `; API serving (healthz ≤ ${health.maxMs} ms)`;
        for (const canary of canaries) expect(canary.requests, `${canary.url} was contacted`).toEqual([]);
      });
    }
  });
}

const redirect =
  (to: () => string): Handler =>
  (_req, res) =>
    void res.writeHead(302, { location: to() }).end();

const RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/"';
const laughs = (root: string, use: string) => `<?xml version="1.0"?>
<!DOCTYPE ${root} [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
${use.replace('ENTITY', '&lol9;')}`;
const xxe = (root: string, use: string) => `<?xml version="1.0"?>
<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
${use.replace('ENTITY', '&xxe;')}`;
const rdfDataset = `<rdf:RDF ${RDF_NS}><dcat:Dataset rdf:about="https://x.ma/d/1"><dct:identifier>ds-000001</dct:identifier><dct:title>ENTITY</dct:title></dcat:Dataset></rdf:RDF>`;
const rdfXml =
  (doc: string): Handler =>
  (_req, res) =>
    void res.writeHead(200, { 'content-type': 'application/rdf+xml' }).end(doc);

const LATIN1_TURTLE = '@prefix dct: <http://purl.org/dc/terms/> .\n<https://x.ma/d/1> a <http://www.w3.org/ns/dcat#Dataset> ; dct:title "Qualité de l\'eau"@fr .\n';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const soapBody = (items: string) => `<soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><GetResponse>${items}</GetResponse></soap:Body></soap:Envelope>`;
const soapItem = (id: string, title: string) => `<item><id>${id}</id><title>${title}</title></item>`;
const soapAnswer =
  (doc: string): Handler =>
  async (req, res) => {
    for await (const _ of req); // read the request envelope
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(doc);
  };
const SOAP_CONFIG = { envelope: '<Get xmlns="urn:test"/>', paging: { mode: 'none' }, recordPath: 'Body/GetResponse/item', fields: { identifier: 'id', 'title.fr': 'title' } };
const soapHealthy = soapAnswer(soapBody(soapItem('s-1', 'Qualité de l’eau') + soapItem('s-2', 'Barrages')));

suite('hostile feeds (default limits: 200 MiB per page, 5 redirects)', {}, () => [
  {
    name: 'redirect to 127.0.0.1 on another port',
    path: '/to-loopback',
    hostile: redirect(() => `${otherPort.url}/`),
    error: /refused to fetch http:\/\/127\.0\.0\.1:\d+\/: address 127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\); private and loopback hosts are not allowed; the allow-list covers it only on port \d+/,
  },
  {
    name: 'redirect to 127.0.0.2 (same port as the feed)',
    path: '/to-loopback-2',
    hostile: redirect(() => `http://127.0.0.2:${server.port}/`),
    error: /address 127\.0\.0\.2 is loopback \(127\.0\.0\.0\/8\)/,
  },
  {
    name: 'redirect to 169.254.169.254 (cloud metadata)',
    path: '/to-metadata',
    hostile: redirect(() => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
    error: /address 169\.254\.169\.254 is link-local \(169\.254\.0\.0\/16\), which covers cloud metadata endpoints/,
  },
  {
    name: 'redirect to [::1] (same port as the feed)',
    path: '/to-v6-loopback',
    hostile: redirect(() => `http://[::1]:${server.port}/`),
    error: /address ::1 is loopback \(::1\)/,
  },
  {
    name: 'redirect to [::ffff:169.254.169.254] (IPv4-mapped)',
    path: '/to-mapped',
    hostile: redirect(() => 'http://[::ffff:169.254.169.254]/latest/meta-data/'),
    error: /IPv4-mapped IPv6 address \(::ffff:0:0\/96\) of 169\.254\.169\.254, which is link-local/,
  },
  {
    name: 'redirect to 10.0.0.1 (private)',
    path: '/to-private',
    hostile: redirect(() => 'http://10.0.0.1/admin'),
    error: /address 10\.0\.0\.1 is private \(10\.0\.0\.0\/8\)/,
  },
  {
    name: 'DNS name resolving to a private address (localhost)',
    path: '/to-localhost',
    hostile: redirect(() => `http://localhost:${otherPort.port}/`),
    error: /address 127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\) \(localhost resolves to 127\.0\.0\.1\)/,
  },
  {
    name: 'redirect to a file: URL',
    path: '/to-file',
    hostile: redirect(() => 'file:///etc/passwd'),
    error: /scheme "file" is not allowed \(only http and https\)/,
  },
  {
    name: 'endless redirect chain',
    path: '/loop',
    hostile: (req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '0');
      res.writeHead(302, { location: `/loop?n=${n + 1}` }).end();
    },
    error: /more than 5 redirects \(maxRedirects\), last to \/loop\?n=6/,
  },
  {
    name: '2 GB body, streamed (an endless Turtle comment)',
    path: '/huge-streamed',
    hostile: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      return stream(res, COMMENT_FILLER, GB2);
    },
    error: /response body exceeds the limit of 209715200 bytes \(maxBytes\); stopped after reading 2(?:09|10)\d{6} bytes/,
  },
  {
    name: '2 GB body, declared (Content-Length, zeros)',
    path: '/huge-declared',
    hostile: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle', 'content-length': String(GB2) });
      return stream(res, Buffer.alloc(64 * 1024), GB2);
    },
    error: /response body exceeds the limit of 209715200 bytes \(maxBytes\); Content-Length is 2147483648 bytes/,
  },
  {
    name: `gzip bomb (0.8 MB inflating to 400 MiB)`,
    path: '/bomb',
    hostile: (_req, res) => void res.writeHead(200, { 'content-type': 'text/turtle', 'content-encoding': 'gzip' }).end(bomb),
    error: /response body exceeds the limit of 209715200 bytes \(maxBytes\); stopped after reading/,
  },
  {
    name: 'gzip inside gzip (two Content-Encoding layers)',
    path: '/double-gzip',
    hostile: (_req, res) => void res.writeHead(200, { 'content-type': 'text/turtle', 'content-encoding': 'gzip, gzip' }).end(bomb),
    error: /the body has 2 Content-Encoding layers \(gzip, gzip\); at most one is accepted/,
  },
  {
    name: 'HTML page with status 200 where DCAT was expected',
    path: '/html',
    hostile: (_req, res) =>
      void res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!DOCTYPE html>\n<html lang="fr"><head><title>Portail open data</title></head><body><p>Le catalogue a déménagé.</p></body></html>'),
    error: /the server answered an HTML page \(Content-Type text\/html; charset=utf-8\) where an RDF document was expected; check the feed URL/,
  },
  {
    name: 'invalid UTF-8 (Latin-1 bytes sent as UTF-8)',
    path: '/latin1',
    hostile: (_req, res) => void res.writeHead(200, { 'content-type': 'text/turtle; charset=utf-8' }).end(Buffer.from(LATIN1_TURTLE, 'latin1')),
    error: new RegExp(`the document is not valid UTF-8: invalid byte sequence at byte ${LATIN1_TURTLE.indexOf('é')} \\(0xE9\\); declare the real charset`),
  },
  {
    name: 'RDF/XML billion laughs',
    path: '/rdf-laughs',
    hostile: rdfXml(laughs('rdf:RDF', rdfDataset)),
    error: /could not parse RDF\/XML from .* at line 2, column 1: the document has a DOCTYPE with an internal subset \(entity declarations\); refused, because entity expansion enables XXE and billion-laughs attacks/,
  },
  {
    name: 'RDF/XML XXE (file:///etc/passwd)',
    path: '/rdf-xxe',
    hostile: rdfXml(xxe('rdf:RDF', rdfDataset)),
    error: /the document has a DOCTYPE with an internal subset \(entity declarations\); refused/,
  },
  {
    name: 'SOAP billion laughs',
    path: '/soap-laughs',
    kind: 'soap',
    config: SOAP_CONFIG,
    healthy: soapHealthy,
    hostile: soapAnswer(laughs('soap:Envelope', soapBody(soapItem('s-1', 'ENTITY')))),
    error: /the document contains <!DOCTYPE>: document type declarations and entities are refused/,
  },
  {
    name: 'SOAP XXE (file:///etc/passwd)',
    path: '/soap-xxe',
    kind: 'soap',
    config: SOAP_CONFIG,
    healthy: soapHealthy,
    hostile: soapAnswer(xxe('soap:Envelope', soapBody(soapItem('s-1', 'ENTITY')))),
    error: /the document contains <!DOCTYPE>: document type declarations and entities are refused/,
  },
]);

suite(
  'hostile feeds (slow servers: 4 s deadline per page, 1.5 s body idle timeout)',
  { HASAD_FETCH_DEADLINE_MS: '4000', HASAD_FETCH_BODY_TIMEOUT_MS: '1500' },
  () => [
    {
      name: 'slow server trickling one byte a second',
      path: '/trickle',
      hostile: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/turtle' });
        const timer = setInterval(() => res.write('#'), 1000);
        res.on('close', () => clearInterval(timer));
      },
      error: /failed: no complete answer within the deadline of 4000 ms per page \(deadlineMs\)/,
    },
    {
      name: 'server stalling mid-body',
      path: '/stall',
      hostile: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/turtle' });
        res.write('@prefix dct: <http://purl.org/dc/terms/> .\n');
      },
      error: /failed: the body stalled for more than 1500 ms \(body idle timeout\)/,
    },
  ],
);

/** True when a spreadsheet would read `cell` as a formula (what neutraliseCsvCell guards against). */
const FORMULA_CELL = /^[=+\-@\t\r]/;

describe('CSV with formula injection', () => {
  let p: TestPipeline;
  let healthyId: string;
  let operatorToken: string;

  beforeAll(async () => {
    p = await startTestPipeline(['api', 'fetcher', 'loader'], { ...API_ENV, HASAD_ALLOW_PRIVATE_HOSTS: '0', HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}` });
    healthyId = await p.addSource(server.route('/healthy-csv-suite', catalogue(`${server.url}/healthy-csv-suite`, 10)));
    expect(await p.harvest(healthyId)).toMatchObject({ status: 'succeeded', created: 10 });
    operatorToken = (await createApiToken(p.rt.db, { role: 'operator', operatorName: 'Hostile suite' })).token;
  });
  afterAll(async () => {
    await p?.close();
  });

  it('keeps the cells as published in the catalogue and neutralises them in every CSV export', async () => {
    const hyperlink = '=HYPERLINK("http://evil","x")';
    const cells = { hyperlink, plus: '+cmd', at: '@SUM(1)' };
    const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
    // f-3's identifier is itself a formula, and its date is unreadable: the run reports a problem
    // for that row, so the dashboard's problems.csv carries the formula-like identifier.
    const csv = [
      'identifier,title,description,modified',
      `f-1,${q(cells.hyperlink)},${q(cells.plus)},2024-03-01`,
      `f-2,${q(cells.plus)},${q(cells.at)},2024-03-01`,
      `${q(cells.at)},${q(cells.at)},${q(cells.hyperlink)},${q('=1+1')}`,
      '',
    ].join('\r\n');
    const url = server.route('/formulas.csv', (_req, res) => void res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(csv));
    const others = await snapshot(p);
    const servedBefore = await catalogueRead(p, [healthyId]);

    const started = Date.now();
    const memory = watchMemory();
    const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
    const sourceId = await p.addSource(url, { kind: 'csv' });
    const run = await p.harvest(sourceId);
    const health = await probe.stop();
    const growth = memory.stop();
    expect(health.failures, 'GET /healthz during the harvest').toEqual([]);
    expect(health.maxMs, 'slowest /healthz, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run).toMatchObject({ created: 3 });

    // Stored as data: the catalogue (public JSON API) answers the cells exactly as published.
    const served = await apiGet(p, `/api/v1/datasets?source=${sourceId}&limit=200&sort=id`);
    expect(served.status).toBe(200);
    const byId = new Map<string, any>((served.body.items as any[]).map((d) => [d.sourceIdentifier, d]));
    expect([...byId.keys()].sort()).toEqual(['@SUM(1)', 'f-1', 'f-2']);
    const text = (m: Record<string, string> | undefined) => Object.values(m ?? {})[0];
    expect([text(byId.get('f-1').title), text(byId.get('f-1').description)]).toEqual([cells.hyperlink, cells.plus]);
    expect([text(byId.get('f-2').title), text(byId.get('f-2').description)]).toEqual([cells.plus, cells.at]);
    expect([text(byId.get('@SUM(1)').title), text(byId.get('@SUM(1)').description)]).toEqual([cells.at, cells.hyperlink]);
    const detail = await apiGet(p, `/api/v1/datasets/${byId.get('f-1').id}`);
    expect(detail.status).toBe(200);
    expect(text(detail.body.title)).toBe(cells.hyperlink);

    // The run flags every cell a spreadsheet would run (a warning naming the row and the field),
    // and reports the unreadable date of the row whose identifier is a formula.
    const problems = await p.problems(run.id);
    expect(problems).toContainEqual(expect.objectContaining({ code: 'invalid_date', identifier: cells.at }));
    const { rows: flagged } = await p.rt.db.pool.query<{ identifier: string; field: string; severity: string }>(
      `SELECT identifier, field, severity FROM run_problems WHERE run_id = $1 AND code = 'csv_formula_cell' ORDER BY identifier, field`,
      [run.id],
    );
    for (const [identifier, field] of [
      ['f-1', 'title'],
      ['f-2', 'description'],
      [cells.at, 'identifier'],
      [cells.at, 'title'],
      [cells.at, 'description'],
      [cells.at, 'modified'],
    ]) {
      expect(flagged, `csv_formula_cell for ${identifier} ${field}`).toContainEqual({ identifier, field, severity: 'warning' });
    }

    // The only CSV Hasad exports, the dashboard's problems.csv of a run, comes out neutralised:
    // no cell a spreadsheet would read as a formula, the identifier shown with a leading quote.
    const cookie = await signInDashboard(p.rt.apiUrl!, operatorToken);
    const res = await fetch(`${p.rt.apiUrl}/dashboard/runs/${run.id}/problems.csv`, { headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const exported = parseCsv(await res.text());
    expect(exported[0]).toEqual(['page', 'batch', 'severity', 'code', 'field', 'identifier', 'message']);
    expect(exported.length - 1).toBe(problems.length);
    for (const row of exported) for (const cell of row) expect(cell, `exported cell ${JSON.stringify(cell)}`).not.toMatch(FORMULA_CELL);
    const dateRow = exported.find((r) => r[3] === 'invalid_date');
    expect(dateRow?.[5]).toBe(`'${cells.at}`);
    expect(dateRow?.[6]).toContain('"=1+1"');
    const formulaRows = exported.filter((r) => r[3] === 'csv_formula_cell');
    expect(formulaRows).toHaveLength(flagged.length);
    expect(formulaRows.filter((r) => r[5] === `'${cells.at}`)).toHaveLength(4);

    // Nothing else changed; the API keeps serving; the worker still harvests.
    expect((await snapshot(p)).filter((r) => r.source_id !== sourceId)).toEqual(others);
    await expectApiServes(p, servedBefore);
    expect(await p.harvest(healthyId)).toMatchObject({ status: 'unchanged', seen: 10 });
    outcomes.push({
      case: 'CSV with formula injection (=HYPERLINK(...), +cmd, @SUM(1))',
      outcome: `run ${run.status}, ${flagged.length} csv_formula_cell warnings; cells kept as published; API serving (healthz ≤ ${health.maxMs} ms)`,
      error: `problems.csv exports the identifier as ${dateRow?.[5]} (every formula-like cell quoted)`,
      rssGrowthMb: growth,
      seconds: (Date.now() - started) / 1000,
    });
  });
});
