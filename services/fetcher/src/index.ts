export { startFetcherWorker } from './worker.ts';
export { harvestSource, type HarvestDeps } from './processors/harvest-source.processor.ts';
export { checkLink, checkLinksProcessor, type LinkCheckDeps } from './processors/check-links.processor.ts';
