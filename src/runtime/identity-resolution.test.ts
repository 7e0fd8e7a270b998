import { afterEach, describe, expect, it } from 'vitest';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * An event naming a live customer by card, phone, e-mail or cookie is resolved without reading
 * the store; a new link of the identifier, the customer's release and their erasure each make
 * the store answer again.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server whose store counts identity lookups (the real LMDB store, its method wrapped). */
async function start(config: NonNullable<Parameters<typeof startTestKairos>[0]>['config'] = {}): Promise<{ k: TestKairos; gw: GatewayClient; lookups: string[] }> {
  const k = await startTestKairos({ config });
  cleanups.push(() => k.close());
  const gw = await GatewayClient.connect(k.wsUrl);
  cleanups.push(() => gw.close());
  const store = k.kairos.store;
  const lookup = store.lookupIdentity.bind(store);
  const lookups: string[] = [];
  store.lookupIdentity = (kind: ContactIdentifierKind, value: string) => {
    lookups.push(`${kind}:${value}`);
    return lookup(kind, value);
  };
  return { k, gw, lookups };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

const at = yesterdayMsk('10:00');
const visit = (customer: Frame): Frame => ({ t: 'event', id: uid(), type: 'web.page.viewed', customer, channel: 'web', at, data: { page: '/deposits' } });

describe('identity resolution', () => {
  it('reads the store once for a live customer named by card, and again after the release', async () => {
    const { k, gw, lookups } = await start({ maxHotActors: 1 });
    for (let i = 0; i < 3; i++) expect((await gw.request(visit({ card: 'card-7' }))).customer).toBe('demo-7');
    // The lookup's answer is remembered once demo-7 is live.
    expect(lookups).toEqual(['card:card-7']);
    // demo-8 takes the only place: demo-7 is released, and the store is read for them again.
    expect((await gw.request(visit({ id: 'demo-8' }))).customer).toBe('demo-8');
    expect(k.kairos.host.hotCount).toBe(1);
    expect((await gw.request(visit({ card: 'card-7' }))).customer).toBe('demo-7');
    expect(lookups).toEqual(['card:card-7', 'card:card-7']);
  });

  it('a new link of an identifier wins over what it resolved to before', async () => {
    const { gw, lookups } = await start();
    const cookie = `ck-${uid()}`;
    const visitor = (await gw.request(visit({ cookie }))).customer as string;
    expect(visitor).toMatch(/^v-/);
    // The store knew no one by it; until the visitor's link is committed it resolves from the
    // link in memory, then from the store once, then from memory.
    for (let i = 0; i < 4; i++) expect((await gw.request(visit({ cookie }))).customer).toBe(visitor);
    expect(lookups).toEqual([`cookie:${cookie}`, `cookie:${cookie}`]);
    // The visitor logs in: the cookie now belongs to demo-3, and so do the events that name it.
    expect((await gw.request(visit({ id: 'demo-3', cookie }))).customer).toBe('demo-3');
    for (let i = 0; i < 3; i++) expect((await gw.request(visit({ cookie }))).customer).toBe('demo-3');
  });

  it('a lookup that a link overtook is not remembered', async () => {
    const { k, gw, lookups } = await start({ maxHotActors: 1 });
    const cookie = `ck-${uid()}`;
    const visitor = (await gw.request(visit({ cookie }))).customer as string;
    expect((await gw.request(visit({ id: 'demo-4' }))).customer).toBe('demo-4'); // the visitor is released
    // The visitor's next event reads the store (the cookie is theirs), but their activation is
    // held until the cookie has been linked to demo-5 by a login and that link committed.
    const store = k.kairos.store;
    const getSnapshot = store.getSnapshot.bind(store);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    store.getSnapshot = async (id: string) => {
      if (id === visitor) await gate;
      return getSnapshot(id);
    };
    const held = gw.request(visit({ cookie }));
    await until(() => lookups.length === 2);
    expect((await gw.request(visit({ id: 'demo-5', cookie }))).customer).toBe('demo-5');
    open();
    expect((await held).customer).toBe(visitor);
    expect((await gw.request(visit({ cookie }))).customer).toBe('demo-5');
  });

  it('an erased customer is not found by an identifier remembered for them', async () => {
    const { k, gw } = await start();
    const phone = ((await (await fetch(`${k.httpUrl}/v1/customers/demo-11`, { headers: adminHeaders })).json()) as { identifiers: { phone: string[] } }).identifiers.phone[0]!;
    for (let i = 0; i < 3; i++) expect((await gw.request(visit({ phone }))).customer).toBe('demo-11');
    expect((await fetch(`${k.httpUrl}/v1/customers/demo-11`, { method: 'DELETE', headers: adminHeaders })).status).toBe(200);
    const after = (await gw.request(visit({ phone }))).customer as string;
    expect(after).not.toBe('demo-11');
    expect(after).toMatch(/^p-/);
  });
});
