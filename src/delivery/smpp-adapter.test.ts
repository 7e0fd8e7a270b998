import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { ManualClock, systemClock } from '../clock.js';
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
/** the manual clock's start (only the receipt bound's wall clock reads it; the offers expire a day after the run, on the system clock the adapter and dispatcher keep) */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const reports: Array<[string, string, string | undefined]> = [];
/** the customers' replies the adapter took: `sms.received` events */
const events: GatewayEvent[] = [];
const host: DeliveryHost = {
  submitDelivery: (instance, status, reason) => {
    reports.push([instance, status, reason]);
    return Promise.resolve({ kind: 'ack' });
  },
  submitEvent: (event) => {
    events.push(event);
    return Promise.resolve({ kind: 'ack' });
  },
};

const sms = (i: number, text = 'Hello'): OutboxRecord => ({ kind: 'offer', instance: `c-${i}:1.a`, customer: `c-${i}`, channel: 'sms', campaign: 'camp', offer: 'off', content: { text }, expiresAt: Date.now() + 86_400_000, at: i, to: `+7916000000${i % 10}`, seq: 0, attempts: 0 });

let smsc: TestSmsc | undefined;
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Bounded: a stop() that hangs is the test's failure, not the run's.
  for (const close of closing.splice(0).reverse()) await Promise.race([close(), sleep(2000)]);
  await smsc?.close();
  smsc = undefined;
  reports.length = 0;
  events.length = 0;
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
    // A second apart: the arrivals are stamped at the SMSC, so one held up by a busy machine
    // (a test server, a timer firing a few ms early) shortens the gap after it, never the span.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(850);
    expect(submits[5]!.at - submits[0]!.at).toBeGreaterThanOrEqual(4950);
    await sleep(300);
    expect(submits).toHaveLength(6);
  }, 15_000);
});

/** A receipt's text (SMPP 3.4 appendix B) for the message `id`, in state `stat`. */
const receiptText = (id: string, stat: string): string => `id:${id} sub:001 dlvrd:000 submit date:2611241200 done date:2611241200 stat:${stat} err:000 text:`;

/** The texts of the customers' replies taken, once `last` (a reply sent behind the rest: replies are handled in order) is among them. */
async function repliesThrough(last: string): Promise<string[]> {
  return until(`the reply "${last}"`, () => {
    const texts = events.map((e) => (e.data as { text: string }).text);
    return texts.includes(last) ? texts : undefined;
  });
}

describe('SmppAdapter: a deliver_sm is the customer\'s reply only when it is a mobile-originated message', () => {
  it('an intermediate notification, an SME acknowledgement, a reserved type and a receipt it cannot read are answered and never taken as a reply "1"', async () => {
    await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const a = adapter();
    await a.send(sms(1));
    const phone = '79160000001';
    const notices: Array<Record<string, unknown>> = [
      // an intermediate delivery notification (esm_class 0x20), with and without the reply-path bit
      { esm_class: 0x20, short_message: '1' },
      { esm_class: 0xa0, short_message: '1' },
      { esm_class: 0x20, short_message: receiptText('m-1', 'ENROUTE'), receipted_message_id: 'm-1', message_state: 1 },
      // the SME's delivery acknowledgement and its manual/user acknowledgement
      { esm_class: 0x08, short_message: '1' },
      { esm_class: 0x10, short_message: '1' },
      // a conversation abort and a reserved message type
      { esm_class: 0x18, short_message: '1' },
      { esm_class: 0x0c, short_message: '1' },
      // a receipt whose text is not appendix B's, with no receipt TLVs
      { esm_class: 0x04, short_message: '1' },
      // a message type 0 that carries the receipt TLVs: a receipt, not a reply
      { esm_class: 0x00, short_message: '1', receipted_message_id: 'm-1', message_state: 1 },
    ];
    for (const fields of notices) {
      const resp = await smsc!.deliver({ source_addr: phone, ...fields });
      expect(resp).toMatchObject({ command: 'deliver_sm_resp', command_status: 0 });
    }
    // The customer's own "2" behind them, with the reply-path bit set (masked out, as the UDHI bit): the one reply taken.
    await smsc!.deliver({ source_addr: phone, esm_class: 0x80, short_message: '2' });
    expect(await repliesThrough('2')).toEqual(['2']);
    expect(events[0]).toMatchObject({ type: 'sms.received', customer: { phone: '+79160000001' }, data: { text: '2' } });
    // None of them was final: no delivery recorded.
    expect(reports).toEqual([]);
  });

  it('a receipt or notification in a state that is not final (ENROUTE, ACCEPTD, by text or by message_state) records nothing; the final receipt after it does', async () => {
    await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const a = adapter();
    await a.send(sms(1));
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x20, short_message: receiptText('m-1', 'ENROUTE') });
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x04, short_message: receiptText('m-1', 'ENROUTE') });
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x04, short_message: receiptText('m-1', 'ACCEPTD') });
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x20, short_message: '', receipted_message_id: 'm-1', message_state: 1 });
    expect(a.awaitingReceipts).toBe(1);
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x04, short_message: receiptText('m-1', 'DELIVRD') });
    await until('the receipt recorded', () => (reports.length > 0 ? true : undefined), 2000);
    await sleep(100);
    expect(reports).toEqual([['c-1:1.a', 'delivered', undefined]]);
    expect(a.awaitingReceipts).toBe(0);
    expect(events).toEqual([]);
  });

  it('an intermediate notification in a final state is recorded as that state; a receipt read by its TLVs (receipted_message_id, message_state) when its text is not appendix B\'s', async () => {
    await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const a = adapter();
    await a.send(sms(1));
    await a.send(sms(2));
    await a.send(sms(3));
    // m-1: an intermediate notification saying delivered (message_state 2)
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x20, short_message: '', receipted_message_id: 'm-1', message_state: 2 });
    // m-2: a receipt with a text of the SMSC's own and the TLVs: undeliverable (5)
    await smsc!.deliver({ source_addr: '79160000002', esm_class: 0x04, short_message: 'Your message could not be delivered', receipted_message_id: 'm-2', message_state: 5 });
    // m-3: an appendix B receipt with an empty receipted_message_id (some SMSCs send one): the text's id
    await smsc!.deliver({ source_addr: '79160000003', esm_class: 0x04, short_message: receiptText('m-3', 'DELIVRD'), receipted_message_id: '' });
    await until('all three recorded', () => (reports.length >= 3 ? true : undefined), 2000);
    expect(reports).toEqual([
      ['c-1:1.a', 'delivered', undefined],
      ['c-2:1.a', 'failed', 'UNDELIV'],
      ['c-3:1.a', 'delivered', undefined],
    ]);
    expect(events).toEqual([]);
  });
});

