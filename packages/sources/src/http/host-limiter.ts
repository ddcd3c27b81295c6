import { once } from '@hasad/core';
import type { HostLimiter, HostPermit } from '../types.ts';

/** Limits of a {@link HostLimiter}. */
export interface HostLimits {
  /** Requests in flight to one host at once. */
  maxConcurrent: number;
  /** Requests started per second to one host (sliding one-second window). */
  perSecond: number;
  /**
   * A host that asked (Retry-After) to be left alone for at most this long is waited for inside
   * `acquire`; a longer wait is returned to the caller (`ok: false`) so that it can put the work
   * off instead of holding a worker. In ms; default 5 000.
   */
  maxInlineWaitMs?: number;
}

interface HostState {
  active: number;
  /** Start times (ms) of the requests of the last second, oldest first. */
  starts: number[];
  pausedUntil: number;
  wakers: Set<() => void>;
}

/** The key a limiter counts requests under: `host[:port]` as in the URL, lower case. */
export function hostKey(url: string): string {
  return new URL(url).host.toLowerCase();
}

/**
 * A {@link HostLimiter} for one process: enough for the CLI, previews and a single fetcher.
 * Several fetcher processes need the Redis-backed limiter of `@hasad/queues` instead.
 */
export function createLocalHostLimiter(limits: HostLimits): HostLimiter {
  const hosts = new Map<string, HostState>();
  const maxInline = limits.maxInlineWaitMs ?? 5_000;

  const stateOf = (host: string): HostState => {
    let s = hosts.get(host);
    if (s === undefined) {
      if (hosts.size > 1000) {
        const now = Date.now();
        for (const [h, st] of hosts) if (st.active === 0 && st.wakers.size === 0 && st.pausedUntil <= now) hosts.delete(h);
      }
      s = { active: 0, starts: [], pausedUntil: 0, wakers: new Set() };
      hosts.set(host, s);
    }
    return s;
  };

  /** Resolves after `ms` (if given), on a release for this host, or rejects when `signal` aborts. */
  const wait = (s: HostState, ms: number | undefined, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        s.wakers.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        done();
        reject(signal?.reason);
      };
      if (ms !== undefined) timer = setTimeout(done, Math.max(1, ms));
      s.wakers.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
    });

  return {
    async acquire(host: string, signal?: AbortSignal): Promise<HostPermit> {
      const s = stateOf(host);
      for (;;) {
        signal?.throwIfAborted();
        const now = Date.now();
        if (s.pausedUntil > now) {
          const left = s.pausedUntil - now;
          if (left > maxInline) return { ok: false, retryAfterMs: left };
          await wait(s, left, signal);
          continue;
        }
        while (s.starts.length > 0 && (s.starts[0] as number) <= now - 1000) s.starts.shift();
        if (s.active < limits.maxConcurrent && s.starts.length < limits.perSecond) {
          s.active++;
          s.starts.push(now);
          return {
            ok: true,
            release: once(() => {
              s.active--;
              for (const wake of [...s.wakers]) wake();
            }),
          };
        }
        // Full: wait for a release, or for the oldest start to leave the one-second window.
        await wait(s, s.active < limits.maxConcurrent ? (s.starts[0] as number) + 1000 - now : undefined, signal);
      }
    },
    async backOff(host: string, ms: number): Promise<void> {
      const s = stateOf(host);
      s.pausedUntil = Math.max(s.pausedUntil, Date.now() + ms);
    },
  };
}
