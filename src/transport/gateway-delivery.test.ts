import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../actors/index.js';
import { backofficeEntry } from '../test-support/outbox-entries.js';
import type { OutboxRecord, Store } from '../store/store.js';
import { KairosError } from '../errors.js';
import { credentialLabel } from './auth.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, decode, msk, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * Delivery endpoints through a real server and real WebSocket clients: a backlog far larger
 * than a page goes out a page at a time under each connection's window, exactly once; a
 * confirmation is looked up by key, never by reading the queue; gateway tokens are scoped to
 * channels, and a connection confirms only what it was delivered itself.
 */

const WINDOW = 50;
const BACKLOG = 3000;

let k: TestKairos;
let gw: GatewayClient;
/** every listOutbox call the server makes, with its limit and how many it returned */
const listings: Array<{ channel: string; limit: number; returned: number }> = [];

beforeAll(async () => {
  k = await startTestKairos({
    config: {
      store: 'memory',
      clock: 'manual',
      subscriberWindow: WINDOW,
      gatewayTokens: [
        { token: 'demo-gateway', scoped: false },
        { token: 'sms-gateway-1', channels: ['sms'], scoped: true },
        { token: 'bank-screens-1', channels: ['ib', 'callcenter'], scoped: true },
        { token: 'event-feed-1', channels: [], scoped: true },
        { token: 'legacy-gateway-1', scoped: false },
      ],
      // KAIROS_KEYS='atm-east:gateway/sms:…,old-feed:gateway:…'
      keys: [
        { name: 'atm-east', role: 'gateway', secret: 'atm-east-secret-0123456789', channels: ['sms'], scoped: true },
        { name: 'old-feed', role: 'gateway', secret: 'old-feed-secret-0123456789', scoped: false },
      ],
    },
    manualClockStart: msk('2026-11-23T10:00:00'),
  });
  // The real store, its listings counted on the way through.
  const store: Store = k.kairos.store;
  const list = store.listOutbox.bind(store);
  store.listOutbox = async (channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> => {
    const page = await list(channel, limit, afterSeq);
    listings.push({ channel, limit, returned: page.length });
    return page;
  };
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

const action = (i: number): OutboxEntry => backofficeEntry(i, `demo-${1 + (i % 100)}`);

const shortfall = (customer: string): Frame => ({
  t: 'event',
  id: uid(),
  type: 'atm.withdrawal.declined',
  customer: { id: customer },
  channel: 'atm',
  data: { requested: 1000, balance: 800 },
});

async function view(id: string): Promise<Record<string, any>> {
  return (await (await fetch(`${k.httpUrl}/v1/customers/${id}`, { headers: adminHeaders })).json()) as Record<string, any>;
}

describe('a backlog larger than a page', () => {
  it('answers delivered frames for instances the connection never received by key, without reading the queue', async () => {
    for (let b = 0; b < BACKLOG; b += 500) {
      await k.kairos.store.commit({ snapshots: [], identities: [], outbox: Array.from({ length: 500 }, (_, i) => action(b + i)) });
    }
    const c = await GatewayClient.connect(k.wsUrl);
    const before = listings.length;
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) => c.request({ t: i % 2 === 0 ? 'delivered' : 'failed', id: uid('d'), instance: `bk-${i}`, channel: 'backoffice' })),
    );
    for (const r of replies) expect(r).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringContaining('field "instance"') });
    expect(listings.length).toBe(before);
    // Nothing left the queue or counted an attempt.
    expect(await k.kairos.store.getOutbox('backoffice', 'bk-0')).toMatchObject({ attempts: 0 });
    expect(await k.kairos.store.getOutbox('backoffice', 'bk-1')).toMatchObject({ attempts: 0 });
    c.close();
  });

  it('goes to a subscriber a page at a time, at most its window unconfirmed, every entry exactly once, and leaves the outbox empty', async () => {
    const sub = await GatewayClient.connect(k.wsUrl);
    const received = new Map<string, number>();
    let confirming = false;
    let maxOutstanding = 0;
    let confirmed = 0;
    const acks: Array<Promise<Frame>> = [];
    const confirm = (f: Frame): void => {
      acks.push(sub.request({ t: 'delivered', id: uid('d'), instance: f.instance }));
      confirmed++;
    };
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const onDeliver = (f: Frame): void => {
      if (f.t !== 'deliver') return;
      received.set(f.instance as string, (received.get(f.instance as string) ?? 0) + 1);
      maxOutstanding = Math.max(maxOutstanding, [...received.values()].reduce((a, b) => a + b, 0) - confirmed);
      if (confirming) confirm(f);
      if (received.size === BACKLOG) done();
    };
    sub.ws.on('message', (data: Buffer) => onDeliver(decode(data)));
    const from = listings.length;
    const sid = uid('s');
    expect(await sub.request({ t: 'subscribe', id: sid, channels: ['backoffice'] })).toEqual({ t: 'ack', re: sid });
    // The first page fills the window, and no more comes without confirmations: a frame's
    // round trip after it shows nothing further was sent.
    await until(() => received.size === WINDOW);
    expect((await sub.request({ t: 'subscribe', id: uid('s'), channels: ['backoffice'] })).t).toBe('ack');
    expect(received.size).toBe(WINDOW);
    const first = [...received.keys()];
    expect(first).toEqual(Array.from({ length: WINDOW }, (_, i) => `bk-${i}`));
    // Confirmed as they come, the rest follows page by page.
    confirming = true;
    for (const f of sub.unmatched.splice(0)) if (f.t === 'deliver') confirm(f);
    await all;
    const replies = await Promise.all(acks);
    expect(replies.every((r) => r.t === 'ack')).toBe(true);
    expect(received.size).toBe(BACKLOG);
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    expect(maxOutstanding).toBeLessThanOrEqual(WINDOW);
    expect(await k.kairos.store.listOutbox('backoffice', 10)).toEqual([]);
    const pages = listings.slice(from).filter((l) => l.channel === 'backoffice');
    expect(pages.length).toBeGreaterThanOrEqual(BACKLOG / WINDOW);
    for (const p of pages) {
      expect(p.limit).toBeLessThanOrEqual(WINDOW);
      expect(p.returned).toBeLessThanOrEqual(p.limit);
    }
    sub.close();
  });
});

