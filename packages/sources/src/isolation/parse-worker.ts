import { parentPort } from 'node:worker_threads';
import { HasadError } from '@hasad/core';
import type { MappedBatch } from '../adapters/shared/batches.ts';
import { packBatch } from '../pack.ts';
import type { PageOutcome } from '../pager.ts';
import { PAGE_READERS } from './page-readers.ts';
import type { FromWorker, ToWorker, WireError } from './protocol.ts';

/**
 * A parsing worker thread: reads one page at a time with the named page reader, taking the body's
 * chunks as the pool sends them and handing back one batch per `pull`. Runs under the heap limit
 * and CPU watch the pool sets; nothing here needs to guard against them.
 */

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

interface Current {
  id: number;
  chunks: Uint8Array[];
  ended: boolean;
  aborted: boolean;
  wake?: () => void;
  pulls: number;
  pulled?: () => void;
  cancelled: boolean;
}

let current: Current | undefined;

/** The body as the reader sees it: chunks as they arrive, a credit sent back for each one taken. */
async function* bodyOf(c: Current): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = c.chunks.shift();
    if (chunk !== undefined) {
      send({ t: 'credit', job: c.id });
      yield chunk;
      continue;
    }
    if (c.aborted || c.cancelled) throw new Error('the page was dropped');
    if (c.ended) return;
    await new Promise<void>((r) => (c.wake = r));
  }
}

function waitPull(c: Current): Promise<void> {
  if (c.pulls > 0) {
    c.pulls--;
    return Promise.resolve();
  }
  return new Promise((r) => {
    c.pulled = () => {
      c.pulls--;
      r();
    };
  });
}

function toWire(err: unknown): WireError {
  if (err instanceof HasadError) return { name: err.name, message: err.message, code: err.code, context: err.context, permanent: err.permanent };
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

async function run(c: Current, kind: string, input: unknown, limits: Parameters<(typeof PAGE_READERS)['dcat']>[2], packForQueue: boolean, hints: boolean): Promise<void> {
  const reader = PAGE_READERS[kind as keyof typeof PAGE_READERS];
  try {
    if (reader === undefined) throw new Error(`no page reader named ${kind}`);
    // A hint goes to the pool as it is given; nothing here waits for the pool to act on it.
    const hint = hints
      ? (data: unknown) => {
          send({ t: 'hint', job: c.id, data });
          return undefined;
        }
      : undefined;
    // A DCAT page's records are packed one by one as they are mapped (DcatPageInput.packRecords);
    // packBatch then leaves a packed batch as it is.
    const readerInput = packForQueue && kind === 'dcat' ? { ...(input as object), packRecords: true } : input;
    const it: AsyncGenerator<MappedBatch, PageOutcome> = reader(readerInput as never, bodyOf(c), limits, hint as never);
    try {
      for (;;) {
        await waitPull(c);
        if (c.cancelled) return;
        const r = await it.next();
        if (c.cancelled) return;
        if (r.done === true) {
          send({ t: 'done', job: c.id, outcome: r.value });
          return;
        }
        send({ t: 'batch', job: c.id, batch: packForQueue ? packBatch(r.value) : r.value });
      }
    } finally {
      if (c.cancelled) await it.return(undefined as never).catch(() => undefined);
    }
  } catch (err) {
    if (!c.cancelled) send({ t: 'error', job: c.id, error: toWire(err) });
  } finally {
    if (current === c) current = undefined;
  }
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const c: Current = { id: m.job, chunks: [], ended: false, aborted: false, pulls: 0, cancelled: false };
    current = c;
    void run(c, m.kind, m.input, m.limits, m.pack, m.hint);
    return;
  }
  if (m.t === 'cancel') {
    if (current?.id === m.job) {
      current.cancelled = true;
      current.wake?.();
      current.pulled?.();
      current = undefined;
    }
    send({ t: 'cancelled', job: m.job });
    return;
  }
  const c = current;
  if (c === undefined || c.id !== m.job) return;
  if (m.t === 'chunk') c.chunks.push(m.data);
  else if (m.t === 'end') c.ended = true;
  else if (m.t === 'abort') c.aborted = true;
  else if (m.t === 'pull') {
    c.pulls++;
    const p = c.pulled;
    c.pulled = undefined;
    p?.();
    return;
  }
  const w = c.wake;
  c.wake = undefined;
  w?.();
});

send({ t: 'ready', job: 0 });
