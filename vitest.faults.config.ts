import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): real services as child processes, each case
// harvesting the shared 20 000-dataset multi-kind workload (test/faults/workload.ts) while a
// fault is injected mid-run: SIGKILL of each role and of all three, a private Redis restarted
// empty, a private PostgreSQL stopped for 20 s, hostile sources, two schedulers, SIGTERM. Too
// slow for `npm test` (several minutes), so the root config leaves test/faults out and .ci/run
// runs this suite after `npm test`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // Prints one table of every case when the suite ends (each file also prints its own rows).
    globalSetup: ['test/faults/global-setup.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: each case already runs three or four service processes flat out, and
    // on a small machine two cases at once only starve each other's workers of CPU (locks then
    // lapse, and the fault no longer lands where the case puts it).
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
