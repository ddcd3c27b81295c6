import tseslint from 'typescript-eslint';

// The rules, run by `npm test` and `npm run typecheck` (`npm run lint`): only @hasad/db talks to
// PostgreSQL. Everywhere else a query is a repository function of packages/db/src/repositories,
// so the SQL has one home and the schema can change without a hunt through the services. Below
// it: @hasad/db imports no other @hasad package but core, and API route modules import no other.
// test/lint.test.ts checks each rule still fires, so none can silently stop working.

/** The driver (`pg`, `pg-cursor`, …) and drizzle (`drizzle-orm`, `drizzle-orm/pg-core`, …). Regexes, not globs: a glob `pg-*` would also catch a relative `./pg-values.ts`. */
const DATABASE_MODULES = [
  { regex: '^pg(-[^/]+)?(/.*)?$', message: 'Only @hasad/db (packages/db) uses the PostgreSQL driver: add a repository function there and call it.' },
  { regex: '^drizzle-orm(/.*)?$', message: 'Only @hasad/db (packages/db) uses drizzle: add a repository function there and call it.' },
];

/**
 * The same modules loaded by a dynamic `import('pg')`, which no-restricted-imports does not see.
 * esquery selectors, one per module family (a `/` in an esquery regex must be escaped).
 */
const DATABASE_DYNAMIC_IMPORTS = [
  { selector: String.raw`ImportExpression[source.value=/^pg(-[^\/]+)?(\/.*)?$/]`, message: DATABASE_MODULES[0].message },
  { selector: String.raw`ImportExpression[source.value=/^drizzle-orm(\/.*)?$/]`, message: DATABASE_MODULES[1].message },
];

export default [
  // Build and run output; the browser scripts of the dashboard import nothing.
  { ignores: ['**/dist/**', '**/.turbo/**', '**/.hasad/**', 'bench/results/**', 'bench/.data/**', 'services/api/src/dashboard/static/**'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    rules: { 'no-restricted-imports': ['error', { patterns: DATABASE_MODULES }], 'no-restricted-syntax': ['error', ...DATABASE_DYNAMIC_IMPORTS] },
  },
  {
    // packages/db is where the SQL lives. bench/ measures the database itself (table sizes,
    // settings, the rows a soak run left) with queries of its own. Tests may open their own
    // connection where the behaviour under test needs one: services/api/src/changes.int.test.ts
    // (a transaction held open), packages/cli/src/discover.int.test.ts and test/cli.e2e.test.ts
    // (a server and databases of their own), test/crash-recovery.e2e.test.ts and
    // test/reconcile.e2e.test.ts (a client holding a table lock).
    files: ['packages/db/**', 'bench/**', '**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // @hasad/db reads and writes rows and knows no rules: scoring (@hasad/quality) and the
    // search columns are prepared by its callers (the loader's `prepareRecord`, @hasad/pipeline),
    // so the package below every other imports none of them but @hasad/core.
    files: ['packages/db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^@hasad/(?!core(/|$))', message: '@hasad/db depends on @hasad/core only: prepare or score in the caller (e.g. @hasad/pipeline) and hand the repository the values.' }] },
      ],
    },
  },
  {
    // A route module of the API registers its routes; what two of them share lives in a module
    // that registers nothing (services/api/src/shared/, or beside its domain), so that routes can
    // move or go without dragging others. Only app.ts and ops.ts, which register them, import
    // route modules. The database rule applies here too (this entry replaces the first one's options).
    files: ['services/api/src/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...DATABASE_MODULES,
            { regex: '\\.routes(\\.ts)?$', message: 'A route module imports no other route module: move what both need to services/api/src/shared/ (or beside its domain).' },
          ],
        },
      ],
    },
  },
];
