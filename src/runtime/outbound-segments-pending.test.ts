import { afterEach, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';
import { recordImportPass } from './segment-sweep.js';

/**
 * A run over segments selects by their member lists, which are only complete once the
 * memberships are worked out: a run started while the segment sweep has not yet finished a pass
 * under the rules in force (a fresh store, the rules changed) or while an import's pass is left
 * waits (`waitingFor: segments`) and selects once they are settled (the demo bank, LMDB, a
 * manual clock).
 */

const servers: TestKairos[] = [];
afterEach(async () => {
  for (const k of servers.splice(0)) await k.close();
});

async function api(k: TestKairos, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

const sizesPending = async (k: TestKairos): Promise<string | undefined> => ((await api(k, 'GET', '/v1/segment-sizes')) as { pending?: string }).pending;

describe('a run over segments whose memberships are being worked out', () => {
  it('started before the first sweep of a fresh demo bank is done, or with an import\'s pass left: waits, then selects every member', async () => {
    // the sweep on (it starts by itself when due): a fresh store was never swept
    const k = await startTestKairos({ config: { clock: 'manual', segmentSweepMs: 86_400_000 }, manualClockStart: msk('2026-12-08T10:00:00') });
    servers.push(k);
    expect(await sizesPending(k)).toBe('sweep');

    const run = await api(k, 'POST', '/v1/campaigns/pension-deposit-run/runs');
    expect(run).toMatchObject({ state: 'waiting', waitingFor: 'segments', selected: 0 });
    expect(run.waitingUntil).toBeUndefined();
    // a look at the runs while memberships are still pending: it still waits, nobody is handed it
    await k.kairos.outboundRuns.tick();
    await k.kairos.outboundRuns.idle();
    expect(await api(k, 'GET', `/v1/runs/${run.id}`)).toMatchObject({ state: 'waiting', waitingFor: 'segments', selected: 0, funnel: { decided: 0 } });

    // the first pass done: the memberships are settled, the run selects
    await k.kairos.segmentSweep.run();
    await k.kairos.host.flush();
    expect(await sizesPending(k)).toBeUndefined();
    await k.kairos.outboundRuns.tick();
    await k.kairos.outboundRuns.idle();
    const members = (await api(k, 'GET', '/v1/segments/clients_60_plus')).size as number;
    expect(members).toBe(1784);
    const done = await api(k, 'GET', `/v1/runs/${run.id}`);
    expect(done).toMatchObject({ state: 'done', selected: members, funnel: { decided: members } });
    expect(done.waitingFor).toBeUndefined();

    // the daily pass over memberships already settled is no reason to wait
    await api(k, 'POST', '/v1/clock', { advance: 86_400_000 });
    const sweeping = k.kairos.segmentSweep.run();
    expect(await sizesPending(k)).toBeUndefined();
    await sweeping;
    await k.kairos.host.flush();

    // An import's pass not done yet (as a direct import leaves it for the next start, or another node's): the next run waits for it.
    const some = (await api(k, 'GET', '/v1/segments/clients_60_plus/members?limit=3')).members as string[];
    await recordImportPass(k.kairos.store, some, k.kairos.clock.now());
    expect(await sizesPending(k)).toBe('import');
    const next = await api(k, 'POST', '/v1/campaigns/pension-deposit-run/runs');
    expect(next).toMatchObject({ state: 'waiting', waitingFor: 'segments' });
    // paused and resumed meanwhile: still waiting for them
    expect((await api(k, 'POST', `/v1/runs/${next.id}/pause`)).state).toBe('paused');
    expect(await api(k, 'POST', `/v1/runs/${next.id}/resume`)).toMatchObject({ state: 'waiting', waitingFor: 'segments' });
    await k.kairos.segmentSweep.runImportPasses(0);
    await k.kairos.segmentSweep.importsDone();
    expect(await sizesPending(k)).toBeUndefined();
    await k.kairos.outboundRuns.tick();
    await k.kairos.outboundRuns.idle();
    const now = (await api(k, 'GET', '/v1/segments/clients_60_plus')).size as number;
    expect(await api(k, 'GET', `/v1/runs/${next.id}`)).toMatchObject({ state: 'done', selected: now });
  }, 300_000);
});
