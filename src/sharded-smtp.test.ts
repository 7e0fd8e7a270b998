import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { packageRoot } from './paths.js';
import type { ShardedKairos } from './sharded-kairos.js';
import { startShardedKairos } from './sharded-kairos.js';
import { shardOf } from './shards/shard-of.js';
import type { SmtpSink } from './test-support/smtp-sink.js';
import { startSmtpSink } from './test-support/smtp-sink.js';
import { GatewayClient, adminHeaders, tempDir, uid, until, yesterdayMsk } from './test-support/test-kairos.js';

/**
 * E-mail over SMTP from a node with two shards (`KAIROS_SHARDS=2`, `KAIROS_SMTP_URL`), against
 * a real SMTP server started here: each shard sends its own customers' letters, the delivery
 * recorded on the contact there, and a letter's unsubscribe link, posted to the node, puts the
 * address on the node's stop list, so that no shard writes to it again.
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
let smtp: SmtpSink;
let k: ShardedKairos;
let http: string;

beforeAll(async () => {
  smtp = await startSmtpSink();
  const smtpPort = smtp.port;
  const config = loadConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      dataDir: data.dir,
      shards: 2,
      demo: true,
      logLevel: 'warn',
      shutdownTimeoutMs: 5000,
      segmentSweepMs: 0,
      smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
      publicUrl: 'https://kairos.bank.example',
      unsubscribeSecret: 'test-unsubscribe-secret',
      deliveryPollMs: 20,
      // (events at noon, Moscow, days ago: out of quiet hours whenever the test runs, decided with contacts as fresh ones)
      maxEventAgeMs: 30 * 86_400_000,
      staleEventMs: 30 * 86_400_000,
    },
  );
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
  http = `http://127.0.0.1:${k.port}`;
}, 60_000);

afterAll(async () => {
  await k.close();
  await smtp.close();
  data.remove();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${http}${path}`, { method, headers: { ...adminHeaders, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('e-mail over SMTP on a node with two shards', () => {
  it("sends each shard's letters, records their delivery there, and takes an unsubscribe link's one-click on the node's stop list", async () => {
    const campaign = await api('PUT', '/v1/campaigns/letter-test', {
      name: 'Письмо (тест)',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['email'],
      trigger: { events: ['test.letter'] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
      expiresIn: '30d',
    });
    expect(campaign.status).toBe(201);

    // A client with an e-mail address on each shard.
    const chosen: Array<{ id: string; email: string }> = [];
    for (let n = 1; n < 400 && chosen.length < 2; n++) {
      const id = `demo-${n}`;
      if (chosen.some((c) => shardOf(c.id, 2) === shardOf(id, 2))) continue;
      const card = (await api('GET', `/v1/customers/${id}`)).body as { stage?: string; identifiers: { email?: string[] } };
      const email = card.identifiers.email?.[0];
      if (card.stage === 'client' && email !== undefined) chosen.push({ id, email });
    }
    expect(chosen.map((c) => shardOf(c.id, 2)).sort()).toEqual([0, 1]);

    // Noon in Moscow (no quiet hours hold the letters back), eight days before yesterday: the next letter, eight days later, is past every contact rule but the stop list.
    const at = yesterdayMsk('12:00') - 8 * 86_400_000;
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    const instances: string[] = [];
    for (const c of chosen) {
      const d = await gw.request({ t: 'event', id: uid('l'), type: 'test.letter', customer: { id: c.id }, at });
      const action = (d.actions as Array<{ campaign: string; channel: string; instance: string }>)[0];
      expect(action).toMatchObject({ campaign: 'letter-test', channel: 'email' });
      instances.push(action!.instance);
    }
    // Each letter out once, to its customer, its Message-ID from its instance.
    const letters = await until('both letters', () => (smtp.mails.length >= 2 ? smtp.mails : undefined));
    expect(letters.map((m) => (m.to as { value: Array<{ address: string }> }).value[0]!.address).sort()).toEqual(chosen.map((c) => c.email).sort());
    for (const instance of instances) expect(letters.filter((m) => m.messageId?.includes(instance) === true)).toHaveLength(1);
    // Delivered, recorded on each contact by its shard; nothing left in the node's outbox.
    for (const [i, c] of chosen.entries()) {
      await until('the delivery on the contact', async () => {
        const card = (await api('GET', `/v1/customers/${c.id}`)).body as { contacts: Array<{ instance: string; delivery: string }> };
        return card.contacts.find((x) => x.instance === instances[i] && x.delivery === 'delivered');
      });
    }
    expect((await api('GET', '/v1/outbox/email')).body.entries).toEqual([]);

    // The first letter's one-click unsubscribe, posted to the node: its address on the stop list, and no shard writes to it again.
    const first = letters.find((m) => m.messageId?.includes(instances[0]!) === true)!;
    const link = ((first.headers.get('list') as { unsubscribe?: { url?: string } }).unsubscribe?.url ?? '').replace('https://kairos.bank.example', http);
    expect(link).toContain('/v1/unsubscribe?t=');
    const res = await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    const stops = (await api('GET', '/v1/stop-list')).body as { entries: Array<{ kind: string; channel?: string; by?: string }> };
    expect(stops.entries).toContainEqual(expect.objectContaining({ kind: 'email', channel: 'email', by: 'unsubscribe-link' }));
    const again = await gw.request({ t: 'event', id: uid('l'), type: 'test.letter', customer: { id: chosen[0]!.id }, at: at + 8 * 86_400_000 });
    expect(again.actions).toEqual([]);
    expect((await api('GET', `/v1/customers/${chosen[0]!.id}`)).body.lastDecision).toContainEqual(expect.objectContaining({ campaign: 'letter-test', reason: 'no_channel:email=stop_list' }));
    gw.close();
    expect(smtp.mails).toHaveLength(2);
  }, 60_000);
});