describe('SmppAdapter: the messages waiting for their receipts are bounded', () => {
  it('on a manual clock: a message whose receipt has not come within the receipt timeout is forgotten (its contact stays queued), and a receipt after that counts as none', async () => {
    await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const clock = new ManualClock(T0);
    const a = adapter({ receiptTimeoutMs: 60_000, wallClock: () => clock.now() });
    for (let i = 1; i <= 3; i++) await a.send(sms(i));
    expect(a.awaitingReceipts).toBe(3);
    clock.advance(30_000);
    await a.send(sms(4));
    expect(a.awaitingReceipts).toBe(4);
    // Past the timeout for the first three, not for the fourth.
    clock.advance(30_001);
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x04, short_message: receiptText('m-1', 'DELIVRD') });
    expect(a.awaitingReceipts).toBe(1);
    await smsc!.deliver({ source_addr: '79160000004', esm_class: 0x04, short_message: receiptText('m-4', 'DELIVRD') });
    await until('the receipt recorded', () => (reports.length > 0 ? true : undefined), 2000);
    await sleep(100);
    expect(reports).toEqual([['c-4:1.a', 'delivered', undefined]]);
    expect(a.awaitingReceipts).toBe(0);
    // An SMSC that never sends receipts: the map does not grow past what the timeout holds.
    for (let i = 5; i <= 24; i++) {
      await a.send(sms(i));
      clock.advance(10_000);
    }
    // sent 10 s apart: those sent within the last 60 s (the last one sent 10 s ago)
    expect(a.awaitingReceipts).toBe(6);
    expect(reports).toHaveLength(1);
  });

  it('past the count kept, the oldest is forgotten first', async () => {
    await startSmsc((_pdu, _session, n) => ({ message_id: `m-${n}` }));
    const a = adapter({ maxAwaitingReceipts: 2 });
    for (let i = 1; i <= 3; i++) await a.send(sms(i));
    expect(a.awaitingReceipts).toBe(2);
    await smsc!.deliver({ source_addr: '79160000001', esm_class: 0x04, short_message: receiptText('m-1', 'DELIVRD') });
    await smsc!.deliver({ source_addr: '79160000003', esm_class: 0x04, short_message: receiptText('m-3', 'UNDELIV') });
    await until('the receipt recorded', () => (reports.length > 0 ? true : undefined), 2000);
    await sleep(100);
    expect(reports).toEqual([['c-3:1.a', 'failed', 'UNDELIV']]);
    expect(a.awaitingReceipts).toBe(1);
  });
});
