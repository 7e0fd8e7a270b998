import { Packr, Unpackr } from 'msgpackr';
import type { CustomerRef, EventLocation, GatewayEvent, GatewayResponse } from '../../actors/index.js';
import { identifierKinds, normalizeIdentifier } from '../../actors/index.js';
import { checkMsgpack } from './msgpack-check.js';
import { checkPlainData, isPlainMap } from './plain-data.js';

/**
 * The gateway wire format (PROTOCOL.md v1): decoding MessagePack frames and validating the
 * client's frames into typed values, with errors that name the field. Server frames are
 * encoded as plain MessagePack maps (no msgpackr record extension), so any client library
 * can read them.
 */

export type ClientFrame =
  | { t: 'event'; event: GatewayEvent }
  | { t: 'response'; response: GatewayResponse }
  | { t: 'subscribe'; id: string; channels: string[] }
  | { t: 'delivered'; id: string; instance: string; channel?: string }
  | { t: 'failed'; id: string; instance: string; reason?: string; channel?: string };

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: 'bad_frame' | 'invalid',
    message: string,
    readonly re?: string,
  ) {
    super(message);
  }
}

// 'auto' (a number when it fits, a bigint otherwise) is supported by msgpackr 2 but missing from its types.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number', copyBuffers: true });
const packr = new Packr({ useRecords: false, variableMapSize: true });

export function encodeFrame(frame: object): Buffer {
  return packr.pack(frame);
}

/**
 * Decodes one binary frame into a map, or throws `bad_frame`. The bytes are checked first
 * (checkMsgpack): plain values only, bounded nesting, no extensions, so the decoder builds
 * nothing a commit could fail to store.
 */
export function decodeFrame(bytes: Uint8Array): Record<string, unknown> {
  const problem = checkMsgpack(bytes);
  if (problem !== undefined) throw new FrameError('bad_frame', `not valid MessagePack: ${problem}`);
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new FrameError('bad_frame', `not valid MessagePack: ${(err as Error).message}`);
  }
  if (!isPlainMap(value)) throw new FrameError('bad_frame', 'a frame must hold one MessagePack map');
  return value;
}

/** The frame's id, if it has a readable one: errors carry it as `re`. */
export function readableId(raw: Record<string, unknown>): string | undefined {
  const id = raw.id;
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 ? id : undefined;
}

// ---------------------------------------------------------------------------------------
// Field readers: each throws `invalid` naming the field.

class Fields {
  constructor(
    private readonly raw: Record<string, unknown>,
    readonly re: string | undefined,
    private readonly prefix = '',
  ) {}

  fail(field: string, problem: string): never {
    throw new FrameError('invalid', `field "${this.prefix}${field}": ${problem}`, this.re);
  }

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  string(field: string, min: number, max: number): string {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required');
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${describe(v)}`);
    if (v.length < min || v.length > max) this.fail(field, `must be ${min} to ${max} characters long`);
    return v;
  }

  optionalString(field: string, min: number, max: number): string | undefined {
    return this.has(field) ? this.string(field, min, max) : undefined;
  }

  /** epoch milliseconds: a non-negative whole number (msgpack int64 or float64) */
  optionalEpochMs(field: string): number | undefined {
    if (!this.has(field)) return undefined;
    const v = this.raw[field];
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) this.fail(field, `must be epoch milliseconds (a whole number), got ${describe(v)}`);
    return n;
  }

  number(field: string, min: number, max: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${describe(v)}`);
    if (v < min || v > max) this.fail(field, `must be from ${min} to ${max}`);
    return v;
  }

  map(field: string): Fields {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required');
    if (!isPlainMap(v)) this.fail(field, `must be a map, got ${describe(v)}`);
    return new Fields(v, this.re, `${this.prefix}${field}.`);
  }

  /** A free-form map that may be kept in a customer's state: bounded (plain-data.ts). */
  optionalData(field: string): Record<string, unknown> | undefined {
    if (!this.has(field)) return undefined;
    const v = this.raw[field];
    if (!isPlainMap(v)) this.fail(field, `must be a map, got ${describe(v)}`);
    const bad = checkPlainData(v, field);
    if (bad !== undefined) throw new FrameError('invalid', `field "${this.prefix}${bad.path}": ${bad.problem}`, this.re);
    return v;
  }

  stringList(field: string, maxItems: number, maxLen: number): string[] {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required');
    if (!Array.isArray(v) || v.length === 0 || v.length > maxItems) this.fail(field, `must be a list of 1 to ${maxItems} strings`);
    return v.map((item, i) => {
      if (typeof item !== 'string' || item.length === 0 || item.length > maxLen) this.fail(`${field}[${i}]`, `must be a string of 1 to ${maxLen} characters`);
      return item;
    });
  }
}

