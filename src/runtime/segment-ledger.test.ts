import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import { granted } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import { bareHost } from '../test-support/bare-host.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import type { Store } from '../store/store.js';
import type { CustomerHost } from './customer-host.js';
import { SEGMENT_LEDGER_MARKER, SegmentLedger, ensureSegmentLedger, recountSegments } from './segment-ledger.js';
import { SegmentSweep } from './segment-sweep.js';
import { segmentsCommand } from '../cli/segments-command.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** a day of the manual clock, never read from the wall clock */
const T0 = Date.UTC(2031, 2, 10, 9, 0);
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

describe('segment sizes: the daily history', () => {
  it('keeps the size at the end of each day by the server clock, and reads it back from what a commit wrote', () => {
    const clock = new ManualClock(T0);
    const s = new SegmentLedger(clock);
    s.record([{ segment: 'seniors', change: 'entered' }, { segment: 'cafe_lovers', change: 'entered' }]);
    s.record([{ segment: 'seniors', change: 'entered' }]);
    clock.set(T0 + 2 * DAY);
    s.record([{ segment: 'seniors', change: 'exited' }, { segment: 'seniors', change: 'entered' }, { segment: 'seniors', change: 'entered' }]);
    clock.set(T0 + 3 * DAY + HOUR);
    s.record([{ segment: 'seniors', change: 'exited' }]);
    expect(s.size('seniors')).toBe(2);
    expect(s.size('cafe_lovers')).toBe(1);
    expect(s.size('unknown')).toBe(0);
    expect(s.history('seniors')).toEqual([
      { day: day(T0), size: 2 },
      { day: day(T0 + DAY), size: 2 },
      { day: day(T0 + 2 * DAY), size: 3 },
      { day: day(T0 + 3 * DAY), size: 2 },
    ]);
    // Days with no change go on showing the size; the window is the last n days.
    clock.set(T0 + 5 * DAY);
    expect(s.history('seniors', 2)).toEqual([
      { day: day(T0 + 4 * DAY), size: 2 },
      { day: day(T0 + 5 * DAY), size: 2 },
    ]);
    // What the write-behind batch writes to the store's meta, loaded by a restarted server.
    const again = new SegmentLedger(clock);
    again.counters.load(s.counters.drain());
    expect(again.size('seniors')).toBe(2);
    expect(again.history('seniors')).toEqual(s.history('seniors'));
  });

  it('folds days older than it keeps into one number, the size unchanged', () => {
    const clock = new ManualClock(T0);
    const s = new SegmentLedger(clock);
    s.record([{ segment: 'seniors', change: 'entered' }]);
    clock.set(T0 + 500 * DAY);
    s.record([{ segment: 'seniors', change: 'entered' }]);
    expect(s.size('seniors')).toBe(2);
    expect(Object.keys(s.counters.get('seniors').days)).toEqual([day(T0 + 500 * DAY)]);
    expect(s.history('seniors', 3).map((h) => h.size)).toEqual([1, 1, 2]);
  });
});

/** A seeded PRNG (the tests' random events are the same on every run). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CUSTOMERS = 24;

function host(store: Store, clock: ManualClock, segments: SegmentLedger): CustomerHost {
  return bareHost(store, clock, testCatalog, { segments, maxHotActors: 5 });
}

/** Random card payments (cafés or not) by random customers over 90 days: members enter and leave cafe_lovers as windows slide. */
async function randomEvents(hosts: readonly CustomerHost[], clock: ManualClock, seed: number, count = 400): Promise<void> {
  const random = prng(seed);
  const all = hosts;
  for (let i = 0; i < count; i++) {
    clock.set(clock.now() + Math.floor(random() * 6 * HOUR));
    const n = 1 + Math.floor(random() * CUSTOMERS);
    const mcc = random() < 0.6 ? '5812' : '5411';
    // Several nodes: the same customer's events to each at once (no affinity, the worst case).
    const replies = await Promise.all(
      all.map((h, k) => {
        const event: GatewayEvent = { id: `s-${seed}-${i}-${k}`, type: 'card.transaction', customer: { id: `c-${n}` }, channel: 'pos', at: clock.now(), data: { mcc, amount: 300 } };
        return h.submitEvent(event);
      }),
    );
    for (const reply of replies) expect(reply.kind).toBe('decision');
  }
}

/**
 * What the server does in the background before the sizes are read: the segment timers due by
 * the clock fired (the reminder poller) and a pass of the sweep (customers no event reached,
 * imported, join their segments), committed.
 */
