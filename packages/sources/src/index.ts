/**
 * @hasad/sources: source adapters (URL + config in, normalised records out) and the one
 * outgoing HTTP client they share. No database, no queue.
 */
export type * from './types.ts';
export { adapterKinds, getAdapter, harvestWithConfig } from './adapters/index.ts';
export { changedNetworkFields } from './network-fields.ts';
export { batchSizeOf, pageLimitError, runPager, withRunBudget } from './pager.ts';
export type { FetchedPage, PagedSource, PageOutcome, PagerContext, PageRef } from './pager.ts';
export { describeConfigIssues, sourceConfigError } from './source-config.ts';
export { applySourceLimits, sourceLimitsSchema, withSourceLimits } from './source-limits.ts';
export type { LimitedConfig, SourceLimits } from './source-limits.ts';
export { createDcatAdapter, dcatAdapter, parseDcatConfig } from './adapters/dcat/index.ts';
export type { DcatConfig, DcatDeps } from './adapters/dcat/index.ts';
export { DCAT_ACCEPT, parseRdfString, readRdf } from './adapters/dcat/parse.ts';
export type { RdfFormat, ReadRdfOptions, ReadRdfResult } from './adapters/dcat/parse.ts';
export { mapDataset, mapPage } from './adapters/dcat/map.ts';
export type { DatasetMapResult, MappedBatch } from './adapters/dcat/map.ts';
export type { PageGraph } from './adapters/dcat/graph.ts';
export { defaultHttpOptions, fetchPage, parseRetryAfter } from './http/client.ts';
export type { FetchRequest, FetchResponse } from './http/client.ts';
export { blockedAddressReason, compilePolicy, vetUrl } from './http/address-policy.ts';
export type { AddressPolicy } from './http/address-policy.ts';
export { createLocalHostLimiter, hostKey } from './http/host-limiter.ts';
export type { HostLimits } from './http/host-limiter.ts';
export { previewSource } from './preview.ts';
export { ParsePool } from './isolation/parse-pool.ts';
export type { ParsePoolOptions } from './isolation/parse-pool.ts';
export { DEFAULT_PARSE_LIMITS, JsonShapeGuard, resolveLimits } from './parse-guards.ts';
export type { PreviewOptions, PreviewResult } from './preview.ts';
export { contentHash } from './content-hash.ts';
export { packBatch, packRecord } from './pack.ts';
export type { PackedRecord } from './adapters/shared/batches.ts';
export { ckanAdapter, parseCkanConfig, CkanApiError } from './adapters/ckan/index.ts';
export type { CkanConfig } from './adapters/ckan/index.ts';
export { listSoapOperations, parseSoapConfig, soapAdapter, SoapFaultError } from './adapters/soap/index.ts';
export type { SoapConfig, SoapOperationInfo } from './adapters/soap/index.ts';
export { csvAdapter, parseCsvConfig, readCsvColumns, ETALAB_CATALOGUE_MAPPING, POD_CSV_MAPPING, CSV_FIELDS, DEFAULT_HEADERS } from './adapters/csv/index.ts';
export type { CsvColumn, CsvConfig, CsvColumnSpec, CsvSettings } from './adapters/csv/index.ts';
export { cswAdapter, parseCswConfig, fetchCswCapabilities, fetchCswRecord, planHarvest, CswExceptionError, mapIsoRecord, mapIsoXml } from './adapters/csw/index.ts';
export type { CswConfig, CswCapabilities, CswPlan, GeoDetails, IsoDataset, IsoMapResult } from './adapters/csw/index.ts';
