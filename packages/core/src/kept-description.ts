import { constants, DeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a kept source description travels and is stored: its UTF-8 text raw-deflated once by the
 * fetcher, base64 in the `load.batch` job (BullMQ jobs are JSON), bytes in PostgreSQL
 * (`datasets.source_description_deflated`). A description is 3-4 KB of N-Triples that repeat
 * long IRIs; deflated it is about a quarter of that, and every later step (the job's JSON, Redis,
 * the loader's statement, the row and its WAL) then handles a quarter of the bytes. The content
 * hash is computed on the text, before this, so it does not depend on zlib's output.
 *
 * Level 1: on these inputs it compresses nearly as well as the default level (about 760 against
 * 700 bytes for a 3.3 KB description) for less CPU.
 */
export function deflateDescription(text: string): Buffer {
  return deflateDescriptionBytes(Buffer.from(text, 'utf8'));
}

/** The same from the text's UTF-8 bytes (when the caller has them already). */
export function deflateDescriptionBytes(utf8: Buffer): Buffer {
  return reusedDeflate?.(utf8) ?? deflateRawSync(utf8, DEFLATE_OPTIONS);
}

/** The description's text back from its stored bytes. */
export function inflateDescription(bytes: Uint8Array): string {
  return inflateRawSync(bytes).toString('utf8');
}

/**
 * How the content hash of a record with a kept description (and no fingerprint) starts since
 * 2026-12-07: its text hashed as bytes beside the record's JSON (@hasad/sources' content-hash.ts).
 * A stored hash without it is of the earlier form, which the loader takes over without a rewrite
 * where the record and the description's bytes are the same (load.repository.ts).
 */
export const DESCRIBED_HASH_PREFIX = 'd2:';

const DEFLATE_OPTIONS = { level: 1 } as const;

/** The native side of a zlib stream (Node's internal `_handle`), as far as it is used here. */
interface ZlibHandle {
  reset(): void;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
}

/**
 * One deflate state reused for every description of the thread, reset between them. Why by hand:
 * `deflateRawSync` builds a stream object and a native zlib state (some 256 KB, reported to V8 as
 * external memory, which brings garbage collections forward) for every call and closes it after
 * one input; for a 3 KB description that setup was 10-15 µs of the 35 µs a deflate took
 * (bench/_dcatcheck.ts), about a tenth of what keeping the description costs a first harvest.
 * Node offers no public way to run a sync deflate twice on one state, so this uses the stream's
 * native handle, which Node's own sync path drives the same way (`writeSync` with Z_FINISH, the
 * space left in `_writeState`). It is checked once against `deflateRawSync` on a sample; if the
 * handle is not there or gives other bytes (another Node version), the public call is used.
 */
const reusedDeflate: ((input: Buffer) => Buffer | undefined) | undefined = (() => {
  // The stream is kept with its handle for the thread's life: nothing may close the state under it.
  let stream: { _handle?: ZlibHandle; _writeState?: Uint32Array };
  let handle: ZlibHandle;
  let state: Uint32Array;
  try {
    stream = new DeflateRaw(DEFLATE_OPTIONS) as unknown as typeof stream;
    if (typeof stream._handle?.writeSync !== 'function' || typeof stream._handle.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) return undefined;
    handle = stream._handle;
    state = stream._writeState;
  } catch {
    return undefined;
  }
  let out = Buffer.allocUnsafe(64 * 1024);
  const deflate = (input: Buffer): Buffer | undefined => {
    // Level 1 never grows a text by more than a few bytes per 16 KB block; the margin covers it.
    // An output that still filled the buffer is done again by the public call.
    const need = input.length + (input.length >> 3) + 1024;
    if (out.length < need) out = Buffer.allocUnsafe(need);
    if (stream._handle !== handle) return undefined;
    handle.reset();
    handle.writeSync(constants.Z_FINISH, input, 0, input.length, out, 0, out.length);
    const availOut = state[0] as number;
    const availIn = state[1] as number;
    if (availIn !== 0 || availOut === 0) return undefined;
    return Buffer.from(out.subarray(0, out.length - availOut));
  };
  try {
    const sample = Buffer.from('<http://example.org/d> <http://purl.org/dc/terms/title> "عنوان — titre"@ar .\n'.repeat(40), 'utf8');
    const mine = deflate(sample);
    if (mine === undefined || !mine.equals(deflateRawSync(sample, DEFLATE_OPTIONS)) || !deflate(sample)?.equals(mine)) return undefined;
  } catch {
    return undefined;
  }
  return deflate;
})();

/** Whether descriptions are deflated on one reused zlib state (see reusedDeflate); for tests. */
export const deflateStateReused = reusedDeflate !== undefined;
