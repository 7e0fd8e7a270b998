import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppPdu } from '../delivery/smpp-adapter.js';
import type { TestSmsc } from '../test-support/smsc.js';
import { startTestSmsc } from '../test-support/smsc.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until } from '../test-support/test-kairos.js';

/**
 * Identity you can trust, through the real server with the demo bank and an SMSC simulator:
 * an event naming demo-50's card and demo-51's phone is decided for demo-50 (the card is the
 * stronger identifier) without taking the phone from demo-51; the conflict is listed for
 * review and counted; demo-51's reply "1" to the SMS sent to demo-51 accepts demo-51's offer.
 */

const AT = Date.parse('2026-11-24T12:00:00+03:00');
const submitted: SmppPdu[] = [];
let nextId = 0;
let smsc: TestSmsc;

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  smsc = await startTestSmsc((pdu) => {
    submitted.push(pdu);
    return { message_id: `m-${++nextId}` };
  });
  const port = smsc.port;
  k = await startTestKairos({
    config: { smppUrl: `smpp://127.0.0.1:${port}`, smppSystemId: 'kairos', smppPassword: 'secret', smppSource: 'BANK', deliveryPollMs: 20, clock: 'manual' },
    manualClockStart: AT,
  });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
  await smsc.close();
});

async function get(path: string): Promise<any> {
  return (await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders })).json();
}

async function post(path: string): Promise<Response> {
  return fetch(`${k.httpUrl}${path}`, { method: 'POST', headers: adminHeaders, body: '{}' });
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${k.httpUrl}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.slice(line.length).trim());
}

async function reply(phone: string, text: string): Promise<void> {
  await smsc.deliver({ source_addr: phone.replace('+', ''), esm_class: 0, short_message: text });
}

describe('identity conflicts', () => {
  it('keeps the phone with demo-51, lists and counts the conflict, and demo-51’s reply "1" accepts demo-51’s offer', async () => {
    const phone51 = ((await get('/v1/customers/demo-51')).identifiers.phone as string[])[0]!;
    const phone50 = ((await get('/v1/customers/demo-50')).identifiers.phone as string[] | undefined) ?? [];
    const before = await metric('kairos_identity_conflicts_total{kind="phone"}');

    // demo-51's card is declined at the ATM: the shortfall SMS goes to demo-51's phone.
    const d = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-51' }, channel: 'atm', at: AT, data: { requested: 1000, balance: 800 } });
    const action = (d.actions as Frame[])[0]!;
    expect(action.channel).toBe('sms');
    await until('the SMS at the SMSC', () => submitted.find((p) => p.destination_addr === phone51.replace('+', '')));

    // An event names demo-50's card with demo-51's phone: decided for demo-50, the phone not taken.
    const taken = await gw.request({ t: 'event', id: uid(), type: 'app.opened', customer: { card: 'card-50', phone: phone51 }, channel: 'mobile', at: AT });
    expect(taken.t).toBe('decision');
    const card50 = await get('/v1/customers/demo-50');
    expect(card50.identifiers.phone ?? []).toEqual(phone50);
    expect((await get('/v1/customers/demo-51')).identifiers.phone).toContain(phone51);
    // Named so again: still one conflict, counted twice.
    await gw.request({ t: 'event', id: uid(), type: 'app.opened', customer: { card: 'card-50', phone: phone51 }, channel: 'mobile', at: AT });

    const page = await get('/v1/identity/conflicts');
    const mine = (page.conflicts as any[]).filter((c) => c.holder === 'demo-51' && c.claimant === 'demo-50');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'phone', count: 2, status: 'open' });
    expect(mine[0].identifier).not.toContain(phone51.slice(3, -2));
    expect(JSON.stringify(page)).not.toContain(phone51);
    expect(await metric('kairos_identity_conflicts_total{kind="phone"}')).toBe(before + 2);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    expect(metrics).not.toContain(phone51);

    // demo-51 answers "1": demo-51's offer is accepted.
    await reply(phone51, '1');
    await until('the offer accepted', async () => {
      const contacts = (await get('/v1/customers/demo-51')).contacts as Array<{ instance: string; outcome?: string }>;
      return contacts.find((c) => c.instance === action.instance && c.outcome === 'accepted');
    });
    const contacts50 = ((await get('/v1/customers/demo-50')).contacts ?? []) as Array<{ outcome?: string }>;
    expect(contacts50.filter((c) => c.outcome === 'accepted')).toEqual([]);

    // Reviewed: dismissed, listed as such; dismissing again answers the same; an unknown id is 404.
    const dismissed = await post(`/v1/identity/conflicts/${mine[0].id}/dismiss`);
    expect(dismissed.status).toBe(200);
    expect(await dismissed.json()).toMatchObject({ id: mine[0].id, status: 'dismissed' });
    expect((await post(`/v1/identity/conflicts/${mine[0].id}/dismiss`)).status).toBe(200);
    expect(((await get('/v1/identity/conflicts?status=open')).conflicts as Array<{ id: string }>).map((c) => c.id)).not.toContain(mine[0].id);
    expect(((await get('/v1/identity/conflicts?status=dismissed')).conflicts as Array<{ id: string }>).map((c) => c.id)).toContain(mine[0].id);
    expect((await post('/v1/identity/conflicts/000000000000000000000000/dismiss')).status).toBe(404);
    expect((await get('/v1/identity/conflicts?cursor=nope')).code).toBe('invalid');
  });
});
