import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import { putCustomer } from '../admin/customer-import-routes.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import type { SharedCommitBatch } from '../store/coordination.js';
import { RedisStore } from '../store/redis-store.js';
import type { OutboxRecord } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';
import { importedClient } from '../test-support/imported-client.js';
import { runRedisTests } from '../test-support/redis.js';
import { redisForFile } from '../test-support/redis-for-file.js';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { CustomerHost } from './customer-host.js';
import type { HostReply } from './host-options.js';
import type { IdentityConflictRecord } from './identity-conflicts.js';
import { CONFLICT_PREFIX } from './identity-conflicts.js';

/**
 * An erasure on one node while another node holds the customer (docs/privacy.md#redis): two
 * customer hosts, each with its own connection to one real Redis (two nodes but for their
 * sockets), in one process so the test decides the order of their steps. Node B's commit is
 * held at its store until node A's erasure is done, then let go (or A's erasure held until
 * B's commit is in): the erased customer stays erased (no snapshot, master data, identity link
 * or outbox entry; B answers as for a customer it does not know), and only the bank's
 * re-creation (`PUT /v1/customers/{id}`) brings the id back, with nothing of what was erased,
 * on B too.
 */

const HOUR = 3_600_000;
/** 10:00 in Moscow on a day of the manual clock */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
const ID = 'c-1';
/** what names customer 1 (importedClient(1)) and the cookie node B's event links to them */
const CANARIES = ['+79160000001', 'c1@bank.example', 'card-1', 'ck-b', 'Ирина', 'Петровна'];

const redis = redisForFile();
let prefixes = 0;

/**
 * A node's store whose next commit (or erasure) naming a customer waits at the door until the
 * test lets it go; or whose next lookup of an identifier (or read of a meta key) answers, then
 * waits there (what the node read before the erasure, used after it).
 */
class HeldStore extends RedisStore {
  private held: { op: Door; id: string; reached: (go: () => void) => void } | undefined;

  /** Resolves once the next commit (erasure, lookup, meta read) naming `id` is waiting, with the function that lets it go on. */
  holdNext(op: Door, id: string): Promise<() => void> {
    return new Promise((reached) => (this.held = { op, id, reached }));
  }

  private async door(op: Door, ids: readonly string[]): Promise<void> {
    const held = this.held;
    if (held === undefined || held.op !== op || !ids.includes(held.id)) return;
    this.held = undefined;
    await new Promise<void>((go) => held.reached(go));
  }

  override async commit(batch: SharedCommitBatch): Promise<OutboxRecord[]> {
    await this.door('commit', batch.snapshots.map((s) => s.id));
    return super.commit(batch);
  }

  override async eraseCustomer(...args: Parameters<RedisStore['eraseCustomer']>): Promise<boolean> {
    await this.door('erase', [args[0]]);
    return super.eraseCustomer(...args);
  }

  override async lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    const found = await super.lookupIdentity(kind, value);
    await this.door('lookup', [value]);
    return found;
  }

  override async getMeta(key: string): Promise<unknown> {
    const found = await super.getMeta(key);
    await this.door('read', [key]);
    return found;
  }
}

type Door = 'commit' | 'erase' | 'lookup' | 'read';

interface Nodes {
  a: CustomerHost;
  b: CustomerHost;
  sa: HeldStore;
  sb: HeldStore;
  clock: ManualClock;
  /** node B's metrics */
  mb: ReturnType<typeof createMetrics>;
  prefix: string;
  /** a plain connection to the same Redis, to look at every key */
  raw: Redis;
}

/** Two nodes on fresh data with customer 1 imported, and the customers `others` (importedClient(n)). */
async function nodes(others: readonly number[] = []): Promise<Nodes> {
  const url = redis.url;
  const prefix = `erase2-${process.pid}-${++prefixes}`;
  const sa = await new HeldStore({ url, prefix }).open();
  const sb = await new HeldStore({ url, prefix }).open();
  const raw = new Redis(url);
  const clock = new ManualClock(T0);
  const a = bareHost(sa, clock, testCatalog);
  const mb = createMetrics();
  const b = bareHost(sb, clock, testCatalog, { metrics: mb });
  redis.onClose(async () => {
    await a.close(1000);
    await b.close(1000);
    await sa.close();
    await sb.close();
    await raw.quit();
  });
  await sa.importCustomers([1, ...others].map((i) => ({ id: `c-${i}`, record: importedClient(i, T0 - 24 * HOUR) })));
  return { a, b, sa, sb, clock, mb, prefix, raw };
}

