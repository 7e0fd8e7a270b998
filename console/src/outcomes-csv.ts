import type { OutcomeRow as FileRow, ParsedRecord } from '../../src/outcome-rows';
import { OUTCOME_CSV_OPTIONS, outcomeRowsOfRecords } from '../../src/outcome-rows';
import type * as CsvParse from 'csv-parse/browser/esm/sync';
import { lazyChunk } from './lazy-chunk';

/**
 * A dialer's outcomes file (CSV with a header: instance or customer, outcome, at, callback_at,
 * interest) as the rows POST /v1/runs/{id}/outcomes takes, each with its line in the file: the
 * column rules of `kairos run outcomes` (src/outcome-rows.ts), parsed with csv-parse's browser
 * build, a chunk of its own: fetched while the browser is idle once the upload is on screen
 * (`preloadOutcomesParser`), or when a file is chosen (it stays out of the first page's script).
 */

export type OutcomeRow = FileRow & { outcome: string };

const parser = lazyChunk<typeof CsvParse>(() => import('csv-parse/browser/esm/sync'));

/** csv-parse fetched and compiled while the browser is idle, so that a chosen file is read at once. */
export const preloadOutcomesParser = parser.preloadWhenIdle;

/**
 * The file's rows with their lines (the header is line 1), a row the server would refuse with its
 * `problem` (not to be sent: it would make the server refuse its whole call), or what is wrong
 * with the file as a whole.
 */
export async function outcomeRowsOf(text: string): Promise<Array<{ line: number; row: OutcomeRow; problem?: string }> | { problem: string }> {
  const { parse } = await parser.load();
  let parsed: ParsedRecord[];
  try {
    parsed = parse(text, OUTCOME_CSV_OPTIONS) as unknown as ParsedRecord[];
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const rows = outcomeRowsOfRecords(parsed);
  return 'problem' in rows ? rows : rows.map((r) => ({ ...r, row: { outcome: '', ...r.row } }));
}
