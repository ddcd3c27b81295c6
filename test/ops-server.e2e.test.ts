import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// A worker-only process (no API role) answers health probes on HASAD_OPS_PORT.
describe('health probes of worker processes', () => {
  let p: TestPipeline | undefined;
  afterAll(async () => {
    await p?.close();
  });

  it('a loader process answers /healthz and /readyz on its ops port', async () => {
    const port = await freePort();
    p = await startTestPipeline(['loader'], { HASAD_OPS_PORT: String(port) });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });
});
