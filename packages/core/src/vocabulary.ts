/**
 * The closed sets of codes a person reads about: what a harvest found wrong with a record or a
 * page, why a run waits for review, how it was started and how it ended. They are the source of
 * truth: `RecordProblem.code` is typed by `PROBLEM_CODES`, and `@hasad/i18n` must give each code a
 * sentence in every language (its test enumerates these arrays). A new code is added here first.
 */

/** Codes of the per-record and per-page problems a harvest collects into its run's report. */
export const PROBLEM_CODES = [
  // Records
  'missing_title',
  'missing_identifier',
  'missing_url',
  'missing_column',
  'duplicate_identifier',
  'identifier_from_hash',
  'invalid_record',
  'invalid_row',
  'invalid_package',
  'invalid_date',
  'invalid_url',
  'invalid_email',
  'invalid_number',
  'invalid_byte_size',
  'invalid_media_type',
  'invalid_language',
  'invalid_bbox',
  'invalid_geometry',
  'invalid_xml',
  'multiple_values',
  'unsupported_value',
  'description_truncated',
  'private_package',
  'package_not_active',
  'harvest_source',
  'not_found',
  'invalid_characters',
  'record_refused',
  // Mapping notes
  'csv_mapping',
  'csv_no_title_column',
  'csv_dialect',
  'csv_encoding',
  'csv_content_type',
  'csv_formula_cell',
  'ckan_mapping',
  'soap_mapping',
  'soap_version',
  'csw_mapping',
  'csw_plan',
  'csw_capabilities',
  'csw_endpoint',
  'csw_unexpected_record',
  'csw_count',
  'csw_count_changed',
  'csw_count_mismatch',
  'csw_short_listing',
  'csw_short_page',
  'csw_dublin_core',
  'iso_invalid',
  'iso_no_format',
  'iso_no_keyword',
  'iso_service_type',
  'invalid_iri',
  // Pages and paging
  'no_datasets',
  'no_valid_records',
  'no_changes',
  'short_page',
  'count_changed',
  'paging_loop',
  'empty_page',
  'invalid_next_url',
  'invalid_resume_url',
  'invalid_last_run',
  'incremental_listing',
  'incremental_full_run',
  'source_url_query_ignored',
  'retry_after',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export function isProblemCode(v: unknown): v is ProblemCode {
  return typeof v === 'string' && (PROBLEM_CODES as readonly string[]).includes(v);
}

/** `info` notes what the harvest did (e.g. which CSV columns it mapped); it is not a defect. */
export const PROBLEM_SEVERITIES = ['error', 'warning', 'info'] as const;

/** A run's life: queued → running → one of the final statuses. */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'unchanged', 'needs_review', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What started a run. */
export const RUN_TRIGGERS = ['schedule', 'manual', 'repair', 'demo'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Why a finished run holds its withdrawals back for review (`details.review.reason`). */
export const REVIEW_REASONS = ['empty_feed', 'threshold'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

/** Named schedules besides cron expressions and intervals (`6h`, `1d`). */
export const NAMED_SCHEDULES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type NamedSchedule = (typeof NAMED_SCHEDULES)[number];

/** The RDF syntaxes Hasad writes (the export) and serves (the test feeds), with their media types. */
export type RdfSyntax = 'turtle' | 'ntriples' | 'rdfxml' | 'jsonld';

export const RDF_MEDIA_TYPES: Record<RdfSyntax, string> = {
  turtle: 'text/turtle',
  ntriples: 'application/n-triples',
  rdfxml: 'application/rdf+xml',
  jsonld: 'application/ld+json',
};
