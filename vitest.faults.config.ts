import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): real services as child processes, faults injected
// mid-run (SIGTERM, two schedulers, hostile feeds, a private PostgreSQL stopped for 20 s).
// Too slow for `npm test` (the PostgreSQL outage alone lasts over 30 s), so the root config
// leaves test/faults out and .ci/run runs this suite after `npm test`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // Prints one table of every case when the suite ends (each file also prints its own rows).
    globalSetup: ['test/faults/global-setup.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 4,
    reporters: ['default'],
  },
});
