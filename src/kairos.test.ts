import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from './test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir, uid, yesterdayMsk } from './test-support/test-kairos.js';
import { join } from 'node:path';
import { readDemoCustomers } from './demo/demo-bank.js';
import { demoCsvPath } from './paths.js';
import { LmdbStore } from './store/lmdb-store.js';
import type { CustomerRecord } from './store/store.js';

/**
 * Durability of the embedded LMDB store across a restart on the same data dir: contact
 * history, idempotency and identity links survive; the demo is not loaded twice.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const at = yesterdayMsk('10:00');
const shortfall = (id: string): Frame => ({
  t: 'event',
  id,
  type: 'atm.withdrawal.declined',
  customer: { card: 'card-19' },
  at,
  data: { requested: 1000, balance: 800 },
});

describe('restart on the same data dir', () => {
  it('keeps the contact history: no second SMS after a restart, the same answer to a repeated id', async () => {
    const data = tempDir();
    cleanups.push(data.remove);

    const first = await startTestKairos({ dataDir: data.dir });
    expect(first.logs).toContainEqual(expect.objectContaining({ msg: 'demo bank loaded', customers: 45_211 }));
    let gw = await GatewayClient.connect(first.wsUrl);
    const eventId = uid();
    const decision = await gw.request(shortfall(eventId));
    expect(decision.actions).toEqual([expect.objectContaining({ channel: 'sms', campaign: 'atm-shortfall' })]);
    const visitor = await gw.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { cookie: 'ck-restart' } });
    gw.close();
    await first.close();

    const second = await startTestKairos({ dataDir: data.dir });
    cleanups.push(() => second.close());
    expect(second.logs).toContainEqual(expect.objectContaining({ msg: 'demo bank already in the store', customers: 45_211 }));
    gw = await GatewayClient.connect(second.wsUrl);
    cleanups.push(() => gw.close());

    // A new shortfall an hour later: the first offer (open an hour from when it was decided,
    // the server's clock) is remembered as still open.
    const again = await gw.request({ ...shortfall(uid()), at: at + 3_600_000 });
    expect(again.actions).toEqual([]);
    // read from its snapshot, the customer's change went to the store as a change record (docs/runtime.md#change-records)
    const gauges = await (await fetch(`${second.httpUrl}/metrics`)).text();
    expect(gauges).toMatch(/^kairos_store_change_record_customers [1-9]/m);
    expect(gauges).toMatch(/^kairos_store_change_records [1-9]/m);
    // The repeated event id gets the first decision, word for word.
    expect(await gw.request(shortfall(eventId))).toEqual(decision);
    // The visitor created before the restart is found by its cookie.
    expect((await gw.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { cookie: 'ck-restart' } })).customer).toBe(visitor.customer);

    const card = (await (await fetch(`${second.httpUrl}/v1/customers/demo-19`, { headers: adminHeaders })).json()) as Record<string, any>;
    expect(card.contacts).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', channel: 'sms', at })]);
    expect(card.lastDecision).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', reason: 'no_channel:sms=already_pending' })]);
    // The SMS is still in the outbox for whoever delivers SMS.
    const outbox = (await (await fetch(`${second.httpUrl}/v1/outbox/sms`, { headers: adminHeaders })).json()) as { entries: Frame[] };
    expect(outbox.entries.map((e) => e.instance)).toEqual([(decision.actions as Frame[])[0]!.instance]);
  });

  it('completes a demo load a first start left partial (stopped while loading), and only then says the bank is in', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    // What a start stopped after three batches leaves: demo-1 … demo-15000, no marker.
    const partial = new LmdbStore(join(data.dir, 'lmdb'));
    let batch: Array<{ id: string; record: CustomerRecord }> = [];
    for await (const c of readDemoCustomers(demoCsvPath(), Date.now())) {
      batch.push(c);
      if (batch.length === 5000) {
        await partial.importCustomers(batch);
        batch = [];
        if ((await partial.countImported()) === 15_000) break;
      }
    }
    await partial.close();

    const second = await startTestKairos({ dataDir: data.dir });
    cleanups.push(() => second.close());
    expect(second.logs).toContainEqual(expect.objectContaining({ msg: 'demo bank loaded: completed a load an earlier start did not finish', customers: 45_211, resumedWith: 15_000 }));
    expect(second.logs.map((l) => l.msg)).not.toContain('demo bank already in the store');
    expect((await fetch(`${second.httpUrl}/v1/customers/demo-40000`, { headers: adminHeaders })).status).toBe(200);
    expect(await second.kairos.store.countImported()).toBe(45_211);
  });

  it('flushes every change on close, even one made just before it', async () => {
    const data = tempDir();
    cleanups.push(data.remove);
    const first = await startTestKairos({ dataDir: data.dir, config: { durability: 'write-behind', flushIntervalMs: 60_000, flushBatch: 1_000_000 } });
    const gw = await GatewayClient.connect(first.wsUrl);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: `demo-${1000 + i}` }, channel: 'ib', at })),
    );
    const offered = replies.filter((r) => (r.actions as Frame[]).length > 0).length;
    expect(first.kairos.host.dirtyCount).toBe(50);
    gw.close();
    await first.close();

    const second = await startTestKairos({ dataDir: data.dir });
    cleanups.push(() => second.close());
    let contacts = 0;
    for (let i = 0; i < 50; i++) {
      const card = (await (await fetch(`${second.httpUrl}/v1/customers/demo-${1000 + i}`, { headers: adminHeaders })).json()) as Record<string, any>;
      expect(card.lastEventAt).toBe(at);
      contacts += (card.contacts as unknown[]).length;
    }
    expect(contacts).toBe(offered);
  });

  for (const durability of ['commit', 'strict'] as const) {
    it(`in ${durability} mode answers only after the decision's contact and outbox entry are committed`, async () => {
      const k = await startTestKairos({ config: { durability } });
      cleanups.push(() => k.close());
      const gw = await GatewayClient.connect(k.wsUrl);
      cleanups.push(() => gw.close());
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: `demo-${2000 + i}` }, channel: 'atm', at, data: { requested: 1000, balance: 800 } }),
        ),
      );
      let offered = 0;
      for (const [i, r] of replies.entries()) {
        // Read straight from the store the moment the reply is here: it must already hold the contact.
        const snap = (await k.kairos.store.getSnapshot(`demo-${2000 + i}`)) as { snapshot: { context: { lastEventAt: number; contacts: Array<{ instance: string }> } } } | undefined;
        expect(snap?.snapshot.context.lastEventAt).toBe(at);
        for (const a of r.actions as Frame[]) {
          offered++;
          expect(snap?.snapshot.context.contacts.map((c) => c.instance)).toContain(a.instance);
        }
      }
      expect(offered).toBeGreaterThan(0);
      const outbox = await k.kairos.store.listOutbox('sms', 100);
      expect(outbox).toHaveLength(offered);
    });
  }
});
