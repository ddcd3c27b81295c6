/**
 * @hasad/quality: metadata quality scores of canonical records, after data.europa.eu's Metadata
 * Quality Assessment. Pure functions: no database, no network.
 */
export * from './score.ts';
export * from './messages.ts';
export { formatCode, isEuFileType, isIanaMediaType, isLicenceFromVocabulary, isAccessRightsFromVocabulary, isMachineReadable, isNonProprietary, isOpenFormat } from './vocabularies.ts';
export * from './source-quality.ts';
