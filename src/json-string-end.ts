/**
 * The end of a JSON string in text JSON.parse accepted: the index of the closing quote of the
 * string whose opening quote is at `open`, an escape's next character skipped. Whether the
 * string held an escape is `lastStringEscaped` after the call (so a scan decodes only those:
 * duplicate-json-key.ts, transport/json-integers.ts). No allocation.
 */
export function jsonStringEnd(text: string, open: number): number {
  const n = text.length;
  let j = open + 1;
  escaped = false;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 0x5c) {
      escaped = true;
      j += 2;
      continue;
    }
    if (d === 0x22) break;
    j++;
  }
  return j;
}

let escaped = false;

/** Whether the string `jsonStringEnd` last found held an escape (`\"`, `\u0061`, …). */
export function lastStringEscaped(): boolean {
  return escaped;
}
