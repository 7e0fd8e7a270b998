import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/**
 * The rows of an import file, in order: CSV with a header row (csv-parse), or NDJSON (one JSON
 * object a line). Each row keeps its line number and raw text for the rejects file; a row that
 * cannot be read as a row (a bad JSON line, a CSV row with more cells than the header) comes
 * with `problem` instead of fields, and the run goes on.
 */

export type ImportFormat = 'csv' | 'ndjson';

export interface SourceRow {
  /** the row's (last) line number in the file, 1-based */
  line: number;
  raw: string;
  /** cell values by the file's column names, as text ('' for an empty cell) */
  fields: Record<string, string>;
  problem?: string;
  /** bytes of the file read so far */
  bytes: number;
}

/** The format by the file name: .ndjson or .jsonl is NDJSON, anything else CSV. */
export function formatOf(file: string): ImportFormat {
  return /\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : 'csv';
}

/** A JSON value as a cell's text: arrays joined with `|` (several phones, e-mails, cards). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(cellText).join('|');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'string' ? v : '';
}

async function* csvRows(input: Readable, delimiter: string): AsyncGenerator<SourceRow> {
  const parser = input.pipe(parse({ delimiter, info: true, raw: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }));
  let header: string[] | undefined;
  for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number; bytes: number } }>) {
    const { record, raw, info } = item;
    if (header === undefined) {
      header = record;
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, i) => (fields[name] = record[i] ?? ''));
    const row: SourceRow = { line: info.lines, raw: raw.replace(/\r?\n$/, ''), fields, bytes: info.bytes };
    if (record.length > header.length) row.problem = `${record.length} cells, the header has ${header.length}`;
    yield row;
  }
}

async function* ndjsonRows(input: Readable): AsyncGenerator<SourceRow> {
  let buf = '';
  let line = 0;
  let bytes = 0;
  const one = (rawLine: string): SourceRow | undefined => {
    line++;
    bytes += Buffer.byteLength(rawLine) + 1;
    const raw = rawLine.replace(/\r$/, '');
    if (raw.trim() === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return { line, raw, fields: {}, problem: 'not a JSON object', bytes };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { line, raw, fields: {}, problem: 'not a JSON object', bytes };
    const fields: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) fields[k] = cellText(x);
    return { line, raw, fields, bytes };
  };
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const row = one(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (row !== undefined) yield row;
    }
  }
  if (buf !== '') {
    const row = one(buf);
    if (row !== undefined) yield row;
  }
}

/** Reads rows; a stream that cannot be read (or a CSV that cannot be parsed) throws. */
export function readRows(input: Readable, format: ImportFormat, delimiter = ','): AsyncGenerator<SourceRow> {
  return format === 'csv' ? csvRows(input, delimiter) : ndjsonRows(input);
}
