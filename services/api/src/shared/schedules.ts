import type { ApiDeps } from '../deps.ts';

/** When each source's job scheduler fires next (BullMQ's own figure, offsets included), by source id. */
export async function nextRunTimes(deps: ApiDeps): Promise<Map<string, Date>> {
  const schedulers = await deps.queues.harvest.getJobSchedulers(0, -1);
  const out = new Map<string, Date>();
  for (const s of schedulers) if (s.key.startsWith('source-') && s.next) out.set(s.key.slice('source-'.length), new Date(s.next));
  return out;
}
