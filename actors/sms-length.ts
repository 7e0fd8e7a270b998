/**
 * SMS length: which encoding a text needs (GSM 03.38 7-bit or UCS-2) and how many parts it
 * takes. Russian texts are UCS-2: 70 characters in one part, 67 per part when concatenated.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

const basic = new Set(Array.from(GSM7_BASIC));
const extended = new Set(Array.from(GSM7_EXTENDED));

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** septets (GSM-7) or UTF-16 code units (UCS-2) */
  units: number;
  parts: number;
  /** characters of room left in the last part */
  remaining: number;
}

export function smsLength(text: string): SmsLength {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extended.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    const single = 160;
    const multi = 153;
    const parts = septets <= single ? 1 : Math.ceil(septets / multi);
    const capacity = parts === 1 ? single : parts * multi;
    return { encoding: 'gsm7', units: septets, parts, remaining: capacity - septets };
  }
  // UCS-2 counts UTF-16 code units; a character outside the BMP (an emoji) takes two.
  const units = text.length;
  const single = 70;
  const multi = 67;
  const parts = units <= single ? 1 : Math.ceil(units / multi);
  const capacity = parts === 1 ? single : parts * multi;
  return { encoding: 'ucs2', units, parts, remaining: capacity - units };
}
