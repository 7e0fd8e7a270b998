import type { Consent, ContactIdentifierKind, Identifiers, LifecycleStage, OutboxEntry, Profile } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import type { Coordination } from './coordination.js';
import type { StopEntry, StopKind } from '../schema/http/admin-schemas.js';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';
import type { AuditDraft, AuditRecord } from '../audit/audit-chain.js';

/**
 * One store interface, several backends (LMDB embedded, memory for tests, Redis for several nodes),
 * all passing the contract suite in `store.contract.ts`; what only a store several nodes share
 * does is its `coordination` (`coordination.ts`, contract in `shared-store.contract.ts`).
 *
 * What it holds:
 * - customers: master data imported from the bank (profile, identifiers, lifecycle stage);
 * - snapshots: each customer actor's persisted state, versioned;
 * - identities: identifier -> customer id (card, phone, e-mail, cookie);
 * - outbox: what waits to be delivered, per channel;
 * - stop list entries, keyed by the hash of the identifier;
 * - meta: small named values (the demo-loaded marker).
 * - reminders: durable timers per customer, by due time (offer expiry, follow-ups).
 */

/** Master data for one customer, as the bank's import (or the demo loader) gives it. */
export interface CustomerRecord {
  stage: LifecycleStage;
  profile: Profile;
  identifiers: Partial<Identifiers>;
  /** the customer's marketing consents per channel, as the bank holds them */
  consents?: Record<string, Consent>;
  /** the bank's own columns beyond the canonical ones, typed (`kairos import`, docs/import.md) */
  attributes?: Record<string, string | number | boolean>;
  /** YYYY-MM-DD, from the bank's file */
  birthDate?: string;
  importedAt: number;
}

/**
 * A customer's master data as an import writes it; `unlink`: identifiers its record no longer
 * lists (the row replaced their kind's list), whose index links to this customer go (a link
 * to another customer stays).
 */
export interface ImportEntry {
  id: string;
  record: CustomerRecord;
  unlink?: Partial<Identifiers>;
}

/** A customer actor's persisted state: `v` is the snapshot schema version, for migrations. */
export interface StoredSnapshot {
  v: number;
  snapshot: unknown;
  /**
   * the snapshot's revision, from backends several nodes share (Redis): a commit that names
   * it as `expectRevision` is refused when another node wrote the snapshot since
   */
  rev?: number;
}

export interface IdentityLink {
  kind: ContactIdentifierKind;
  value: string;
  customer: string;
}

/** An outbox entry as stored: its type is the admin API's schema of it (src/schema/http/delivery-schemas.ts). */
export type { OutboxRecord };

/** The stop list's entries: their type is the admin API's schema of them (src/schema/http/admin-schemas.ts). */
export type { StopEntry, StopKind };

/**
 * A durable reminder: at `due`, the customer's actor gets the event `event` (with `data`),
 * whether it is live, passivated, or the server restarted meanwhile. `key` is unique
 * (`<customer>|<name>`): setting it again moves it.
 */
export interface ReminderRecord {
  key: string;
  customer: string;
  due: number;
  event: string;
  data?: Record<string, unknown>;
}

/** The key of a customer's reminder. */
export function reminderKey(customer: string, name: string): string {
  return `${customer}|${name}`;
}

/** What one write-behind flush commits, atomically. */
/** A customer's segment entries and exits since its last commit, written with its snapshot (`Store.listSegmentMembers`). */
export interface SegmentMoves {
  enter: readonly string[];
  exit: readonly string[];
}

export interface CommitBatch {
  /** `segments`: the index of segment members moved with the snapshot (not written when it is refused) */
  /**
   * `base`: the snapshot this store last committed for the customer (the writer's own copy of
   * it, unchanged since): a store that keeps change records (LMDB) may write what changed
   * since `base` instead of the whole `value` (docs/runtime.md#change-records). Without it,
   * or to a store that does not, the whole value is written.
   */
  snapshots: ReadonlyArray<{ id: string; value: StoredSnapshot; expectRevision?: number; segments?: SegmentMoves; base?: StoredSnapshot }>;
  identities: readonly IdentityLink[];
  outbox: readonly OutboxEntry[];
  /** small named values written in the same transaction (budget totals) */
  meta?: ReadonlyArray<{ key: string; value: unknown }>;
  /** resolve only when the batch is on disk (fsync), not just committed (the `strict` durability) */
  sync?: boolean;
  /** reminders to set (or move), and keys of reminders to drop (fired or cancelled) */
  reminders?: { set: readonly ReminderRecord[]; remove: readonly string[] };
  /**
   * A merge (src/runtime/customer-merge.ts): the `from` customer's outbox entries become
   * `to`'s where they stand (same channel and instance, seq, attempts; only `customer`
   * changes), and its reminders are set again as `to`'s (`<to>|<name>`, a reminder `to`
   * already has by that name stands), in the same transaction where the backend has one
   * (memory, LMDB); Redis moves them just after the rest of the batch.
   */
  rehome?: { from: string; to: string };
}

