export * from './record.ts';
export * from './load-batch.ts';
export * from './errors.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './csv-cell.ts';
export * from './vocabulary.ts';
export * from './settings-doc.ts';
