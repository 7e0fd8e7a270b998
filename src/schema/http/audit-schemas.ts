import { Type } from '@sinclair/typebox';
import { ROLES } from '../../transport/principal.js';

/** The audit trail's entries and queries, as the admin API gives and takes them (docs/audit.md). */

export const AuditRecordSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'the entry\'s place in the trail, from 1' }),
    at: Type.Number({ description: 'when, by the server clock (ms since the epoch)' }),
    who: Type.Object({
      name: Type.String({ description: "the key's name; for a `local` change, the system user who ran the command" }),
      role: Type.Union([...ROLES, 'customer' as const, 'local' as const].map((r) => Type.Literal(r)), {
        description: "the key's role; `customer` for the customer's own change (the unsubscribe link); `local` for a command run on the data dir with no server and no key (`kairos import customers FILE` without `--url`)",
      }),
    }),
    action: Type.String({ description: 'what was done: stop-list.add, catalog.update, customer.erase, clock.set…' }),
    target: Type.String({ description: 'what it was done to: stop:<key>, offers/<id>, customer:<id>, clock…' }),
    before: Type.Optional(Type.Unknown({ description: 'the state before (no personal data in clear)' })),
    after: Type.Optional(Type.Unknown({ description: 'the state after (no personal data in clear)' })),
    prev: Type.String({ description: 'the previous entry\'s hash (64 zeros for the first)' }),
    hash: Type.String({ description: 'SHA-256 (hex) over prev and the entry\'s canonical JSON' }),
  },
  { description: 'one change in the audit trail' },
);

export const AuditQuery = Type.Object({
  from: Type.Optional(Type.Integer({ minimum: 0, description: 'entries at or after this time (ms)' })),
  to: Type.Optional(Type.Integer({ minimum: 0, description: 'entries before this time (ms)' })),
  action: Type.Optional(Type.String({ description: 'one action (stop-list.add), or a prefix ending in a dot (catalog.)' })),
  who: Type.Optional(Type.String({ description: "one key's name" })),
  target: Type.Optional(Type.String({ description: 'one target, or a prefix ending in * (customer:*)' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'the cursor: entries after this seq (the `next` of the page before)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'how many entries, 1 to 1000 (100 by default)' })),
});

export const AuditExportQuery = Type.Object({
  from: AuditQuery.properties.from,
  to: AuditQuery.properties.to,
  action: AuditQuery.properties.action,
  who: AuditQuery.properties.who,
  target: AuditQuery.properties.target,
});

export const AuditPage = Type.Object({
  entries: Type.Array(AuditRecordSchema),
  next: Type.Optional(Type.Integer({ description: 'the cursor of the next page (its `after`); absent on the last page' })),
});

export const AuditNdjson = Type.String({ description: 'one entry (as in GET /v1/audit) per line, oldest first' });
