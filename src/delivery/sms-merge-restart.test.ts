import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../clock.js';
import { stopKey } from '../stop-list.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir, uid, until } from '../test-support/test-kairos.js';
import type { SmppPdu, SmsReplyEntry } from './smpp-adapter.js';
import { SMS_REPLY_PREFIX } from './smpp-adapter.js';
import type { TestSmsc } from '../test-support/smsc.js';
import { startTestSmsc } from '../test-support/smsc.js';

/**
 * An SMS that outlives what it was sent for (docs/identity.md), against an SMSC simulator
 * started here and a real server on LMDB with a manual clock: a merged-away customer's queued
 * SMS still goes once, its receipt and offer expiry land on the survivor; and the reply to an
 * SMS sent before a restart reaches the customer it was for.
 */

/** When the customers' cards are declined (Moscow, midday). */
const AT = Date.parse('2026-11-24T12:00:00+03:00');
const HOUR = 3_600_000;

interface Submitted {
  to: string;
  messageId?: string;
}
/** every submit_sm the SMSC took (with its message id) or refused while `refusing` */
const submitted: Submitted[] = [];
let refusing = false;
let nextId = 0;
/** the SMSC's answer to a submit: refused while `refusing`, else accepted with a message id */
function onSubmit(pdu: SmppPdu): Record<string, unknown> {
  const to = pdu.destination_addr ?? '';
  if (refusing) {
    submitted.push({ to });
    // ESME_RTHROTTLED: a passing refusal, tried again after the backoff.
    return { command_status: 0x58 };
  }
  const messageId = `m-${++nextId}`;
  submitted.push({ to, messageId });
  return { message_id: messageId };
}
let smsc: TestSmsc;

const data = tempDir();
let k: TestKairos;
let gw: GatewayClient;

async function start(): Promise<void> {
  k = await startTestKairos({
    // The retry waits for the manual clock: nothing is sent again until the test moves it.
    config: { smppUrl: `smpp://127.0.0.1:${smsc.port}`, smppSystemId: 'kairos', smppPassword: 'secret', smppSource: 'BANK', deliveryPollMs: 20, deliveryBackoffMs: 60_000, reminderPollMs: 20, clock: 'manual' },
    manualClockStart: AT,
    dataDir: data.dir,
    keepDataDir: true,
  });
  gw = await GatewayClient.connect(k.wsUrl);
}

async function stop(): Promise<void> {
  gw.close();
  await k.close();
}

beforeAll(async () => {
  smsc = await startTestSmsc(onSubmit);
  await start();
});

afterAll(async () => {
  await stop();
  await smsc.close();
  data.remove();
});

async function get(path: string): Promise<any> {
  return (await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders })).json();
}

async function sms(): Promise<Array<{ instance: string; customer: string; attempts: number }>> {
  return ((await get('/v1/outbox/sms')) as { entries: Array<{ instance: string; customer: string; attempts: number }> }).entries;
}

async function contact(customer: string, instance: string): Promise<{ instance: string; delivery?: string; outcome?: string } | undefined> {
  return ((await get(`/v1/customers/${customer}`)).contacts as Array<{ instance: string; delivery?: string; outcome?: string }>).find((c) => c.instance === instance);
}

async function deliver(fields: Record<string, unknown>): Promise<void> {
  await smsc.deliver(fields);
}

async function declined(card: string): Promise<Frame> {
  const d = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card }, channel: 'atm', at: AT, data: { requested: 1000, balance: 800 } });
  const action = (d.actions as Frame[])[0]!;
  expect(action.channel).toBe('sms');
  return action;
}

