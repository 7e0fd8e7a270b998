import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../actors/index.js';
import type { AuditRecord, CustomerRecord, ReminderRecord, StopEntry, Store, StoredSnapshot } from './store.js';
import { reminderKey } from './store.js';
import { verifyChain } from '../audit/audit-chain.js';

/**
 * The contract every store backend passes. Each backend's test file calls
 * `describeStoreContract` with a factory; `reopen` (for durable backends) opens the same
 * data again, as after a restart.
 */
export interface StoreHarness {
  store: Store;
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const record = (n: number): CustomerRecord => ({
  stage: 'client',
  profile: { firstName: 'Иван', patronymic: 'Петрович', age: 30 + n, balance: 1000 * n },
  identifiers: { card: [`card-${n}`], phone: [`+7900000000${n}`], email: [`c${n}@example.com`], cookie: [] },
  importedAt: 1_700_000_000_000,
});

/** An SMS offer in the outbox, for the store tests (this contract and the backends' own). */
export const offerEntry = (customer: string, instance: string, at = 1): Extract<OutboxEntry, { kind: 'offer' }> => ({
  kind: 'offer',
  instance,
  customer,
  channel: 'sms',
  campaign: 'camp',
  offer: 'off',
  content: { text: 'Привет' },
  expiresAt: at + 60_000,
  at,
});

/** A snapshot without the revision a shared backend adds. */
const bare = (s: StoredSnapshot | undefined): StoredSnapshot | undefined => (s === undefined ? undefined : { v: s.v, snapshot: s.snapshot });

export function describeStoreContract(name: string, make: () => Promise<StoreHarness>, options: { durable: boolean }): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = h.store;
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await h.cleanup();
    });

    it('returns undefined for what it does not hold', async () => {
      expect(await store.getSnapshot('nobody')).toBeUndefined();
      expect(await store.getCustomer('nobody')).toBeUndefined();
      expect(await store.hasCustomer('nobody')).toBe(false);
      expect(await store.lookupIdentity('phone', '+70000000000')).toBeUndefined();
      expect(await store.listOutbox('sms', 10)).toEqual([]);
      expect(await store.getMeta('missing')).toBeUndefined();
    });

    it('imports customers and indexes every identifier', async () => {
      await store.importCustomers([1, 2, 3].map((n) => ({ id: `c-${n}`, record: record(n) })));
      expect(await store.countImported()).toBe(3);
      expect(await store.getCustomer('c-2')).toEqual(record(2));
      expect(await store.hasCustomer('c-3')).toBe(true);
      expect(await store.lookupIdentity('card', 'card-1')).toBe('c-1');
      expect(await store.lookupIdentity('phone', '+79000000002')).toBe('c-2');
      expect(await store.lookupIdentity('email', 'c3@example.com')).toBe('c-3');
    });

    it('commits snapshots, identity links, outbox entries and meta values together', async () => {
      const records = await store.commit({
        snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { context: { id: 'c-1', seq: 3 }, value: 'client' } } }],
        identities: [{ kind: 'cookie', value: 'ck-1', customer: 'c-1' }],
        outbox: [offerEntry('c-1', 'c-1:1.a', 1000), offerEntry('c-1', 'c-1:2.b', 2000)],
        meta: [{ key: 'budget/camp', value: { contacts: 2, cost: 7 } }],
      });
      expect(await store.getMeta('budget/camp')).toEqual({ contacts: 2, cost: 7 });
      expect(records.map((r) => r.instance)).toEqual(['c-1:1.a', 'c-1:2.b']);
      expect(records[1]!.seq).toBeGreaterThan(records[0]!.seq);
      expect(records.every((r) => r.attempts === 0)).toBe(true);
      expect(bare(await store.getSnapshot('c-1'))).toEqual({ v: 1, snapshot: { context: { id: 'c-1', seq: 3 }, value: 'client' } });
      expect(await store.hasCustomer('c-1')).toBe(true);
      expect(await store.lookupIdentity('cookie', 'ck-1')).toBe('c-1');
      expect((await store.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['c-1:1.a', 'c-1:2.b']);
    });

    it('commits with a flush to disk when the batch asks for it (the strict durability)', async () => {
      const records = await store.commit({ snapshots: [{ id: 'c-9', value: { v: 1, snapshot: { n: 9 } } }], identities: [], outbox: [offerEntry('c-1', 'c-9:1.a', 1000)], sync: true });
      expect(records.map((r) => r.instance)).toEqual(['c-9:1.a']);
      expect(bare(await store.getSnapshot('c-9'))).toEqual({ v: 1, snapshot: { n: 9 } });
    });

    it('overwrites a snapshot with the newer one', async () => {
      await store.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } } }], identities: [], outbox: [] });
      await store.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } } }], identities: [], outbox: [] });
      expect(bare(await store.getSnapshot('c-1'))).toEqual({ v: 1, snapshot: { n: 2 } });
    });

    it('takes a change written against the snapshot it last committed (`base`), across a reopen', async () => {
      const v1: StoredSnapshot = { v: 1, snapshot: { value: 'active', context: { seq: 1, log: ['a'], features: { f: [1, 2, 3] }, profile: { firstName: 'Иван' } } } };
      const v2: StoredSnapshot = { v: 1, snapshot: { value: 'active', context: { seq: 2, log: ['a', 'b'], features: { f: [1, 2, 4], g: [5] }, profile: { firstName: 'Иван' } } } };
      const v3: StoredSnapshot = { v: 1, snapshot: { value: 'former', context: { seq: 3, log: ['b', 'c'], features: { g: [5] }, profile: { firstName: 'Иван' } } } };
      await store.commit({ snapshots: [{ id: 'c-1', value: v1 }], identities: [], outbox: [] });
      await store.commit({ snapshots: [{ id: 'c-1', value: v2, base: v1 }], identities: [], outbox: [] });
      expect(bare(await store.getSnapshot('c-1'))).toEqual(v2);
      await store.commit({ snapshots: [{ id: 'c-1', value: v3, base: v2 }], identities: [], outbox: [] });
      expect(bare(await store.getSnapshot('c-1'))).toEqual(v3);
      if (options.durable && h.reopen !== undefined) {
        await store.close();
        store = await h.reopen();
        expect(bare(await store.getSnapshot('c-1'))).toEqual(v3);
      }
    });

    it('gives copies: changing what it returned changes nothing stored', async () => {
      await store.importCustomers([{ id: 'c-1', record: record(1) }]);
      const got = await store.getCustomer('c-1');
      got!.profile.firstName = 'Changed';
      expect((await store.getCustomer('c-1'))!.profile.firstName).toBe('Иван');
    });

    it('lists the outbox per channel, oldest first, and removes and fails entries', async () => {
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-3', 3), { ...offerEntry('c-1', 'i-e', 1), channel: 'email' }] });
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-4', 4), offerEntry('c-1', 'i-5', 5)] });
      expect((await store.listOutbox('sms', 2)).map((r) => r.instance)).toEqual(['i-3', 'i-4']);
      expect((await store.listOutbox('email', 10)).map((r) => r.instance)).toEqual(['i-e']);
      expect(await store.failOutbox('sms', 'i-4', 'timeout')).toBe(true);
      const failed = (await store.listOutbox('sms', 10)).find((r) => r.instance === 'i-4');
      expect(failed).toMatchObject({ attempts: 1, lastError: 'timeout' });
      expect(await store.removeOutbox('sms', 'i-3')).toBe(true);
      expect(await store.removeOutbox('sms', 'i-3')).toBe(false);
      expect(await store.failOutbox('sms', 'nope', 'x')).toBe(false);
      expect((await store.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-4', 'i-5']);
    });

    it('retries a dead letter or a waiting entry: due again now, its attempts kept', async () => {
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1), offerEntry('c-1', 'i-2', 2)] });
      expect(await store.failOutbox('sms', 'i-1', 'bounced', { dead: true })).toBe(true);
      expect(await store.failOutbox('sms', 'i-2', 'timeout', { retryAt: 5000 })).toBe(true);
      expect(await store.getOutbox('sms', 'i-1')).toMatchObject({ dead: true, attempts: 1, lastError: 'bounced' });
      expect(await store.retryOutbox('sms', 'i-1')).toBe(true);
      expect(await store.retryOutbox('sms', 'i-2')).toBe(true);
      for (const instance of ['i-1', 'i-2']) {
        const r = await store.getOutbox('sms', instance);
        expect(r).toMatchObject({ instance, attempts: 1 });
        expect(r?.dead).toBeUndefined();
        expect(r?.nextAttemptAt).toBeUndefined();
      }
      expect((await store.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-1', 'i-2']);
      expect(await store.retryOutbox('sms', 'nope')).toBe(false);
    });

    it('has a coordination: on a single node its claims are the plain reads, and it is always available', async () => {
      const c = store.coordination;
      expect(c.available()).toBe(true);
      if (c.shared) return; // (the shared store contract covers the rest)
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1)], reminders: { set: [{ key: 'c-1|x', customer: 'c-1', due: 5, event: 'e' }], remove: [] } });
      expect(await c.claimReminders(10, 10, 60_000)).toEqual(await store.dueReminders(10, 10));
      expect(await c.claimReminders(10, 10, 60_000)).toHaveLength(1);
      expect(await c.claimOutbox('sms', 'node', 10, 0)).toEqual(await store.listOutbox('sms', 10));
      expect(await c.claimOutbox('sms', 'node', 10, 0)).toHaveLength(1);
      // Dead letters are left out of the claims, however many are ahead of a live entry.
      await store.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 25 }, (_, i) => offerEntry(`c-${i + 2}`, `d-${i}`, i + 2)) });
      for (let i = 0; i < 25; i++) await store.failOutbox('sms', `d-${i}`, 'bad number', { dead: true });
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-30', 'i-30', 30)] });
      expect((await c.claimOutbox('sms', 'node', 10, 0)).map((r) => r.instance)).toEqual(['i-1', 'i-30']);
      const version = await c.stopListVersion();
      await store.putStop({ key: 'k', kind: 'phone', hint: 'h', at: 1 });
      expect(await c.stopListVersion()).toBe(version);
    });

    it('reads one outbox entry by its key', async () => {
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1), { ...offerEntry('c-1', 'i-1', 2), channel: 'email' }] });
      expect(await store.getOutbox('sms', 'i-1')).toMatchObject({ instance: 'i-1', channel: 'sms', customer: 'c-1', at: 1, attempts: 0 });
      expect(await store.getOutbox('email', 'i-1')).toMatchObject({ channel: 'email', at: 2 });
      expect(await store.getOutbox('push', 'i-1')).toBeUndefined();
      expect(await store.getOutbox('sms', 'i-2')).toBeUndefined();
      expect(await store.failOutbox('sms', 'i-1', 'busy')).toBe(true);
      expect(await store.getOutbox('sms', 'i-1')).toMatchObject({ attempts: 1, lastError: 'busy' });
      expect(await store.removeOutbox('sms', 'i-1')).toBe(true);
      expect(await store.getOutbox('sms', 'i-1')).toBeUndefined();
      expect(await store.getOutbox('email', 'i-1')).toBeDefined();
    });

    it('pages through a channel of the outbox in order with a cursor, each page at most its limit', async () => {
      const n = 250;
      for (let b = 0; b < n; b += 50) {
        const outbox = Array.from({ length: 50 }, (_, i) => offerEntry(`c-${(b + i) % 7}`, `p-${b + i}`, b + i));
        await store.commit({ snapshots: [], identities: [], outbox: [...outbox, { ...offerEntry('c-1', `e-${b}`, b), channel: 'email' }] });
      }
      // Entries removed or failed meanwhile: skipped, or listed as they are now.
      for (const i of [0, 1, 60, 61, 62, 249]) expect(await store.removeOutbox('sms', `p-${i}`)).toBe(true);
      expect(await store.failOutbox('sms', 'p-100', 'busy')).toBe(true);
      const seen: string[] = [];
      let after: number | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.listOutbox('sms', 16, after);
        expect(page.length).toBeLessThanOrEqual(16);
        if (page.length === 0) break;
        pages++;
        for (const r of page) expect(r.channel).toBe('sms');
        seen.push(...page.map((r) => r.instance));
        after = page[page.length - 1]!.seq;
      }
      const expected = Array.from({ length: n }, (_, i) => `p-${i}`).filter((x) => !['p-0', 'p-1', 'p-60', 'p-61', 'p-62', 'p-249'].includes(x));
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 16));
      expect(await store.listOutbox('sms', 1, after)).toEqual([]);
      const failed = (await store.listOutbox('sms', 10, (await store.getOutbox('sms', 'p-99'))!.seq))[0];
      expect(failed).toMatchObject({ instance: 'p-100', attempts: 1, lastError: 'busy' });
      // Removing entries while paging: the cursor still finds what follows it.
      const first = await store.listOutbox('sms', 3);
      for (const r of first) await store.removeOutbox('sms', r.instance);
      expect((await store.listOutbox('sms', 2, first[2]!.seq)).map((r) => r.instance)).toEqual(['p-5', 'p-6']);
      expect((await store.listOutbox('sms', 2)).map((r) => r.instance)).toEqual(['p-5', 'p-6']);
      expect((await store.listOutbox('email', 100)).map((r) => r.instance)).toEqual(['e-0', 'e-50', 'e-100', 'e-150', 'e-200']);
    });

    it('keeps stop entries per identifier and scope', async () => {
      const global: StopEntry = { key: 'h1', kind: 'phone', hint: '+7 9** ***-**-01', at: 1 };
      const sms: StopEntry = { ...global, channel: 'sms', reason: 'asked by phone' };
      const other: StopEntry = { key: 'h2', kind: 'customer', hint: 'demo-2', campaign: 'atm-shortfall', at: 2 };
      await store.putStop(global);
      await store.putStop(sms);
      await store.putStop(other);
      await store.putStop(sms);
      const list = await store.listStops();
      expect(list).toHaveLength(3);
      expect(list).toEqual(expect.arrayContaining([global, sms, other]));
      expect(await store.deleteStop('h1', 'sms', undefined)).toBe(true);
      expect(await store.deleteStop('h1', 'sms', undefined)).toBe(false);
      expect(await store.listStops()).toEqual(expect.arrayContaining([global, other]));
      expect(await store.listStops()).toHaveLength(2);
    });

    it('erases a customer: snapshot, master data, its identity links and outbox, but not another customer’s', async () => {
      await store.importCustomers([1, 2].map((n) => ({ id: `c-${n}`, record: record(n) })));
      await store.commit({
        snapshots: [{ id: 'c-1', value: { v: 1, snapshot: {} } }],
        identities: [{ kind: 'cookie', value: 'ck-1', customer: 'c-1' }],
        outbox: [offerEntry('c-1', 'c-1:1.a', 1), { ...offerEntry('c-1', 'c-2:1.a', 2), customer: 'c-2' }],
      });
      const ids = [
        { kind: 'card' as const, value: 'card-1' },
        { kind: 'cookie' as const, value: 'ck-1' },
        { kind: 'phone' as const, value: '+79000000002' },
      ];
      expect(await store.eraseCustomer('c-1', ids)).toBe(true);
      expect(await store.getSnapshot('c-1')).toBeUndefined();
      expect(await store.getCustomer('c-1')).toBeUndefined();
      expect(await store.hasCustomer('c-1')).toBe(false);
      expect(await store.lookupIdentity('card', 'card-1')).toBeUndefined();
      expect(await store.lookupIdentity('cookie', 'ck-1')).toBeUndefined();
      // c-2's phone was named but points elsewhere: left alone.
      expect(await store.lookupIdentity('phone', '+79000000002')).toBe('c-2');
      expect((await store.listOutbox('sms', 10)).map((r) => r.customer)).toEqual(['c-2']);
      expect(await store.getCustomer('c-2')).toEqual(record(2));
      expect(await store.eraseCustomer('c-1', ids)).toBe(false);
    });

    it("keeps each segment's members with the snapshots that move them, pages them in id order, and drops an erased customer", async () => {
      const snap = { v: 1, snapshot: { s: 1 } };
      const commit = (id: string, enter: string[], exit: string[] = []) => store.commit({ snapshots: [{ id, value: snap, segments: { enter, exit } }], identities: [], outbox: [] });
      for (const id of ['c-3', 'c-1', 'c-10', 'c-2']) await commit(id, ['seniors']);
      await commit('c-1', ['cafe']);
      await commit('c-3', ['cafe'], ['seniors']);
      // Written again with no move: nothing changes.
      await store.commit({ snapshots: [{ id: 'c-2', value: snap }], identities: [], outbox: [] });
      expect(await store.listSegmentMembers('seniors', 10)).toEqual(['c-1', 'c-10', 'c-2']);
      expect(await store.listSegmentMembers('seniors', 2)).toEqual(['c-1', 'c-10']);
      expect(await store.listSegmentMembers('seniors', 2, 'c-10')).toEqual(['c-2']);
      expect(await store.listSegmentMembers('seniors', 2, 'c-2')).toEqual([]);
      // A cursor need not be a member: the page starts after it.
      expect(await store.listSegmentMembers('seniors', 5, 'c-0')).toEqual(['c-1', 'c-10', 'c-2']);
      expect(await store.listSegmentMembers('cafe', 10)).toEqual(['c-1', 'c-3']);
      expect(await store.listSegmentMembers('nobody', 10)).toEqual([]);
      await store.eraseCustomer('c-1', []);
      expect(await store.listSegmentMembers('seniors', 10)).toEqual(['c-10', 'c-2']);
      expect(await store.listSegmentMembers('cafe', 10)).toEqual(['c-3']);
      if (options.durable && h.reopen !== undefined) {
        await store.close();
        store = await h.reopen();
        expect(await store.listSegmentMembers('cafe', 10)).toEqual(['c-3']);
      }
    });

    it("sets customers' memberships in the member index, after dropping it whole with `reset` (a recount)", async () => {
      const snap = { v: 1, snapshot: { s: 1 } };
      await store.commit({ snapshots: [{ id: 'c-1', value: snap, segments: { enter: ['seniors', 'cafe'], exit: [] } }], identities: [], outbox: [] });
      await store.commit({ snapshots: [{ id: 'c-2', value: snap, segments: { enter: ['cafe'], exit: [] } }], identities: [], outbox: [] });
      await store.setSegmentMembers([{ id: 'c-1', segments: ['cafe', 'young'] }]);
      expect(await store.listSegmentMembers('seniors', 10)).toEqual([]);
      expect(await store.listSegmentMembers('cafe', 10)).toEqual(['c-1', 'c-2']);
      expect(await store.listSegmentMembers('young', 10)).toEqual(['c-1']);
      await store.setSegmentMembers([{ id: 'c-3', segments: ['seniors'] }], true);
      expect(await store.listSegmentMembers('cafe', 10)).toEqual([]);
      expect(await store.listSegmentMembers('young', 10)).toEqual([]);
      expect(await store.listSegmentMembers('seniors', 10)).toEqual(['c-3']);
      // Moves committed after it start from what it set; an erasure takes the customer out.
      await store.commit({ snapshots: [{ id: 'c-3', value: snap, segments: { enter: ['cafe'], exit: ['seniors'] } }], identities: [], outbox: [] });
      expect(await store.listSegmentMembers('seniors', 10)).toEqual([]);
      await store.setSegmentMembers([{ id: 'c-4', segments: ['cafe'] }]);
      await store.eraseCustomer('c-3', []);
      expect(await store.listSegmentMembers('cafe', 10)).toEqual(['c-4']);
    });

    it("unlinks the identifiers an import's record dropped, while they are that customer's", async () => {
      await store.importCustomers([
        { id: 'u-1', record: { ...record(1), identifiers: { phone: ['+79160000001', '+79160000002'], email: ['u1@example.ru'] } } },
        { id: 'u-2', record: { ...record(2), identifiers: { phone: ['+79160000003'] } } },
      ]);
      // u-1's phones replaced by one of them; it names u-2's phone as dropped too (not its own: kept)
      await store.importCustomers([{ id: 'u-1', record: { ...record(1), identifiers: { phone: ['+79160000002'], email: ['u1@example.ru'] } }, unlink: { phone: ['+79160000001', '+79160000003'] } }]);
      expect(await store.lookupIdentity('phone', '+79160000001')).toBeUndefined();
      expect(await store.lookupIdentity('phone', '+79160000002')).toBe('u-1');
      expect(await store.lookupIdentity('email', 'u1@example.ru')).toBe('u-1');
      expect(await store.lookupIdentity('phone', '+79160000003')).toBe('u-2');
    });

    it("links an identifier one entry of an import's batch dropped and a later entry names to the later one", async () => {
      await store.importCustomers([
        { id: 'r-1', record: { ...record(1), identifiers: { phone: ['+79160000011'] } } },
        { id: 'r-2', record: { ...record(2), identifiers: { phone: ['+79160000012'] } } },
      ]);
      // one batch: r-1 gives its number up (cleared), r-2 takes it, giving its own up
      await store.importCustomers([
        { id: 'r-1', record: { ...record(1), identifiers: {} }, unlink: { phone: ['+79160000011'] } },
        { id: 'r-2', record: { ...record(2), identifiers: { phone: ['+79160000011'] } }, unlink: { phone: ['+79160000012'] } },
      ]);
      expect(await store.lookupIdentity('phone', '+79160000011')).toBe('r-2');
      expect(await store.lookupIdentity('phone', '+79160000012')).toBeUndefined();
    });

    it('scans snapshots alone page by page to the last one, and without master data when asked', async () => {
      const snap = { v: 1, snapshot: { s: 1 } };
      await store.commit({ snapshots: Array.from({ length: 10 }, (_, i) => ({ id: `s-${i}`, value: snap })), identities: [], outbox: [] });
      await store.importCustomers([{ id: 'm-1', record: record(1) }]);
      for (const records of [true, false, 'missing'] as const) {
        const seen: string[] = [];
        const withRecord: string[] = [];
        let cursor: string | undefined;
        // (to the end, however many pages: on Redis a page is a SCAN step over the whole keyspace, other tests' keys too, often with nothing of this store's)
        for (let i = 0; i < 100_000; i++) {
          const page = await store.scanCustomers(cursor, 3, { records });
          for (const c of page.customers) {
            seen.push(c.id);
            if (c.record !== undefined) withRecord.push(c.id);
            if (c.id.startsWith('s-')) expect(c.snapshot).toEqual(expect.objectContaining(snap));
          }
          if (page.next === undefined) break;
          cursor = page.next;
        }
        const snapshots = seen.filter((id) => id.startsWith('s-')).sort();
        expect(snapshots).toEqual(Array.from({ length: 10 }, (_, i) => `s-${i}`));
        if (records !== false) expect(seen).toContain('m-1');
        // 'missing': master data at least for the customers without a snapshot.
        if (records === 'missing') expect(withRecord).toContain('m-1');
      }
    });

    it('scans every customer once, with its snapshot and master data, page by page', async () => {
      await store.importCustomers(Array.from({ length: 7 }, (_, i) => ({ id: `m-${i}`, record: record(i) })));
      const snap = { v: 1, snapshot: { s: 1 } };
      await store.commit({ snapshots: ['m-2', 'm-5', 's-1', 's-2', 's-3'].map((id) => ({ id, value: snap })), identities: [], outbox: [] });
      const seen: Array<{ id: string; snapshot: boolean; record: boolean }> = [];
      let cursor: string | undefined;
      // (to the end, however many pages: on Redis a page is a SCAN step over the whole keyspace, other tests' keys too, often with nothing of this store's)
      for (let i = 0; i < 100_000; i++) {
        const page = await store.scanCustomers(cursor, 3);
        for (const c of page.customers) seen.push({ id: c.id, snapshot: c.snapshot !== undefined, record: c.record !== undefined });
        if (page.next === undefined) break;
        cursor = page.next;
      }
      seen.sort((a, b) => a.id.localeCompare(b.id));
      expect(seen.map((c) => c.id)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6', 's-1', 's-2', 's-3']);
      expect(seen.filter((c) => c.snapshot).map((c) => c.id)).toEqual(['m-2', 'm-5', 's-1', 's-2', 's-3']);
      expect(seen.filter((c) => c.record).map((c) => c.id)).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6']);
      const one = (await store.scanCustomers(undefined, 100)).customers.find((c) => c.id === 'm-3');
      if (one !== undefined) expect(one.record?.profile.age).toBe(33);
    });

    it('scans past the first page when only one table holds the customers (master data, no snapshots)', async () => {
      await store.importCustomers(Array.from({ length: 10 }, (_, i) => ({ id: `r-${i}`, record: record(i) })));
      const seen: string[] = [];
      let cursor: string | undefined;
      // (to the end, however many pages: on Redis a page is a SCAN step over the whole keyspace, other tests' keys too, often with nothing of this store's)
      for (let i = 0; i < 100_000; i++) {
        const page = await store.scanCustomers(cursor, 3);
        seen.push(...page.customers.map((c) => c.id));
        if (page.next === undefined) break;
        cursor = page.next;
      }
      expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r-${i}`));
    });

    it('writes a meta entry naming customers none of whom is erased as putMeta does; an erasure removes the entries its meta function finds', async () => {
      const who = { name: 'ops', role: 'admin' as const };
      await store.importCustomers([{ id: 'c-1', record: record(1) }, { id: 'c-2', record: record(2) }]);
      expect(await store.putMetaUnlessErased('named/1', { holder: 'c-1', claimant: 'c-2' }, ['c-1', 'c-2'])).toBe(true);
      expect(await store.putMetaUnlessErased('named/2', { holder: 'c-2', claimant: 'c-3' }, ['c-2', 'c-3'])).toBe(true);
      expect(await store.getMeta('named/1')).toEqual({ holder: 'c-1', claimant: 'c-2' });
      const dismissal = { at: 1, who, action: 'identity-conflict.dismiss', target: 'identity-conflict:2' };
      expect(await store.appendAudit(dismissal, { meta: [{ key: 'named/2', value: { holder: 'c-2', claimant: 'c-3', dismissed: true } }], unlessErased: ['c-2', 'c-3'] })).toMatchObject({ seq: 1 });
      expect(await store.listMeta('named/', 10)).toEqual([
        { key: 'named/1', value: { holder: 'c-1', claimant: 'c-2' } },
        { key: 'named/2', value: { holder: 'c-2', claimant: 'c-3', dismissed: true } },
      ]);
      let looked = 0;
      const naming = async (): Promise<string[]> => {
        looked++;
        return (await store.listMeta('named/', 10)).filter((m) => (m.value as { holder: string }).holder === 'c-1').map((m) => m.key);
      };
      expect(await store.eraseCustomer('c-1', [], undefined, naming)).toBe(true);
      expect(looked).toBe(1);
      expect((await store.listMeta('named/', 10)).map((m) => m.key)).toEqual(['named/2']);
    });

    it('keeps meta values', async () => {
      await store.putMeta('demo', { loadedAt: 5, customers: 3 });
      expect(await store.getMeta('demo')).toEqual({ loadedAt: 5, customers: 3 });
    });

    it('lists meta entries by prefix in key order, the newest at most', async () => {
      for (const n of [3, 1, 12, 2]) await store.putMeta(`audit/${String(n).padStart(4, '0')}`, { n });
      await store.putMeta('auditor', 'not under the prefix');
      await store.putMeta('catalog/0001', { v: 1 });
      expect(await store.listMeta('audit/', 10)).toEqual([1, 2, 3, 12].map((n) => ({ key: `audit/${String(n).padStart(4, '0')}`, value: { n } })));
      expect((await store.listMeta('audit/', 2)).map((e) => e.key)).toEqual(['audit/0003', 'audit/0012']);
      expect(await store.listMeta('nothing/', 5)).toEqual([]);
    });

    it('keeps reminders in due order: set, moved by setting again, removed, erased with their customer', async () => {
      const r = (customer: string, name: string, due: number): ReminderRecord => ({ key: reminderKey(customer, name), customer, due, event: 'offer.expiry', data: { name } });
      await store.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [r('c-1', 'a', 300), r('c-1', 'b', 100), r('c-2', 'a', 200)], remove: [] } });
      expect((await store.dueReminders(1000, 10)).map((x) => x.key)).toEqual(['c-1|b', 'c-2|a', 'c-1|a']);
      expect((await store.dueReminders(200, 10)).map((x) => x.key)).toEqual(['c-1|b', 'c-2|a']);
      expect(await store.dueReminders(99, 10)).toEqual([]);
      expect(await store.dueReminders(1000, 1)).toEqual([r('c-1', 'b', 100)]);
      // Setting a key again moves it; removing drops it; both in a commit with the snapshot.
      await store.commit({
        snapshots: [{ id: 'c-1', value: { v: 1, snapshot: {} } }],
        identities: [],
        outbox: [],
        reminders: { set: [r('c-1', 'b', 500)], remove: ['c-2|a', 'nobody|x'] },
      });
      expect((await store.dueReminders(1000, 10)).map((x) => [x.key, x.due])).toEqual([['c-1|a', 300], ['c-1|b', 500]]);
      await store.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [r('c-10', 'a', 50)], remove: [] } });
      await store.eraseCustomer('c-1', []);
      // c-10 shares the prefix "c-1" but is another customer.
      expect((await store.dueReminders(1000, 10)).map((x) => x.key)).toEqual(['c-10|a']);
    });

    it("moves a merged customer's outbox entries (where they stand) and reminders to the survivor, in a commit; its erasure leaves them", async () => {
      const r = (customer: string, name: string, due: number): ReminderRecord => ({ key: reminderKey(customer, name), customer, due, event: 'offer.expiry', data: { name } });
      await store.commit({
        snapshots: [],
        identities: [],
        outbox: [offerEntry('c-2', 'c-2:1.a', 1), offerEntry('c-1', 'c-1:1.a', 2), offerEntry('c-2', 'c-2:2.a', 3), { ...offerEntry('c-2', 'c-2:1.a', 4), channel: 'email' }],
        reminders: { set: [r('c-2', 'expiry:c-2:1.a', 300), r('c-2', 'catalog:f', 100), r('c-1', 'catalog:f', 200)], remove: [] },
      });
      expect(await store.failOutbox('sms', 'c-2:2.a', 'busy', { dead: true })).toBe(true);
      const before = await store.listOutbox('sms', 10);
      await store.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: {} } }], identities: [], outbox: [], rehome: { from: 'c-2', to: 'c-1' } });
      await store.eraseCustomer('c-2', []);
      // Same instances, places and attempts (the dead letter stays one); only the customer changed.
      expect(await store.listOutbox('sms', 10)).toEqual(before.map((x) => ({ ...x, customer: 'c-1' })));
      expect(await store.getOutbox('email', 'c-2:1.a')).toMatchObject({ customer: 'c-1', content: { text: 'Привет' } });
      // The loser's reminders are the survivor's; one the survivor has by the same name stands.
      expect((await store.dueReminders(1000, 10)).map((x) => [x.key, x.customer, x.due])).toEqual([
        ['c-1|catalog:f', 'c-1', 200],
        ['c-1|expiry:c-2:1.a', 'c-1', 300],
      ]);
      expect((await store.dueReminders(1000, 10))[1]?.data).toEqual({ name: 'expiry:c-2:1.a' });
    });

    // Only the stores shards keep their customers in (and the memory store) offer it; Redis does not.
    if (!name.startsWith('redis')) it("reads a customer's queued outbox entries (dead letters too) and reminders, opened, for a merge across shards", async () => {
      if (store.customerQueues === undefined) expect.unreachable(`the ${name} store reads a customer's queues`);
      const r = (customer: string, name: string, due: number): ReminderRecord => ({ key: reminderKey(customer, name), customer, due, event: 'offer.expiry' });
      await store.commit({
        snapshots: [],
        identities: [],
        outbox: [offerEntry('c-2', 'c-2:1.a', 1), offerEntry('c-1', 'c-1:1.a', 2), offerEntry('c-2', 'c-2:2.a', 3), offerEntry('c-20', 'c-20:1.a', 4)],
        reminders: { set: [r('c-2', 'expiry:c-2:1.a', 300), r('c-1', 'catalog:f', 200), r('c-20', 'catalog:f', 100)], remove: [] },
      });
      expect(await store.failOutbox('sms', 'c-2:2.a', 'busy', { dead: true })).toBe(true);
      const queues = await store.customerQueues('c-2');
      expect(queues.outbox.map((x) => [x.instance, x.customer, x.dead ?? false]).sort()).toEqual([
        ['c-2:1.a', 'c-2', false],
        ['c-2:2.a', 'c-2', true],
      ]);
      expect(queues.outbox.find((x) => x.instance === 'c-2:1.a')).toMatchObject({ content: { text: 'Привет' } });
      expect(queues.reminders).toEqual([r('c-2', 'expiry:c-2:1.a', 300)]);
      expect(await store.customerQueues('c-3')).toEqual({ outbox: [], reminders: [] });
    });

    // Only durable backends promise this; the memory store does not register it.
    it('appends audit entries in one chain, each with its change in the same transaction', async () => {
      const who = { name: 'ivanova', role: 'admin' as const };
      const stop: StopEntry = { key: 'k1', kind: 'phone', hint: '+7***01', at: 5 };
      const a = await store.appendAudit({ at: 5, who, action: 'stop-list.add', target: 'stop:k1', after: { key: 'k1', hint: '+7***01' } }, { putStop: stop });
      expect(a).toMatchObject({ seq: 1, who, action: 'stop-list.add' });
      expect(await store.listStops()).toEqual([stop]);
      await store.appendAudit({ at: 6, who, action: 'catalog.update', target: 'offers/o', before: { version: 1 }, after: { version: 2 } }, { meta: [{ key: 'cat', value: { v: 2 } }] });
      expect(await store.getMeta('cat')).toEqual({ v: 2 });
      // Removing what is not there writes neither the change nor an entry.
      expect(await store.appendAudit({ at: 7, who, action: 'stop-list.remove', target: 'stop:nope' }, { deleteStop: { key: 'nope' } })).toBeUndefined();
      expect(await store.appendAudit({ at: 8, who, action: 'stop-list.remove', target: 'stop:k1' }, { deleteStop: { key: 'k1' } })).toMatchObject({ seq: 3 });
      expect(await store.listStops()).toEqual([]);
      await store.appendAudit({ at: 9, who, action: 'clock.set', target: 'clock', before: { now: 1 }, after: { now: 2 } });
      const all = await store.listAudit(0, 100);
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(verifyChain(all)).toMatchObject({ ok: true, entries: 4 });
      expect((await store.listAudit(2, 1)).map((e) => e.seq)).toEqual([3]);
      if (h.reopen !== undefined) {
        await store.close();
        store = await h.reopen();
        expect(await store.listAudit(0, 100)).toEqual(all);
        expect(await store.appendAudit({ at: 10, who, action: 'clock.set', target: 'clock' })).toMatchObject({ seq: 5, prev: all[3]!.hash });
      }
    });

    it('writes an audited change and its entry together or not at all', async () => {
      const who = { name: 'ivanova', role: 'admin' as const };
      const boom = (): Record<string, unknown> =>
        Object.defineProperty({}, 'x', {
          enumerable: true,
          get() {
            throw new Error('boom');
          },
        });
      await store.appendAudit({ at: 1, who, action: 'clock.set', target: 'clock' });
      // The change fails: no entry.
      await expect(store.appendAudit({ at: 2, who, action: 'catalog.update', target: 'policy' }, { meta: [{ key: 'ok', value: 1 }, { key: 'bad', value: boom() }] })).rejects.toThrow();
      // The entry fails: no change.
      const stop: StopEntry = { key: 'k2', kind: 'phone', hint: '+7***02', at: 3 };
      await expect(store.appendAudit({ at: 3, who, action: 'stop-list.add', target: 'stop:k2', after: boom() }, { putStop: stop })).rejects.toThrow();
      expect(await store.getMeta('ok')).toBeUndefined();
      expect(await store.listStops()).toEqual([]);
      const all = await store.listAudit(0, 10);
      expect(all.map((e) => e.seq)).toEqual([1]);
      expect((await store.appendAudit({ at: 4, who, action: 'clock.set', target: 'clock' }))?.prev).toBe(all[0]!.hash);
    });

    it('writes an erasure and an outbox retry with their audit entry: an entry iff the change', async () => {
      const who = { name: 'privacy-officer', role: 'admin' as const };
      await store.importCustomers([{ id: 'c-1', record: record(1) }]);
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1)] });
      await store.failOutbox('sms', 'i-1', 'smsc down', { dead: true });
      // A retry of no entry: neither the retry nor an entry.
      expect(await store.retryOutbox('sms', 'nope', { at: 1, who, action: 'outbox.retry', target: 'outbox:sms/nope' })).toBe(false);
      expect(await store.listAudit(0, 10)).toEqual([]);
      expect(await store.retryOutbox('sms', 'i-1', { at: 2, who, action: 'outbox.retry', target: 'outbox:sms/i-1', before: { dead: true }, after: { dead: false } })).toBe(true);
      expect((await store.getOutbox('sms', 'i-1'))?.dead).toBeUndefined();
      const erasure = { at: 3, who, action: 'customer.erase', target: 'customer:c-1', before: { customer: 'c-1' }, after: { customer: 'c-1', erased: true, identifiers: 0 } };
      expect(await store.eraseCustomer('c-1', [], erasure)).toBe(true);
      expect(await store.getCustomer('c-1')).toBeUndefined();
      expect(await store.getOutbox('sms', 'i-1')).toBeUndefined();
      const all = await store.listAudit(0, 10);
      expect(all).toMatchObject([
        { seq: 1, action: 'outbox.retry', target: 'outbox:sms/i-1', after: { dead: false } },
        { seq: 2, action: 'customer.erase', target: 'customer:c-1', after: { erased: true } },
      ]);
      expect(verifyChain(all)).toMatchObject({ ok: true, entries: 2 });
      // An entry that cannot be written: nothing erased, nothing retried.
      const boom = Object.defineProperty({}, 'x', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      });
      await store.importCustomers([{ id: 'c-2', record: record(2) }]);
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-2', 'i-2', 2)] });
      await store.failOutbox('sms', 'i-2', 'smsc down', { dead: true });
      await expect(store.retryOutbox('sms', 'i-2', { ...erasure, target: 'outbox:sms/i-2', after: boom })).rejects.toThrow();
      expect((await store.getOutbox('sms', 'i-2'))?.dead).toBe(true);
      await expect(store.eraseCustomer('c-2', [], { ...erasure, target: 'customer:c-2', after: boom })).rejects.toThrow();
      expect(await store.getCustomer('c-2')).toEqual(record(2));
      expect(await store.listAudit(0, 10)).toEqual(all);
    });

    it('tells onAudit of every entry it writes, once written, and of nothing else', async () => {
      const told: AuditRecord[] = [];
      store.onAudit = (entry) => told.push(entry);
      const who = { name: 'ivanova', role: 'admin' as const };
      await store.importCustomers([{ id: 'c-1', record: record(1) }]);
      await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-1', 1)] });
      await store.failOutbox('sms', 'i-1', 'smsc down', { dead: true });
      await store.appendAudit({ at: 1, who, action: 'clock.set', target: 'clock' });
      // nothing to do, nothing written: nothing told
      expect(await store.appendAudit({ at: 2, who, action: 'stop-list.remove', target: 'stop:nope' }, { deleteStop: { key: 'nope' } })).toBeUndefined();
      expect(await store.retryOutbox('sms', 'nope', { at: 3, who, action: 'outbox.retry', target: 'outbox:sms/nope' })).toBe(false);
      await store.retryOutbox('sms', 'i-1', { at: 4, who, action: 'outbox.retry', target: 'outbox:sms/i-1' });
      await store.eraseCustomer('c-1', [], { at: 5, who, action: 'customer.erase', target: 'customer:c-1' });
      // a listener that throws takes nothing back
      store.onAudit = () => {
        throw new Error('the log is gone');
      };
      expect(await store.appendAudit({ at: 6, who, action: 'clock.set', target: 'clock' })).toMatchObject({ seq: 4 });
      store.onAudit = undefined;
      expect(told.map((e) => [e.seq, e.action])).toEqual([
        [1, 'clock.set'],
        [2, 'outbox.retry'],
        [3, 'customer.erase'],
      ]);
      expect(told).toEqual((await store.listAudit(0, 10)).slice(0, 3));
    });

    if (options.durable) it('keeps everything across a reopen', async () => {
      if (h.reopen === undefined) expect.unreachable('a durable backend must provide reopen()');
      await store.importCustomers([{ id: 'c-1', record: record(1) }]);
      await store.commit({
        snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { s: 'x' } } }],
        identities: [{ kind: 'cookie', value: 'ck', customer: 'c-1' }],
        outbox: [offerEntry('c-1', 'i-1', 1)],
      });
      await store.putStop({ key: 'h', kind: 'customer', hint: 'c-1', at: 1 });
      await store.putMeta('m', 1);
      await store.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [{ key: 'c-1|x', customer: 'c-1', due: 7, event: 'e' }], remove: [] } });
      await store.close();
      store = await h.reopen();
      expect(await store.getCustomer('c-1')).toEqual(record(1));
      expect(bare(await store.getSnapshot('c-1'))).toEqual({ v: 1, snapshot: { s: 'x' } });
      expect(await store.lookupIdentity('cookie', 'ck')).toBe('c-1');
      expect((await store.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['i-1']);
      expect(await store.listStops()).toHaveLength(1);
      expect(await store.getMeta('m')).toBe(1);
      expect(await store.dueReminders(10, 10)).toEqual([{ key: 'c-1|x', customer: 'c-1', due: 7, event: 'e' }]);
      // Sequence numbers keep rising after a reopen.
      const [next] = await store.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-1', 'i-2', 2)] });
      expect(next!.seq).toBeGreaterThan(1);
    });
  });
}
