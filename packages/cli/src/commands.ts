import { ConfigError, fetchSettings, HasadError, queueSettings, type HasadConfig } from '@hasad/core';
import { getRun, getSource, type DbHandle, type Run } from '@hasad/db';
import { enqueueHarvestRun } from '@hasad/pipeline';
import { Queues } from '@hasad/queues';

/** The fetcher's HTTP settings, for commands that fetch (preview, soap operations). */
export function httpOptions(config: HasadConfig) {
  return fetchSettings(config);
}

/**
 * Creates a manual run and enqueues it. A source that already has a live run is not queued
 * twice: the live run is returned instead. Pass `queues` to reuse open queues (the API);
 * without them a connection is opened for the call and closed after (the CLI).
 */
export async function triggerHarvest(h: DbHandle, config: HasadConfig, sourceId: string, trigger: 'manual' | 'demo', queues?: Queues): Promise<Run> {
  const source = await getSource(h, sourceId);
  if (!source) throw new ConfigError(`no source ${sourceId}`);
  const own = queues ? undefined : new Queues(queueSettings(config));
  try {
    return (await enqueueHarvestRun({ db: h, queues: (queues ?? own)! }, sourceId, trigger)).run;
  } finally {
    await own?.close();
  }
}

/** Polls the run until it is final (finished_at set), or throws after `timeoutMs`. */
export async function waitForRun(h: DbHandle, runId: string, timeoutMs: number): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    const run = await getRun(h, runId);
    if (!run) throw new ConfigError(`run ${runId} vanished`);
    if (run.finishedAt) return run;
    if (!warned && run.status === 'queued' && Date.now() > deadline - timeoutMs + 15_000) {
      warned = true;
      process.stderr.write(`run ${runId} is still queued after 15 s: is a fetcher running (hasad start)?\n`);
    }
    if (Date.now() > deadline) throw new HasadError('wait_timeout', `run ${runId} did not finish within ${timeoutMs / 1000} s (status ${run.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

