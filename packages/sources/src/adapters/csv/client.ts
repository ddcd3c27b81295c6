import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { fetchPage, type FetchResponse } from '../../http/client.ts';
import type { HttpOptions } from '../../types.ts';
import { batchSizeOf, runPager } from '../../pager.ts';
import type { PageOutcome } from '../../pager.ts';
import type { HarvestEvent, HarvestOptions } from '../../types.ts';
import type { MappedBatch } from '../shared/batches.ts';
import type { CsvSettings } from './config.ts';
import { compileMapping, HASH_ID_PREFIX, inferDateOrders, mapRow } from './map.ts';
import { targetName } from './config.ts';
import { CSV_ACCEPT, openCsv } from './parse.ts';

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/**
 * Harvests a CSV inventory, one row per dataset: one GET (conditional when the previous run
 * left validators), rows mapped as they stream in and yielded in batches of `batchSize`, then a
 * single page event (page 1) carrying the response's ETag and Last-Modified. The first batch
 * opens with the header's notes: `csv_dialect`, the `csv_mapping` of mapped and ignored columns,
 * and the opening's warnings (on the page event for a file without rows, which has no batch).
 *
 * @throws ParseError before any batch when the body is not CSV (HTML, markup, JSON, binary), so
 *   the failed run withdraws nothing; ParseError (with its line) on quoting that breaks the rest
 *   of the file; ConfigError when the file lacks the identifier or title column its mapping
 *   names; fetch errors from the HTTP client. Row-level problems never throw.
 */
export function harvestCsv(opts: HarvestOptions, settings: CsvSettings): AsyncGenerator<HarvestEvent> {
  const batchSize = batchSizeOf(opts);
  // A CSV file is one page; a resume can only restart it (the fetcher never resumes past its last page).
  return runPager(opts, { noun: 'file', get: { accept: CSV_ACCEPT, format: 'csv' }, read: (_page, { res }) => readCsvPage(res, settings, batchSize) });
}

