import { createHash } from 'node:crypto';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { IdentityConflictStatus } from '../schema/http/identity-schemas.js';
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
  /** open, dismissed (reviewed) or merged (a merge of holder and claimant resolved it): identity-schemas.ts */
  status: IdentityConflictStatus;
  dismissedAt?: number;
  /** when a merge of its holder and claimant resolved it (status merged) */
  mergedAt?: number;
  /** that merge's survivor (status merged) */
  into?: string;
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
 * Two records of one identifier and pair of customers as one (a merge re-pointed one onto the
 * other): counts added, the earliest first and the latest last time; open when either is,
 * else the existing record's review (dismissed, or merged) stands.
 */
export function combinedConflict(existing: IdentityConflictRecord, moved: IdentityConflictRecord): IdentityConflictRecord {
  const both: IdentityConflictRecord = { ...existing, count: existing.count + moved.count, firstAt: Math.min(existing.firstAt, moved.firstAt), lastAt: Math.max(existing.lastAt, moved.lastAt) };
  if (existing.status !== 'open' && moved.status !== 'open') return both;
  const { dismissedAt: _dismissedAt, mergedAt: _mergedAt, into: _into, ...open } = both;
  return { ...open, status: 'open' };
}

/**
 * Identity conflicts, durable in the store (its meta entries, on every backend), counted by
 * `kairos_identity_conflicts_total{kind}` (each one recorded, or whose recording failed; none
 * naming a customer being erased) and logged without the identifier.
 */
