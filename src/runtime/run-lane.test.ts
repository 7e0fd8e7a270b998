import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { granted, testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { MemoryStore } from '../store/memory-store.js';
import { bareHost } from '../test-support/bare-host.js';
import type { CustomerHost } from './customer-host.js';
import type { HostOptions, HostReply } from './host-options.js';
import { RUN_MAX_ACTIVE, RUN_MAX_WAIT_MS } from './run-lane.js';

/**
 * A run's hand-overs in the host's background lane (run-lane.ts): the host on its own, the
 * memory store, a manual clock and a manual monotonic time (the run's slice and the bound on
 * its wait are measured in it), no sockets.
 */

/** 10:00 in Moscow on a day of the manual clock */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
const catalog = compileCatalog(testCatalogDef());
const RUN = { id: 'r-1', campaign: 'no-such-campaign' };

async function host(options: Partial<HostOptions>): Promise<{ host: CustomerHost; mono: { now: number } }> {
  const store = new MemoryStore();
  await store.importCustomers(
    Array.from({ length: RUN_MAX_ACTIVE + 8 }, (_, i) => ({
      id: `c-${i + 1}`,
      record: { stage: 'client' as const, profile: { firstName: 'Ирина', age: 40 + i }, identifiers: { card: [`card-${i + 1}`] }, consents: granted, importedAt: T0 - 86_400_000 },
    })),
  );
  const clock = new ManualClock(T0);
  const mono = { now: 0 };
  const h = bareHost(store, clock, catalog, { flushIntervalMs: 10, monotonicNow: () => mono.now, ...options });
  return { host: h, mono };
}

let seq = 0;
const visit = (customer: string): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id: customer }, channel: 'web', at: T0, data: { page: '/deposits' } });

function runOutcome(reply: HostReply): string | undefined {
  expect(reply.kind).toBe('decision');
  return reply.kind === 'decision' ? reply.run?.outcome : undefined;
}

describe('customer host: a run in the background lane', () => {
  it('decides gateway events submitted while hand-overs wait before those hand-overs, a customer’s own included', async () => {
    // replies at once (no commit to wait for): the order of the replies is the order of the decisions
    const { host: h } = await host({ durability: 'write-behind' });
    const order: string[] = [];
    // RUN_MAX_ACTIVE hand-overs being decided, four more waiting; events for others, and for a waiting one's customer
    const n = RUN_MAX_ACTIVE + 4;
    const runs = Array.from({ length: n }, (_, i) => h.submitRun(RUN, `c-${i + 1}`).then((r) => (order.push(`run c-${i + 1}`), r)));
    // the first few are being decided, the rest wait for their turn
    expect(h.runsWaiting).toBe(4);
    const eventCustomers = [`c-${n + 4}`, `c-${n}`, `c-${n + 3}`];
    const events = eventCustomers.map((c) => h.submitEvent(visit(c)).then((r) => (order.push(`event ${c}`), r)));
    for (const r of await Promise.all(events)) expect(r.kind).toBe('decision');
    for (const r of await Promise.all(runs)) expect(runOutcome(r)).toBe('not_triggered');
    const waited = order.filter((x) => x.startsWith('run')).slice(RUN_MAX_ACTIVE);
    // every event before every hand-over that waited (c-n's event before c-n's hand-over)
    expect(order.slice(-waited.length).sort()).toEqual([1, 2, 3, 4].map((k) => `run c-${RUN_MAX_ACTIVE + k}`).sort());
    expect(order.filter((x) => x.startsWith('event')).sort()).toEqual(eventCustomers.map((c) => `event ${c}`).sort());
    await h.close(1000);
  });

  it('still goes on under a steady event load that never leaves the gateways idle: a hand-over waits at most its bound', async () => {
    // each reply waits for its commit: some event is always in hand
    const { host: h, mono } = await host({ durability: 'commit' });
    let stop = false;
    let events = 0;
    const stream = async (customer: string): Promise<void> => {
      while (!stop) {
        const r = await h.submitEvent(visit(customer));
        expect(r.kind).toBe('decision');
        events++;
        // a millisecond of the host's monotonic time an event: the bound comes after RUN_MAX_WAIT_MS of them
        mono.now += 1;
      }
    };
    const streams = [stream(`c-${RUN_MAX_ACTIVE + 7}`), stream(`c-${RUN_MAX_ACTIVE + 8}`)];
    // more hand-overs than go at once: the waiting ones go at the bound
    const replies = await Promise.all(Array.from({ length: RUN_MAX_ACTIVE + 4 }, (_, i) => h.submitRun(RUN, `c-${i + 1}`)));
    stop = true;
    await Promise.all(streams);
    for (const r of replies) expect(runOutcome(r)).toBe('not_triggered');
    expect(events).toBeGreaterThan(0);
    expect(RUN_MAX_WAIT_MS).toBeGreaterThan(0);
    await h.close(1000);
  });
});
