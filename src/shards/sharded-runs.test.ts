import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { RunRecord } from '../runtime/outbound-runs.js';
import { demoCatalogPath } from '../paths.js';
import type { ShardCall } from './shard-calls.js';
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
  /** Two shards' answers, as each shard's engine gives them: `fail` makes one shard's start fail as a shard being started again does. */
  function twoShards(fail?: number) {
    const runs: Array<Map<string, RunRecord>> = [new Map(), new Map()];
    const asked: Array<[number, ShardCall]> = [];
    const call = (i: number, c: ShardCall): Promise<unknown> => {
      asked.push([i, c]);
      const mine = runs[i]!;
      switch (c.op) {
        case 'runStart': {
          if (i === fail) return Promise.reject(new KairosError('overloaded', 'shard 1 is being started again'));
          const r = part({ id: c.id, campaign: c.campaign, startedAt: c.at, nodes: [`n/shard-${i}`] });
          mine.set(c.id, r);
          return Promise.resolve(r);
        }
        case 'runMove': {
          const r = mine.get(c.id);
          if (r === undefined) return Promise.reject(new KairosError('not_found', `no run "${c.id}"`));
          const to = c.verb === 'pause' ? 'paused' : c.verb === 'cancel' ? 'cancelled' : 'running';
          if ((c.verb === 'resume') !== (r.state === 'paused') || r.state === 'done' || r.state === 'cancelled') return Promise.reject(new KairosError('conflict', `run "${c.id}" is ${r.state}`));
          mine.set(c.id, { ...r, state: to });
          return Promise.resolve(mine.get(c.id));
        }
        case 'run':
          return Promise.resolve(mine.get(c.id));
        case 'runs':
          return Promise.resolve([...mine.values()]);
        default:
          return Promise.reject(new Error(`not asked here: ${c.op}`));
      }
    };
    const shards = {
      count: 2,
      call: call as never,
      callEvery: ((c: ShardCall) => Promise.all([0, 1].map((i) => call(i, c)))) as never,
    };
    const clock = new ManualClock(Date.parse('2026-12-08T09:00:00Z'));
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    return { runs, asked, sharded: new ShardedRuns({ shards, catalog: () => catalog, clock }) };
  }

  it('starts one run under one id in every shard, and refuses a second while it is open, an unknown campaign and one not outbound', async () => {
    const { runs, sharded } = twoShards();
    const run = await sharded.start('pension-deposit-run');
    expect(run).toMatchObject({ id: 'pension-deposit-run~20261208T090000', state: 'running', slices: 2 });
    expect(runs.map((r) => [...r.keys()])).toEqual([[run.id], [run.id]]);
    await expect(sharded.start('pension-deposit-run')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(run.id) as string });
    await expect(sharded.start('nothing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(sharded.start('pension-deposit')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('not outbound') as string });
    // a second run in the same second, once the first is finished, is told apart
    await sharded.cancel(run.id);
    expect((await sharded.start('pension-deposit-run')).id).toBe(`${run.id}-2`);
  });

  it('cancels the parts started when a shard cannot start its own, and answers that shard\'s error', async () => {
    const { runs, sharded } = twoShards(1);
    await expect(sharded.start('pension-deposit-run')).rejects.toMatchObject({ code: 'overloaded' });
    expect([...runs[0]!.values()].map((r) => r.state)).toEqual(['cancelled']);
    expect(runs[1]!.size).toBe(0);
  });

  it('moves every part that can move: made when any did, 409 when none could, 404 for no run', async () => {
    const { runs, sharded } = twoShards();
    const run = await sharded.start('pension-deposit-run');
    runs[0]!.set(run.id, { ...runs[0]!.get(run.id)!, state: 'done' });
    expect((await sharded.pause(run.id)).state).toBe('paused');
    expect([...runs[1]!.values()][0]!.state).toBe('paused');
    await expect(sharded.pause(run.id)).rejects.toMatchObject({ code: 'conflict', message: `run "${run.id}" is paused: it cannot be paused` });
    expect((await sharded.resume(run.id)).state).toBe('running');
    await expect(sharded.cancel('pension-deposit-run~nothing')).rejects.toMatchObject({ code: 'not_found' });
  });
});
