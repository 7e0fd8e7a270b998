import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { KairosError } from '../errors.js';

/**
 * The mapping file of `kairos import customers --mapping FILE` (YAML or JSON; docs/import.md):
 * the bank's column names to Kairos's, each column's type and date format, the CSV delimiter.
 *
 *   delimiter: ";"
 *   encoding: windows-1251        # the file's text encoding (else UTF-8)
 *   dateFormat: DD.MM.YYYY          # every date column's default (else YYYY-MM-DD)
 *   columns:
 *     CLIENT_ID: id                 # a rename
 *     DR: { to: birth_date, type: date, format: DD.MM.YYYY }
 *     VIP: { to: vip, type: boolean }
 */

export const columnTypes = ['number', 'boolean', 'date', 'text'] as const;
export type ColumnType = (typeof columnTypes)[number];

export interface ColumnMapping {
  /** the column's name in Kairos (canonical or an attribute); the source name when absent */
  to?: string;
  type?: ColumnType;
  /** a date's format in YYYY, MM, DD and any separators */
  format?: string;
}

export interface ImportMapping {
  delimiter: string;
  /** the file's text encoding, a WHATWG label (`windows-1251`, `koi8-r`, `ibm866`); UTF-8 when absent */
  encoding?: string;
  dateFormat: string;
  columns: Readonly<Record<string, ColumnMapping>>;
}

export const DEFAULT_DATE_FORMAT = 'YYYY-MM-DD';
export const emptyMapping: ImportMapping = { delimiter: ',', dateFormat: DEFAULT_DATE_FORMAT, columns: {} };

function invalid(message: string): KairosError {
  return new KairosError('invalid', `mapping: ${message}`);
}

function checkFormat(format: unknown, where: string): string {
  if (typeof format !== 'string' || !format.includes('YYYY') || !format.includes('MM') || !format.includes('DD')) {
    throw invalid(`${where}: a date format names YYYY, MM and DD (e.g. DD.MM.YYYY)`);
  }
  return format;
}

/**
 * An encoding's name as TextDecoder knows it (`cp1251` → `windows-1251`); undefined when it
 * knows none by that name. Node's TextDecoder (full ICU) reads the WHATWG encodings.
 */
export function encodingName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return undefined;
  try {
    return new TextDecoder(name.trim()).encoding;
  } catch {
    return undefined;
  }
}

/** What an encoding must be, in an error message. */
export const ENCODING_HINT = 'an encoding name: utf-8 (the default), windows-1251, koi8-r, ibm866, …';

/** Parses and checks a mapping file's text (YAML, of which JSON is a subset). */
export function parseMapping(text: string): ImportMapping {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw invalid(`not YAML or JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('the file holds an object with "columns"');
  const raw = doc as Record<string, unknown>;
  for (const k of Object.keys(raw)) if (!['delimiter', 'encoding', 'dateFormat', 'columns'].includes(k)) throw invalid(`unknown key "${k}"`);
  const delimiter = raw.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1) throw invalid('"delimiter" is one character');
  const encoding = raw.encoding === undefined ? undefined : encodingName(raw.encoding);
  if (raw.encoding !== undefined && encoding === undefined) throw invalid(`"encoding" is ${ENCODING_HINT}, got ${JSON.stringify(raw.encoding)}`);
  const dateFormat = raw.dateFormat === undefined ? DEFAULT_DATE_FORMAT : checkFormat(raw.dateFormat, 'dateFormat');
  const columns: Record<string, ColumnMapping> = {};
  const cols = raw.columns ?? {};
  if (cols === null || typeof cols !== 'object' || Array.isArray(cols)) throw invalid('"columns" maps column names to a name or { to, type, format }');
  for (const [name, spec] of Object.entries(cols as Record<string, unknown>)) {
    if (typeof spec === 'string') {
      columns[name] = { to: spec };
      continue;
    }
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalid(`column "${name}": a name or { to, type, format }`);
    const s = spec as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!['to', 'type', 'format'].includes(k)) throw invalid(`column "${name}": unknown key "${k}"`);
    const m: ColumnMapping = {};
    if (s.to !== undefined) {
      if (typeof s.to !== 'string' || s.to === '') throw invalid(`column "${name}": "to" is a column name`);
      m.to = s.to;
    }
    if (s.type !== undefined) {
      if (!columnTypes.includes(s.type as ColumnType)) throw invalid(`column "${name}": type is one of ${columnTypes.join(', ')}`);
      m.type = s.type as ColumnType;
    }
    if (s.format !== undefined) m.format = checkFormat(s.format, `column "${name}"`);
    columns[name] = m;
  }
  // two columns giving one target: which would win is no answer (the last silently did)
  const target = new Map<string, string>();
  for (const [name, m] of Object.entries(columns)) {
    const to = m.to ?? name;
    const other = target.get(to);
    if (other !== undefined) throw invalid(`columns "${other}" and "${name}" both map to "${to}": map each column to a column of its own`);
    target.set(to, name);
  }
  return encoding === undefined || encoding === 'utf-8' ? { delimiter, dateFormat, columns } : { delimiter, encoding, dateFormat, columns };
}

/** Reads a mapping file. */
export function loadMapping(file: string): ImportMapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseMapping(text);
}