export class IdentityConflicts {
  /** customers being or recently erased, by id: when (monotonic ms), oldest first */
  private readonly erased = new Map<string, number>();
  /** customers recently merged away (`merged`, `adopt`), by id: their survivor and when (monotonic ms), oldest first */
  private readonly mergedAway = new Map<string, { into: string; at: number }>();
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
    // (a customer this node merged away in the last ERASED_FOR_MS: their survivor, whose the identifier is now; none between the two)
    const holder = this.current(c.holder);
    const claimant = this.current(c.claimant);
    if (holder === claimant) return Promise.resolve();
    if (this.forgets(holder) || this.forgets(claimant)) return Promise.resolve();
    return this.tracked(this.write({ ...c, holder, claimant }));
  }

  /**
   * `loser` was merged into `survivor` (customer-merge.ts; on a node with shards, sharded-identity.ts):
   * this store's conflicts naming the loser are brought up to date, once those being written are
   * in the store. One between the two is closed, `merged` (`mergedAt`, `into`: the survivor; its
   * holder, claimant and id as they were, for the record); one between the loser and a third
   * customer is re-pointed to the survivor, whose the loser's identifiers are: written under the
   * new pair's id, combined with a record of that pair already there (`combinedConflict`). None
   * is written naming a customer being erased (`forgetting`, or on a shared store their
   * tombstone). Resolves the keys of the records re-pointed, which the caller removes with the
   * loser's erasure (the store deletes meta entries no other way). Never rejects: a failure is
   * logged (the merge stands), and its record is left as it was. Conflicts recorded afterwards
   * naming the loser (an event resolved before the merge) name the survivor, for ERASED_FOR_MS.
   */
  merged(loser: string, survivor: string): Promise<string[]> {
    this.mergedAway.delete(loser);
    this.remember(this.mergedAway, loser, { into: survivor, at: this.monotonicNow() }, (m) => m.at);
    const earlier = [...this.writing];
    return this.tracked(
      (async () => {
        await Promise.allSettled(earlier);
        let naming: IdentityConflictRecord[];
        try {
          naming = await conflictsNaming(this.o.store, loser);
        } catch (err) {
          this.o.logger.error({ err, from: loser, into: survivor }, "the identity conflicts naming a merged customer were not updated; the merge stands");
          return [];
        }
        return (await this.repoint(naming, loser, survivor, true)).map((id) => CONFLICT_PREFIX + id);
      })(),
    );
  }

  /**
   * `merged` for conflicts another store keeps (a merge across shards: those the loser's shard
   * kept between the loser and another of its customers, which name customers of two shards
   * once re-pointed, so the node's store keeps them): each written here; resolves the ids of
   * those that other store may drop (written here, or naming a customer being erased). Never rejects.
   */
  adopt(records: readonly IdentityConflictRecord[], loser: string, survivor: string): Promise<string[]> {
    this.mergedAway.delete(loser);
    this.remember(this.mergedAway, loser, { into: survivor, at: this.monotonicNow() }, (m) => m.at);
    return this.tracked(this.repoint(records, loser, survivor, false));
  }

  /** The customer an id names here: itself, or the survivor of a merge this node made of it in the last ERASED_FOR_MS. */
  private current(id: string): string {
    let at = id;
    for (let hops = 0; hops < 16; hops++) {
      const m = this.mergedAway.get(at);
      if (m === undefined) return at;
      if (this.monotonicNow() - m.at >= ERASED_FOR_MS) {
        this.mergedAway.delete(at);
        return at;
      }
      at = m.into;
    }
    return at;
  }

  /** Keeps `value` for `id` in `map` (oldest first), forgetting those past ERASED_FOR_MS or ERASED_KEPT. */
  private remember<V>(map: Map<string, V>, id: string, value: V, at: (v: V) => number): void {
    const now = this.monotonicNow();
    map.set(id, value);
    for (const [old, v] of map) {
      if (map.size <= ERASED_KEPT && now - at(v) < ERASED_FOR_MS) break;
      map.delete(old);
    }
  }

  /**
   * The records naming `loser` re-pointed to `survivor` (see `merged`), written in this store;
   * `here`: they are this store's (a record closed keeps its key; one re-pointed is superseded).
   * Resolves the ids superseded: re-pointed (or closed, from another store), or naming a
   * customer being erased; a record whose write failed is not among them.
   */
  private async repoint(records: readonly IdentityConflictRecord[], loser: string, survivor: string, here: boolean): Promise<string[]> {
    const superseded: string[] = [];
    const now = this.o.clock.now();
    const to = (id: string): string => (id === loser ? survivor : id);
    let closed = 0;
    let moved = 0;
    for (const r of records) {
      if (r.holder !== loser && r.claimant !== loser) continue;
      const holder = to(r.holder);
      const claimant = to(r.claimant);
      try {
        if (holder === claimant) {
          // One person now: closed by the merge, kept as it was (the loser no longer exists; the survivor is `into`).
          if (this.forgets(survivor)) {
            if (!here) superseded.push(r.id);
            continue;
          }
          const after: IdentityConflictRecord = r.status === 'merged' ? { ...r, into: to(r.into ?? survivor) } : { ...r, status: 'merged', mergedAt: now, into: survivor };
          // (the loser's own erasure, the merge's, may have begun: on a shared store its tombstone would refuse a record naming it)
          if (await this.o.store.putMetaUnlessErased(CONFLICT_PREFIX + r.id, after, [survivor])) closed++;
          if (!here) superseded.push(r.id);
          continue;
        }
        if (this.forgets(holder) || this.forgets(claimant)) {
          superseded.push(r.id);
          continue;
        }
        const id = conflictId(r.identifierHash, holder, claimant);
        const repointed: IdentityConflictRecord = { ...r, id, holder, claimant, ...(r.into === undefined ? {} : { into: to(r.into) }) };
        const existing = (await this.o.store.getMeta(CONFLICT_PREFIX + id)) as IdentityConflictRecord | undefined;
        const record = existing === undefined ? repointed : combinedConflict(existing, repointed);
        // (refused: one of them carries an erasure's tombstone, which removes what names them)
        if (await this.o.store.putMetaUnlessErased(CONFLICT_PREFIX + id, record, [holder, claimant])) moved++;
        superseded.push(r.id);
      } catch (err) {
        this.o.logger.error({ err, conflict: r.id, from: loser, into: survivor }, 'an identity conflict naming a merged customer was not updated; the merge stands');
      }
    }
    if (closed + moved > 0) this.o.logger.info({ from: loser, into: survivor, closed, repointed: moved }, 'identity conflicts of a merged customer updated');
    return superseded;
  }

  /**
   * An erasure of the customer is under way: from now on (for ERASED_FOR_MS) no conflict naming
   * them is recorded, and those being written are in the store once this resolves, so that the
   * erasure, looking next, finds every conflict naming them. The ids are kept in memory only.
   */
  async forgetting(id: string): Promise<void> {
    this.erased.delete(id);
    this.remember(this.erased, id, this.monotonicNow(), (at) => at);
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
    // (dismissed already, or closed by a merge of its two customers: answered as it is)
    if (before.status !== 'open') return before;
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
