import { afterAll, describe, expect, it } from 'vitest';
import { SEGMENT_TIMER } from '../../actors/index.js';
import type { ManualClock } from '../clock.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * Memberships that time alone moves, end to end on the demo bank (LMDB, manual clock): a
 * client who spent in October and then nothing enters "declining activity" at midnight on
 * 1 November and "card gone quiet" on the 30th day, with no event of theirs, through a
 * restart (the timer is durable; the actor is not live); the retention campaign's SMS waits
 * for the morning (quiet hours) and goes. The sweep, the timers' safety net, brings imported
 * customers no event has reached into their segments.
 */

const data = tempDir();
let k: TestKairos | undefined;
afterAll(async () => {
  await k?.close();
  data.remove();
});

const T0 = msk('2026-10-20T10:00:00');

async function start(): Promise<TestKairos> {
  await k?.close();
  k = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { clock: 'manual', segmentSweepMs: 0 }, manualClockStart: T0 });
  return k;
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${k!.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

const smsOf = async (customer: string) => (await k!.kairos.store.listOutbox('sms', 1000)).filter((r) => r.customer === customer);

describe('memberships that time moves', () => {
  it('a silent churner enters "declining activity" at midnight with no event, and the retention SMS reaches them in the morning', async () => {
    await start();
    const who = 'demo-19';
    const gw = await GatewayClient.connect(k!.wsUrl);
    await gw.request({ t: 'event', id: uid(), type: 'card.transaction', customer: { id: who }, data: { amount: 15_000, mcc: '5411' } });
    gw.close();
    let card = await api('GET', `/v1/customers/${who}`);
    expect(Object.keys(card.segments)).not.toContain('declining_activity');
    // The month turns on 1 November: the timer is armed for that midnight, Moscow time.
    expect(card.nextSegmentCheck).toBe(msk('2026-11-01T00:00:00'));
    const timers = (await k!.kairos.store.dueReminders(Number.MAX_SAFE_INTEGER, 100)).filter((r) => r.customer === who && r.key.endsWith(`|${SEGMENT_TIMER}`));
    expect(timers).toEqual([expect.objectContaining({ due: msk('2026-11-01T00:00:00'), event: 'segments.check' })]);

    // A restart: nothing is live. Just past midnight the timer fires, once.
    await start();
    expect(k!.kairos.host.hotCount).toBe(0);
    expect(await api('POST', '/v1/clock', { now: msk('2026-10-31T23:59:00') })).toMatchObject({ remindersFired: 0 });
    expect(await api('POST', '/v1/clock', { now: msk('2026-11-01T00:00:30') })).toMatchObject({ remindersFired: 1 });
    card = await api('GET', `/v1/customers/${who}`);
    expect(card.segments.declining_activity).toBe(msk('2026-11-01T00:00:30'));
    await k!.kairos.host.flush();
    expect((await api('GET', '/v1/segments/declining_activity')).size).toBe(1);
    // The retention campaign answered the entry; quiet hours (a Sunday: from 10:00) hold the SMS.
    expect(await smsOf(who)).toEqual([]);
    expect(card.deferrals).toEqual([expect.objectContaining({ campaign: 'retention-cashback', channels: ['sms'], reason: 'quiet_hours', trigger: 'segments.check', retryAt: msk('2026-11-01T10:00:00') })]);
    await api('POST', '/v1/clock', { now: msk('2026-11-01T10:00:30') });
    const [sms] = await smsOf(who);
    expect(sms).toMatchObject({ campaign: 'retention-cashback', channel: 'sms' });
    expect(sms?.kind === 'offer' ? sms.content : undefined).toMatchObject({ text: expect.stringMatching(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+, кешбэк 5% по карте на месяц\. Ответьте 1 — подключим\.$/) });

    // The card went quiet on 20 October: on the 30th day (19 November) it enters "card gone quiet".
    card = await api('GET', `/v1/customers/${who}`);
    expect(card.nextSegmentCheck).toBe(msk('2026-11-19T00:00:00'));
    await start();
    await api('POST', '/v1/clock', { now: msk('2026-11-19T00:01:00') });
    card = await api('GET', `/v1/customers/${who}`);
    expect(Object.keys(card.segments)).toEqual(expect.arrayContaining(['declining_activity', 'card_gone_quiet']));
    // Gone from the 30-day spend window too: the card says 0 spent, and no stale membership.
    expect(card.features.card_spend_30d).toBe(0);
  });

  it('the card shows the memberships of today even before the timer has fired', async () => {
    const who = 'demo-19';
    // 1 December: October's spending is two months back; "declining activity" ends at midnight.
    await api('POST', '/v1/clock', { now: msk('2026-12-01T00:00:00') - 1 });
    const before = await api('GET', `/v1/customers/${who}`);
    expect(Object.keys(before.segments)).toContain('declining_activity');
    expect(before.nextSegmentCheck).toBe(msk('2026-12-01T00:00:00'));
    // The clock moved on, the timer not fired yet (no poll): the card already tells today's memberships.
    (k!.kairos.clock as ManualClock).set(msk('2026-12-01T00:00:10'));
    const early = await api('GET', `/v1/customers/${who}`);
    expect(Object.keys(early.segments)).not.toContain('declining_activity');
    expect(Object.keys(early.segments)).toContain('card_gone_quiet');
    // The timer fires: the actor's state and the segment's size follow.
    expect(await api('POST', '/v1/clock', { now: msk('2026-12-01T00:00:20') })).toMatchObject({ remindersFired: 1 });
    await k!.kairos.host.flush();
    expect((await api('GET', '/v1/segments/declining_activity')).size).toBe(0);
    expect(Object.keys((await api('GET', `/v1/customers/${who}`)).segments)).not.toContain('declining_activity');
  });

  it('the sweep brings customers no event has reached into their segments, once', async () => {
    const sweep = k!.kairos.segmentSweep;
    // The demo bank's 45,211 imported clients: only demo-19 (60) was ever evaluated.
    const before = await api('GET', '/v1/segments/clients_60_plus');
    expect(before.size).toBe(1);
    const first = await sweep.run();
    expect(first).toMatchObject({ scanned: 45_211, skipped: 0 });
    expect(first.checked).toBe(45_210);
    await k!.kairos.host.flush();
    const seniors = await api('GET', '/v1/segments/clients_60_plus');
    expect(seniors.size).toBeGreaterThan(1000);
    // A second pass finds nothing stale.
    expect(await sweep.run()).toMatchObject({ scanned: 45_211, checked: 0 });
    // Recorded in the store: none is due again (after a restart either) until a day has passed.
    expect(await sweep.runIfDue()).toBeUndefined();
    await start();
    (k!.kairos.clock as ManualClock).set(msk('2026-12-01T12:00:00'));
    expect(await k!.kairos.segmentSweep.runIfDue()).toBeUndefined();
    (k!.kairos.clock as ManualClock).set(msk('2026-12-02T01:00:00'));
    expect(await k!.kairos.segmentSweep.runIfDue()).toMatchObject({ scanned: 45_211 });
  }, 120_000);
});