describe('new entries for a subscriber whose window is full', () => {
  it('wait in the outbox and follow as confirmations make room, each once', async () => {
    const small = await startTestKairos({ config: { store: 'memory', clock: 'manual', subscriberWindow: 2 }, manualClockStart: msk('2026-11-23T10:00:00') });
    try {
      const events = await GatewayClient.connect(small.wsUrl);
      const smsc = await GatewayClient.connect(small.wsUrl);
      await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
      const instances: string[] = [];
      for (let i = 0; i < 6; i++) {
        for (const a of (await events.request(shortfall(`demo-${60 + i}`))).actions as Frame[]) if (a.channel === 'sms') instances.push(a.instance as string);
      }
      expect(instances.length).toBeGreaterThanOrEqual(4);
      // Two out, the rest queued: a round trip after the last decision shows nothing more came.
      await smsc.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
      const deliveries = (): Frame[] => smsc.unmatched.filter((f) => f.t === 'deliver');
      expect(deliveries().map((f) => f.instance)).toEqual(instances.slice(0, 2));
      for (const instance of instances.slice(2)) expect(await small.kairos.store.getOutbox('sms', instance)).toBeDefined();
      // Each confirmation down to the low-water mark brings the next.
      const got: string[] = [];
      while (got.length < instances.length) {
        const f = await smsc.next((x) => x.t === 'deliver');
        got.push(f.instance as string);
        expect((await smsc.request({ t: 'delivered', id: uid('d'), instance: f.instance })).t).toBe('ack');
      }
      expect(got).toEqual(instances);
      expect(await small.kairos.store.listOutbox('sms', 10)).toEqual([]);
      events.close();
      smsc.close();
    } finally {
      await small.close();
    }
  });
});

