import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * What one customer's requests may make Kairos remember, and the times they may carry, through
 * a real server on the demo bank with the manual clock: a repeated event id is answered from
 * memory days and dozens of events later (and after a restart), an `at` out of bounds is
 * `invalid` (never a 500), and a flood of fat responses leaves a small card.
 */

const data = tempDir();
let k: TestKairos;
let gw: GatewayClient;
const T0 = Date.parse('2026-12-01T10:00:00+03:00');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function start(): Promise<void> {
  k = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { clock: 'manual' }, manualClockStart: T0 });
  gw = await GatewayClient.connect(k.wsUrl);
}

async function stop(): Promise<void> {
  gw.close();
  await k.close();
}

beforeAll(start);
afterAll(async () => {
  await stop();
  data.remove();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

const setClock = (now: number) => api('POST', '/v1/clock', { now });

const shortfall = (id: string, customer: string, at?: number): Frame => ({
  t: 'event',
  id,
  type: 'atm.withdrawal.declined',
  customer: { id: customer },
  channel: 'atm',
  ...(at === undefined ? {} : { at }),
  data: { requested: 1000, balance: 800 },
});

async function postEvent(body: Frame): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const smsFor = async (customer: string): Promise<number> =>
  (await k.kairos.store.listOutbox('sms', 100_000)).filter((r) => r.customer === customer && r.campaign === 'atm-shortfall').length;

describe('idempotency by time', () => {
  it('answers a repeated ATM event id with its first decision 25 hours, 40 events and a restart later, and 6 days later, with one SMS', async () => {
    await setClock(T0);
    const id = uid('atm');
    const first = await gw.request(shortfall(id, 'demo-301'));
    const [sms] = first.actions as Frame[];
    expect(sms).toMatchObject({ channel: 'sms', campaign: 'atm-shortfall' });
    expect(await smsFor('demo-301')).toBe(1);
    // 40 other events over the next day (more than the 32 the customer used to remember).
    for (let i = 0; i < 40; i++) {
      await setClock(T0 + (i + 1) * 30 * 60_000);
      const other = await gw.request({ t: 'event', id: uid('tx'), type: 'card.transaction', customer: { id: 'demo-301' }, data: { amount: 100 + i, mcc: '5411' } });
      expect(other.t).toBe('decision');
    }
    await setClock(T0 + 25 * HOUR);
    expect(await gw.request(shortfall(id, 'demo-301'))).toEqual(first);
    // What it remembers is in the store: a restart does not forget it.
    await stop();
    await start();
    await setClock(T0 + 6 * DAY);
    expect(await gw.request(shortfall(id, 'demo-301'))).toEqual(first);
    expect((await postEvent({ ...shortfall(id, 'demo-301'), t: undefined })).body).toEqual(first);
    expect(await smsFor('demo-301')).toBe(1);
    const card = (await api('GET', '/v1/customers/demo-301')).body;
    expect(card.contacts.filter((c: { campaign: string }) => c.campaign === 'atm-shortfall')).toHaveLength(1);
  });

  it('answers a repeat of an event an offline ATM sent 6 days late, 2 days on, with its first decision (not as too old)', async () => {
    await setClock(T0 + 10 * DAY);
    const id = uid('atm');
    const late = shortfall(id, 'demo-302', T0 + 4 * DAY);
    const first = await gw.request(late);
    expect(first).toMatchObject({ t: 'decision' });
    await setClock(T0 + 12 * DAY);
    expect(await gw.request(late)).toEqual(first);
    // A new event that old is refused.
    expect(await gw.request({ ...late, id: uid('atm') })).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringMatching(/^field "at": .* 8 days before the server's clock; at most 7 days old is accepted$/) });
  });
});

describe('time sanity', () => {
  it('refuses an event 20 years ahead or at an instant no date holds with invalid naming at, over WebSocket and HTTP, never a 500', async () => {
    const now = T0 + 20 * DAY;
    await setClock(now);
    const ahead = await gw.request(shortfall(uid(), 'demo-303', now + 20 * 365 * DAY));
    expect(ahead).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringMatching(/^field "at": .* 20 years after the server's clock; at most 5 min ahead is accepted$/) });
    for (const at of [9e15, Number.MAX_SAFE_INTEGER]) {
      expect(await gw.request(shortfall(uid(), 'demo-303', at))).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringContaining('field "at"') });
      const http = await postEvent({ ...shortfall(uid(), 'demo-303', at), t: undefined });
      expect(http.status).toBe(400);
      expect(http.body).toMatchObject({ code: 'invalid', detail: expect.stringContaining('field "at"') });
    }
    // Nothing of them was kept: no customer made, no offer open.
    const card = (await api('GET', '/v1/customers/demo-303')).body;
    expect(card.pending ?? []).toEqual([]);
    expect(await gw.request(shortfall(uid(), 'p-unknown', now + 20 * 365 * DAY))).toMatchObject({ code: 'invalid' });
    const unknownCard = { t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-from-the-future' }, at: now + 20 * 365 * DAY };
    expect(await gw.request(unknownCard)).toMatchObject({ code: 'invalid' });
    expect(await k.kairos.store.lookupIdentity('card', 'card-from-the-future')).toBeUndefined();
  });

  it('takes an event a minute old or four minutes ahead, and refuses one six minutes ahead', async () => {
    const now = T0 + 21 * DAY;
    await setClock(now);
    const ago = await gw.request(shortfall(uid(), 'demo-304', now - 60_000));
    expect(ago).toMatchObject({ t: 'decision' });
    // The offer is open an hour from the decision (the server's now), not from the event's time.
    expect((ago.actions as Frame[])[0]).toMatchObject({ channel: 'sms', expiresAt: now + HOUR });
    expect(await gw.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { id: 'demo-304' }, channel: 'web', at: now + 4 * 60_000 })).toMatchObject({ t: 'decision' });
    expect(await gw.request({ t: 'event', id: uid(), type: 'web.pageview', customer: { id: 'demo-304' }, channel: 'web', at: now + 6 * 60_000 })).toMatchObject({ t: 'error', code: 'invalid' });
  });

  it('refuses a response with an at out of bounds', async () => {
    const now = T0 + 22 * DAY;
    await setClock(now);
    const d = await gw.request(shortfall(uid(), 'demo-305'));
    const instance = (d.actions as Frame[])[0]!.instance as string;
    const future = await gw.request({ t: 'response', id: uid('r'), instance, outcome: 'accepted', at: now + 365 * DAY });
    expect(future).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringContaining('field "at"') });
    expect(await gw.request({ t: 'response', id: uid('r'), instance, outcome: 'clicked', at: 9e15 })).toMatchObject({ code: 'invalid' });
    expect(await gw.request({ t: 'response', id: uid('r'), instance, outcome: 'clicked', at: now - 1000 })).toMatchObject({ t: 'ack' });
  });
});

