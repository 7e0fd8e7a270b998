import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { Store } from '../store/store.js';
import { bareHost } from '../test-support/bare-host.js';
import { importedClient } from '../test-support/imported-client.js';
import { runRedisTests } from '../test-support/redis.js';
import { redisForFile } from '../test-support/redis-for-file.js';
import { tempDir } from '../test-support/test-kairos.js';
import type { CustomerHost } from './customer-host.js';
import type { IdentityConflictRecord } from './identity-conflicts.js';
import { CONFLICT_PREFIX } from './identity-conflicts.js';

/**
 * A merge and the identity conflicts naming its two customers, through a real customer host on
 * each backend (memory, LMDB, Redis): those between the two are closed (`merged`), those of the
 * loser with a third customer re-pointed to the survivor (combined with one of the same pair
 * there already); a store failing to write them fails no merge.
 */

const T0 = Date.UTC(2030, 0, 15, 7, 0);
const redis = redisForFile();
let prefixes = 0;
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

type Backend = 'memory' | 'lmdb' | 'redis';

async function storeOf(backend: Backend): Promise<Store> {
  if (backend === 'memory') return new MemoryStore();
  if (backend === 'lmdb') {
    const dir = tempDir();
    const store = new LmdbStore(dir.dir);
    closing.push(async () => {
      await store.close();
      dir.remove();
    });
    return store;
  }
  const store = await new RedisStore({ url: redis.url, prefix: `merge-conflicts-${process.pid}-${++prefixes}` }).open();
  closing.push(() => store.close());
  return store;
}

/** A host on `store` with clients 1 to 4 imported (card-n, +7916000000n). */
async function hostOn(store: Store, clock: ManualClock, log = createLogger('silent')): Promise<CustomerHost> {
  await store.importCustomers([1, 2, 3, 4].map((i) => ({ id: `c-${i}`, record: importedClient(i, T0 - 86_400_000) })));
  const host = bareHost(store, clock, testCatalog, { logger: log });
  closing.push(() => host.close(1000));
  return host;
}

let seq = 0;
/** An event decided for the card's holder naming client n's phone (a conflict when another holds it), at `at`. */
const claim = (card: string, phoneOf: number, at: number): GatewayEvent => ({ id: `mc-${++seq}`, type: 'web.page.viewed', customer: { card, phone: `+7916000000${phoneOf}` }, channel: 'web', at, data: { page: '/x' } });

async function all(host: CustomerHost, status?: IdentityConflictRecord['status']): Promise<IdentityConflictRecord[]> {
  return (await host.identityConflicts.list(1000, undefined, status)).conflicts;
}
const pair = (list: IdentityConflictRecord[], holder: string, claimant: string): IdentityConflictRecord[] => list.filter((c) => c.holder === holder && c.claimant === claimant);

