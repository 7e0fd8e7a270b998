/**
 * Text that is text: what every path in checks before it keeps a string (docs/import.md,
 * "Encodings"). Bytes that are not valid UTF-8 would be read as U+FFFD and a lone surrogate
 * (a JSON escape such as `\ud800` without its pair) is written as U+FFFD: either would be
 * stored as garbage that SMS and letters print. The bytes are checked with `isUtf8`
 * (node:buffer), the strings here; {@link invalidUtf8At} names the first bad byte (for the
 * error, and in place of `isUtf8` on short MessagePack strings, where a call costs more).
 */

/** A surrogate not in a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is well-formed UTF-16, no lone surrogate (`String.prototype.isWellFormed`, not in the ES2023 types). */
export function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * The offset of the first byte in `bytes[start, end)` where UTF-8 goes wrong (the start of the
 * bad sequence), or -1 when it is all valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF; what `isUtf8` and a fatal TextDecoder accept).
 */
export function invalidUtf8At(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = bytes[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + more >= end) return i;
    const c1 = bytes[i + 1] as number;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= more; k++) {
      const ck = bytes[i + k] as number;
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += more + 1;
  }
  return -1;
}
