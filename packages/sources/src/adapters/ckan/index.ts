import type { SourceAdapter } from '../../types.ts';
import { harvestCkan } from './client.ts';
import { parseCkanConfig } from './config.ts';
import type { CkanConfig } from './config.ts';
import { describeCkanMapping } from './describe.ts';

export type { CkanConfig, CkanIncremental } from './config.ts';
export { parseCkanConfig } from './config.ts';
export { describeCkanMapping } from './describe.ts';
export { fullRunDue, harvestCkan, incrementalFq, INCREMENTAL_OVERLAP_MS, nextStart, portalBase, searchUrl } from './client.ts';
export type { CkanHarvestOptions, CkanPageEvent, IncrementalHistory } from './client.ts';
export { mapPackage, mapPackages, packageSkipReason } from './map.ts';
export type { CkanMapContext, PackageMapResult } from './map.ts';
export { CkanApiError, parseCkanEnvelope } from './parse.ts';
export type { CkanPage } from './parse.ts';

/**
 * The CKAN adapter (kind `ckan`): CKAN 2.x Action API `package_search`, and the DKAN/CKAN-alike
 * portals that imitate it. Source URL: the portal's base (`https://data.gov.ma/data`) or its
 * `…/api/3/action/package_search`. Config: see {@link CkanConfig}.
 */
export const ckanAdapter: SourceAdapter<CkanConfig> = {
  kind: 'ckan',
  // Where it connects: CKAN's API is read under the source's `url` only.
  networkFields: [],
  parseConfig: parseCkanConfig,
  // harvestCkan checks the source URL before the first request (ConfigError).
  harvest: harvestCkan,
  describeMapping: describeCkanMapping,
};
