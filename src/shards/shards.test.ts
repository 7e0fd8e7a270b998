import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogDef, GatewayEvent } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import { ManualClock } from '../clock.js';
import type { Config } from '../config.js';
import { loadConfig } from '../config.js';
import type { DeliverFrame, Subscriber } from '../delivery/gateway-subscribers.js';
import { startKairos } from '../kairos.js';
import { startShardedKairos } from '../sharded-kairos.js';
import { createLogger } from '../logger.js';
import { demoCatalogPath, packageRoot } from '../paths.js';
import type { HostReply } from '../runtime/host-options.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { adminHeaders, tempDir } from '../test-support/test-kairos.js';
import { routeKey, shardCustomerId, shardOf } from './shard-of.js';
import { Shards } from './shards.js';

/**
 * Two shards (worker threads, each a host over its own LMDB environment) behind the main
 * thread's router: every request answered once, a customer's events decided in the order
 * they came, caps kept, a shard killed mid-run started again without losing or doubling an
 * acknowledged contact, the shard count held to the data dir's. Runs the compiled worker
 * (npm test builds first).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const noon = Date.parse('2026-11-24T12:00:00+03:00');

function start(dataDir: string, count: number, clock: ManualClock, def: CatalogDef = loadCatalogFile(demoCatalogPath()), more: Partial<Config> = {}, budgetSlots?: number): Promise<Shards> {
  const config = loadConfig({}, { dataDir, clock: 'manual', logLevel: 'silent', demo: true, ...more });
  return Shards.start({ count, config, def, clock, logger: createLogger('silent'), workerUrl, ...(budgetSlots === undefined ? {} : { budgetSlots }) });
}

/** Hands the shards a catalog once the budget slots a change before let go are free (refused `unavailable` until every shard has taken that change). */
async function setCatalogWhenFree(s: Shards, def: CatalogDef): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      s.setCatalog(structuredClone(def));
      return;
    } catch (err) {
      if (i >= 100 || (err as { code?: string }).code !== 'unavailable') throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

// By card on even rounds, by the bank's id on odd ones: the directory sends both to the customer's shard.
const declined = (n: number, round: number): GatewayEvent => ({ id: `d-${n}-${round}`, type: 'atm.withdrawal.declined', customer: round % 2 === 0 ? { card: `card-${n}` } : { id: `demo-${n}` }, channel: 'atm', at: noon, data: { requested: 1000 + round * 100, balance: 800 } });

const offers = (r: HostReply): number => (r.kind === 'decision' ? r.actions.filter((a) => 'instance' in a).length : 0);

/** A declined withdrawal for each of 60 customers from `from`, all at once: every one decided; the offers made. */
async function wave(s: Shards, from: number, id: string, at = noon): Promise<number> {
  const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => s.submitEvent({ ...declined(from + i, 0), id: `${id}-${from + i}`, at })));
  expect(replies.filter((r) => r.kind !== 'decision')).toEqual([]);
  return replies.reduce((n, r) => n + offers(r), 0);
}

describe('shard routing', () => {
  it('spreads keys evenly and makes a new customer id of the shard asked for', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[shardOf(`c-${i}`, 4)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    for (let shard = 0; shard < 4; shard++) expect(shardOf(shardCustomerId('p', shard, 4), 4)).toBe(shard);
    expect(shardCustomerId('v', 2, 4)).toMatch(/^v-[0-9a-f]{16}$/);
    expect(routeKey({ id: 'c-1', card: 'x' })).toBe('c-1');
    expect(routeKey({ phone: '+7916', card: 'x' })).toBe('card:x');
    expect(shardOf('anything', 1)).toBe(0);
  });
});

