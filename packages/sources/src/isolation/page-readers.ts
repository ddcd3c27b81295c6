import type { ParseLimits } from '@hasad/core';
import type { MappedBatch } from '../adapters/shared/batches.ts';
import { readCswPage, type CswPageInput } from '../adapters/csw/read-page.ts';
import { readDcatPage, type DcatPageInput } from '../adapters/dcat/read-page.ts';
import type { PageOutcome } from '../pager.ts';

/** The page readers a parsing worker can run, by name, each a pure "bytes in, batches out" function. */
export const PAGE_READERS = {
  dcat: readDcatPage,
  csw: readCswPage,
} satisfies Record<string, (input: never, body: AsyncIterable<Uint8Array>, limits: ParseLimits, hint?: never) => AsyncGenerator<MappedBatch, PageOutcome>>;

export type PageReaderKind = keyof typeof PAGE_READERS;

/** What each reader is given besides the body: plain data (it crosses to the worker by structured clone). */
export interface PageReaderInputs {
  dcat: DcatPageInput;
  csw: CswPageInput;
}

/** What each reader returns once its batches are out. */
export type PageReaderOutcome<K extends PageReaderKind> = (typeof PAGE_READERS)[K] extends (...args: never[]) => AsyncGenerator<MappedBatch, infer O> ? O : never;

/** The hint each reader may give (the fourth argument), if any. */
export type PageReaderHint<K extends PageReaderKind> = Parameters<(typeof PAGE_READERS)[K]>[3];

/** The format each kind's pages are named by in the pool's own errors (CPU time, heap). */
export const PAGE_READER_FORMATS: Record<PageReaderKind, string> = {
  dcat: 'RDF',
  csw: 'CSW GetRecords response',
};