/** A customer's queued outbox entries and reminders (`Store.customerQueues`). */
export interface CustomerQueues {
  outbox: OutboxRecord[];
  reminders: ReminderRecord[];
}

/** A reminder of `from` as `to`'s (`rehome`): the same name, due time, event and data. */
export function rehomedReminder(r: ReminderRecord, from: string, to: string): ReminderRecord {
  return { ...r, key: reminderKey(to, r.key.slice(from.length + 1)), customer: to };
}

/** A contact's share of a total kept across customers and nodes: `budget/<campaign>`, `capacity/<channel>/<day>`. */
export interface SharedCharge {
  customer: string;
  key: string;
  contacts: number;
  cost: number;
  /** the most contacts the total may reach */
  maxContacts?: number;
  /** no more once the cost has reached this */
  maxCost?: number;
}

export interface Store {
  readonly kind: string;

  getSnapshot(id: string): Promise<StoredSnapshot | undefined>;
  getCustomer(id: string): Promise<CustomerRecord | undefined>;
  /** whether the store knows this customer id (a snapshot or master data) */
  hasCustomer(id: string): Promise<boolean>;
  /**
   * Optional: brings what the store holds for a customer who is not live (snapshot, master
   * data) into memory without blocking the event loop, before `hasCustomer` and the
   * activation read it. Resolves true when it waited for anything (false: nothing to do).
   */
  prefetchCustomer?(id: string): Promise<boolean>;
  /** Optional: `prefetchCustomer` for many customers at once (an outbound run's page), a few dozen a read of each table. */
  prefetchCustomers?(ids: readonly string[]): Promise<void>;
  lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined>;
  /**
   * Optional (memory, LMDB): a customer's queued outbox entries (dead letters too) and
   * reminders, opened: what a merge across shards carries to the survivor's store
   * (src/runtime/customer-merge.ts `mergeOut`). Reads the whole outbox, as a merge's `rehome` does.
   */
  customerQueues?(id: string): Promise<CustomerQueues>;
  /**
   * Optional: every identity link the store holds, in no set order (for the stop list's
   * one-time re-keying at start, `StopList.migrate`). A backend without it leaves old stop
   * entries matched by their old keys.
   */
  scanIdentities?(): Iterable<IdentityLink> | AsyncIterable<IdentityLink>;
  /**
   * Optional (a store that keeps change records: LMDB): up to `limit` customers whose snapshot
   * should be written whole soon, oldest first (their oldest record has fallen far behind the
   * log's end). The host adds those it holds live and unchanged to its next commit, written
   * whole from memory; the store folds the others in itself, a few a commit, reading them.
   */
  laggingCustomers?(limit: number): readonly string[];

  /** Writes snapshots, identity links and outbox entries in one transaction; returns the stored outbox records. */
  commit(batch: CommitBatch): Promise<OutboxRecord[]>;

  /**
   * Erases a customer: the snapshot, the master data, these identity links (only where they
   * still point to this customer), the customer's outbox entries and reminders, in one transaction.
   * The stop list is not touched: it keeps hashes, not people. False when nothing was held.
   * With `audit`, its entry is appended in the same transaction, whether the store held
   * anything or not (the erasure also dropped the live actor; docs/audit.md). `meta`: meta
   * entries that name the customer (identity conflicts, merge forwards), removed with the rest
   * (`ErasureMeta`: their keys, or a function that finds them).
   */
  eraseCustomer(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>, audit?: AuditDraft, meta?: ErasureMeta): Promise<boolean>;

  /**
   * Imports master data and indexes its identifiers, in one transaction; with `marker`, that
   * meta value is written in the same transaction (an import's resume point, src/import/;
   * on Redis right after, as Redis has no transaction across these keys).
   */
  importCustomers(records: ReadonlyArray<ImportEntry>, marker?: { key: string; value: unknown }): Promise<void>;
  /** how many customers' master data are imported */
  countImported(): Promise<number>;

