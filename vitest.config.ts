import { defineConfig } from 'vitest/config';

// Unit tests sit beside pure code; *.int.test.ts and test/ talk to the real PostgreSQL and
// Redis (each file makes its own database and queue prefix, so files run in parallel).
export default defineConfig({
  test: {
    include: ['packages/**/*.test.ts', 'services/**/*.test.ts', 'test/**/*.test.ts'],
    // The fault suite runs on its own (npm run test:faults, vitest.faults.config.ts): its cases take 20-60 s each.
    exclude: ['**/node_modules/**', 'test/faults/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 4,
    reporters: ['default'],
  },
});
