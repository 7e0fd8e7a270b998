import { smsLength } from '../../actors/index.js';
import type { OutboxRecord } from '../store/store.js';

/**
 * An SMS as it goes over SMPP: GSM 03.38 text (160 septets, or 153 per part when
 * concatenated) or UCS-2 for Cyrillic (70 UTF-16 units, or 67 per part), split into the
 * parts the concatenation header numbers. A surrogate pair (an emoji) is never split.
 */
export interface SmsParts {
  encoding: 'gsm7' | 'ucs2';
  parts: string[];
}

const GSM_EXTENDED = new Set(['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']);

export function smsParts(text: string): SmsParts {
  const info = smsLength(text);
  if (info.parts <= 1) return { encoding: info.encoding, parts: [text] };
  // Per part: 153 septets (an extended GSM character takes two) or 67 UTF-16 units (a character outside the BMP takes two).
  const gsm = info.encoding === 'gsm7';
  const capacity = gsm ? 153 : 67;
  const width = (ch: string): number => (gsm ? (GSM_EXTENDED.has(ch) ? 2 : 1) : ch.length);
  const parts: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of text) {
    const w = width(ch);
    if (size + w > capacity) {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += w;
  }
  if (current !== '') parts.push(current);
  return { encoding: info.encoding, parts };
}

/** Swaps the bytes of each 16-bit unit: UTF-16LE <-> UTF-16BE. */
function swap16(b: Buffer): Buffer {
  for (let i = 0; i + 1 < b.length; i += 2) {
    const t = b[i]!;
    b[i] = b[i + 1]!;
    b[i + 1] = t;
  }
  return b;
}

/** UTF-16 big-endian, as SMPP's UCS-2 (data_coding 8) carries it. */
export function ucs2(text: string): Buffer {
  return swap16(Buffer.from(text, 'utf16le'));
}

/** Decodes UCS-2 (UTF-16BE) or, for other codings, Latin-1/ASCII text of a received message. */
export function decodeShortMessage(message: Buffer | string | { message?: Buffer | string } | undefined, dataCoding: number | undefined): string {
  const raw = typeof message === 'object' && message !== null && !Buffer.isBuffer(message) ? message.message : message;
  if (raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  if (dataCoding === 8) return swap16(Buffer.from(raw)).toString('utf16le');
  return raw.toString('latin1');
}

/** How many `submit_sm` parts an outbox record's SMS takes (1 for a record that is not an SMS text): what it costs of `KAIROS_SMPP_RATE`. */
export function smsPartCount(record: OutboxRecord): number {
  return record.kind === 'offer' && 'text' in record.content && typeof record.content.text === 'string' ? smsParts(record.content.text).parts.length : 1;
}