let seq = 0;
const shortfall = (customer: GatewayEvent['customer'], at = T0): GatewayEvent => ({
  id: `e-${++seq}`,
  type: 'atm.withdrawal.declined',
  customer,
  channel: 'atm',
  at,
  data: { requested: 1000, balance: 800 },
});
const visit = (customer: GatewayEvent['customer'], at = T0): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer, channel: 'web', at, data: { page: '/deposits' } });

function decided(reply: HostReply): { customer: string; actions: readonly unknown[] } {
  expect(reply.kind).toBe('decision');
  return reply.kind === 'decision' ? reply : { customer: '', actions: [] };
}

/** Every value of a key, as bytes (strings, hashes with their fields, sets, sorted sets, streams). */
async function valuesOf(raw: Redis, key: string): Promise<Buffer[]> {
  const type = await raw.type(key);
  if (type === 'string') return [(await raw.getBuffer(key)) ?? Buffer.alloc(0)];
  if (type === 'hash') return Object.entries(await raw.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]);
  if (type === 'set') return raw.smembersBuffer(key);
  if (type === 'zset') return raw.zrangeBuffer(key, 0, -1);
  if (type === 'stream') return (await raw.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
  return [];
}

/**
 * What Redis holds of the erased customer: the keys that name them, and the keys whose values
 * name them or hold one of their identifiers or names. The audit trail's entry of the erasure
 * names the id (`customer:c-1`, docs/audit.md): that key is left out.
 */
async function leftOf(n: Nodes): Promise<{ keys: string[]; naming: string[] }> {
  const keys = (await n.raw.keys(`${n.prefix}:*`)).sort();
  const naming: string[] = [];
  for (const key of keys) {
    if (key === `${n.prefix}:{audit}:e`) continue;
    const values = await valuesOf(n.raw, key);
    if (values.some((v) => CANARIES.some((c) => v.includes(Buffer.from(c))) || v.toString() === ID)) naming.push(key);
  }
  return { keys: keys.filter((k) => k.includes(ID)), naming };
}

/** The customer as the store holds them, read by node A's store: nothing at all once erased. */
async function stored(n: Nodes): Promise<unknown> {
  const { sa } = n;
  return {
    snapshot: await sa.getSnapshot(ID),
    record: await sa.getCustomer(ID),
    held: await sa.hasCustomer(ID),
    links: await Promise.all([sa.lookupIdentity('card', 'card-1'), sa.lookupIdentity('phone', '+79160000001'), sa.lookupIdentity('email', 'c1@bank.example'), sa.lookupIdentity('cookie', 'ck-b')]),
    sms: (await sa.listOutbox('sms', 100)).filter((r) => r.customer === ID),
  };
}

const nothing = { snapshot: undefined, record: undefined, held: false, links: [undefined, undefined, undefined, undefined], sms: [] };