describe('two shards', () => {
  it('answers every request once, in each customer order, kept under the caps, through a shard killed mid-run', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const shards = await start(data.dir, 2, clock);
    cleanups.push(() => shards.close(0));

    // 60 customers by card, six declined withdrawals each, all at once: both shards busy.
    const customers = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(new Set(customers.map((n) => shards.shardOf(`demo-${n}`))).size).toBe(2);
    const first = await Promise.all(customers.flatMap((n) => [0, 1, 2, 3, 4, 5].map(async (round) => ({ n, round, reply: await shards.submitEvent(declined(n, round)) }))));
    expect(first.filter((r) => r.reply.kind !== 'decision')).toEqual([]);
    // The first event makes the one SMS the daily cap allows (to a customer the campaign
    // targets); the five after it, decided in order, are silent.
    const got = (rows: typeof first, n: number): number[] => rows.filter((r) => r.n === n).map((r) => offers(r.reply));
    const targeted = customers.filter((n) => got(first, n)[0] === 1);
    expect(targeted.length).toBeGreaterThan(40);
    for (const n of customers) expect(got(first, n), `customer ${n}`).toEqual(targeted.includes(n) ? [1, 0, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0]);
    for (const r of first) expect(r.reply).toMatchObject({ customer: `demo-${r.n}` });

    // 60 more customers while shard 0 is killed with their events in its hands.
    const more = Array.from({ length: 60 }, (_, i) => i + 101);
    const pending = more.flatMap((n) => [0, 1, 2].map(async (round) => ({ n, round, reply: await shards.submitEvent(declined(n, round)) })));
    await new Promise((r) => setImmediate(r));
    expect(shards.unanswered[0]).toBeGreaterThan(20);
    await shards.kill(0);
    const second = await Promise.all(pending);
    expect(shards.restarts).toEqual([1, 0]);
    expect(second.filter((r) => r.reply.kind !== 'decision')).toEqual([]);
    const targetedMore = more.filter((n) => got(second, n)[0] === 1);
    expect(targetedMore.length).toBeGreaterThan(40);
    for (const n of more) expect(got(second, n), `customer ${n}`).toEqual(targetedMore.includes(n) ? [1, 0, 0] : [0, 0, 0]);

    // Sent again, an event is answered as it was: the same offer instance, marked a repeat, no second contact.
    const someone = targetedMore[0]!;
    const again = await shards.submitEvent(declined(someone, 0));
    const was = second.find((r) => r.n === someone && r.round === 0)!.reply;
    expect(again.kind === 'decision' && again.duplicate).toBe(true);
    expect(again.kind === 'decision' && again.actions).toEqual(was.kind === 'decision' ? was.actions : undefined);

    // A response routed by its instance to the customer's shard.
    const offer = was.kind === 'decision' ? was.actions.find((a) => 'instance' in a) : undefined;
    expect(offer).toBeDefined();
    const accepted = await shards.submitResponse({ id: 'resp-101', instance: (offer as { instance: string }).instance, outcome: 'accepted', at: noon + 60_000 });
    expect(accepted).toMatchObject({ kind: 'ack', duplicate: false });
    expect(await shards.submitResponse({ id: 'resp-x', instance: 'nonsense', outcome: 'accepted' })).toMatchObject({ kind: 'error', code: 'invalid' });

    // One owner: a second router on the data dir is refused while the first has it (even in this process).
    await expect(start(data.dir, 2, clock)).rejects.toThrow(/is in use by process/);
    // A single node does not start on it, nor shards on a single node's.
    await expect(startKairos(loadConfig({}, { dataDir: data.dir, port: 0, logLevel: 'silent', demo: false }))).rejects.toThrow(/spread over shards/);
    const single = tempDir();
    cleanups.push(single.remove);
    mkdirSync(join(single.dir, 'lmdb'));
    await expect(start(single.dir, 2, clock)).rejects.toThrow(/holds a single node's store/);

    // Closed while a shard is being started again: nothing is left running, nothing unanswered.
    const closing = shards.submitEvent({ ...declined(2, 7), id: 'while-closing' });
    await shards.kill(1);
    await shards.close(5000);
    expect(await closing).toMatchObject({ re: 'while-closing' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(shards.running).toBe(0);
    expect(shards.unanswered).toEqual([0, 0]);
    expect(await shards.submitEvent(declined(3, 7))).toMatchObject({ kind: 'error', code: 'overloaded', message: 'server is shutting down' });

    // In the shards' stores: one SMS in the outbox for each customer answered with one, and nothing else.
    const sms: string[] = [];
    for (const i of [0, 1]) {
      const store = new LmdbStore(join(data.dir, `shard-${i}`));
      sms.push(...(await store.listOutbox('sms', 10_000)).map((r) => r.customer));
      await store.close();
    }
    expect(sms.sort()).toEqual([...targeted, ...targetedMore].map((n) => `demo-${n}`).sort());

    // The data dir keeps its shard count: another is refused; the same finds every customer again.
    await expect(start(data.dir, 3, clock)).rejects.toThrow(/spread over 2 shards: start with KAIROS_SHARDS=2/);
    const reopened = await start(data.dir, 2, clock);
    cleanups.push(() => reopened.close(0));
    // (the day's cap still holds after the restart: the contact was committed in the shard)
    const later = await reopened.submitEvent({ ...declined(targeted[0]!, 9), id: 'later' });
    expect(later).toMatchObject({ kind: 'decision', customer: `demo-${targeted[0]!}`, actions: [] });
  }, 120_000);

  it('sends every event naming a new identifier to one shard, withholds an identifier another shard holds, and gives a visitor\'s device to the customer who logs in on it', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const shards = await start(data.dir, 2, clock);
    cleanups.push(() => shards.close(0));
    const visit = (id: string, customer: GatewayEvent['customer']): GatewayEvent => ({ id, type: 'web.pageview', customer, channel: 'web', at: noon, data: { url: '/deposits' } });
    const customerOf = (r: HostReply): string => (r.kind === 'decision' ? r.customer : `not a decision: ${JSON.stringify(r)}`);

    // First sight of a phone (twice at once), then of an e-mail with it: one prospect, on the phone's shard.
    const phone = '+79990001122';
    const email = 'new.person@example.ru';
    const replies = await Promise.all([shards.submitEvent(visit('n-1', { phone })), shards.submitEvent(visit('n-2', { phone }))]);
    replies.push(await shards.submitEvent(visit('n-3', { email, phone })));
    const prospect = customerOf(replies[0]);
    expect(prospect).toMatch(/^p-/);
    expect(replies.map(customerOf)).toEqual([prospect, prospect, prospect]);
    expect(shards.shardOf(prospect)).toBe(shards.shardOf(`phone:${phone}`));
    // The e-mail alone now reaches the same person.
    expect(customerOf(await shards.submitEvent(visit('n-4', { email })))).toBe(prospect);

    // The directory refusing a claim's write (its disk full, say): the event naming the new
    // identifier is answered overloaded, nothing decided, and the next one claims it again.
    const db = (shards as unknown as { directory: { db: { put: (k: Buffer, v: number) => Promise<boolean> } } }).directory.db;
    const put = db.put.bind(db);
    db.put = () => Promise.reject(new Error('MDB_MAP_FULL'));
    expect(await shards.submitEvent(visit('f-1', { cookie: 'refused-cookie' }))).toMatchObject({ kind: 'error', code: 'overloaded', message: 'the shard directory could not be written; nothing was changed, retry later' });
    db.put = put;
    expect(await shards.submitEvent(visit('f-2', { cookie: 'refused-cookie' }))).toMatchObject({ kind: 'decision', customer: expect.stringMatching(/^v-/) as string });

    // A bank customer of the other shard named with the prospect's phone: the phone is withheld, not linked.
    let other = 1;
    while (shards.shardOf(`demo-${other}`) === shards.shardOf(prospect)) other++;
    expect(customerOf(await shards.submitEvent(visit('n-5', { id: `demo-${other}`, phone })))).toBe(`demo-${other}`);
    expect(shards.withheld).toBe(1);
    expect(customerOf(await shards.submitEvent(visit('n-6', { phone })))).toBe(prospect);

    // A visitor's device, then a login on it by a bank customer of the other shard: as on a
    // single node the device is the customer's now (the cookie alone reaches them), and a
    // customer of another shard named with it later does not take it.
    const cookie = 'device-1';
    const visitor = customerOf(await shards.submitEvent(visit('l-1', { cookie })));
    expect(visitor).toMatch(/^v-/);
    let person = 1;
    while (shards.shardOf(`demo-${person}`) === shards.shardOf(visitor)) person++;
    expect(customerOf(await shards.submitEvent(visit('l-2', { id: `demo-${person}`, cookie })))).toBe(`demo-${person}`);
    expect(shards.withheld).toBe(1);
    expect(customerOf(await shards.submitEvent(visit('l-3', { cookie })))).toBe(`demo-${person}`);
    let someoneElse = 1;
    while (shards.shardOf(`demo-${someoneElse}`) === shards.shardOf(`demo-${person}`)) someoneElse++;
    expect(customerOf(await shards.submitEvent(visit('l-4', { id: `demo-${someoneElse}`, cookie })))).toBe(`demo-${someoneElse}`);
    expect(shards.withheld).toBe(2);
    expect(customerOf(await shards.submitEvent(visit('l-5', { cookie })))).toBe(`demo-${person}`);
  }, 60_000);

  it('never lets two shards spend a budget past its end, through a restart and a reopening', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const def = loadCatalogFile(demoCatalogPath());
    const campaign = def.campaigns.find((c) => c.id === 'atm-shortfall')!;
    campaign.budget = { maxContacts: 8 };
    const shards = await start(data.dir, 2, clock, def);
    cleanups.push(() => shards.close(0));
    // 60 customers at once over both shards (each would spend the whole budget alone): 8 SMS.
    const customers = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(new Set(customers.map((n) => shards.shardOf(`demo-${n}`))).size).toBe(2);
    expect(await wave(shards, 1, 'a')).toBe(8);
    // A shard killed and started again does not count what it spent twice, nor forget it.
    await shards.kill(1);
    expect(await wave(shards, 101, 'b')).toBe(0);
    // Reopened: each shard adds what it wrote; the budget is still spent.
    await shards.close(5000);
    const reopened = await start(data.dir, 2, clock, def);
    cleanups.push(() => reopened.close(0));
    expect(await wave(reopened, 201, 'c')).toBe(0);
    await reopened.close(5000);
    // Reopened with the budget gone, then given back by a new catalog: what the shards spent counts again.
    delete campaign.budget;
    const third = await start(data.dir, 2, clock, def);
    cleanups.push(() => third.close(0));
    campaign.budget = { maxContacts: 8 };
    third.setCatalog(def);
    expect(await wave(third, 401, 'e')).toBe(0);
    // Raised by 5 (a new catalog): 5 more, no more.
    campaign.budget = { maxContacts: 13 };
    third.setCatalog(def);
    expect(await wave(third, 301, 'd')).toBe(5);
  }, 120_000);

  it('lets a budget slot go with its campaign\'s budget and hands it to another campaign from zero, refusing only a catalog with more budgets than slots', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const def = loadCatalogFile(demoCatalogPath());
    const atm = def.campaigns.find((c) => c.id === 'atm-shortfall')!;
    const pension = def.campaigns.find((c) => c.id === 'pension-deposit')!;
    atm.budget = { maxContacts: 8 };
    // One slot: the shards share the totals of one budgeted campaign at a time.
    const shards = await start(data.dir, 2, clock, def, {}, 1);
    cleanups.push(() => shards.close(0));
    expect(await wave(shards, 1, 'a')).toBe(8);
    // Two budgets at once: refused before any shard is handed the catalog.
    pension.budget = { maxContacts: 1 };
    expect(() => shards.checkCatalog(def)).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining('1 at most') as string }) as Error);
    expect(() => shards.setCatalog(def)).toThrow(expect.objectContaining({ code: 'conflict' }) as Error);
    // The budget taken away, then another campaign's given: its slot is the one let go.
    delete atm.budget;
    delete pension.budget;
    shards.setCatalog(def);
    pension.budget = { maxContacts: 1 };
    await setCatalogWhenFree(shards, def);
    // (the catalog reached every shard: the ATM offer, without its budget now, made to every customer)
    expect(await wave(shards, 101, 'b')).toBe(60);
    // The ATM budget given back (13) in the slot again: cleared, and the 8 the shards spent before counted again: 5 more.
    delete pension.budget;
    shards.setCatalog(def);
    atm.budget = { maxContacts: 13 };
    await setCatalogWhenFree(shards, def);
    expect(await wave(shards, 201, 'c')).toBe(5);
    expect(await wave(shards, 301, 'd')).toBe(0);
  }, 120_000);

  it('never lets two shards pass a channel\'s capacity for the day, and counts a new day from zero', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    const def = loadCatalogFile(demoCatalogPath());
    def.policy = { ...def.policy, channelCapacity: { ...def.policy?.channelCapacity, sms: { perDay: 6 } } };
    const shards = await start(data.dir, 2, clock, def);
    cleanups.push(() => shards.close(0));
    expect(await wave(shards, 1, 'a', noon)).toBe(6);
    expect(await wave(shards, 101, 'b', noon)).toBe(0);
    // The next day: six more.
    const tomorrow = noon + 86_400_000;
    clock.set(tomorrow);
    expect(await wave(shards, 201, 'c', tomorrow)).toBe(6);
  }, 60_000);

  it('delivers every shard\'s SMS to a WebSocket subscriber of the main thread, each shard at its share of the window and the connection at the window, again after a shard restarts', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const clock = new ManualClock(noon);
    // A window of 5: at most 3 from each shard at a time (5 divided among 2, rounded up), and 5 on the connection.
    const shards = await start(data.dir, 2, clock, undefined, { subscriberWindow: 5 });
    cleanups.push(() => shards.close(0));
    const frames: DeliverFrame[] = [];
    const sub: Subscriber & { open: boolean } = { open: true, deliver: (f) => void frames.push(f) };
    expect(() => shards.subscribers.subscribe(sub, Array.from({ length: 65 }, (_, i) => `ch-${i}`))).toThrow(/at most 64 channels/);
    shards.subscribers.subscribe(sub, ['sms']);
    const made = await wave(shards, 1, 'a');
    expect(made).toBeGreaterThan(40);

    const until = async (what: () => boolean): Promise<void> => {
      for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(what()).toBe(true);
    };
    const shardOfFrame = (f: DeliverFrame): number => shards.shardOf(f.customer);
    await until(() => frames.length >= 5);
    await new Promise((r) => setTimeout(r, 200));
    // The window holds: five on the connection, no more than three from either shard.
    expect(frames.length).toBe(5);
    for (const i of [0, 1]) expect(frames.filter((f) => shardOfFrame(f) === i).length).toBeLessThanOrEqual(3);
    expect(frames.every((f) => f.channel === 'sms' && f.content !== undefined)).toBe(true);
    await expect(shards.subscribers.confirm(sub, { t: 'delivered', instance: 'nope:1', channel: 'sms' })).rejects.toThrow(/no delivery of "nope:1" awaits confirmation/);
    // One confirmed: one more, no more.
    const confirmed = new Set<string>();
    await shards.subscribers.confirm(sub, { t: 'delivered', instance: frames[0]!.instance, channel: 'sms' });
    confirmed.add(frames[0]!.instance);
    await until(() => frames.length >= 6);
    await new Promise((r) => setTimeout(r, 200));
    expect(frames.length).toBe(6);

    // Shard 1's confirmed; shard 0 killed with its own unconfirmed: its next worker offers them again.
    for (const f of frames.filter((x) => shardOfFrame(x) === 1 && !confirmed.has(x.instance))) {
      await shards.subscribers.confirm(sub, { t: 'delivered', instance: f.instance, channel: 'sms' });
      confirmed.add(f.instance);
    }
    const heldByZero = frames.filter((f) => shardOfFrame(f) === 0 && !confirmed.has(f.instance)).map((f) => f.instance);
    expect(heldByZero.length).toBeGreaterThan(0);
    await shards.kill(0);
    await until(() => shards.restarts[0] === 1 && shards.running === 2);
    // Everything confirmed as it comes, until every SMS made is confirmed once.
    let seen = 0;
    await until(() => {
      for (const f of frames.slice(seen)) {
        seen++;
        if (confirmed.has(f.instance)) continue;
        shards.subscribers.confirm(sub, { t: 'delivered', instance: f.instance, channel: 'sms' }).then(
          () => confirmed.add(f.instance),
          () => undefined,
        );
      }
      return confirmed.size === made;
    });
    for (const i of heldByZero) expect(frames.filter((f) => f.instance === i).length).toBeGreaterThanOrEqual(2);
    expect(new Set(frames.map((f) => f.customer)).size).toBe(made);

    // Gone: nothing more comes to it; the outboxes are empty.
    shards.subscribers.unsubscribe(sub);
    sub.open = false;
    await shards.close(5000);
    for (const i of [0, 1]) {
      const store = new LmdbStore(join(data.dir, `shard-${i}`));
      expect(await store.listOutbox('sms', 10_000)).toEqual([]);
      await store.close();
    }
  }, 60_000);
});

