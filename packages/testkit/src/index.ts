export * from './catalog-generator.ts';
export * from './feed-server.ts';
export * from './csv-inventory.ts';
export * from './soap-dataset-service.ts';
export * from './ckan-portal.ts';
export * from './csw-service.ts';
export * from './private-postgres.ts';
