import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * Durable reminders, end to end on the demo bank with the manual clock: an offer's expiry,
 * a campaign's follow-up a month later and an insurance renewal two weeks before the policy
 * ends fire for a customer who is not live (the server restarted in between), each once.
 */

const data = tempDir();
let k: TestKairos | undefined;
afterAll(async () => {
  await k?.close();
  data.remove();
});

const T0 = Date.parse('2026-12-01T10:00:00+03:00');
const DAY = 86_400_000;

async function start(): Promise<TestKairos> {
  await k?.close();
  k = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { clock: 'manual' }, manualClockStart: T0 });
  return k;
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${k!.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return res.json();
}

/** A demo client of 60+ with a small balance: the pension deposit is the internet bank's offer for them. */
const senior = (() => {
  const rows = readFileSync(demoCsvPath(), 'utf8').split(/\r?\n/).slice(1);
  const i = rows.findIndex((line) => {
    const [age, , , , def, balance] = line.split(';');
    return Number(age) >= 65 && Number(balance) < 10_000 && def === 'no';
  });
  return `demo-${i + 1}`;
})();

describe('durable reminders', () => {
  it('fire for a customer who is not live, after a restart, once each', async () => {
    await start();
    const gw = await GatewayClient.connect(k!.wsUrl);
    const login = await gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: senior }, channel: 'ib' });
    const offer = (login.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
    expect(offer, senior).toBeDefined();
    const endsAt = '2027-02-01T12:00:00+03:00';
    await gw.request({ t: 'event', id: uid(), type: 'insurance.purchased', customer: { id: senior }, data: { endsAt, endsOn: '1 февраля 2027', policy: 'КАСКО-77' } });
    gw.close();
    const due = (await k!.kairos.store.dueReminders(Number.MAX_SAFE_INTEGER, 100)).filter((r) => r.customer === senior);
    expect(due.map((r) => [r.key.slice(senior.length + 1), r.due])).toEqual([
      [`expiry:${offer!.instance as string}`, T0 + DAY],
      ['followup:pension-deposit', T0 + 30 * DAY],
      ['catalog:insurance-renewal', Date.parse(endsAt) - 14 * DAY],
    ]);

    // Restart: nothing of the customer is live; two days later the offer's expiry fires.
    await start();
    expect(k!.kairos.host.hotCount).toBe(0);
    expect(await api('POST', '/v1/clock', { advance: 2 * DAY })).toMatchObject({ remindersFired: 1 });
    const card = await api('GET', `/v1/customers/${senior}`);
    expect(card.pending).toEqual([]);
    expect(card.contacts).toEqual([expect.objectContaining({ instance: offer!.instance, outcome: 'expired' })]);
    expect((await api('GET', '/v1/models/pension-deposit')).negatives).toBe(1);
    // Once: not again, not after another restart.
    expect(await api('POST', '/v1/clock', { advance: 1 })).toMatchObject({ remindersFired: 0 });
    await start();
    expect(await api('POST', '/v1/clock', { now: T0 + 2 * DAY })).toMatchObject({ remindersFired: 0 });

    // A month after the offer, the follow-up: a letter, since the offer went unanswered.
    const fired = await api('POST', '/v1/clock', { now: T0 + 30 * DAY + 3_600_000 });
    expect(fired.remindersFired).toBe(1);
    const letters = (await k!.kairos.store.listOutbox('email', 100)).filter((r) => r.customer === senior);
    expect(letters).toEqual([expect.objectContaining({ campaign: 'pension-deposit-followup', channel: 'email' })]);

    // Two weeks before the policy ends, the renewal letter names it.
    await api('POST', '/v1/clock', { now: Date.parse(endsAt) - 14 * DAY + 60_000 });
    const renewal = (await k!.kairos.store.listOutbox('email', 100)).find((r) => r.customer === senior && r.campaign === 'insurance-renewal');
    expect(renewal?.kind === 'offer' ? renewal.content : undefined).toMatchObject({ subject: expect.stringContaining('1 февраля 2027'), text: expect.stringContaining('КАСКО-77') });
    expect((await k!.kairos.store.dueReminders(Number.MAX_SAFE_INTEGER, 100)).filter((r) => r.customer === senior && r.due < Date.parse(endsAt))).toEqual([]);
    const metrics = await (await fetch(`${k!.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/kairos_reminders_fired_total\{kind="catalog"\} 1/);
  });
});
