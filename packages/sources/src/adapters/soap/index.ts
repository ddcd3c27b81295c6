import type { SourceAdapter } from '../../types.ts';
import { harvestSoap } from './client.ts';
import { parseSoapConfig } from './config.ts';
import type { SoapConfig } from './config.ts';
import { describeSoapMapping } from './describe.ts';

export type { SoapConfig, SoapFieldSpec, SoapPaging } from './config.ts';
export { parseSoapConfig } from './config.ts';
export { describeSoapMapping } from './describe.ts';
export { SoapFaultError } from './envelope.ts';
export type { SoapFault, SoapVersion } from './envelope.ts';
export { listSoapOperations, operationsFromWsdl } from './wsdl.ts';
export type { SoapOperationInfo } from './wsdl.ts';
export { pageOrdinalOf, soapPageUrl } from './client.ts';

/**
 * The SOAP adapter (kind `soap`): POSTs an envelope template page by page (`{{page}}`,
 * `{{pageSize}}`, `{{offset}}`), reads the repeating record element of each response and maps it
 * by the source's field mapping. SOAP 1.1 and 1.2; Faults fail the run with their text. See
 * {@link SoapConfig} for the config, with an example.
 */
export const soapAdapter: SourceAdapter<SoapConfig> = {
  kind: 'soap',
  // Where it connects: requests go to `endpoint` (default the source's `url`); `wsdl` is fetched for the SOAPAction.
  networkFields: ['endpoint', 'wsdl'],
  parseConfig: parseSoapConfig,
  harvest: harvestSoap,
  describeMapping: describeSoapMapping,
};
