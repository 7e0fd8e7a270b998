import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { demoCatalogPath } from '../paths.js';
import { MemoryStore } from '../store/memory-store.js';
import type { HostReply } from './host-options.js';
import { OutboundRuns } from './outbound-runs.js';
import { RunStops } from './run-stops.js';

/**
 * The runs stopped as the decisions see them (`RunStops`: a paused run's hand-overs and
 * deferred messages held): a pause made while a page is being recorded stays noted, not
 * overwritten by the page's own view of the run as it was when the page began (the engine over
 * a memory store, hand-overs answered at once, a manual clock); a run paused and resumed while a
 * page is handed over goes on, not paused again by the page's own view of the pause.
 */

describe('a run paused while its page is recorded', () => {
  it('stays paused for the decisions', async () => {
    const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
    const store = new MemoryStore();
    await store.setSegmentMembers(Array.from({ length: 5 }, (_, n) => ({ id: `c-${n}`, segments: ['clients_60_plus'] })));
    const runStops = new RunStops();
    let pauseAtFlush: (() => Promise<unknown>) | undefined;
    const runs: OutboundRuns = new OutboundRuns({
      store,
      clock: new ManualClock(Date.parse('2026-12-08T10:00:00+03:00')),
      catalog: () => catalog,
      logger: createLogger('silent'),
      runStops,
      submit: () => Promise.resolve({ kind: 'decision', re: 'r', customer: 'c', actions: [], run: { outcome: 'offered', final: true } } as unknown as HostReply),
      // the page answered, being made durable: the marketer pauses the run now
      flush: async () => {
        const pause = pauseAtFlush;
        pauseAtFlush = undefined;
        await pause?.();
      },
      pageSize: 2,
    });
    const run = await runs.start('pension-deposit-run');
    pauseAtFlush = () => runs.pause(run.id);
    await runs.idle();
    // (before any read of the run, which would note its state afresh)
    expect(runStops.paused.has(run.id)).toBe(true);
    expect((await runs.get(run.id))?.state).toBe('paused');
  });
});

/**
 * An engine over five members of `segment` whose hand-overs wait at a gate until `release()`,
 * one at a time (a page's next customer is not handed over once the run is paused or cancelled);
 * `handed()`: the hand-overs begun.
 */
async function gatedRuns(segment: string, o: { pageSize: number; moveWaitMs: number; flush: () => Promise<void> }) {
  const catalog = compileCatalog(loadCatalogFile(demoCatalogPath()));
  const store = new MemoryStore();
  await store.setSegmentMembers(Array.from({ length: 5 }, (_, n) => ({ id: `c-${n}`, segments: [segment] })));
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let handed = 0;
  const runs = new OutboundRuns({
    store,
    clock: new ManualClock(Date.parse('2026-12-08T10:00:00+03:00')),
    catalog: () => catalog,
    logger: createLogger('silent'),
    runStops: new RunStops(),
    submit: async () => {
      handed++;
      await gate;
      return { kind: 'decision', re: 'r', customer: 'c', actions: [], run: { outcome: 'offered', final: true } } as unknown as HostReply;
    },
    flush: o.flush,
    pageSize: o.pageSize,
    concurrency: 1,
    backoffMs: 1,
    moveWaitMs: o.moveWaitMs,
  });
  const handedOver = async (): Promise<void> => {
    while (handed === 0) await new Promise((r) => setTimeout(r, 1));
  };
  return { runs, release: () => release(), handedOver, handed: () => handed };
}

describe('a run paused and resumed while a page is handed over', () => {
  it('goes on to the end: the halted page is handed over again, the run not paused again', async () => {
    // the marketer resumes the run once its page, halted by the pause, is being made durable
    const at: { flush?: () => Promise<unknown> } = {};
    let resumed: Promise<unknown> | undefined;
    const { runs, release, handedOver } = await gatedRuns('clients_60_plus', {
      pageSize: 2,
      moveWaitMs: 20,
      flush: async () => {
        await (resumed ??= at.flush?.());
      },
    });
    const run = await runs.start('pension-deposit-run');
    await handedOver();
    // paused with the page's hand-overs under way (answered after 20 ms without them)
    expect((await runs.pause(run.id)).state).toBe('paused');
    at.flush = () => runs.resume(run.id);
    release();
    await runs.idle();
    if (resumed === undefined) await runs.resume(run.id);
    await runs.idle();
    expect(await runs.get(run.id)).toMatchObject({ state: 'done', selected: 5 });
  });
});

describe('a wave cancelled while its page is handed over', () => {
  it('keeps the calls made before the cancel in its call list (the dialer has them)', async () => {
    const { runs, release, handedOver, handed } = await gatedRuns('young_savers', { pageSize: 5, moveWaitMs: 50, flush: () => Promise.resolve() });
    const run = await runs.start('credit-card-calls');
    await handedOver();
    const cancelling = runs.cancel(run.id);
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect((await cancelling).state).toBe('cancelled');
    await runs.idle();
    expect(handed()).toBe(1);
    expect((await runs.calls(run.id)).map((c) => c.customer)).toEqual(['c-0']);
  });
});
