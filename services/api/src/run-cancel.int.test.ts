import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRun, createApiToken, createRun, getRun } from '@hasad/db';
import { jobIds } from '@hasad/queues';
import { seedCatalogue, startApiHarness, type ApiHarness, type Seeded } from './test-harness.ts';

let h: ApiHarness;
let s: Seeded;
const tokens: Record<'operator' | 'hcp' | 'onee', string> = { operator: '', hcp: '', onee: '' };

beforeAll(async () => {
  h = await startApiHarness();
  s = await seedCatalogue(h.db, 0);
  tokens.operator = (await createApiToken(h.deps.db, { role: 'operator', operatorName: 'Salma' })).token;
  tokens.hcp = (await createApiToken(h.deps.db, { role: 'organization', organizationId: s.org.hcp })).token;
  tokens.onee = (await createApiToken(h.deps.db, { role: 'organization', organizationId: s.org.onee })).token;
});

afterAll(async () => {
  await h?.close();
});

async function cancel(id: string, who: keyof typeof tokens) {
  const res = await h.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/cancel`, headers: { authorization: `Bearer ${tokens[who]}` } });
  return { status: res.statusCode, body: res.json() };
}

describe('POST /api/v1/runs/:id/cancel', () => {
  it('stops a running run for the organisation owning its source; another organisation sees no such run', async () => {
    const created = await createRun(h.deps.db, s.source.hcp, 'manual', jobIds.run('x'));
    await claimRun(h.deps.db, created.id, 'no-such-job');
    expect((await cancel(created.id, 'onee')).status).toBe(404);
    expect((await getRun(h.deps.db, created.id))?.status).toBe('running');

    const { status, body } = await cancel(created.id, 'hcp');
    expect(status).toBe(200);
    expect(body).toEqual({ runId: created.id, status: 'cancelled', withdrawn: 0 });
    const run = await getRun(h.deps.db, created.id);
    expect(run).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', error: 'cancelled by organisation hcp; nothing was withdrawn' });
    // No fetcher holds it (its job is not in the queue): the fetch is over, finalise closes it.
    expect(run?.fetchDone).toBe(true);
    expect(await h.deps.queues.load.getJob(jobIds.finalise(created.id))).toBeDefined();
    // The slot is free: the source can be harvested again at once.
    const next = await createRun(h.deps.db, s.source.hcp, 'manual');
    expect(next.status).toBe('queued');
    // Cancelling twice: the run is already over.
    const again = await cancel(created.id, 'operator');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_waiting_for_review');
    expect((await cancel(next.id, 'operator')).body).toMatchObject({ status: 'cancelled' });
    expect(await getRun(h.deps.db, next.id)).toMatchObject({ status: 'cancelled', error: 'cancelled by operator Salma; nothing was withdrawn' });
    // A queued run never started: it ends at once.
    expect((await getRun(h.deps.db, next.id))?.finishedAt).not.toBeNull();
  });

  it('keeps every dataset of a run waiting for review (as hasad run cancel does)', async () => {
    const { status, body } = await cancel(s.run.hcpLatest, 'operator');
    expect(status).toBe(200);
    expect(body).toEqual({ runId: s.run.hcpLatest, status: 'succeeded', withdrawn: 0 });
    expect(await getRun(h.deps.db, s.run.hcpLatest)).toMatchObject({ status: 'succeeded', pendingWithdrawals: null });
  });

  it('answers 409 for a run that is over', async () => {
    const { status, body } = await cancel(s.run.oneeFailed, 'onee');
    expect(status).toBe(409);
    expect(body.error.message).toMatch(/is failed, not needs_review/);
  });
});
