/**
 * The canonical dataset record every source kind is normalised to (DCAT-AP 3 aligned).
 *
 * Language maps keep every language a source gave: keys are BCP 47 tags as given
 * (lower-cased), and the empty string `""` holds untagged literals.
 */
export type LangMap = Record<string, string>;
/** Per-language lists, e.g. keywords: `{ fr: ["eau"], ar: ["ماء"] }`. */
export type LangListMap = Record<string, string[]>;

export interface Agent {
  uri?: string;
  name?: LangMap;
  /** foaf:mbox / vcard:hasEmail without the `mailto:` scheme. */
  email?: string;
  homepage?: string;
  /** dct:type of the agent (URI), when given. */
  type?: string;
}

export interface ContactPoint {
  uri?: string;
  name?: string;
  email?: string;
  url?: string;
  phone?: string;
}

export interface PeriodOfTime {
  /** ISO 8601 date or date-time as given (xsd:date, xsd:dateTime, xsd:gYear ...). */
  start?: string;
  end?: string;
}

export interface Distribution {
  uri?: string;
  title?: LangMap;
  description?: LangMap;
  accessUrl?: string;
  downloadUrl?: string;
  /** dct:format: a URI (EU file-type vocabulary) or a plain label such as `CSV`. */
  format?: string;
  /** dcat:mediaType, an IANA media type such as `text/csv` (URI form reduced to the type). */
  mediaType?: string;
  license?: string;
  /** Size in bytes (dcat:byteSize). */
  byteSize?: number;
  issued?: string;
  modified?: string;
}

export interface CanonicalDataset {
  /** The source's own identifier: dct:identifier when given, else the dataset URI. Unique per source. */
  identifier: string;
  /** The dataset's URI in the source, when it was not a blank node. */
  uri?: string;
  title: LangMap;
  description: LangMap;
  keywords: LangListMap;
  /** Theme URIs (dcat:theme), or labels where the source gave literals. */
  themes: string[];
  publisher?: Agent;
  contactPoint?: ContactPoint;
  landingPage?: string;
  /** ISO 8601 date or date-time, as given (normalised lexical form of an xsd date type). */
  issued?: string;
  modified?: string;
  license?: string;
  accessRights?: string;
  /** Spatial coverage: URIs (e.g. GeoNames) or labels. */
  spatial: string[];
  temporal: PeriodOfTime[];
  accrualPeriodicity?: string;
  /** Language URIs or codes (dct:language). */
  language: string[];
  distributions: Distribution[];
}

/** `info` notes what the harvest did (e.g. which CSV columns it mapped); it is not a defect. */
export type ProblemSeverity = 'error' | 'warning' | 'info';

/**
 * A problem found with one record (or one page) during a harvest. Collected into the
 * run's report; never thrown to abort a harvest.
 */
export interface RecordProblem {
  severity: ProblemSeverity;
  /** Stable machine code, e.g. `invalid_date`, `missing_title`, `duplicate_identifier`. */
  code: string;
  message: string;
  /** The record's identifier or URI, when known. */
  identifier?: string;
  /** The canonical field concerned, e.g. `modified` or `distributions[0].byteSize`. */
  field?: string;
}