/** Reads the one page of a CSV source: batches of mapped rows; the page's own notes at the end. */
async function* readCsvPage(res: FetchResponse, settings: CsvSettings, batchSize: number): AsyncGenerator<MappedBatch, PageOutcome> {
  let file: Awaited<ReturnType<typeof openCsv>> | undefined;
  try {
    file = await openCsv(res.body, {
      url: res.url,
      ...(res.contentType !== undefined && { contentType: res.contentType }),
      ...(settings.encoding !== undefined && { encoding: settings.encoding }),
      ...(settings.delimiter !== undefined && { delimiter: settings.delimiter }),
    });
    // What the header tells (dialect, mapping: mapped and ignored columns) travels with the first
    // batch, so that a preview stopping after a few records still shows it; the page event at the
    // end of the file carries only what needs the whole file (hashed identifiers, no dataset).
    const headerNotes: RecordProblem[] = [
      {
        severity: 'info',
        code: 'csv_dialect',
        message: `read as ${file.encoding.encoding} (${file.encoding.source === 'detected' ? `detected: ${file.encoding.reason}` : file.encoding.reason}), ${DELIMITER_NAMES[file.delimiter]}-delimited (${file.delimiterSource === 'default' ? 'no delimiter found in the header: one column' : file.delimiterSource})`,
      },
      ...file.problems,
    ];
    const mapping = file.header.length > 0 ? compileMapping(file.header, settings) : undefined;
    if (mapping !== undefined) headerNotes.push(...mapping.problems);
    const pageProblems: RecordProblem[] = [];
    const noteCount = headerNotes.length;

    let batchNo = 0;
    let recordCount = 0;
    let rowCount = 0;
    let hashed = 0;
    const firstLine = new Map<string, number>();
    let batch: { records: CanonicalDataset[]; problems: RecordProblem[]; invalidIdentifiers: string[] } = { records: [], problems: headerNotes, invalidIdentifiers: [] };

    if (mapping !== undefined) {
      let inferred = false;
      for await (const chunk of file.rows) {
        if (!inferred) {
          // The first rows decide each date column's day/month order (when no dateFormat is set);
          // the decision joins the csv_mapping note, which travels with the first batch.
          inferred = true;
          const notes = inferDateOrders(mapping, chunk, settings.defaultLanguage);
          const note = notes.length > 0 ? headerNotes.find((n) => n.code === 'csv_mapping') : undefined;
          if (note !== undefined) note.message += `; ${notes.join('; ')}`;
        }
        for (const row of chunk) {
          rowCount++;
          const r = mapRow(row, mapping);
          batch.problems.push(...r.problems);
          if (r.record === undefined) {
            if (r.identifier !== undefined) batch.invalidIdentifiers.push(r.identifier);
          } else {
            const seenAt = firstLine.get(r.record.identifier);
            if (seenAt !== undefined) {
              batch.problems.push({
                severity: 'warning',
                code: 'duplicate_identifier',
                message: `line ${row.line}: identifier ${JSON.stringify(r.record.identifier)} already used at line ${seenAt}; the first row is kept${r.hashed ? ' (hashed identifiers repeat when two rows have the same title and URL)' : ''}`,
                identifier: r.record.identifier,
              });
            } else {
              firstLine.set(r.record.identifier, row.line);
              if (r.hashed) hashed++;
              batch.records.push(r.record);
            }
          }
          if (batch.records.length >= batchSize) {
            recordCount += batch.records.length;
            batchNo++;
            yield batch;
            batch = { records: [], problems: [], invalidIdentifiers: [] };
          }
        }
      }
    }
    if (batchNo === 0 && batch.records.length === 0 && batch.invalidIdentifiers.length === 0 && batch.problems.length === noteCount) {
      // No row at all (empty file, header alone): no batch; the notes go with the page.
      pageProblems.push(...batch.problems);
    } else if (batch.records.length > 0 || batch.problems.length > 0 || batch.invalidIdentifiers.length > 0) {
      recordCount += batch.records.length;
      batchNo++;
      yield batch;
    }

    if (hashed > 0) {
      const why = mapping?.identifierColumn === undefined ? 'no identifier column is mapped' : `their identifier column ${JSON.stringify(mapping.identifierColumn)} is empty`;
      pageProblems.push({
        severity: 'warning',
        code: 'identifier_from_hash',
        message: `${hashed} of ${rowCount} row(s) have no identifier (${why}); each got "${HASH_ID_PREFIX}" + the sha1 of its title and URL, which changes when either changes`,
        field: 'identifier',
      });
    }
    if (recordCount === 0) {
      const why = file.header.length === 0 ? 'the file is empty' : rowCount === 0 ? 'the file has a header but no rows' : `none of its ${rowCount} row(s) is a valid dataset`;
      pageProblems.push({ severity: 'warning', code: 'no_datasets', message: `no dataset read from ${res.url}: ${why}` });
    }
    return { format: 'csv', ...(pageProblems.length > 0 && { problems: pageProblems }) };
  } finally {
    file?.close();
    res.body.destroy();
  }
}

/** A column of a CSV file's header and the record field it fills under a config (none: ignored). */
export interface CsvColumn {
  name: string;
  /** `title.fr`, `modified`, `distributions[].accessUrl`…; absent when the column is not read. */
  field?: string;
}

/**
 * Reads only a CSV file's header (one GET, the connection closed after the first row) and says
 * which field each column fills under `settings`: the institutions' space builds its mapping
 * table from it. Same address rules and limits as a harvest.
 *
 * @throws ParseError when the body is not CSV; ConfigError when the mapping names a column the file lacks; fetch errors.
 */
export async function readCsvColumns(url: string, settings: CsvSettings, http: HttpOptions, signal?: AbortSignal): Promise<CsvColumn[]> {
  const res = await fetchPage({ url, http, accept: CSV_ACCEPT, ...(signal !== undefined && { signal }) });
  const file = await openCsv(res.body, {
    url: res.url,
    ...(res.contentType !== undefined && { contentType: res.contentType }),
    ...(settings.encoding !== undefined && { encoding: settings.encoding }),
    ...(settings.delimiter !== undefined && { delimiter: settings.delimiter }),
  });
  try {
    const mapping = compileMapping(file.header, settings);
    return file.header.map((raw, i) => {
      const slot = mapping.slots.find((x) => x.index === i);
      return { name: raw.trim(), ...(slot !== undefined && { field: targetName(slot.target) }) };
    });
  } finally {
    file.close();
    res.body.destroy();
  }
}
