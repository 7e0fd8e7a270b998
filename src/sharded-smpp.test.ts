import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import type { SmppPdu } from './delivery/smpp-adapter.js';
import { decodeShortMessage } from './delivery/sms-parts.js';
import { packageRoot } from './paths.js';
import type { ShardedKairos } from './sharded-kairos.js';
import { startShardedKairos } from './sharded-kairos.js';
import { shardOf } from './shards/shard-of.js';
import type { TestSmsc } from './test-support/smsc.js';
import { startTestSmsc } from './test-support/smsc.js';
import { GatewayClient, adminHeaders, msk, tempDir, uid, until } from './test-support/test-kairos.js';

/**
 * Two-way SMS over SMPP 3.4 from a node with two shards (`KAIROS_SHARDS=2`,
 * `KAIROS_SMPP_URL`), against an SMSC simulator started here: the node binds once (an SMSC
 * hands receipts and replies to any bind); each shard's ATM shortfall SMS goes out through that
 * bind; a receipt reaches the contact in its shard; a customer's reply "1" accepts the credit
 * there, whichever shard the customer lives on.
 */

interface Submitted {
  pdu: SmppPdu;
  text: string;
}

const submitted: Submitted[] = [];
let nextId = 0;
let smsc: TestSmsc;

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
let k: ShardedKairos;
let http: string;
/** When the customers' cards are declined (Moscow, midday). */
const AT = msk('2026-11-24T12:00:00');

beforeAll(async () => {
  smsc = await startTestSmsc((pdu) => {
    submitted.push({ pdu, text: decodeShortMessage(pdu.short_message, pdu.data_coding) });
    return { message_id: `m-${++nextId}` };
  });
  const port = smsc.port;
  // A manual clock at the ATM events' time: a reply is stamped with the node's clock, and the offers it answers expire an hour after the event.
  const config = loadConfig(
    {},
    { port: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: true, logLevel: 'warn', shutdownTimeoutMs: 5000, segmentSweepMs: 0, smppUrl: `smpp://127.0.0.1:${port}`, smppSystemId: 'kairos', smppPassword: 'secret', smppSource: 'BANK', deliveryPollMs: 20, clock: 'manual', clockStart: AT },
  );
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
  http = `http://127.0.0.1:${k.port}`;
}, 60_000);

afterAll(async () => {
  await k.close();
  await smsc.close();
  data.remove();
});

async function api(path: string): Promise<any> {
  return (await fetch(`${http}${path}`, { headers: adminHeaders })).json();
}

describe('SMS over SMPP on a node with two shards', () => {
  it("sends each shard's SMS through the node's one bind, records its receipt in the customer's shard, and a reply \"1\" accepts the credit there", async () => {
    // A customer on each shard offered the ATM shortfall credit by SMS.
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    const offered: Array<{ id: string; instance: string; phone: string }> = [];
    for (let n = 1; n < 200 && offered.length < 2; n++) {
      const id = `demo-${n}`;
      if (offered.some((o) => shardOf(o.id, 2) === shardOf(id, 2))) continue;
      const d = await gw.request({ t: 'event', id: uid('d'), type: 'atm.withdrawal.declined', customer: { id }, channel: 'atm', at: AT, data: { requested: 1000, balance: 800 } });
      const sms = (d.actions as Array<{ channel: string; instance: string }>).find((a) => a.channel === 'sms');
      if (sms === undefined) continue;
      const phone = ((await api(`/v1/customers/${id}`)).identifiers.phone as string[])[0]!;
      offered.push({ id, instance: sms.instance, phone });
    }
    gw.close();
    expect(offered.map((o) => shardOf(o.id, 2)).sort()).toEqual([0, 1]);

    // One bind for the node; both SMS at the SMSC, each to its customer's phone; the outbox empty once accepted.
    await until('both SMS at the SMSC', () => (new Set(submitted.map((s) => s.pdu.destination_addr)).size >= 2 ? true : undefined));
    expect(smsc.binds).toBe(1);
    expect(new Set(submitted.map((s) => s.pdu.destination_addr))).toEqual(new Set(offered.map((o) => o.phone.replace('+', ''))));
    await until('an empty SMS outbox', async () => ((await api('/v1/outbox/sms')).entries.length === 0 ? true : undefined));

    // Each message's receipt (its last part's id), then the customer's "1": the contact in its shard learns delivered, then accepted.
    for (const o of offered) {
      const parts = submitted.filter((s) => s.pdu.destination_addr === o.phone.replace('+', ''));
      const last = submitted.indexOf(parts[parts.length - 1]!) + 1;
      await smsc.deliver({ source_addr: o.phone.replace('+', ''), esm_class: 0x04, short_message: `id:m-${last} sub:001 dlvrd:001 submit date:2611241200 done date:2611241200 stat:DELIVRD err:000 text:` });
      await until('the contact delivered', async () => ((await api(`/v1/customers/${o.id}`)).contacts as Array<{ instance: string; delivery?: string }>).find((c) => c.instance === o.instance && c.delivery === 'delivered'));
      await smsc.deliver({ source_addr: o.phone.replace('+', ''), esm_class: 0, short_message: '1' });
      await until('the credit accepted', async () => ((await api(`/v1/customers/${o.id}`)).contacts as Array<{ instance: string; outcome?: string }>).find((c) => c.instance === o.instance && c.outcome === 'accepted'));
    }
    // The back office is to issue both credits, each from its customer's shard.
    const backoffice = await until('both back-office actions', async () => {
      const entries = (await api('/v1/outbox/backoffice?limit=100')).entries as Array<{ instance: string; action: string }>;
      const ours = entries.filter((e) => offered.some((o) => o.instance === e.instance));
      return ours.length === 2 ? ours : undefined;
    });
    expect(backoffice.every((e) => e.action === 'issue_credit')).toBe(true);
  }, 60_000);
});