  /**
   * A segment's members (customer ids only), in id order, at most `limit`, after the id
   * `after` (a page's cursor: the last id of the page before); work proportional to `limit`.
   * Kept from the `segments` moves of committed snapshots; an erasure takes the customer out.
   */
  listSegmentMembers(segment: string, limit: number, after?: string): Promise<string[]>;
  /**
   * The member index rebuilt (`recountSegments`, src/runtime/segment-ledger.ts): with `reset`,
   * every segment's members are dropped first; then each customer named is a member of exactly
   * the segments given (those it was in and is not given are left).
   */
  setSegmentMembers(entries: ReadonlyArray<{ id: string; segments: readonly string[] }>, reset?: boolean): Promise<void>;

  /**
   * One page of every customer the store holds (a snapshot, master data, or both), each once
   * with what is held of it: `cursor` is the page before's `next` (undefined: the first page),
   * `next` is undefined after the last page. About `limit` customers a page (Redis's SCAN may
   * give fewer or more). For a scan over the whole base (a draft segment's count). With
   * `records: false` master data is not read: customers without a snapshot may be left out,
   * and `record` may be absent (the segment recount reads snapshots only); with `'missing'`,
   * a customer's `record` may be absent when it has a snapshot (what a draft count reads).
   */
  scanCustomers(cursor: string | undefined, limit: number, opts?: { records?: boolean | 'missing' }): Promise<CustomerPage>;

  /** Reminders due at or before `until`, earliest first, at most `limit`. */
  dueReminders(until: number, limit: number): Promise<ReminderRecord[]>;

  /**
   * A channel's entries oldest first (by `seq`), at most `limit`; with `afterSeq`, only those
   * queued after the entry with that `seq` (a page's cursor: the last `seq` of the page
   * before). The work is proportional to `limit`, not to the length of the queue.
   */
  listOutbox(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]>;
  /** One entry by its key, without reading the channel's queue; undefined when there is none. */
  getOutbox(channel: string, instance: string): Promise<OutboxRecord | undefined>;
  /** Removes a delivered entry; false when there was none. */
  removeOutbox(channel: string, instance: string): Promise<boolean>;
  /** Counts a failed attempt, with when to retry or that it is dead; false when there was no such entry. */
  failOutbox(channel: string, instance: string, reason: string, next?: { retryAt?: number; dead?: boolean }): Promise<boolean>;
  /**
   * A dead letter back into the queue, due now; false when there was no such entry. With
   * `audit`, its entry is appended in the same transaction, only when there was one.
   */
  retryOutbox(channel: string, instance: string, audit?: AuditDraft): Promise<boolean>;

  /**
   * What several nodes sharing the store need (claims, revisions, shared totals), or, on a
   * single-node store, `singleNode(this)`: the same claims as plain reads, and nothing shared.
   * Chosen once, when the store is made.
   */
  readonly coordination: Coordination;

  listStops(): Promise<StopEntry[]>;
  putStop(entry: StopEntry): Promise<void>;
  /** Removes every entry with this key, channel and campaign; false when there was none. */
  deleteStop(key: string, channel: string | undefined, campaign: string | undefined): Promise<boolean>;

  getMeta(key: string): Promise<unknown>;
  putMeta(key: string, value: unknown): Promise<void>;
  /**
   * `putMeta` of an entry that names customers (an identity conflict), unless one of them is
   * erased; false when refused (nothing written). On a shared store (Redis) the erasure's
   * tombstone refuses it in the same atomic step as the write (on a Cluster, where they are in
   * different slots, checked before the write and again after it, the entry then taken back),
   * so no node writes one after an erasure looked for the entries naming its customer
   * (`ErasureMeta`). A single-node store (memory, LMDB) has no tombstone and writes it: there
   * the node itself refuses such a write from the erasure's start (IdentityConflicts.forgetting).
   */
  putMetaUnlessErased(key: string, value: unknown, customers: readonly string[]): Promise<boolean>;
  /** Meta entries whose key starts with `prefix`, in key order (newest last), at most `limit` from the end. */
  listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>>;
  /** Removes these meta entries (a key with none is nothing to remove). */
  deleteMeta(keys: readonly string[]): Promise<void>;

  /**
   * Appends an entry to the audit trail (`src/audit/audit-chain.ts`: seq, prev, hash from the
   * trail's head) and applies `change` in the same transaction: both or neither. A change that
   * finds nothing to do (`deleteStop` of no entry) writes nothing and resolves undefined.
   * Appends are serialised across nodes (one chain). Kept apart from the other writes.
   */
  appendAudit(draft: AuditDraft, change?: AuditChange): Promise<AuditRecord | undefined>;
  /**
   * Told of each entry this store appends to the trail once it is written (`appendAudit`, and
   * the entries `eraseCustomer` and `retryOutbox` write with their change): the server logs
   * each one there (`auditLogLine`, src/audit/audit.ts), so that no audited change goes
   * unlogged. Set once, after opening; what it throws is not the change's failure.
   */
  onAudit?: ((entry: AuditRecord) => void) | undefined;
  /** Audit entries after `afterSeq`, in seq order, at most `limit`. */
  listAudit(afterSeq: number, limit: number): Promise<AuditRecord[]>;

