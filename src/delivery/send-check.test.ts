import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerInput, GatewayEvent } from '../../actors/index.js';
import { compileCatalog, initialCustomerContext } from '../../actors/index.js';
import { granted, testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createMetrics } from '../metrics.js';
import { BudgetLedger, CapacityLedger } from '../runtime/budget-ledger.js';
import { CustomerHost } from '../runtime/customer-host.js';
import { FunnelLedger } from '../runtime/funnel-ledger.js';
import { ModelRegistry } from '../runtime/model-registry.js';
import { PropensityLedger } from '../runtime/propensity-ledger.js';
import { UpliftLedger } from '../runtime/uplift-ledger.js';
import { StopList } from '../stop-list.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { CustomerRecord, OutboxRecord, Store } from '../store/store.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { backofficeEntry } from '../test-support/outbox-entries.js';
import { until } from '../test-support/test-kairos.js';
import { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost, SendFacts } from './delivery-host.js';
import { OutboxDispatcher } from './dispatcher.js';
import type { DeliverFrame, Subscriber } from './gateway-subscribers.js';
import { SmppAdapter } from './smpp-adapter.js';
import type { TestSmsc } from '../test-support/smsc.js';
import { startTestSmsc } from '../test-support/smsc.js';
import { sendProblem } from './send-check.js';
import { SmtpAdapter } from './smtp-adapter.js';

/**
 * The send-time check, as a bank meets it: SMS queued for many customers while the dispatcher
 * waits, then half of them opt out (the stop list by phone, a consent.revoked event); once the
 * dispatcher runs, a real SMPP peer (an SMSC simulator started here) gets the other half only,
 * and the opted-out customers' contacts and the funnel say `suppressed` with the reason. An
 * offer past its expiry is cancelled as `expired`. The host runs without sockets, on the
 * memory store and a manual clock, with fewer live actors than customers (the check activates
 * a passivated actor to read its consents).
 */

const HOUR = 3_600_000;
/** 10:00 in Moscow on a day of the manual clock */
const T0 = Date.UTC(2030, 0, 15, 7, 0);
/** The brain's test catalog, with a letter (e-mail) and a push nudge on test events, neither held back by quiet hours or recency. */
const catalog = compileCatalog(
  (() => {
    const def = testCatalogDef();
    def.offers.push({
      id: 'letter',
      name: 'Letter',
      value: 10,
      templates: { email: { subject: 'Вклад для вас', text: '{{customer.name}}, откройте вклад.' }, push: { title: 'Вклад', text: '{{customer.name}}, откройте вклад.' } },
    });
    for (const [id, channel] of [['letter', 'email'], ['nudge', 'push']] as const) {
      def.campaigns.push({
        id,
        name: id,
        status: 'active',
        offer: 'letter',
        channels: [channel],
        trigger: { events: [`test.${id}`] },
        groups: [{ id: 'clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 30 }],
        expiresIn: '1h',
        quietHoursExempt: true,
        recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 1 },
      });
    }
    return def;
  })(),
);

const submitted: Array<{ to: string; at: number }> = [];
let smsc: TestSmsc;

/** the letters the SMTP peer received: to whom */
const letters: string[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, done) {
    simpleParser(stream).then(
      (m) => {
        const to = Array.isArray(m.to) ? m.to[0] : m.to;
        letters.push(to?.value[0]?.address ?? '');
        done();
      },
      (err: Error) => done(err),
    );
  },
});
let smtpPort = 0;

beforeAll(async () => {
  smsc = await startTestSmsc((pdu) => {
    submitted.push({ to: pdu.destination_addr ?? '', at: performance.now() });
    return { message_id: `m-${submitted.length}` };
  });
  await new Promise<void>((resolve) => {
    smtp.listen(0, '127.0.0.1', () => resolve());
  });
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await smsc.close();
  await new Promise<void>((resolve) => {
    smtp.close(() => resolve());
  });
});

const phoneOf = (n: number): string => `+7916${String(n).padStart(7, '0')}`;

const client = (n: number): CustomerRecord => ({
  stage: 'client',
  profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 40 },
  identifiers: { card: [`card-${n}`], phone: [phoneOf(n)], email: [`c${n}@bank.example`] },
  consents: granted,
  importedAt: T0 - 24 * HOUR,
});

