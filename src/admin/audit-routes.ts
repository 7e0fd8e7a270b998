import type { AuditRecord } from '../audit/audit-chain.js';
import { route } from '../schema/http/bind-route.js';
import { operation } from '../schema/http/operation.js';
import { AuditExportQuery, AuditNdjson, AuditPage, AuditQuery } from '../schema/http/audit-schemas.js';
import type { Store } from '../store/store.js';
import type { Route } from '../transport/http.js';

/**
 * The audit trail through the admin API: read, filtered and paged (`GET /v1/audit`), or whole
 * as NDJSON (`GET /v1/audit/export`). For the `auditor` role (docs/audit.md).
 */

export interface AuditRouteDeps {
  store: Store;
}

/** What an entry must match. */
export interface AuditFilter {
  from?: number | undefined;
  to?: number | undefined;
  action?: string | undefined;
  who?: string | undefined;
  target?: string | undefined;
}

export function matches(e: AuditRecord, f: AuditFilter): boolean {
  if (f.from !== undefined && e.at < f.from) return false;
  if (f.to !== undefined && e.at >= f.to) return false;
  if (f.action !== undefined && (f.action.endsWith('.') ? !e.action.startsWith(f.action) : e.action !== f.action)) return false;
  if (f.who !== undefined && e.who.name !== f.who) return false;
  if (f.target !== undefined && (f.target.endsWith('*') ? !e.target.startsWith(f.target.slice(0, -1)) : e.target !== f.target)) return false;
  return true;
}

const SCAN = 1000;

/** The entries after `after` matching `f`, oldest first, reading the trail a chunk at a time; stops after `limit` matches. */
export async function* scanAudit(store: Store, f: AuditFilter, after = 0, limit = Infinity): AsyncGenerator<AuditRecord> {
  let cursor = after;
  let found = 0;
  for (;;) {
    const chunk = await store.listAudit(cursor, SCAN);
    for (const e of chunk) {
      if (!matches(e, f)) continue;
      yield e;
      if (++found >= limit) return;
    }
    if (chunk.length < SCAN) return;
    cursor = chunk.at(-1)!.seq;
  }
}

export const listAuditOperation = operation({
  operationId: 'listAudit',
  method: 'get',
  path: '/v1/audit',
  summary: 'The audit trail, oldest first: filtered by time, action, key name and target, a page at a time',
  tag: 'audit',
  auth: 'admin',
  roles: ['auditor'],
  query: AuditQuery,
  responses: { 200: { description: 'a page of entries', schema: AuditPage } },
  errors: [],
});

export const exportAuditOperation = operation({
  operationId: 'exportAudit',
  method: 'get',
  path: '/v1/audit/export',
  summary: 'The audit trail as NDJSON, oldest first, filtered like GET /v1/audit',
  tag: 'audit',
  auth: 'admin',
  roles: ['auditor'],
  query: AuditExportQuery,
  responses: { 200: { description: 'one entry a line', media: { 'application/x-ndjson': AuditNdjson } } },
  errors: [],
});

export const auditOperations = [listAuditOperation, exportAuditOperation] as const;

export function auditRoutes(d: AuditRouteDeps): Route[] {
  return [
    route(listAuditOperation, async ({ query }) => {
      const limit = query.limit ?? 100;
      const entries: AuditRecord[] = [];
      // One more than the page: whether there is a next page.
      for await (const e of scanAudit(d.store, query, query.after ?? 0, limit + 1)) entries.push(e);
      const more = entries.length > limit;
      if (more) entries.length = limit;
      return { status: 200, body: more ? { entries, next: entries.at(-1)!.seq } : { entries } };
    }),
    // Written as it is read (a long trail is never held whole), a few hundred lines a chunk, as the client takes them.
    route(exportAuditOperation, ({ query }) => ({
      raw: { status: 200, contentType: 'application/x-ndjson; charset=utf-8', body: '', stream: auditLines(d.store, query), headers: { 'Content-Disposition': 'attachment; filename="kairos-audit.ndjson"' } },
    })),
  ];
}

/** The entries `scanAudit` finds, one JSON line each, in chunks of EXPORT_CHUNK lines. */
async function* auditLines(store: Store, f: AuditFilter): AsyncGenerator<string> {
  let chunk = '';
  let n = 0;
  for await (const e of scanAudit(store, f)) {
    chunk += `${JSON.stringify(e)}\n`;
    if (++n >= EXPORT_CHUNK) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk !== '') yield chunk;
}

const EXPORT_CHUNK = 256;
