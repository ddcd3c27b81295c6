import * as zlib from 'node:zlib';
import { constants, DeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a kept source description travels and is stored: its UTF-8 text compressed once by the
 * fetcher's parsing worker (handed to the fetcher's thread in base64), a batch's bytes parked
 * beside its `load.batch` job as one binary Redis value (load-batch.ts; jobs of earlier versions
 * carry them inline in base64, in a field still named `deflated`), bytes in PostgreSQL
 * (`datasets.source_description_deflated`, named when deflate was the only codec). A description is 3-4 KB of N-Triples that repeat long IRIs; compressed it is
 * about a quarter of that, and every later step (the job's JSON, Redis, the loader's statement,
 * the row and its WAL) then handles a quarter of the bytes. The content hash is computed on the
 * text, before this, so it depends on neither codec's output.
 *
 * Two codecs, told apart by their first bytes when read (see decompressDescription):
 * - **zstd** (level 3, its default), where Node has it (22.15 and later, so Node 24, the runtime
 *   Hasad targets): on the bench's descriptions 7-8 µs and 781 bytes for a 3.3 KB text, against
 *   19-20 µs and 762 bytes for zlib's fastest level, both on one reused state (Node 24, AMD EPYC);
 * - **raw deflate** (zlib level 1) on Node 20, which has no zstd; the only form before 2026-12-07,
 *   so rows and queued jobs of that form are read everywhere.
 * A catalogue written by Node 24 roles holds zstd frames that a Node 20 process cannot read (it
 * says so, see decompressDescription): run every role on the same Node.
 */
export function compressDescription(text: string): Buffer {
  return compressDescriptionBytes(Buffer.from(text, 'utf8'));
}

/** The same from the text's UTF-8 bytes (when the caller has them already). */
export function compressDescriptionBytes(utf8: Uint8Array): Buffer {
  const view = reused?.(utf8);
  return view !== undefined ? Buffer.from(view) : publicCompress(utf8);
}

/** The same in base64, as the `load.batch` job carries it (without copying the bytes first). */
export function compressDescriptionBase64(utf8: Uint8Array): string {
  return (reused?.(utf8) ?? publicCompress(utf8)).toString('base64');
}

function publicCompress(utf8: Uint8Array): Buffer {
  return zstd !== undefined ? zstd.compress(utf8, ZSTD_OPTIONS) : deflateRawSync(utf8, DEFLATE_OPTIONS);
}

/**
 * The description's text back from its stored bytes, either codec. A zstd frame starts with its
 * magic number (28 B5 2F FD); a raw deflate stream never does (its first byte would open a stored
 * block whose length check the next bytes fail), so the first four bytes tell them apart.
 */
export function decompressDescription(bytes: Uint8Array): string {
  if (isZstdFrame(bytes)) {
    if (zstd === undefined) {
      throw new Error(`this kept source description is a zstd frame, written by a role on Node ${ZSTD_SINCE} or later, and this process runs Node ${process.versions.node}, which cannot read zstd: run every Hasad role on the same Node (24)`);
    }
    return zstd.decompress(bytes).toString('utf8');
  }
  return inflateRawSync(bytes).toString('utf8');
}

/**
 * How the content hash of a record with a kept description (and no fingerprint) starts since
 * 2026-12-07: its text hashed as bytes beside the record's JSON (@hasad/sources' content-hash.ts).
 * A stored hash without it is of the earlier form, which the loader takes over without a rewrite
 * where the record and the description's text are the same (load.repository.ts).
 */
export const DESCRIBED_HASH_PREFIX = 'd2:';

const ZSTD_SINCE = '22.15';
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;

function isZstdFrame(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === ZSTD_MAGIC[0] && b[1] === ZSTD_MAGIC[1] && b[2] === ZSTD_MAGIC[2] && b[3] === ZSTD_MAGIC[3];
}

const DEFLATE_OPTIONS = { level: 1 } as const;

type SyncCall = (input: Uint8Array, options: object) => Buffer;
type StreamClass = new (options: object) => unknown;

/** Node's zstd calls where it has them (not typed by @types/node 20, hence looked up by name). */
function zstdApi(): { compress: SyncCall; decompress: (input: Uint8Array) => Buffer; Compress: StreamClass } | undefined {
  const z = zlib as unknown as Record<string, unknown>;
  if (typeof z.zstdCompressSync !== 'function' || typeof z.zstdDecompressSync !== 'function' || typeof z.ZstdCompress !== 'function') return undefined;
  return { compress: z.zstdCompressSync as SyncCall, decompress: z.zstdDecompressSync as (input: Uint8Array) => Buffer, Compress: z.ZstdCompress as StreamClass };
}

