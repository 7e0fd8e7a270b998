import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameError, parseClientFrame } from '../../transport/frames.js';
import type { Frame, TestKairos } from '../../test-support/test-kairos.js';
import { GatewayClient, startTestKairos, uid, yesterdayMsk } from '../../test-support/test-kairos.js';
import { GATEWAY_FRAMES_REGENERATE, GATEWAY_FRAMES_SCHEMA_FILE, gatewayFramesJson, gatewayFramesSchemaPath } from './gateway-frames-document.js';

/**
 * The checked-in JSON Schema of the gateway frames: it is what the code generates, an
 * independent validator (ajv) accepts the protocol's examples with it and refuses broken
 * ones as the server's parser does, and the frames a real server sends match it.
 */

const document = JSON.parse(readFileSync(gatewayFramesSchemaPath(), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({ allErrors: true });
ajv.addSchema(document, 'gateway-frames');
const validator = (def: string): ValidateFunction => ajv.getSchema(`gateway-frames#/$defs/${def}`)!;
const clientFrame = validator('ClientFrame');
const serverFrame = validator('ServerFrame');

function explain(v: ValidateFunction): string {
  return ajv.errorsText(v.errors);
}

it(`${GATEWAY_FRAMES_SCHEMA_FILE} is what the frame schemas generate`, () => {
  const checkedIn = readFileSync(gatewayFramesSchemaPath(), 'utf8');
  if (checkedIn !== gatewayFramesJson()) {
    expect.fail(`${GATEWAY_FRAMES_SCHEMA_FILE} differs from the frame schemas in src/schema/wire/ and actors/gateway-event.ts: regenerate it with \`${GATEWAY_FRAMES_REGENERATE}\` and commit it`);
  }
});

it('is a valid JSON Schema 2020-12 document with every frame', () => {
  expect(ajv.validateSchema(document)).toBe(true);
  const defs = Object.keys(document.$defs as object);
  expect(defs).toEqual(expect.arrayContaining(['EventFrame', 'ResponseFrame', 'SubscribeFrame', 'DeliveredFrame', 'FailedFrame', 'DecisionFrame', 'AckFrame', 'DeliverFrame', 'ErrorFrame']));
});

// The examples of PROTOCOL.md (docs/protocol-v1.md) and docs/protocol.md.
const at = 1_760_000_000_000;
const goodClientFrames: Frame[] = [
  { t: 'event', id: 'atm-7-000123', type: 'atm.withdrawal.declined', customer: { card: 'tok-4242' }, at, channel: 'atm', data: { requested: 1000, balance: 800, currency: 'RUB' } },
  { t: 'event', id: 'pos-1', type: 'card.transaction', customer: { id: 'demo-1' }, data: { amount: 1500, mcc: '5812', merchant: 'Coffee House' } },
  { t: 'event', id: 'br-1', type: 'branch.visit', customer: { phone: '8 (916) 123-45-67' }, channel: 'branch', location: { lat: 55.7614, lon: 37.609, place: 'msk-tverskaya' } },
  { t: 'event', id: 'web-1', type: 'web.pageview', customer: { cookie: 'c-1' }, channel: 'web', data: { url: '/deposits' } },
  { t: 'event', id: 'ib-1', type: 'ib.login', customer: { id: 'demo-1', email: 'Anna@Example.com' }, channel: 'ib' },
  { t: 'event', id: 'sms-1', type: 'sms.received', customer: { phone: '+79161234567' }, data: { text: '1' } },
  { t: 'event', id: 'c-1', type: 'consent.granted', customer: { id: 'demo-1' }, data: { channels: ['sms', 'email'] }, futureField: 'ignored' },
  { t: 'response', id: 'r-1', instance: 'demo-1:3.a1b2c3', outcome: 'accepted', at, data: { reply: '1' } },
  { t: 'response', id: 'r-2', instance: 'demo-1:3.a1b2c3', outcome: 'maybe-someday' },
  { t: 'subscribe', id: 's-1', channels: ['ib', 'callcenter', 'branch'] },
  { t: 'delivered', id: 'd-1', instance: 'demo-1:3.a1b2c3' },
  { t: 'delivered', id: 'd-2', instance: 'demo-1:3.a1b2c3', channel: 'sms' },
  { t: 'failed', id: 'f-1', instance: 'demo-1:3.a1b2c3', reason: 'handset unreachable' },
];

const goodServerFrames: Frame[] = [
  { t: 'decision', re: 'atm-7-000123', customer: 'demo-1', actions: [] },
  {
    t: 'decision',
    re: 'atm-7-000123',
    customer: 'demo-1',
    actions: [
      { instance: 'demo-1:3.a1b2c3', campaign: 'atm-shortfall', offer: 'atm-microcredit', channel: 'atm', content: { title: 'Не хватает?', text: 'Кредит 200 ₽', buttons: [{ id: 'accepted', label: 'Да' }] }, expiresAt: at },
      { instance: 'demo-1:4.d4e5f6', campaign: 'deposit', offer: 'deposit-7', channel: 'sms', content: { text: 'Вклад 7 %' } },
      { instance: 'demo-1:5.0a0b0c', campaign: 'deposit', offer: 'deposit-7', channel: 'email', content: { subject: 'Вклад', text: 'Вклад 7 %', html: '<p>Вклад 7 %</p>' } },
      { instance: 'demo-1:6.0d0e0f', campaign: 'pension', offer: 'pension-call', channel: 'callcenter', content: { script: 'Анна Петровна, ...' } },
    ],
  },
  { t: 'ack', re: 'r-1' },
  { t: 'deliver', instance: 'demo-1:4.d4e5f6', customer: 'demo-1', channel: 'sms', campaign: 'deposit', offer: 'deposit-7', content: { text: 'Вклад 7 %' }, expiresAt: at },
  { t: 'deliver', instance: 'demo-1:3.a1b2c3', customer: 'demo-1', channel: 'backoffice', campaign: 'atm-shortfall', offer: 'atm-microcredit', content: { action: 'issue_credit', vars: { shortfall: 200 } } },
  { t: 'error', code: 'bad_frame', message: 'text frames are refused: send each frame as binary MessagePack' },
  { t: 'error', re: 's-1', code: 'unauthorized', message: 'field "channels": this gateway token may not subscribe to "sms"' },
];

/** Broken frames, each with the field the server's parser names. */
const brokenClientFrames: Array<[Frame, string]> = [
  [{ t: 'event', id: 'e-1', customer: { id: 'demo-1' } }, 'type'],
  [{ t: 'event', id: 'e-1', type: 'no spaces please', customer: { id: 'demo-1' } }, 'type'],
  [{ t: 'event', id: 'e-1', type: 'ib.login', customer: { id: 42 } }, 'customer.id'],
  [{ t: 'event', id: 'e-1', type: 'ib.login', customer: { id: 'demo-1' }, at: 1.5 }, 'at'],
  [{ t: 'event', id: 'e-1', type: 'ib.login', customer: { id: 'demo-1' }, at: -1 }, 'at'],
  [{ t: 'event', id: 'e-1', type: 'ib.login', customer: { id: 'demo-1' }, location: { lat: 95, lon: 0 } }, 'location.lat'],
  [{ t: 'event', id: 'e-1', type: 'ib.login', customer: { id: 'demo-1' }, data: [1] }, 'data'],
  [{ t: 'event', id: 'x'.repeat(129), type: 'ib.login', customer: { id: 'demo-1' } }, 'id'],
  [{ t: 'response', id: 'r-1', instance: 'demo-1:1.a' }, 'outcome'],
  [{ t: 'subscribe', id: 's-1', channels: [] }, 'channels'],
  [{ t: 'subscribe', id: 's-1', channels: ['sms', ''] }, 'channels[1]'],
  [{ t: 'delivered', id: 'd-1' }, 'instance'],
  [{ t: 'failed', id: 'f-1', instance: 'i', reason: '' }, 'reason'],
  [{ t: 'bogus', id: 'b-1' }, 't'],
];

const brokenServerFrames: Frame[] = [
  { t: 'decision', re: 'e-1', customer: 'demo-1' },
  { t: 'decision', re: 'e-1', customer: 'demo-1', actions: [{ instance: 'i', campaign: 'c', offer: 'o', channel: 'atm' }] },
  { t: 'ack' },
  { t: 'error', re: 'e-1', code: 'teapot', message: 'no' },
  { t: 'deliver', instance: 'i', customer: 'demo-1', channel: 'sms', campaign: 'c', offer: 'o', content: { text: 7 } },
];

describe('the protocol examples', () => {
  it.each(goodClientFrames.map((f) => [f.t, f.id, f] as const))('accepts the client frame %s %s, as the server does', (_t, _id, frame) => {
    expect(clientFrame(frame), explain(clientFrame)).toBe(true);
    expect(() => parseClientFrame(frame)).not.toThrow();
  });

  it.each(goodServerFrames.map((f, i) => [f.t, i, f] as const))('accepts the server frame %s (#%i)', (_t, _i, frame) => {
    expect(serverFrame(frame), explain(serverFrame)).toBe(true);
  });

  it.each(brokenClientFrames)('refuses the broken client frame %j, as the server does naming %s', (frame, field) => {
    expect(clientFrame(frame)).toBe(false);
    let thrown: unknown;
    try {
      parseClientFrame(frame);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FrameError);
    expect((thrown as FrameError).code).toBe('invalid');
    expect((thrown as FrameError).message).toMatch(new RegExp(`^field "${field.replace(/[[\]]/g, '\\$&')}": `));
  });

  it.each(brokenServerFrames.map((f, i) => [f.t, i, f] as const))('refuses the broken server frame %s (#%i)', (_t, _i, frame) => {
    expect(serverFrame(frame)).toBe(false);
  });
});

describe('the frames a real server sends', () => {
  let k: TestKairos;
  let gw: GatewayClient;

  beforeAll(async () => {
    k = await startTestKairos({ config: { store: 'memory' } });
    gw = await GatewayClient.connect(k.wsUrl);
  });

  afterAll(async () => {
    gw.close();
    await k.close();
  });

  const expectFrame = (frame: Frame, def: string): void => {
    const v = validator(def);
    expect(v(frame), `${JSON.stringify(frame)}: ${explain(v)}`).toBe(true);
  };

  it('match the schema: a decision with an action, an ack, a pushed back-office action, an error', async () => {
    const event: Frame = { t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-44' }, channel: 'atm', at: yesterdayMsk('10:00'), data: { requested: 1000, balance: 800 } };
    expectFrame(event, 'EventFrame');
    const decision = await gw.request(event);
    expectFrame(decision, 'DecisionFrame');
    const actions = decision.actions as Array<Record<string, unknown>>;
    expect(actions.length).toBeGreaterThan(0);

    const subscribe: Frame = { t: 'subscribe', id: uid(), channels: ['backoffice'] };
    expectFrame(await gw.request(subscribe), 'AckFrame');
    const response: Frame = { t: 'response', id: uid(), instance: actions[0]!.instance, outcome: 'accepted' };
    const [ack, deliver] = await Promise.all([gw.request(response), gw.next((f) => f.t === 'deliver')]);
    expectFrame(ack, 'AckFrame');
    expectFrame(deliver, 'DeliverFrame');
    expect(deliver.channel).toBe('backoffice');
    const delivered: Frame = { t: 'delivered', id: uid(), instance: deliver.instance };
    expectFrame(delivered, 'DeliveredFrame');
    expectFrame(await gw.request(delivered), 'AckFrame');

    const error = await gw.request({ t: 'event', id: uid(), customer: { id: 'demo-44' } });
    expectFrame(error, 'ErrorFrame');
    expect(error).toMatchObject({ code: 'invalid', message: 'field "type": is required' });
  });
});
