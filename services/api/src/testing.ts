/**
 * Test helpers of the DCAT-AP export, for this package's tests and the end-to-end tests in
 * test/: SHACL validation (rdf-validate-shacl, a devDependency) and reading answers back with
 * Hasad's own DCAT adapter. Not imported by the API itself.
 */
export { DcatApValidator, judgeViolations, parseSourceDescription, sourceOmissions, summarise, type ShaclResult } from './dcat/shacl.testing.ts';
export { readRecords, type HydraView } from './dcat/read-back.testing.ts';
