import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { RunRecord } from '../runtime/outbound-runs.js';
import { demoCatalogPath } from '../paths.js';
import type { ShardCall, ShardCallParts } from './shard-calls.js';
import { answerCall } from './shard-calls.js';
import { OutboundRuns } from '../runtime/outbound-runs.js';
import { MemoryStore } from '../store/memory-store.js';
import { createLogger } from '../logger.js';
import type { HostReply } from '../runtime/host-options.js';
import { ShardedRuns, mergeCalls, mergeRuns } from './sharded-runs.js';

const part = (over: Partial<RunRecord>): RunRecord => ({
  id: 'pension-deposit-run~20261208T090000',
  campaign: 'pension-deposit-run',
  segments: ['clients_60_plus'],
  state: 'running',
  startedBy: 'hand',
  startedAt: 1000,
  updatedAt: 2000,
  slices: 1,
  selected: 0,
  gone: 0,
  pages: 0,
  ...over,
});

describe('mergeRuns', () => {
  it('sums the parts\' counts and takes the state the first part is in, in the order running, paused, waiting, cancelled, done', () => {
    const a = part({ selected: 200, gone: 1, pages: 2, nodes: ['n/shard-0'], startedAt: 900, updatedAt: 3000, state: 'done', finishedAt: 5000 });
    const b = part({ selected: 100, pages: 1, errors: 2, nodes: ['n/shard-1'] });
    expect(mergeRuns([a, b])).toEqual({ ...part({}), state: 'running', selected: 300, gone: 1, pages: 3, errors: 2, slices: 2, nodes: ['n/shard-0', 'n/shard-1'], startedAt: 900, updatedAt: 3000 });
    expect(mergeRuns([a, { ...b, state: 'paused' }])?.state).toBe('paused');
    expect(mergeRuns([{ ...a, state: 'cancelled', finishedAt: 7000 }, { ...b, state: 'done', finishedAt: 6000 }])).toMatchObject({ state: 'cancelled', finishedAt: 7000 });
    expect(mergeRuns([a, { ...b, state: 'done', finishedAt: 4000 }])).toMatchObject({ state: 'done', finishedAt: 5000 });
  });

  it('waits until the earliest waiting part goes on, and is ranked only when every part is', () => {
    const wave = { n: 1, count: 2, earlier: [] };
    const merged = mergeRuns([
      part({ state: 'waiting', waitingFor: 'capacity', waitingUntil: 9000, wave, ranked: true, listed: 5 }),
      part({ state: 'waiting', waitingFor: 'wave', waitingUntil: 8000, wave, ranked: true, listed: 7 }),
    ]);
    expect(merged).toMatchObject({ state: 'waiting', waitingFor: 'wave', waitingUntil: 8000, ranked: true, listed: 12 });
    expect(mergeRuns([part({ wave, ranked: true }), part({ wave })])?.ranked).toBeUndefined();
  });

  it('is the parts there are (none: no run)', () => {
    expect(mergeRuns([undefined, undefined])).toBeUndefined();
    expect(mergeRuns([undefined, part({ selected: 4 })])).toMatchObject({ selected: 4, slices: 1 });
  });
});

describe('mergeCalls', () => {
  it('puts every part\'s calls best expected value first, those without a score last, ranked again from 1', () => {
    const merged = mergeCalls([
      [
        { customer: 'a', rank: 1, score: 9 },
        { customer: 'b', rank: 2, score: 3 },
        { customer: 'c', rank: 3 },
      ],
      [
        { customer: 'd', rank: 1, score: 5 },
        { customer: 'e', rank: 2 },
      ],
    ]);
    expect(merged).toEqual([
      { customer: 'a', rank: 1, score: 9 },
      { customer: 'd', rank: 2, score: 5 },
      { customer: 'b', rank: 3, score: 3 },
      { customer: 'e', rank: 4 },
      { customer: 'c', rank: 5 },
    ]);
  });
});

