import { describe, expect, it } from 'vitest';
import type { SharedCoordination } from './coordination.js';
import { StaleSnapshotError } from './store.js';
import type { Store } from './store.js';
import { offerEntry } from './store.contract.js';

/**
 * The contract of a store several nodes share, through its coordination (`coordination.ts`):
 * compare-and-set snapshots, shared totals reserved all or nothing, counters summed across
 * nodes, reminders and outbox entries claimed by one node at a time, a stop-list version
 * every node sees move. Each backend's test file calls `describeSharedStoreContract` with
 * `open`, which opens one node's connection to the data under `prefix`: two calls with the
 * same prefix are two nodes sharing it.
 */

export type SharedStore = Store & { readonly coordination: SharedCoordination };

export function describeSharedStoreContract(name: string, open: (prefix: string) => Promise<SharedStore>): void {
  let n = 0;
  /** Two nodes on fresh data; closed after `body`. */
  async function twoNodes(body: (a: SharedStore, b: SharedStore, ca: SharedCoordination, cb: SharedCoordination) => Promise<void>): Promise<void> {
    const prefix = `shared${process.pid}-${name.length}-${++n}-${Date.now() % 100_000}`;
    const a = await open(prefix);
    const b = await open(prefix);
    try {
      await body(a, b, a.coordination, b.coordination);
    } finally {
      await a.close();
      await b.close();
    }
  }

  describe(`shared store contract: ${name}`, () => {
    it('says it is shared and available', async () => {
      await twoNodes((_a, _b, ca) => {
        expect(ca.shared).toBe(true);
        expect(ca.available()).toBe(true);
        return Promise.resolve();
      });
    });

    it('refuses a snapshot written from a stale revision, writes nothing of that customer, and the rest of the batch', async () => {
      await twoNodes(async (a, b, ca, cb) => {
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 0 } } }], identities: [], outbox: [] });
        expect(await ca.snapshotRevision('c-1')).toBe(1);
        expect(await cb.snapshotRevision('nobody')).toBe(-1);
        expect(await cb.readSnapshot('nobody')).toEqual({ snapshot: undefined, rev: 0 });
        const seenByA = await a.getSnapshot('c-1');
        const seenByB = await b.getSnapshot('c-1');
        expect(seenByA?.rev).toBe(1);
        // A writes first; B, still at revision 1, is refused: nothing of c-1 from B lands (no SMS).
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: seenByA!.rev! }], identities: [], outbox: [offerEntry('c-1', 'a-1')] });
        expect(await cb.snapshotRevision('c-1')).toBe(2);
        const stale = cb.commit({
          snapshots: [
            { id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: seenByB!.rev! },
            { id: 'c-2', value: { v: 1, snapshot: { n: 9 } } },
          ],
          identities: [],
          outbox: [offerEntry('c-1', 'b-1'), offerEntry('c-2', 'b-2')],
        });
        await expect(stale).rejects.toBeInstanceOf(StaleSnapshotError);
        await expect(stale).rejects.toMatchObject({ code: 'conflict', customer: 'c-1', revision: 2 });
        expect(await a.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { n: 1 }, rev: 2 });
        expect((await a.listOutbox('sms', 10)).map((r) => r.instance).sort()).toEqual(['a-1', 'b-2']);
        // B reloads and retries on the fresh revision: accepted.
        const fresh = await b.getSnapshot('c-1');
        await cb.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: fresh!.rev! }], identities: [], outbox: [offerEntry('c-1', 'b-1')] });
        expect(await a.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { n: 2 }, rev: 3 });
      });
    });

    it('refuses every commit for a customer another node erased (their tombstone), writing nothing of theirs, until the bank creates the id again', async () => {
      await twoNodes(async (a, b, ca, cb) => {
        const record = { stage: 'client' as const, profile: { firstName: 'Ирина' }, identifiers: { phone: ['+79160000001'] }, importedAt: 1 };
        await a.importCustomers([{ id: 'c-1', record }]);
        expect(await cb.snapshotRevision('c-1')).toBe(0);
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: 0 }], identities: [], outbox: [] });
        expect(await a.eraseCustomer('c-1', [{ kind: 'phone', value: '+79160000001' }])).toBe(true);
        // The revision goes on past every copy a node may hold; no snapshot, no customer.
        expect(await cb.snapshotRevision('c-1')).toBe(2);
        expect(await cb.readSnapshot('c-1')).toEqual({ snapshot: undefined, rev: 2 });
        expect(await b.hasCustomer('c-1')).toBe(false);
        const reminder = { key: 'c-1|expiry', customer: 'c-1', due: 100, event: 'offer.expiry' };
        const written = { identities: [{ kind: 'cookie' as const, value: 'ck-1', customer: 'c-1' }], outbox: [offerEntry('c-1', 'b-1')], reminders: { set: [reminder], remove: [] } };
        // From a copy read before (revision 1, or 0 from the master data), with no revision, at the tombstone's, or without a snapshot: all refused.
        for (const snapshots of [[{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: 1 }], [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: 0 }], [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } } }], [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: 2 }], []]) {
          const refused = cb.commit({ snapshots, ...written, expect: snapshots.length === 0 ? [{ id: 'c-1', revision: 2 }] : [] });
          await expect(refused).rejects.toBeInstanceOf(StaleSnapshotError);
          await expect(refused).rejects.toMatchObject({ code: 'conflict', stale: [{ customer: 'c-1', revision: 2, erased: true }] });
        }
        expect(await a.getSnapshot('c-1')).toBeUndefined();
        expect(await a.lookupIdentity('cookie', 'ck-1')).toBeUndefined();
        expect(await a.listOutbox('sms', 10)).toEqual([]);
        expect(await a.dueReminders(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await a.hasCustomer('c-1')).toBe(false);
        // The bank creates the id again: master data, no snapshot, the revision kept.
        await b.importCustomers([{ id: 'c-1', record: { ...record, profile: { firstName: 'Вера' } } }]);
        expect(await a.hasCustomer('c-1')).toBe(true);
        expect(await ca.readSnapshot('c-1')).toEqual({ snapshot: undefined, rev: 2 });
        expect(await ca.snapshotRevision('c-1')).toBe(2);
        // A copy from before the erasure (revision 0 from the master data, or 1) is still refused, as a stale one; a state read now is taken.
        await expect(cb.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 2 } }, expectRevision: 0 }], identities: [], outbox: [] })).rejects.toMatchObject({ stale: [{ customer: 'c-1', revision: 2 }] });
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 3 } }, expectRevision: 2 }], ...written });
        expect(await b.getSnapshot('c-1')).toEqual({ v: 1, snapshot: { n: 3 }, rev: 3 });
        expect(await b.lookupIdentity('cookie', 'ck-1')).toBe('c-1');
        expect((await b.listOutbox('sms', 10)).map((r) => r.instance)).toEqual(['b-1']);
        // An erasure of an id held nothing of: false, and its commits refused all the same.
        expect(await b.eraseCustomer('c-9', [])).toBe(false);
        await expect(ca.commit({ snapshots: [{ id: 'c-9', value: { v: 1, snapshot: { n: 1 } }, expectRevision: 0 }], identities: [], outbox: [] })).rejects.toMatchObject({ stale: [{ customer: 'c-9', erased: true }] });
      });
    });

    it('refuses a meta entry naming a customer another node erased (their tombstone), from before the erasure looks for those naming them, until the bank creates the id again', async () => {
      await twoNodes(async (a, b) => {
        const record = { stage: 'client' as const, profile: { firstName: 'Ирина' }, identifiers: {}, importedAt: 1 };
        const dismissal = (n: number) => ({ at: n, who: { name: 'ops', role: 'admin' as const }, action: 'identity-conflict.dismiss', target: `identity-conflict:${n}` });
        await a.importCustomers([{ id: 'c-1', record }, { id: 'c-2', record }]);
        expect(await b.putMetaUnlessErased('named/1', { n: 1 }, ['c-2', 'c-1'])).toBe(true);
        const naming = async (): Promise<string[]> => {
          // (the tombstone is there when the erasure looks: another node's entry naming them is refused)
          expect(await b.putMetaUnlessErased('named/2', { n: 2 }, ['c-2', 'c-1'])).toBe(false);
          return (await a.listMeta('named/', 10)).map((m) => m.key);
        };
        expect(await a.eraseCustomer('c-1', [], undefined, naming)).toBe(true);
        expect(await b.listMeta('named/', 10)).toEqual([]);
        // Holder or claimant, audited or not: nothing written, no audit entry.
        expect(await b.putMetaUnlessErased('named/3', { n: 3 }, ['c-1'])).toBe(false);
        expect(await b.appendAudit(dismissal(4), { meta: [{ key: 'named/4', value: { n: 4 } }], unlessErased: ['c-2', 'c-1'] })).toBeUndefined();
        expect(await a.listMeta('named/', 10)).toEqual([]);
        expect(await a.listAudit(0, 10)).toEqual([]);
        // Customers not erased, or the id created again by the bank: written.
        expect(await b.putMetaUnlessErased('named/5', { n: 5 }, ['c-2', 'c-9'])).toBe(true);
        await b.importCustomers([{ id: 'c-1', record }]);
        expect(await b.putMetaUnlessErased('named/6', { n: 6 }, ['c-1', 'c-2'])).toBe(true);
        expect(await b.appendAudit(dismissal(7), { meta: [{ key: 'named/7', value: { n: 7 } }], unlessErased: ['c-1'] })).toMatchObject({ seq: 1 });
        expect(await a.listMeta('named/', 10)).toEqual([5, 6, 7].map((n) => ({ key: `named/${n}`, value: { n } })));
        expect(await a.getMeta('named/7')).toEqual({ n: 7 });
      });
    });

    it('unlinks at an erasure the identifiers the stored state and master data name, besides those given (another node linked one since)', async () => {
      await twoNodes(async (a, b) => {
        await a.importCustomers([{ id: 'c-1', record: { stage: 'client', profile: {}, identifiers: { phone: ['+79160000001'] }, importedAt: 1 } }]);
        await b.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { value: 'active', context: { identifiers: { phone: ['+79160000001'], cookie: ['ck-1'], bogus: ['x'], email: [7] } } } }, expectRevision: 0 }], identities: [{ kind: 'cookie', value: 'ck-1', customer: 'c-1' }], outbox: [] });
        // another customer's cookie named in c-1's state stays theirs
        await b.commit({ snapshots: [], identities: [{ kind: 'email', value: 'other@bank.example', customer: 'c-2' }], outbox: [] });
        expect(await a.eraseCustomer('c-1', [{ kind: 'email', value: 'other@bank.example' }])).toBe(true);
        expect(await b.lookupIdentity('phone', '+79160000001')).toBeUndefined();
        expect(await b.lookupIdentity('cookie', 'ck-1')).toBeUndefined();
        expect(await b.lookupIdentity('email', 'other@bank.example')).toBe('c-2');
      });
    });

    it('refuses reminders dropped from a state another node has since changed', async () => {
      await twoNodes(async (_a, b, ca, cb) => {
        const reminder = { key: 'c-1|expiry', customer: 'c-1', due: 100, event: 'offer.expiry' };
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 0 } } }], identities: [], outbox: [], reminders: { set: [reminder], remove: [] } });
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: 1 }], identities: [], outbox: [] });
        const dropped = cb.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [], remove: [reminder.key] }, expect: [{ id: 'c-1', revision: 1 }] });
        await expect(dropped).rejects.toMatchObject({ customer: 'c-1' });
        expect(await b.dueReminders(1000, 10)).toEqual([reminder]);
      });
    });

    it('reserves shared totals all or nothing: a customer whose contact would pass a limit is refused, and a stale one gives its share back', async () => {
      await twoNodes(async (a, _b, ca, cb) => {
        const charge = (customer: string) => ({ customer, key: 'budget/camp', contacts: 1, cost: 2.5, maxContacts: 2 });
        const snap = (id: string) => ({ id, value: { v: 1, snapshot: { id } } });
        await ca.commit({ snapshots: [snap('c-1')], identities: [], outbox: [offerEntry('c-1', 'i-1')], charges: [charge('c-1')] });
        expect(await cb.sharedTotals(['budget/camp'])).toEqual(new Map([['budget/camp', { contacts: 1, cost: 2.5 }]]));
        // c-2 fits (2 of 2); c-3 would be the third: refused, nothing of it written.
        const over = cb.commit({ snapshots: [snap('c-2'), snap('c-3')], identities: [], outbox: [offerEntry('c-2', 'i-2'), offerEntry('c-3', 'i-3')], charges: [charge('c-2'), charge('c-3')] });
        await expect(over).rejects.toMatchObject({ stale: [{ revision: -1 }] });
        const refused = ((await over.catch((e: unknown) => e)) as StaleSnapshotError).stale[0]!.customer;
        expect(await a.getSnapshot(refused)).toBeUndefined();
        expect((await a.listOutbox('sms', 10)).map((r) => r.customer).sort()).toEqual(['c-1', refused === 'c-2' ? 'c-3' : 'c-2']);
        expect((await ca.sharedTotals(['budget/camp'])).get('budget/camp')).toEqual({ contacts: 2, cost: 5 });
        // A stale snapshot's reservation is given back.
        await ca.commit({ snapshots: [{ ...snap('c-9'), expectRevision: 5 }], identities: [], outbox: [], charges: [{ ...charge('c-9'), maxContacts: 10 }] }).catch(() => undefined);
        expect((await ca.sharedTotals(['budget/camp'])).get('budget/camp')).toEqual({ contacts: 2, cost: 5 });
      });
    });

    it('sums the counters every node adds, by key', async () => {
      await twoNodes(async (_a, _b, ca, cb) => {
        await ca.commit({ snapshots: [], identities: [], outbox: [], counters: [{ key: 'stats/x', delta: { hits: 2, misses: 1 } }] });
        await cb.commit({ snapshots: [], identities: [], outbox: [], counters: [{ key: 'stats/x', delta: { hits: 3 } }, { key: 'stats/y', delta: { hits: 1 } }, { key: 'other/z', delta: { hits: 9 } }] });
        const sums = await ca.readCounters('stats/');
        expect(sums.sort((p, q) => p.key.localeCompare(q.key))).toEqual([
          { key: 'stats/x', value: { hits: 5, misses: 1 } },
          { key: 'stats/y', value: { hits: 1 } },
        ]);
      });
    });

    it('leases a piece of work to one node at a time: taken, renewed, refused to the other, given back, and free again once run out', async () => {
      await twoNodes(async (_a, _b, ca, cb) => {
        expect(await cb.leaseHolder('run/x/0')).toBeUndefined();
        expect(await ca.claimLease('run/x/0', 'node-a', 60_000)).toBe(true);
        expect(await cb.claimLease('run/x/0', 'node-b', 60_000)).toBe(false);
        // every node sees who holds it
        expect(await cb.leaseHolder('run/x/0')).toBe('node-a');
        // renewed by its owner; another key is free
        expect(await ca.claimLease('run/x/0', 'node-a', 60_000)).toBe(true);
        expect(await cb.claimLease('run/x/1', 'node-b', 60_000)).toBe(true);
        // given back only by its owner
        await cb.releaseLease('run/x/0', 'node-b');
        expect(await cb.claimLease('run/x/0', 'node-b', 60_000)).toBe(false);
        await ca.releaseLease('run/x/0', 'node-a');
        expect(await ca.leaseHolder('run/x/0')).toBeUndefined();
        expect(await cb.claimLease('run/x/0', 'node-b', 60_000)).toBe(true);
        // a lease its owner stopped renewing runs out (a node that died)
        expect(await ca.claimLease('run/x/2', 'node-a', 50)).toBe(true);
        expect(await cb.claimLease('run/x/2', 'node-b', 60_000)).toBe(false);
        await new Promise((r) => setTimeout(r, 120));
        expect(await cb.claimLease('run/x/2', 'node-b', 60_000)).toBe(true);
      });
    });

    it('moves the stop-list version every node reads when any node changes the list', async () => {
      await twoNodes(async (a, b, ca, cb) => {
        const before = await cb.stopListVersion();
        await a.putStop({ key: 'k-1', kind: 'phone', hint: '+7 9** ***-**-01', at: 1 });
        const afterPut = await cb.stopListVersion();
        expect(afterPut).not.toBe(before);
        expect(await ca.stopListVersion()).toBe(afterPut);
        expect(await b.deleteStop('k-1', undefined, undefined)).toBe(true);
        expect(await ca.stopListVersion()).not.toBe(afterPut);
      });
    });

    it('claims a send only if neither the customer nor the stop keys changed since they were read (the opt-out markers)', async () => {
      await twoNodes(async (a, b, ca, cb) => {
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 0 } } }], identities: [], outbox: [] });
        const rev = await cb.snapshotRevision('c-1');
        const version = await cb.stopListVersion();
        expect(await cb.claimSend('c-1', rev, version, ['k-phone', 'k-card'])).toBe(true);
        // Another node commits the customer (a consent revoked there): no go from the old revision.
        await ca.commit({ snapshots: [{ id: 'c-1', value: { v: 1, snapshot: { n: 1 } }, expectRevision: rev }], identities: [], outbox: [] });
        expect(await cb.claimSend('c-1', rev, version, ['k-phone'])).toBe(false);
        const rev2 = await cb.snapshotRevision('c-1');
        // A stop entry on another key: still a go; on one of the customer's keys, directly or with its audit entry: no go.
        await a.putStop({ key: 'k-other', kind: 'phone', hint: '+7 9** ***-**-09', at: 1 });
        expect(await cb.claimSend('c-1', rev2, version, ['k-phone', 'k-card'])).toBe(true);
        await a.putStop({ key: 'k-phone', kind: 'phone', hint: '+7 9** ***-**-01', at: 2 });
        expect(await cb.claimSend('c-1', rev2, version, ['k-phone', 'k-card'])).toBe(false);
        const version2 = await cb.stopListVersion();
        expect(await cb.claimSend('c-1', rev2, version2, ['k-phone', 'k-card'])).toBe(true);
        await a.appendAudit({ at: 3, who: { name: 'test', role: 'admin' }, action: 'stop-list.add', target: 'stop:k-card' }, { putStop: { key: 'k-card', kind: 'card', hint: '**** 0001', channel: 'sms', at: 3 } });
        expect(await cb.claimSend('c-1', rev2, version2, ['k-phone', 'k-card'])).toBe(false);
        expect(await b.listStops()).toHaveLength(3);
      });
    });

    it('lets one node at a time claim a due reminder, and another after the lease when the first died', async () => {
      await twoNodes(async (_a, _b, ca, cb) => {
        const reminders = Array.from({ length: 20 }, (_, i) => ({ key: `c-${i}|expiry`, customer: `c-${i}`, due: 100 + i, event: 'offer.expiry' }));
        await ca.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: reminders, remove: [] } });
        const [fromA, fromB] = await Promise.all([ca.claimReminders(1000, 15, 5000), cb.claimReminders(1000, 15, 5000)]);
        const keys = [...fromA, ...fromB].map((r) => r.key);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.sort()).toEqual(reminders.map((r) => r.key).sort());
        // Nothing is due for anyone during the lease; after it (A died), B claims A's.
        expect(await cb.claimReminders(2000, 100, 5000)).toEqual([]);
        const again = await cb.claimReminders(1000 + 5000, 100, 5000);
        expect(again.map((r) => r.key).sort()).toEqual(keys.sort());
        // A reminder dropped by its commit is gone from the index.
        await cb.commit({ snapshots: [], identities: [], outbox: [], reminders: { set: [], remove: again.map((r) => r.key) } });
        expect(await ca.claimReminders(Number.MAX_SAFE_INTEGER, 100, 5000)).toEqual([]);
      });
    });

    it('hands a channel’s entries to one consumer each; a dead consumer’s pending entries go to another', async () => {
      await twoNodes(async (_a, b, ca, cb) => {
        await ca.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 10 }, (_, i) => offerEntry(`c-${i}`, `i-${i}`)) });
        const [forA, forB] = await Promise.all([ca.claimOutbox('sms', 'node-a', 6, 60_000), cb.claimOutbox('sms', 'node-b', 6, 60_000)]);
        const all = [...forA, ...forB].map((r) => r.instance);
        expect(new Set(all).size).toBe(10);
        expect(all).toHaveLength(10);
        // B delivers its share; A dies with its share pending. After A's entries are idle long
        // enough, B claims them.
        for (const r of forB) expect(await b.removeOutbox('sms', r.instance)).toBe(true);
        expect(await cb.claimOutbox('sms', 'node-b', 10, 60_000)).toEqual([]);
        await new Promise((r) => setTimeout(r, 50));
        const taken = await cb.claimOutbox('sms', 'node-b', 10, 20);
        expect(taken.map((r) => r.instance).sort()).toEqual(forA.map((r) => r.instance).sort());
      });
    });

    it('leaves dead letters out of the claims, however many a consumer holds; a retried one is claimed again', async () => {
      await twoNodes(async (a, _b, ca, cb) => {
        await ca.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 15 }, (_, i) => offerEntry(`c-${i}`, `d-${i}`, i + 1)) });
        const first = await ca.claimOutbox('sms', 'node-a', 10, 60_000);
        expect(first).toHaveLength(10);
        // A full claim's page of them refused for good: node A's next claim goes on past them, to what is left and what is new.
        for (const r of first) expect(await a.failOutbox('sms', r.instance, 'bad number', { dead: true })).toBe(true);
        await ca.commit({ snapshots: [], identities: [], outbox: [offerEntry('c-new', 'fresh', 100)] });
        const rest = ['d-10', 'd-11', 'd-12', 'd-13', 'd-14', 'fresh'];
        expect((await ca.claimOutbox('sms', 'node-a', 10, 60_000)).map((r) => r.instance)).toEqual(rest);
        // An entry waiting for its retry stays node A's; once A is gone, B takes A's live entries, never the dead letters.
        expect(await a.failOutbox('sms', 'fresh', 'timeout', { retryAt: 5 })).toBe(true);
        expect((await ca.claimOutbox('sms', 'node-a', 10, 60_000)).map((r) => r.instance)).toEqual(rest);
        await new Promise((r) => setTimeout(r, 50));
        expect((await cb.claimOutbox('sms', 'node-b', 100, 20)).map((r) => r.instance).sort()).toEqual(rest);
        // The dead letters keep their place in the queue (listed, retried): a retried one is claimed again.
        expect((await a.listOutbox('sms', 100)).filter((r) => r.dead === true).map((r) => r.instance)).toEqual(first.map((r) => r.instance));
        expect(await a.retryOutbox('sms', first[0]!.instance)).toBe(true);
        expect((await cb.claimOutbox('sms', 'node-b', 100, 60_000)).map((r) => r.instance).sort()).toEqual([first[0]!.instance, ...rest].sort());
        // Delivered, an entry leaves the claims and the queue.
        for (const instance of [first[0]!.instance, ...rest]) expect(await a.removeOutbox('sms', instance)).toBe(true);
        expect(await cb.claimOutbox('sms', 'node-b', 100, 0)).toEqual([]);
        expect(await ca.claimOutbox('sms', 'node-a', 100, 0)).toEqual([]);
        expect((await a.listOutbox('sms', 100)).map((r) => r.instance)).toEqual(first.slice(1).map((r) => r.instance));
      });
    });
  });
}