describe.runIf(runRedisTests)('an erasure on one node while another holds the customer (Redis)', () => {
  it.each([
    ['read from the master data (revision 0: the case a missing snapshot let through)', false],
    ['committed once before (revision 1)', true],
  ])('a change node B decided before the erasure and commits after it is refused: the customer stays erased, copy %s', async (_name, committedBefore) => {
    const n = await nodes();
    const { a, b, sb } = n;
    if (committedBefore) decided(await b.submitEvent(visit({ id: ID })));
    // B decides an SMS offer for the customer, with a cookie new to them; its commit waits.
    const waiting = sb.holdNext('commit', ID);
    const reply = b.submitEvent(shortfall({ id: ID, cookie: 'ck-b' }));
    const go = await waiting;
    // Meanwhile A erases them.
    expect(await a.erase(ID)).toEqual({ identifiers: 3 });
    expect(await stored(n)).toEqual(nothing);
    // B's commit goes on: refused, B forgets its copy and decides the event again, for no one.
    go();
    const answer = await reply;
    expect(answer).toMatchObject({ kind: 'error', code: 'unknown_customer' });
    await b.flush();
    expect(await stored(n)).toEqual(nothing);
    expect(await b.view(ID)).toBeUndefined();
    expect(await a.view(ID)).toBeUndefined();
    const left = await leftOf(n);
    expect(left.naming).toEqual([]);
    expect(left.keys).toEqual([`${n.prefix}:{c:${ID}}:snap`]);
    expect(Object.keys(await n.raw.hgetall(`${n.prefix}:{c:${ID}}:snap`)).sort()).toEqual(['gone', 'rev']);
  });

  it('a change node B commits after node A read the customer to erase them, before the erasure reached the store: its new identifier goes with them', async () => {
    const n = await nodes();
    const { a, b, sa } = n;
    // A reads the customer (three identifiers) and is about to erase them; B commits first, linking a cookie.
    const waiting = sa.holdNext('erase', ID);
    const erasure = a.erase(ID);
    const go = await waiting;
    decided(await b.submitEvent(shortfall({ id: ID, cookie: 'ck-b' })));
    expect(await sa.lookupIdentity('cookie', 'ck-b')).toBe(ID);
    go();
    expect(await erasure).toEqual({ identifiers: 3 });
    await b.flush();
    expect(await stored(n)).toEqual(nothing);
    expect(await b.view(ID)).toBeUndefined();
    const left = await leftOf(n);
    expect(left.naming).toEqual([]);
    expect(left.keys).toEqual([`${n.prefix}:{c:${ID}}:snap`]);
  });

  it('a copy node B holds unchanged from before the erasure is not served: B reads the customer again, and finds no one', async () => {
    const n = await nodes();
    const { a, b } = n;
    expect((await b.view(ID))?.profile.firstName).toBe('Ирина');
    expect(await a.erase(ID)).toEqual({ identifiers: 3 });
    expect(await b.view(ID)).toBeUndefined();
    expect(await b.submitEvent(shortfall({ id: ID }))).toMatchObject({ kind: 'error', code: 'unknown_customer' });
    await b.flush();
    expect(await stored(n)).toEqual(nothing);
    expect((await leftOf(n)).naming).toEqual([]);
  });

  it('the bank creates the id again (PUT): a new customer with nothing of the erased one, on both nodes, a change B decided on a copy from before still refused', async () => {
    const n = await nodes();
    const { a, b, sa, sb, clock } = n;
    // B holds a copy from the master data, and decides an event on it; its commit waits
    // through the erasure and the re-creation.
    const waiting = sb.holdNext('commit', ID);
    const reply = b.submitEvent(shortfall({ id: ID, cookie: 'ck-b' }));
    const go = await waiting;
    expect(await a.erase(ID)).toEqual({ identifiers: 3 });
    const d = { host: a, store: sa, clock, logger: createLogger('silent') };
    expect(await putCustomer(d, ID, { first_name: 'Вера', phone: '+79160000099', consent_sms: true }, { principal: { name: 'bank', role: 'admin' } })).toBe('created');
    // Let go: refused (decided on the erased customer), decided again on the new one.
    go();
    expect(decided(await reply).customer).toBe(ID);
    await b.flush();
    for (const node of [a, b]) {
      const card = await node.view(ID);
      expect(card?.profile.firstName).toBe('Вера');
      expect(card?.profile.patronymic).toBeUndefined();
      // the event's cookie is the new customer's: it came after the re-creation
      expect(card?.identifiers).toEqual({ card: [], email: [], phone: ['+79160000099'], cookie: ['ck-b'] });
    }
    expect(await sa.lookupIdentity('phone', '+79160000099')).toBe(ID);
    expect(await stored(n)).toMatchObject({ held: true, links: [undefined, undefined, undefined, ID] });
    // (the tombstone's revision 1, the PUT's segment check of the new customer 2, then B's commit: 3)
    expect((await sa.getSnapshot(ID))?.rev).toBe(3);
    expect(await n.raw.pttl(`${n.prefix}:{c:${ID}}:snap`)).toBe(-1);
    // Nothing of the erased customer anywhere (the cookie and the new customer's values aside).
    const old = CANARIES.filter((c) => c !== 'ck-b');
    for (const key of await n.raw.keys(`${n.prefix}:*`)) {
      for (const v of await valuesOf(n.raw, key)) expect(old.filter((c) => v.includes(Buffer.from(c))), key).toEqual([]);
    }
  });
});

