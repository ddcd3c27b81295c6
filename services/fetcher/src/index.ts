export { startFetcherWorker } from './worker.ts';
export { harvestSource, type HarvestDeps } from './processors/harvest-source.processor.ts';