describe('gateway scopes', () => {
  it('lets a token scoped to sms subscribe to sms and confirm what it was delivered', async () => {
    const smsc = await GatewayClient.connect(k.wsUrl, 'sms-gateway-1');
    const sid = uid('s');
    expect(await smsc.request({ t: 'subscribe', id: sid, channels: ['sms'] })).toEqual({ t: 'ack', re: sid });
    const [sms] = (await gw.request(shortfall('demo-41'))).actions as Frame[];
    expect(sms).toMatchObject({ channel: 'sms' });
    const deliver = await smsc.next((f) => f.t === 'deliver' && f.instance === sms!.instance);
    expect(deliver.customer).toBe('demo-41');
    const did = uid('d');
    expect(await smsc.request({ t: 'delivered', id: did, instance: sms!.instance })).toEqual({ t: 'ack', re: did });
    expect((await view('demo-41')).contacts[0].delivery).toBe('delivered');
    expect(await k.kairos.store.getOutbox('sms', sms!.instance as string)).toBeUndefined();
    smsc.close();
  });

  it('refuses a subscription outside the token’s scope with unauthorized, naming the channel, and subscribes to none of the list', async () => {
    const screens = await GatewayClient.connect(k.wsUrl, 'bank-screens-1');
    const id = uid('s');
    expect(await screens.request({ t: 'subscribe', id, channels: ['ib', 'sms'] })).toEqual({
      t: 'error',
      re: id,
      code: 'unauthorized',
      message: 'field "channels": this gateway token may not subscribe to "sms"',
    });
    const feed = await GatewayClient.connect(k.wsUrl, 'event-feed-1');
    const fid = uid('s');
    expect(await feed.request({ t: 'subscribe', id: fid, channels: ['ib'] })).toMatchObject({ t: 'error', re: fid, code: 'unauthorized', message: expect.stringContaining('"ib"') });
    // A token with no channels still sends events.
    expect((await feed.request(shortfall('demo-42'))).t).toBe('decision');
    // Neither connection was given the SMS queued meanwhile, and neither may confirm it.
    const [sms] = (await gw.request(shortfall('demo-43'))).actions as Frame[];
    for (const c of [screens, feed]) {
      const did = uid('d');
      expect(await c.request({ t: 'delivered', id: did, instance: sms!.instance, channel: 'sms' })).toMatchObject({ t: 'error', re: did, code: 'invalid', message: expect.stringContaining('field "instance"') });
      expect(c.unmatched.filter((f) => f.t === 'deliver')).toEqual([]);
    }
    expect(await k.kairos.store.getOutbox('sms', sms!.instance as string)).toMatchObject({ attempts: 0 });
    // In scope, the same token subscribes.
    const ok = uid('s');
    expect(await screens.request({ t: 'subscribe', id: ok, channels: ['ib', 'callcenter'] })).toEqual({ t: 'ack', re: ok });
    screens.close();
    feed.close();
  });

  it('warns at start about configured tokens and keys without a scope, by a hash label or the key\'s name, never the secret', () => {
    const warnings = k.logs.filter((l) => l.level === 40 && String(l.msg).includes('without a channel scope'));
    expect(warnings).toEqual([expect.objectContaining({ tokens: [credentialLabel('Bearer legacy-gateway-1')] }), expect.objectContaining({ keys: ['old-feed'] })]);
    expect(k.rawLogs()).not.toContain('legacy-gateway-1');
    expect(k.rawLogs()).not.toContain('old-feed-secret');
  });

  it('holds a KAIROS_KEYS gateway key to the channels its role names', async () => {
    const atm = await GatewayClient.connect(k.wsUrl, 'atm-east-secret-0123456789');
    const id = uid('s');
    expect(await atm.request({ t: 'subscribe', id, channels: ['email'] })).toMatchObject({ t: 'error', re: id, code: 'unauthorized', message: expect.stringContaining('"email"') });
    const ok = uid('s');
    expect(await atm.request({ t: 'subscribe', id: ok, channels: ['sms'] })).toEqual({ t: 'ack', re: ok });
    atm.close();
    // without a scope: every channel, as an unscoped token
    const old = await GatewayClient.connect(k.wsUrl, 'old-feed-secret-0123456789');
    const any = uid('s');
    expect(await old.request({ t: 'subscribe', id: any, channels: ['email', 'ib'] })).toEqual({ t: 'ack', re: any });
    old.close();
  });

  it('refuses a confirmation of an entry delivered to another connection; the entry stays and reaches its real recipient', async () => {
    const owner = await GatewayClient.connect(k.wsUrl, 'sms-gateway-1');
    await owner.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    const [sms] = (await gw.request(shortfall('demo-44'))).actions as Frame[];
    const instance = sms!.instance as string;
    await owner.next((f) => f.t === 'deliver' && f.instance === instance);
    // Another connection, subscribed to the same channel with a token of its own.
    const thief = await GatewayClient.connect(k.wsUrl);
    await thief.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    for (const frame of [
      { t: 'delivered', id: uid('d'), instance },
      { t: 'delivered', id: uid('d'), instance, channel: 'sms' },
      { t: 'failed', id: uid('d'), instance, channel: 'sms', reason: 'nope' },
    ]) {
      expect(await thief.request(frame)).toMatchObject({ t: 'error', re: frame.id, code: 'invalid', message: expect.stringContaining(`field "instance": no delivery of "${instance}"`) });
    }
    expect(await k.kairos.store.getOutbox('sms', instance)).toMatchObject({ instance, attempts: 0 });
    expect((await view('demo-44')).contacts[0].delivery).not.toBe('delivered');
    expect(thief.unmatched.filter((f) => f.t === 'deliver' && f.instance === instance)).toEqual([]);
    // The real recipient confirms it.
    const did = uid('d');
    expect(await owner.request({ t: 'delivered', id: did, instance })).toEqual({ t: 'ack', re: did });
    expect((await view('demo-44')).contacts[0].delivery).toBe('delivered');
    expect(await k.kairos.store.getOutbox('sms', instance)).toBeUndefined();
    thief.close();
    owner.close();
  });

  it('hands what a closed connection had not confirmed to another subscriber, once', async () => {
    const first = await GatewayClient.connect(k.wsUrl, 'sms-gateway-1');
    await first.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    const [sms] = (await gw.request(shortfall('demo-45'))).actions as Frame[];
    const instance = sms!.instance as string;
    await first.next((f) => f.t === 'deliver' && f.instance === instance);
    const second = await GatewayClient.connect(k.wsUrl, 'sms-gateway-1');
    await second.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] });
    first.close();
    await first.waitClosed();
    await second.next((f) => f.t === 'deliver' && f.instance === instance);
    const did = uid('d');
    expect(await second.request({ t: 'delivered', id: did, instance })).toEqual({ t: 'ack', re: did });
    expect(second.unmatched.filter((f) => f.t === 'deliver' && f.instance === instance)).toEqual([]);
    expect(await k.kairos.store.getOutbox('sms', instance)).toBeUndefined();
    second.close();
  });
});

