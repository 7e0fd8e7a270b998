/**
 * A strict walk over MessagePack bytes, run before they are decoded: one plain value (nil,
 * booleans, numbers, strings, binary, arrays, maps with string keys), nested at most
 * `MAX_FRAME_DEPTH` deep, every length within the bytes, nothing after it. Extension types
 * (msgpackr's records, ids, pointers, BigInt, dates, ...) are refused, so the decoder never
 * builds anything but plain data: no cycles, no shared structures, no records remembered
 * from one frame to the next. The walk allocates nothing and costs one pass over the bytes.
 *
 * Returns undefined for acceptable bytes, or the problem, in words, for a `bad_frame` error.
 */
import { KairosError } from '../errors.js';

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

function nest(depth: number): number {
  if (depth >= MAX_FRAME_DEPTH) throw reject(`nested deeper than ${MAX_FRAME_DEPTH} levels`);
  return depth + 1;
}

function array(count: number, depth: number): void {
  const inner = nest(depth);
  for (let i = items(count, 1); i > 0; i--) value(inner);
}

function map(count: number, depth: number): void {
  const inner = nest(depth);
  for (let i = items(count, 2); i > 0; i--) {
    if (pos >= end) throw reject(`truncated at byte ${pos}`);
    if (!isStringToken(src[pos] as number)) throw reject(`map keys must be strings (byte ${pos})`);
    value(inner);
    value(inner);
  }
}

function value(depth: number): void {
  const t = u8();
  if (t <= 0x7f || t >= 0xe0) return; // fixint
  if (t <= 0x8f) return map(t & 0x0f, depth);
  if (t <= 0x9f) return array(t & 0x0f, depth);
  if (t <= 0xbf) return skip(t & 0x1f);
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return;
    case 0xc4:
    case 0xd9:
      return skip(u8());
    case 0xc5:
    case 0xda:
      return skip(u16());
    case 0xc6:
    case 0xdb:
      return skip(u32());
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