describe('an SMS across a merge and a restart', () => {
  it('sends a merged-away customer’s queued SMS once, and its receipt and offer expiry land on the survivor', async () => {
    const phone = ((await get('/v1/customers/demo-20')).identifiers.phone as string[])[0]!.replace('+', '');
    refusing = true;
    const action = await declined('card-20');
    const instance = action.instance as string;
    expect(instance).toMatch(/^demo-20:/);
    // The SMSC refused it for now: queued, waiting for its retry.
    await until('the refused attempt', async () => (await sms()).find((e) => e.instance === instance && e.attempts === 1));

    const res = await fetch(`${k.httpUrl}/v1/customers/demo-21/merge`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ from: 'demo-20' }) });
    expect(res.status).toBe(200);
    // Still queued, the same instance, now the survivor's; the offer-expiry reminder too.
    expect((await sms()).filter((e) => e.instance === instance)).toEqual([expect.objectContaining({ customer: 'demo-21', attempts: 1 })]);
    const reminders = await k.kairos.store.dueReminders(AT + 2 * HOUR, 100);
    expect(reminders.filter((r) => r.data?.['instance'] === instance)).toEqual([expect.objectContaining({ customer: 'demo-21', key: `demo-21|expiry:${instance}`, event: 'offer.expiry' })]);

    // The SMSC takes messages again; the retry's time comes: the SMS goes (both its parts).
    refusing = false;
    (k.kairos.clock as ManualClock).advance(61_000);
    const parts = await until('the SMS at the SMSC', () => {
      const taken = submitted.filter((s) => s.to === phone && s.messageId !== undefined);
      return taken.length >= 2 ? taken : undefined;
    });
    await until('an empty SMS outbox', async () => ((await sms()).length === 0 ? true : undefined));

    // The receipt for the last part: the survivor's contact is delivered.
    await deliver({ source_addr: phone, esm_class: 0x04, short_message: `id:${parts.at(-1)!.messageId} sub:001 dlvrd:001 submit date:2611241200 done date:2611241200 stat:DELIVRD err:000 text:` });
    await until('the contact delivered on the survivor', async () => ((await contact('demo-21', instance))?.delivery === 'delivered' ? true : undefined));

    // The offer's hour passes without an event: its reminder fires on the survivor.
    (k.kairos.clock as ManualClock).advance(HOUR);
    await until('the offer expired on the survivor', async () => ((await contact('demo-21', instance))?.outcome === 'expired' ? true : undefined));
    // Sent once: one refused attempt, then its two parts, nothing more.
    expect(submitted.filter((s) => s.to === phone).map((s) => s.messageId !== undefined)).toEqual([false, true, true]);
  });

  it('takes a reply to an SMS sent before a restart as the reply of the customer it was for', async () => {
    const phone = ((await get('/v1/customers/demo-22')).identifiers.phone as string[])[0]!;
    // The offer expires an hour after it is made (the server's clock, moved on by the test before).
    const expiresAt = k.kairos.clock.now() + HOUR;
    const action = await declined('card-22');
    const instance = action.instance as string;
    await until('the SMS at the SMSC', () => (submitted.filter((s) => s.to === phone.replace('+', '')).length >= 2 ? true : undefined));
    await until('an empty SMS outbox', async () => ((await sms()).length === 0 ? true : undefined));
    // Kept under the phone's keyed hash, never the phone in clear.
    const key = SMS_REPLY_PREFIX + stopKey('phone', phone, k.kairos.config.stopListSecret)!;
    expect(await k.kairos.store.getMeta(key)).toEqual({ instance, expiresAt } satisfies SmsReplyEntry);
    expect(JSON.stringify(await k.kairos.store.listMeta(SMS_REPLY_PREFIX, 100))).not.toContain(phone.slice(1));

    const before = smsc.session;
    await stop();
    await start();
    // Meanwhile the number has come to name another profile (reassigned): the reply still
    // answers the SMS, so it is demo-22's.
    await k.kairos.store.commit({ snapshots: [], identities: [{ kind: 'phone', value: phone, customer: 'demo-23' }], outbox: [] });
    // The adapter binds to the SMSC as the server starts, with nothing to send: the reply comes in.
    await until('the SMSC bound again', () => (smsc.session !== before ? true : undefined));
    await deliver({ source_addr: phone.replace('+', ''), esm_class: 0, short_message: '1' });
    const backoffice = await until('the back-office action', async () => ((await get('/v1/outbox/backoffice')).entries as Array<{ instance: string }>).find((e) => e.instance === instance));
    expect(backoffice).toMatchObject({ action: 'issue_credit', customer: 'demo-22' });
    expect(await contact('demo-22', instance)).toMatchObject({ outcome: 'accepted' });
  });
});
