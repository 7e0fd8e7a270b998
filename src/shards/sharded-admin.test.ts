import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { demoCatalogPath, packageRoot } from '../paths.js';
import type { HostReply } from '../runtime/host-options.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { tempDir } from '../test-support/test-kairos.js';
import { MergedTotals } from './merged-totals.js';
import type { ShardTotals } from './shard-calls.js';
import { AuditRelay, NodeStopList } from './sharded-admin.js';
import { shardOf } from './shard-of.js';
import { Shards } from './shards.js';

/**
 * The main thread's side of the admin API on two shards, without sockets: the node's stop list
 * handed to every shard (and to one started again while it changed), and a shard's audit
 * entries copied into the node's trail once each, whatever the copies asked and the node's
 * restarts. Runs the compiled worker (npm test builds first).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const noon = Date.parse('2026-11-24T12:00:00+03:00');
const declined = (n: number, id: string): GatewayEvent => ({ id, type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', at: noon, data: { requested: 1000, balance: 800 } });
const sms = (r: HostReply): number => (r.kind === 'decision' ? r.actions.filter((a) => a.channel === 'sms').length : -1);
const admin = { name: 'ops-1', role: 'privacy' as const };

describe('the admin API of a node with shards, its main thread', () => {
  it('hands the stop list to every shard and to one started again meanwhile; copies a shard\'s audit entries into the node\'s trail once each', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const config = loadConfig({}, { dataDir: data.dir, clock: 'manual', logLevel: 'silent', demo: true });
    const node = new LmdbStore(join(data.dir, 'node'));
    // (the list is loaded before the shards start: they are handed it)
    const started: { shards?: Shards } = {};
    const stopList = new NodeStopList(node, config.stopListSecret, (call) => started.shards?.changeStops(call) ?? Promise.resolve());
    await stopList.load();
    const s = await Shards.start({ count: 2, config, def: loadCatalogFile(demoCatalogPath()), stops: () => stopList.list(), clock, logger: createLogger('silent'), workerUrl });
    started.shards = s;
    cleanups.push(async () => {
      await s.close(5000);
      await node.close();
    });
    // Customers the ATM microcredit goes to, one on each shard.
    const on: number[] = [];
    for (let n = 1; on.length < 2; n++) if (shardOf(`demo-${n}`, 2) === on.length && sms(await s.submitEvent(declined(n, `probe-${n}`))) > 0) on.push(n);
    const [first, second] = on as [number, number];

    await stopList.add({ kind: 'customer', value: `demo-${first}` }, noon, 'ops-1');
    expect(sms(await s.submitEvent(declined(first, 'after-stop')))).toBe(0);
    // Shard 1 stops; an entry is added while it starts again: it takes the node's list when it does.
    await s.kill(1);
    for (let i = 0; i < 100 && s.notReadyReason() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    // (the live actors meanwhile: the shard starting left out, the other's counted)
    expect(await s.liveActors()).toMatchObject({ of: 1, hot: expect.any(Number) as number });
    await stopList.add({ kind: 'customer', value: `demo-${second}` }, noon, 'ops-1');
    for (let i = 0; i < 200 && s.notReadyReason() !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sms(await s.submitEvent(declined(second, 'after-restart')))).toBe(0);
    // Removed from the node's list (and every shard's copy).
    const entry = stopList.list().find((e) => e.kind === 'customer' && e.hint === `demo-${first}`)!;
    await stopList.remove(entry.key, undefined, undefined);
    expect(stopList.size).toBe(1);

    // An erasure's entry, written in the shard's transaction, copied once however often the copy runs.
    const target = shardOf(`demo-${first + 1000}`, 2);
    const erased = await s.erase(`demo-${first + 1000}`, { at: noon, who: admin, action: 'customer.erase', target: `customer:demo-${first + 1000}`, after: { erased: true, identifiers: 0 } });
    expect(erased?.identifiers).toBeGreaterThan(0);
    const relay = new AuditRelay(node, s);
    await Promise.all([relay.relayAll(), relay.relayAll()]);
    await new AuditRelay(node, s).relayAll();
    const trail = await node.listAudit(0, 100);
    expect(trail.map((e) => [e.action, e.target, (e.after as { identifiers: number }).identifiers])).toEqual([['customer.erase', `customer:demo-${first + 1000}`, erased!.identifiers]]);
    expect(await s.call(target, { op: 'audit', after: 0, limit: 10 })).toHaveLength(1);

    // Two catalogs handed out one after the other: the next request is not held back waiting for the first.
    const def = loadCatalogFile(demoCatalogPath());
    s.setCatalog({ ...def, version: 2 });
    s.setCatalog({ ...def, version: 3 });
    const t0 = performance.now();
    expect((await s.submitEvent(declined(first + 2, 'after-two-catalogs'))).kind).toBe('decision');
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 60_000);

  it('adds up what the shards report, and drops what none holds any more', async () => {
    let reports: ShardTotals[] = [
      { counters: [{ key: 'segsize/a', value: { before: 2, 'days\u001f2026-11-24': 1 } }, { key: 'funnel/c\u001fsms\u001fo\u001fg', value: { offered: 3 } }] },
      { counters: [{ key: 'segsize/a', value: { before: 4 } }, { key: 'segsize/b', value: { before: 1 } }] },
    ];
    const totals = new MergedTotals(() => Promise.resolve(reports), new ManualClock(noon));
    await totals.refresh();
    expect(totals.ledgers.segments.size('a')).toBe(7);
    expect(totals.ledgers.segments.size('b')).toBe(1);
    expect(totals.ledgers.funnel.counters.get('c\u001fsms\u001fo\u001fg').offered).toBe(3);
    reports = [{ counters: [{ key: 'segsize/a', value: { before: 5 } }] }, { counters: [] }];
    await Promise.all([totals.refresh(), totals.refresh()]);
    expect(totals.ledgers.segments.size('a')).toBe(5);
    expect(totals.ledgers.segments.size('b')).toBe(0);
    expect(totals.ledgers.funnel.counters.all().size).toBe(0);
  });
});