describe.each<Backend>(['memory', 'lmdb', 'redis'])('a merge and the conflicts naming its customers (%s)', (backend) => {
  it.runIf(backend !== 'redis' || runRedisTests)('closes those between the two, re-points the loser’s with a third customer to the survivor, combined with the survivor’s', async () => {
    const clock = new ManualClock(T0);
    const host = await hostOn(await storeOf(backend), clock);
    // c-1 the survivor (A), c-2 the loser (B), c-3 a third customer (C).
    const at = async (t: number, e: GatewayEvent): Promise<void> => {
      clock.set(t);
      expect(await host.submitEvent(e)).toMatchObject({ kind: 'decision' });
    };
    await at(T0 + 1000, claim('card-1', 2, T0 + 1000)); // holder B, claimant A
    await at(T0 + 2000, claim('card-2', 1, T0 + 2000)); // holder A, claimant B
    await at(T0 + 3000, claim('card-3', 2, T0 + 3000)); // holder B, claimant C: becomes holder A
    await at(T0 + 4000, claim('card-1', 3, T0 + 4000)); // holder C, claimant A: dismissed, then combined with the next
    await at(T0 + 5000, claim('card-2', 3, T0 + 5000)); // holder C, claimant B: becomes claimant A
    await at(T0 + 6000, claim('card-2', 3, T0 + 6000));
    const before = await all(host);
    expect(before).toHaveLength(5);
    const ca = pair(before, 'c-3', 'c-1')[0]!;
    await host.identityConflicts.dismiss(ca.id);

    clock.set(T0 + 10_000);
    expect(await host.merge('c-1', 'c-2')).toMatchObject({ into: 'c-1', from: 'c-2' });

    const after = await all(host);
    const between = before.filter((c) => [c.holder, c.claimant].sort().join() === 'c-1,c-2');
    expect(between).toHaveLength(2);
    for (const c of between) expect(after.find((x) => x.id === c.id)).toEqual({ ...c, status: 'merged', mergedAt: T0 + 10_000, into: 'c-1' });
    const ac = pair(after, 'c-1', 'c-3');
    expect(ac).toEqual([expect.objectContaining({ kind: 'phone', status: 'open', count: 1, firstAt: T0 + 3000, lastAt: T0 + 3000 })]);
    expect(pair(after, 'c-3', 'c-1')).toEqual([{ ...ca, status: 'open', count: 3, firstAt: T0 + 4000, lastAt: T0 + 6000 }]);
    // Nothing else names the loser: the closed ones are kept for the record; open, only the two re-pointed.
    expect(after.filter((c) => c.status !== 'merged' && (c.holder === 'c-2' || c.claimant === 'c-2'))).toEqual([]);
    expect(after).toHaveLength(4);
    expect((await all(host, 'open')).map((c) => c.id).sort()).toEqual([ac[0]!.id, ca.id].sort());
    expect((await all(host, 'merged')).map((c) => c.id).sort()).toEqual(between.map((c) => c.id).sort());
    // Dismissing a merged one answers it as it is.
    expect(await host.identityConflicts.dismiss(between[0]!.id)).toMatchObject({ status: 'merged' });
    // The loser's phone, the survivor's now, named for C again: the survivor's record counts up.
    clock.set(T0 + 20_000);
    await host.submitEvent(claim('card-3', 2, T0 + 20_000));
    expect(pair(await all(host), 'c-1', 'c-3')).toEqual([expect.objectContaining({ count: 2, lastAt: T0 + 20_000 })]);
    // An erasure of the survivor removes every one naming it, the closed ones too.
    await host.erase('c-1');
    expect((await all(host)).filter((c) => [c.holder, c.claimant, c.into].includes('c-1') || [c.holder, c.claimant].includes('c-2'))).toEqual([]);
  });
});

describe('a merge whose conflicts cannot be written', () => {
  it('stands: the failure is logged, the conflicts left as they were', async () => {
    const clock = new ManualClock(T0);
    /** a store that refuses every conflict write once `failing` */
    class FailingStore extends MemoryStore {
      failing = false;
      override putMetaUnlessErased(key: string, value: unknown, customers: readonly string[]): Promise<boolean> {
        if (this.failing && key.startsWith(CONFLICT_PREFIX)) return Promise.reject(new Error('disk full'));
        return super.putMetaUnlessErased(key, value, customers);
      }
    }
    const store = new FailingStore();
    const logged: string[] = [];
    const log = createLogger('error', {
      write: (line: string) => {
        logged.push(line);
        return true;
      },
    });
    const host = await hostOn(store, clock, log);
    await host.submitEvent(claim('card-1', 2, T0));
    await host.submitEvent(claim('card-3', 2, T0));
    const before = await all(host);
    expect(before).toHaveLength(2);
    store.failing = true;
    expect(await host.merge('c-1', 'c-2')).toMatchObject({ into: 'c-1', from: 'c-2' });
    // Merged all the same: the loser forwards, the survivor holds its phone.
    expect(await store.lookupIdentity('phone', '+79160000002')).toBe('c-1');
    expect(await store.getMeta('customer-forward/c-2')).toMatchObject({ to: 'c-1' });
    expect(await all(host)).toEqual(before);
    expect(logged.join('')).toContain('the merge stands');
  });
});
