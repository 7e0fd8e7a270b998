import { Packr, Unpackr } from 'msgpackr';
import { Type } from '@sinclair/typebox';
import type { TObject } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import type { CustomerRef, EventLocation, GatewayEvent, GatewayResponse } from '../../actors/index.js';
import { GatewayEventSchema, GatewayResponseSchema, hasCharacters, identifierKinds, normalizeIdentifier } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import type { DeliveredFrame, FailedFrame, SubscribeFrame } from '../schema/wire/client-frames.js';
import { DeliveredFrameSchema, FailedFrameSchema, FrameHeaderSchema, SubscribeFrameSchema, clientFrameTypes } from '../schema/wire/client-frames.js';
import { checkMsgpack, lastCheckIdTwice, lastCheckRenamedProto, readIdInBytes } from './msgpack-check.js';
import { checkPlainData, isPlainMap } from './plain-data.js';
import { rewriteWholeFloats } from './rewrite-whole-floats.js';

/**
 * The gateway wire format (PROTOCOL.md v1): decoding MessagePack frames and validating the
 * client's frames into typed values, with errors that name the field. The frames are declared
 * once, as TypeBox schemas (actors/gateway-event.ts, src/schema/wire/): a frame is checked by
 * the schema's compiled checker first, and then read without checking its fields again; only
 * a frame the checker refuses is read field by field, in the order below, against the same
 * schema, so the error names the first field that is wrong (and nil, which the checker
 * refuses, reads as absent there). Server frames are encoded as plain MessagePack maps (no
 * msgpackr record extension), so any client library can read them, and every whole number in
 * them as a MessagePack integer (rewrite-whole-floats.ts), so a strict one reads an epoch
 * millisecond as the integer the contract says it is.
 */

export type ClientFrame =
  | { t: 'event'; event: GatewayEvent }
  | { t: 'response'; response: GatewayResponse }
  | SubscribeFrame
  | DeliveredFrame
  | FailedFrame;

