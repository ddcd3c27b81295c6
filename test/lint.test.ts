import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules (eslint.config.js): only @hasad/db imports the PostgreSQL driver or drizzle
// (statically or with a dynamic import()); @hasad/db imports only @hasad/core; an API route module
// imports no other. `npm run lint` passing proves nothing if a rule no longer applies (a moved
// config, a glob that matches nothing): here each must still refuse what it forbids and allow the
// rest. The files are linted as text under those paths; nothing is written.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The rule ids ESLint reports for `code` as if it were the file at `path` (relative to the root). */
async function reported(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('only @hasad/db talks to PostgreSQL (eslint no-restricted-imports)', () => {
  it.each([
    ["import pg from 'pg';", 'services/api/src/lint-probe.ts'],
    ["import type { Pool } from 'pg';", 'services/scheduler/src/lint-probe.ts'],
    ["import Cursor from 'pg-cursor';", 'services/loader/src/lint-probe.ts'],
    ["import { sql } from 'drizzle-orm';", 'services/fetcher/src/processors/lint-probe.processor.ts'],
    ["import { pgTable } from 'drizzle-orm/pg-core';", 'packages/pipeline/src/lint-probe.ts'],
    ["export { sql } from 'drizzle-orm';", 'packages/cli/src/lint-probe.ts'],
    ["import pg from 'pg';", 'test/helpers/lint-probe.ts'],
  ])('refuses %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ["const pg = await import('pg');", 'services/api/src/lint-probe.ts'],
    ["const { default: Cursor } = await import('pg-cursor');", 'services/loader/src/lint-probe.ts'],
    ["export const load = () => import('drizzle-orm/pg-core');", 'packages/pipeline/src/lint-probe.ts'],
    ["const { sql } = await import('drizzle-orm');", 'test/helpers/lint-probe.ts'],
  ])('refuses the dynamic %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual(['no-restricted-syntax']);
  });

  it.each([
    ["import pg from 'pg';\nimport { sql } from 'drizzle-orm';", 'packages/db/src/repositories/lint-probe.repository.ts'],
    ["import type pg from 'pg';", 'bench/lib/lint-probe.ts'],
    ["import pg from 'pg';", 'services/api/src/lint-probe.int.test.ts'],
    // Module names that merely begin like the driver's are not it.
    ["import { cleanValue } from './pg-values.ts';", 'services/api/src/lint-probe.ts'],
    ["import { Queue } from 'bullmq';", 'services/api/src/lint-probe.ts'],
    ["const pg = await import('pg');", 'packages/db/src/lint-probe.ts'],
    ["const pg = await import('pg');", 'services/api/src/lint-probe.int.test.ts'],
    ["const { cleanValue } = await import('./pg-values.ts');", 'services/api/src/lint-probe.ts'],
    ["const { Queue } = await import('bullmq');", 'services/api/src/lint-probe.ts'],
  ])('allows %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual([]);
  });
});

describe('an API route module imports no other route module', () => {
  it.each([
    ["import { sendHtml } from '../dashboard/dashboard.routes.ts';", 'services/api/src/espace/espace.routes.ts'],
    ["import { visibleSource } from './sources.routes.ts';", 'services/api/src/routes/runs.routes.ts'],
    ["import { previewRunner } from '../routes/preview.routes';", 'services/api/src/dashboard/dashboard.routes.ts'],
  ])('refuses %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ["import { visibleSource } from '../shared/sources.ts';", 'services/api/src/routes/runs.routes.ts'],
    ["import { catalogRoutes } from './routes/catalog.routes.ts';", 'services/api/src/app.ts'],
  ])('allows %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual([]);
  });

  it('keeps refusing the database driver in a route module', async () => {
    expect(await reported('services/api/src/routes/lint-probe.routes.ts', "import pg from 'pg';")).toEqual(['no-restricted-imports']);
  });
});

describe('@hasad/db imports no other @hasad package but @hasad/core', () => {
  it.each([
    ["import { scoreDataset } from '@hasad/quality';", 'packages/db/src/repositories/lint-probe.repository.ts'],
    ["import { prepareRecord } from '@hasad/pipeline';", 'packages/db/src/lint-probe.int.test.ts'],
  ])('refuses %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ["import { searchColumns } from '@hasad/core';", 'packages/db/src/repositories/lint-probe.repository.ts'],
    ["import { scoreDataset } from '@hasad/quality';", 'packages/pipeline/src/lint-probe.ts'],
  ])('allows %s in %s', async (code, path) => {
    expect(await reported(path, code)).toEqual([]);
  });
});
