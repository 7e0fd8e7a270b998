import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { duplicateJsonKey, keyGivenTwice } from '../duplicate-json-key.js';
import { KairosError } from '../errors.js';
import { wellFormed } from '../well-formed-text.js';
import { isCellValue } from './cell-value.js';

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
  /**
   * the column (the file's name) holding text that is not well-formed (an NDJSON string with a
   * lone surrogate escape, `"\ud800"`): the row is rejected `invalid_encoding` (`prepare-row.ts`).
   * Bytes that are not valid UTF-8 need no mark: they are read as U+FFFD, which a row is refused for.
   */
  badText?: string;
  /** the column (NDJSON) whose value is no column's value (an object, a list of numbers: `cell-value.ts`): rejected `invalid_value` */
  badValue?: string;
  /** bytes of the file read so far */
  bytes: number;
  /**
   * the columns a JSON row gives as explicitly empty (`null`, `""`, `[]`), by the file's names:
   * for `phone`, `email` and `card` a clear of that list (docs/import.md), for the others the
   * same as not given (absent when none)
   */
  cleared?: string[];
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

/**
 * A JSON object's members as a row's cells (`cellText`), and the members given explicitly
 * empty (`null`, `""`, `[]`: `SourceRow.cleared`).
 */
export function jsonCells(obj: Readonly<Record<string, unknown>>): { fields: Record<string, string>; cleared?: string[] } {
  const fields: Record<string, string> = {};
  let cleared: string[] | undefined;
  for (const [k, x] of Object.entries(obj)) {
    const text = cellText(x);
    fields[k] = text;
    if (x !== undefined && text.trim() === '') (cleared ??= []).push(k);
  }
  return cleared === undefined ? { fields } : { fields, cleared };
}

/**
 * A CSV's header, refused (the file cannot be read: `invalid`, the command's exit 2) when a
 * column's name holds U+FFFD (bytes that are not UTF-8, a file in another encoding read as
 * UTF-8) or a name comes twice.
 */
function checkedHeader(cells: string[]): string[] {
  const bad = cells.find((c) => c.includes('\uFFFD'));
  if (bad !== undefined) throw new KairosError('invalid', `the header's column ${JSON.stringify(bad)} is not valid UTF-8: name the file's encoding (--encoding windows-1251, or "encoding" in the mapping)`);
  // a name twice: each row's second cell would silently win over its first
  const seen = new Set<string>();
  for (const c of cells) {
    if (seen.has(c)) throw new KairosError('invalid', `the header names the column "${c}" twice: give each column a name of its own`);
    seen.add(c);
  }
  return cells;
}

const CSV_OPTIONS = { relax_column_count: true, skip_empty_lines: true, bom: true, trim: true } as const;

/** csv-parse's trim: before a field, CR, LF, form feed, space and tab; after it, what `trimEnd` takes. */
function trimCell(v: string): string {
  let i = 0;
  while (i < v.length) {
    const c = v.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 12 && c !== 13 && c !== 10) break;
    i++;
  }
  return (i === 0 ? v : v.slice(i)).trimEnd();
}

function quotesIn(line: string): number {
  let n = 0;
  for (let at = line.indexOf('"'); at >= 0; at = line.indexOf('"', at + 1)) n++;
  return n;
}

/**
 * Whether a CSV line leaves a quoted cell open (the record goes on on the next line), as
 * csv-parse reads it with `relax_quotes`: a cell is quoted when it starts with a quote (after
 * spaces or tabs), `""` inside it is a quote, and a quote anywhere else is text (`Iv"an`).
 * `inside`: the record's earlier lines left a cell open.
 */
export function endsInsideQuotes(line: string, delimiter: string, inside: boolean): boolean {
  const n = line.length;
  let i = 0;
  let cellStart = !inside;
  while (i < n) {
    if (inside) {
      const q = line.indexOf('"', i);
      if (q < 0) return true;
      if (line.charCodeAt(q + 1) === 34) {
        i = q + 2;
        continue;
      }
      inside = false;
      cellStart = false;
      i = q + 1;
      continue;
    }
    if (cellStart) {
      let j = i;
      while (j < n && (line.charCodeAt(j) === 32 || line.charCodeAt(j) === 9)) j++;
      if (line.charCodeAt(j) === 34) {
        inside = true;
        cellStart = false;
        i = j + 1;
        continue;
      }
    }
    const d = line.indexOf(delimiter, i);
    if (d < 0) return false;
    i = d + delimiter.length;
    cellStart = true;
  }
  return inside;
}