describe('bounded per-customer state', () => {
  it('keeps a small card after 200 fat responses to one offer instance', async () => {
    const now = T0 + 23 * DAY;
    await setClock(now);
    const d = await gw.request(shortfall(uid(), 'demo-306'));
    const instance = (d.actions as Frame[])[0]!.instance as string;
    // As fat as the edge lets a response's data be (plain-data.ts: 4 KB); 60 KB is refused there.
    const fat = 'я'.repeat(1_900);
    expect(await gw.request({ t: 'response', id: uid('r'), instance, outcome: 'clicked', data: { note: 'я'.repeat(30_000) } })).toMatchObject({ t: 'error', code: 'invalid', message: expect.stringContaining('field "data": is larger than') });
    for (let i = 0; i < 200; i++) {
      const outcome = i % 3 === 0 ? 'clicked' : i % 3 === 1 ? 'viewed' : `seen-${i}`;
      const r = await gw.request({ t: 'response', id: uid('r'), instance, outcome, data: { note: fat, button: 'ok', n: i, nested: { a: [1, 2, 3] } } });
      expect(r).toMatchObject({ t: 'ack' });
    }
    const card = (await api('GET', '/v1/customers/demo-306')).body;
    const mine = (card.responses as Array<{ instance: string; outcome: string; count?: number; data?: Record<string, unknown> }>).filter((r) => r.instance === instance);
    expect(mine).toHaveLength(8);
    expect(mine.find((r) => r.outcome === 'clicked')).toMatchObject({ count: 67, data: { button: 'ok', n: 198 } });
    expect(mine.every((r) => r.data?.note === undefined && r.data?.nested === undefined)).toBe(true);
    expect(JSON.stringify(card).length).toBeLessThan(30_000);
  });
});
