/**
 * Integers in JSON text past ±(2^53 − 1), which `JSON.parse` silently rounds to the nearest
 * double (9007199254740993 becomes 9007199254740992), and Node 20's `JSON.parse` gives no
 * access to the source text. A MessagePack frame carries such a number as an int64, decoded
 * as a bigint, and the checks refuse it (`field "data.balance": is an integer beyond ±2^53`).
 * So that a JSON body gets the same answer, {@link exactIntegers} finds the integer literals
 * (no `.`, `e` or `E`) past that bound in the text, by a linear scan that skips strings, and
 * puts each back into the parsed value as the bigint it was written as: the same checks then
 * answer the same errors, naming the field. A fraction or an exponent is a float, as a
 * float64 is in MessagePack, and is taken as JSON.parse reads it.
 */

import { jsonStringEnd, lastStringEscaped } from '../json-string-end.js';

/** An integer literal past ±(2^53 − 1) and where it is: the keys and indices from the top. */
export interface BigIntegerLiteral {
  path: Array<string | number>;
  literal: string;
}

/** Sixteen digits in a row: no integer literal of fewer can be past 2^53 − 1, so text without them is not scanned. */
const SIXTEEN_DIGITS = /\d{16}/;
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Whether a literal of digits (no sign, no leading zero, as JSON writes them) is past 2^53 − 1. */
function pastSafe(digits: string): boolean {
  return digits.length > MAX_SAFE_DIGITS.length || (digits.length === MAX_SAFE_DIGITS.length && digits > MAX_SAFE_DIGITS);
}

/**
 * The integer literals past ±(2^53 − 1) in `text`, which must be JSON that `JSON.parse`
 * accepted (the scan does not check it again), in the order they are written. One pass.
 */
export function bigIntegerLiterals(text: string): BigIntegerLiteral[] {
  if (!SIXTEEN_DIGITS.test(text)) return [];
  const found: BigIntegerLiteral[] = [];
  // One entry per open container: an object's current key, or an array's current index.
  const keys: Array<string | number> = [];
  const inArray: boolean[] = [];
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: to its closing quote
      const j = jsonStringEnd(text, i);
      const escaped = lastStringEscaped();
      if (expectKey) {
        const raw = text.slice(i, j + 1);
        keys[keys.length - 1] = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x2d || isDigit(c)) {
      let j = i + 1;
      let integer = true;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isDigit(d)) j++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
          integer = false;
          j++;
        } else break;
      }
      if (integer && j - i >= 16) {
        const literal = text.slice(i, j);
        if (pastSafe(c === 0x2d ? literal.slice(1) : literal)) found.push({ path: [...keys], literal });
      }
      i = j;
      continue;
    }
    switch (c) {
      case 0x7b: // {
        keys.push('');
        inArray.push(false);
        expectKey = true;
        break;
      case 0x5b: // [
        keys.push(0);
        inArray.push(true);
        break;
      case 0x7d: // }
      case 0x5d: // ]
        keys.pop();
        inArray.pop();
        expectKey = false;
        break;
      case 0x2c: // ,
        if (inArray[inArray.length - 1] === true) keys[keys.length - 1] = (keys[keys.length - 1] as number) + 1;
        else expectKey = true;
        break;
      default:
        break;
    }
    i++;
  }
  return found;
}

/**
 * Puts each integer literal of `text` past ±(2^53 − 1) back into `value` (JSON.parse(text))
 * as a bigint, where the parsed value still holds its rounded number (a key given twice keeps
 * the last, as JSON.parse does). A key `__proto__` is left alone (it is refused by name
 * wherever it may be kept). Returns how many were put back.
 */
export function exactIntegers(text: string, value: unknown): number {
  let put = 0;
  for (const { path, literal } of bigIntegerLiterals(text)) {
    let holder: unknown = value;
    for (let k = 0; k < path.length - 1 && holder !== undefined; k++) holder = step(holder, path[k] as string | number);
    const last = path[path.length - 1];
    if (last === undefined || typeof holder !== 'object' || holder === null || last === '__proto__') continue;
    const key = String(last);
    if (!Object.hasOwn(holder, key)) continue;
    const container = holder as Record<string, unknown>;
    if (container[key] !== Number(literal)) continue;
    container[key] = BigInt(literal);
    put++;
  }
  return put;
}

function step(holder: unknown, key: string | number): unknown {
  if (typeof holder !== 'object' || holder === null) return undefined;
  const k = String(key);
  return Object.hasOwn(holder, k) ? (holder as Record<string, unknown>)[k] : undefined;
}
