export { startLoaderWorker } from './worker.ts';
export type { LoaderDeps } from './processors/load-batch.processor.ts';