describe('catalog changes on a node with shards', () => {
  it('refuses before storing it a change bringing more budgets than the shards share, and hands a slot let go to the next budget', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: true, logLevel: 'silent', shutdownTimeoutMs: 5000, segmentSweepMs: 0 });
    // One budget slot: the shards share the totals of one budgeted campaign at a time.
    const k = await startShardedKairos(config, { shardWorkerUrl: workerUrl, budgetSlots: 1 });
    cleanups.push(() => k.close());
    const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`http://127.0.0.1:${k.port}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // What the customer's shard would offer them now (the dry run decides with the shard's catalog).
    const offered = async (n: number): Promise<string[]> => {
      const r = await api('POST', `/v1/customers/demo-${n}/explain`, { type: 'atm.withdrawal.declined', channel: 'atm', data: { requested: 1000, balance: 800 } });
      expect(r.status).toBe(200);
      return (r.body.actions as Array<{ campaign: string }>).map((a) => a.campaign);
    };
    let n = 1;
    while (!(await offered(n)).includes('atm-shortfall')) n++;
    const campaign = async (id: string): Promise<Record<string, unknown>> => (await api('GET', `/v1/campaigns/${id}`)).body;
    const versionNow = async (): Promise<number> => (await api('GET', '/v1/catalog')).body.version as number;

    // One budget: taken.
    expect((await api('PUT', '/v1/campaigns/atm-shortfall', { ...(await campaign('atm-shortfall')), budget: { maxContacts: 1000 } })).status).toBe(200);
    const version = await versionNow();
    // A whole catalog with two budgets, pausing the ATM campaign too: refused naming the limit, nothing stored, the ATM offer still made.
    const def = (await api('GET', '/v1/catalog')).body as { campaigns: Array<Record<string, unknown>> };
    for (const c of def.campaigns) {
      if (c.id === 'atm-shortfall') c.status = 'paused';
      if (c.id === 'pension-deposit') c.budget = { maxContacts: 10 };
    }
    const refused = await api('PUT', '/v1/catalog', def);
    expect(refused).toMatchObject({ status: 409, body: { code: 'conflict', detail: expect.stringContaining('shares the totals of 1 at most') as string } });
    expect(await versionNow()).toBe(version);
    expect(((await api('GET', '/v1/catalog/history?limit=1')).body.entries as Array<{ version: number }>)[0]?.version).toBe(version);
    expect(await offered(n)).toContain('atm-shortfall');
    // One item's budget as well.
    expect((await api('PUT', '/v1/campaigns/pension-deposit', { ...(await campaign('pension-deposit')), budget: { maxContacts: 10 } })).status).toBe(409);
    expect(await versionNow()).toBe(version);

    // The ATM budget taken away: its slot goes to the pension campaign's (503 while a shard still holds it), and the shards take the changes.
    const { budget: _, ...unbudgeted } = await campaign('atm-shortfall');
    expect((await api('PUT', '/v1/campaigns/atm-shortfall', unbudgeted)).status).toBe(200);
    const pension = { ...(await campaign('pension-deposit')), budget: { maxContacts: 10 } };
    let put = await api('PUT', '/v1/campaigns/pension-deposit', pension);
    for (let i = 0; i < 50 && put.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 20));
      put = await api('PUT', '/v1/campaigns/pension-deposit', pension);
    }
    expect(put.status).toBe(200);
    expect((await api('POST', '/v1/campaigns/atm-shortfall/status', { status: 'paused' })).status).toBe(200);
    expect(await offered(n)).not.toContain('atm-shortfall');
  }, 60_000);
});
