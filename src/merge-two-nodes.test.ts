import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from './test-support/redis.js';
import type { RedisNode } from './test-support/redis-node.js';
import { nodeApi, startRedisNode } from './test-support/redis-node.js';
import type { Frame } from './test-support/test-kairos.js';
import { tempDir } from './test-support/test-kairos.js';

/**
 * A merge on two Kairos processes sharing one Redis, while events naming the loser flow to
 * both: every event is decided, and every event sent after the merge's reply lands on the
 * survivor (by the loser's card or by its id, on either node, even one holding the loser live).
 */

const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Node = RedisNode;

const node = (name: string, redisUrl: string, prefix: string, dataDir: string): Promise<Node> => startRedisNode({ name, redisUrl, prefix, dataDir }, cleanups);
const api = nodeApi;

describe.runIf(runRedisTests)('a merge on two nodes sharing Redis', () => {
  it('lands every event after the merge’s reply on the survivor', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const data = tempDir();
    cleanups.push(data.remove);
    const prefix = `merge-${process.pid}`;
    const a = await node('node-a', redis.url, prefix, join(data.dir, 'a'));
    const b = await node('node-b', redis.url, prefix, join(data.dir, 'b'));
    const noon = Date.parse('2026-11-24T12:00:00+03:00');
    await Promise.all([a, b].map((n) => api(n, 'POST', '/v1/clock', { now: noon })));

    let seq = 0;
    const send = (n: Node, customer: Record<string, string>): Promise<Frame> =>
      n.gw.request({ t: 'event', id: `merge-${++seq}`, type: 'app.opened', customer, channel: 'mobile', at: noon + seq }, 30_000);
    // Both nodes hold the loser live.
    expect((await send(a, { card: 'card-70' })).t).toBe('decision');
    expect((await send(b, { id: 'demo-70' })).t).toBe('decision');

    // Events flow to both nodes while the merge runs on one.
    const during: Array<Promise<Frame>> = [];
    for (let i = 0; i < 20; i++) during.push(send(i % 2 === 0 ? a : b, i % 4 < 2 ? { card: 'card-70' } : { id: 'demo-70' }));
    const merged = await api(a, 'POST', '/v1/customers/demo-71/merge', { from: 'demo-70' });
    expect(merged).toMatchObject({ into: 'demo-71', from: 'demo-70' });
    const after: Array<{ at: number; reply: Promise<Frame> }> = [];
    for (let i = 0; i < 20; i++) {
      const n = i % 2 === 0 ? b : a;
      const reply = send(n, i % 4 < 2 ? { card: 'card-70' } : { id: 'demo-70' });
      after.push({ at: noon + seq, reply });
    }
    expect((await Promise.all(during)).filter((r) => r.t !== 'decision')).toEqual([]);
    expect((await Promise.all(after.map((x) => x.reply))).filter((r) => r.t !== 'decision')).toEqual([]);

    // The survivor saw the last event sent; the loser's id reads as the survivor on both nodes.
    for (const n of [a, b]) {
      const card = await api(n, 'GET', '/v1/customers/demo-70');
      expect(card.id).toBe('demo-71');
      expect(card.lastEventAt).toBe(noon + seq);
      expect(card.identifiers.card).toContain('card-70');
    }
  }, 180_000);
});