/** A quoted cell may span this many lines, or bytes, before its first line is taken for a quote left open. */
const MAX_RECORD_LINES = 64;
const MAX_RECORD_BYTES = 1 << 16;

/**
 * A CSV read line by line (LF line ends, or CR LF: `crlf`, each line's CR dropped): a plain line (no quote, no CR, not blank) split on
 * the delimiter and its cells trimmed as csv-parse trims them; a line with quotes (with the
 * lines a quoted cell spans) or anything unusual read by csv-parse itself, so a row reads the
 * same either way (read-rows.test.ts compares them). About five times faster than csv-parse
 * for every row (docs/import.md, Speed). A file whose first line ends in CR LF, or whose header
 * holds a quote, is read by csv-parse throughout. The rows come a chunk of the stream at a
 * time (no promise a row).
 */
export async function* fastCsvChunks(input: Readable, delimiter: string, crlf = false): AsyncGenerator<SourceRow[]> {
  input.setEncoding('utf8');
  let buf = '';
  let lineNo = 0;
  let bytes = 0;
  let header: string[] | undefined;
  /** lines of a record whose quotes are not closed yet, the line number of the first and their length */
  let open: string[] = [];
  let openFrom = 0;
  let openBytes = 0;
  const eol = crlf ? '\r\n' : '\n';
  /** lines skipped as empty since the last row: csv-parse counts them in the next row's raw text */
  let skippedRaw = '';
  const row = (cells: string[], line: string): SourceRow | undefined => {
    const raw = skippedRaw + line;
    skippedRaw = '';
    if (header === undefined) {
      header = checkedHeader(cells);
      return undefined;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) fields[header[i]!] = cells[i] ?? '';
    const r: SourceRow = { line: lineNo, raw, fields, bytes };
    if (cells.length > header.length) r.problem = `${cells.length} cells, the header has ${header.length}`;
    return r;
  };
  const slow = (text: string): SourceRow[] => {
    const out: SourceRow[] = [];
    let records: string[][];
    try {
      records = parseSync(text, { ...CSV_OPTIONS, delimiter, record_delimiter: crlf ? ['\r\n', '\n'] : '\n', relax_quotes: true });
    } catch (err) {
      // a record csv-parse cannot read (`"a"b`: text after a closing quote): a row that is rejected, the run goes on
      const raw = skippedRaw + text;
      skippedRaw = '';
      const code = (err as { code?: string }).code ?? 'CSV_ERROR';
      if (header === undefined) throw err; // no header: the file cannot be read at all
      return [{ line: lineNo, raw, fields: {}, problem: `not a CSV record (${code})`, bytes }];
    }
    if (records.length === 0) skippedRaw += `${text}\n`;
    for (const cells of records) {
      const r = row(cells, text);
      if (r !== undefined) out.push(r);
    }
    return out;
  };
  /**
   * A quoted cell left open past the bounds (or at the end of the file): its first line is a
   * row that is rejected, and the lines after it are read again as lines of their own.
   */
  const unclosed = (): SourceRow[] => {
    const [first, ...rest] = open;
    open = [];
    openBytes = 0;
    const raw = skippedRaw + first!;
    skippedRaw = '';
    const out: SourceRow[] = [{ line: openFrom, raw, fields: {}, problem: 'a quoted cell not closed', bytes }];
    const [last, read] = [lineNo, bytes];
    lineNo = openFrom;
    for (const l of rest) {
      const got = one(l);
      if (Array.isArray(got)) out.push(...got);
      else if (got !== undefined) out.push(got);
    }
    lineNo = Math.max(lineNo, last);
    bytes = read;
    return out;
  };
  const one = (line: string): SourceRow[] | SourceRow | undefined => {
    lineNo++;
    bytes += Buffer.byteLength(line, 'utf8') + 1;
    if (crlf && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    // csv-parse counts a lone CR as a line end in its line numbers too
    for (let at = line.indexOf('\r'); at >= 0; at = line.indexOf('\r', at + 1)) lineNo++;
    const q = quotesIn(line);
    if (open.length > 0 || (q > 0 && endsInsideQuotes(line, delimiter, false))) {
      if (open.length === 0) openFrom = lineNo;
      // (the first line leaves a cell open; a next one starts inside it)
      const inside = open.length === 0 || endsInsideQuotes(line, delimiter, true);
      open.push(line);
      openBytes += line.length;
      if (inside) {
        return open.length > MAX_RECORD_LINES || openBytes > MAX_RECORD_BYTES ? unclosed() : undefined;
      }
      const text = open.join(eol);
      open = [];
      openBytes = 0;
      return slow(text);
    }
    if (line === '') {
      skippedRaw += '\n';
      return undefined;
    }
    if (q > 0 || line.includes('\r') || trimCell(line) === '') return slow(line);
    return row(line.split(delimiter).map(trimCell), line);
  };
  for await (const chunk of input as AsyncIterable<string>) {
    buf += chunk;
    let from = 0;
    let nl: number;
    const out: SourceRow[] = [];
    while ((nl = buf.indexOf('\n', from)) >= 0) {
      const got = one(buf.slice(from, nl));
      from = nl + 1;
      if (Array.isArray(got)) out.push(...got);
      else if (got !== undefined) out.push(got);
    }
    buf = buf.slice(from);
    if (out.length > 0) yield out;
  }
  if (buf !== '' || open.length > 0) {
    const got = buf !== '' ? one(buf) : undefined;
    const out: SourceRow[] = Array.isArray(got) ? got : got !== undefined ? [got] : [];
    // a quote left open at the end of the file: its first line rejected, the lines after it read
    while (open.length > 0) out.push(...unclosed());
    if (out.length > 0) yield out;
  }
}

/**
 * How `fastCsvChunks` reads a file by its start: LF or CR LF line ends, or CR alone (old Mac
 * files: a CR in the first line, read as LF); undefined: by csv-parse (no line end in the
 * first megabyte).
 */
function fastCsvFits(start: string): { crlf: boolean; cr: boolean } | undefined {
  const nl = start.indexOf('\n');
  const cr = start.indexOf('\r');
  if (cr >= 0 && (nl < 0 || cr < nl - 1)) return { crlf: false, cr: true };
  if (nl <= 0) return undefined;
  return { crlf: start.charCodeAt(nl - 1) === 13, cr: false };
}

/** A text stream with each lone CR (not before an LF) read as an LF; a CR ending a chunk waits for the next one. */
async function* loneCrAsLf(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let held = '';
  const decoder = new TextDecoder('utf-8');
  for await (const b of input) {
    let text = held + decoder.decode(b, { stream: true });
    held = '';
    if (text.endsWith('\r')) {
      held = '\r';
      text = text.slice(0, -1);
    }
    yield Buffer.from(text.replace(/\r(?!\n)/g, '\n'));
  }
  const last = held + decoder.decode();
  if (last !== '') yield Buffer.from(last.replace(/\r(?!\n)/g, '\n'));
}

async function* csvChunks(input: Readable, delimiter: string): AsyncGenerator<SourceRow[]> {
  // the file's start decides: an LF file with a plain header is read line by line
  const first: Buffer[] = [];
  let got = 0;
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) break;
    const b = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    first.push(b);
    got += b.length;
    if (b.includes(10) || got > 1 << 20) break;
  }
  const head = Buffer.concat(first);
  const decided = fastCsvFits(head.toString('utf8'));
  const rest = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    })(),
    { objectMode: false },
  );
  if (decided === undefined) yield* csvParseChunks(rest, delimiter);
  else yield* fastCsvChunks(decided.cr ? Readable.from(loneCrAsLf(rest)) : rest, delimiter, decided.crlf);
}

