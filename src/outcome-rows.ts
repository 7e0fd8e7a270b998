/**
 * A dialer's outcomes file (CSV with a header: instance or customer, outcome, at, callback_at,
 * interest) read into the rows `POST /v1/runs/{id}/outcomes` takes, each with its line in the
 * file: the one set of column rules for `kairos run outcomes` (src/cli/run-command.ts) and the
 * console's upload (console/src/outcomes-csv.ts). Each parses the text with its own build of
 * csv-parse (Node's, the browser's) with OUTCOME_CSV_OPTIONS; no imports here, so both can.
 */

/** csv-parse's options for an outcomes file (`info`: each record with its line). */
export const OUTCOME_CSV_OPTIONS = { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true, info: true } as const;

/** A record csv-parse gives with `info: true`. */
export interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export type OutcomeRow = { instance?: string; customer?: string; outcome?: string; at?: string | number; callbackAt?: string | number; interest?: number };

/** The columns of an outcomes file, as the admin API names them (snake_case and camelCase both taken). */
const COLUMNS: Readonly<Record<string, keyof OutcomeRow>> = {
  instance: 'instance',
  customer: 'customer',
  outcome: 'outcome',
  at: 'at',
  callback_at: 'callbackAt',
  callbackat: 'callbackAt',
  interest: 'interest',
};

/** The rows of the parsed file (the header is its first record, line 1), or what is wrong with the file as a whole. */
export function outcomeRowsOfRecords(parsed: readonly ParsedRecord[]): Array<{ line: number; row: OutcomeRow }> | { problem: string } {
  const header = (parsed[0]?.record ?? []).map((h) => h.toLowerCase());
  const unknown = header.find((h) => COLUMNS[h] === undefined);
  if (unknown !== undefined) return { problem: `unknown column "${unknown}" (columns: instance or customer, outcome, at, callback_at, interest)` };
  if (!header.includes('outcome') || (!header.includes('instance') && !header.includes('customer'))) return { problem: 'the header needs outcome, and instance or customer' };
  const rows: Array<{ line: number; row: OutcomeRow }> = [];
  for (const { record, info } of parsed.slice(1)) {
    const row: Record<string, string | number> = {};
    for (const [i, h] of header.entries()) {
      const v = record[i] ?? '';
      if (v === '') continue;
      const key = COLUMNS[h]!;
      if (key === 'interest' && !/^\d+(\.\d+)?$/.test(v)) return { problem: `line ${info.lines}: column "interest": "${v}" is not a number from 0 to 100` };
      row[key] = key === 'interest' || ((key === 'at' || key === 'callbackAt') && /^\d+$/.test(v)) ? Number(v) : v;
    }
    rows.push({ line: info.lines, row });
  }
  return rows;
}
