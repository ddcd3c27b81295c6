export * from './catalog-generator.ts';
export * from './feed-server.ts';
