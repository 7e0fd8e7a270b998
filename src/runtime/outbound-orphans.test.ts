import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';

/**
 * The runs of a campaign deleted: cancelled when the deletion is answered, a waves campaign's
 * next wave waiting for its start included, so a campaign made again under the same id starts
 * afresh; a later wave says the waves made it, and cancelled before its start it did not start
 * in the future (the demo catalog without its customers: a wave over nobody is done at once
 * and plans the next; a manual clock).
 */

let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({ config: { clock: 'manual', demo: false, catalogFile: join(packageRoot(), 'demo', 'catalog.yaml') }, manualClockStart: msk('2026-12-08T10:00:00') });
});
afterAll(async () => {
  await k.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

describe('a waves campaign deleted', () => {
  it('cancels its next wave at the deletion; made again, it starts a run of its own', async () => {
    const def = (await call('GET', '/v1/campaigns/credit-card-calls')).body;
    const first = (await call('POST', '/v1/campaigns/credit-card-calls/runs')).body;
    await k.kairos.outboundRuns.tick();
    await k.kairos.outboundRuns.idle();
    const next = (await call('GET', `/v1/runs/${first.id}.w2`)).body;
    expect(next).toMatchObject({ state: 'waiting', waitingFor: 'wave' });

    expect((await call('DELETE', '/v1/campaigns/credit-card-calls')).status).toBe(200);
    const gone = (await call('GET', `/v1/runs/${next.id}`)).body;
    expect(gone).toMatchObject({ state: 'cancelled', finishedAt: k.kairos.clock.now() });
    // it never started: not a start in the future
    expect(gone.startedAt).toBeLessThanOrEqual(k.kairos.clock.now());

    // made again under the same id: a run of its own, not held by the old wave
    expect((await call('PUT', '/v1/campaigns/credit-card-calls', def)).status).toBe(201);
    const again = await call('POST', '/v1/campaigns/credit-card-calls/runs');
    expect(again.status).toBe(201);
    // the old wave's start comes and goes: it stays cancelled
    await call('POST', '/v1/clock', { now: next.waitingUntil + 60_000 });
    expect((await call('GET', `/v1/runs/${next.id}`)).body.state).toBe('cancelled');
  });

  it('a later wave is made by the waves (startedBy wave); cancelled before its start, it started no later than its cancel', async () => {
    // (the runs the test before left open cancelled: one open run a campaign)
    await k.kairos.outboundRuns.idle();
    for (const r of (await call('GET', '/v1/runs?campaign=credit-card-calls')).body.runs) if (['running', 'waiting', 'paused'].includes(r.state)) await call('POST', `/v1/runs/${r.id}/cancel`);
    const first = (await call('POST', '/v1/campaigns/credit-card-calls/runs')).body;
    expect(first).toMatchObject({ startedBy: 'hand', wave: { n: 1 } });
    await k.kairos.outboundRuns.idle();
    await k.kairos.outboundRuns.tick();
    await k.kairos.outboundRuns.idle();
    const next = (await call('GET', `/v1/runs/${first.id}.w2`)).body;
    expect(next).toMatchObject({ state: 'waiting', waitingFor: 'wave', startedBy: 'wave', wave: { n: 2, earlier: [first.id] } });
    const now = k.kairos.clock.now();
    expect(next.startedAt).toBeGreaterThan(now);
    const cancelled = (await call('POST', `/v1/runs/${next.id}/cancel`)).body;
    expect(cancelled).toMatchObject({ state: 'cancelled', startedAt: now, finishedAt: now });
  });
});
