import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { KairosError } from '../errors.js';
import { canonicalColumns } from './customer-from-row.js';
import type { ImportMapping } from './import-mapping.js';
import { DEFAULT_DATE_FORMAT } from './import-mapping.js';
import type { ImportMarker, ImportResult, RejectSink } from './import-customers.js';
import { rejectLine, startRun } from './import-customers.js';
import { mapRow, parseDate, typedValue } from './map-row.js';
import type { SourceRow } from './read-rows.js';

/**
 * `kairos import customers FILE --url URL`: the same import through a running server's
 * `POST /v1/customers/import`, 1,000 rows a request. The file is read and mapped here (renames,
 * types, date formats: the server gets canonical columns, dates as YYYY-MM-DD, typed values as
 * JSON numbers and booleans); duplicate ids across requests are caught here. The resume point
 * is a file beside the rejects (`state`), written after each request the server answered.
 */

export interface ThroughServerOptions {
  url: string;
  key: string;
  source: string;
  mapping: ImportMapping;
  rejects: RejectSink;
  resume: boolean;
  /** the resume point's file */
  statePath: string;
  batchSize?: number;
  onProgress?: (p: { rows: number; bytes: number }) => void;
}

/** The resume point, in its own file: the same as the direct import's marker in the store. */
type State = ImportMarker;

const dateColumns = new Set(['birth_date', 'consent_sms_at', 'consent_email_at', 'consent_push_at']);
const canonical: ReadonlySet<string> = new Set(canonicalColumns);
const identifierColumns: ReadonlySet<string> = new Set(['phone', 'email', 'card']);

function readState(path: string): State | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

function writeState(path: string, s: State): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(s));
  renameSync(`${path}.tmp`, path);
}

/** A mapped row as the route's NDJSON object, or the reject the mapping itself finds. */
function toJson(row: SourceRow, mapping: ImportMapping): { obj: Record<string, unknown> } | { column: string; reason: string } {
  const obj: Record<string, unknown> = {};
  for (const [name, cell] of mapRow(row.fields, mapping, row.cleared)) {
    const v = cell.value.trim();
    if (v === '') {
      // a list of identifiers given empty in JSON: cleared on the server too
      if (cell.cleared === true && identifierColumns.has(name)) obj[name] = [];
      continue;
    }
    if (dateColumns.has(name) && (cell.format ?? mapping.dateFormat) !== DEFAULT_DATE_FORMAT) {
      const d = parseDate(v, cell.format ?? mapping.dateFormat);
      if (d === undefined) return { column: cell.source, reason: 'invalid_date' };
      obj[name] = d;
    } else if (!canonical.has(name) && cell.type !== undefined) {
      const t = typedValue(cell, mapping.dateFormat);
      if ('error' in t) return { column: cell.source, reason: t.error };
      obj[name] = t.value;
    } else obj[name] = v;
  }
  return { obj };
}

export async function importThroughServer(rows: AsyncIterable<SourceRow>, o: ThroughServerOptions): Promise<ImportResult> {
  const batchSize = o.batchSize ?? 1000;
  const base = o.url.replace(/\/+$/, '');
  const previous = o.resume ? readState(o.statePath) : undefined;
  const resumed = previous !== undefined && previous.source === o.source ? previous : undefined;
  const { counts, skipUntil, done: finished } = startRun(resumed, o.rejects);
  if (finished) return { ...counts, skipped: counts.rows };
  const seen = new Set<string>();
  let skipped = 0;
  let bytes = 0;
  let lastLine = skipUntil;
  /** the rows of the next request, and every row since the last one (local rejects in place) */
  let sent: SourceRow[] = [];
  let body: string[] = [];
  let local: Array<{ line: number; text: string }> = [];

  const flush = async (done: boolean): Promise<void> => {
    const out: Array<{ line: number; text: string }> = [...local];
    if (body.length > 0) {
      let res: Response;
      try {
        res = await fetch(`${base}/v1/customers/import`, { method: 'POST', headers: { Authorization: `Bearer ${o.key}`, 'Content-Type': 'application/x-ndjson' }, body: `${body.join('\n')}\n` });
      } catch (err) {
        throw new KairosError('unavailable', `cannot reach ${base}: ${(err as Error).message}`, { cause: err });
      }
      const reply = (await res.json()) as { created: number; updated: number; unchanged: number; rejects: Array<{ line: number; column: string; reason: string }>; detail?: string };
      if (!res.ok) throw new KairosError('unavailable', `${base} refused the import (${res.status}): ${reply.detail ?? ''}`);
      counts.created += reply.created;
      counts.updated += reply.updated;
      counts.unchanged += reply.unchanged;
      counts.rejected += reply.rejects.length;
      for (const r of reply.rejects) {
        const src = sent[r.line - 1]!;
        out.push({ line: src.line, text: rejectLine(src.line, r.column === '' ? '' : (mapRow(src.fields, o.mapping).get(r.column)?.source ?? r.column), r.reason, src.raw) });
      }
    }
    out.sort((a, b) => a.line - b.line);
    if (out.length > 0) o.rejects.append(out.map((x) => x.text).join(''));
    writeState(o.statePath, { source: o.source, line: lastLine, rejectsBytes: o.rejects.size(), counts: { ...counts }, done });
    sent = [];
    body = [];
    local = [];
    o.onProgress?.({ rows: counts.rows, bytes });
  };

  for await (const src of rows) {
    bytes = src.bytes;
    const idCell = mapRow(src.fields, o.mapping).get('id');
    const id = idCell?.value.trim() ?? '';
    if (src.line <= skipUntil) {
      if (id !== '') seen.add(id);
      skipped++;
      continue;
    }
    counts.rows++;
    lastLine = src.line;
    const mapped = src.problem !== undefined ? { column: '', reason: 'unreadable_row' } : id !== '' && seen.has(id) ? { column: idCell!.source, reason: 'duplicate_id' } : toJson(src, o.mapping);
    if (id !== '') seen.add(id);
    if ('obj' in mapped) {
      sent.push(src);
      body.push(JSON.stringify(mapped.obj));
    } else {
      counts.rejected++;
      local.push({ line: src.line, text: rejectLine(src.line, mapped.column, mapped.reason, src.raw) });
    }
    if (sent.length + local.length >= batchSize) await flush(false);
  }
  await flush(true);
  return { ...counts, skipped };
}
