/**
 * A key given twice in one JSON object (`{"customer": {...}, "customer": {...}}`). JSON.parse
 * keeps the last, silently, while another reader of the same text (a proxy, a firewall, the
 * gateway's own log) may keep the first: two readings of one request. Kairos refuses such
 * text wherever it takes JSON (admin bodies, `POST /v1/events`, NDJSON import rows), as it
 * refuses a MessagePack map with a key twice (msgpack-check.ts), naming the key's path.
 *
 * {@link duplicateJsonKey} scans text JSON.parse accepted, once, without recursion (nesting
 * costs a stack entry, not a call); keys are compared as the strings they denote, so
 * `"a"` and `"\u0061"` are the same key.
 */

import { jsonStringEnd, lastStringEscaped } from './json-string-end.js';

/** Up to this many keys an object's keys are kept in an array; past it, in a set. */
const SMALL_OBJECT = 16;

interface Level {
  /** an object's keys so far; undefined for an array */
  keys: string[] | Set<string> | undefined;
  /** the path to this container, as the errors write it: `customer.id`, `rules[0].attr` */
  path: string;
  /** an array's current index; an object's current key */
  at: number | string;
}

/** A key as a path writes it: as it is when it is a plain name, else in brackets and quotes (`[""]`, `["a.b"]`), so no two paths read alike. */
const PLAIN_KEY = /^[^.[\]"]+$/;

function childPath(level: Level | undefined): string {
  if (level === undefined) return '';
  if (level.keys === undefined) return `${level.path}[${level.at as number}]`;
  const key = level.at as string;
  if (!PLAIN_KEY.test(key)) return `${level.path}[${JSON.stringify(key)}]`;
  return level.path === '' ? key : `${level.path}.${key}`;
}

/**
 * The path of the first key `text` gives twice in one object (`data.amount`; `amount` at the
 * top), or undefined when every object names each key once. `text` must be JSON that
 * JSON.parse accepted: the scan does not check it again.
 */
export function duplicateJsonKey(text: string): string | undefined {
  return duplicateJsonKeys(text, 1)[0];
}

/**
 * The paths of the keys `text` gives twice in one object, in the order the second of each is
 * met, at most `limit` of them (a key given three times counts once per repeat). A key that
 * is no plain name is written in brackets: `[""]`, `data["a.b"]`; so `id` is only ever the
 * top-level key `id`.
 */
export function duplicateJsonKeys(text: string, limit = Number.POSITIVE_INFINITY): string[] {
  const found: string[] = [];
  // text with fewer than two colons holds fewer than two keys
  const first = text.indexOf(':');
  if (first < 0 || text.indexOf(':', first + 1) < 0) return found;
  const stack: Level[] = [];
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
        const level = stack[stack.length - 1]!;
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        const keys = level.keys!;
        level.at = key;
        const twice = Array.isArray(keys) ? keys.includes(key) : keys.has(key);
        if (twice) {
          found.push(childPath(level));
          if (found.length >= limit) return found;
        } else if (Array.isArray(keys)) {
          keys.push(key);
          if (keys.length > SMALL_OBJECT) level.keys = new Set(keys);
        } else keys.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x7b: // {
        stack.push({ keys: [], path: childPath(stack[stack.length - 1]), at: '' });
        expectKey = true;
        break;
      case 0x5b: // [
        stack.push({ keys: undefined, path: childPath(stack[stack.length - 1]), at: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        expectKey = false;
        break;
      case 0x2c: {
        // ,
        const level = stack[stack.length - 1];
        if (level?.keys === undefined) {
          if (level !== undefined) level.at = (level.at as number) + 1;
        } else expectKey = true;
        break;
      }
      default:
        break;
    }
    i++;
  }
  return found;
}

/** The words of a refusal of a key `duplicateJsonKey` found: `the key "data.amount" is given twice` (a path past 100 characters cut to its end). */
export function keyGivenTwice(path: string): string {
  return `the key ${JSON.stringify(path.length > 100 ? `…${path.slice(-100)}` : path)} is given twice: an object names each key once`;
}
