import { createHash } from 'node:crypto';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { maskIdentifier, stopKey } from '../stop-list.js';
import type { AuditDraft, Store } from '../store/store.js';
import { FORWARD_PREFIX } from './customer-merge.js';
import type { IdentityConflict } from './identity.js';

/**
 * One identifier an event named for a customer (`claimant`) while it is linked to another
 * (`holder`): kept for review, once per identifier and pair of customers (`count`: how many
 * events named it so). The identifier is kept hashed and masked, never in clear.
 */
export interface IdentityConflictRecord {
  id: string;
  kind: ContactIdentifierKind;
  /** the identifier masked for people reading the list (as the stop list masks it) */
  identifier: string;
  /** sha-256 of the identifier (the stop list's key of it) */
  identifierHash: string;
  holder: string;
  claimant: string;
  firstAt: number;
  lastAt: number;
  count: number;
  status: 'open' | 'dismissed';
  dismissedAt?: number;
}

/** Where conflicts are kept: store meta entries under this prefix, by conflict id. */
export const CONFLICT_PREFIX = 'identity-conflict/';
/** The most conflicts a listing looks through. */
export const CONFLICT_SCAN = 100_000;

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A conflict's id: a hash of the identifier and the pair of customers, so one pair is one record. */
export function conflictId(identifierHash: string, holder: string, claimant: string): string {
  return sha(`${identifierHash}|${holder}|${claimant}`).slice(0, 24);
}

/** The conflicts that name the customer, as holder or claimant (a subject-access export lists them). */
export async function conflictsNaming(store: Pick<Store, 'listMeta'>, id: string): Promise<IdentityConflictRecord[]> {
  return (await store.listMeta(CONFLICT_PREFIX, CONFLICT_SCAN)).map(({ value }) => value as IdentityConflictRecord).filter((r) => r.holder === id || r.claimant === id);
}

/**
 * The meta entries an erasure of the customer removes: the identity conflicts naming them
 * (holder or claimant) and the merge forwards from or to them.
 */
export async function metaNaming(store: Pick<Store, 'listMeta'>, id: string): Promise<string[]> {
  const keys = (await conflictsNaming(store, id)).map((r) => CONFLICT_PREFIX + r.id);
  for (const { key, value } of await store.listMeta(FORWARD_PREFIX, Number.MAX_SAFE_INTEGER)) {
    if (key === FORWARD_PREFIX + id || (value as { to?: unknown } | undefined)?.to === id) keys.push(key);
  }
  return keys;
}

export interface IdentityConflictsOptions {
  store: Store;
  /** the stop list's secret: the identifier is kept as its keyed hash (the stop list's key) */
  secret: string;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  /** milliseconds that only go forward (how long an erased customer is remembered); `performance.now()` when absent */
  monotonicNow?: () => number;
}

/**
 * How long an erased customer is remembered (`forgetting`): far longer than a recording begun
 * before the erasure can still take to reach `record` (a store read; on a node with shards, a
 * decision's reply on its way and a shard's answer, which waits 30 s at most).
 */
export const ERASED_FOR_MS = 10 * 60_000;
/** The most erased customers remembered at once: past it, the oldest is forgotten first. */
export const ERASED_KEPT = 10_000;

/**
 * Identity conflicts, durable in the store (its meta entries, on every backend), counted by
 * `kairos_identity_conflicts_total{kind}` (each one recorded, or whose recording failed; none
 * naming a customer being erased) and logged without the identifier.
 */
export class IdentityConflicts {
  /** customers being or recently erased, by id: when (monotonic ms), oldest first */
  private readonly erased = new Map<string, number>();
  /** the records being written: an erasure waits for them before it looks for those naming its customer */
  private readonly writing = new Set<Promise<unknown>>();
  private readonly monotonicNow: () => number;

  constructor(private readonly o: IdentityConflictsOptions) {
    this.monotonicNow = o.monotonicNow ?? (() => performance.now());
  }

  /**
   * Records one (a repeat of a pair counts up its record); a failing store is logged, not thrown:
   * the event is still decided. None naming a customer being or recently erased (`forgetting`):
   * whoever named them was resolved before the erasure, and the record would outlive it. On a
   * store several nodes share the erasure may be another node's: the store refuses the write
   * once the customer carries its tombstone (`putMetaUnlessErased`).
   */
  record(c: IdentityConflict): Promise<void> {
    if (this.forgets(c.holder) || this.forgets(c.claimant)) return Promise.resolve();
    return this.tracked(this.write(c));
  }

  /**
   * An erasure of the customer is under way: from now on (for ERASED_FOR_MS) no conflict naming
   * them is recorded, and those being written are in the store once this resolves, so that the
   * erasure, looking next, finds every conflict naming them. The ids are kept in memory only.
   */
  async forgetting(id: string): Promise<void> {
    const now = this.monotonicNow();
    this.erased.delete(id);
    this.erased.set(id, now);
    for (const [old, at] of this.erased) {
      if (this.erased.size <= ERASED_KEPT && now - at < ERASED_FOR_MS) break;
      this.erased.delete(old);
    }
    await Promise.allSettled([...this.writing]);
  }