describe('admin outbox listing', () => {
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders });
    return { status: res.status, body: await res.json() };
  };

  it('pages a channel with limit and cursor, each entry once, no page over its limit', async () => {
    const entries: OutboxEntry[] = Array.from({ length: 250 }, (_, i) => ({
      kind: 'offer',
      instance: `pu-${i}`,
      customer: 'demo-1',
      channel: 'push',
      campaign: 'atm-shortfall',
      offer: 'atm-microcredit',
      content: { text: `n ${i}` },
      expiresAt: Number.MAX_SAFE_INTEGER,
      at: i,
    }));
    await k.kairos.store.commit({ snapshots: [], identities: [], outbox: entries });
    const seen: string[] = [];
    let path = '/v1/outbox/push?limit=100';
    let pages = 0;
    for (;;) {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      expect(body.entries.length).toBeLessThanOrEqual(100);
      seen.push(...body.entries.map((e: { instance: string }) => e.instance));
      pages++;
      if (body.next === undefined) break;
      path = `/v1/outbox/push?limit=100&cursor=${encodeURIComponent(body.next as string)}`;
    }
    expect(seen).toEqual(entries.map((e) => e.instance));
    expect(pages).toBe(3);
    expect((await get('/v1/outbox/push?limit=100&cursor=abc')).body).toMatchObject({ code: 'invalid', detail: expect.stringContaining('query "cursor"') });
    expect((await get('/v1/outbox/push?limit=0')).status).toBe(400);
  });

  it('pages the dead letters', async () => {
    for (const i of [3, 50, 51, 200]) expect(await k.kairos.store.failOutbox('push', `pu-${i}`, 'gone', { dead: true })).toBe(true);
    const first = await get('/v1/outbox/push/dead?limit=2');
    expect(first.body.entries.map((e: { instance: string }) => e.instance)).toEqual(['pu-3', 'pu-50']);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await get(`/v1/outbox/push/dead?limit=2&cursor=${first.body.next as string}`);
    expect(second.body.entries.map((e: { instance: string }) => e.instance)).toEqual(['pu-51', 'pu-200']);
    const rest = second.body.next === undefined ? [] : (await get(`/v1/outbox/push/dead?limit=2&cursor=${second.body.next as string}`)).body.entries;
    expect(rest).toEqual([]);
  });
});

/** Waits (a turn of the event loop at a time) until `test` holds; fails after 10 s. */
async function until(test: () => boolean): Promise<void> {
  const give = Date.now() + 10_000;
  while (!test()) {
    if (Date.now() > give) throw new KairosError('internal', 'condition not met in 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
