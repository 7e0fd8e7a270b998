import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { MemoryStore } from '../store/memory-store.js';
import type { OutboxRecord } from '../store/store.js';
import type { TestSmsc, TestSmscSession } from '../test-support/smsc.js';
import { PDU, startTestSmsc } from '../test-support/smsc.js';
import { NodeSms } from '../shards/smpp-relay.js';
import { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost } from './delivery-host.js';
import { OutboxDispatcher } from './dispatcher.js';
import type { SmppPdu, SmppOptions } from './smpp-adapter.js';
import { SmppAdapter } from './smpp-adapter.js';

/**
 * The SMPP adapter and the dispatcher against an SMSC simulator started here, at the edges a
 * live SMSC shows: a connection dropped with a submit_sm unanswered, a submit_sm never
 * answered, a receipt in the same TCP read as the submit_sm's answer; and the rate, which
 * counts submit_sm parts.
 */

/** the offers expire in 2030: the dispatcher runs on the system clock (its retries are due in real time) */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const reports: Array<[string, string, string | undefined]> = [];
const host: DeliveryHost = {
  submitDelivery: (instance, status, reason) => {
    reports.push([instance, status, reason]);
    return Promise.resolve({ kind: 'ack' });
  },
  submitEvent: () => Promise.resolve({ kind: 'ack' }),
};

const sms = (i: number, text = 'Hello'): OutboxRecord => ({ kind: 'offer', instance: `c-${i}:1.a`, customer: `c-${i}`, channel: 'sms', campaign: 'camp', offer: 'off', content: { text }, expiresAt: T0 + 3_600_000, at: i, to: `+7916000000${i % 10}`, seq: 0, attempts: 0 });

let smsc: TestSmsc | undefined;
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Bounded: a stop() that hangs is the test's failure, not the run's.
  for (const close of closing.splice(0).reverse()) await Promise.race([close(), sleep(2000)]);
  await smsc?.close();
  smsc = undefined;
  reports.length = 0;
});

/** Submits as the SMSC saw them (with their time); `answer` says what it does with the n-th (from 1). */
async function startSmsc(answer: (pdu: SmppPdu, session: TestSmscSession, n: number) => Record<string, unknown> | undefined): Promise<Array<{ pdu: SmppPdu; at: number }>> {
  const submits: Array<{ pdu: SmppPdu; at: number }> = [];
  smsc = await startTestSmsc((pdu, session) => {
    submits.push({ pdu, at: performance.now() });
    return answer(pdu, session, submits.length);
  });
  return submits;
}

function adapter(options: Partial<SmppOptions> = {}): SmppAdapter {
  const a = new SmppAdapter({ url: `smpp://127.0.0.1:${smsc!.port}`, systemId: 'kairos', password: 'secret', source: 'BANK', ratePerSec: 100, logger: createLogger('silent'), clock: systemClock, host, ...options });
  closing.push(() => a.close());
  return a;
}

