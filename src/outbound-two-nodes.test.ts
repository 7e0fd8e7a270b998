import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoCsvPath } from './paths.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runRedisTests, startRedis } from './test-support/redis.js';
import type { RedisNode } from './test-support/redis-node.js';
import { nodeApi, startRedisNode } from './test-support/redis-node.js';
import { tempDir, until } from './test-support/test-kairos.js';

/**
 * One outbound run shared by two Kairos processes on one Redis (docs/outbound.md): the run
 * is cut into slices, each worked by one node at a time under a lease; both nodes take
 * slices, each customer is handed the run once and contacted at most once, `selected` is
 * exact; a node killed mid-run leaves its slice to the other when its lease runs out (and may
 * lose its last batch's funnel counts: Redis adds the counters after the customers' writes).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const api = nodeApi;

/** What the test reads of a run's status. */
interface RunStatus {
  state: string;
  nodes?: string[];
  selected: number;
  funnel: { decided: number; offered: number; control: number; suppressed: number; deferred: number };
}

describe.runIf(runRedisTests)('an outbound run on two nodes', () => {
  it('is shared by both, hands each customer the run once, and survives a node killed mid-run', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.close());
    const data = tempDir();
    cleanups.push(data.remove);
    const prefix = `run2-${process.pid}`;
    const env = { KAIROS_OUTBOUND_TICK_MS: '200', KAIROS_REMINDER_POLL_MS: '200' };
    const a = await startRedisNode({ name: 'node-a', redisUrl: redis.url, prefix, dataDir: join(data.dir, 'a'), env }, cleanups);
    let b: RedisNode = await startRedisNode({ name: 'node-b', redisUrl: redis.url, prefix, dataDir: join(data.dir, 'b'), env }, cleanups);
    // a Tuesday noon in Moscow: SMS allowed
    const noon = Date.parse('2026-12-08T12:00:00+03:00');
    await Promise.all([a, b].map((n) => api(n, 'POST', '/v1/clock', { now: noon })));

    // Clients over 60 (the demo bank's rows with age 60+: demo-<row>) come into the segment with an event of theirs (the sweep is off here).
    const rows = readFileSync(demoCsvPath(), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
    const ids = rows.flatMap((l, i) => (Number(l.split(';')[0]) >= 60 ? [`demo-${i + 1}`] : [])).slice(0, 240);
    expect(ids).toHaveLength(240);
    await Promise.all(ids.map((id, i) => (i % 2 === 0 ? a : b).gw.request({ t: 'event', id: `pay-${id}`, type: 'card.transaction', customer: { id }, data: { amount: 100, mcc: '5411' } }, 30_000)));
    const members = (await api(a, 'GET', '/v1/segments/clients_60_plus/members?limit=10000')).members as string[];
    expect(members.sort()).toEqual([...ids].sort());

    const run = await api(a, 'POST', '/v1/campaigns/pension-deposit-run/runs');
    expect(run.slices).toBe(8);
    // node-b takes slices too; then node-b is killed while it may hold one, and comes back
    await until('both nodes at work', async () => ((await api(a, 'GET', `/v1/runs/${run.id}`)).nodes?.length === 2 ? true : undefined), 60_000);
    b.child.kill('SIGKILL');
    b = await startRedisNode({ name: 'node-b', redisUrl: redis.url, prefix, dataDir: join(data.dir, 'b'), env }, cleanups);
    await api(b, 'POST', '/v1/clock', { now: noon + 60_000 });
    await api(a, 'POST', '/v1/clock', { now: noon + 60_000 });
    const done = await until(
      'the run done',
      async () => {
        const s = (await api(a, 'GET', `/v1/runs/${run.id}`)) as RunStatus;
        return s.state === 'done' ? s : undefined;
      },
      120_000,
    );
    expect(done.nodes).toEqual(['node-a', 'node-b']);
    expect(done.selected).toBe(members.length);
    // A node's funnel reads the other's counts at its next poll (KAIROS_REMINDER_POLL_MS). A node
    // killed between a commit's customers and its counters (Redis adds the counters after)
    // loses that batch's counts, not its customers' marks: decided may fall short by a batch.
    await until('the funnel of both nodes', async () => ((await api(a, 'GET', `/v1/runs/${run.id}`)) as RunStatus).funnel.decided === members.length || undefined, 5_000).catch(() => undefined);
    Object.assign(done, await api(a, 'GET', `/v1/runs/${run.id}`));
    expect(done.funnel.decided).toBeLessThanOrEqual(members.length);
    expect(done.funnel.decided).toBeGreaterThan(members.length - 50);
    expect(done.funnel.offered + done.funnel.control + done.funnel.suppressed + done.funnel.deferred).toBe(done.funnel.decided);
    // the same run from the other node (its record and slices are the store's; each node's funnel view catches up with its own commits)
    expect(await api(b, 'GET', `/v1/runs/${run.id}`)).toMatchObject({ state: 'done', selected: done.selected, nodes: ['node-a', 'node-b'] });

    // Each member contacted at most once by the run, whichever node decided.
    const sms = (await api(a, 'GET', '/v1/outbox/sms?limit=10000')).entries as Array<{ customer: string; campaign: string }>;
    const email = (await api(a, 'GET', '/v1/outbox/email?limit=10000')).entries as Array<{ customer: string; campaign: string }>;
    const ours = [...sms, ...email].filter((e) => e.campaign === 'pension-deposit-run');
    expect(ours.length).toBeGreaterThanOrEqual(done.funnel.offered);
    expect(new Set(ours.map((e) => e.customer)).size).toBe(ours.length);
    expect(ours.every((e) => members.includes(e.customer))).toBe(true);
  }, 300_000);
});
