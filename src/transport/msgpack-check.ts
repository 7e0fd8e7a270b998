/**
 * A strict walk over MessagePack bytes, run before they are decoded: one plain value (nil,
 * booleans, numbers, strings, binary, arrays, maps with string keys, each key once), nested
 * at most `MAX_FRAME_DEPTH` deep, every length within the bytes, every string (map keys too)
 * valid UTF-8, nothing after it. Extension types (msgpackr's records, ids, pointers, BigInt, dates,
 * ...) are refused, so the decoder never builds anything but plain data: no cycles, no shared
 * structures, no records remembered from one frame to the next. A string that is not UTF-8 is
 * refused rather than decoded with U+FFFD in place of its bad bytes: two different ids or
 * cookies would become one. The walk costs one pass over the bytes and allocates nothing but
 * a view of a string past 128 bytes, for `isUtf8`, and the keys of a map of more than 16.
 *
 * Returns undefined for acceptable bytes, or the problem, in words, for a `bad_frame` error.
 *
 * Also here: {@link readIdInBytes}, the top-level map's `id` read from bytes that were
 * refused (an error's `re`), by a bounded scan that decodes nothing else.
 */
import { isUtf8 } from 'node:buffer';
import { KairosError } from '../errors.js';
import { invalidUtf8At } from '../well-formed-text.js';

/** How deep a frame may nest (the event frame itself is 1, its `data` map 2). */
export const MAX_FRAME_DEPTH = 32;

/** The walk's refusal: a `bad_frame` error naming the problem, caught in {@link checkMsgpack}. */
function reject(problem: string): KairosError {
  return new KairosError('bad_frame', problem);
}

// The walk's state: module-level, so a check allocates nothing (it runs once per frame, on
// the event loop, and never re-enters).
const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let pos = 0;
let end = 0;

function need(n: number): void {
  if (n > end - pos) throw reject(`truncated at byte ${pos}: ${n} more bytes announced, ${end - pos} left`);
}

function u8(): number {
  need(1);
  return src[pos++] as number;
}

function u16(): number {
  need(2);
  const v = ((src[pos] as number) << 8) | (src[pos + 1] as number);
  pos += 2;
  return v;
}

function u32(): number {
  need(4);
  const v = (src[pos] as number) * 0x1000000 + (((src[pos + 1] as number) << 16) | ((src[pos + 2] as number) << 8) | (src[pos + 3] as number));
  pos += 4;
  return v;
}

function skip(n: number): void {
  need(n);
  pos += n;
}

/** A container of `count` items: each takes at least `perItem` bytes, so a count past the bytes left is a lie. */
function items(count: number, perItem: number): number {
  if (count * perItem > end - pos) throw reject(`truncated at byte ${pos}: ${count} items announced, ${end - pos} bytes left`);
  return count;
}

function isStringToken(t: number): boolean {
  return (t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb;
}

/** Up to this many bytes a string is checked here, byte by byte; a longer one by `isUtf8` (its call, and the view it needs, cost more than a short loop). */
const SHORT_STRING = 128;

/**
 * A string of `n` bytes: skipped if it is valid UTF-8, refused otherwise. A short one is
 * ORed together byte by byte first (a loop with no branch; most keys and values are ASCII),
 * and only one with a byte past 0x7f is decoded as UTF-8.
 */
function str(n: number): void {
  need(n);
  const stop = pos + n;
  if (n <= SHORT_STRING) {
    const b = src;
    let any = 0;
    for (let i = pos; i < stop; i++) any |= b[i] as number;
    if (any >= 0x80) {
      const bad = invalidUtf8At(b, pos, stop);
      if (bad >= 0) throw reject(`a string that is not valid UTF-8 at byte ${bad}`);
    }
  } else if (!isUtf8(src.subarray(pos, stop))) {
    throw reject(`a string that is not valid UTF-8 at byte ${invalidUtf8At(src, pos, stop)}`);
  }
  pos = stop;
}

// `__proto__` as a map key: msgpackr decodes it as `__proto_` (so that it cannot set a
// prototype); the walk notes both spellings, so that decodeFrame can give the key back its
// name when that is unambiguous (errors then name the key as the gateway sent it).
let protoKey = false;
let protoUnderscoreKey = false;

/** Whether the key at `pos` (a fixstr header) is `__proto__` or `__proto_`. */
function noteProtoKey(): void {
  const h = src[pos];
  if (h !== 0xa9 && h !== 0xa8) return;
  const n = h & 0x1f;
  if (n > end - pos - 1) return;
  for (let i = 0; i < 8; i++) if (src[pos + 1 + i] !== PROTO[i]) return;
  if (n === 9) {
    if (src[pos + 9] === 0x5f) protoKey = true;
  } else protoUnderscoreKey = true;
}

/** `__proto_` in ASCII. */
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f];