interface Bank {
  host: CustomerHost;
  store: Store;
  clock: ManualClock;
  metrics: Metrics;
  stopList: StopList;
  funnel: FunnelLedger;
  dispatcher: OutboxDispatcher;
  sms: SmppAdapter;
  close(): Promise<void>;
}

interface BankExtras {
  /** the send claim's pause (DispatcherOptions.beforeClaim) */
  beforeClaim?: (r: OutboxRecord) => Promise<void>;
  /** what the dispatcher sees of the host (a host that is busy once) */
  deliveryHost?: (host: CustomerHost) => DeliveryHost;
}

async function bank(count: number, shared?: { store: Store; consumer: string; import: boolean; maxHotActors?: number }, smsRate = 100_000, extras: BankExtras = {}): Promise<Bank> {
  const store = shared?.store ?? new MemoryStore();
  if (shared === undefined || shared.import) await store.importCustomers(Array.from({ length: count }, (_, i) => ({ id: `c-${i + 1}`, record: client(i + 1) })));
  const clock = new ManualClock(T0);
  const metrics = createMetrics();
  const logger = createLogger('silent');
  const stopList = new StopList(store);
  await stopList.load();
  const funnel = new FunnelLedger();
  const committed = new CommittedFeed();
  const host = new CustomerHost({
    store,
    catalog: () => catalog,
    clock,
    logger,
    metrics,
    stopList,
    ledger: new BudgetLedger(),
    capacity: new CapacityLedger(),
    propensity: new PropensityLedger(),
    models: new ModelRegistry(),
    uplift: new UpliftLedger(),
    funnel,
    durability: 'commit',
    flushIntervalMs: 10,
    flushBatch: 1000,
    // Fewer live actors than customers: the check activates the passivated ones.
    maxHotActors: shared?.maxHotActors ?? Math.max(10, Math.floor(count / 4)),
    maxInFlight: 10_000,
    onCommitted: committed.push,
  });
  const sms = new SmppAdapter({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'kairos', password: 'secret', source: 'BANK', ratePerSec: smsRate, logger, clock, host });
  const email = new SmtpAdapter({ url: `smtp://127.0.0.1:${smtpPort}`, from: 'bank@bank.example', publicUrl: 'https://kairos.bank.example', unsubscribeSecret: 'test-unsubscribe-secret', ratePerSec: 100_000 });
  const dispatcher = new OutboxDispatcher({
    store,
    clock,
    logger,
    metrics,
    host: extras.deliveryHost?.(host) ?? host,
    committed,
    adapters: [sms, email],
    ...(shared === undefined ? {} : { consumer: shared.consumer }),
    ...(extras.beforeClaim === undefined ? {} : { beforeClaim: extras.beforeClaim }),
    maxAttempts: 3,
    backoffMs: 30,
    pollMs: 20,
    subscriberWindow: 10_000,
  });
  return {
    host,
    store,
    clock,
    metrics,
    stopList,
    funnel,
    dispatcher,
    sms,
    async close() {
      await dispatcher.stop();
      await host.close(5_000);
    },
  };
}

let seq = 0;
const shortfall = (n: number): GatewayEvent => ({ id: `e-${++seq}`, type: 'atm.withdrawal.declined', customer: { id: `c-${n}` }, channel: 'atm', at: T0, data: { requested: 1000, balance: 800 } });
const revoke = (n: number, at: number, channel: string): GatewayEvent => ({ id: `r-${++seq}`, type: 'consent.revoked', customer: { id: `c-${n}` }, channel: 'web', at, data: { channel } });
const trigger = (n: number, campaign: string): GatewayEvent => ({ id: `e-${++seq}`, type: `test.${campaign}`, customer: { id: `c-${n}` }, channel: 'web', at: T0, data: {} });