function dispatcher(a: SmppAdapter, store = new MemoryStore()): { d: OutboxDispatcher; store: MemoryStore; committed: CommittedFeed } {
  const committed = new CommittedFeed();
  const d = new OutboxDispatcher({ store, clock: systemClock, logger: createLogger('silent'), metrics: createMetrics(), host, committed, adapters: [a], maxAttempts: 3, backoffMs: 30, pollMs: 20, subscriberWindow: 100 });
  closing.push(() => d.stop());
  return { d, store, committed };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves to 'stopped', or to 'hung' when `stop()` is still waiting after `ms`. */
function stopWithin(d: OutboxDispatcher, ms: number): Promise<string> {
  return Promise.race([d.stop().then(() => 'stopped'), sleep(ms).then(() => 'hung')]);
}

describe('SmppAdapter: every submit_sm ends', () => {
  it('an SMSC that drops the connection with a submit_sm unanswered: the attempt fails, the SMS is sent again on a new bind, and stop() returns', async () => {
    const submits = await startSmsc((_pdu, session, n) => {
      if (n === 1) {
        session.socket.destroy();
        return undefined;
      }
      return { message_id: `m-${n}` };
    });
    const { d, store, committed } = dispatcher(adapter());
    committed.push(await store.commit({ snapshots: [], identities: [], outbox: [sms(1)] }));
    d.start();
    // The attempt fails as the connection closes; the retry binds at once.
    await until('the SMS sent on the second bind', async () => ((await store.listOutbox('sms', 10)).length === 0 ? true : undefined), 4000);
    expect(submits.length).toBe(2);
    expect(smsc!.binds).toBe(2);
    expect(await stopWithin(d, 2000)).toBe('stopped');
  });

  it('a submit_sm the SMSC never answers fails after the submit timeout and is retried; stop() does not wait past it', async () => {
    const submits = await startSmsc((_pdu, _session, n) => (n === 1 ? undefined : { message_id: `m-${n}` }));
    const { d, store, committed } = dispatcher(adapter({ submitTimeoutMs: 300 }));
    committed.push(await store.commit({ snapshots: [], identities: [], outbox: [sms(1)] }));
    d.start();
    await until('the first submit at the SMSC', () => (submits.length === 1 ? true : undefined));
    // Unanswered: still in the outbox, and stop() waits for it only until the timeout.
    const stopped = stopWithin(d, 1500);
    expect(await stopped).toBe('stopped');
    const [entry] = await store.listOutbox('sms', 10);
    expect(entry).toMatchObject({ instance: 'c-1:1.a', attempts: 1, lastError: expect.stringContaining('unanswered') as unknown });

    // Started again: the retry goes and is answered.
    const again = dispatcher(adapter({ submitTimeoutMs: 300 }), store);
    again.d.start();
    await until('the retry answered', async () => ((await store.listOutbox('sms', 10)).length === 0 ? true : undefined), 4000);
    expect(submits.length).toBe(2);
  });

  it('on a node with shards, the relay of an SMS whose connection drops mid-submit settles, and a shard\'s retry sends it again', async () => {
    const submits = await startSmsc((_pdu, session, n) => {
      if (n === 1) {
        session.socket.destroy();
        return undefined;
      }
      return { message_id: `m-${n}` };
    });
    const a = adapter();
    const node = new NodeSms((record) => a.send(record), 100);
    const first = await Promise.race([node.relay(sms(1)).then(() => 'sent', (err: Error) => err.message), sleep(3000).then(() => 'pending')]);
    expect(first).toMatch(/closed/);
    await node.relay(sms(1));
    expect(submits.length).toBe(2);
  });
});

describe('SmppAdapter: receipts', () => {
  it('a receipt the SMSC writes in the same write as the submit_sm_resp marks the contact delivered', async () => {
    const submits = await startSmsc((pdu, session, n) => {
      const id = `m-${n}`;
      const resp = pdu.response({ message_id: id }) as SmppPdu & { toBuffer(): Buffer };
      const receipt = new PDU('deliver_sm', { sequence_number: 900 + n, source_addr: '79160000001', destination_addr: 'BANK', esm_class: 0x04, short_message: `id:${id} sub:001 dlvrd:001 submit date:2611241200 done date:2611241200 stat:DELIVRD err:000 text:` });
      // Only the last part's receipt counts; the SMSC sends one for each, each right behind its answer.
      session.socket.write(Buffer.concat([resp.toBuffer(), receipt.toBuffer()]));
      return undefined;
    });
    const a = adapter();
    // Two UCS-2 parts: the receipt for the second stands for the message.
    await a.send(sms(1, 'Ж'.repeat(100)));
    expect(submits.length).toBe(2);
    await until('the receipt recorded', () => (reports.length > 0 ? true : undefined), 2000);
    expect(reports).toEqual([['c-1:1.a', 'delivered', undefined]]);
  });
});

describe('SmppAdapter: KAIROS_SMPP_RATE counts parts', () => {
  it('at 1 a second, two 3-part SMS go as six submit_sm a second apart', async () => {
    const submits = await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const { d, store, committed } = dispatcher(adapter({ ratePerSec: 1 }));
    // 200 Cyrillic letters: three UCS-2 parts each.
    const long = 'Ж'.repeat(200);
    committed.push(await store.commit({ snapshots: [], identities: [], outbox: [sms(1, long), sms(2, long)] }));
    d.start();
    await until('six parts at the SMSC', () => (submits.length >= 6 ? true : undefined), 8000);
    const gaps = submits.slice(1).map((s, i) => s.at - submits[i]!.at);
    // A second apart (a timer may fire a few ms early).
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(990);
    await sleep(300);
    expect(submits).toHaveLength(6);
  }, 15_000);
});
