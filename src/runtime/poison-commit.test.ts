import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid } from '../test-support/test-kairos.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { parseEvent } from '../transport/frames.js';

/**
 * A change the store cannot take never poisons the commit for others. Here it is the issue's
 * own case: an `insurance.purchased` event whose data (copied into the insurance-renewal
 * reminder, written in the same commit) nests 3,000 deep, past what the encoder can write.
 * The edge refuses such data (plain-data.ts), so these requests go to the host directly, as
 * a path that missed a bound would: the failing customer's change is found, refused with an
 * error to its request, and every other request in the batch is decided and committed.
 */

let k: TestKairos;
let gw: GatewayClient;

/** Today at noon in Moscow: SMS offers are made (outside quiet hours). */
async function setNoon(on: TestKairos): Promise<void> {
  const noon = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * 3_600_000;
  await fetch(`${on.httpUrl}/v1/clock`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ now: noon }) });
}

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'lmdb', clock: 'manual' } });
  await setNoon(k);
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

const shortfall = (n: number, id = uid()): Frame => ({ t: 'event', id, type: 'atm.withdrawal.declined', customer: { id: `demo-${n}` }, channel: 'atm', data: { requested: 1000, balance: 800 } });

function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** An insurance purchase whose data no encoder can write (it would become a durable reminder's). */
function poisonedPurchase(n: number): GatewayEvent {
  const endsAt = Date.now() + 200 * 86_400_000;
  return { id: uid('poison'), type: 'insurance.purchased', customer: { id: `demo-${n}` }, channel: 'branch', data: { endsAt, policy: deep(20_000) } };
}

async function ready(): Promise<number> {
  return (await fetch(`${k.httpUrl}/ready`)).status;
}

describe('a change the store cannot take', () => {
  it('is refused alone: every other request in its batch is decided and committed', async () => {
    const first = await gw.request(shortfall(7));
    const [sms] = first.actions as Array<{ instance: string }>;
    const poison = poisonedPurchase(7);
    const others = Array.from({ length: 40 }, (_, i) => parseEvent(shortfall(300 + i)));
    // One turn: the poisoned change and forty others go into the same group commit.
    const [bad, ...good] = await Promise.all([k.kairos.host.submitEvent(poison), ...others.map((e) => k.kairos.host.submitEvent(e))]);
    expect(bad).toMatchObject({ kind: 'error', re: poison.id, code: 'internal' });
    expect(good.map((r) => r.kind)).toEqual(others.map(() => 'decision'));
    const offered = good.filter((r) => r.kind === 'decision' && r.actions.length > 0);
    expect(offered.length).toBeGreaterThan(20);
    // Committed: every card shows the contacts its decision made; the refused customer's card has its offer but not the poisoned response.
    for (const [i, r] of good.entries()) {
      const card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-${300 + i}`, { headers: adminHeaders })).json()) as { contacts: unknown[] };
      expect(card.contacts).toHaveLength(r.kind === 'decision' ? r.actions.length : -1);
    }
    // The refused customer keeps what was committed before (its SMS offer), and is served as before.
    const refused = (await (await fetch(`${k.httpUrl}/v1/customers/demo-7`, { headers: adminHeaders })).json()) as { contacts: Array<{ instance: string }> };
    expect(refused.contacts.map((c) => c.instance)).toEqual([sms?.instance]);
    const after = await gw.request({ t: 'response', id: uid(), instance: sms?.instance, outcome: 'accepted', data: { reply: '1' } });
    expect(after).toMatchObject({ t: 'ack' });
    const again = await k.kairos.host.submitEvent({ ...poison, id: uid(), data: { endsAt: poison.data?.endsAt } });
    expect(again.kind).toBe('decision');
    expect((await gw.request(shortfall(341))).t).toBe('decision');
    expect(await ready()).toBe(200);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kairos_store_refused_changes_total 1$/m);
    expect(k.logs.some((l) => l.msg === "a customer's change cannot be stored; it is refused and the customer reloaded" && l.customer === 'demo-7')).toBe(true);
  });
});

/**
 * The poisoned change and three others while a steady stream of other customers' events goes
 * through the same group commits: on a store with a round trip (Redis), customers who changed
 * during a commit are dirty before the failed batch is tried again, and must not be mixed
 * into the halves (they were, once: the halving never closed in under traffic).
 */
async function underTraffic(k: TestKairos, gw: GatewayClient): Promise<void> {
  const errorsBefore = await metric(k, 'kairos_store_flush_errors_total');
  const refusedBefore = await metric(k, 'kairos_store_refused_changes_total');
  const kinds = new Map<string, number>();
  const pending: Array<Promise<unknown>> = [];
  let n = 0;
  const trickle = setInterval(() => {
    for (let j = 0; j < 5; j++) {
      const e = parseEvent({ id: uid(), type: 'web.pageview', customer: { id: `demo-${2000 + (n++ % 3000)}` }, channel: 'web' });
      pending.push(k.kairos.host.submitEvent(e).then((r) => kinds.set(r.kind === 'error' ? r.code : r.kind, (kinds.get(r.kind === 'error' ? r.code : r.kind) ?? 0) + 1)));
    }
  }, 2);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const poison = poisonedPurchase(8);
    const mates = [500, 501, 502].map((m) => parseEvent(shortfall(m)));
    const [bad, ...decided] = await Promise.all([k.kairos.host.submitEvent(poison), ...mates.map((e) => k.kairos.host.submitEvent(e))]);
    await new Promise((r) => setTimeout(r, 200));
    expect(bad).toMatchObject({ kind: 'error', re: poison.id, code: 'internal' });
    expect(decided.map((r) => r.kind)).toEqual(['decision', 'decision', 'decision']);
  } finally {
    clearInterval(trickle);
  }
  await Promise.all(pending);
  expect([...kinds.keys()]).toEqual(['decision']);
  expect(kinds.get('decision')).toBe(n);
  expect(await metric(k, 'kairos_store_refused_changes_total')).toBe(refusedBefore + 1);
  // Halving a commit of at most 500 customers: one failure a level.
  expect(await metric(k, 'kairos_store_flush_errors_total')).toBeLessThanOrEqual(errorsBefore + 10);
  expect((await gw.request(shortfall(503))).t).toBe('decision');
}

describe('a change the store cannot take, while traffic keeps coming', () => {
  it('is found in a few commits on LMDB, and no one else is refused', async () => {
    await underTraffic(k, gw);
  });

  it.runIf(runRedisTests)('is found in a few commits on Redis, and no one else is refused', async () => {
    const redis = await startRedis();
    const r = await startTestKairos({ config: { store: 'redis', redisUrl: redis.url, redisPrefix: 'poison', clock: 'manual', logLevel: 'error' } });
    try {
      await setNoon(r);
      const c = await GatewayClient.connect(r.wsUrl);
      try {
        await underTraffic(r, c);
      } finally {
        c.close();
      }
    } finally {
      await r.close();
      await redis.close();
    }
  }, 60_000);
});

async function metric(k: TestKairos, name: string): Promise<number> {
  const text = await (await fetch(`${k.httpUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}