function nest(depth: number): number {
  if (depth >= MAX_FRAME_DEPTH) throw reject(`nested deeper than ${MAX_FRAME_DEPTH} levels`);
  return depth + 1;
}

function array(count: number, depth: number): void {
  const inner = nest(depth);
  for (let i = items(count, 1); i > 0; i--) value(inner);
}

// A key given twice in one map: msgpackr keeps the last, another reader of the same bytes
// may keep the first (two readings of one request), so the frame is refused, as JSON with a
// key twice is (duplicate-json-key.ts). The keys of the maps being walked are kept as byte
// ranges of their UTF-8 on one stack, a map's from its base up (a nested map's above, gone
// when it ends): a small map's keys compared byte for byte, a larger one's kept in a set.

/** Up to this many keys a map's keys are compared pairwise; past it, through a set. */
const SMALL_MAP = 16;
const keyFrom = new Int32Array(MAX_FRAME_DEPTH * SMALL_MAP);
const keyTo = new Int32Array(MAX_FRAME_DEPTH * SMALL_MAP);
let keyTop = 0;

function sameBytes(a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  const bytes = src;
  for (; a < aEnd; a++, b++) if (bytes[a] !== bytes[b]) return false;
  return true;
}

/** The top-level map gives `id` twice: which is the frame's id is the question, so an error echoes none (`lastCheckIdTwice`). */
let idTwice = false;

/** The refusal of the key whose UTF-8 is `[from, to)`, written at byte `at` (its header's). */
function keyTwice(at: number, from: number, to: number, depth: number): KairosError {
  if (depth === 0 && to - from === 2 && src[from] === 0x69 && src[from + 1] === 0x64) idTwice = true;
  const key = Buffer.from(src.buffer, src.byteOffset + from, to - from).toString('utf8');
  return reject(`the map key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)} is given twice (byte ${at})`);
}

/** A string header's length in bytes, by its first byte (a string token). */
function stringHeaderBytes(t: number): number {
  return t <= 0xbf ? 1 : t === 0xd9 ? 2 : t === 0xda ? 3 : 5;
}

function map(count: number, depth: number): void {
  const inner = nest(depth);
  const base = keyTop;
  const n = items(count, 2);
  // a large map's keys, as latin1 text (one character a byte: equal text, equal bytes)
  const large = n > SMALL_MAP ? new Set<string>() : undefined;
  const text = large !== undefined ? Buffer.from(src.buffer, src.byteOffset, src.byteLength) : undefined;
  let seen = 0;
  for (let i = n; i > 0; i--) {
    if (pos >= end) throw reject(`truncated at byte ${pos}`);
    const k = src[pos] as number;
    if (!isStringToken(k)) throw reject(`map keys must be strings (byte ${pos})`);
    if (k === 0xa9 || k === 0xa8) noteProtoKey();
    const at = pos;
    const from = pos + stringHeaderBytes(k);
    value(inner);
    const to = pos;
    if (large !== undefined) {
      const key = text!.toString('latin1', from, to);
      if (large.has(key)) throw keyTwice(at, from, to, depth);
      large.add(key);
    } else {
      // a key's length and end bytes pick one of 32 bits: only a key whose bit is set already is compared
      const bit = to === from ? 1 : 1 << ((to - from + (src[from] as number) + 3 * (src[to - 1] as number)) & 31);
      if ((seen & bit) !== 0) for (let j = base; j < keyTop; j++) if (sameBytes(keyFrom[j]!, keyTo[j]!, from, to)) throw keyTwice(at, from, to, depth);
      seen |= bit;
      keyFrom[keyTop] = from;
      keyTo[keyTop++] = to;
    }
    value(inner);
  }
  keyTop = base;
}