async function counter(metrics: Metrics, labels: string): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString('kairos_deliveries_total');
  return Number(new RegExp(`^kairos_deliveries_total\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

async function queueShortfalls(b: Bank, count: number): Promise<void> {
  await queue(b, count, 'sms', shortfall);
}

async function queue(b: Bank, count: number, channel: string, event: (n: number) => GatewayEvent): Promise<void> {
  const replies = await Promise.all(Array.from({ length: count }, (_, i) => b.host.submitEvent(event(i + 1))));
  for (const r of replies) expect(r).toMatchObject({ kind: 'decision', actions: [{ channel }] });
  await b.host.flush();
  expect(await b.store.listOutbox(channel, count + 1)).toHaveLength(count);
}

async function deliveryOf(b: Bank, n: number, channel = 'sms'): Promise<{ delivery: string; suppressed?: string }> {
  const view = await b.host.view(`c-${n}`);
  const contact = view?.contacts.find((c) => c.channel === channel);
  expect(contact).toBeDefined();
  return { delivery: contact!.delivery, ...(contact!.suppressed === undefined ? {} : { suppressed: contact!.suppressed }) };
}

describe('checked at send time', () => {
  it('1,000 queued SMS, half the customers opt out before they go: 500 reach the SMSC, 500 are suppressed in their history and the funnel', async () => {
    const N = 1000;
    submitted.length = 0;
    const b = await bank(N);
    try {
      await queueShortfalls(b, N);
      // Customers 1-250: the stop list by phone; 251-500: a consent.revoked event for SMS.
      for (let n = 1; n <= 250; n++) await b.stopList.add({ kind: 'phone', value: phoneOf(n) }, b.clock.now(), 'test');
      const acks = await Promise.all(Array.from({ length: 250 }, (_, i) => b.host.submitEvent(revoke(251 + i, T0 + 60_000, 'sms'))));
      for (const a of acks) expect(a.kind).not.toBe('error');

      b.dispatcher.start();
      await until('the SMS outbox empty', async () => ((await b.store.listOutbox('sms', N + 1)).length === 0 ? true : undefined), 60_000);
      await until('500 at the SMSC', () => (submitted.length >= 500 ? true : undefined), 60_000);
      const to = new Set(submitted.map((s) => s.to));
      expect(submitted).toHaveLength(500);
      for (let n = 1; n <= 500; n++) expect(to.has(phoneOf(n).slice(1))).toBe(false);
      for (let n = 501; n <= N; n++) expect(to.has(phoneOf(n).slice(1))).toBe(true);

      expect(await counter(b.metrics, 'channel="sms",result="suppressed"')).toBe(500);
      await until('the suppressions recorded', async () => ((await deliveryOf(b, 500)).delivery === 'suppressed' ? true : undefined));
      await b.host.flush();
      expect(await deliveryOf(b, 1)).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 250)).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 251)).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      expect(await deliveryOf(b, 500)).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      // The SMS adapter reports delivery with the SMSC's receipt: until then the sent ones stay queued.
      expect(await deliveryOf(b, 501)).toEqual({ delivery: 'queued' });

      const [row] = b.funnel.report({ campaign: 'shortfall', by: [] });
      expect(row).toMatchObject({ offered: N, suppressed: 500, suppressedBy: { stop_list: 250, no_consent: 250 } });
    } finally {
      await b.close();
    }
  }, 120_000);

  it('e-mail to a real SMTP peer and pushes to a delivery subscriber (the gateway-subscriber adapter): the opted-out half gets nothing, the rest everything', async () => {
    const N = 200;
    letters.length = 0;
    const b = await bank(N);
    try {
      await queue(b, N, 'email', (n) => trigger(n, 'letter'));
      // The push nudges: queued for the subscriber that comes below (none is subscribed yet).
      await queue(b, N, 'push', (n) => trigger(n, 'nudge'));
      // 1-50: the stop list (e-mail address; the customer for push); 51-100: consent revoked on both channels.
      for (let n = 1; n <= 50; n++) {
        await b.stopList.add({ kind: 'email', value: `c${n}@bank.example` }, b.clock.now(), 'test');
        await b.stopList.add({ kind: 'customer', value: `c-${n}`, channel: 'push' }, b.clock.now(), 'test');
      }
      for (let n = 51; n <= 100; n++) {
        expect((await b.host.submitEvent(revoke(n, T0 + 60_000, 'email'))).kind).not.toBe('error');
        expect((await b.host.submitEvent(revoke(n, T0 + 60_000, 'push'))).kind).not.toBe('error');
      }

      b.dispatcher.start();
      const frames: DeliverFrame[] = [];
      const sub: Subscriber = { open: true, deliver: (f) => frames.push(f) };
      b.dispatcher.subscribers.subscribe(sub, ['push']);

      await until('the e-mail outbox empty', async () => ((await b.store.listOutbox('email', N + 1)).length === 0 ? true : undefined), 60_000);
      await until('100 letters', () => (letters.length >= 100 ? true : undefined), 60_000);
      await until('100 pushes and the rest cancelled', async () => (frames.length >= 100 && (await b.store.listOutbox('push', N + 1)).length === 100 ? true : undefined), 60_000);
      expect(new Set(letters)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `c${101 + i}@bank.example`)));
      expect(new Set(frames.map((f) => f.customer))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `c-${101 + i}`)));
      // The pushed ones wait for the subscriber's confirmation; the cancelled ones are gone.
      for (const f of await b.store.listOutbox('push', N + 1)) expect(Number(f.customer.slice(2))).toBeGreaterThan(100);

      await until('the suppressions recorded', async () => ((await deliveryOf(b, 100, 'push')).delivery === 'suppressed' ? true : undefined));
      expect(await deliveryOf(b, 1, 'email')).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 1, 'push')).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 51, 'email')).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      expect(await deliveryOf(b, 100, 'push')).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      expect(await deliveryOf(b, 101, 'email')).toEqual({ delivery: 'delivered' });
      expect(await counter(b.metrics, 'channel="email",result="suppressed"')).toBe(100);
      expect(await counter(b.metrics, 'channel="push",result="suppressed"')).toBe(100);
      expect(b.funnel.report({ campaign: 'letter', by: [] })[0]).toMatchObject({ offered: N, delivered: 100, suppressed: 100, suppressedBy: { stop_list: 50, no_consent: 50 } });
      expect(b.funnel.report({ campaign: 'nudge', by: [] })[0]).toMatchObject({ offered: N, suppressed: 100, suppressedBy: { stop_list: 50, no_consent: 50 } });
    } finally {
      await b.close();
    }
  }, 120_000);

  it('under load: once an opt-out is acknowledged, no send to that customer starts', async () => {
    const N = 400;
    submitted.length = 0;
    // 200 SMS a second: the queue takes two seconds to drain, the opt-outs come while it flows.
    const b = await bank(N, undefined, 200);
    try {
      await queueShortfalls(b, N);
      b.dispatcher.start();
      await until('sends flowing', () => (submitted.length >= 40 ? true : undefined), 60_000);
      // After each opt-out is acknowledged, a marker SMS is handed to the same SMPP connection:
      // the SMSC receives in the order handed over, so a send that started after the
      // acknowledgement would arrive after the marker.
      const [first] = await b.store.listOutbox('sms', 1);
      if (first?.kind !== 'offer') throw new Error('expected an SMS offer in the outbox');
      const marker = (n: number): OutboxRecord => ({ ...first, instance: `marker-${n}`, to: `+7999${String(n).padStart(7, '0')}`, content: { text: 'marker' } });
      const markers: Array<Promise<void>> = [];
      for (let n = 201; n <= N; n += 2) {
        if (n % 4 === 1) await b.stopList.add({ kind: 'phone', value: phoneOf(n) }, b.clock.now(), 'test');
        else expect((await b.host.submitEvent(revoke(n, T0 + 60_000, 'sms'))).kind).not.toBe('error');
        markers.push(b.sms.send(marker(n)));
      }
      await Promise.all(markers);
      await until('the SMS outbox empty', async () => ((await b.store.listOutbox('sms', N + 1)).length === 0 ? true : undefined), 60_000);
      const order = new Map(submitted.map((s, i) => [s.to, i]));
      let suppressed = 0;
      for (let n = 201; n <= N; n += 2) {
        const sent = order.get(phoneOf(n).slice(1));
        const mark = order.get(`7999${String(n).padStart(7, '0')}`);
        expect(mark).toBeDefined();
        if (sent === undefined) suppressed++;
        else expect(sent, `customer ${n}: sent after its opt-out was acknowledged`).toBeLessThan(mark!);
      }
      // Most of them were still queued when they opted out.
      expect(suppressed).toBeGreaterThan(0);
      expect(await counter(b.metrics, 'channel="sms",result="suppressed"')).toBe(suppressed);
      expect(submitted.length).toBe(N - suppressed + 100);
    } finally {
      await b.close();
    }
  }, 120_000);

  it('a cancellation the host did not take (busy) is tried again at the next pass, though nothing reads the entry again', async () => {
    const N = 4;
    let busy = 1;
    // The real host, busy for the first cancellation it is asked for.
    const b = await bank(N, undefined, 100_000, {
      deliveryHost: (host) => ({
        submitDelivery: (instance, status, reason) => (status === 'suppressed' && busy-- > 0 ? Promise.resolve({ kind: 'error', code: 'overloaded', message: 'busy' }) : host.submitDelivery(instance, status, reason)),
        submitEvent: (event) => host.submitEvent(event),
        sendFacts: (customer, ref) => host.sendFacts(customer, ref),
        activate: (customer) => host.activate(customer),
      }),
    });
    try {
      await queue(b, N, 'push', (n) => trigger(n, 'nudge'));
      await b.stopList.add({ kind: 'customer', value: 'c-1', channel: 'push' }, b.clock.now(), 'test');
      const frames: DeliverFrame[] = [];
      b.dispatcher.subscribers.subscribe({ open: true, deliver: (f) => frames.push(f) }, ['push']);
      // The subscriber's feed has read everything (one node: it never reads the queue again).
      await until('3 pushes and the cancellation refused', () => (frames.length >= 3 && busy < 1 ? true : undefined));
      expect(await b.store.listOutbox('push', N + 1)).toHaveLength(N);
      b.dispatcher.start();
      await until('the cancellation retried', async () => ((await b.store.listOutbox('push', N + 1)).length === N - 1 ? true : undefined));
      expect(await deliveryOf(b, 1, 'push')).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(frames.map((f) => f.customer).sort()).toEqual(['c-2', 'c-3', 'c-4']);
      expect(await counter(b.metrics, 'channel="push",result="suppressed"')).toBe(1);
    } finally {
      await b.close();
    }
  });

  it('cancels an offer past its expiry as expired: nothing reaches the SMSC', async () => {
    submitted.length = 0;
    const b = await bank(20);
    try {
      await queueShortfalls(b, 20);
      // The shortfall offer expires in an hour.
      b.clock.advance(HOUR + 1);
      b.dispatcher.start();
      await until('the SMS outbox empty', async () => ((await b.store.listOutbox('sms', 21)).length === 0 ? true : undefined));
      await until('the expiries recorded', async () => ((await deliveryOf(b, 20)).delivery === 'suppressed' ? true : undefined));
      for (let n = 1; n <= 20; n++) expect(await deliveryOf(b, n)).toEqual({ delivery: 'suppressed', suppressed: 'expired' });
      expect(submitted).toHaveLength(0);
      expect(b.funnel.report({ campaign: 'shortfall', by: [] })[0]).toMatchObject({ suppressed: 20, suppressedBy: { expired: 20 } });
    } finally {
      await b.close();
    }
  });
});

describe.runIf(runRedisTests)('checked at send time, two nodes on one Redis', () => {
  it("an opt-out acknowledged on node A stops node B's sends, though B held the customers live before it", async () => {
    const N = 100;
    submitted.length = 0;
    const redis = await startRedis();
    const prefix = `send-check-${Date.now()}:`;
    const storeA = await new RedisStore({ url: redis.url, prefix }).open();
    const storeB = await new RedisStore({ url: redis.url, prefix }).open();
    const a = await bank(N, { store: storeA, consumer: 'a', import: true });
    const b = await bank(N, { store: storeB, consumer: 'b', import: false, maxHotActors: 2 * N });
    try {
      await queueShortfalls(a, N);
      // Node B holds every customer live (consent granted), and its stop list loaded, before the opt-outs.
      for (let n = 1; n <= N; n++) expect((await b.host.submitEvent({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id: `c-${n}` }, channel: 'web', at: T0, data: { page: '/' } })).kind).toBe('decision');
      await b.host.flush();
      // Opted out through node A: 1-25 on the stop list by phone, 26-50 consent revoked.
      for (let n = 1; n <= 25; n++) await a.stopList.add({ kind: 'phone', value: phoneOf(n) }, a.clock.now(), 'test');
      for (let n = 26; n <= 50; n++) expect((await a.host.submitEvent(revoke(n, T0 + 60_000, 'sms'))).kind).not.toBe('error');
      await a.host.flush();

      // Only node B sends.
      b.dispatcher.start();
      await until('the SMS outbox empty', async () => ((await storeB.listOutbox('sms', N + 1)).length === 0 ? true : undefined), 60_000);
      await until('50 at the SMSC', () => (submitted.length >= 50 ? true : undefined), 60_000);
      const to = new Set(submitted.map((s) => s.to));
      expect(submitted).toHaveLength(50);
      for (let n = 1; n <= 50; n++) expect(to.has(phoneOf(n).slice(1))).toBe(false);
      for (let n = 51; n <= N; n++) expect(to.has(phoneOf(n).slice(1))).toBe(true);
      await until('the suppressions recorded', async () => ((await deliveryOf(b, 50)).delivery === 'suppressed' ? true : undefined));
      expect(await deliveryOf(b, 1)).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 26)).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      expect(await counter(b.metrics, 'channel="sms",result="suppressed"')).toBe(50);
    } finally {
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      await redis.stop();
    }
  }, 120_000);

  it("an opt-out acknowledged on node A while node B is between its fresh read and its send: B sends nothing to that customer (SMS)", async () => {
    const N = 6;
    submitted.length = 0;
    const redis = await startRedis();
    const prefix = `send-claim-${Date.now()}:`;
    const storeA = await new RedisStore({ url: redis.url, prefix }).open();
    const storeB = await new RedisStore({ url: redis.url, prefix }).open();
    const pause = pauseAt(['c-1', 'c-2', 'c-3']);
    const a = await bank(N, { store: storeA, consumer: 'a', import: true });
    const b = await bank(N, { store: storeB, consumer: 'b', import: false, maxHotActors: 2 * N }, 100_000, { beforeClaim: pause.hook });
    try {
      await queueShortfalls(a, N);
      await holdLive(b, N);
      b.dispatcher.start();
      // B has read customers 1-3 fresh and found nothing against sending; it waits there. 4-6 go.
      await until('B paused before its claim, the others sent', () => (pause.waiting.size === 3 && submitted.length >= 3 ? true : undefined), 60_000);
      // Acknowledged on A meanwhile: the stop list by phone (the address), a consent revoked, the stop list by a card the customer holds.
      await a.stopList.add({ kind: 'phone', value: phoneOf(1) }, a.clock.now(), 'test');
      expect((await a.host.submitEvent(revoke(2, T0 + 60_000, 'sms'))).kind).not.toBe('error');
      await a.stopList.add({ kind: 'card', value: 'card-3' }, a.clock.now(), 'test');
      pause.release();
      await until('the SMS outbox empty', async () => ((await storeB.listOutbox('sms', N + 1)).length === 0 ? true : undefined), 60_000);
      expect(submitted.map((x) => x.to).sort()).toEqual([4, 5, 6].map((n) => phoneOf(n).slice(1)));
      await until('the suppressions recorded', async () => ((await deliveryOf(b, 3)).delivery === 'suppressed' ? true : undefined));
      expect(await deliveryOf(b, 1)).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 2)).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
      expect(await deliveryOf(b, 3)).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(submitted).toHaveLength(3);
    } finally {
      pause.release();
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      await redis.stop();
    }
  }, 120_000);

  it('the same for a push to a subscriber on node B: fresh, claimed, nothing pushed after the opt-out on A', async () => {
    const N = 6;
    const redis = await startRedis();
    const prefix = `send-claim-push-${Date.now()}:`;
    const storeA = await new RedisStore({ url: redis.url, prefix }).open();
    const storeB = await new RedisStore({ url: redis.url, prefix }).open();
    const pause = pauseAt(['c-1', 'c-2']);
    const a = await bank(N, { store: storeA, consumer: 'a', import: true });
    const b = await bank(N, { store: storeB, consumer: 'b', import: false, maxHotActors: 2 * N }, 100_000, { beforeClaim: pause.hook });
    try {
      await queue(a, N, 'push', (n) => trigger(n, 'nudge'));
      await holdLive(b, N);
      b.dispatcher.start();
      const frames: DeliverFrame[] = [];
      b.dispatcher.subscribers.subscribe({ open: true, deliver: (f) => frames.push(f) }, ['push']);
      await until('B paused before its claim, the others pushed', () => (pause.waiting.size === 2 && frames.length >= 4 ? true : undefined), 60_000);
      await a.stopList.add({ kind: 'customer', value: 'c-1', channel: 'push' }, a.clock.now(), 'test');
      expect((await a.host.submitEvent(revoke(2, T0 + 60_000, 'push'))).kind).not.toBe('error');
      pause.release();
      await until('the two cancelled', async () => ((await storeB.listOutbox('push', N + 1)).length === N - 2 ? true : undefined), 60_000);
      expect(frames.map((f) => f.customer).sort()).toEqual(['c-3', 'c-4', 'c-5', 'c-6']);
      await until('the suppressions recorded', async () => ((await deliveryOf(b, 2, 'push')).delivery === 'suppressed' ? true : undefined));
      expect(await deliveryOf(b, 1, 'push')).toEqual({ delivery: 'suppressed', suppressed: 'stop_list' });
      expect(await deliveryOf(b, 2, 'push')).toEqual({ delivery: 'suppressed', suppressed: 'no_consent' });
    } finally {
      pause.release();
      await a.close();
      await b.close();
      await storeA.close();
      await storeB.close();
      await redis.stop();
    }
  }, 120_000);
});

/** A pause the send claim waits at for these customers until `release` (the window an opt-out on another node must not slip through). */
function pauseAt(customers: readonly string[]): { hook: (r: OutboxRecord) => Promise<void>; waiting: Set<string>; release: () => void } {
  const waiting = new Set<string>();
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    hook: async (r) => {
      if (!customers.includes(r.customer)) return;
      waiting.add(r.customer);
      await released;
    },
    waiting,
    release: () => release(),
  };
}

/** Node B holds every customer live, and its stop list loaded (an event each). */
async function holdLive(b: Bank, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) expect((await b.host.submitEvent({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id: `c-${n}` }, channel: 'web', at: T0, data: { page: '/' } })).kind).toBe('decision');
  await b.host.flush();
}

describe('sendProblem: what each kind of message is checked for', () => {
  const ctx = (marketing: boolean, consents: CustomerInput['consents']): SendFacts['context'] => ({
    ...initialCustomerContext({ id: 'c-1', stage: 'client', profile: {}, identifiers: { phone: [phoneOf(1)] }, consents, at: 0, reason: 'import' }),
    contacts: [{ instance: 'i-1', campaign: 'shortfall', offer: 'credit', channel: 'sms', at: T0, marketing, delivery: 'queued' }],
  });
  const offer = (extra: Partial<Extract<OutboxRecord, { kind: 'offer' }>> = {}): OutboxRecord => ({
    kind: 'offer',
    instance: 'i-1',
    customer: 'c-1',
    channel: 'sms',
    campaign: 'shortfall',
    offer: 'credit',
    content: { text: 'текст' },
    expiresAt: T0 + HOUR,
    at: T0,
    to: phoneOf(1),
    seq: 1,
    attempts: 0,
    ...extra,
  });
  const facts = (marketing: boolean, consents: CustomerInput['consents'], stops: SendFacts['stops'] = []): SendFacts => ({ context: ctx(marketing, consents), stops, consentRequired: new Set(['sms', 'email', 'push']) });
  const revoked = { sms: { granted: false, at: T0, source: 'sms.reply' } };

  it('a marketing offer: expiry, the stop list (global, channel or campaign), consent', () => {
    expect(sendProblem(offer(), facts(true, granted), T0)).toBeUndefined();
    expect(sendProblem(offer(), facts(true, granted), T0 + HOUR)).toBe('expired');
    expect(sendProblem(offer(), facts(true, granted, [{ channel: 'sms' }]), T0)).toBe('stop_list');
    expect(sendProblem(offer(), facts(true, granted, [{ campaign: 'shortfall' }]), T0)).toBe('stop_list');
    expect(sendProblem(offer(), facts(true, granted, [{ channel: 'email' }]), T0)).toBeUndefined();
    expect(sendProblem(offer(), facts(true, revoked), T0)).toBe('no_consent');
    expect(sendProblem(offer(), facts(true, {}), T0)).toBe('no_consent');
  });

  it('a service message: the stop list and expiry, not consent; a seed-list copy: expiry only; a back-office action: nothing', () => {
    expect(sendProblem(offer(), facts(false, revoked), T0)).toBeUndefined();
    expect(sendProblem(offer(), facts(false, revoked, [{}]), T0)).toBe('stop_list');
    expect(sendProblem(offer({ seed: true }), facts(true, revoked, [{}]), T0)).toBeUndefined();
    expect(sendProblem(offer({ seed: true }), facts(true, revoked, [{}]), T0 + HOUR)).toBe('expired');
    expect(sendProblem({ ...backofficeEntry(1), seq: 1, attempts: 0 }, facts(true, revoked, [{}]), T0 + HOUR)).toBeUndefined();
  });
});