describe.runIf(runRedisTests)('identity conflicts on node B beside an erasure on node A (Redis)', () => {
  /** The conflicts naming the customer the store keeps (holder or claimant), read by node A's store. */
  async function naming(n: Nodes, id: string): Promise<IdentityConflictRecord[]> {
    return (await n.sa.listMeta(CONFLICT_PREFIX, 100)).map((m) => m.value as IdentityConflictRecord).filter((c) => c.holder === id || c.claimant === id);
  }
  /** customer 2's event naming customer 1's phone: a conflict, holder c-1, claimant c-2 */
  const claim = (): GatewayEvent => visit({ id: 'c-2', phone: '+79160000001' });

  it.each([
    ['the holder', 'c-1'],
    ['the claimant', 'c-2'],
  ])('a conflict node B resolved before node A erased %s, recorded after the erasure, is refused', async (_name, erased) => {
    const n = await nodes([2]);
    const { a, b, sb } = n;
    // B reads who holds the phone (c-1), then waits while A erases.
    const reading = sb.holdNext('lookup', '+79160000001');
    const event = b.submitEvent(claim());
    const go = await reading;
    expect(await a.erase(erased)).toEqual({ identifiers: 3 });
    go();
    await event;
    await b.flush();
    expect(await naming(n, erased)).toEqual([]);
    // (not counted either: kairos_identity_conflicts_total counts the conflicts recorded)
    expect((await n.mb.identityConflicts.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(0);
  });

  it('a conflict node B records after node A looked for those naming the customer, before its tombstone, is erased with them', async () => {
    const n = await nodes([2]);
    const { a, b, sa } = n;
    // A's erasure is at the store's door; B records its conflict meanwhile.
    const waiting = sa.holdNext('erase', ID);
    const erasure = a.erase(ID);
    const go = await waiting;
    decided(await b.submitEvent(claim()));
    expect(await naming(n, ID)).toHaveLength(1);
    expect((await n.mb.identityConflicts.get()).values).toEqual([expect.objectContaining({ labels: { kind: 'phone' }, value: 1 })]);
    go();
    expect(await erasure).toEqual({ identifiers: 3 });
    expect(await naming(n, ID)).toEqual([]);
  });

  it.each([
    ['audited', true],
    ['not audited', false],
  ])('a dismissal node B read the conflict for before node A erased its holder does not write it back (%s)', async (_name, audited) => {
    const n = await nodes([2]);
    const { a, b, sb, clock } = n;
    decided(await b.submitEvent(claim()));
    const [conflict] = await naming(n, ID);
    const reading = sb.holdNext('read', CONFLICT_PREFIX + conflict!.id);
    const dismissal = b.identityConflicts
      .dismiss(
        conflict!.id,
        audited ? (before, after) => ({ at: clock.now(), who: { name: 'ops', role: 'admin' }, action: 'identity-conflict.dismiss', target: `identity-conflict:${conflict!.id}`, before: { status: before.status }, after: { status: after.status } }) : undefined,
      )
      .catch((err: unknown) => err);
    const go = await reading;
    expect(await a.erase(ID)).toEqual({ identifiers: 3 });
    go();
    expect(await dismissal).toMatchObject({ code: 'not_found' });
    expect(await naming(n, ID)).toEqual([]);
    expect(await n.sa.listAudit(0, 100)).toEqual([]);
  });
});
