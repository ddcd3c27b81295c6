import type { RecordProblem } from '@hasad/core';
import type { CkanConfig } from './config.ts';

/**
 * The mapping a CKAN source uses, as one `ckan_mapping` info note. CKAN packages have one shape,
 * so the mapping is fixed (see map.ts; for each field a ckanext-scheming field or an extra of
 * the same name wins over CKAN's core field); what the config changes is the language given to
 * untagged strings and which packages are listed. Preview shows it.
 */
export function describeCkanMapping(config: CkanConfig): RecordProblem[] {
  const l = config.language;
  const fields = [
    'identifier ← id (name without id)',
    `title.${l} ← title, with title_translated by language`,
    `description.${l} ← notes, with notes_translated`,
    `keywords.${l} ← tags (tags_translated)`,
    'themes ← groups (extra theme)',
    'publisher ← publisher, extras publisher_*, else organization',
    'contactPoint ← contact, extras contact_*, maintainer, author',
    'license ← license_url, license_id, license_title',
    'issued ← issued, dataset-reference-date, metadata_created',
    'modified ← modified, dataset-reference-date, metadata_modified',
    'landingPage ← url',
    'spatial ← spatial_uri, spatial_text, spatial (GeoJSON), bbox extras',
    'temporal ← temporal_coverage, temporal_start/end',
    'language ← language',
    'distributions ← active resources (access_url or url, download_url, format, mimetype, size, name, description)',
    'skipped: private and non-active (deleted, draft) packages, harvest source records',
  ];
  const listing = [`rows=${config.rows}`, `sort=${config.sort}`, ...(config.fq !== undefined ? [`fq=${config.fq}`] : [])];
  const inc = config.incremental;
  if (inc?.enabled === true) {
    const schedule = [inc.fullEveryHours !== undefined ? `every ${inc.fullEveryHours} h` : undefined, inc.fullEveryRuns !== undefined ? `one run in ${inc.fullEveryRuns}` : undefined].filter((x) => x !== undefined);
    listing.push(`incremental (metadata_modified since the last complete run${inc.since !== undefined ? `, never before ${inc.since}` : ''}; full listing ${schedule.length > 0 ? schedule.join(' or ') : 'never scheduled'})`);
  }
  return [{ severity: 'info', code: 'ckan_mapping', message: `default CKAN mapping, untagged strings as "${l}": ${fields.join('; ')}. Listing: ${listing.join(', ')}` }];
}