function value(depth: number): void {
  const t = u8();
  if (t <= 0x7f || t >= 0xe0) return; // fixint
  if (t <= 0x8f) return map(t & 0x0f, depth);
  if (t <= 0x9f) return array(t & 0x0f, depth);
  if (t <= 0xbf) return str(t & 0x1f);
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return;
    case 0xc4:
      return skip(u8());
    case 0xd9:
      return str(u8());
    case 0xc5:
      return skip(u16());
    case 0xda:
      return str(u16());
    case 0xc6:
      return skip(u32());
    case 0xdb:
      return str(u32());
    case 0xca:
      return skip(4);
    case 0xcb:
      return skip(8);
    case 0xcc:
    case 0xd0:
      return skip(1);
    case 0xcd:
    case 0xd1:
      return skip(2);
    case 0xce:
    case 0xd2:
      return skip(4);
    case 0xcf:
    case 0xd3:
      return skip(8);
    case 0xdc:
      return array(u16(), depth);
    case 0xdd:
      return array(u32(), depth);
    case 0xde:
      return map(u16(), depth);
    case 0xdf:
      return map(u32(), depth);
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: {
      const type = t === 0xc7 ? src[pos + 1] : t === 0xc8 ? src[pos + 2] : t === 0xc9 ? src[pos + 4] : src[pos];
      throw reject(`MessagePack extension types are not accepted (extension ${type ?? '?'} at byte ${pos - 1})`);
    }
    default:
      throw reject(`byte 0x${t.toString(16)} at ${pos - 1} is not MessagePack`);
  }
}

export function checkMsgpack(bytes: Uint8Array): string | undefined {
  src = bytes;
  pos = 0;
  end = bytes.byteLength;
  protoKey = false;
  protoUnderscoreKey = false;
  keyTop = 0;
  idTwice = false;
  try {
    if (end === 0) return 'the frame is empty';
    value(0);
    if (pos !== end) return `${end - pos} bytes after the end of the value`;
    return undefined;
  } catch (err) {
    if (err instanceof KairosError && err.code === 'bad_frame') return err.message;
    throw err;
  } finally {
    src = EMPTY;
  }
}

/** Whether the bytes checked last were refused for giving the top-level map's `id` twice (their error then echoes no id). */
export function lastCheckIdTwice(): boolean {
  return idTwice;
}

/**
 * Whether the bytes checked last (they passed) hold a map key `__proto__`, and no key
 * `__proto_`: then every `__proto_` msgpackr decodes was sent as `__proto__`.
 */
export function lastCheckRenamedProto(): boolean {
  return protoKey && !protoUnderscoreKey;
}

// ---------------------------------------------------------------------------------------
// The id of a refused frame.

/** How many MessagePack values the id scan reads at most before it gives up: what a hostile frame can cost it. */
export const MAX_ID_SCAN_VALUES = 4096;

let budget = 0;

