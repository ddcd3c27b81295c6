import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { HasadError, type ParseLimits } from '@hasad/core';
import type { MappedBatch } from '../adapters/shared/batches.ts';
import type { PageOutcome } from '../pager.ts';
import { parseLimitError, resolveLimits } from '../parse-guards.ts';
import { PAGE_READER_FORMATS } from './page-readers.ts';
import type { PageReaderHint, PageReaderInputs, PageReaderKind, PageReaderOutcome } from './page-readers.ts';
import type { FromWorker, ToWorker, WireError } from './protocol.ts';

/** Chunks of a page's body sent to a worker ahead of what it has read. */
const WINDOW = 8;
/** How often a busy worker's CPU time is checked, in ms. */
const WATCH_MS = 200;
/** How long a worker asked to drop a page may take to say so before it is stopped, in ms. */
const CANCEL_GRACE_MS = 2000;

/** Options for {@link ParsePool}. */
export interface ParsePoolOptions {
  /** Pages parsed at once (one worker thread each, started when first needed). */
  size: number;
  /** The limits pages are read under; defaults for the ones not given. */
  limits?: Partial<ParseLimits>;
  /** Told when a worker is stopped or dies (for logs). */
  onWorkerExit?: (reason: string) => void;
  /**
   * Batches leave the worker packed for the load queue (MappedBatch.packed): the fetcher's pool.
   * Not for preview, which shows the descriptions as text.
   */
  packForQueue?: boolean;
  /**
   * Each worker's young generation, in MB (V8's default when not given). Smaller keeps less memory
   * resident for more frequent scavenges: 32 took the fetcher's peak RSS from 662–668 MB to 563–564
   * on the bench's first harvest of 100,000 datasets, its CPU within the runs' spread (Node 24,
   * 2026-12-08; docs/benchmarks.md).
   */
  youngGenerationMb?: number;
}

interface Job {
  id: number;
  url: string;
  /** What the page is named as in the pool's own errors (`RDF`, `CSW GetRecords response`). */
  format: string;
  /** The reader's hints, passed on as they come (PageReaderHint). */
  onHint?: (data: unknown) => void;
  /** Settles the wait for the worker's next answer. */
  waiter?: { resolve: (m: FromWorker) => void; reject: (e: unknown) => void };
  /** Answers that came before anyone waited. */
  inbox: FromWorker[];
  /** Set once the job cannot go on (the worker died or was stopped): every wait rejects with it. */
  failure?: unknown;
  /** The worker answered `done` or `error`: the body is no longer wanted. */
  over?: boolean;
  credits: number;
  onCredit?: () => void;
  onCancelled?: () => void;
  cpuStart: EventLoopUtilization;
}

interface PoolWorker {
  worker: Worker;
  /** Settles once the worker has loaded its code: its CPU time is counted from then on. */
  ready: Promise<void>;
  /**
   * Given to a page (from acquire until handBack). Not `job`: a page waits for its worker to boot
   * before its job is set, and a second page must not be given the same worker meanwhile.
   */
  taken: boolean;
  job?: Job;
  dead: boolean;
  watch?: NodeJS.Timeout;
}

const BOOTSTRAP = new URL('./parse-worker.mjs', import.meta.url);

/**
 * Worker threads that parse feed pages under hard limits, so that no page can take the process
 * down or starve it: each worker's heap is capped (`resourceLimits`), its CPU time per page is
 * watched from this thread and the worker is stopped past the budget, and a worker that dies or
 * is stopped is replaced for the next page. The page's bytes are read here (the HTTP client, its
 * size and time limits stay in this thread) and streamed to the worker with backpressure; the
 * worker decodes, parses and maps, and hands back record batches one at a time as they are asked for.
 *
 * Why worker threads rather than child processes: a page's records cross back by structured
 * clone without a serialisation format of our own, and a worker starts in a fraction of a process's time.
 */
