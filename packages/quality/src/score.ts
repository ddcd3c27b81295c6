import type { CanonicalDataset, Distribution } from '@hasad/core';
import {
  formatCode,
  isAccessRightsFromVocabulary,
  isEuFileType,
  isIanaMediaType,
  isLicenceFromVocabulary,
  isMachineReadable,
  isNonProprietary,
  isUri,
} from './vocabularies.ts';

export const DIMENSIONS = ['findability', 'accessibility', 'interoperability', 'reusability', 'contextuality'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The indicators and their weights, as in data.europa.eu's Metadata Quality Assessment (MQA)
 * methodology: 405 points in all (findability 100, accessibility 100, interoperability 110,
 * reusability 75, contextuality 20). Distribution-level indicators earn their weight times the
 * share of distributions that meet them.
 */
export const CRITERIA = {
  keywords: { dimension: 'findability', weight: 30 },
  themes: { dimension: 'findability', weight: 30 },
  spatial: { dimension: 'findability', weight: 20 },
  temporal: { dimension: 'findability', weight: 20 },
  accessUrlAnswers: { dimension: 'accessibility', weight: 50 },
  downloadUrl: { dimension: 'accessibility', weight: 20 },
  downloadUrlAnswers: { dimension: 'accessibility', weight: 30 },
  format: { dimension: 'interoperability', weight: 20 },
  mediaType: { dimension: 'interoperability', weight: 10 },
  formatVocabulary: { dimension: 'interoperability', weight: 10 },
  nonProprietary: { dimension: 'interoperability', weight: 20 },
  machineReadable: { dimension: 'interoperability', weight: 20 },
  dcatAp: { dimension: 'interoperability', weight: 30 },
  license: { dimension: 'reusability', weight: 20 },
  licenseVocabulary: { dimension: 'reusability', weight: 10 },
  accessRights: { dimension: 'reusability', weight: 10 },
  accessRightsVocabulary: { dimension: 'reusability', weight: 5 },
  contactPoint: { dimension: 'reusability', weight: 20 },
  publisher: { dimension: 'reusability', weight: 10 },
  rights: { dimension: 'contextuality', weight: 5 },
  byteSize: { dimension: 'contextuality', weight: 5 },
  issued: { dimension: 'contextuality', weight: 5 },
  modified: { dimension: 'contextuality', weight: 5 },
} as const satisfies Record<string, { dimension: Dimension; weight: number }>;
export type Criterion = keyof typeof CRITERIA;
export const CRITERION_NAMES = Object.keys(CRITERIA) as Criterion[];

/** The EDP methodology's total. */
export const MQA_MAX = 405;

/**
 * What would raise a score. `code` is stable (dashboards and translations key on it; the
 * message is under `quality.improvement.<code>`); `gain` is the points the criterion still lacks.
 * Several codes may share a criterion (the DCAT-AP one): fixing one of them alone may not earn all.
 */
export interface Improvement {
  code: ImprovementCode;
  criterion: Criterion;
  dimension: Dimension;
  gain: number;
}

export const IMPROVEMENT_CODES = [
  'add_keywords',
  'add_themes',
  'add_spatial',
  'add_temporal',
  'add_distribution',
  'fix_access_url',
  'add_download_url',
  'fix_download_url',
  'add_format',
  'add_media_type',
  'use_format_vocabulary',
  'use_non_proprietary_format',
  'use_machine_readable_format',
  'add_description',
  'add_access_url',
  'use_theme_uris',
  'add_license',
  'use_license_vocabulary',
  'add_access_rights',
  'use_access_rights_vocabulary',
  'add_contact_point',
  'add_publisher',
  'add_byte_size',
  'add_issued',
  'add_modified',
] as const;
export type ImprovementCode = (typeof IMPROVEMENT_CODES)[number];

export type Rating = 'excellent' | 'good' | 'sufficient' | 'bad';

/** A dataset's quality: what `datasets.quality` holds and the dataset API shows. */
export interface DatasetQuality {
  /** Version of the scoring rules: a stored score of an older version is re-computed by `hasad quality rescore`. */
  version: number;
  /** Points earned, rounded. */
  score: number;
  /** Points this dataset could earn: 405 minus the criteria not assessed (`unassessed`). */
  max: number;
  /** EDP's bands, on the score scaled to 405: excellent ≥ 351, good ≥ 221, sufficient ≥ 121. */
  rating: Rating;
  dimensions: Record<Dimension, { points: number; max: number }>;
  /** Points per criterion (one decimal); null when not assessed. */
  criteria: Record<Criterion, number | null>;
  /** Largest gain first. */
  improvements: Improvement[];
  /**
   * Criteria left out of `max`: `rights` (the canonical record does not keep dct:rights), and
   * the link criteria until a link check of this dataset's URLs is known.
   */
  unassessed: Criterion[];
}

export const QUALITY_VERSION = 1;

/** Link-check results by URL: true when the URL answered (2xx after redirects). */
export type LinkResults = ReadonlyMap<string, boolean>;

/** All criteria unset, in one object literal: one hidden class for every record (faster than adding keys one by one). */
const emptyCriteria = (): Record<Criterion, number | null> => ({
  keywords: null, themes: null, spatial: null, temporal: null,
  accessUrlAnswers: null, downloadUrl: null, downloadUrlAnswers: null,
  format: null, mediaType: null, formatVocabulary: null, nonProprietary: null, machineReadable: null, dcatAp: null,
  license: null, licenseVocabulary: null, accessRights: null, accessRightsVocabulary: null, contactPoint: null, publisher: null,
  rights: null, byteSize: null, issued: null, modified: null,
});
const emptyDimensions = (): DatasetQuality['dimensions'] => ({
  findability: { points: 0, max: 0 },
  accessibility: { points: 0, max: 0 },
  interoperability: { points: 0, max: 0 },
  reusability: { points: 0, max: 0 },
  contextuality: { points: 0, max: 0 },
});
const CODE_RANK = Object.fromEntries(IMPROVEMENT_CODES.map((c, i) => [c, i])) as Record<ImprovementCode, number>;

const round1 = (n: number) => Math.round(n * 10) / 10;
const hasText = (m: Record<string, string> | undefined) => m !== undefined && Object.values(m).some((v) => typeof v === 'string' && v.trim() !== '');

/** The EDP rating of a score out of `max`, scaled to the methodology's 405 points. */
export function ratingOf(score: number, max: number): Rating {
  const scaled = max > 0 ? (score / max) * MQA_MAX : 0;
  return scaled >= 351 ? 'excellent' : scaled >= 221 ? 'good' : scaled >= 121 ? 'sufficient' : 'bad';
}

/**
 * Scores one canonical record. Pure and cheap (a few microseconds): the loader calls it for
 * every record it writes. `links` adds the link criteria for the URLs it knows.
 */
export function scoreDataset(r: CanonicalDataset, links?: LinkResults): DatasetQuality {
  const criteria = emptyCriteria();
  const improvements: Improvement[] = [];
  const give = (c: Criterion, share: number, code?: ImprovementCode) => {
    const pts = round1(CRITERIA[c].weight * share);
    criteria[c] = pts;
    if (code !== undefined && pts < CRITERIA[c].weight) improvements.push({ code, criterion: c, dimension: CRITERIA[c].dimension, gain: round1(CRITERIA[c].weight - pts) });
  };
  const ds: Distribution[] = Array.isArray(r.distributions) ? r.distributions : [];
  const n = ds.length;
  const share = (test: (d: Distribution) => boolean) => (n === 0 ? 0 : ds.filter(test).length / n);

  // Findability
  give('keywords', Object.values(r.keywords ?? {}).some((l) => Array.isArray(l) && l.some((k) => k.trim() !== '')) ? 1 : 0, 'add_keywords');
  give('themes', (r.themes ?? []).length > 0 ? 1 : 0, 'add_themes');
  give('spatial', (r.spatial ?? []).length > 0 ? 1 : 0, 'add_spatial');
  give('temporal', (r.temporal ?? []).some((t) => t.start !== undefined || t.end !== undefined) ? 1 : 0, 'add_temporal');

  // Accessibility. Without a distribution nothing can answer: one improvement says so, rather
  // than one per distribution-level criterion.
  const ifDist = (code: ImprovementCode) => (n === 0 ? undefined : code);
  const unassessed: Criterion[] = ['rights'];
  const linkShare = (urls: string[]): number | undefined => {
    const known = links === undefined ? [] : urls.filter((u) => links.has(u));
    return known.length === 0 ? undefined : known.filter((u) => links!.get(u)).length / known.length;
  };
  const accessUrls = ds.flatMap((d) => (d.accessUrl ? [d.accessUrl] : []));
  const downloadUrls = ds.flatMap((d) => (d.downloadUrl ? [d.downloadUrl] : []));
  const accessShare = linkShare(accessUrls);
  if (n === 0) give('accessUrlAnswers', 0);
  else if (accessShare === undefined) {
    criteria.accessUrlAnswers = null;
    unassessed.push('accessUrlAnswers');
  } else give('accessUrlAnswers', accessShare, 'fix_access_url');
  give('downloadUrl', share((d) => !!d.downloadUrl), ifDist('add_download_url'));
  const downloadShare = linkShare(downloadUrls);
  if (downloadUrls.length === 0) give('downloadUrlAnswers', 0);
  else if (downloadShare === undefined) {
    criteria.downloadUrlAnswers = null;
    unassessed.push('downloadUrlAnswers');
  } else give('downloadUrlAnswers', downloadShare, 'fix_download_url');

  // Interoperability
  const codes = ds.map((d) => formatCode(d.format, d.mediaType));
  give('format', share((d) => !!d.format), ifDist('add_format'));
  give('mediaType', share((d) => !!d.mediaType), ifDist('add_media_type'));
  give('formatVocabulary', share((d) => isEuFileType(d.format) || isIanaMediaType(d.mediaType)), ifDist('use_format_vocabulary'));
  give('nonProprietary', n === 0 ? 0 : codes.filter(isNonProprietary).length / n, ifDist('use_non_proprietary_format'));
  give('machineReadable', n === 0 ? 0 : codes.filter(isMachineReadable).length / n, ifDist('use_machine_readable_format'));
  // DCAT-AP 3 conformance as far as the record shows it: the mandatory dct:description and
  // dcat:accessURL, and dcat:theme as IRIs (a literal theme is a SHACL violation).
  const dcatIssues: ImprovementCode[] = [];
  if (!hasText(r.description)) dcatIssues.push('add_description');
  if (ds.some((d) => !d.accessUrl)) dcatIssues.push('add_access_url');
  if ((r.themes ?? []).some((t) => !isUri(t))) dcatIssues.push('use_theme_uris');
  give('dcatAp', dcatIssues.length === 0 ? 1 : 0);
  for (const code of dcatIssues) improvements.push({ code, criterion: 'dcatAp', dimension: 'interoperability', gain: CRITERIA.dcatAp.weight });

  // Reusability: a dataset-level licence covers every distribution.
  const licenceOf = (d: Distribution) => d.license ?? r.license;
  if (n === 0) {
    give('license', r.license ? 1 : 0, 'add_license');
    give('licenseVocabulary', isLicenceFromVocabulary(r.license) ? 1 : 0, r.license ? 'use_license_vocabulary' : undefined);
  } else {
    give('license', share((d) => !!licenceOf(d)), 'add_license');
    const licensed = share((d) => !!licenceOf(d));
    give('licenseVocabulary', share((d) => isLicenceFromVocabulary(licenceOf(d))), licensed > 0 ? 'use_license_vocabulary' : undefined);
  }
  give('accessRights', r.accessRights ? 1 : 0, 'add_access_rights');
  give('accessRightsVocabulary', isAccessRightsFromVocabulary(r.accessRights) ? 1 : 0, r.accessRights ? 'use_access_rights_vocabulary' : undefined);
  const cp = r.contactPoint;
  give('contactPoint', cp && (cp.email || cp.url || cp.phone || cp.uri || cp.name) ? 1 : 0, 'add_contact_point');
  give('publisher', r.publisher && (r.publisher.uri || hasText(r.publisher.name)) ? 1 : 0, 'add_publisher');

  // Contextuality (dct:rights is not in the canonical record: see `unassessed`).
  give('byteSize', share((d) => typeof d.byteSize === 'number' && d.byteSize >= 0), ifDist('add_byte_size'));
  give('issued', r.issued ? 1 : 0, 'add_issued');
  give('modified', r.modified ? 1 : 0, 'add_modified');

  if (n === 0) {
    const lost = (['downloadUrl', 'format', 'mediaType', 'formatVocabulary', 'nonProprietary', 'machineReadable', 'byteSize'] as const).reduce((s, c) => s + CRITERIA[c].weight, 0);
    improvements.push({ code: 'add_distribution', criterion: 'downloadUrl', dimension: 'accessibility', gain: lost + CRITERIA.accessUrlAnswers.weight });
  }

  const dimensions = emptyDimensions();
  for (const c of CRITERION_NAMES) {
    const pts = criteria[c];
    if (pts === null) continue;
    const dim = dimensions[CRITERIA[c].dimension];
    dim.points += pts;
    dim.max += CRITERIA[c].weight;
  }
  let total = 0;
  let max = 0;
  for (const d of DIMENSIONS) {
    dimensions[d].points = round1(dimensions[d].points);
    total += dimensions[d].points;
    max += dimensions[d].max;
  }
  improvements.sort((a, b) => b.gain - a.gain || CODE_RANK[a.code] - CODE_RANK[b.code]);
  const score = Math.round(total);
  return { version: QUALITY_VERSION, score, max, rating: ratingOf(score, max), dimensions, criteria, improvements, unassessed };
}

/** The criterion an improvement raises (several DCAT-AP codes share one). */
export const IMPROVEMENT_CRITERION: Record<ImprovementCode, Criterion> = {
  add_keywords: 'keywords',
  add_themes: 'themes',
  add_spatial: 'spatial',
  add_temporal: 'temporal',
  add_distribution: 'downloadUrl',
  fix_access_url: 'accessUrlAnswers',
  add_download_url: 'downloadUrl',
  fix_download_url: 'downloadUrlAnswers',
  add_format: 'format',
  add_media_type: 'mediaType',
  use_format_vocabulary: 'formatVocabulary',
  use_non_proprietary_format: 'nonProprietary',
  use_machine_readable_format: 'machineReadable',
  add_description: 'dcatAp',
  add_access_url: 'dcatAp',
  use_theme_uris: 'dcatAp',
  add_license: 'license',
  use_license_vocabulary: 'licenseVocabulary',
  add_access_rights: 'accessRights',
  use_access_rights_vocabulary: 'accessRightsVocabulary',
  add_contact_point: 'contactPoint',
  add_publisher: 'publisher',
  add_byte_size: 'byteSize',
  add_issued: 'issued',
  add_modified: 'modified',
};

/**
 * The stored form of a DatasetQuality (`datasets.quality`): the points of each criterion in
 * CRITERION_NAMES order (null: not assessed) and the improvements as [code, gain]. About a
 * quarter of the full object's JSON: it travels in every load batch and sits in every row.
 * Everything else (dimensions, rating, unassessed) follows from it (`fromStored`).
 */
export interface StoredQuality {
  v: number;
  s: number;
  m: number;
  c: Array<number | null>;
  i: Array<[ImprovementCode, number]>;
}

export function toStored(q: DatasetQuality): StoredQuality {
  return { v: q.version, s: q.score, m: q.max, c: CRITERION_NAMES.map((c) => q.criteria[c]), i: q.improvements.map((x) => [x.code, x.gain]) };
}

/** The full DatasetQuality of a stored one; null for anything that is not one. */
export function fromStored(st: unknown): DatasetQuality | null {
  if (st === null || typeof st !== 'object' || !Array.isArray((st as StoredQuality).c) || !Array.isArray((st as StoredQuality).i)) return null;
  const x = st as StoredQuality;
  const criteria = emptyCriteria();
  const unassessed: Criterion[] = [];
  const dimensions = emptyDimensions();
  CRITERION_NAMES.forEach((c, n) => {
    const pts = x.c[n] ?? null;
    criteria[c] = pts;
    if (pts === null) return unassessed.push(c);
    dimensions[CRITERIA[c].dimension].points += pts;
    dimensions[CRITERIA[c].dimension].max += CRITERIA[c].weight;
  });
  for (const d of DIMENSIONS) dimensions[d].points = round1(dimensions[d].points);
  // 'rights' first, as the scorer lists it.
  unassessed.sort((a, b) => (a === 'rights' ? -1 : b === 'rights' ? 1 : 0));
  const improvements = x.i
    .filter(([code]) => code in IMPROVEMENT_CRITERION)
    .map(([code, gain]) => ({ code, criterion: IMPROVEMENT_CRITERION[code], dimension: CRITERIA[IMPROVEMENT_CRITERION[code]].dimension, gain }));
  return { version: x.v, score: x.s, max: x.m, rating: ratingOf(x.s, x.m), dimensions, criteria, improvements, unassessed };
}
