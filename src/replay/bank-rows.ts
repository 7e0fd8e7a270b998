import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { KairosError } from '../errors.js';

/**
 * The UCI bank-full data set's rows as calls in time: each row is one call of the bank's
 * term-deposit campaign to one client (the demo bank's customer `demo-<n>`, n the row's number
 * from 1), in date order from May 2008 to November 2010. The file has the day and the month
 * but no year: the year starts at 2008 and turns when the month goes back (December to
 * January). The calls of a day are spread from 10:00 Moscow time, 15 s apart, in row order.
 * `duration` (known only after the call) and `y` (its outcome) are kept apart from what the
 * call carries.
 */

export interface BankCall {
  /** the row's number from 1: the demo customer `demo-<n>` */
  n: number;
  /** when the call is made, epoch ms */
  at: number;
  /** the calendar month it falls in, `YYYY-MM` (for the within-month AUC) */
  month: string;
  /** what is known before the call: this campaign's and the previous campaign's contacts, the contact type, the date */
  context: Record<string, string | number>;
  /** whether the client subscribed (the outcome, fed back as the response) */
  subscribed: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MSK_OFFSET_MS = 3 * 3_600_000;
const FIRST_CALL_MS = 10 * 3_600_000;
const CALL_SPACING_MS = 15_000;

/** The columns a call carries in its event's `data` (the row's call context; the client's own columns are the customer's profile). */
export const CALL_CONTEXT_COLUMNS = ['contact', 'campaign', 'pdays', 'previous', 'poutcome'] as const;

/** Reads `path` (semicolon-separated with a header row, as UCI ships it) into calls in row order. */
export async function readBankCalls(path: string, limit = Infinity): Promise<BankCall[]> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let header: string[] | undefined;
  const calls: BankCall[] = [];
  let year = 2008;
  let lastMonth = -1;
  let lastDay = '';
  let inDay = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const cells = line.split(';').map((c) => c.replace(/^"(.*)"$/, '$1'));
    if (header === undefined) {
      header = cells;
      for (const col of ['day', 'month', 'y', ...CALL_CONTEXT_COLUMNS]) if (!header.includes(col)) throw new KairosError('invalid', `${path}: no "${col}" column`);
      continue;
    }
    if (calls.length >= limit) break;
    const get = (col: string): string => cells[header!.indexOf(col)] ?? '';
    const month = MONTHS.indexOf(get('month'));
    const day = Number(get('day'));
    if (month < 0 || !Number.isInteger(day) || day < 1 || day > 31) throw new KairosError('invalid', `${path}:${lineNo}: day "${get('day')}" and month "${get('month')}" are not a date`);
    if (lastMonth > month) year++;
    lastMonth = month;
    const dayKey = `${year}-${month}-${day}`;
    inDay = dayKey === lastDay ? inDay + 1 : 0;
    lastDay = dayKey;
    const at = Date.UTC(year, month, day) - MSK_OFFSET_MS + FIRST_CALL_MS + inDay * CALL_SPACING_MS;
    const context: Record<string, string | number> = {};
    for (const col of CALL_CONTEXT_COLUMNS) {
      const v = get(col);
      context[col] = /^-?\d+$/.test(v) ? Number(v) : v;
    }
    calls.push({ n: calls.length + 1, at, month: `${year}-${String(month + 1).padStart(2, '0')}`, context, subscribed: get('y') === 'yes' });
  }
  if (header === undefined) throw new KairosError('invalid', `${path}: empty`);
  return calls;
}
