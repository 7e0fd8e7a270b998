import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../runtime/outbound-runs.js';
import { runMetaKey } from '../runtime/outbound-runs.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';
import { runTotal } from './outbound-routes.js';

/**
 * A run's `total` and `etaMs` (docs/outbound.md#status): a wave's run hands over its call list,
 * so both follow the list (`listed`), not its segments' sizes, which are only what it ranked;
 * any other run's still come from its segments. Real HTTP against a started server (the demo
 * bank, its segments swept), the runs' records written as the engine leaves them, the engine
 * itself stopped so that it does not work them meanwhile.
 */

let k: TestKairos | undefined;
let members = 0;
beforeAll(async () => {
  k = await startTestKairos({ config: { clock: 'manual', segmentSweepMs: 0 }, manualClockStart: msk('2026-12-08T10:00:00') });
  await k.kairos.segmentSweep.runIfDue();
  await k.kairos.host.flush();
  await k.kairos.outboundRuns.stop();
  members = ((await api('GET', '/v1/segments/young_savers')) as { size: number }).size;
  // the sweep goes over the whole demo bank: on a 2-vCPU machine beside the suite's other servers, past the default minute
}, 240_000);
afterAll(async () => {
  await k?.close();
});

async function api(method: string, path: string): Promise<any> {
  const res = await fetch(`${k!.httpUrl}${path}`, { method, headers: adminHeaders });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json();
}

/** A run's record written into the store as the engine writes it (its counts its slices'; one slice, done or not, carries them here). */
async function put(run: RunRecord): Promise<void> {
  await k!.kairos.store.putMeta(runMetaKey(run.id), run);
  await k!.kairos.store.putMeta(`outbound/slice/${run.id}/0`, { done: false, selected: run.selected, gone: 0, pages: run.pages });
}

function record(id: string, change: Partial<RunRecord>): RunRecord {
  const now = k!.kairos.clock.now();
  // running for 20 s, 10 customers handed over: half a customer a second
  return { id, campaign: 'credit-card-calls', segments: ['young_savers'], state: 'running', startedBy: 'hand', startedAt: now - 20_000, updatedAt: now, slices: 1, selected: 10, gone: 0, pages: 1, ...change };
}

describe("a run's total and time left", () => {
  it("a wave's follow its call list, smaller than its segments", async () => {
    expect(members).toBeGreaterThan(200);
    await put(record('credit-card-calls~20261208T070000', { wave: { n: 1, count: 2, earlier: [] }, ranked: true, listed: 50 }));
    const s = await api('GET', '/v1/runs/credit-card-calls~20261208T070000');
    expect(s).toMatchObject({ state: 'running', listed: 50, selected: 10, total: 50 });
    // 40 left at half a customer a second
    expect(s.etaMs).toBe(80_000);
    // the list of runs says the same
    const listed = (await api('GET', '/v1/runs?campaign=credit-card-calls')).runs as Array<{ id: string; total?: number; etaMs?: number }>;
    expect(listed.find((r) => r.id === s.id)).toMatchObject({ total: 50, etaMs: 80_000 });
  });

  it("a later wave's, not ranked yet, are unknown; ranked, its list's", async () => {
    const id = 'credit-card-calls~20261208T070000.w2';
    await put(record(id, { wave: { n: 2, count: 2, earlier: ['credit-card-calls~20261208T070000'] }, selected: 0, pages: 0 }));
    const before = await api('GET', `/v1/runs/${id}`);
    expect(before.total).toBeUndefined();
    expect(before.etaMs).toBeUndefined();
    await put(record(id, { wave: { n: 2, count: 2, earlier: ['credit-card-calls~20261208T070000'] }, ranked: true, listed: 30, selected: 10 }));
    expect(await api('GET', `/v1/runs/${id}`)).toMatchObject({ total: 30, etaMs: 40_000 });
  });

  it("a run that is not a wave's keeps its segments' sizes", async () => {
    await put(record('pension-deposit-run~20261208T070000', { campaign: 'pension-deposit-run' }));
    const s = await api('GET', '/v1/runs/pension-deposit-run~20261208T070000');
    expect(s.total).toBe(members);
    expect(s.etaMs).toBe(Math.round((members - 10) / (10 / 20_000)));
  });

  it('runTotal: the list for a wave once ranked, the segments otherwise', async () => {
    const size = (s: string) => (s === 'a' ? 100 : 7);
    const base = () => Promise.resolve(1000);
    const wave = { n: 1, count: 2, earlier: [] };
    expect(await runTotal({ segments: ['a', 'b'], wave, ranked: true, listed: 12 }, size, base)).toBe(12);
    expect(await runTotal({ segments: ['a', 'b'], wave }, size, base)).toBeUndefined();
    expect(await runTotal({ segments: ['a', 'b'] }, size, base)).toBe(107);
    expect(await runTotal({ segments: [] }, size, base)).toBe(1000);
  });
});