async function settle(h: CustomerHost, store: Store, clock: ManualClock): Promise<void> {
  for (let n = await h.pollReminders(); n > 0; n = await h.pollReminders());
  await new SegmentSweep({ store, clock, catalog: () => testCatalog, logger: createLogger('silent'), check: (id) => h.checkSegments(id) }).run();
  // On a shared store a step's changes are added with the node's next commit, once its own is in.
  for (let i = 0; i < 2; i++) await h.flush();
}

/** Each segment's members by a full look at every customer's state (the card's memberships, as of the clock's day), in id order. */
async function fullMembers(h: CustomerHost): Promise<Record<string, string[]>> {
  const members: Record<string, string[]> = { seniors: [], cafe_lovers: [] };
  for (let n = 1; n <= CUSTOMERS; n++) {
    const view = await h.view(`c-${n}`);
    for (const s of Object.keys(view?.segments ?? {})) (members[s] ??= []).push(`c-${n}`);
  }
  for (const list of Object.values(members)) list.sort();
  return members;
}

/** Each segment's size by a full count over every customer's state. */
async function fullCount(h: CustomerHost): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await fullMembers(h)).map(([s, list]) => [s, list.length]));
}

/** The store's member index of each segment, read by pages of 5. */
async function indexed(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const s of ['seniors', 'cafe_lovers']) {
    const all: string[] = [];
    for (let page = await store.listSegmentMembers(s, 5); page.length > 0; page = await store.listSegmentMembers(s, 5, page.at(-1))) all.push(...page);
    out[s] = all;
  }
  return out;
}

async function importBank(store: Store, seed: number): Promise<void> {
  const random = prng(seed);
  await store.importCustomers(
    Array.from({ length: CUSTOMERS }, (_, i) => ({
      id: `c-${i + 1}`,
      record: { stage: 'client' as const, profile: { firstName: 'Ирина', age: 40 + Math.floor(random() * 40) }, identifiers: {}, consents: granted, importedAt: T0 - DAY },
    })),
  );
}

describe('segment sizes: live, equal to a full count after random events', () => {
  it('on the memory store', async () => {
    const store = new MemoryStore();
    await importBank(store, 7);
    const clock = new ManualClock(T0);
    const segments = new SegmentLedger(clock);
    const h = host(store, clock, segments);
    await randomEvents([h], clock, 7);
    await settle(h, store, clock);
    const counted = await fullCount(h);
    expect(counted.cafe_lovers).toBeGreaterThan(0);
    expect(counted.seniors).toBeGreaterThan(0);
    expect({ seniors: segments.size('seniors'), cafe_lovers: segments.size('cafe_lovers') }).toEqual(counted);
    expect(await indexed(store)).toEqual(await fullMembers(h));
    // An erased customer leaves their segments: the size and the index.
    const gone = (await fullMembers(h)).cafe_lovers![0]!;
    await h.erase(gone);
    await h.flush();
    const after = await fullMembers(h);
    expect(after.cafe_lovers).not.toContain(gone);
    expect(await indexed(store)).toEqual(after);
    expect(segments.size('cafe_lovers')).toBe(after.cafe_lovers!.length);
    await h.close(1000);
    // What the commits wrote to the store's meta gives the same sizes to a restarted server.
    const loaded = new SegmentLedger(clock);
    await loaded.counters.loadFrom(store, 1000);
    expect(loaded.size('cafe_lovers')).toBe(after.cafe_lovers!.length);
    expect(loaded.history('cafe_lovers', 200).at(-1)).toEqual({ day: day(clock.now()), size: after.cafe_lovers!.length });
  });

  it('on LMDB, across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-segsize-'));
    try {
      let store = new LmdbStore(dir);
      await importBank(store, 11);
      const clock = new ManualClock(T0);
      let segments = new SegmentLedger(clock);
      let h = host(store, clock, segments);
      await randomEvents([h], clock, 11);
      await h.close(1000);
      await store.close();
      store = new LmdbStore(dir);
      segments = new SegmentLedger(clock);
      await segments.counters.loadFrom(store, 1000);
      h = host(store, clock, segments);
      await randomEvents([h], clock, 12);
      await settle(h, store, clock);
      const counted = await fullCount(h);
      expect(counted.cafe_lovers).toBeGreaterThan(0);
      expect({ seniors: segments.size('seniors'), cafe_lovers: segments.size('cafe_lovers') }).toEqual(counted);
      expect(await indexed(store)).toEqual(await fullMembers(h));
      await h.close(1000);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(runRedisTests)('on Redis, two nodes sending the same customers\' events at once', async () => {
    const redis = await startRedis();
    const prefix = `segsize-${process.pid}`;
    const stores: RedisStore[] = [];
    const open = async (): Promise<RedisStore> => {
      const store = await new RedisStore({ url: redis.url, prefix }).open();
      stores.push(store);
      return store;
    };
    try {
      const clock = new ManualClock(T0);
      const [sa, sb] = [await open(), await open()];
      await importBank(sa, 5);
      const [la, lb] = [new SegmentLedger(clock), new SegmentLedger(clock)];
      const [a, b] = [host(sa, clock, la), host(sb, clock, lb)];
      await randomEvents([a, b], clock, 5, 150);
      // A step's changes are added with the node's next commit, once its own is in.
      for (let i = 0; i < 2; i++) {
        await a.flush();
        await b.flush();
      }
      await a.close(1000);
      await b.close(1000);
      // A third node counts every customer's memberships from the store.
      const sc = await open();
      const lc = new SegmentLedger(clock);
      await lc.counters.loadFrom(sc, 1000);
      const c = host(sc, clock, lc);
      await settle(c, sc, clock);
      const counted = await fullCount(c);
      expect(counted.cafe_lovers).toBeGreaterThan(0);
      expect({ seniors: lc.size('seniors'), cafe_lovers: lc.size('cafe_lovers') }).toEqual(counted);
      expect(await indexed(sc)).toEqual(await fullMembers(c));
      await c.close(1000);
    } finally {
      for (const s of stores) await s.close();
      await redis.close();
    }
  });
});

