import fc from 'fast-check';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { GatewayEventSchema } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import { FrameError, MAX_ECHOED_ID_LENGTH, decodeFrame, encodeFrame, parseClientFrame, parseEvent } from './frames.js';

/**
 * The frame parser without a server: what it reads, the field its errors name, and that the
 * compiled checker's fast path never changes an answer.
 */

type Outcome = { ok: unknown } | { code: string; message: string; re: string | undefined };

function outcome(parse: () => unknown): Outcome {
  try {
    return { ok: parse() };
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    return { code: err.code, message: err.message, re: err.re };
  }
}

function refusal(parse: () => unknown): string {
  const o = outcome(parse);
  if ('ok' in o) throw new KairosError('internal', `parsed: ${JSON.stringify(o.ok)}`);
  return o.message;
}

const event = { t: 'event', id: 'e-1', type: 'atm.withdrawal.declined', customer: { id: 'demo-1' } };

describe('parseClientFrame', () => {
  it('reads an event, normalising identifiers and leaving unknown fields out', () => {
    const frame = parseClientFrame({
      ...event,
      customer: { phone: '8 (916) 123-45-67', email: 'Anna@Example.COM', extra: 'x' },
      at: 1_000,
      channel: 'atm',
      location: { lat: 55.76, lon: 37.61, place: 'msk-1', floor: 2 },
      data: { requested: 1000 },
      future: true,
    });
    expect(frame).toEqual({
      t: 'event',
      event: { id: 'e-1', type: 'atm.withdrawal.declined', customer: { phone: '+79161234567', email: 'anna@example.com' }, at: 1_000, channel: 'atm', location: { lat: 55.76, lon: 37.61, place: 'msk-1' }, data: { requested: 1000 } },
    });
  });

  it('reads nil in an optional field as absent, and a missing required one as required', () => {
    expect(parseClientFrame({ ...event, customer: { id: 'demo-1', card: null }, at: null, channel: null, location: null, data: null })).toEqual({
      t: 'event',
      event: { id: 'e-1', type: 'atm.withdrawal.declined', customer: { id: 'demo-1' } },
    });
    expect(refusal(() => parseClientFrame({ ...event, type: null }))).toBe('field "type": is required');
    expect(parseClientFrame({ t: 'failed', id: 'f', instance: 'i', channel: null, reason: null })).toEqual({ t: 'failed', id: 'f', instance: 'i' });
  });

  it('reads an int64 at within 2^53 that another decoder gave as a bigint, and refuses one beyond', () => {
    expect(parseEvent({ ...event, at: 1_700_000_000_000n })).toMatchObject({ at: 1_700_000_000_000 });
    expect(refusal(() => parseEvent({ ...event, at: 2n ** 60n }))).toBe('field "at": must be epoch milliseconds (a whole number), got 1152921504606846976, past 2^53 − 1');
    expect(refusal(() => parseEvent({ ...event, at: -(2n ** 60n) }))).toBe('field "at": must be epoch milliseconds (a whole number), got -1152921504606846976, before 1970');
    expect(refusal(() => parseClientFrame(decodeFrame(encodeFrame({ ...event, at: 2 ** 53 }))))).toBe('field "at": must be epoch milliseconds (a whole number), got 9007199254740992, past 2^53 − 1');
    expect(refusal(() => parseEvent({ ...event, at: -1 }))).toBe('field "at": must be epoch milliseconds (a whole number), got -1, before 1970');
    expect(refusal(() => parseEvent({ ...event, at: Number.POSITIVE_INFINITY }))).toBe('field "at": must be epoch milliseconds (a whole number), got Infinity, not a finite number');
    expect(refusal(() => parseEvent({ ...event, at: 'now' }))).toBe('field "at": must be epoch milliseconds (a whole number), got string');
    expect(refusal(() => parseEvent({ ...event, type: 2n ** 64n - 1n }))).toBe('field "type": must be a string, got 18446744073709551615, an integer beyond ±(2^53 − 1)');
  });

  it('refuses a map that is binary, which the compiled checker lets through as an object', () => {
    expect(refusal(() => parseClientFrame({ ...event, customer: new Uint8Array([1]) }))).toBe('field "customer": must be a map, got binary');
    expect(refusal(() => parseClientFrame({ ...event, location: Buffer.from([1]) }))).toBe('field "location": must be a map, got binary');
  });

  it('names the first wrong field, in the order the frame is read', () => {
    expect(refusal(() => parseClientFrame({ t: 'event', id: 5, type: 'no spaces' }))).toBe('field "id": must be a string, got number');
    expect(refusal(() => parseClientFrame({ ...event, customer: { phone: 'call me', email: 5 }, at: 'now' }))).toBe('field "customer.phone": is not a valid phone');
    expect(refusal(() => parseClientFrame({ ...event, customer: { card: 5, phone: 'call me' } }))).toBe('field "customer.card": must be a string, got number');
    expect(refusal(() => parseClientFrame({ ...event, channel: '', location: { lat: 'north' } }))).toBe('field "channel": must be 1 to 32 characters long');
    expect(refusal(() => parseClientFrame({ ...event, location: { lon: 200 } }))).toBe('field "location.lat": is required');
    expect(refusal(() => parseClientFrame({ t: 'subscribe', id: 's', channels: ['sms', 7] }))).toBe('field "channels[1]": must be a string of 1 to 32 characters');
    expect(refusal(() => parseClientFrame({ t: 'x'.repeat(33), id: 'i' }))).toBe('field "t": must be 1 to 32 characters long');
  });

  it('carries the frame id as re, and is a KairosError (400)', () => {
    let err: unknown;
    try {
      parseClientFrame({ t: 'response', id: 'r-9', instance: 'i' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KairosError);
    expect(err).toMatchObject({ code: 'invalid', re: 'r-9', status: 400, message: 'field "outcome": is required' });
  });

  it('counts characters (code points), not UTF-16 units, against every length bound', () => {
    const emoji = (n: number) => '😀'.repeat(n);
    // 100 characters, 196 UTF-16 units: within "1..128 chars"
    const id = `abcd${emoji(96)}`;
    expect(parseClientFrame({ ...event, id })).toMatchObject({ event: { id } });
    expect(outcome(() => parseClientFrame({ ...event, id: emoji(129) }))).toEqual({ code: 'invalid', re: emoji(129), message: 'field "id": must be 1 to 128 characters long' });
    expect(parseEvent({ ...event, customer: { cookie: emoji(128) }, channel: emoji(32), data: { [emoji(128)]: 1 } })).toMatchObject({ customer: { cookie: emoji(128) }, channel: emoji(32) });
    expect(refusal(() => parseEvent({ ...event, customer: { cookie: emoji(129) } }))).toBe('field "customer.cookie": must be 1 to 128 characters long');
    expect(refusal(() => parseEvent({ ...event, data: { [emoji(129)]: 1 } }))).toBe('field "data": has a key longer than 128 characters');
    expect(parseClientFrame({ t: 'subscribe', id: emoji(128), channels: [emoji(32)] })).toEqual({ t: 'subscribe', id: emoji(128), channels: [emoji(32)] });
    expect(refusal(() => parseClientFrame({ t: 'subscribe', id: 's', channels: [emoji(33)] }))).toBe('field "channels[0]": must be a string of 1 to 32 characters');
    expect(parseClientFrame({ t: 'failed', id: 'f', instance: emoji(300), reason: emoji(1000) })).toMatchObject({ instance: emoji(300), reason: emoji(1000) });
  });

  it('echoes an id it refuses for its length as re, up to MAX_ECHOED_ID_LENGTH characters', () => {
    const long = 'x'.repeat(200);
    expect(outcome(() => parseClientFrame({ ...event, id: long }))).toEqual({ code: 'invalid', re: long, message: 'field "id": must be 1 to 128 characters long' });
    expect(outcome(() => parseClientFrame({ ...event, id: 'x'.repeat(MAX_ECHOED_ID_LENGTH + 1) }))).toMatchObject({ code: 'invalid', re: undefined });
    expect(outcome(() => parseClientFrame({ ...event, id: '' }))).toMatchObject({ code: 'invalid', re: undefined });
  });

  it('copies the channels of a subscribe', () => {
    const channels = ['ib', 'callcenter'];
    const frame = parseClientFrame({ t: 'subscribe', id: 's', channels });
    expect(frame).toEqual({ t: 'subscribe', id: 's', channels });
    expect(frame.t === 'subscribe' && frame.channels).not.toBe(channels);
  });
});

// Values of every kind and size, the edge of every bound among them.
const anyValue = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, true, '', 'a', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(128), 'x'.repeat(129), 'no spaces', 'ib.login', 'demo-1'),
  fc.constantFrom<unknown>('+79161234567', '8 916 123 45 67', 'call me', 'Anna@Example.com', 'a@', '  '),
  fc.constantFrom<unknown>('😀'.repeat(32), '😀'.repeat(33), '😀'.repeat(128), '😀'.repeat(129), `a${'😀'.repeat(64)}`),
  fc.constantFrom<unknown>(0, -1, 1.5, 90, 90.0001, -180, 181, 1_700_000_000_000, 2 ** 53 - 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 5n, 2n ** 60n),
  fc.constantFrom<unknown>([], ['sms'], {}, { id: 'demo-1' }, { lat: 1, lon: 2 }, new Uint8Array([1])),
  fc.string({ maxLength: 140 }),
  fc.double(),
  fc.integer(),
);
const anyOf = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: anyValue, weight: 1 });
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const customerArb = anyOf(
  fc.record(
    {
      id: anyOf(fc.constantFrom('demo-1', 'demo-2')),
      card: anyOf(fc.constant('tok-1')),
      phone: anyOf(fc.constantFrom('+79161234567', '8 916 123 45 67', 'call me')),
      email: anyOf(fc.constantFrom('anna@example.com', 'nope')),
      cookie: anyOf(fc.constant('c-1')),
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const locationArb = anyOf(fc.record({ lat: anyOf(fc.double({ min: -90, max: 90, noNaN: true })), lon: anyOf(fc.double({ min: -180, max: 180, noNaN: true })), place: optional(anyOf(fc.constant('msk-1'))) }, { requiredKeys: ['lat', 'lon'] }));
const dataArb = anyOf(fc.dictionary(fc.string({ maxLength: 130 }), fc.jsonValue({ maxDepth: 9 }), { maxKeys: 4 }));
const eventArb = fc.record(
  {
    t: anyOf(fc.constant('event')),
    id: anyOf(fc.string({ minLength: 1, maxLength: 130 })),
    type: anyOf(fc.constantFrom('ib.login', 'atm.withdrawal.declined', 'card.transaction', 'no spaces', '.dot')),
    customer: customerArb,
    at: anyOf(fc.integer({ min: 0, max: 2 ** 44 })),
    channel: anyOf(fc.constantFrom('atm', 'web', '')),
    location: locationArb,
    data: dataArb,
    extra: anyValue,
  },
  { requiredKeys: ['t', 'id', 'type', 'customer'] },
);
const otherFrameArb = fc.record(
  {
    t: fc.constantFrom('response', 'subscribe', 'delivered', 'failed', 'bogus'),
    id: anyOf(fc.constant('r-1')),
    instance: anyOf(fc.constantFrom('demo-1:1.a', 'x'.repeat(301))),
    outcome: anyOf(fc.constantFrom('accepted', 'x'.repeat(65))),
    at: anyOf(fc.integer({ min: 0 })),
    data: dataArb,
    channels: anyOf(fc.array(anyOf(fc.constantFrom('sms', 'ib', '')), { maxLength: 34 })),
    channel: anyOf(fc.constant('sms')),
    reason: anyOf(fc.string({ maxLength: 1001 })),
  },
  { requiredKeys: ['t'] },
);

describe('the compiled checker', () => {
  const check = TypeCompiler.Compile(GatewayEventSchema);

  it('never changes an answer: with it and without it, the same frame or the same error (fast-check)', () => {
    let checked = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(eventArb, otherFrameArb), (raw) => {
        const frame = raw as Record<string, unknown>;
        const fast = outcome(() => parseClientFrame(frame));
        expect(fast).toEqual(outcome(() => parseClientFrame(frame, false)));
        if (frame.t === 'event') {
          expect(outcome(() => parseEvent(frame))).toEqual(outcome(() => parseEvent(frame, false)));
          if (check.Check(frame)) checked++;
        }
        if ('ok' in fast) accepted++;
      }),
      { numRuns: 3000 },
    );
    // The property held for frames the checker passed and frames it refused, accepted and refused ones.
    expect(checked).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(2900);
  });
});
