import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { packageRoot } from './paths.js';
import type { ShardedKairos } from './sharded-kairos.js';
import { startShardedKairos } from './sharded-kairos.js';
import { shardOf } from './shards/shard-of.js';
import { GatewayClient, adminHeaders, msk, tempDir, uid } from './test-support/test-kairos.js';

/**
 * QA's manual clock on a node with two shards (`KAIROS_CLOCK=manual`, `KAIROS_SHARDS=2`): an SMS
 * that quiet hours hold back at 22:30 in either shard goes out when `POST /v1/clock` reaches
 * 09:00, every shard's due reminders delivered before the answer; moving the clock is audited
 * in the node's trail.
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
let k: ShardedKairos;
let http: string;

beforeAll(async () => {
  // A Tuesday evening in Moscow; the clock is moved by the admin API.
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: true, logLevel: 'warn', shutdownTimeoutMs: 5000, segmentSweepMs: 0, clock: 'manual', clockStart: msk('2026-11-24T22:30:00') });
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
  http = `http://127.0.0.1:${k.port}`;
}, 60_000);

afterAll(async () => {
  await k.close();
  data.remove();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${http}${path}`, { method, headers: { ...adminHeaders, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

const smsFor = async (customer: string): Promise<Array<{ customer: string; campaign: string }>> => ((await api('GET', '/v1/outbox/sms?limit=1000')).body.entries as Array<{ customer: string; campaign: string }>).filter((r) => r.customer === customer);

describe('the manual clock on a node with two shards', () => {
  it("keeps the SMS quiet hours blocked at 22:30 on both shards and sends them when the clock reaches 09:00", async () => {
    expect((await api('PUT', '/v1/offers/evening-note', { name: 'Письмо', value: 10, templates: { sms: { text: '{{customer.name}}, для вас одобрен кредит.' } } })).status).toBe(201);
    const campaign = await api('PUT', '/v1/campaigns/evening-note', {
      name: 'Одобрен кредит',
      status: 'active',
      offer: 'evening-note',
      channels: ['sms'],
      trigger: { events: ['loan.preapproved'] },
      groups: [{ id: 'clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }],
      expiresIn: '1d',
    });
    expect(campaign.status).toBe(201);

    // A client on each shard, each deferred by quiet hours.
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    const deferred: string[] = [];
    for (let n = 21; n < 200 && deferred.length < 2; n++) {
      const id = `demo-${n}`;
      if (deferred.some((c) => shardOf(c, 2) === shardOf(id, 2))) continue;
      const reply = await gw.request({ t: 'event', id: uid('e'), type: 'loan.preapproved', customer: { id } });
      expect(reply).toMatchObject({ t: 'decision', actions: [] });
      const card = (await api('GET', `/v1/customers/${id}`)).body;
      if ((card.lastDecision as Array<{ reason?: string }>).some((d) => d.reason === 'deferred:sms=quiet_hours')) deferred.push(id);
    }
    gw.close();
    expect(deferred.map((c) => shardOf(c, 2)).sort()).toEqual([0, 1]);
    for (const c of deferred) expect(await smsFor(c)).toEqual([]);

    // A minute before nine nothing is due; at nine both shards' reminders fire before the answer.
    expect((await api('POST', '/v1/clock', { now: msk('2026-11-25T08:59:00') })).body).toMatchObject({ now: msk('2026-11-25T08:59:00'), remindersFired: 0 });
    expect((await api('POST', '/v1/clock', { now: msk('2026-11-25T09:00:00') })).body).toMatchObject({ remindersFired: 2 });
    for (const c of deferred) {
      expect(await smsFor(c)).toEqual([expect.objectContaining({ campaign: 'evening-note' })]);
      const card = (await api('GET', `/v1/customers/${c}`)).body;
      expect(card.contacts).toEqual([expect.objectContaining({ campaign: 'evening-note', channel: 'sms', at: msk('2026-11-25T09:00:00') })]);
    }
    // Both shards decide at the node's time from then on; the moves are in the node's trail.
    expect((await api('GET', `/v1/customers/${deferred[0]!}`)).body.lastEventAt).toBe(msk('2026-11-24T22:30:00'));
    const trail = (await api('GET', '/v1/audit?action=clock.set')).body.entries as Array<{ after: { now: number } }>;
    expect(trail.map((e) => e.after.now)).toEqual([msk('2026-11-25T08:59:00'), msk('2026-11-25T09:00:00')]);
    expect((await api('POST', '/v1/clock', { advance: -1 })).status).toBe(400);
  }, 60_000);
});