/** Skips `count` values without recursion (nesting costs nothing), each within the bytes; extensions are skipped by their length. */
function skipValues(count: number): void {
  let pending = count;
  while (pending > 0) {
    if (--budget < 0) throw reject('scanned too far');
    pending--;
    const t = u8();
    if (t <= 0x7f || t >= 0xe0) continue;
    if (t <= 0x8f) {
      pending += 2 * (t & 0x0f);
      continue;
    }
    if (t <= 0x9f) {
      pending += t & 0x0f;
      continue;
    }
    if (t <= 0xbf) {
      skip(t & 0x1f);
      continue;
    }
    switch (t) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        break;
      case 0xc4:
      case 0xd9:
        skip(u8());
        break;
      case 0xc5:
      case 0xda:
        skip(u16());
        break;
      case 0xc6:
      case 0xdb:
        skip(u32());
        break;
      case 0xc7:
        skip(u8() + 1);
        break;
      case 0xc8:
        skip(u16() + 1);
        break;
      case 0xc9:
        skip(u32() + 1);
        break;
      case 0xcc:
      case 0xd0:
        skip(1);
        break;
      case 0xcd:
      case 0xd1:
      case 0xd4:
        skip(2);
        break;
      case 0xd5:
        skip(3);
        break;
      case 0xca:
      case 0xce:
      case 0xd2:
        skip(4);
        break;
      case 0xd6:
        skip(5);
        break;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        skip(8);
        break;
      case 0xd7:
        skip(9);
        break;
      case 0xd8:
        skip(17);
        break;
      case 0xdc:
        pending += u16();
        break;
      case 0xdd:
        pending += u32();
        break;
      case 0xde:
        pending += 2 * u16();
        break;
      case 0xdf:
        pending += 2 * u32();
        break;
      default:
        throw reject(`byte 0x${t.toString(16)} at ${pos - 1} is not MessagePack`);
    }
  }
}

/** The length of the string whose header is at `pos` (moving past the header), or -1 when the value there is not a string. */
function stringHeader(): number {
  const t = src[pos] as number;
  if (t >= 0xa0 && t <= 0xbf) {
    pos++;
    return t & 0x1f;
  }
  if (t === 0xd9 || t === 0xda || t === 0xdb) {
    pos++;
    return t === 0xd9 ? u8() : t === 0xda ? u16() : u32();
  }
  return -1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The `id` of the top-level map in `bytes`, as a string, when it can be read: the bytes start
 * with a map, one of its keys is the string `id` and its value a string of valid UTF-8 (none
 * when the map names `id` twice: the frame is refused for it). Other keys' values are skipped without being
 * decoded, at most {@link MAX_ID_SCAN_VALUES} values in all; the scan stops at the first
 * thing it cannot read (a lying length, a byte that is no MessagePack), answering the id seen
 * before it, if any. Used only for frames that are refused, to put their id in the error's `re`.
 */
export function readIdInBytes(bytes: Uint8Array): string | undefined {
  src = bytes;
  pos = 0;
  end = bytes.byteLength;
  budget = MAX_ID_SCAN_VALUES;
  let id: string | undefined;
  let sawId = false;
  try {
    const t = u8();
    let count: number;
    if (t >= 0x80 && t <= 0x8f) count = t & 0x0f;
    else if (t === 0xde) count = u16();
    else if (t === 0xdf) count = u32();
    else return undefined;
    for (; count > 0; count--) {
      if (--budget < 0) return id;
      need(1);
      const keyLength = stringHeader();
      if (keyLength < 0) return id; // a key that is no string: the frame is no map a decoder reads
      need(keyLength);
      const isId = keyLength === 2 && src[pos] === 0x69 && src[pos + 1] === 0x64;
      pos += keyLength;
      if (!isId) {
        skipValues(1);
        continue;
      }
      // `id` twice: which is the frame's is the question, not an answer to echo
      if (sawId) return undefined;
      sawId = true;
      need(1);
      const n = stringHeader();
      if (n < 0) {
        id = undefined;
        skipValues(1);
        continue;
      }
      need(n);
      id = invalidUtf8At(src, pos, pos + n) < 0 ? utf8.decode(src.subarray(pos, pos + n)) : undefined;
      pos += n;
    }
    return id;
  } catch (err) {
    if (err instanceof KairosError && err.code === 'bad_frame') return id;
    throw err;
  } finally {
    src = EMPTY;
  }
}
