import type { SourceAdapter } from '../../types.ts';
import { harvestCsv } from './client.ts';
import { parseCsvConfig } from './config.ts';
import type { CsvSettings } from './config.ts';

export { harvestCsv, readCsvColumns } from './client.ts';
export type { CsvColumn } from './client.ts';
export {
  CSV_DELIMITERS,
  CSV_FIELDS,
  CSV_PRESETS,
  DATE_FORMATS,
  ETALAB_CATALOGUE_MAPPING,
  POD_CSV_MAPPING,
  parseCsvConfig,
  parseDate,
  parseInterval,
} from './config.ts';
export type { CsvColumnSpec, CsvConfig, CsvDelimiter, CsvPreset, CsvSettings, DateFormat } from './config.ts';
export { DEFAULT_HEADERS, HASH_ID_PREFIX, compileMapping, hashIdentifier, mapRow, normaliseHeader, recogniseHeader } from './map.ts';
export type { CompiledMapping, RowResult } from './map.ts';
export { CSV_ACCEPT, detectDelimiter, detectEncoding, guessSingleByte, openCsv } from './parse.ts';
export type { CsvFile, CsvRow, EncodingChoice } from './parse.ts';

/**
 * The CSV adapter (kind `csv`): a dataset inventory, one row per dataset, read as it streams.
 * Config: see {@link CsvConfig} (mapping, constants, preset, encoding, delimiter).
 */
export const csvAdapter: SourceAdapter<CsvSettings> = {
  kind: 'csv',
  // Where it connects: the file is the source's `url`.
  networkFields: [],
  parseConfig: parseCsvConfig,
  harvest: harvestCsv,
};
