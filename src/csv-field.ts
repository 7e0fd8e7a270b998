/**
 * One field of an RFC 4180 CSV line: quoted (its quotes doubled) when it holds a quote, a
 * comma or a line break; absent (undefined) as an empty field. The CSV files Kairos writes
 * (the funnel, segment members, import rejects, a wave's call list) all go through it.
 *
 * A text cell an operator's spreadsheet would take for a formula (a customer named
 * `=HYPERLINK(…)` by a form on the web) is written with a `'` before it, inside quotes (OWASP's
 * CSV injection mitigation), so the spreadsheet shows it as text. Which cells (`formulaLike`):
 * - one starting with `=` or `@`, or a tab or a CR (which a spreadsheet skips before one): always;
 * - one starting with `+` or `-`: unless nothing after the sign could make a formula. Those
 *   left as they are: the sign alone (`-`, the funnel's dimension when a row has none: an
 *   operator with no operand is no formula); a plain number (`-12.5`, a phone in E.164
 *   `+79161234567`, what a dialer reads: digits alone carry no formula; a spreadsheet shows it
 *   as the number it is); and a masked number (`+7 *** *** ** 67`, a phone as a marketer's call
 *   list shows it): digits, spaces and runs of two or more `*`, which no spreadsheet parses
 *   (`**` is no operator), so it stays the text it is. Anything else after the sign (a letter,
 *   a `|`, `(`, `!`, an operator between numbers: `+cmd|…`, `-2+3`, `+7 * 3`, a phone written
 *   with spaces `+7 916 …`, which a spreadsheet would read as numbers and an operator) is
 *   escaped.
 * Numbers stay numbers: a cell given as a number or a boolean is numeric by design and written
 * as it is. docs/security.md, "CSV exports".
 */
export function csvField(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  if (typeof v === 'string' && formulaLike(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const ALWAYS_FORMULA = /^[=@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
/** After the sign of a masked number: digits, spaces and stars only. */
const MASK_CHARS = /^[\d *]+$/;
/** A lone `*` (the multiplication operator), not part of a run of two or more. */
const LONE_STAR = /(?:^|[^*])\*(?![*])/;

/** Whether a text cell would be read as a formula by a spreadsheet (see `csvField`). */
export function formulaLike(s: string): boolean {
  if (ALWAYS_FORMULA.test(s)) return true;
  if (s[0] !== '+' && s[0] !== '-') return false;
  const rest = s.slice(1);
  if (rest === '' || PLAIN_NUMBER.test(s)) return false;
  const masked = MASK_CHARS.test(rest) && rest.includes('**') && !LONE_STAR.test(rest);
  return !masked;
}