/** csv-parse's rows handed on at most this many at a time */
const PARSED_CHUNK = 500;

/** Rows by csv-parse, whatever the file. */
export async function* csvParseChunks(input: Readable, delimiter: string): AsyncGenerator<SourceRow[]> {
  const parser = input.pipe(parse({ ...CSV_OPTIONS, delimiter, info: true, raw: true }));
  let header: string[] | undefined;
  let out: SourceRow[] = [];
  for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number; bytes: number } }>) {
    const { record, raw, info } = item;
    if (header === undefined) {
      header = checkedHeader(record);
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, i) => (fields[name] = record[i] ?? ''));
    const row: SourceRow = { line: info.lines, raw: raw.replace(/\r?\n$/, ''), fields, bytes: info.bytes };
    if (record.length > header.length) row.problem = `${record.length} cells, the header has ${header.length}`;
    out.push(row);
    if (out.length >= PARSED_CHUNK) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

async function* ndjsonChunks(input: Readable): AsyncGenerator<SourceRow[]> {
  let buf = '';
  let line = 0;
  let bytes = 0;
  const one = (rawLine: string): SourceRow | undefined => {
    line++;
    bytes += Buffer.byteLength(rawLine) + 1;
    // a UTF-8 byte order mark at the file's start is no part of its first line
    const raw = (line === 1 && rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine).replace(/\r$/, '');
    if (raw.trim() === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return { line, raw, fields: {}, problem: 'not a JSON object', bytes };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { line, raw, fields: {}, problem: 'not a JSON object', bytes };
    // a key twice: which of its values is the customer's is not the file's to leave to JSON.parse
    const twice = duplicateJsonKey(raw);
    if (twice !== undefined) return { line, raw, fields: {}, problem: keyGivenTwice(twice), bytes };
    const obj = v as Record<string, unknown>;
    const row: SourceRow = { line, raw, ...jsonCells(obj), bytes };
    const { fields } = row;
    for (const [k, x] of Object.entries(obj)) {
      if (typeof x !== 'string' && !isCellValue(x)) {
        row.badValue = k;
        break;
      }
    }
    // a lone surrogate can only come from an escape (`\ud800`): bytes that are not UTF-8 were read as U+FFFD already
    if (raw.includes('\\u')) {
      for (const [k, x] of Object.entries(fields)) {
        if (!wellFormed(k) || !wellFormed(x)) {
          row.badText = k;
          break;
        }
      }
    }
    return row;
  };
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    buf += chunk;
    let from = 0;
    let nl: number;
    const out: SourceRow[] = [];
    while ((nl = buf.indexOf('\n', from)) >= 0) {
      const row = one(buf.slice(from, nl));
      from = nl + 1;
      if (row !== undefined) out.push(row);
    }
    buf = buf.slice(from);
    if (out.length > 0) yield out;
  }
  if (buf !== '') {
    const row = one(buf);
    if (row !== undefined) yield [row];
  }
}