const zstd = zstdApi();
const ZSTD_CONSTANTS = constants as unknown as Record<string, number | undefined>;
// zstd's API numbers (ZSTD_c_compressionLevel = 100, ZSTD_e_end = 2), which Node 22.15+ exports.
const ZSTD_OPTIONS = { params: { [ZSTD_CONSTANTS.ZSTD_c_compressionLevel ?? 100]: 3 } };
const ZSTD_E_END = ZSTD_CONSTANTS.ZSTD_e_end ?? 2;

/** The native side of a zlib stream (Node's internal `_handle`), as far as it is used here. */
interface NativeHandle {
  reset(): void;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
}

/**
 * One compression state reused for every description of the thread, reset between them. Why by
 * hand: the sync calls (`deflateRawSync`, `zstdCompressSync`) build a stream object and a native
 * state (256 KB for zlib, more for zstd, reported to V8 as external memory, which brings garbage
 * collections forward) for every call and close it after one input; for a 3 KB description that
 * setup was 10-15 µs of the 35 µs a deflate took, and 16 of the 23 µs a zstd compression takes.
 * Node offers no public way to run a sync compression twice on one state, so this uses the stream's
 * native handle, which Node's own sync path drives the same way (`writeSync` with the finishing
 * flush, the space left in `_writeState`). It is checked once against the public call on a sample;
 * if the handle is not there or gives other bytes (another Node version), the public call is used.
 */
function reusedState(Stream: StreamClass, options: object, finish: number, publicCall: SyncCall): ((input: Uint8Array) => Buffer | undefined) | undefined {
  // The stream is kept with its handle for the thread's life: nothing may close the state under it.
  let stream: { _handle?: NativeHandle; _writeState?: Uint32Array };
  let handle: NativeHandle;
  let state: Uint32Array;
  try {
    stream = new Stream(options) as typeof stream;
    if (typeof stream._handle?.writeSync !== 'function' || typeof stream._handle.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) return undefined;
    handle = stream._handle;
    state = stream._writeState;
  } catch {
    return undefined;
  }
  let out = Buffer.allocUnsafe(64 * 1024);
  // The bytes come back as a view on the reused output buffer, valid until the next call: the
  // callers copy them or encode them to base64 at once.
  const compress = (input: Uint8Array): Buffer | undefined => {
    // Neither codec grows a text by more than a few bytes per block; the margin covers it. An
    // output that still filled the buffer is done again by the public call.
    const need = input.length + (input.length >> 3) + 1024;
    if (out.length < need) out = Buffer.allocUnsafe(need);
    if (stream._handle !== handle) return undefined;
    handle.reset();
    handle.writeSync(finish, input, 0, input.length, out, 0, out.length);
    const availOut = state[0] as number;
    const availIn = state[1] as number;
    if (availIn !== 0 || availOut === 0) return undefined;
    return out.subarray(0, out.length - availOut);
  };
  try {
    const sample = Buffer.from('<http://example.org/d> <http://purl.org/dc/terms/title> "عنوان — titre"@ar .\n'.repeat(40), 'utf8');
    const first = compress(sample);
    const mine = first !== undefined ? Buffer.from(first) : undefined;
    if (mine === undefined || !mine.equals(publicCall(sample, options)) || !compress(sample)?.equals(mine)) return undefined;
  } catch {
    return undefined;
  }
  return compress;
}

/** This process's codec on its reused state (undefined: the public call is used). */
const reused =
  zstd !== undefined
    ? reusedState(zstd.Compress, ZSTD_OPTIONS, ZSTD_E_END, zstd.compress)
    : reusedState(DeflateRaw as unknown as StreamClass, DEFLATE_OPTIONS, constants.Z_FINISH, deflateRawSync as SyncCall);

/** Which codec compressDescription uses in this process. */
export const descriptionCodec: 'zstd' | 'deflate' = zstd !== undefined ? 'zstd' : 'deflate';

/** Whether descriptions are compressed on one reused native state (see reusedState); for tests. */
export const compressionStateReused = reused !== undefined;
