export * from './organizations.ts';
export * from './sources.ts';
export * from './runs.ts';
export * from './datasets.ts';
export * from './auth.ts';
export * from './quality.ts';
export * from './scoreboard.ts';
export * from './search.ts';
