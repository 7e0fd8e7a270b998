/**
 * A dialer's outcomes file (CSV with a header: instance or customer, outcome, at, callback_at,
 * interest; as `kairos run outcomes` reads it, src/cli/run-command.ts) as the rows
 * POST /v1/runs/{id}/outcomes takes, each with its line in the file. csv-parse's browser build,
 * loaded when a file is chosen (it stays out of the first page's script).
 */

export type OutcomeRow = { instance?: string; customer?: string; outcome: string; at?: string | number; callbackAt?: string | number; interest?: number };

const COLUMNS: Readonly<Record<string, keyof OutcomeRow>> = {
  instance: 'instance',
  customer: 'customer',
  outcome: 'outcome',
  at: 'at',
  callback_at: 'callbackAt',
  callbackat: 'callbackAt',
  interest: 'interest',
};

/** The file's rows with their lines (the header is line 1), or what is wrong with the file as a whole. */
export async function outcomeRowsOf(text: string): Promise<Array<{ line: number; row: OutcomeRow }> | { problem: string }> {
  const { parse } = await import('csv-parse/browser/esm/sync');
  let parsed: Array<{ record: string[]; info: { lines: number } }>;
  try {
    parsed = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    return { problem: (err as Error).message };
  }
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
    rows.push({ line: info.lines, row: { outcome: '', ...row } });
  }
  return rows;
}
