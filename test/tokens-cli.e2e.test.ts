import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHasad, type CommandResult } from './helpers/cli.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// API tokens as an operator handles them: `hasad token create|list|revoke` run as a separate
// process (packages/cli/bin/hasad.js, as `npx hasad` runs it) against a fresh database, and the
// tokens it prints used against a real listening API on that database.


let p: TestPipeline;
let cliEnv: Record<string, string>;

const hasad = (...args: string[]): Promise<CommandResult> => runHasad(cliEnv, args);

/** `hasad ARGS` that must succeed; its JSON output. */
async function hasadOk(...args: string[]): Promise<any> {
  const r = await hasad(...args);
  expect(r.code, `hasad ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.json;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** A write under /api/v1 (registering a source) with `token`. */
async function registerSource(token: string, n: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`${p.rt.apiUrl}/api/v1/sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'dcat', url: `https://data.example.ma/catalog-${n}.ttl`, title: `Catalogue ${n}` }),
  });
  return { status: res.status, body: await res.json() };
}

async function tokenRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await p.rt.db.pool.query('SELECT * FROM api_tokens WHERE id = $1', [id]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

beforeAll(async () => {
  p = await startTestPipeline(['api'], { PORT: '0' });
  cliEnv = {
    DATABASE_URL: p.config.DATABASE_URL,
    REDIS_URL: p.config.REDIS_URL,
    HASAD_QUEUE_PREFIX: p.config.HASAD_QUEUE_PREFIX,
    LOG_LEVEL: 'silent',
  };
  await hasadOk('org', 'create', '--slug', 'min-eau', '--name', "Ministère de l'Eau");
}, 60_000);

afterAll(async () => {
  await p?.close();
});

describe('hasad token (CLI) against a running API', () => {
  let token: string;
  let tokenId: string;

  it('token create --org prints an hsd_ token of at least 256 random bits, once', async () => {
    const out = await hasadOk('token', 'create', '--org', 'min-eau');
    token = out.token;
    tokenId = out.id;
    expect(token).toMatch(/^hsd_[A-Za-z0-9_-]+$/);
    const random = Buffer.from(token.slice('hsd_'.length), 'base64url');
    expect(random.length * 8).toBeGreaterThanOrEqual(256);
    expect(out).toMatchObject({ role: 'organization', organization: 'min-eau', prefix: token.slice(0, 12), expiresAt: null, lastUsedAt: null, revokedAt: null });
    expect(out.note).toMatch(/shown only now/);
    // Two tokens never repeat (or share their random part).
    const other = (await hasadOk('token', 'create', '--org', 'min-eau')).token as string;
    expect(other).not.toBe(token);
    expect(other.slice(12)).not.toBe(token.slice(12));
  });

  it('the api_tokens row holds sha256(token) and no copy of the token', async () => {
    const row = await tokenRow(tokenId);
    expect(row.token_hash).toBe(sha256(token));
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(token);
    // Not even the secret part beyond the 8 characters kept to recognise the token in listings.
    expect(stored).not.toContain(token.slice(12));
    expect(stored).not.toContain(Buffer.from(token.slice(4), 'base64url').toString('hex'));
    // Nowhere else in the database either.
    const { rows } = await p.rt.db.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of rows) {
      const hit = await p.rt.db.pool.query(`SELECT 1 FROM "${table_name}" t WHERE row_to_json(t)::text LIKE $1 LIMIT 1`, [`%${token.slice(12)}%`]);
      expect(hit.rowCount, `table ${table_name}`).toBe(0);
    }
  });

  it('token list shows the token without its secret or its hash', async () => {
    const r = await hasad('token', 'list', '--org', 'min-eau');
    expect(r.code).toBe(0);
    const listed = (r.json as any[]).find((t) => t.id === tokenId);
    expect(listed).toMatchObject({ id: tokenId, role: 'organization', organization: 'min-eau', prefix: token.slice(0, 12) });
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'operatorName', 'organization', 'prefix', 'revokedAt', 'role']);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(token.slice(12));
      expect(text).not.toContain(sha256(token));
    }
    // The unfiltered listing too.
    const all = await hasad('token', 'list');
    expect(all.stdout).not.toContain(token.slice(12));
    expect(all.stdout).not.toContain(sha256(token));
  });

  it('the token writes through the API, and its last-used time is recorded', async () => {
    const before = Date.now();
    const res = await registerSource(token, 1);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ organization: 'min-eau', approvalStatus: 'pending' });
    // Recorded after the answer (bookkeeping does not slow the request down): wait for it.
    await waitUntil('last_used_at to be set', async () => (await tokenRow(tokenId)).last_used_at, (v) => v !== null, { timeoutMs: 20_000 });
    const used = ((await hasadOk('token', 'list', '--org', 'min-eau')) as any[]).find((x) => x.id === tokenId);
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(used.lastUsedAt)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('token revoke: the next write gets 401 token_revoked and nothing is written', async () => {
    const revoked = await hasadOk('token', 'revoke', tokenId);
    expect(revoked).toMatchObject({ id: tokenId, revokedAt: expect.any(String) });
    expect(JSON.stringify(revoked)).not.toContain(token.slice(12));
    const { rows: before } = await p.rt.db.pool.query('SELECT count(*)::int AS n FROM sources');
    const res = await registerSource(token, 2);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_revoked');
    expect(JSON.stringify(res.body)).not.toContain(token.slice(12));
    const { rows: after } = await p.rt.db.pool.query('SELECT count(*)::int AS n FROM sources');
    expect(after[0].n).toBe(before[0].n);
    // Revoking twice keeps the first revocation time.
    expect((await hasadOk('token', 'revoke', tokenId)).revokedAt).toBe(revoked.revokedAt);
    // The listing says so.
    const listed = ((await hasadOk('token', 'list')) as any[]).find((t) => t.id === tokenId);
    expect(listed.revokedAt).toBe(revoked.revokedAt);
  });

  it('token revoke of an unknown id fails with a message', async () => {
    const r = await hasad('token', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no token 00000000-0000-4000-8000-000000000000');
  });

  it('token create --expires 90d / DATE sets the expiry; a past date is refused', async () => {
    const ninety = await hasadOk('token', 'create', '--org', 'min-eau', '--expires', '90d');
    expect(Date.parse(ninety.expiresAt) - Date.now()).toBeGreaterThan(90 * 86_400_000 - 120_000);
    expect(Date.parse(ninety.expiresAt) - Date.now()).toBeLessThanOrEqual(90 * 86_400_000);
    expect((await registerSource(ninety.token, 3)).status).toBe(201);

    const dated = await hasadOk('token', 'create', '--org', 'min-eau', '--expires', '2099-12-31T00:00:00Z');
    expect(dated.expiresAt).toBe('2099-12-31T00:00:00.000Z');
    expect((await tokenRow(dated.id)).expires_at).toEqual(new Date('2099-12-31T00:00:00Z'));

    const { rows: before } = await p.rt.db.pool.query('SELECT count(*)::int AS n FROM api_tokens');
    const past = await hasad('token', 'create', '--org', 'min-eau', '--expires', '2020-01-01');
    expect(past.code).not.toBe(0);
    expect(past.stderr).toContain('is in the past');
    expect(past.stdout).not.toMatch(/hsd_/);
    const bad = await hasad('token', 'create', '--org', 'min-eau', '--expires', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('neither a duration');
    const { rows: after } = await p.rt.db.pool.query('SELECT count(*)::int AS n FROM api_tokens');
    expect(after[0].n).toBe(before[0].n);
  });

  it('a token whose expiry has passed is refused with 401 token_expired', async () => {
    const created = await hasadOk('token', 'create', '--org', 'min-eau', '--expires', '1m');
    expect((await registerSource(created.token, 4)).status).toBe(201);
    // A minute later, as the clock would have it: the expiry moved into the past.
    await p.rt.db.pool.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    const res = await registerSource(created.token, 5);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
    expect(res.body.error.message).toContain(`${created.prefix}… expired on`);
    const { rows } = await p.rt.db.pool.query(`SELECT count(*)::int AS n FROM sources WHERE url = 'https://data.example.ma/catalog-5.ttl'`);
    expect(rows[0].n).toBe(0);
  });

  it('token create --operator prints an operator token that approves sources', async () => {
    const op = await hasadOk('token', 'create', '--operator', 'Salma Idrissi');
    expect(op).toMatchObject({ role: 'operator', operatorName: 'Salma Idrissi', organization: null, token: expect.stringMatching(/^hsd_/) });
    expect((await tokenRow(op.id)).token_hash).toBe(sha256(op.token));
    const { rows } = await p.rt.db.pool.query(`SELECT id FROM sources WHERE url = 'https://data.example.ma/catalog-1.ttl'`);
    const res = await fetch(`${p.rt.apiUrl}/api/v1/sources/${rows[0].id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${op.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'checked' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ approvalStatus: 'approved', reviewedBy: 'Salma Idrissi' });
    // Neither --org nor --operator, or both: refused.
    expect((await hasad('token', 'create')).code).not.toBe(0);
    expect((await hasad('token', 'create', '--org', 'min-eau', '--operator', 'x')).code).not.toBe(0);
  });
});
