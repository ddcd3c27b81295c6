export * from './catalog.ts';
export * from './connection.ts';
export * from './worker.ts';
export * from './host-limiter.ts';