  close(): Promise<void>;
}

/** A page of `Store.scanCustomers`. */
export interface CustomerPage {
  customers: Array<{ id: string; snapshot?: StoredSnapshot; record?: CustomerRecord }>;
  next?: string;
}

/** Tells the store's `onAudit` of an entry it wrote (none: nothing); a listener's throw is not the change's. */
export function tellAudited(store: Pick<Store, 'onAudit'>, entry: AuditRecord | undefined): void {
  if (entry === undefined || store.onAudit === undefined) return;
  try {
    store.onAudit(entry);
  } catch {
    // (the entry is written: a listener that fails takes nothing back)
  }
}

/** What an audited change writes with its audit entry (`Store.appendAudit`). */
export interface AuditChange {
  putStop?: StopEntry;
  deleteStop?: { key: string; channel?: string | undefined; campaign?: string | undefined };
  meta?: ReadonlyArray<{ key: string; value: unknown }>;
  /**
   * customers the `meta` names: when one of them is erased, nothing is written and the append
   * resolves undefined, as `putMetaUnlessErased` refuses (a single-node store writes it)
   */
  unlessErased?: readonly string[];
}

/**
 * The meta entries an erasure removes with the customer (`Store.eraseCustomer`): their keys, or
 * a function that finds them. A shared store (Redis) calls it once the customer's tombstone is
 * written, so that an entry another node writes naming them (`putMetaUnlessErased`) either
 * landed before and is found, or comes after and is refused; a single-node store calls it
 * before its erasure's transaction.
 */
export type ErasureMeta = readonly string[] | (() => Promise<readonly string[]>);

/** The keys of `ErasureMeta`, found now when it is a function. */
export async function erasureMetaKeys(meta: ErasureMeta | undefined): Promise<readonly string[] | undefined> {
  return typeof meta === 'function' ? meta() : meta;
}

export type { AuditDraft, AuditRecord };

export function identityKey(kind: ContactIdentifierKind, value: string): string {
  return `${kind}:${value}`;
}

/** An identity key read back (`identityKey`'s inverse); undefined for a key of another form. */
export function parseIdentityKey(key: string): { kind: ContactIdentifierKind; value: string } | undefined {
  const at = key.indexOf(':');
  if (at < 0) return undefined;
  const kind = key.slice(0, at);
  if (kind !== 'card' && kind !== 'phone' && kind !== 'email' && kind !== 'cookie') return undefined;
  return { kind, value: key.slice(at + 1) };
}

/** The key a stop entry is stored under: one per identifier and scope. */
export function stopStorageKey(key: string, channel: string | undefined, campaign: string | undefined): string {
  return `${key}|${channel ?? '*'}|${campaign ?? '*'}`;
}

/** An outbox record after a failed attempt. */
export function failed(r: OutboxRecord, reason: string, next: { retryAt?: number; dead?: boolean }): OutboxRecord {
  const out: OutboxRecord = { ...r, attempts: r.attempts + 1, lastError: reason };
  delete out.nextAttemptAt;
  if (next.retryAt !== undefined) out.nextAttemptAt = next.retryAt;
  if (next.dead === true) out.dead = true;
  return out;
}

/** A dead letter (or a record waiting for its retry) due again now. */
export function retried(r: OutboxRecord): OutboxRecord {
  const out: OutboxRecord = { ...r };
  delete out.dead;
  delete out.nextAttemptAt;
  return out;
}

/**
 * Thrown by a shared backend's commit when a snapshot's revision is not the one the caller
 * read: another node wrote it since (the catalog's `conflict`), or erased the customer
 * (`erased`: their tombstone, docs/privacy.md#redis). Nothing of those customers was written;
 * everything else of the batch was (`committed`: its outbox records).
 */
export class StaleSnapshotError extends KairosError {
  constructor(
    readonly stale: ReadonlyArray<{ customer: string; revision: number; erased?: true }>,
    readonly committed: readonly OutboxRecord[],
  ) {
    super('conflict', `${stale.map((s) => (s.erased === true ? `"${s.customer}" was erased` : `snapshot of "${s.customer}" is at revision ${s.revision}`)).join('; ')}: another node wrote it`);
  }

  get customer(): string {
    return this.stale[0]?.customer ?? '';
  }

  get revision(): number {
    return this.stale[0]?.revision ?? 0;
  }
}
