/**
 * A dialer's outcomes file (CSV with a header: instance or customer, outcome, at, callback_at,
 * interest) read into the rows `POST /v1/runs/{id}/outcomes` takes, each with its line in the
 * file: the one set of column rules for `kairos run outcomes` (src/cli/run-command.ts) and the
 * console's upload (console/src/outcomes-csv.ts). Each parses the text with its own build of
 * csv-parse (Node's, the browser's) with OUTCOME_CSV_OPTIONS; no imports here, so both can.
 * The limits of a row are declared here once (`OUTCOME_ROW_LIMITS`): the admin API's schema
 * (src/admin/wave-routes.ts) takes them, and a row of a file outside them is reported by its
 * line and not sent (the server would refuse the whole call for it). So are the outcomes a row
 * may name (`CALL_OUTCOMES`, `callOutcome`): the server rejects a row with another (its row
 * alone, `invalid_outcome`), and a file's row with one is named by its line and not sent.
 */

/** csv-parse's options for an outcomes file (`info`: each record with its line). */
export const OUTCOME_CSV_OPTIONS = { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true, info: true } as const;

/** A record csv-parse gives with `info: true`. */
export interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export type OutcomeRow = { instance?: string; customer?: string; outcome?: string; at?: string | number; callbackAt?: string | number; interest?: number };

/** A row's limits, as POST /v1/runs/{id}/outcomes checks them (its schema is built from these). */
export const OUTCOME_ROW_LIMITS = { idMaxLength: 300, outcomeMaxLength: 64, interestMin: 0, interestMax: 100 } as const;

/**
 * The outcomes a call may come to: each closes the call and means something for it
 * (docs/outbound.md#call-centre-waves; actors/gateway-event.ts `terminalOutcomes`, the same set).
 * Any other (`clicked`, a dialer's own code, a typo) would be stored and do nothing: the call
 * would stay open until it expired, so a row naming one is rejected instead.
 */
export const CALL_OUTCOMES = ['accepted', 'declined', 'interested', 'callback', 'no_answer', 'later', 'dismissed'] as const;

export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** An outcome's spelling without case, spaces, dashes and underscores: `NO_ANSWER`, `no answer`, `No-Answer` are one. */
const outcomeKey = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

const CALL_OUTCOME_OF_KEY: ReadonlyMap<string, CallOutcome> = new Map(CALL_OUTCOMES.map((o) => [outcomeKey(o), o]));

/**
 * The call outcome a row's outcome names, matched without case, spaces, dashes or underscores
 * (`Accepted`, `NO_ANSWER`, `no answer`, `call-back`); undefined when it names none of
 * `CALL_OUTCOMES`.
 */
export function callOutcome(outcome: string): CallOutcome | undefined {
  return CALL_OUTCOME_OF_KEY.get(outcomeKey(outcome));
}

const L_SHOWN = 64;

/** Why a row's outcome is refused, naming the field (the API's row) or column (a file's) and the outcomes taken. */
export function invalidOutcomeReason(where: 'field' | 'column', outcome: string): string {
  const shown = [...outcome].length > L_SHOWN ? `${[...outcome].slice(0, L_SHOWN).join('')}…` : outcome;
  return `${where} "outcome": invalid_outcome "${shown}": must be one of ${CALL_OUTCOMES.join(', ')} (case, spaces and dashes aside)`;
}

/** What keeps a row from being sent (the field and why, as the server words a rejected row), or undefined when it may be sent. */
export function outcomeRowProblem(row: OutcomeRow): string | undefined {
  const L = OUTCOME_ROW_LIMITS;
  for (const key of ['instance', 'customer'] as const) {
    const v = row[key];
    if (v !== undefined && (v.length < 1 || v.length > L.idMaxLength)) return `field "${key}": must be 1 to ${L.idMaxLength} characters`;
  }
  if (row.instance === undefined && row.customer === undefined) return 'field "instance": name the call\'s instance or its customer';
  if (row.outcome === undefined || row.outcome.length < 1) return 'field "outcome": missing';
  if (row.outcome.length > L.outcomeMaxLength) return `field "outcome": must be 1 to ${L.outcomeMaxLength} characters`;
  if (callOutcome(row.outcome) === undefined) return invalidOutcomeReason('field', row.outcome);
  const i = row.interest;
  if (i !== undefined && (typeof i !== 'number' || !Number.isFinite(i) || i < L.interestMin || i > L.interestMax)) {
    return `field "interest": ${String(i)} is not a number from ${L.interestMin} to ${L.interestMax}`;
  }
  return undefined;
}

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

/**
 * The rows of the parsed file (the header is its first record, line 1), each with its line and,
 * for a row that cannot be sent as it is (no outcome, one not a call's, an interest that is no
 * number from 0 to 100…), its `problem`: the caller reports it by its line and sends the others.
 * A row's outcome is sent in its one spelling (`NO_ANSWER`, `no answer` as `no_answer`). Or what
 * is wrong with the file as a whole (its header).
 */
export function outcomeRowsOfRecords(parsed: readonly ParsedRecord[]): Array<{ line: number; row: OutcomeRow; problem?: string }> | { problem: string } {
  const header = (parsed[0]?.record ?? []).map((h) => h.toLowerCase());
  const unknown = header.find((h) => COLUMNS[h] === undefined);
  if (unknown !== undefined) return { problem: `unknown column "${unknown}" (columns: instance or customer, outcome, at, callback_at, interest)` };
  if (!header.includes('outcome') || (!header.includes('instance') && !header.includes('customer'))) return { problem: 'the header needs outcome, and instance or customer' };
  const rows: Array<{ line: number; row: OutcomeRow; problem?: string }> = [];
  for (const { record, info } of parsed.slice(1)) {
    const row: Record<string, string | number> = {};
    let problem: string | undefined;
    for (const [i, h] of header.entries()) {
      const v = record[i] ?? '';
      if (v === '') continue;
      const key = COLUMNS[h]!;
      if (key === 'interest' && !/^\d+(\.\d+)?$/.test(v)) problem ??= `column "interest": "${v}" is not a number from ${OUTCOME_ROW_LIMITS.interestMin} to ${OUTCOME_ROW_LIMITS.interestMax}`;
      if (key === 'outcome') {
        const outcome = callOutcome(v);
        if (outcome === undefined) problem ??= invalidOutcomeReason('column', v);
        row[key] = outcome ?? v;
        continue;
      }
      row[key] = key === 'interest' || ((key === 'at' || key === 'callbackAt') && /^\d+$/.test(v)) ? Number(v) : v;
    }
    problem ??= outcomeRowProblem(row);
    rows.push(problem === undefined ? { line: info.lines, row } : { line: info.lines, row, problem });
  }
  return rows;
}
