export * from './client.ts';
export * from './migrate.ts';
export * as schema from './schema/index.ts';
export * from './repositories/organizations.repository.ts';
export * from './repositories/sources.repository.ts';
export * from './repositories/runs.repository.ts';
export * from './repositories/load.repository.ts';
export * from './repositories/finalise.repository.ts';
export * from './repositories/datasets.repository.ts';
