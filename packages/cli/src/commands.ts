import { randomUUID } from 'node:crypto';
import { ConfigError, HasadError, queueSettings, type HasadConfig } from '@hasad/core';
import { createRun, getRun, getSource, RunActiveError, type DbHandle, type Run } from '@hasad/db';
import { jobIds, Queues } from '@hasad/queues';

export function httpOptions(config: HasadConfig) {
  return {
    allowPrivateHosts: config.HASAD_ALLOW_PRIVATE_HOSTS,
    userAgent: config.HASAD_USER_AGENT,
    timeoutMs: config.HASAD_FETCH_TIMEOUT_MS,
    maxBytes: config.HASAD_FETCH_MAX_BYTES,
    maxRedirects: config.HASAD_MAX_REDIRECTS,
  };
}

/**
 * Creates a manual run and enqueues it. A source that already has a live run is not queued
 * twice: the live run is returned instead.
 */
export async function triggerHarvest(h: DbHandle, config: HasadConfig, sourceId: string, trigger: 'manual' | 'demo'): Promise<Run> {
  const source = await getSource(h.db, sourceId);
  if (!source) throw new ConfigError(`no source ${sourceId}`);
  let run: Run;
  try {
    // The id is chosen here so the run row names its job from the start: the reconciler
    // must never take a queued manual run for an orphan.
    const id = randomUUID();
    run = await createRun(h.db, sourceId, trigger, jobIds.run(id), id);
  } catch (err) {
    if (!(err instanceof RunActiveError)) throw err;
    return (await getRun(h.db, err.activeRunId))!;
  }
  const queues = new Queues(queueSettings(config));
  try {
    await queues.add('harvest.source', { sourceId, runId: run.id, trigger }, { jobId: run.jobId! });
  } finally {
    await queues.close();
  }
  return run;
}

/** Polls the run until it is final (finished_at set), or throws after `timeoutMs`. */
export async function waitForRun(h: DbHandle, runId: string, timeoutMs: number): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    const run = await getRun(h.db, runId);
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

