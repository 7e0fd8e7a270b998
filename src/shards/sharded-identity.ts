import type { ContactIdentifierKind } from '../../actors/index.js';
import { auditDraft } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import { dismissIdentityConflictOperation, listIdentityConflictsOperation, mergeCustomersOperation } from '../admin/identity-routes.js';
import type { IdentityConflictRecord, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { route } from '../schema/http/bind-route.js';
import type { AuditDraft } from '../store/store.js';
import type { Route } from '../transport/http.js';
import { dismissHere } from './shard-calls.js';
import type { Shards } from './shards.js';

/** An identifier the router withheld from an event because another shard holds it (shards.ts `route`). */
export interface Withheld {
  kind: ContactIdentifierKind;
  value: string;
  /** the shard the directory claimed it for: its holder lives there */
  shard: number;
}

/** A page of conflicts, as each source answers and as the node answers. */
export interface ConflictPage {
  conflicts: IdentityConflictRecord[];
  next?: string;
}

/**
 * Pages of conflicts from several sources (every shard's, the node's own), each in id order
 * after the same cursor, merged: the first `limit` in id order, and `next` when any source had
 * more or more than `limit` came. A page's last id is the next page's cursor in every source
 * alike, so paging goes through the node's conflicts once each.
 */
export function mergeConflictPages(pages: readonly ConflictPage[], limit: number): ConflictPage {
  const all = pages.flatMap((p) => p.conflicts).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const conflicts = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.next !== undefined);
  const last = conflicts[conflicts.length - 1];
  return more && last !== undefined ? { conflicts, next: last.id } : { conflicts };
}

export interface ShardedIdentityParts {
  shards: Pick<Shards, 'count' | 'call' | 'callEvery' | 'shardOf'>;
  /** conflicts between customers of two shards, kept in the node's store (the main thread's) */
  conflicts: IdentityConflicts;
  clock: Clock;
  /** copies a shard's audit entries into the node's trail (sharded-admin.ts `AuditRelay`) */
  intoNodeTrail: (shard: number) => Promise<void>;
}

/**
 * Records the conflicts an event's withheld identifiers make (after its decision named the
 * claimant): each identifier's holder asked of its shard, the conflict kept in the node's
 * store as a single node keeps one (`IdentityConflicts.record`: counted, logged without the
 * identifier). A holder the shard no longer knows (erased meanwhile) makes none.
 */
export async function recordWithheld(p: Pick<ShardedIdentityParts, 'shards' | 'conflicts'>, claimant: string, withheld: readonly Withheld[]): Promise<void> {
  for (const w of withheld) {
    const holder = await p.shards.call(w.shard, { op: 'holderOf', kind: w.kind, value: w.value });
    if (holder !== undefined && holder !== claimant) await p.conflicts.record({ kind: w.kind, value: w.value, holder, claimant });
  }
}

/**
 * Identity on a node with shards (docs/scale-out.md): the conflicts every shard recorded
 * between two of its own customers and those the node recorded between customers of two
 * shards, listed as one, dismissed where they are kept (the audit entry with the change there,
 * a shard's copied into the node's trail before the answer); two customers of one shard
 * merged by that shard as a single node merges them.
 */
export function shardedIdentityRoutes(p: ShardedIdentityParts): Route[] {
  const { shards, conflicts, clock } = p;
  return [
    route(listIdentityConflictsOperation, async ({ query: { limit = 100, cursor, status } }) => {
      const [own, ...theirs] = await Promise.all([conflicts.list(limit, cursor, status), shards.callEvery({ op: 'conflicts', limit, cursor, status })]);
      return { status: 200, body: mergeConflictPages([own, ...theirs.flat()], limit) };
    }),
    route(dismissIdentityConflictOperation, async ({ params: { id }, call }) => {
      const draft = auditDraft(call, clock.now(), 'identity-conflict.dismiss', `identity-conflict:${id}`);
      const here = await dismissHere(conflicts, id, draft);
      if (here !== undefined) return { status: 200, body: here };
      for (let i = 0; i < shards.count; i++) {
        const dismissed = await shards.call(i, { op: 'dismissConflict', id, draft });
        if (dismissed === undefined) continue;
        await p.intoNodeTrail(i);
        return { status: 200, body: dismissed };
      }
      throw new KairosError('not_found', `no identity conflict "${id}"`);
    }),
    route(mergeCustomersOperation, async ({ params: { id }, body: { from }, call }) => {
      if (id === from) throw new KairosError('invalid', `field "from": a customer cannot be merged into itself ("${id}")`);
      const shard = shards.shardOf(id);
      if (shards.shardOf(from) !== shard) throw new KairosError('unavailable', `"${id}" and "${from}" live on two shards: a merge across shards is not served yet (docs/scale-out.md); merge them on a node with KAIROS_SHARDS=1`);
      const draft: AuditDraft = auditDraft(call, clock.now(), 'customer.merge', `customer:${id}`);
      const outcome = await shards.call(shard, { op: 'merge', into: id, from, draft });
      await p.intoNodeTrail(shard);
      return { status: 200, body: outcome };
    }),
  ];
}
