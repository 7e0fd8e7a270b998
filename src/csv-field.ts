/**
 * One field of an RFC 4180 CSV line: quoted (its quotes doubled) when it holds a quote, a
 * comma or a line break; absent (undefined) as an empty field. The CSV files Kairos writes
 * (the funnel, segment members, import rejects, a wave's call list) all go through it.
 *
 * A text cell an operator's spreadsheet would take for a formula (one starting with `=`, `+`,
 * `-`, `@`, a tab or a CR: a customer named `=HYPERLINK(…)` by a form on the web) is written
 * with a `'` before it, inside quotes (OWASP's CSV injection mitigation), so the spreadsheet
 * shows it as text. Numbers stay numbers: a cell given as a number or a boolean is numeric by
 * design and written as it is, and so is a text cell that is a plain number (`-12.5`, a phone
 * `+79161234567`): digits alone carry no formula. docs/security.md, "CSV exports".
 */
export function csvField(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  if (typeof v === 'string' && formulaLike(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

/** Whether a text cell would be read as a formula by a spreadsheet (and is not a plain number). */
export function formulaLike(s: string): boolean {
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s);
}