describe('ShardedRuns', () => {
  /**
   * Two shards' engines (a single node's `OutboundRuns` over a memory store each, planning
   * nothing, as in a shard) answering the main thread's calls as a shard does (`answerCall`).
   * `slow`: a shard whose hand-overs wait until released. `refuseStart`: a shard that cannot
   * make its part (being started again).
   */
  function twoShards(o: { slow?: number; refuseStart?: number; schedule?: boolean } = {}) {
    const def = loadCatalogFile(demoCatalogPath());
    if (o.schedule === true) def.campaigns.find((c) => c.id === 'pension-deposit-run')!.outbound!.schedule = { daily: '10:00' };
    const catalog = compileCatalog(def);
    const clock = new ManualClock(Date.parse('2026-12-08T09:00:00+03:00'));
    const logger = createLogger('silent');
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const handed = [0, 0];
    const parts = [0, 1].map((i) => {
      const store = new MemoryStore();
      const submit = async (): Promise<HostReply> => {
        handed[i]! += 1;
        if (i === o.slow) await gate;
        return { kind: 'decision', re: 'r', customer: 'c', actions: [], run: { outcome: 'offered', final: true } } as unknown as HostReply;
      };
      const runs = new OutboundRuns({ store, clock, catalog: () => catalog, logger, submit, score: () => Promise.resolve(1), flush: () => Promise.resolve(), pageSize: 10, backoffMs: 1, plans: false, moveWaitMs: 50 });
      return { store, runs };
    });
    const call = (i: number, c: ShardCall): Promise<unknown> => {
      if (c.op === 'runStart' && i === o.refuseStart) return Promise.reject(new KairosError('overloaded', `shard ${i} is being started again`));
      return answerCall({ runs: parts[i]!.runs } as unknown as ShardCallParts, c);
    };
    const shards = { count: 2, call: call as never, callEvery: ((c: ShardCall) => Promise.all([0, 1].map((i) => call(i, c)))) as never };
    const nodeStore = new MemoryStore();
    const sharded = new ShardedRuns({ shards, catalog: () => catalog, clock, store: nodeStore });
    const settled = async (): Promise<void> => {
      for (const p of parts) await p.runs.idle();
    };
    return { parts, sharded, clock, handed, release, settled, tick: () => sharded.tick(nodeStore, logger), partTick: () => Promise.all(parts.map((p) => p.runs.tick())) };
  }
  const members = async (parts: Array<{ store: MemoryStore }>, segment: string, perShard: number): Promise<void> => {
    for (const [i, p] of parts.entries()) await p.store.setSegmentMembers(Array.from({ length: perShard }, (_, n) => ({ id: `s${i}-${n}`, segments: [segment] })));
  };

  it('starts one run under one id in every shard, and refuses a second while it is open, an unknown campaign and one not outbound', async () => {
    const { parts, sharded, settled } = twoShards();
    await members(parts, 'clients_60_plus', 15);
    const run = await sharded.start('pension-deposit-run');
    expect(run).toMatchObject({ id: 'pension-deposit-run~20261208T060000', state: 'running', slices: 2 });
    await expect(sharded.start('pension-deposit-run')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(run.id) as string });
    await expect(sharded.start('nothing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(sharded.start('pension-deposit')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('not outbound') as string });
    await settled();
    expect(await sharded.get(run.id)).toMatchObject({ state: 'done', selected: 30, pages: 4 });
    // a second run in the same second, once the first is finished, is told apart
    expect((await sharded.start('pension-deposit-run')).id).toBe(`${run.id}-2`);
  });

  it('leaves every part cancelled, none having handed anything over, when a shard cannot make its own, and answers its error', async () => {
    const { parts, sharded, handed, settled } = twoShards({ refuseStart: 1 });
    await members(parts, 'clients_60_plus', 15);
    await expect(sharded.start('pension-deposit-run')).rejects.toMatchObject({ code: 'overloaded' });
    await settled();
    expect((await parts[0]!.runs.list()).map((r) => r.state)).toEqual(['cancelled']);
    expect(await parts[1]!.runs.list()).toEqual([]);
    expect(handed).toEqual([0, 0]);
  });

  it('moves every part that can move: made when any did, 409 when none could, 404 for no run', async () => {
    const { parts, sharded, release, settled } = twoShards({ slow: 1 });
    await members(parts, 'clients_60_plus', 15);
    const run = await sharded.start('pension-deposit-run');
    await parts[0]!.runs.idle();
    expect((await parts[0]!.runs.get(run.id))?.state).toBe('done');
    expect((await sharded.pause(run.id)).state).toBe('paused');
    await expect(sharded.pause(run.id)).rejects.toMatchObject({ code: 'conflict', message: `run "${run.id}" is paused: it cannot be paused` });
    release();
    await settled();
    expect((await sharded.resume(run.id)).state).toBe('running');
    await settled();
    expect(await sharded.get(run.id)).toMatchObject({ state: 'done', selected: 30 });
    await expect(sharded.cancel('pension-deposit-run~nothing')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('plans the next wave in every shard at once, only when every part of the wave before is done, never after a cancel', async () => {
    const { parts, sharded, release, settled, tick, partTick, clock } = twoShards({ slow: 1 });
    await members(parts, 'young_savers', 3);
    const w1 = await sharded.start('credit-card-calls');
    await parts[0]!.runs.idle();
    // shard 0's part done, shard 1's not: no second wave anywhere (a shard plans none alone)
    await partTick();
    await tick();
    expect(await sharded.get(`${w1.id}.w2`)).toBeUndefined();
    release();
    await settled();
    await tick();
    const w2 = await sharded.get(`${w1.id}.w2`);
    expect(w2).toMatchObject({ state: 'waiting', waitingFor: 'wave', slices: 2, wave: { n: 2, earlier: [w1.id] } });
    const parts2 = await Promise.all(parts.map((p) => p.runs.get(`${w1.id}.w2`)));
    expect(new Set(parts2.map((r) => r?.waitingUntil)).size).toBe(1);
    // cancelled, it stays cancelled in both whatever the ticks
    expect((await sharded.cancel(w2!.id)).state).toBe('cancelled');
    clock.set(clock.now() + 3 * 86_400_000);
    await tick();
    await partTick();
    expect((await Promise.all(parts.map((p) => p.runs.get(w2!.id)))).map((r) => r?.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('plans no next wave when a wave was cancelled while one part was done', async () => {
    const { parts, sharded, release, settled, tick } = twoShards({ slow: 1 });
    await members(parts, 'young_savers', 3);
    const w1 = await sharded.start('credit-card-calls');
    await parts[0]!.runs.idle();
    expect((await sharded.cancel(w1.id)).state).toBe('cancelled');
    // the part done is cancelled too (its deferred messages, if any, dropped as a single node's)
    expect((await parts[0]!.runs.get(w1.id))?.state).toBe('cancelled');
    release();
    await settled();
    await tick();
    expect(await sharded.get(`${w1.id}.w2`)).toBeUndefined();
  });

  it("starts a scheduled slot's run in every shard at once, once, and none while a run of the campaign is open in any shard", async () => {
    const { parts, sharded, release, settled, tick, clock } = twoShards({ slow: 1, schedule: true });
    await members(parts, 'clients_60_plus', 3);
    await tick();
    // a run by hand still open in shard 1 when the 10:00 slot comes: the slot is passed over everywhere
    const hand = await sharded.start('pension-deposit-run');
    await parts[0]!.runs.idle();
    clock.set(Date.parse('2026-12-08T10:00:30+03:00'));
    await tick();
    expect((await sharded.list('pension-deposit-run')).map((r) => r.id)).toEqual([hand.id]);
    release();
    await settled();
    // the next day's slot: one run, a part in each shard, under the slot's id
    clock.set(Date.parse('2026-12-09T10:00:30+03:00'));
    await tick();
    await tick();
    const runs = await sharded.list('pension-deposit-run');
    expect(runs.map((r) => [r.id, r.startedBy, r.slices])).toEqual([
      [hand.id, 'hand', 2],
      ['pension-deposit-run~20261209T0700', 'schedule', 2],
    ]);
  });
});