function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary';
  return typeof v === 'object' ? 'a map' : typeof v;
}

const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** The fields of an `event` (without `t`): shared by WebSocket frames and `POST /v1/events`. */
export function parseEvent(raw: Record<string, unknown>): GatewayEvent {
  const re = readableId(raw);
  const f = new Fields(raw, re);
  const id = f.string('id', 1, 128);
  const type = f.string('type', 1, 128);
  if (!EVENT_TYPE.test(type)) f.fail('type', 'may hold letters, digits and . _ : - only');
  const c = f.map('customer');
  const customer: CustomerRef = {};
  for (const kind of identifierKinds) {
    const value = c.optionalString(kind, 1, 128);
    if (value === undefined) continue;
    const normalized = normalizeIdentifier(kind, value);
    if (normalized === undefined) c.fail(kind, `is not a valid ${kind}`);
    customer[kind] = normalized;
  }
  if (Object.keys(customer).length === 0) f.fail('customer', `needs at least one of ${identifierKinds.join(', ')}`);
  const event: GatewayEvent = { id, type, customer };
  const at = f.optionalEpochMs('at');
  if (at !== undefined) event.at = at;
  const channel = f.optionalString('channel', 1, 32);
  if (channel !== undefined) event.channel = channel;
  if (f.has('location')) {
    const l = f.map('location');
    const location: EventLocation = { lat: l.number('lat', -90, 90), lon: l.number('lon', -180, 180) };
    const place = l.optionalString('place', 1, 128);
    if (place !== undefined) location.place = place;
    event.location = location;
  }
  const data = f.optionalData('data');
  if (data !== undefined) event.data = data;
  return event;
}

function parseResponse(f: Fields): GatewayResponse {
  const response: GatewayResponse = {
    id: f.string('id', 1, 128),
    instance: f.string('instance', 1, 300),
    outcome: f.string('outcome', 1, 64),
  };
  const at = f.optionalEpochMs('at');
  if (at !== undefined) response.at = at;
  const data = f.optionalData('data');
  if (data !== undefined) response.data = data;
  return response;
}

/** Validates a decoded client frame; throws `invalid` naming the field. */
export function parseClientFrame(raw: Record<string, unknown>): ClientFrame {
  const re = readableId(raw);
  const f = new Fields(raw, re);
  const t = f.string('t', 1, 32);
  switch (t) {
    case 'event':
      return { t, event: parseEvent(raw) };
    case 'response':
      return { t, response: parseResponse(f) };
    case 'subscribe':
      return { t, id: f.string('id', 1, 128), channels: f.stringList('channels', 32, 32) };
    case 'delivered':
    case 'failed': {
      const frame: ClientFrame =
        t === 'delivered'
          ? { t, id: f.string('id', 1, 128), instance: f.string('instance', 1, 300) }
          : { t, id: f.string('id', 1, 128), instance: f.string('instance', 1, 300) };
      const channel = f.optionalString('channel', 1, 32);
      if (channel !== undefined) frame.channel = channel;
      if (frame.t === 'failed') {
        const reason = f.optionalString('reason', 1, 1000);
        if (reason !== undefined) frame.reason = reason;
      }
      return frame;
    }
    default:
      return f.fail('t', `unknown frame type "${t}" (client frames: event, response, subscribe, delivered, failed)`);
  }
}