/** A lost ledger: every segment's size and the member index gone (the store's meta values zeroed, the index dropped). */
async function wipe(store: Store): Promise<void> {
  for (const { key } of await store.listMeta('segsize/', 1000)) await store.putMeta(key, { before: 0, days: {} });
  await store.setSegmentMembers([], true);
}

const sizesOf = (l: SegmentLedger): Record<string, number> => ({ seniors: l.size('seniors'), cafe_lovers: l.size('cafe_lovers') });

describe('segment sizes: recounted from the stored snapshots', () => {
  it('on the memory store: a lost ledger and member index rebuilt equal to a full count; a right one left as it was, older days kept', async () => {
    const store = new MemoryStore();
    await importBank(store, 3);
    const clock = new ManualClock(T0);
    const live = new SegmentLedger(clock);
    const h = host(store, clock, live);
    await randomEvents([h], clock, 3);
    await settle(h, store, clock);
    const members = await fullMembers(h);
    const counted = await fullCount(h);
    expect(counted.cafe_lovers).toBeGreaterThan(0);
    expect(counted.seniors).toBeGreaterThan(0);
    await h.close(1000);

    // A recount of a ledger that was right changes nothing, its history included.
    const history = live.history('cafe_lovers', 400);
    expect(history.length).toBeGreaterThan(2);
    const again = await recountSegments(store, live, { pageSize: 5 });
    expect(again.snapshots).toBe(CUSTOMERS);
    expect(live.history('cafe_lovers', 400)).toEqual(history);
    expect(await indexed(store)).toEqual(members);

    // Lost, then recounted a day later: today's size is the count, the older days stay as they are.
    await wipe(store);
    clock.set(clock.now() + DAY);
    const ledger = new SegmentLedger(clock);
    await ledger.counters.loadFrom(store, 1000);
    expect(sizesOf(ledger)).toEqual({ seniors: 0, cafe_lovers: 0 });
    expect(await store.listSegmentMembers('cafe_lovers', 10)).toEqual([]);
    const r = await recountSegments(store, ledger, { pageSize: 5 });
    expect({ seniors: r.sizes.get('seniors'), cafe_lovers: r.sizes.get('cafe_lovers') }).toEqual(counted);
    expect(sizesOf(ledger)).toEqual(counted);
    expect(await indexed(store)).toEqual(members);
    expect(ledger.history('cafe_lovers', 2)).toEqual([{ day: day(clock.now()), size: counted.cafe_lovers }]);
    // Written to the store: a restarted server reads the same sizes.
    const loaded = new SegmentLedger(clock);
    await loaded.counters.loadFrom(store, 1000);
    expect(sizesOf(loaded)).toEqual(counted);
    expect(await store.getMeta(SEGMENT_LEDGER_MARKER)).toMatchObject({ snapshots: CUSTOMERS });
  });

  it('on LMDB: at a start on a store whose ledger was never built, and by `kairos segments recount` (refused while a server holds the store)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kairos-recount-'));
    const dir = join(dataDir, 'lmdb');
    try {
      let store = new LmdbStore(dir);
      await importBank(store, 13);
      const clock = new ManualClock(T0);
      const h = host(store, clock, new SegmentLedger(clock));
      await randomEvents([h], clock, 13);
      await settle(h, store, clock);
      const members = await fullMembers(h);
      const counted = await fullCount(h);
      expect(counted.cafe_lovers).toBeGreaterThan(0);
      await h.close(1000);
      // A store from before the ledger: no sizes, no members, no marker.
      await wipe(store);
      expect(await store.getMeta(SEGMENT_LEDGER_MARKER)).toBeUndefined();
      await store.close();

      // The start: recounted once, before any traffic.
      store = new LmdbStore(dir);
      let ledger = new SegmentLedger(clock);
      await ledger.counters.loadFrom(store, 1000);
      const r = await ensureSegmentLedger(store, ledger);
      expect(r?.snapshots).toBe(CUSTOMERS);
      expect(sizesOf(ledger)).toEqual(counted);
      expect(await indexed(store)).toEqual(members);
      // The next start finds the marker: no recount.
      expect(await ensureSegmentLedger(store, new SegmentLedger(clock))).toBeUndefined();

      // The command, on the same store lost again: refused while the store is held, then run.
      await wipe(store);
      const out: string[] = [];
      const err: string[] = [];
      const io = { env: { KAIROS_DATA_DIR: dataDir, KAIROS_STORE: 'lmdb' }, out: (t: string) => out.push(t), err: (t: string) => err.push(t), clock };
      expect(await segmentsCommand(['recount'], io)).toBe(1);
      expect(err.join('')).toMatch(/kairos segments: /);
      await store.close();
      expect(await segmentsCommand(['recount'], io)).toBe(0);
      expect(out.join('')).toContain(`cafe_lovers ${counted.cafe_lovers}\n`);
      expect(out.join('').trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^segments: customers=${CUSTOMERS} segments=\\d+ s=[\\d.]+$`));
      expect(await segmentsCommand(['count'], io)).toBe(2);
      store = new LmdbStore(dir);
      ledger = new SegmentLedger(clock);
      await ledger.counters.loadFrom(store, 1000);
      expect(sizesOf(ledger)).toEqual(counted);
      expect(await indexed(store)).toEqual(members);
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on an empty store: only the marker (the ledger starts exact)', async () => {
    const store = new MemoryStore();
    const ledger = new SegmentLedger(new ManualClock(T0));
    expect(await ensureSegmentLedger(store, ledger)).toBeUndefined();
    expect(await store.getMeta(SEGMENT_LEDGER_MARKER)).toEqual({ at: T0, customers: 0, snapshots: 0 });
  });

  it.runIf(runRedisTests)('on Redis: sizes off and the index lost, recounted exact from the shared store', async () => {
    const redis = await startRedis();
    const prefix = `recount-${process.pid}`;
    const store = await new RedisStore({ url: redis.url, prefix }).open();
    try {
      const clock = new ManualClock(T0);
      await importBank(store, 17);
      const live = new SegmentLedger(clock);
      await live.counters.loadFrom(store, 1000);
      const h = host(store, clock, live);
      await randomEvents([h], clock, 17, 150);
      await h.flush();
      await settle(h, store, clock);
      const members = await fullMembers(h);
      const counted = await fullCount(h);
      expect(counted.cafe_lovers).toBeGreaterThan(0);
      await h.close(1000);
      // The shared sums made wrong (a node's lost commit), the index dropped.
      await store.coordination.commit({ snapshots: [], identities: [], outbox: [], counters: [{ key: 'segsize/cafe_lovers', delta: { before: 5 } }] });
      await store.setSegmentMembers([], true);
      expect(await store.listSegmentMembers('cafe_lovers', 10)).toEqual([]);
      const ledger = new SegmentLedger(clock);
      await ledger.counters.loadFrom(store, 1000);
      expect(ledger.size('cafe_lovers')).toBe(counted.cafe_lovers! + 5);
      await recountSegments(store, ledger, { pageSize: 7 });
      expect(sizesOf(ledger)).toEqual(counted);
      expect(await indexed(store)).toEqual(members);
      const other = new SegmentLedger(clock);
      await other.counters.loadFrom(store, 1000);
      expect(sizesOf(other)).toEqual(counted);
    } finally {
      await store.close();
      await redis.close();
    }
  });
});