/**
 * A byte stream in another encoding (`windows-1251`, `koi8-r`: a TextDecoder label) as UTF-8,
 * a chunk at a time: TextDecoder's stream mode keeps a character split across chunks whole.
 */
export async function* asUtf8(input: AsyncIterable<Buffer | string>, encoding: string): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding);
  for await (const chunk of input) {
    const text = decoder.decode(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, { stream: true });
    if (text !== '') yield Buffer.from(text);
  }
  const last = decoder.decode();
  if (last !== '') yield Buffer.from(last);
}

/** Whether an encoding name is UTF-8's (the default: read as it is). */
function isUtf8Name(encoding: string | undefined): boolean {
  return encoding === undefined || /^utf-?8$/i.test(encoding) || encoding.toLowerCase() === 'unicode-1-1-utf-8';
}

/**
 * Reads rows, in file order, a few at a time (a chunk of the stream's); a stream that cannot
 * be read (or a CSV that cannot be parsed) throws. `encoding`: the file's (a TextDecoder
 * label), UTF-8 by default; bytes that are not valid UTF-8 are read as U+FFFD, and a row
 * holding one is rejected `invalid_encoding` (`prepare-row.ts`), never stored.
 */
export function readRowChunks(input: Readable, format: ImportFormat, delimiter = ',', encoding?: string): AsyncGenerator<SourceRow[]> {
  const text = isUtf8Name(encoding) ? input : Readable.from(asUtf8(input as AsyncIterable<Buffer>, encoding!), { objectMode: false });
  return format === 'csv' ? csvChunks(text, delimiter) : ndjsonChunks(text);
}

/** Reads rows one by one (`readRowChunks` flattened). */
export function readRows(input: Readable, format: ImportFormat, delimiter = ',', encoding?: string): AsyncGenerator<SourceRow> {
  return rowsOf(readRowChunks(input, format, delimiter, encoding));
}

/** Chunks of rows as the rows. */
export async function* rowsOf<T>(chunks: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const chunk of chunks) yield* chunk;
}
