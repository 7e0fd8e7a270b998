/**
 * Text that is text: what every path in checks before it keeps a string (docs/import.md,
 * "Encodings"). Bytes that are not valid UTF-8 would be read as U+FFFD and a lone surrogate
 * (a JSON escape such as `\ud800` without its pair) is written as U+FFFD: either would be
 * stored as garbage that SMS and letters print. The bytes are checked with `isUtf8`
 * (node:buffer), the strings here.
 */

/** A surrogate not in a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is well-formed UTF-16, no lone surrogate (`String.prototype.isWellFormed`, not in the ES2023 types). */
export function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** The offset of the first byte that does not begin a valid UTF-8 sequence (the bytes' length when all are valid). */
export function firstBadUtf8Byte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    const c1 = b[i + 1]!;
    // the second byte's range excludes overlong forms, surrogates and code points past U+10FFFF
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}
