/**
 * The bounds on free-form payloads that a request may ask Kairos to keep (an event's or a
 * response's `data`): plain data only (strings, finite numbers, booleans, nil, arrays and
 * maps), at most `MAX_DATA_DEPTH` levels deep and `MAX_DATA_BYTES` as MessagePack. Checked
 * at the edge, on every path in (WebSocket, POST /v1/events, the admin dry run), before any
 * actor sees the value: what passes can always be stored, and never makes a customer's
 * state large.
 */
import { characterCount } from '../../actors/index.js';
import { KairosError } from '../errors.js';

/** The levels a `data` map may nest, itself included: `{a: {b: [1]}}` is 3. */
export const MAX_DATA_DEPTH = 8;
/** The largest `data` value, measured as its MessagePack size. */
export const MAX_DATA_BYTES = 4096;
/** The longest key in a `data` map, in characters (code points). */
export const MAX_DATA_KEY_LENGTH = 128;

/** Where the walk stopped and why, read by {@link checkPlainData} when it catches the walk's `invalid` error. */
let found: { path: string; problem: string } | undefined;

/** The walk's refusal: an `invalid` error, its path and problem kept in `found`. */
function refuse(path: string, problem: string): KairosError {
  found = { path, problem };
  return new KairosError('invalid', `${path}: ${problem}`);
}

/** MessagePack's size of a string's header plus its UTF-8 bytes. */
function stringSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return n + (n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
}

/** A map as JSON and MessagePack decode them: an object of no class. */
export function isPlainMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// The walk's state, module-level so that a check allocates nothing for data that passes.
let size = 0;
let root = '';

function add(n: number, path: string): void {
  size += n;
  if (size > MAX_DATA_BYTES) throw refuse(root, `is larger than ${MAX_DATA_BYTES} bytes (at ${path})`);
}

function walk(v: unknown, path: string, depth: number): void {
  switch (typeof v) {
    case 'string':
      return add(stringSize(v), path);
    case 'boolean':
      return add(1, path);
    case 'number':
      if (!Number.isFinite(v)) throw refuse(path, 'must be a finite number');
      return add(9, path);
    case 'bigint':
      throw refuse(path, 'is an integer beyond ±2^53 (send it as a string)');
    case 'object':
      break;
    default:
      throw refuse(path, `is of a type that cannot be kept (${typeof v})`);
  }
  if (v === null) return add(1, path);
  if (depth >= MAX_DATA_DEPTH) throw refuse(path, `nests deeper than ${MAX_DATA_DEPTH} levels`);
  if (Array.isArray(v)) {
    add(5, path);
    for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (!isPlainMap(v)) {
    throw refuse(path, v instanceof Uint8Array ? 'is binary, which cannot be kept (send text)' : 'must be a map, a list or a plain value');
  }
  add(5, path);
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    if (key.length > MAX_DATA_KEY_LENGTH && characterCount(key) > MAX_DATA_KEY_LENGTH) throw refuse(path, `has a key longer than ${MAX_DATA_KEY_LENGTH} characters`);
    if (key === '__proto__' || key === '__proto_') throw refuse(path, `has the reserved key "${key}"`);
    add(stringSize(key), path);
    walk((v)[key], `${path}.${key}`, depth + 1);
  }
}

/**
 * Checks `value` against the bounds; returns undefined when it may be kept, else the path
 * inside it (`data.a.b[2]`) and the problem.
 */
export function checkPlainData(value: unknown, field: string): { path: string; problem: string } | undefined {
  size = 0;
  root = field;
  found = undefined;
  try {
    walk(value, field, 0);
    return undefined;
  } catch (err) {
    if (err instanceof KairosError && found !== undefined) return found;
    throw err;
  } finally {
    found = undefined;
  }
}
