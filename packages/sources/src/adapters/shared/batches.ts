import type { CanonicalDataset, LangMap, RecordProblem, ProblemCode, SourceDescriptionFormat } from '@hasad/core';

/** Records of one page, in batches. */
export interface MappedBatch {
  records: CanonicalDataset[];
  problems: RecordProblem[];
  /** Identifiers of records left out because of an `error` problem. */
  invalidIdentifiers: string[];
  /**
   * Set by a parsing worker whose pool packs for the queue (the fetcher's): `packed[i]` is
   * `records[i]`'s content hash and its kept description, compressed, which then left the record.
   */
  packed?: PackedRecord[];
}

/**
 * What the fetcher would compute from a record on its way to the loader, computed in the parsing
 * worker instead: the content hash over the record with its kept description's text, and that
 * description compressed in base64 (@hasad/core's kept-description.ts). A description's text
 * is the costliest thing a batch carries across threads (structured clone of 3-4 KB of two-byte
 * text a dataset, measured about 150 µs a dataset to serialise and deserialise); its compressed
 * base64 is about a quarter of it, one-byte. (The fetcher turns it back into bytes and parks a
 * batch's descriptions beside its load job: loadBatchPayload.descriptions.)
 */
export interface PackedRecord {
  hash: string;
  description?: { format: SourceDescriptionFormat; deflated: string };
}

/** What mapping one source record gives. */
export interface RecordMapResult {
  /** Absent when the record has an `error` problem. */
  record?: CanonicalDataset;
  problems: RecordProblem[];
  /** The identifier, when one could be determined (also for invalid records). */
  identifier?: string;
}

/**
 * A dataset as a mapper starts it: its identifier, title and description, every list empty. The
 * keys are in the order every kind writes them (a record's JSON is what the loader compares).
 */
export function newDataset(identifier: string, title: LangMap, description: LangMap): CanonicalDataset {
  return { identifier, title, description, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [] };
}

/**
 * The problems of one record while it is mapped. Every problem carries the record's
 * identifier (once known) and the canonical field, prefixed for nested parts
 * (`distributions[1].`).
 */
export class RecordProblems {
  readonly list: RecordProblem[] = [];
  identifier: string | undefined;
  constructor(private readonly prefix = '') {}

  warn(code: ProblemCode, field: string, message: string): void {
    this.push('warning', code, field, message);
  }

  error(code: ProblemCode, field: string, message: string): void {
    this.push('error', code, field, message);
  }

  private push(severity: RecordProblem['severity'], code: ProblemCode, field: string, message: string): void {
    this.list.push({ severity, code, message, ...(this.identifier !== undefined && { identifier: this.identifier }), field: this.prefix + field });
  }
}

const empty = (): MappedBatch => ({ records: [], problems: [], invalidIdentifiers: [] });

/**
 * Groups mapped records into batches of at most `size` records, the way every adapter hands
 * them to the loader: a record whose identifier was already seen is dropped with
 * `duplicate_identifier` (first kept), an invalid record's identifier is kept as seen (it must
 * not cause a withdrawal), and problems travel with the batch they were found in.
 */
export class BatchCollector {
  private batch = empty();
  private readonly size: number;

  /** `seen` may be shared across pages (SOAP) or be per page (the default). */
  constructor(size: number, private readonly seen = new Set<string>()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /** A problem that belongs to no mapped record (a skipped entry, say). */
  note(problem: RecordProblem): void {
    this.batch.problems.push(problem);
  }

  /**
   * Adds one mapped record. `duplicate` words the warning when its identifier was seen.
   * Returns a full batch to hand on, or undefined.
   */
  add(res: RecordMapResult, duplicate: (identifier: string) => string): MappedBatch | undefined {
    if (res.identifier !== undefined && this.seen.has(res.identifier)) {
      this.batch.problems.push({ severity: 'warning', code: 'duplicate_identifier', message: duplicate(res.identifier), identifier: res.identifier, field: 'identifier' });
      return undefined;
    }
    if (res.identifier !== undefined) this.seen.add(res.identifier);
    this.batch.problems.push(...res.problems);
    if (res.record !== undefined) this.batch.records.push(res.record);
    else if (res.identifier !== undefined) this.batch.invalidIdentifiers.push(res.identifier);
    if (this.batch.records.length < this.size) return undefined;
    const full = this.batch;
    this.batch = empty();
    return full;
  }

  /** What is left, if anything. */
  flush(): MappedBatch | undefined {
    const b = this.batch;
    this.batch = empty();
    return b.records.length > 0 || b.problems.length > 0 || b.invalidIdentifiers.length > 0 ? b : undefined;
  }
}

/**
 * A batch read on its own (a page parsed in a worker, which knows only its page) with the records
 * and invalid identifiers already seen on earlier pages of the harvest left out, as
 * {@link BatchCollector} does within a page: each one dropped gets a `duplicate_identifier`
 * warning worded by `duplicate` instead of its own problems, the first kept. Adds the batch's
 * identifiers to `seen`. `packed` stays parallel to `records`.
 */
export function dropSeenBefore(batch: MappedBatch, seen: Set<string>, duplicate: (identifier: string) => string): MappedBatch {
  const dropped = new Set<string>();
  for (const r of batch.records) if (seen.has(r.identifier)) dropped.add(r.identifier);
  for (const id of batch.invalidIdentifiers) if (seen.has(id)) dropped.add(id);
  if (dropped.size === 0) {
    for (const r of batch.records) seen.add(r.identifier);
    for (const id of batch.invalidIdentifiers) seen.add(id);
    return batch;
  }
  const out: MappedBatch = { records: [], problems: [], invalidIdentifiers: [], ...(batch.packed !== undefined && { packed: [] }) };
  for (const p of batch.problems) if (p.identifier === undefined || !dropped.has(p.identifier)) out.problems.push(p);
  for (const id of dropped) out.problems.push({ severity: 'warning', code: 'duplicate_identifier', message: duplicate(id), identifier: id, field: 'identifier' });
  batch.records.forEach((r, i) => {
    if (dropped.has(r.identifier)) return;
    seen.add(r.identifier);
    out.records.push(r);
    const p = batch.packed?.[i];
    if (p !== undefined) out.packed?.push(p);
  });
  for (const id of batch.invalidIdentifiers) {
    if (dropped.has(id)) continue;
    seen.add(id);
    out.invalidIdentifiers.push(id);
  }
  return out;
}