/** A frame that could not be read: `bad_frame` or `invalid`, with the frame's id as `re` when it could be read. */
export class FrameError extends KairosError {
  declare readonly code: 'bad_frame' | 'invalid';
  constructor(
    code: 'bad_frame' | 'invalid',
    message: string,
    readonly re?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

// 'auto' (a number when it fits, a bigint otherwise) is supported by msgpackr 2 but missing from its types.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number', copyBuffers: true });
const packr = new Packr({ useRecords: false, variableMapSize: true });

/** A server frame as MessagePack: a plain map, whole numbers as integers (int64/uint64 past 32 bits), fractions as float64. */
export function encodeFrame(frame: object): Buffer {
  return rewriteWholeFloats(packr.pack(frame));
}

/**
 * Decodes one binary frame into a map, or throws `bad_frame`. The bytes are checked first
 * (checkMsgpack): plain values only, bounded nesting, no extensions, strings of valid UTF-8,
 * so the decoder builds nothing a commit could fail to store and rewrites no string. `what`
 * names the bytes in the message: a WebSocket frame, or the body of `POST /v1/events`
 * (`the body: map keys must be strings (byte 1)`). A refusal carries the top-level map's `id`
 * as `re` whenever the bytes let it be read ({@link idInBytes}).
 */
export function decodeFrame(bytes: Uint8Array, what = 'the frame'): Record<string, unknown> {
  if (bytes.byteLength === 0) throw new FrameError('bad_frame', `${what} is empty`);
  const problem = checkMsgpack(bytes);
  if (problem !== undefined) throw new FrameError('bad_frame', `${what}: ${problem}`, lastCheckIdTwice() ? undefined : idInBytes(bytes));
  const renamedProto = lastCheckRenamedProto();
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new FrameError('bad_frame', `${what} is not valid MessagePack: ${(err as Error).message}`, idInBytes(bytes), { cause: err });
  }
  if (!isPlainMap(value)) throw new FrameError('bad_frame', `${what} must be one MessagePack map, got ${describe(value)}`);
  if (renamedProto) restoreProtoKeys(value, 0);
  return value;
}

/**
 * Gives a map key sent as `__proto__` back its name: msgpackr decodes it as `__proto_`, and
 * the error refusing it (plain-data.ts) would name a key the gateway never sent. Only when the
 * frame held a `__proto__` key and no `__proto_` one (checkMsgpack tells), so every
 * `__proto_` was one; the key becomes an own data property (as JSON.parse makes it), in its
 * place among the others. Nothing else reads such a frame: plain-data.ts refuses the key in
 * `data`, and elsewhere it is an unknown field, ignored.
 */
function restoreProtoKeys(v: unknown, depth: number): void {
  if (typeof v !== 'object' || v === null || depth > 64) return;
  if (Array.isArray(v)) {
    for (const x of v) restoreProtoKeys(x, depth + 1);
    return;
  }
  if (!isPlainMap(v)) return;
  if (Object.hasOwn(v, '__proto_')) {
    const entries = Object.entries(v);
    for (const [k] of entries) Reflect.deleteProperty(v, k);
    for (const [k, x] of entries) Object.defineProperty(v, k === '__proto_' ? '__proto__' : k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  for (const k in v) if (Object.hasOwn(v, k)) restoreProtoKeys(v[k], depth + 1);
}

/**
 * The longest id an error echoes as `re`. An id past the 128 characters a request may have is
 * refused, but it was read, so its error carries it (PROTOCOL.md: `re` whenever the id could be
 * read) up to this length; a longer one is not echoed at all, rather than cut (a cut id could be
 * another request's).
 */
export const MAX_ECHOED_ID_LENGTH = 1024;

/** `id` as an error's `re`: a string of 1 to MAX_ECHOED_ID_LENGTH characters, else undefined. */
export function echoableId(id: unknown): string | undefined {
  return typeof id === 'string' && hasCharacters(id, 1, MAX_ECHOED_ID_LENGTH) ? id : undefined;
}

/** The frame's id, if it has a readable one: errors carry it as `re`. */
export function readableId(raw: Record<string, unknown>): string | undefined {
  return echoableId(raw.id);
}

/**
 * The id of a frame that was not decoded (refused, or rate limited), read from its bytes by a
 * bounded scan of the top-level map (msgpack-check.ts's readIdInBytes), for the error's `re`.
 */
export function idInBytes(bytes: Uint8Array): string | undefined {
  return echoableId(readIdInBytes(bytes));
}

// ---------------------------------------------------------------------------------------
// Compiled checkers, one per schema.

/**
 * The checker a schema is compiled into. A free-form `data` map is left to the code that
 * bounds it (plain-data.ts: it is a plain map of plain values, which implies the schema's
 * record of any values), and is read the same way whether the checker passed the frame or
 * not: so the checker skips it, rather than walk its entries twice.
 */
function compile<S extends TObject>(schema: S): TypeCheck<TObject> {
  const { data, ...rest } = schema.properties;
  return TypeCompiler.Compile(data === undefined ? schema : Type.Object({ ...rest, data: Type.Optional(Type.Unknown()) }));
}

const eventCheck = compile(GatewayEventSchema);
const responseCheck = compile(GatewayResponseSchema);
const subscribeCheck = compile(SubscribeFrameSchema);
const deliveredCheck = compile(DeliveredFrameSchema);
const failedCheck = compile(FailedFrameSchema);

const patterns = new Map<string, RegExp>();

function matches(pattern: string, v: string): boolean {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern);
    patterns.set(pattern, re);
  }
  return re.test(v);
}

/** What a value of the wrong kind is, in the wire's terms (never a JavaScript type name such as bigint). */
function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary';
  // (an int64 past ±2^53, from MessagePack or a JSON literal, is the one value read as a bigint)
  if (typeof v === 'bigint') return `${v}, an integer beyond ±(2^53 − 1)`;
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v}, not a finite number`;
  return typeof v === 'object' ? 'a map' : typeof v;
}

/** Why a value is not epoch milliseconds from `min` to `max`, naming the value as sent. */
function epochProblem(v: unknown, min: number, max: number): string {
  if (typeof v === 'bigint' || typeof v === 'number') {
    if (typeof v === 'number' && !Number.isFinite(v)) return `got ${v}, not a finite number`;
    if (typeof v === 'number' && !Number.isInteger(v)) return `got ${v}, not a whole number`;
    if (v < min) return min === 0 ? `got ${v}, before 1970` : `got ${v}, below ${min}`;
    if (max === Number.MAX_SAFE_INTEGER) return `got ${v}, past 2^53 − 1`;
    return `got ${v}, past ${max}`;
  }
  return `got ${describe(v)}`;
}

interface Bounds {
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** what the pattern asks for, in the words of an error message (the schema's own, as actors/schema-problem.ts reads it) */
  patternMessage?: string;
  items?: Bounds;
}

// ---------------------------------------------------------------------------------------
// Field readers: each reads one field of a map by its schema. A map its compiled checker
// passed is `trusted`: the schema's checks hold, and only what a schema cannot say is
// checked (a map is a plain map, the `data` bound). Otherwise each field is checked against
// its schema, and the first that fails throws `invalid` naming it.

type Key<S extends TObject> = keyof S['properties'] & string;

class Fields<S extends TObject> {
  constructor(
    private readonly schema: S,
    private readonly raw: Record<string, unknown>,
    private readonly trusted: boolean,
    readonly re: string | undefined,
    private readonly prefix = '',
  ) {}

  fail(field: string, problem: string): never {
    throw new FrameError('invalid', `field "${this.prefix}${field}": ${problem}`, this.re);
  }

  has(field: Key<S>): boolean {
    const v = this.raw[field];
    return v !== undefined && v !== null;
  }

  private bounds(field: Key<S>): Bounds {
    return this.schema.properties[field] as Bounds;
  }

  private required(field: Key<S>): unknown {
    const v = this.raw[field];
    if (v === undefined || v === null) this.fail(field, 'is required');
    return v;
  }

  string(field: Key<S>): string {
    const v = this.required(field);
    if (this.trusted) return v as string;
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${describe(v)}`);
    const s = this.bounds(field);
    if (!hasCharacters(v, s.minLength ?? 0, s.maxLength ?? Infinity)) this.fail(field, `must be ${s.minLength} to ${s.maxLength} characters long`);
    if (s.pattern !== undefined && !matches(s.pattern, v)) this.fail(field, s.patternMessage ?? `must match ${s.pattern}`);
    return v;
  }

  optionalString(field: Key<S>): string | undefined {
    return this.has(field) ? this.string(field) : undefined;
  }

  /** epoch milliseconds: a non-negative whole number (msgpack int64 or float64) */
  optionalEpochMs(field: Key<S>): number | undefined {
    if (!this.has(field)) return undefined;
    const v = this.raw[field];
    if (this.trusted) return v as number;
    const n = typeof v === 'bigint' ? Number(v) : v;
    const s = this.bounds(field);
    const min = s.minimum ?? 0;
    const max = s.maximum ?? Number.MAX_SAFE_INTEGER;
    // (a bigint is compared as itself: Number() of one past 2^53 rounds)
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max || (typeof v === 'bigint' && (v < min || v > max))) {
      this.fail(field, `must be epoch milliseconds (a whole number), ${epochProblem(v, min, max)}`);
    }
    return n;
  }

  number(field: Key<S>): number {
    const v = this.required(field);
    if (this.trusted) return v as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${describe(v)}`);
    const s = this.bounds(field);
    if (v < (s.minimum ?? -Infinity) || v > (s.maximum ?? Infinity)) this.fail(field, `must be from ${s.minimum} to ${s.maximum}`);
    return v;
  }

  /** A nested map, read by its own schema. */
  map<F extends Key<S>>(field: F): Fields<Extract<S['properties'][F], TObject>> {
    const v = this.required(field);
    if (!isPlainMap(v)) this.fail(field, `must be a map, got ${describe(v)}`);
    const schema = this.schema.properties[field] as Extract<S['properties'][F], TObject>;
    return new Fields(schema, v, this.trusted, this.re, `${this.prefix}${field}.`);
  }

  /** A free-form map that may be kept in a customer's state: bounded (plain-data.ts). */
  optionalData(field: Key<S>): Record<string, unknown> | undefined {
    if (!this.has(field)) return undefined;
    const v = this.raw[field];
    if (!isPlainMap(v)) this.fail(field, `must be a map, got ${describe(v)}`);
    const bad = checkPlainData(v, field);
    if (bad !== undefined) throw new FrameError('invalid', `field "${this.prefix}${bad.path}": ${bad.problem}`, this.re);
    return v;
  }

  stringList(field: Key<S>): string[] {
    const v = this.required(field);
    if (this.trusted) return [...(v as string[])];
    const s = this.bounds(field);
    const item = s.items ?? {};
    if (!Array.isArray(v) || v.length < (s.minItems ?? 0) || v.length > (s.maxItems ?? Infinity)) this.fail(field, `must be a list of ${s.minItems} to ${s.maxItems} strings`);
    return v.map((x: unknown, i) => {
      if (typeof x !== 'string' || !hasCharacters(x, item.minLength ?? 0, item.maxLength ?? Infinity)) {
        this.fail(`${field}[${i}]`, `must be a string of ${item.minLength} to ${item.maxLength} characters`);
      }
      return x;
    });
  }
}

/** The fields of a map by its schema: trusted when its compiled checker (if asked) passes it. */
function fieldsOf<S extends TObject>(schema: S, check: TypeCheck<TObject> | undefined, raw: Record<string, unknown>, re: string | undefined): Fields<S> {
  return new Fields(schema, raw, check !== undefined && check.Check(raw), re);
}

// ---------------------------------------------------------------------------------------
// The frames, read in the order their errors are reported.

function readEvent(f: Fields<typeof GatewayEventSchema>): GatewayEvent {
  const id = f.string('id');
  const type = f.string('type');
  const c = f.map('customer');
  const customer: CustomerRef = {};
  let named = 0;
  for (const kind of identifierKinds) {
    const value = c.optionalString(kind);
    if (value === undefined) continue;
    const normalized = normalizeIdentifier(kind, value);
    if (normalized === undefined) c.fail(kind, `is not a valid ${kind}`);
    customer[kind] = normalized;
    named++;
  }
  if (named === 0) f.fail('customer', `needs at least one of ${identifierKinds.join(', ')}`);
  const event: GatewayEvent = { id, type, customer };
  const at = f.optionalEpochMs('at');
  if (at !== undefined) event.at = at;
  const channel = f.optionalString('channel');
  if (channel !== undefined) event.channel = channel;
  if (f.has('location')) {
    const l = f.map('location');
    const location: EventLocation = { lat: l.number('lat'), lon: l.number('lon') };
    const place = l.optionalString('place');
    if (place !== undefined) location.place = place;
    event.location = location;
  }
  const data = f.optionalData('data');
  if (data !== undefined) event.data = data;
  return event;
}

function readResponse(f: Fields<typeof GatewayResponseSchema>): GatewayResponse {
  const response: GatewayResponse = { id: f.string('id'), instance: f.string('instance'), outcome: f.string('outcome') };
  const at = f.optionalEpochMs('at');
  if (at !== undefined) response.at = at;
  const data = f.optionalData('data');
  if (data !== undefined) response.data = data;
  return response;
}

function readConfirmation(f: Fields<typeof DeliveredFrameSchema> | Fields<typeof FailedFrameSchema>, t: 'delivered' | 'failed'): DeliveredFrame | FailedFrame {
  const frame: DeliveredFrame | FailedFrame = { t, id: f.string('id'), instance: f.string('instance') };
  const channel = f.optionalString('channel');
  if (channel !== undefined) frame.channel = channel;
  if (frame.t === 'failed') {
    const reason = (f as Fields<typeof FailedFrameSchema>).optionalString('reason');
    if (reason !== undefined) frame.reason = reason;
  }
  return frame;
}

/**
 * The fields of an `event` (without `t`): shared by WebSocket frames and `POST /v1/events`.
 * `useChecker: false` skips the compiled checker and reads every field against the schema:
 * the same event or the same error, only slower (frames.test.ts holds the two equal).
 */
export function parseEvent(raw: Record<string, unknown>, useChecker = true): GatewayEvent {
  return readEvent(fieldsOf(GatewayEventSchema, useChecker ? eventCheck : undefined, raw, readableId(raw)));
}

/** Validates a decoded client frame; throws `invalid` naming the field. `useChecker` as for parseEvent. */
export function parseClientFrame(raw: Record<string, unknown>, useChecker = true): ClientFrame {
  const re = readableId(raw);
  const t = new Fields(FrameHeaderSchema, raw, false, re).string('t');
  switch (t) {
    case 'event':
      return { t, event: readEvent(fieldsOf(GatewayEventSchema, useChecker ? eventCheck : undefined, raw, re)) };
    case 'response':
      return { t, response: readResponse(fieldsOf(GatewayResponseSchema, useChecker ? responseCheck : undefined, raw, re)) };
    case 'subscribe': {
      const f = fieldsOf(SubscribeFrameSchema, useChecker ? subscribeCheck : undefined, raw, re);
      return { t, id: f.string('id'), channels: f.stringList('channels') };
    }
    case 'delivered':
      return readConfirmation(fieldsOf(DeliveredFrameSchema, useChecker ? deliveredCheck : undefined, raw, re), t);
    case 'failed':
      return readConfirmation(fieldsOf(FailedFrameSchema, useChecker ? failedCheck : undefined, raw, re), t);
    default:
      throw new FrameError('invalid', `field "t": unknown frame type "${t}" (client frames: ${clientFrameTypes.join(', ')})`, re);
  }
}
