import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until } from '../test-support/test-kairos.js';
import type { SmppPdu, SmppSession } from './smpp-adapter.js';
import { smpp } from './smpp-adapter.js';
import { decodeShortMessage, smsParts } from './sms-parts.js';

/**
 * Two-way SMS over SMPP 3.4 against an SMSC simulator started here (an SMPP server built on
 * the `smpp` library): the ATM shortfall SMS goes as concatenated UCS-2 submit_sm parts; a
 * delivery receipt marks the contact delivered; the customer's reply "1" accepts the credit
 * and queues the back-office action.
 */

interface Submitted {
  pdu: SmppPdu;
  at: number;
  text: string;
  udh?: Buffer;
}

/** When the customer's card is declined (Moscow, midday). */
const AT = Date.parse('2026-11-24T12:00:00+03:00');
const submitted: Submitted[] = [];
const binds: Array<{ system_id: string; password: string }> = [];
let smscSession: SmppSession | undefined;
let nextId = 0;
const server = smpp.createServer({}, (session) => {
  session.on('bind_transceiver', (pdu: SmppPdu & { system_id: string; password: string }) => {
    binds.push({ system_id: pdu.system_id, password: pdu.password });
    session.send(pdu.response(pdu.password === 'secret' ? {} : { command_status: smpp.ESME_RBINDFAIL }));
    if (pdu.password === 'secret') smscSession = session;
  });
  session.on('submit_sm', (pdu: SmppPdu) => {
    const sm = pdu.short_message;
    // The library hands the UDH over as its information elements: [00 03 ref total seq] for concatenation.
    const ies = typeof sm === 'object' && sm !== null && !Buffer.isBuffer(sm) ? (sm.udh as unknown as Buffer[] | undefined) : undefined;
    const udh = ies?.[0];
    const entry: Submitted = { pdu, at: performance.now(), text: decodeShortMessage(pdu.short_message, pdu.data_coding) };
    if (udh !== undefined) entry.udh = Buffer.from(udh);
    submitted.push(entry);
    session.send(pdu.response({ message_id: `m-${++nextId}` }));
  });
  session.on('enquire_link', (pdu: SmppPdu) => session.send(pdu.response()));
  session.on('unbind', (pdu: SmppPdu) => session.send(pdu.response()));
});

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  // A manual clock at the ATM event's time: the customer's SMS reply is stamped with the
  // server's clock, and the offer it answers expires an hour after the event.
  k = await startTestKairos({
    config: { smppUrl: `smpp://127.0.0.1:${port}`, smppSystemId: 'kairos', smppPassword: 'secret', smppSource: 'BANK', deliveryPollMs: 20, clock: 'manual' },
    manualClockStart: AT,
  });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function outbox(channel: string): Promise<Array<{ instance: string; action?: string; vars?: Record<string, unknown> }>> {
  const body = (await (await fetch(`${k.httpUrl}/v1/outbox/${channel}`, { headers: adminHeaders })).json()) as { entries: Array<{ instance: string; action?: string; vars?: Record<string, unknown> }> };
  return body.entries;
}

async function card(id: string): Promise<any> {
  return (await fetch(`${k.httpUrl}/v1/customers/${id}`, { headers: adminHeaders })).json();
}

describe('SMS over SMPP', () => {
  it('submits the ATM shortfall SMS as concatenated UCS-2 parts, takes the receipt, and a reply "1" accepts the credit', async () => {
    const d = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-19' }, channel: 'atm', at: AT, data: { requested: 1000, balance: 800 } });
    const action = (d.actions as Frame[])[0]!;
    const text = (action.content as { text: string }).text;
    const phone = ((await card('demo-19')).identifiers.phone as string[])[0]!;
    const expected = smsParts(text);
    expect(expected).toMatchObject({ encoding: 'ucs2' });
    expect(expected.parts.length).toBe(2);

    const parts = await until('both parts at the SMSC', () => (submitted.length >= 2 ? submitted.slice(0, 2) : undefined));
    expect(binds[0]).toEqual({ system_id: 'kairos', password: 'secret' });
    for (const [i, p] of parts.entries()) {
      expect(p.pdu).toMatchObject({ data_coding: 8, destination_addr: phone.replace('+', ''), source_addr: 'BANK' });
      expect([...p.udh!.subarray(0, 2)]).toEqual([0x00, 0x03]);
      expect([...p.udh!.subarray(3)]).toEqual([2, i + 1]);
      expect(p.pdu.esm_class! & 0x40).toBe(0x40);
    }
    expect(parts[0]!.udh![2]).toBe(parts[1]!.udh![2]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    // The receipt is asked for on the last part only.
    expect(parts.map((p) => (p.pdu as unknown as { registered_delivery: number }).registered_delivery)).toEqual([0, 1]);
    // Accepted by the SMSC: out of the outbox.
    await until('an empty SMS outbox', async () => ((await outbox('sms')).length === 0 ? true : undefined));

    // The SMSC's receipt for the last part's id: delivered.
    smscSession!.send(
      new (smpp as unknown as { PDU: new (cmd: string, fields: Record<string, unknown>) => SmppPdu }).PDU('deliver_sm', {
        source_addr: phone.replace('+', ''),
        destination_addr: 'BANK',
        esm_class: 0x04,
        short_message: `id:m-2 sub:001 dlvrd:001 submit date:2611241200 done date:2611241200 stat:DELIVRD err:000 text:`,
      }),
    );
    await until('the contact delivered', async () => {
      const contacts = (await card('demo-19')).contacts as Array<{ instance: string; delivery: string }>;
      return contacts.find((c) => c.instance === action.instance && c.delivery === 'delivered');
    });

    // The customer answers "1" from the phone: accepted, and the back office is to issue the credit.
    smscSession!.send(
      new (smpp as unknown as { PDU: new (cmd: string, fields: Record<string, unknown>) => SmppPdu }).PDU('deliver_sm', {
        source_addr: phone.replace('+', ''),
        destination_addr: 'BANK',
        esm_class: 0,
        short_message: '1',
      }),
    );
    const backoffice = await until('the back-office action', async () => {
      const entries = await outbox('backoffice');
      return entries.find((e) => e.instance === action.instance);
    });
    expect(backoffice).toMatchObject({ action: 'issue_credit', vars: { shortfall: 200 } });
    const contacts = (await card('demo-19')).contacts as Array<{ instance: string }>;
    expect(contacts.find((c) => c.instance === action.instance)).toMatchObject({ outcome: 'accepted' });
  });
});
