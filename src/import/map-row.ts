import { KairosError } from '../errors.js';
import type { ColumnType, ImportMapping } from './import-mapping.js';

/**
 * A row's cells under Kairos's names (the mapping's renames applied), each with the type its
 * value is read as: the mapping's, else the canonical column's, else inferred from the value.
 */

export interface MappedCell {
  /** the column's name in the file, for the rejects file */
  source: string;
  value: string;
  type?: ColumnType;
  format?: string;
  /** given explicitly empty in JSON (`null`, `""`, `[]`: `SourceRow.cleared`): a clear of a `phone`, `email` or `card` list */
  cleared?: true;
}

export function mapRow(fields: Readonly<Record<string, string>>, mapping: ImportMapping, cleared?: readonly string[]): Map<string, MappedCell> {
  const out = new Map<string, MappedCell>();
  for (const [source, value] of Object.entries(fields)) {
    const m = mapping.columns[source];
    const cell: MappedCell = { source, value };
    if (cleared?.includes(source) === true) cell.cleared = true;
    if (m?.type !== undefined) cell.type = m.type;
    const format = m?.format ?? (m?.type === 'date' ? mapping.dateFormat : undefined);
    if (format !== undefined) cell.format = format;
    const to = m?.to ?? source;
    // a file column keeping its name that the mapping gives another column too (`phone` beside `TEL: phone`)
    if (out.has(to)) throw new KairosError('invalid', `columns "${out.get(to)!.source}" and "${source}" both give "${to}": rename one in the mapping, or drop it`);
    out.set(to, cell);
  }
  return out;
}

/** A date in a format of YYYY, MM, DD and separators, as YYYY-MM-DD; undefined when it is none. */
const formats = new Map<string, RegExp>();

function formatPattern(format: string): RegExp {
  let re = formats.get(format);
  if (re === undefined) {
    const pattern = format.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('YYYY', '(?<y>\\d{4})').replace('MM', '(?<m>\\d{1,2})').replace('DD', '(?<d>\\d{1,2})');
    re = new RegExp(`^${pattern}$`);
    if (formats.size < 100) formats.set(format, re);
  }
  return re;
}

export function parseDate(value: string, format: string): string | undefined {
  const g = formatPattern(format).exec(value.trim())?.groups;
  if (g === undefined) return undefined;
  const y = Number(g.y);
  const m = Number(g.m);
  const d = Number(g.d);
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** A cell as its type; `{ error }` when it does not read as that type. Inferred when no type is given. */
export function typedValue(cell: MappedCell, defaultDateFormat: string): { value: string | number | boolean } | { error: string } {
  const v = cell.value.trim();
  const type = cell.type ?? (v === 'true' || v === 'false' ? 'boolean' : NUMBER.test(v) ? 'number' : parseDate(v, 'YYYY-MM-DD') !== undefined ? 'date' : 'text');
  switch (type) {
    case 'boolean':
      if (/^(true|1|yes|да)$/i.test(v)) return { value: true };
      if (/^(false|0|no|нет)$/i.test(v)) return { value: false };
      return { error: 'invalid_boolean' };
    case 'number': {
      const n = Number(v.replace(',', '.'));
      return v !== '' && Number.isFinite(n) ? { value: n } : { error: 'invalid_number' };
    }
    case 'date': {
      const d = parseDate(v, cell.format ?? defaultDateFormat);
      return d === undefined ? { error: 'invalid_date' } : { value: d };
    }
    case 'text':
      return { value: v };
  }
}
