import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from './test-support/redis.js';
import type { RedisNode } from './test-support/redis-node.js';
import { nodeApi, startRedisNode } from './test-support/redis-node.js';
import type { Frame } from './test-support/test-kairos.js';
import { adminHeaders, tempDir, until } from './test-support/test-kairos.js';

/**
 * Two Kairos processes on one Redis, the same customers' events sent to both at once (a
 * load balancer without affinity, the worst case): no cap is ever exceeded, no contact is
 * lost or doubled, no reminder fires twice. The nodes only share the Redis store: what one
 * decides on a copy the other has since changed is refused at its commit (the snapshot's
 * revision) and decided again on the fresh state.
 */

const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Node = RedisNode;

const node = (name: string, redisUrl: string, prefix: string, dataDir: string): Promise<Node> => startRedisNode({ name, redisUrl, prefix, dataDir, env: { KAIROS_REMINDER_POLL_MS: '200' } }, cleanups);
const api = nodeApi;

async function metric(n: Node, name: string): Promise<number> {
  const text = await (await fetch(`${n.http}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe.runIf(runRedisTests)('two nodes on one Redis', () => {
  it('never exceeds a cap or a budget, loses or doubles no contact, fires no reminder twice, shares the stop list', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const data = tempDir();
    cleanups.push(data.remove);
    const prefix = `two-${process.pid}`;
    // The first node loads the demo bank into Redis; the second finds it there.
    const a = await node('node-a', redis.url, prefix, join(data.dir, 'a'));
    const b = await node('node-b', redis.url, prefix, join(data.dir, 'b'));
    const noon = Date.parse('2026-11-24T12:00:00+03:00');
    await Promise.all([a, b].map((n) => api(n, 'POST', '/v1/clock', { now: noon })));

    // 60 customers, six declined withdrawals each, three to each node, all at once.
    const customers = Array.from({ length: 60 }, (_, i) => i + 1);
    const sends: Array<Promise<{ n: number; reply: Frame }>> = [];
    for (let round = 0; round < 6; round++) {
      for (const n of customers) {
        const target = (n + round) % 2 === 0 ? a : b;
        const frame = { t: 'event', id: `two-${n}-${round}`, type: 'atm.withdrawal.declined', customer: { card: `card-${n}` }, channel: 'atm', data: { requested: 1000 + round * 100, balance: 800 } };
        sends.push(target.gw.request(frame, 30_000).then((reply) => ({ n, reply })));
      }
    }
    const replies = await Promise.all(sends);
    expect(replies.filter((r) => r.reply.t !== 'decision'), 'every event is answered with a decision').toEqual([]);
    const offered = new Map<number, string[]>();
    for (const { n, reply } of replies) {
      for (const act of reply.actions as Frame[]) {
        if (act.channel === 'sms') offered.set(n, [...(offered.get(n) ?? []), act.instance as string]);
      }
    }
    // At most one SMS a day per customer, whichever node answered.
    for (const [n, instances] of offered) expect(instances, `card-${n}`).toHaveLength(1);
    expect(offered.size, 'most of these customers qualify for the offer').toBeGreaterThan(30);

    // Every SMS answered is in the outbox once, and on the customer's card once; nothing else is.
    const outbox = (await api(a, 'GET', '/v1/outbox/sms?limit=10000')).entries as Array<{ instance: string; customer: string }>;
    const answered = [...offered.values()].flat().sort();
    expect(outbox.map((e) => e.instance).sort()).toEqual(answered);
    for (const [n, [instance]] of offered) {
      const card = await api(n % 2 === 0 ? b : a, 'GET', `/v1/customers/demo-${n}`);
      const sms = (card.contacts as Array<{ channel: string; instance: string }>).filter((c) => c.channel === 'sms');
      expect(sms.map((c) => c.instance), `demo-${n}`).toEqual([instance]);
    }

    // An hour later the offers expire: each expiry reminder fires on one node only.
    const firedBefore = (await metric(a, 'kairos_reminders_fired_total')) + (await metric(b, 'kairos_reminders_fired_total'));
    await Promise.all([a, b].map((n) => api(n, 'POST', '/v1/clock', { advance: 2 * 3_600_000 })));
    await until(
      'every offer expired',
      async () => {
        for (const n of offered.keys()) {
          const card = await api(n % 2 === 0 ? a : b, 'GET', `/v1/customers/demo-${n}`);
          const sms = (card.contacts as Array<{ channel: string; outcome?: string }>).find((c) => c.channel === 'sms');
          if (sms?.outcome !== 'expired') return undefined;
        }
        return true;
      },
      30_000,
    );
    const fired = (await metric(a, 'kairos_reminders_fired_total')) + (await metric(b, 'kairos_reminders_fired_total')) - firedBefore;
    expect(fired).toBe(offered.size);
    // The funnel counts each expiry once, across both nodes' figures.
    const conflicts = (await metric(a, 'kairos_store_conflicts_total')) + (await metric(b, 'kairos_store_conflicts_total'));
    expect(conflicts, 'the nodes did race for the same customers').toBeGreaterThan(0);

    // A stop-list entry added through node A holds on node B at once.
    const stop = await fetch(`${a.http}/v1/stop-list`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ kind: 'customer', value: 'demo-28907', reason: 'asked by phone' }) });
    expect(stop.status).toBe(201);
    const login = await b.gw.request({ t: 'event', id: 'stop-1', type: 'ib.login', customer: { id: 'demo-28907' }, channel: 'ib' });
    expect(login.actions).toEqual([]);
    const why = (await api(b, 'GET', '/v1/customers/demo-28907')).lastDecision as Array<{ reason?: string }>;
    expect(why.map((e) => e.reason)).toContain('stop_list');

    // A budget of 8 contacts, set through node A (node B takes the new catalog within a
    // second); 60 more customers, through both nodes at once: exactly 8 SMS in all.
    const campaign = await api(a, 'GET', '/v1/campaigns/atm-shortfall');
    const put = await api(a, 'PUT', '/v1/campaigns/atm-shortfall', { ...campaign, budget: { maxContacts: 8 } });
    await until('node B has the budget', async () => ((await api(b, 'GET', '/v1/campaigns/atm-shortfall')).budget?.maxContacts === 8 ? true : undefined), 10_000);
    expect(put.version).toBeGreaterThan(0);
    const more = Array.from({ length: 60 }, (_, i) => i + 61);
    const budgetReplies = await Promise.all(
      more.flatMap((n) =>
        [a, b].map((target, k) =>
          target.gw.request({ t: 'event', id: `budget-${n}-${k}`, type: 'atm.withdrawal.declined', customer: { card: `card-${n}` }, channel: 'atm', data: { requested: 1000, balance: 800 } }, 30_000),
        ),
      ),
    );
    expect(budgetReplies.filter((r) => r.t !== 'decision')).toEqual([]);
    const budgetSms = budgetReplies.flatMap((r) => (r.actions as Frame[]).filter((x) => x.channel === 'sms'));
    expect(budgetSms).toHaveLength(8);
    const outboxAfter = (await api(b, 'GET', '/v1/outbox/sms?limit=10000')).entries as Array<{ instance: string }>;
    expect(outboxAfter.map((e) => e.instance).sort()).toEqual([...answered, ...budgetSms.map((x) => x.instance as string)].sort());

    // Reports count what both nodes did: each node's funnel shows every SMS offered and expired.
    const offeredInAll = answered.length + budgetSms.length;
    const funnelOf = async (n: Node) => ((await api(n, 'GET', '/v1/reports/funnel?campaign=atm-shortfall&by=channel')).rows as Array<{ channel: string; offered: number; expired: number }>).find((r) => r.channel === 'sms');
    await until(
      'both nodes report the same funnel',
      async () => {
        const [fa, fb] = await Promise.all([funnelOf(a), funnelOf(b)]);
        return fa?.offered === offeredInAll && fb?.offered === offeredInAll && fa.expired === offered.size && fb.expired === offered.size ? true : undefined;
      },
      15_000,
    );
  }, 240_000);
});