  /**
   * The erasure `forgetting` was called for failed (a store error, a shard not answering): the
   * customer is still there, so conflicts naming them are recorded and dismissed again. (An
   * erasure retried later calls `forgetting` again.)
   */
  erasureFailed(id: string): void {
    this.erased.delete(id);
  }

  /** A write of a conflict, waited for by `forgetting` while under way. */
  private tracked<T>(write: Promise<T>): Promise<T> {
    this.writing.add(write);
    const done = (): void => void this.writing.delete(write);
    write.then(done, done);
    return write;
  }

  /** Whether the customer is being or was recently erased (`forgetting`). */
  private forgets(id: string): boolean {
    const at = this.erased.get(id);
    if (at === undefined) return false;
    if (this.monotonicNow() - at < ERASED_FOR_MS) return true;
    this.erased.delete(id);
    return false;
  }

  private async write(c: IdentityConflict): Promise<void> {
    const identifierHash = stopKey(c.kind, c.value, this.o.secret) ?? sha(`${c.kind}:${c.value}`).slice(0, 40);
    const id = conflictId(identifierHash, c.holder, c.claimant);
    const now = this.o.clock.now();
    try {
      const before = (await this.o.store.getMeta(CONFLICT_PREFIX + id)) as IdentityConflictRecord | undefined;
      const record: IdentityConflictRecord =
        before === undefined
          ? { id, kind: c.kind, identifier: maskIdentifier(c.kind, c.value), identifierHash, holder: c.holder, claimant: c.claimant, firstAt: now, lastAt: now, count: 1, status: 'open' }
          : { ...before, lastAt: now, count: before.count + 1 };
      // (refused: one of them carries an erasure's tombstone; not counted, as none is for a customer this node is erasing)
      if (!(await this.o.store.putMetaUnlessErased(CONFLICT_PREFIX + id, record, [c.holder, c.claimant]))) return;
      this.o.metrics.identityConflicts.inc({ kind: c.kind });
      if (before === undefined) this.o.logger.warn({ conflict: id, kind: c.kind, holder: c.holder, claimant: c.claimant }, 'an identifier linked to one customer was named for another; not relinked');
    } catch (err) {
      // (it happened, unrecorded: counted, for the alert)
      this.o.metrics.identityConflicts.inc({ kind: c.kind });
      this.o.logger.error({ err, conflict: id }, 'recording an identity conflict failed');
    }
  }

  /** A page of conflicts in id order after `cursor`, at most `limit`, optionally of one status; `next` when more may follow. */
  async list(limit: number, cursor?: string, status?: IdentityConflictRecord['status']): Promise<{ conflicts: IdentityConflictRecord[]; next?: string }> {
    const all = await this.o.store.listMeta(CONFLICT_PREFIX, CONFLICT_SCAN);
    const conflicts: IdentityConflictRecord[] = [];
    let more = false;
    for (const { key, value } of all) {
      if (cursor !== undefined && key <= CONFLICT_PREFIX + cursor) continue;
      const r = value as IdentityConflictRecord;
      if (status !== undefined && r.status !== status) continue;
      if (conflicts.length === limit) {
        more = true;
        break;
      }
      conflicts.push(r);
    }
    const last = conflicts[conflicts.length - 1];
    return more && last !== undefined ? { conflicts, next: last.id } : { conflicts };
  }

  /**
   * Marks a conflict reviewed (the identifier stays with its holder); with `audit`, written with
   * its audit entry in one store transaction; `not_found` when there is none, or it names a
   * customer being or recently erased (`forgetting`, or on a shared store another node's
   * erasure, their tombstone: the erasure removes it, and this write would bring it back).
   */
  dismiss(id: string, audit?: (before: IdentityConflictRecord, after: IdentityConflictRecord) => AuditDraft): Promise<IdentityConflictRecord> {
    return this.tracked(this.dismissNow(id, audit));
  }

  private async dismissNow(id: string, audit?: (before: IdentityConflictRecord, after: IdentityConflictRecord) => AuditDraft): Promise<IdentityConflictRecord> {
    const before = (await this.o.store.getMeta(CONFLICT_PREFIX + id)) as IdentityConflictRecord | undefined;
    if (before === undefined || this.forgets(before.holder) || this.forgets(before.claimant)) throw new KairosError('not_found', `no identity conflict "${id}"`);
    if (before.status === 'dismissed') return before;
    const after: IdentityConflictRecord = { ...before, status: 'dismissed', dismissedAt: this.o.clock.now() };
    const customers = [before.holder, before.claimant];
    const written =
      audit === undefined
        ? await this.o.store.putMetaUnlessErased(CONFLICT_PREFIX + id, after, customers)
        : (await this.o.store.appendAudit(audit(before, after), { meta: [{ key: CONFLICT_PREFIX + id, value: after }], unlessErased: customers })) !== undefined;
    if (!written) throw new KairosError('not_found', `no identity conflict "${id}"`);
    return after;
  }
}
