import type { RecordProblem } from '@hasad/core';
import type { SourceAdapter } from '../../types.ts';
import { harvestCsw } from './client.ts';
import { parseCswConfig } from './config.ts';
import type { CswConfig } from './config.ts';
import { parseXml } from '../soap/xml.ts';
import { mapIsoRecord } from './iso.ts';
import type { IsoMapResult } from './iso.ts';

export { parseCswConfig } from './config.ts';
export type { CswConfig } from './config.ts';
export { fetchCswCapabilities, fetchCswRecord, planHarvest } from './client.ts';
export type { CswPlan } from './client.ts';
export { CswExceptionError } from './protocol.ts';
export type { CswCapabilities } from './protocol.ts';
export { mapIsoRecord } from './iso.ts';
export { mapDcRecord } from './dc.ts';
export type { GeoDetails, IsoDataset, IsoMapResult } from './iso.ts';

/**
 * Maps one ISO 19139 document given as text (a file, a record kept as XML) as a harvest maps it,
 * its text kept as the record's source description.
 * @param source the file or URL it came from, for errors.
 * @throws ParseError for XML that is not well formed or has a DTD.
 */
export function mapIsoXml(xml: string, source: string): IsoMapResult {
  return mapIsoRecord(parseXml(xml, source, 'ISO 19139 metadata').root, xml);
}

/** The config's choices that do not depend on the server, as preview notes. */
function describeMapping(c: CswConfig): RecordProblem[] {
  return [
    {
      severity: 'info',
      code: 'csw_mapping',
      message: `records as ${c.outputSchema === 'auto' ? 'the best format the server offers (ISO 19139, else DCAT, else Dublin Core)' : c.outputSchema}, mapped to DCAT-AP following SEMIC's GeoDCAT-AP mapping of ISO 19139 (Dublin Core by its DCMI terms); ${c.pageSize} records a page`,
    },
  ];
}

/** The CSW adapter (kind `csw`): OGC catalogue services (GeoNetwork, pycsw, ESRI Geoportal) in ISO 19139 or DCAT. */
export const cswAdapter: SourceAdapter<CswConfig> = {
  kind: 'csw',
  // Where it connects: the GetRecords endpoint is the source's `url` (a different one in the capabilities is reported, not followed).
  networkFields: [],
  parseConfig: parseCswConfig,
  describeMapping,
  harvest: harvestCsw,
};
