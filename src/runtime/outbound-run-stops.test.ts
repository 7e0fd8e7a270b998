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
 * a memory store, hand-overs answered at once, a manual clock).
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
