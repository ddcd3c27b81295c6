import type { ParseLimits } from '@hasad/core';
import type { MappedBatch } from '../adapters/shared/batches.ts';
import { readDcatPage, type DcatPageInput } from '../adapters/dcat/read-page.ts';
import type { PageOutcome } from '../pager.ts';

/** The page readers a parsing worker can run, by name, each a pure "bytes in, batches out" function. */
export const PAGE_READERS = {
  dcat: readDcatPage,
} satisfies Record<string, (input: never, body: AsyncIterable<Uint8Array>, limits: ParseLimits) => AsyncGenerator<MappedBatch, PageOutcome>>;

export type PageReaderKind = keyof typeof PAGE_READERS;

/** What each reader is given besides the body: plain data (it crosses to the worker by structured clone). */
export interface PageReaderInputs {
  dcat: DcatPageInput;
}