export class ParsePool {
  readonly limits: ParseLimits;
  private readonly workers = new Set<PoolWorker>();
  private readonly waiting: Array<(w: PoolWorker) => void> = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: ParsePoolOptions) {
    this.limits = resolveLimits(opts.limits);
  }

  /**
   * Reads one page in a worker: yields its record batches, returns its outcome. `hint` receives
   * what the reader tells before its batches (a CSW page's paging values), as it tells it.
   *
   * @throws LimitExceededError (depth, token length, heap, CPU time), ParseError and the page
   *   reader's other errors as the worker reported them; the body's own errors (size limit,
   *   network) as they are; the signal's reason when it aborts.
   */
  async *readPage<K extends PageReaderKind>(
    kind: K,
    input: PageReaderInputs[K],
    body: AsyncIterable<Buffer | Uint8Array>,
    signal?: AbortSignal,
    hint?: PageReaderHint<K>,
  ): AsyncGenerator<MappedBatch, PageReaderOutcome<K>> {
    signal?.throwIfAborted();
    const pw = await this.acquire(signal);
    try {
      // Loading the worker's code (slow on a loaded machine) is not the page's CPU time.
      await abortable(pw.ready, signal);
    } catch (err) {
      this.handBack(pw);
      throw err;
    }
    const job: Job = {
      id: this.nextId++,
      url: input.url,
      format: PAGE_READER_FORMATS[kind],
      ...(hint !== undefined && { onHint: hint as (data: unknown) => void }),
      inbox: [],
      credits: WINDOW,
      cpuStart: pw.worker.performance.eventLoopUtilization(),
    };
    pw.job = job;
    pw.worker.ref();
    this.watchCpu(pw, job);
    const post = (m: ToWorker, transfer?: ArrayBuffer[]) => {
      if (!pw.dead) pw.worker.postMessage(m, transfer);
    };
    const onAbort = () => this.fail(job, signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      post({ t: 'start', job: job.id, kind, input, limits: this.limits, pack: this.opts.packForQueue === true, hint: hint !== undefined });
      // A body error (size limit, network) ends the job through fail(): the wait below rejects with it.
      this.pump(job, body, post).catch(() => undefined);
      for (;;) {
        post({ t: 'pull', job: job.id });
        const m = await this.next(job);
        if (m.t === 'batch') yield m.batch;
        else if (m.t === 'done' || m.t === 'error') {
          finished = true;
          this.endPump(job);
          if (m.t === 'done') return m.outcome as PageReaderOutcome<K>;
          throw fromWire(m.error);
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.release(pw, job, finished);
    }
  }

  /** Stops every worker. Pages being read fail. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.workers];
    this.workers.clear();
    for (const pw of all) if (pw.job) this.fail(pw.job, new HasadError('parse_pool_closed', `parsing of ${pw.job.url} stopped: the process is shutting down`));
    await Promise.all(all.map((pw) => this.stop(pw)));
  }

  /** Sends the body's chunks to the worker, at most WINDOW ahead of what it has read. */
  private async pump(job: Job, body: AsyncIterable<Buffer | Uint8Array>, post: (m: ToWorker, transfer?: ArrayBuffer[]) => void): Promise<void> {
    try {
      for await (const chunk of body) {
        if (job.failure !== undefined || job.over) return;
        while (job.credits <= 0 && job.failure === undefined && !job.over) await new Promise<void>((r) => (job.onCredit = r));
        if (job.failure !== undefined || job.over) return;
        job.credits--;
        // A copy: the chunk may be a view on a buffer the HTTP client reuses, which must not be detached.
        const copy = new Uint8Array(chunk);
        post({ t: 'chunk', job: job.id, data: copy }, [copy.buffer as ArrayBuffer]);
      }
      post({ t: 'end', job: job.id });
    } catch (err) {
      post({ t: 'abort', job: job.id });
      this.fail(job, err);
      throw err;
    }
  }

  /** The worker's next answer for the job. */
  private next(job: Job): Promise<FromWorker> {
    if (job.failure !== undefined) return Promise.reject(job.failure);
    const m = job.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => (job.waiter = { resolve, reject }));
  }

  /** Stops sending the body: the worker has finished with the page. */
  private endPump(job: Job): void {
    job.over = true;
    const go = job.onCredit;
    job.onCredit = undefined;
    go?.();
  }

  private deliver(job: Job, m: FromWorker): void {
    if (m.t === 'cancelled') {
      job.onCancelled?.();
      return;
    }
    if (m.t === 'hint') {
      job.onHint?.(m.data);
      return;
    }
    if (m.t === 'credit') {
      job.credits++;
      const go = job.onCredit;
      job.onCredit = undefined;
      go?.();
      return;
    }
    const w = job.waiter;
    job.waiter = undefined;
    if (w) w.resolve(m);
    else job.inbox.push(m);
  }

  /** Ends the job with `err`: the current wait rejects, the pump stops. The first failure wins. */
  private fail(job: Job, err: unknown): void {
    if (job.failure !== undefined) return;
    job.failure = err;
    const w = job.waiter;
    job.waiter = undefined;
    w?.reject(err);
    const go = job.onCredit;
    job.onCredit = undefined;
    go?.();
  }

  private watchCpu(pw: PoolWorker, job: Job): void {
    const budgetMs = this.limits.cpuSeconds * 1000;
    pw.watch = setInterval(() => {
      if (pw.dead || pw.job !== job) return;
      // Time the worker's event loop was busy since the page began: parsing, not waiting for bytes.
      const used = pw.worker.performance.eventLoopUtilization(job.cpuStart).active;
      if (used <= budgetMs) return;
      this.fail(job, parseLimitError(job.url, job.format, 'cpuSeconds', this.limits.cpuSeconds, `parsing the page took more than ${this.limits.cpuSeconds} s of CPU time; it was stopped`));
      void this.stop(pw, 'CPU time limit');
    }, WATCH_MS);
    pw.watch.unref();
  }

  /** Hands the worker back to the pool, or stops it when it is stuck or its page ended early. */
  private async release(pw: PoolWorker, job: Job, finished: boolean): Promise<void> {
    clearInterval(pw.watch);
    if (!finished && !pw.dead) {
      // The consumer left early (a preview has its records) or the page failed here: the worker
      // drops the page, or is stopped if it does not answer (stuck in a long synchronous step).
      this.endPump(job);
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), CANCEL_GRACE_MS);
        timer.unref();
        job.onCancelled = () => {
          clearTimeout(timer);
          resolve(true);
        };
        pw.worker.postMessage({ t: 'cancel', job: job.id } satisfies ToWorker);
      });
      if (!answered) await this.stop(pw, 'did not drop a cancelled page');
    }
    this.handBack(pw);
  }

  /** Makes a worker idle again, giving it to the next page waiting for one. */
  private handBack(pw: PoolWorker): void {
    pw.job = undefined;
    pw.taken = false;
    if (pw.dead || this.closed) return;
    pw.worker.unref();
    const waiter = this.waiting.shift();
    if (waiter) waiter(pw);
  }

  private async acquire(signal?: AbortSignal): Promise<PoolWorker> {
    if (this.closed) throw new HasadError('parse_pool_closed', 'the parsing pool is closed: the process is shutting down');
    for (const pw of this.workers) {
      if (!pw.dead && !pw.taken) {
        pw.taken = true;
        return pw;
      }
    }
    if (this.workers.size < this.opts.size) {
      const pw = this.spawn();
      pw.taken = true;
      return pw;
    }
    return new Promise((resolve, reject) => {
      const take = (pw: PoolWorker) => {
        signal?.removeEventListener('abort', onAbort);
        pw.taken = true;
        resolve(pw);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  private spawn(): PoolWorker {
    const worker = new Worker(BOOTSTRAP, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, ...(this.opts.youngGenerationMb !== undefined && { maxYoungGenerationSizeMb: this.opts.youngGenerationMb }) },
      // The worker's output would interleave with the service's JSON logs.
      stdout: false,
      stderr: false,
    });
    let booted: () => void = () => undefined;
    let failed: (err: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      booted = resolve;
      failed = reject;
    });
    ready.catch(() => undefined);
    const pw: PoolWorker = { worker, dead: false, ready, taken: false };
    this.workers.add(pw);
    worker.unref();
    const bootFailure = (why: string) => failed(new HasadError('parse_worker_failed', `the parsing worker could not start (${why})`, { permanent: false }));
    worker.on('error', (err) => bootFailure(err.message));
    worker.on('exit', (code) => bootFailure(`exit ${code}`));
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') return booted();
      if (pw.job !== undefined && m.job === pw.job.id) this.deliver(pw.job, m);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const job = pw.job;
      const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap limit' : `error: ${err.message}`;
      this.forget(pw, reason);
      if (job === undefined) return;
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.fail(job, parseLimitError(job.url, job.format, 'heapMb', this.limits.heapMb, `parsing the page needed more than ${this.limits.heapMb} MB of memory; it was stopped`));
      } else {
        this.fail(job, new HasadError('parse_worker_failed', `parsing ${job.url} stopped: the parsing worker failed (${err.message})`, { context: { url: job.url }, permanent: true, cause: err }));
      }
    });
    worker.on('exit', (code) => {
      const job = pw.job;
      this.forget(pw, `exit ${code}`);
      if (job !== undefined) this.fail(job, new HasadError('parse_worker_failed', `parsing ${job.url} stopped: the parsing worker exited (code ${code})`, { context: { url: job.url }, permanent: true }));
    });
    return pw;
  }

  /** Takes a dead worker out of the pool; a page waiting for a worker gets a new one. */
  private forget(pw: PoolWorker, reason: string): void {
    if (pw.dead) return;
    pw.dead = true;
    clearInterval(pw.watch);
    this.workers.delete(pw);
    this.opts.onWorkerExit?.(reason);
    if (!this.closed && this.waiting.length > 0) this.waiting.shift()?.(this.spawn());
  }

  private async stop(pw: PoolWorker, reason?: string): Promise<void> {
    if (reason !== undefined) this.forget(pw, reason);
    else {
      pw.dead = true;
      clearInterval(pw.watch);
    }
    await pw.worker.terminate();
  }
}

/** `p`, or the signal's reason when it aborts first. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** An error the worker reported, as the class of error it was (code, message and context kept). */
function fromWire(e: WireError): unknown {
  if (e.code === undefined) return new Error(e.message);
  const err = new HasadError(e.code, e.message, { context: e.context ?? {}, permanent: e.permanent ?? false });
  Object.defineProperty(err, 'name', { value: e.name, enumerable: false });
  return err;
}
