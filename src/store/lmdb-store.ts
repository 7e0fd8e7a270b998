import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, RootDatabase, RootDatabaseOptionsWithPath, Transaction } from 'lmdb';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { AuditDraft, AuditRecord } from '../audit/audit-chain.js';
import { sealAudit } from '../audit/audit-chain.js';
import { KairosError } from '../errors.js';
import type { AuditChange, CommitBatch, CustomerPage, CustomerQueues, CustomerRecord, ErasureMeta, IdentityLink, ImportEntry, OutboxRecord, ReminderRecord, StopEntry, Store, StoredSnapshot } from './store.js';
import { decodeSnapshot, decodeSnapshotWithout, encodeSnapshot } from './snapshot-codec.js';
import type { Delta } from './snapshot-delta.js';
import { applyDelta, DeltaScratch, isEmptyDelta, snapshotDelta } from './snapshot-delta.js';
import type { LogKey, LogWrites } from './lmdb-change-log.js';
import { LmdbChangeLog, RECORD, readLogIndex } from './lmdb-change-log.js';
import type { SingleNodeCoordination } from './coordination.js';
import { singleNode } from './coordination.js';
import type { DataDirLock } from './data-dir-lock.js';
import { lockDataDir } from './data-dir-lock.js';
import { keepPrivate, mkdirPrivate } from './private-files.js';
import type { SealedRecord } from './keyring.js';
import { Keyring, SEALED, hashedIdentityKey, seal, unseal } from './keyring.js';
import { erasureMetaKeys, failed, identityKey, parseIdentityKey, rehomedReminder, reminderKey, retried, stopStorageKey, tellAudited } from './store.js';

export interface LmdbStoreOptions {
  /**
   * Flush every commit to disk before it resolves (the `strict` durability; without it, a
   * commit that asks, `CommitBatch.sync`): an `mdb_env_sync` on a libuv thread after the
   * transaction, the commits meanwhile covered by the same flush. Either way a commit
   * runs on this thread and is left to the operating system (a crash of the process loses
   * nothing committed; a power cut may lose what the OS had not yet written), and the store
   * syncs in the background every `syncIntervalMs`. A commit then costs a write, not a wait
   * for the disk. (Before change records, `strict` committed on lmdb-js's writer thread: a
   * callback that throws there still commits the writes it made before the throw, which a
   * change record cannot survive.)
   */
  syncEachCommit?: boolean;
  /** how often committed pages are flushed to disk (default 1000 ms; 0: never, the OS decides) */
  syncIntervalMs?: number;
  /**
   * without `syncEachCommit`: commit through a writable memory map (MDB_WRITEMAP; default
   * false). A commit then writes its pages straight into the map instead of copies written
   * with `pwrite`: about a third of the cost of a commit while the store is in the page
   * cache. Off by default: on a store larger than the page cache each first write to a page
   * reads it from disk first (a 10M-customer store stalled for over a second), a full disk
   * stops the process (SIGBUS) instead of failing the commit, and the map is open to a stray
   * native write. Every process opening one store must agree on it.
   */
  writeMap?: boolean;
  /**
   * Before a customer who is not live is read (is there such a customer, their snapshot or
   * imported record, an identifier's owner), fault the pages in on a libuv worker thread
   * (lmdb-js `prefetch`) instead of on the event loop (default true). On a store the page
   * cache does not hold (after a restart, a store larger than memory) each lookup can wait
   * for the disk; with this the wait no longer stops every other customer's events. While
   * the store is cached it adds a worker-thread round trip to each activation and to each
   * identifier lookup (which runs even for a live customer: the host keeps no identifier
   * index of its own), ~20 µs of main-thread time an event in `host-bench`.
   */
  prefetch?: boolean;
  /**
   * Change records (docs/runtime.md#change-records): a customer's full snapshot is written
   * once in this many commits of theirs (and whenever the writer has no base to compare with);
   * the others append what changed to the log. 1: every commit writes the full snapshot (no
   * records). Default 16.
   */
  recordsPerSnapshot?: number;
  /**
   * How far behind the log's end (in records) a customer's oldest record may fall before
   * their snapshot is written whole: with their next commit, or by the store folding it in
   * (customers who went quiet, a few with each commit). Bounds the log, and so the time to
   * read it at start. Default 200,000.
   */
  logRecordsBehind?: number;
  /** where the store reports a problem it works around (the server's logger; default: a process warning) */
  warn?: (message: string, err: unknown) => void;
}

/**
 * Customers whose records the store folds into their snapshot with one commit, at most
 * (`logRecordsBehind`): each is a read, records applied, a write (~100 µs); the host writes
 * those it holds live from memory instead (`laggingCustomers`).
 */
const FOLDS_PER_COMMIT = 8;

/**
 * The address space LMDB maps for the store: 32 GiB, or twice the file when it is larger.
 * lmdb-js otherwise starts at 128 KB and maps anew each time the file outgrows the map,
 * keeping every earlier mapping: a store that grows while the server runs (a compacted one,
 * from its first commit) then has its pages mapped twice, counted twice in RSS and held
 * longer by the kernel. Address space only: without the write map the file keeps its size;
 * with it the file is sparse up to the map (`du` shows what it holds).
 */
export function lmdbMapSize(dir: string): number {
  return Math.max(32 * 2 ** 30, 2 * lmdbFileBytes(dir));
}

/**
 * What the store's file holds on disk: its size, or the blocks allocated when that is less
 * (with the write map the file is sparse, as long as the map). 0 without a store.
 */
export function lmdbFileBytes(dir: string): number {
  try {
    const st = statSync(join(dir, 'data.mdb'));
    return Math.min(st.size, st.blocks * 512);
  } catch {
    return 0;
  }
}

/**
 * Identifiers whose index key is kept, per kind: an import looks each one up, then writes it
 * with its batch, a batch or two later (10,000 rows of the import's 5,000-row batches).
 */
const IDENTITY_KEYS_KEPT = 50_000;

/**
 * A customer for `LmdbStore.importCustomers`: a record, or one sealed already as a new
 * customer (`SealedRow`: its identifiers beside it); with its identifiers' index keys where the
 * caller has them.
 */
export type LmdbImportEntry = (ImportEntry | { id: string; sealed: SealedRecord; identifiers: CustomerRecord['identifiers'] }) & { indexKeys?: Partial<Record<ContactIdentifierKind, readonly string[]>> };

/** Customer records and outbox records before they are sealed: plain MessagePack (`seal-new-record.ts` packs as this does). */
const recordPackr = new Packr({ useRecords: false });

/**
 * A snapshot with the customer's change records applied in order (`read` gives each one's
 * bytes, opened; undefined when it is missing). With `without`, the operations on context
 * fields the snapshot was decoded without are skipped (`decodeSnapshotWithout`). Throws
 * `internal`, naming the customer, when a record is missing or does not fit.
 */
function foldRecords(id: string, stored: StoredSnapshot, records: readonly number[], read: (seq: number) => Uint8Array | undefined, without?: ReadonlySet<string>): StoredSnapshot {
  const skip = without === undefined ? undefined : (path: readonly string[]): boolean => path[0] === 'snapshot' && path[1] === 'context' && path[2] !== undefined && without.has(path[2]);
  for (const seq of records) {
    const bytes = read(seq);
    if (bytes === undefined) throw new KairosError('internal', `customer "${id}": change record ${seq} is missing`);
    const delta = recordPackr.unpack(bytes) as Delta;
    try {
      applyDelta(stored, delta, skip);
    } catch (err) {
      throw new KairosError('internal', `customer "${id}": change record ${seq} does not fit the snapshot: ${(err as Error).message}`, { cause: err });
    }
  }
  return stored;
}

/** An outbox record as stored since sealing: what routes it in clear, the record sealed (`s`). */
interface StoredOutbox {
  channel: string;
  instance: string;
  customer: string;
  seq: number;
  s: Buffer;
}

/** The meta prefix of the erasure journal: `erasing/<slot>` while the erasure of the customer whose key is in that slot is under way. */
const ERASING = 'erasing/';

function erasingKey(slot: number): string {
  return `${ERASING}${slot}`;
}

/** An erasure under way (meta `erasing/<slot>`): whose, and the audit entry its transaction writes. */
interface Erasing {
  id: string;
  audit?: AuditDraft;
  /** meta entries naming the customer, removed with the rest */
  meta?: readonly string[];
}

/** A key slot drawn for a new customer inside a write transaction (`LmdbStore.drawing`). */
interface Drawn {
  id: string;
  slot: number;
}

/** Customers whose records one prefetch call of `prefetchCustomers` reads, in each table. */
const PREFETCH_CHUNK = 32;

/**
 * The embedded store: one LMDB environment in the data dir with a named database per kind
 * of record. Reads are synchronous memory-mapped lookups; every commit is one ACID write
 * transaction, committed when its promise resolves (and on disk, with `syncEachCommit`).
 */
export class LmdbStore implements Store {
  readonly kind = 'lmdb';
  /** only this node writes it: claims are plain reads */
  readonly coordination: SingleNodeCoordination = singleNode(this);
  onAudit: ((entry: AuditRecord) => void) | undefined;
  private readonly root: RootDatabase;
  private readonly prefetch: boolean;
  /** customers whose pages `prefetchCustomer` or `prefetchCustomers` has just faulted in, for the activation that follows (cleared past 10,000) */
  private readonly warmed = new Set<string>();
  /** snapshots as plain MessagePack (`snapshot-codec.ts`) */
  private readonly snapshots: Database<Buffer, string>;
  /** snapshots written before the plain encoding (lmdb-js's own); read until rewritten */
  private readonly legacySnapshots: Database<StoredSnapshot, string>;
  private readonly hasLegacy: boolean;
  /** imported customer records, MessagePack with shared structures (field names stored once) */
  private readonly customers: Database<CustomerRecord, string>;
  /** customer records written before shared structures; read until re-imported or erased */
  private readonly legacyCustomers: Database<CustomerRecord, string>;
  private readonly hasLegacyCustomers: boolean;
  private readonly identities: Database<string, string>;
  private readonly outbox: Database<StoredOutbox | OutboxRecord, [string, string]>;
  /** [channel, seq] -> instance: each channel's queue in order, for paged listing */
  private readonly outboxOrder: Database<string, [string, number]>;
  private readonly stops: Database<StopEntry, string>;
  private readonly meta: Database<unknown, string>;
  private readonly reminders: Database<ReminderRecord, string>;
  /** [due, key]: the reminders in due order */
  private readonly remindersDue: Database<string, [number, string]>;
  /** seq -> entry: the audit trail, append-only */
  private readonly audit: Database<AuditRecord, number>;
  /** ['m', segment, customer]: a segment's members in id order; ['c', customer, segment]: a customer's segments (for the erasure) */
  private readonly members: Database<string, [string, string, string]>;
  private seq = 0;
  /** `[seq, customer, kind]` -> a sealed change record, or the mark of a full snapshot (`lmdb-change-log.ts`) */
  private readonly changes: Database<Buffer, LogKey>;
  private readonly log: LmdbChangeLog;
  /** customers whose last commit went in but whose flush failed: their next write is whole (`commit`) */
  private readonly writeWhole = new Set<string>();
  /** customers whose records could not be folded (`foldIn`), not tried again by this process */
  private readonly unfoldable = new Set<string>();
  private readonly warn: (message: string, err: unknown) => void;
  /** where each change record is diffed before it is encoded (`snapshotDelta`'s `scratch`: reused, not regrown) */
  private readonly deltaScratch = new DeltaScratch();
  private readonly recordsPerSnapshot: number;
  private readonly logRecordsBehind: number;
  private readonly syncEachCommit: boolean;
  private syncTimer: NodeJS.Timeout | undefined;
  /** this process's exclusive hold on the data dir (`data-dir-lock.ts`), from open to close */
  private readonly lock: DataDirLock;
  /** per-customer keys (`keyring.ts`): what names a person is sealed under its customer's key */
  private readonly keyring: Keyring;
  /** customer id -> their key's slot in the keyring */
  private readonly keySlots: Database<number, string>;
  /** customer id -> key slot, for the customers sealed lately (`keyOf`) */
  private readonly slotOf = new Map<string, number>();
  /** the key slots drawn by the write transaction running now (`drawing`): given back if it does not commit */
  private drawnIn: Drawn[] | undefined;
  /** identifier -> its index key, for the identifiers met lately (`identityKeyOf`); forgotten at erasure */
  private readonly identityKeys = new Map<ContactIdentifierKind, Map<string, string>>();
  /** imported customer records, sealed (plain MessagePack, then AES-256-GCM) */
  private readonly sealedCustomers: Database<Buffer, string>;
  private readonly hasPlainCustomers: boolean;
  /** identity keys written before they were hashed (`phone:+7…`): read, and removed with their customer */
  private readonly hasClearIdentities: boolean;

  /** Opens the store in `dir`; throws `conflict`, naming the pid, while another process (or store) has it open. */
  constructor(
    private readonly dir: string,
    opts: LmdbStoreOptions = {},
  ) {
    mkdirPrivate(dir);
    this.lock = lockDataDir(dir);
    // No read-ahead: customers are read at random from a store that can be many times the
    // size of memory; with the kernel's read-around each lookup would map ~100 KB of pages
    // (10M customers: 30,000 activations took RSS to 2.8 GB; without, see docs/operations.md).
    // (`noReadAhead` is an lmdb-js option its typings do not list: MDB_NORDAHEAD.)
    // Without a flush per commit: MDB_NOSYNC (LMDB keeps its integrity; the OS writes the
    // pages), optionally through the write map (`writeMap`: ~36 µs a commit of 4 puts here
    // against ~120 µs with pwrite, while the store is cached). A process that dies mid-commit
    // leaves only unreferenced pages either way: LMDB's copy-on-write pages and its meta
    // page work the same.
    this.syncEachCommit = opts.syncEachCommit === true;
    this.prefetch = opts.prefetch !== false;
    const options: RootDatabaseOptionsWithPath & { noReadAhead: boolean } = {
      path: dir,
      maxDbs: 32,
      mapSize: lmdbMapSize(dir),
      noReadAhead: true,
      noSync: true,
      useWritemap: !this.syncEachCommit && opts.writeMap === true,
    };
    try {
      this.root = open(options);
      // (lmdb-js takes no mode: its files come with the umask's, 0644 commonly; the customers' data is the owner's alone)
      keepPrivate([join(dir, 'data.mdb'), join(dir, 'lock.mdb')]);
    } catch (err) {
      this.lock.release();
      throw err;
    }
    const syncMs = opts.syncIntervalMs ?? 1000;
    if (syncMs > 0) {
      this.syncTimer = setInterval(() => void this.syncNow().catch(() => undefined), syncMs);
      this.syncTimer.unref();
    }
    this.snapshots = this.root.openDB<Buffer, string>({ name: 'snapshots-mp', encoding: 'binary' });
    this.legacySnapshots = this.root.openDB<StoredSnapshot, string>({ name: 'snapshots' });
    this.hasLegacy = this.legacySnapshots.getCount() > 0;
    // Imported records are most of a large store (10M customers): with their field names in
    // one shared structure list instead of in every record they take half the bytes (~240
    // against ~510 for a demo customer). A new table, since the old records' small integers
    // would read as structure references.
    this.customers = this.root.openDB<CustomerRecord, string>({ name: 'customers-rec', sharedStructuresKey: Symbol.for('structures') });
    this.legacyCustomers = this.root.openDB<CustomerRecord, string>({ name: 'customers' });
    this.hasLegacyCustomers = this.legacyCustomers.getCount() > 0;
    this.sealedCustomers = this.root.openDB<Buffer, string>({ name: 'customers-sealed', encoding: 'binary' });
    this.hasPlainCustomers = this.hasLegacyCustomers || this.customers.getCount() > 0;
    this.keySlots = this.root.openDB<number, string>({ name: 'key-slots' });
    this.keyring = new Keyring(dir);
    this.identities = this.root.openDB<string, string>({ name: 'identities', encoding: 'string' });
    this.hasClearIdentities = [...this.identities.getKeys({ end: 'h:', limit: 1 }), ...this.identities.getKeys({ start: 'h;', limit: 1 })].length > 0;
    this.outbox = this.root.openDB<StoredOutbox | OutboxRecord, [string, string]>({ name: 'outbox' });
    this.outboxOrder = this.root.openDB<string, [string, number]>({ name: 'outbox-order', encoding: 'string' });
    this.stops = this.root.openDB<StopEntry, string>({ name: 'stops' });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta' });
    this.reminders = this.root.openDB<ReminderRecord, string>({ name: 'reminders' });
    this.remindersDue = this.root.openDB<string, [number, string]>({ name: 'reminders-due', encoding: 'string' });
    this.audit = this.root.openDB<AuditRecord, number>({ name: 'audit' });
    this.members = this.root.openDB<string, [string, string, string]>({ name: 'segment-members', encoding: 'string' });
    this.changes = this.root.openDB<Buffer, LogKey>({ name: 'changes', encoding: 'binary' });
    this.log = new LmdbChangeLog(this.changes);
    this.warn = opts.warn ?? ((message, err) => process.emitWarning(`${message}: ${err instanceof Error ? err.message : String(err)}`));
    this.recordsPerSnapshot = Math.max(1, Math.floor(opts.recordsPerSnapshot ?? 16));
    this.logRecordsBehind = Math.max(0, Math.floor(opts.logRecordsBehind ?? 200_000));
    for (const { value } of this.outbox.getRange()) this.seq = Math.max(this.seq, value.seq);
    this.finishJournaledErasures();
    // A store written before the order index (or one it disagrees with): built again, once.
    if (this.outboxOrder.getCount() !== this.outbox.getCount()) {
      this.root.transactionSync(() => {
        this.outboxOrder.clearSync();
        for (const { value } of this.outbox.getRange()) void this.outboxOrder.put([value.channel, value.seq], value.instance);
      });
    }
  }

  /** The customer's key; with `create`, a new one when they have none (inside a write transaction). */
  private keyOf(id: string, create: boolean, deferred = false): Buffer | undefined {
    const slot = this.slotOf.get(id) ?? this.keySlots.get(id);
    const key = slot === undefined ? undefined : this.keyring.key(slot);
    if (key !== undefined) {
      this.remember(id, slot!);
      return key;
    }
    if (!create) return undefined;
    // none yet, or destroyed by an erasure under way: a new one
    const fresh = this.keyring.allocate(deferred);
    this.drawnIn?.push({ id, slot: fresh });
    void this.keySlots.put(id, fresh);
    this.remember(id, fresh);
    return this.keyring.key(fresh);
  }

  /**
   * `write`, a write transaction's body, noting in `drawn` the key slots it draws for new
   * customers. Their `key-slots` rows are written by the same transaction: if it does not
   * commit, `undraw` must forget them (else a later commit would seal the customer under a slot
   * no row names: unreadable after a restart, and out of an erasure's reach).
   */
  private drawing<T>(drawn: Drawn[], write: () => T): () => T {
    return () => {
      const outer = this.drawnIn;
      this.drawnIn = drawn;
      try {
        return write();
      } finally {
        this.drawnIn = outer;
      }
    };
  }

  /** The key slots a transaction that did not commit drew (`drawing`): out of the cache, their keys overwritten, the slots free again. */
  private undraw(drawn: readonly Drawn[]): void {
    if (drawn.length === 0) return;
    for (const { id, slot } of drawn) if (this.slotOf.get(id) === slot) this.slotOf.delete(id);
    this.keyring.discard(drawn.map((d) => d.slot));
  }

  /** A write transaction on this thread whose drawn key slots are given back if it throws (`drawing`). */
  private transactSync<T>(write: () => T): T {
    const drawn: Drawn[] = [];
    try {
      return this.root.transactionSync(this.drawing(drawn, write));
    } catch (err) {
      this.undraw(drawn);
      throw err;
    }
  }

  /**
   * `transactSync` on lmdb-js's asynchronous transaction, which does not abort on a throw in its
   * body: the writes made before the throw commit, the `key-slots` rows of the slots drawn among
   * them. Those slots are then kept (their keys flushed); they are given back only when the
   * transaction fails whole (its commit).
   */
  private async transact<T>(write: () => T): Promise<T> {
    const drawn: Drawn[] = [];
    let threw = false;
    const body = (): T => {
      try {
        return write();
      } catch (err) {
        threw = true;
        throw err;
      }
    };
    try {
      return await this.root.transaction(this.drawing(drawn, body));
    } catch (err) {
      if (threw) this.keyring.sync();
      else this.undraw(drawn);
      throw err;
    }
  }

  /** Keeps a customer's key slot at hand (each commit of a live customer seals with it); bounded, forgotten at erasure. */
  private remember(id: string, slot: number): void {
    if (this.slotOf.get(id) === slot) return;
    if (this.slotOf.size >= 100_000) this.slotOf.clear();
    this.slotOf.set(id, slot);
  }

  /** Inside a write transaction: `bytes` sealed under the customer's key (made if need be; flushed by `sync` before the commit). */
  private seal(id: string, bytes: Uint8Array, deferred = false): Buffer {
    const key = this.keyOf(id, true, deferred);
    if (key === undefined) throw new Error(`no key for customer ${id}`);
    return seal(key, id, bytes);
  }

  /** A stored value read back: opened when sealed (undefined once its key is destroyed), as it is otherwise. */
  private open(id: string, bytes: Uint8Array, key = this.keyOf(id, false)): Uint8Array | undefined {
    if (bytes[0] !== SEALED) return bytes;
    return key === undefined ? undefined : unseal(key, id, bytes);
  }

  /**
   * A customer's value from a binary table, opened. A copy (`getBinary`): lmdb-js's fast read
   * returns a buffer that does not survive reading the customer's key.
   */
  private readSealed<K extends string | LogKey>(db: Database<Buffer, K>, id: string, at: K): Uint8Array | undefined {
    const key = this.keyOf(id, false);
    const bytes = db.getBinary(at);
    return bytes === undefined ? undefined : this.open(id, bytes, key);
  }

  /**
   * An identifier's index key (an HMAC), kept for the identifiers met lately: an import looks each
   * one up, then writes it, and an HMAC costs more than the lookup. Bounded.
   */
  private identityKeyOf(kind: ContactIdentifierKind, value: string): string {
    let byValue = this.identityKeys.get(kind);
    if (byValue === undefined) this.identityKeys.set(kind, (byValue = new Map<string, string>()));
    let key = byValue.get(value);
    if (key === undefined) {
      key = hashedIdentityKey(this.keyring.indexSecret, kind, value);
      if (byValue.size >= IDENTITY_KEYS_KEPT) byValue.clear();
      byValue.set(value, key);
    }
    return key;
  }

  /**
   * For the direct import's worker thread (src/import/prepared-rows.ts): the secret of the
   * identity index keys, so the worker computes them (`hashedIdentityKey`) off the main thread;
   * the rows bring them to `ownerOfIdentity` and `importCustomers` (`indexKeys`).
   */
  identityIndexSecret(): Buffer {
    return this.keyring.indexSecret;
  }

  /** An identifier's owner by its index key computed elsewhere (`identityIndexSecret`): `lookupIdentity` without the HMAC. */
  ownerOfIdentity(kind: ContactIdentifierKind, value: string, indexKey: string): string | undefined {
    return this.identities.get(indexKey) ?? (this.hasClearIdentities ? this.identities.get(identityKey(kind, value)) : undefined);
  }

  /** An outbox record as stored: what routes it in clear, the rest (texts, recipients) sealed. */
  private sealOutbox(r: OutboxRecord): StoredOutbox {
    return { channel: r.channel, instance: r.instance, customer: r.customer, seq: r.seq, s: this.seal(r.customer, recordPackr.pack(r)) };
  }

  private openOutbox(v: StoredOutbox | OutboxRecord | undefined): OutboxRecord | undefined {
    if (v === undefined || !('s' in v)) return v;
    const bytes = this.open(v.customer, v.s);
    return bytes === undefined ? undefined : (recordPackr.unpack(bytes) as OutboxRecord);
  }

  /**
   * Faults in the pages holding `id` in the snapshot and customer tables on a worker thread.
   * The host calls it before `hasCustomer` and again before an activation: the second call
   * finds the id in `warmed` and returns at once.
   */
  async prefetchCustomer(id: string): Promise<boolean> {
    if (!this.prefetch || this.warmed.delete(id)) return false;
    await this.prefetchCustomers([id]);
    return true;
  }

  async prefetchCustomers(ids: readonly string[]): Promise<void> {
    if (!this.prefetch) return;
    // PREFETCH_CHUNK customers at a time: a page's faults never hold libuv's threads for long,
    // and the gateways' events' own prefetches get a thread between two chunks. An activation
    // usually follows each; if the actor was activated by another event first, its entry in
    // `warmed` stays behind: the set is cleared past a bound.
    for (let at = 0; at < ids.length; at += PREFETCH_CHUNK) {
      const keys = ids.slice(at, at + PREFETCH_CHUNK);
      await Promise.all([this.snapshots.prefetch(keys), this.sealedCustomers.prefetch(keys), this.keySlots.prefetch(keys)]);
      if (this.warmed.size + keys.length > 10_000) this.warmed.clear();
      for (const id of keys) this.warmed.add(id);
    }
  }

  getSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    try {
      return Promise.resolve(this.readSnapshot(id));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The customer's snapshot with their change records folded in (as the writes under way leave them). */
  private readSnapshot(id: string, w?: LogWrites): StoredSnapshot | undefined {
    const bytes = this.readSealed(this.snapshots, id, id);
    if (bytes === undefined) return this.hasLegacy ? this.legacySnapshots.get(id) : undefined;
    const stored = decodeSnapshot(bytes);
    const records = this.log.recordsOf(id, w);
    if (records === undefined) return stored;
    return foldRecords(id, stored, records, (seq) => this.readSealed(this.changes, id, [seq, id, RECORD]));
  }

  laggingCustomers(limit: number): readonly string[] {
    return this.recordsPerSnapshot > 1 ? this.log.laggards(this.logRecordsBehind, limit) : [];
  }

  /** Change records in the log and customers with any (for tests and metrics). */
  changeLog(): { records: number; customers: number } {
    return { records: this.log.length, customers: this.log.customers };
  }

  getCustomer(id: string): Promise<CustomerRecord | undefined> {
    const bytes = this.readSealed(this.sealedCustomers, id, id);
    if (bytes !== undefined) return Promise.resolve(recordPackr.unpack(bytes) as CustomerRecord);
    if (!this.hasPlainCustomers) return Promise.resolve(undefined);
    return Promise.resolve(this.customers.get(id) ?? (this.hasLegacyCustomers ? this.legacyCustomers.get(id) : undefined));
  }

  hasCustomer(id: string): Promise<boolean> {
    return Promise.resolve(this.snapshots.doesExist(id) || (this.hasLegacy && this.legacySnapshots.doesExist(id)) || this.sealedCustomers.doesExist(id) || this.customers.doesExist(id) || (this.hasLegacyCustomers && this.legacyCustomers.doesExist(id)));
  }

  async lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    const key = this.identityKeyOf(kind, value);
    if (this.prefetch) await this.identities.prefetch([key]);
    return this.identities.get(key) ?? (this.hasClearIdentities ? this.identities.get(identityKey(kind, value)) : undefined);
  }

  *scanIdentities(): Iterable<IdentityLink> {
    if (this.hasClearIdentities) {
      for (const { key, value } of this.identities.getRange()) {
        const parsed = parseIdentityKey(key);
        if (parsed !== undefined) yield { ...parsed, customer: value };
      }
    }
    // hashed keys name no identifier: those of imported customers come from their records
    for (const { key: id } of this.sealedCustomers.getRange()) {
      const opened = this.readSealed(this.sealedCustomers, id, id);
      if (opened === undefined) continue;
      const record = recordPackr.unpack(opened) as CustomerRecord;
      for (const [kind, values] of Object.entries(record.identifiers) as Array<[ContactIdentifierKind, string[]]>) {
        for (const value of values) yield { kind, value, customer: id };
      }
    }
  }

  async commit(batch: CommitBatch): Promise<OutboxRecord[]> {
    const records: OutboxRecord[] = batch.outbox.map((e) => ({ ...e, seq: ++this.seq, attempts: 0 }));
    const log = this.log.begin();
    const write = (): void => {
      // the log's garbage (before its oldest live record) gone first
      this.log.trim(log);
      for (const { id, value, segments, base } of batch.snapshots) {
        this.writeSnapshot(log, id, value, base);
        for (const s of segments?.exit ?? []) {
          void this.members.remove(['m', s, id]);
          void this.members.remove(['c', id, s]);
        }
        for (const s of segments?.enter ?? []) {
          void this.members.put(['m', s, id], '');
          void this.members.put(['c', id, s], '');
        }
      }
      // customers far behind the log's end the batch did not write whole: a few folded in
      if (this.recordsPerSnapshot > 1) {
        const inBatch = batch.snapshots.length === 0 ? undefined : new Set(batch.snapshots.map((s) => s.id));
        let folds = 0;
        for (const id of this.log.laggards(this.logRecordsBehind, FOLDS_PER_COMMIT + (inBatch?.size ?? 0))) {
          if (inBatch?.has(id) === true) continue;
          if (folds++ >= FOLDS_PER_COMMIT) break;
          this.foldIn(log, id);
        }
      }
      for (const l of batch.identities) void this.identities.put(this.identityKeyOf(l.kind, l.value), l.customer);
      for (const r of records) {
        const old = this.outbox.get([r.channel, r.instance]);
        if (old !== undefined) void this.outboxOrder.remove([old.channel, old.seq]);
        void this.outbox.put([r.channel, r.instance], this.sealOutbox(r));
        void this.outboxOrder.put([r.channel, r.seq], r.instance);
      }
      for (const m of batch.meta ?? []) void this.meta.put(m.key, m.value);
      for (const key of batch.reminders?.remove ?? []) this.dropReminder(key);
      for (const r of batch.reminders?.set ?? []) {
        this.dropReminder(r.key);
        void this.reminders.put(r.key, r);
        void this.remindersDue.put([r.due, r.key], '');
      }
      if (batch.rehome !== undefined) this.rehome(batch.rehome.from, batch.rehome.to);
      // the keys of customers sealed for the first time, on disk before the commit that uses them
      this.keyring.sync();
    };
    // Committing here (a few page writes into the OS's cache, ~0.25 ms) beats a round trip
    // to the writer thread (~1.4 ms under load), and a throw anywhere in `write` aborts the
    // whole transaction. Committed: visible, and safe from a crash of this process (the OS
    // holds the pages); with `sync`, also flushed to disk before this resolves.
    try {
      this.transactSync(write);
    } catch (err) {
      this.log.abandoned(log);
      throw err;
    }
    this.log.applied(log);
    if (this.writeWhole.size > 0) for (const { id } of batch.snapshots) this.writeWhole.delete(id);
    if (batch.sync === true || this.syncEachCommit) {
      try {
        await this.syncNow();
      } catch (err) {
        // Committed, not flushed: the caller takes the commit as failed and writes these
        // customers again from the base it had, which the store is already past. Their next
        // write is whole, whatever its base.
        for (const { id } of batch.snapshots) this.writeWhole.add(id);
        throw err;
      }
    }
    return records;
  }

  /**
   * Inside a write transaction: the customer's change since `base` appended to the log, or
   * their full snapshot written (no base, a new snapshot version, `recordsPerSnapshot` records
   * already, or their oldest record too far behind the log's end).
   */
  private writeSnapshot(log: LogWrites, id: string, value: StoredSnapshot, base: StoredSnapshot | undefined): void {
    if (
      base !== undefined &&
      base.v === value.v &&
      this.recordsPerSnapshot > 1 &&
      (this.log.recordsOf(id, log)?.length ?? 0) < this.recordsPerSnapshot - 1 &&
      !this.log.lagging(id, this.logRecordsBehind) &&
      // (a snapshot still in the table before the plain encoding moves to the new one whole)
      !(this.hasLegacy && !this.snapshots.doesExist(id)) &&
      !this.writeWhole.has(id)
    ) {
      const delta = snapshotDelta(base, value, this.deltaScratch);
      if (!isEmptyDelta(delta)) this.log.append(log, id, this.seal(id, recordPackr.pack(delta)));
      return;
    }
    void this.snapshots.put(id, this.seal(id, encodeSnapshot(value)));
    this.log.folded(log, id);
    if (this.hasLegacy && this.legacySnapshots.doesExist(id)) void this.legacySnapshots.remove(id);
  }

  /**
   * Inside a write transaction: a customer's records folded into their snapshot, written
   * whole. A customer whose key is gone (an erasure under way: its transaction deletes the
   * records) leaves the index. One whose records cannot be folded (a record missing or that
   * does not fit: a defect) is reported once and left as it is, not folded again: their reads
   * fail with the reason, every other customer's commits go on.
   */
  private foldIn(log: LogWrites, id: string): void {
    if (this.unfoldable.has(id)) return;
    if (this.keyOf(id, false) === undefined || !this.snapshots.doesExist(id)) {
      log.lists.set(id, null);
      return;
    }
    let folded: StoredSnapshot | undefined;
    try {
      folded = this.readSnapshot(id, log);
    } catch (err) {
      this.unfoldable.add(id);
      this.warn(`customer "${id}": change records cannot be folded into the snapshot; left as they are`, err);
      return;
    }
    if (folded === undefined) {
      this.unfoldable.add(id);
      return;
    }
    void this.snapshots.put(id, this.seal(id, encodeSnapshot(folded)));
    this.log.folded(log, id);
  }

  async scanCustomers(cursor: string | undefined, limit: number, opts: { records?: boolean | 'missing' } = {}): Promise<CustomerPage> {
    const records = opts.records ?? true;
    // The ids after the cursor in each table (all in key order), merged: the first `limit` of them.
    const tables: Array<Database<unknown, string>> = [this.snapshots];
    if (records !== false) tables.push(this.sealedCustomers);
    if (this.hasLegacy) tables.push(this.legacySnapshots);
    if (records !== false && this.hasPlainCustomers) tables.push(this.customers, this.legacyCustomers);
    const ids = new Set<string>();
    // `start` is inclusive: the cursor itself may come first, and one more tells a next page.
    for (const t of tables) {
      // limit + 1 ids after the cursor (the cursor's own key, when the table holds it, is skipped).
      let taken = 0;
      for (const key of t.getKeys(cursor === undefined ? {} : { start: cursor })) {
        if (cursor !== undefined && key <= cursor) continue;
        ids.add(key);
        if (++taken > limit) break;
      }
    }
    const sorted = [...ids].sort();
    const page = sorted.slice(0, limit);
    const last = page.at(-1);
    if (last === undefined) return { customers: [] };
    const customers: CustomerPage['customers'] = [];
    for (const id of page) {
      const snapshot = await this.getSnapshot(id);
      const record = records === true || (records === 'missing' && snapshot === undefined) ? await this.getCustomer(id) : undefined;
      customers.push({ id, ...(snapshot === undefined ? {} : { snapshot }), ...(record === undefined ? {} : { record }) });
    }
    return sorted.length > limit ? { customers, next: last } : { customers };
  }

  /**
   * How other threads of this process can scan the customers themselves (`LmdbScan`, a draft
   * count's workers): the data dir, how many customers there are about, and which table to
   * split the ids by (the larger; `LmdbScan.split`, run in a worker: finding the bounds steps
   * over every key before them). Undefined while the store holds tables written before
   * sealing, which `LmdbScan` does not read (the scan then runs in the store's own thread).
   */
  parallelScan(): { dir: string; customers: number; by: 'snapshots' | 'records' } | undefined {
    if (this.hasLegacy || this.hasPlainCustomers) return undefined;
    const snapshots = entries(this.snapshots);
    const records = entries(this.sealedCustomers);
    return { dir: this.dir, customers: Math.max(snapshots, records), by: snapshots >= records ? 'snapshots' : 'records' };
  }

  listSegmentMembers(segment: string, limit: number, after?: string): Promise<string[]> {
    const out: string[] = [];
    for (const key of this.members.getKeys({ start: ['m', segment, after ?? ''] })) {
      if (key[0] !== 'm' || key[1] !== segment || out.length >= limit) break;
      // (the range starts at `after` in the keys' own order, UTF-8 bytes: only `after` itself is left out)
      if (key[2] === after) continue;
      out.push(key[2]);
    }
    return Promise.resolve(out);
  }

  setSegmentMembers(entries: ReadonlyArray<{ id: string; segments: readonly string[] }>, reset = false): Promise<void> {
    this.root.transactionSync(() => {
      if (reset) this.members.clearSync();
      for (const { id, segments } of entries) {
        const now = new Set(segments);
        const was: string[] = [];
        if (!reset) for (const key of this.members.getKeys({ start: ['c', id, ''] })) {
          if (key[0] !== 'c' || key[1] !== id) break;
          was.push(key[2]);
        }
        for (const s of was) {
          if (now.has(s)) continue;
          void this.members.remove(['m', s, id]);
          void this.members.remove(['c', id, s]);
        }
        for (const s of now) {
          if (was.includes(s)) continue;
          void this.members.put(['m', s, id], '');
          void this.members.put(['c', id, s], '');
        }
      }
    });
    return Promise.resolve();
  }

  async eraseCustomer(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>, audit?: AuditDraft, erasureMeta?: ErasureMeta): Promise<boolean> {
    // What can fail in the entry fails here, before anything is written.
    if (audit !== undefined) sealAudit(undefined, audit);
    // The entries naming the customer found first (one process writes this store), journaled with the rest.
    const meta = await erasureMetaKeys(erasureMeta);
    const slot = this.keySlots.get(id);
    this.slotOf.delete(id);
    this.identityKeys.clear();
    // Their key destroyed already (an erasure whose transaction did not commit): their records
    // cannot be read, nor the identifiers in them; the links naming them are found in the index.
    const unreadable = slot !== undefined && this.keyring.key(slot) === undefined;
    if (slot !== undefined) {
      // The erasure journaled first, on disk: until its transaction removes the entry, the slot
      // (zeros from the next line on) is not free, and a restart finishes the erasure.
      this.meta.putSync(erasingKey(slot), { id, ...(audit === undefined ? {} : { audit }), ...(meta === undefined ? {} : { meta }) } satisfies Erasing);
      await this.syncNow();
      // The key, overwritten in place and flushed: from here on no copy of the customer's
      // sealed data, in the live pages or in LMDB's free ones, can be read.
      this.keyring.destroy(slot);
    }
    return this.finishErasure(id, slot, unreadable ? undefined : identities, audit, meta);
  }

  /**
   * The erasure's transaction (its key destroyed already): everything of the customer's removed,
   * with the journal's entry for `slot`; then the slot is free. `identities` undefined: the
   * links naming the customer are looked for in the whole index (rare: an erasure finished
   * after its key was gone).
   */
  private finishErasure(id: string, slot: number | undefined, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }> | undefined, audit?: AuditDraft, meta?: readonly string[]): boolean {
    const log = this.log.begin();
    let drawn: number | undefined;
    let held: boolean;
    let entry: AuditRecord | undefined;
    try {
      // on this thread: a throw anywhere aborts the whole transaction (the journal then stays)
      held = this.transactSync(() => {
        let held = false;
        // every key of theirs in the change log, folded or not, marks too: the keys name them in clear
        this.log.erase(log, id);
        // a key drawn for them since the one destroyed (a commit between the two): destroyed too, below
        const now = this.keySlots.get(id);
        if (now !== undefined && now !== slot) drawn = now;
        if (now !== undefined) void this.keySlots.remove(id);
        if (slot !== undefined) void this.meta.remove(erasingKey(slot));
        for (const key of meta ?? []) void this.meta.remove(key);
        if (this.sealedCustomers.doesExist(id)) {
          void this.sealedCustomers.remove(id);
          held = true;
        }
        for (const db of [this.snapshots, this.legacySnapshots] as Array<Database<unknown, string>>) {
          if (db.doesExist(id)) {
            void db.remove(id);
            held = true;
          }
        }
        for (const db of [this.customers, this.legacyCustomers]) {
          if (db.doesExist(id)) {
            void db.remove(id);
            held = true;
          }
        }
        if (identities === undefined) {
          for (const { key, value } of this.identities.getRange()) {
            if (value !== id) continue;
            void this.identities.remove(key);
            held = true;
          }
        }
        for (const { kind, value } of identities ?? []) if (this.unlinkIn(kind, value, id)) held = true;
        for (const { key, value } of this.outbox.getRange()) {
          if (value.customer !== id) continue;
          void this.outbox.remove(key);
          void this.outboxOrder.remove([value.channel, value.seq]);
        }
        const prefix = reminderKey(id, '');
        for (const { key } of this.reminders.getRange({ start: prefix })) {
          if (!key.startsWith(prefix)) break;
          this.dropReminder(key);
        }
        for (const { key } of this.members.getRange({ start: ['c', id, ''] })) {
          if (key[0] !== 'c' || key[1] !== id) break;
          void this.members.remove(key);
          void this.members.remove(['m', key[2], id]);
        }
        if (audit !== undefined) entry = this.appendAuditIn(audit);
        return held;
      });
    } catch (err) {
      this.log.abandoned(log);
      throw err;
    }
    this.log.applied(log);
    tellAudited(this, entry);
    if (slot !== undefined) this.keyring.release(slot);
    if (drawn !== undefined) {
      this.slotOf.delete(id);
      this.keyring.destroy(drawn);
      this.keyring.release(drawn);
    }
    return held;
  }

  /**
   * Inside a write transaction: the index's link of an identifier removed if it names `id`,
   * under its keyed hash and, in a store that still has them, its clear key; whether one did.
   */
  private unlinkIn(kind: ContactIdentifierKind, value: string, id: string): boolean {
    let unlinked = false;
    for (const key of this.hasClearIdentities ? [this.identityKeyOf(kind, value), identityKey(kind, value)] : [this.identityKeyOf(kind, value)]) {
      if (this.identities.get(key) !== id) continue;
      void this.identities.remove(key);
      unlinked = true;
    }
    return unlinked;
  }

  /**
   * At open: the erasures journaled whose transaction did not commit (a full disk, a kill
   * between the key's overwrite and the commit). Their slots are not free, whatever they hold;
   * each erasure is finished (the key destroyed if it was not yet, the records removed, the
   * links looked for in the index) with its audit entry.
   */
  private finishJournaledErasures(): void {
    const pending: Array<{ slot: number; erasing: Erasing }> = [];
    for (const { key, value } of this.meta.getRange({ start: ERASING, end: `${ERASING}\uffff` })) {
      const slot = Number(key.slice(ERASING.length));
      if (!Number.isInteger(slot) || slot < 1) continue;
      this.keyring.reserve(slot);
      pending.push({ slot, erasing: value as Erasing });
    }
    for (const { slot, erasing } of pending) {
      if (this.keyring.key(slot) !== undefined) this.keyring.destroy(slot);
      this.finishErasure(erasing.id, slot, undefined, erasing.audit, erasing.meta);
    }
  }

  customerQueues(id: string): Promise<CustomerQueues> {
    const outbox: OutboxRecord[] = [];
    for (const { value } of this.outbox.getRange()) {
      if (value.customer !== id) continue;
      const r = this.openOutbox(value);
      if (r !== undefined) outbox.push(r);
    }
    const prefix = reminderKey(id, '');
    const reminders: ReminderRecord[] = [];
    for (const { key, value } of this.reminders.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      reminders.push(value);
    }
    return Promise.resolve({ outbox, reminders });
  }

  /**
   * Inside a transaction (`CommitBatch.rehome`): the outbox entries of `from` become `to`'s
   * where they stand, sealed again under `to`'s key (`from`'s is destroyed at its erasure),
   * and its reminders are set again as `to`'s.
   */
  private rehome(from: string, to: string): void {
    const entries: OutboxRecord[] = [];
    for (const { value } of this.outbox.getRange()) {
      if (value.customer !== from) continue;
      const r = this.openOutbox(value);
      if (r !== undefined) entries.push({ ...r, customer: to });
    }
    for (const r of entries) void this.outbox.put([r.channel, r.instance], this.sealOutbox(r));
    const prefix = reminderKey(from, '');
    const moved: ReminderRecord[] = [];
    for (const { key, value } of this.reminders.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      moved.push(rehomedReminder(value, from, to));
    }
    for (const r of moved) {
      this.dropReminder(reminderKey(from, r.key.slice(to.length + 1)));
      if (this.reminders.doesExist(r.key)) continue;
      void this.reminders.put(r.key, r);
      void this.remindersDue.put([r.due, r.key], '');
    }
  }

  /** Inside a transaction: removes a reminder and its place in the due order. */
  private dropReminder(key: string): void {
    const old = this.reminders.get(key);
    if (old === undefined) return;
    void this.remindersDue.remove([old.due, key]);
    void this.reminders.remove(key);
  }

  dueReminders(until: number, limit: number): Promise<ReminderRecord[]> {
    const out: ReminderRecord[] = [];
    for (const { key } of this.remindersDue.getRange({ end: [until, '\uffff'], limit })) {
      const r = this.reminders.get(key[1]);
      if (r !== undefined) out.push(r);
    }
    return Promise.resolve(out);
  }

  /**
   * `indexKeys`: each identifier's index key where the caller has it (in the order of the
   * entry's identifiers), else computed here. An entry with `sealed` brings its record already
   * packed and sealed under a new key of its own (`SealedRow`, on the import's worker), for a
   * customer the caller knows has no key yet (a store that held no customer when the run
   * began: `holdsNoCustomers`); the key is kept in a slot of the keyring as a key drawn here.
   */
  importCustomers(entries: ReadonlyArray<LmdbImportEntry>, marker?: { key: string; value: unknown }): Promise<void> {
    return Promise.resolve().then(() => this.importBatch(entries, marker));
  }

  private importBatch(entries: ReadonlyArray<LmdbImportEntry>, marker?: { key: string; value: unknown }): void {
    const links: Array<[string, string]> = [];
    // On this thread: a row that fails (it cannot be packed, say) aborts the whole batch, the
    // key slots drawn for it given back (`transactSync`); lmdb-js's asynchronous transaction
    // would commit the rows before it.
    this.transactSync(() => {
      if (marker !== undefined) void this.meta.put(marker.key, marker.value);
      // in id order, as the identity keys below: each table's pages in one pass
      for (const entry of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
        const { id, indexKeys } = entry;
        if ('sealed' in entry) {
          const slot = this.keyring.adopt(entry.sealed.key);
          this.drawnIn?.push({ id, slot });
          void this.keySlots.put(id, slot);
          this.remember(id, slot);
          const b = entry.sealed.bytes;
          void this.sealedCustomers.put(id, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
        }
        // a new customer's key written with the batch's others by `sync`, before the commit
        else void this.sealedCustomers.put(id, this.seal(id, recordPackr.pack(entry.record), true));
        if (this.hasPlainCustomers) {
          if (this.customers.doesExist(id)) void this.customers.remove(id);
          if (this.hasLegacyCustomers && this.legacyCustomers.doesExist(id)) void this.legacyCustomers.remove(id);
        }
        if (!('sealed' in entry) && entry.unlink !== undefined) {
          for (const kind in entry.unlink) for (const v of entry.unlink[kind as ContactIdentifierKind]!) this.unlinkIn(kind as ContactIdentifierKind, v, id);
        }
        const identifiers = 'sealed' in entry ? entry.identifiers : entry.record.identifiers;
        for (const kind in identifiers) {
          const values = identifiers[kind as ContactIdentifierKind]!;
          const keys = indexKeys?.[kind as ContactIdentifierKind];
          for (let i = 0; i < values.length; i++) links.push([keys?.[i] ?? this.identityKeyOf(kind as ContactIdentifierKind, values[i]!), id]);
        }
      }
      // the batch's identity keys (HMACs, all over the index) put in key order: one pass over its pages
      links.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [key, id] of links) void this.identities.put(key, id);
      this.keyring.sync();
    });
  }

  /**
   * No customer at all (no record, snapshot, key or identifier): every id an import meets for
   * the first time is new, and can be sealed before it reaches the store (`importCustomers`' `sealed`).
   */
  holdsNoCustomers(): boolean {
    return !this.hasPlainCustomers && !this.hasLegacy && entries(this.sealedCustomers) === 0 && entries(this.snapshots) === 0 && entries(this.keySlots) === 0 && entries(this.identities) === 0;
  }

  countImported(): Promise<number> {
    return Promise.resolve(this.sealedCustomers.getCount() + this.customers.getCount() + (this.hasLegacyCustomers ? this.legacyCustomers.getCount() : 0));
  }

  listOutbox(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> {
    const list: OutboxRecord[] = [];
    const start: [string, number] | [string] = afterSeq === undefined ? [channel] : [channel, Math.floor(afterSeq) + 1];
    // Seqs are numbers, which sort before any string: the end bound closes the channel's range.
    for (const { value: instance } of this.outboxOrder.getRange({ start, end: [channel, '\uffff'] as unknown as [string, number], limit })) {
      const r = this.openOutbox(this.outbox.get([channel, instance]));
      if (r !== undefined) list.push(r);
    }
    return Promise.resolve(list);
  }

  getOutbox(channel: string, instance: string): Promise<OutboxRecord | undefined> {
    return Promise.resolve(this.openOutbox(this.outbox.get([channel, instance])));
  }

  async removeOutbox(channel: string, instance: string): Promise<boolean> {
    return this.root.transaction(() => {
      const r = this.outbox.get([channel, instance]);
      if (r === undefined) return false;
      void this.outbox.remove([channel, instance]);
      void this.outboxOrder.remove([channel, r.seq]);
      return true;
    });
  }

  async failOutbox(channel: string, instance: string, reason: string, next: { retryAt?: number; dead?: boolean } = {}): Promise<boolean> {
    return this.transact(() => {
      const r = this.openOutbox(this.outbox.get([channel, instance]));
      if (r === undefined) return false;
      void this.outbox.put([channel, instance], this.sealOutbox(failed(r, reason, next)));
      return true;
    });
  }

  async retryOutbox(channel: string, instance: string, audit?: AuditDraft): Promise<boolean> {
    if (audit !== undefined) sealAudit(undefined, audit);
    let entry: AuditRecord | undefined;
    const retriedNow = await this.transact(() => {
      const r = this.openOutbox(this.outbox.get([channel, instance]));
      if (r === undefined) return false;
      void this.outbox.put([channel, instance], this.sealOutbox(retried(r)));
      if (audit !== undefined) entry = this.appendAuditIn(audit);
      return true;
    });
    tellAudited(this, entry);
    return retriedNow;
  }

  listStops(): Promise<StopEntry[]> {
    return Promise.resolve([...this.stops.getRange()].map(({ value }) => value));
  }

  async putStop(entry: StopEntry): Promise<void> {
    await this.stops.put(stopStorageKey(entry.key, entry.channel, entry.campaign), entry);
  }

  async deleteStop(key: string, channel: string | undefined, campaign: string | undefined): Promise<boolean> {
    return this.root.transaction(() => {
      const k = stopStorageKey(key, channel, campaign);
      if (!this.stops.doesExist(k)) return false;
      void this.stops.remove(k);
      return true;
    });
  }

  getMeta(key: string): Promise<unknown> {
    return Promise.resolve(this.meta.get(key));
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.meta.put(key, value);
  }

  /** No tombstone here (one process): written as `putMeta`; the node refuses a write naming an erased customer itself. */
  async putMetaUnlessErased(key: string, value: unknown, _customers: readonly string[]): Promise<boolean> {
    await this.putMeta(key, value);
    return true;
  }

  async deleteMeta(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.meta.transaction(() => {
      for (const key of keys) this.meta.removeSync(key);
    });
  }

  listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    const out: Array<{ key: string; value: unknown }> = [];
    // Newest last: walk back from the end of the prefix's range, then turn the list round.
    for (const { key, value } of this.meta.getRange({ start: `${prefix}\uffff`, end: prefix, reverse: true, limit })) {
      if (typeof key === 'string' && key.startsWith(prefix)) out.push({ key, value });
    }
    return Promise.resolve(out.reverse());
  }

  appendAudit(draft: AuditDraft, change: AuditChange = {}): Promise<AuditRecord | undefined> {
    const write = (): AuditRecord | undefined => {
      const d = change.deleteStop;
      if (d !== undefined) {
        const k = stopStorageKey(d.key, d.channel, d.campaign);
        if (!this.stops.doesExist(k)) return undefined;
        void this.stops.remove(k);
      }
      if (change.putStop !== undefined) void this.stops.put(stopStorageKey(change.putStop.key, change.putStop.channel, change.putStop.campaign), change.putStop);
      for (const m of change.meta ?? []) void this.meta.put(m.key, m.value);
      return this.appendAuditIn(draft);
    };
    // Synchronous either way (an audited change is rare): a throw inside aborts the whole
    // transaction, which lmdb-js's asynchronous one does not promise.
    return Promise.resolve().then(() => {
      const entry = this.root.transactionSync(write);
      tellAudited(this, entry);
      return entry;
    });
  }

  /** Inside a write transaction: seals the entry on the trail's head (read there: LMDB has one writer at a time) and writes it. */
  private appendAuditIn(draft: AuditDraft): AuditRecord {
    let head: AuditRecord | undefined;
    for (const { value } of this.audit.getRange({ reverse: true, limit: 1 })) head = value;
    const entry = sealAudit(head, draft);
    void this.audit.put(entry.seq, entry);
    return entry;
  }

  listAudit(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return Promise.resolve([...this.audit.getRange({ start: Math.floor(afterSeq) + 1, limit })].map(({ value }) => value));
  }

  /** Flushes every committed page to disk (fsync). */
  private syncNow(): Promise<void> {
    return new Promise((resolve, reject) => {
      // `sync` (mdb_env_sync, off the main thread) is an lmdb-js method its typings do not list.
      (this.root as unknown as { sync(cb: (err?: Error | null) => void): void }).sync((err?: Error | null) => (err === undefined || err === null ? resolve() : reject(err)));
    });
  }

  async close(): Promise<void> {
    if (this.syncTimer !== undefined) clearInterval(this.syncTimer);
    try {
      await this.syncNow();
      await this.root.close();
    } finally {
      this.keyring.close();
      this.lock.release();
    }
  }
}

/**
 * `a` against `b` in Unicode code point order, which is UTF-8's byte order (LMDB's order of
 * string keys) for well-formed strings; UTF-16's differs past the BMP. A lone surrogate, which
 * UTF-8 writes as U+FFFD, may be placed otherwise: `SlotCursor` then only reads that slot on its own.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (a code point past the BMP) comes after U+E000-U+FFFF
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** The key slots of a range read in id order, looked up for ids asked in the same order (a merge of the two reads). */
class SlotCursor {
  private current: { key: string; value: number } | undefined;
  private done = false;

  constructor(private readonly entries: Iterator<{ key: string; value: number }>) {}

  /** The slot of `id` (undefined when it has none); ids asked in ascending order. */
  slotOf(id: string): number | undefined {
    while (!this.done) {
      if (this.current === undefined) {
        const next = this.entries.next();
        if (next.done === true) {
          this.done = true;
          return undefined;
        }
        this.current = next.value;
      }
      const order = compareCodePoints(this.current.key, id);
      if (order === 0) return this.current.value;
      if (order > 0) return undefined;
      this.current = undefined;
    }
    return undefined;
  }

  /** Ends the read early (its cursor released before the transaction ends). */
  close(): void {
    if (!this.done) void this.entries.return?.();
    this.done = true;
  }
}

/** Key slots read from `keys.bin` a block at a time, for `LmdbScan` (a slot is 32 bytes). */
const SCAN_BLOCK = 4096;

/**
 * A table's entries, from LMDB's own count (`mdb_stat`, constant time). lmdb-js's `getCount`
 * walks the table: seconds on a store of millions, on the thread that asked.
 */
function entries(db: { getStats(): object }): number {
  return (db.getStats() as { entryCount: number }).entryCount;
}

/**
 * The customers of an LMDB store read in another thread of the process that holds it (lmdb-js
 * shares the environment between threads): a draft count's worker (src/runtime/draft-count-
 * workers.ts), the segment sweep's (src/runtime/sweep-scan.ts). Reads only, without the data
 * dir's lock (the store's owner holds it): the snapshots in an id range by one range read,
 * each opened with its customer's key (read from the keyring's file by blocks) and decoded;
 * then the imported records of the customers in the range who have no snapshot. Only for a store without tables from before sealing
 * (`LmdbStore.parallelScan` says when).
 */
export class LmdbScan {
  private readonly root: RootDatabase;
  private readonly snapshots: Database<Buffer, string>;
  private readonly sealedCustomers: Database<Buffer, string>;
  private readonly keySlots: Database<number, string>;
  private readonly changes: Database<Buffer, LogKey>;
  private readonly fd: number;
  private readonly blocks = new Map<number, Buffer>();

  constructor(dir: string) {
    const options: RootDatabaseOptionsWithPath & { noReadAhead: boolean } = { path: dir, maxDbs: 32, mapSize: lmdbMapSize(dir), noReadAhead: true, noSync: true };
    this.root = open(options);
    this.snapshots = this.root.openDB<Buffer, string>({ name: 'snapshots-mp', encoding: 'binary' });
    this.sealedCustomers = this.root.openDB<Buffer, string>({ name: 'customers-sealed', encoding: 'binary' });
    this.keySlots = this.root.openDB<number, string>({ name: 'key-slots' });
    this.changes = this.root.openDB<Buffer, LogKey>({ name: 'changes', encoding: 'binary' });
    this.fd = openSync(join(dir, 'keys.bin'), 'r');
  }

  private key(id: string, known?: number): Buffer | undefined {
    const slot = known ?? this.keySlots.get(id);
    if (slot === undefined) return undefined;
    const b = Math.floor(slot / SCAN_BLOCK);
    let block = this.blocks.get(b);
    if (block === undefined) {
      block = Buffer.alloc(32 * SCAN_BLOCK);
      readSync(this.fd, block, 0, block.length, b * 32 * SCAN_BLOCK);
      if (this.blocks.size >= 64) this.blocks.clear();
      this.blocks.set(b, block);
    }
    const key = block.subarray((slot % SCAN_BLOCK) * 32, (slot % SCAN_BLOCK) * 32 + 32);
    return key.every((x) => x === 0) ? undefined : key;
  }

  /**
   * The ids split into `parts` ranges of about as many customers each (`[from, to)`, the first
   * from the start, the last to the end), by the keys of one table read in one pass (one
   * snapshot of it: the ranges neither overlap nor leave a gap).
   */
  split(by: 'snapshots' | 'records', parts: number): Array<{ from?: string; to?: string }> {
    const table = by === 'snapshots' ? this.snapshots : this.sealedCustomers;
    const n = table.getCount();
    const bounds: string[] = [];
    let next = 1;
    let i = 0;
    if (parts > 1 && n > 0) {
      for (const key of table.getKeys()) {
        if (i++ < Math.floor((next * n) / parts)) continue;
        if (bounds.at(-1) !== key) bounds.push(key);
        if (++next >= parts) break;
      }
    }
    return Array.from({ length: bounds.length + 1 }, (_, k) => ({ ...(k === 0 ? {} : { from: bounds[k - 1] }), ...(k === bounds.length ? {} : { to: bounds[k] }) }));
  }

  /**
   * A value read, opened (undefined once its key is destroyed); `slot`, the customer's key slot
   * when the caller read it already. lmdb-js hands each value of a binary table read as a copy
   * of its own (a range read's too; not with `compression`, which these tables do not use), so
   * reading the key after it leaves it as it was.
   */
  private opened(id: string, value: Uint8Array, slot?: number): Uint8Array | undefined {
    if (value[0] !== SEALED) return value;
    const key = this.key(id, slot);
    return key === undefined ? undefined : unseal(key, id, value);
  }

  /**
   * The snapshots with ids in `[from, to)`, in id order; with `without`, those of its version
   * decoded without its context fields (`decodeSnapshotWithout`).
   */
  *snapshotsIn(from?: string, to?: string, without?: { fields: ReadonlySet<string>; version: number }): Iterable<{ id: string; snapshot: StoredSnapshot }> {
    // The snapshots and the change log in one read transaction: one committed state of both.
    const transaction = this.root.useReadTransaction();
    let slots: SlotCursor | undefined;
    try {
      const { live } = readLogIndex(this.changes, transaction);
      const bounds = { transaction, ...(from === undefined ? {} : { start: from }), ...(to === undefined ? {} : { end: to }) };
      // (the key slots read beside the snapshots, both in id order: one cursor, no read per customer)
      slots = new SlotCursor(this.keySlots.getRange(bounds)[Symbol.iterator]());
      for (const { key, value } of this.snapshots.getRange(bounds)) {
        const bytes = this.opened(key, value, slots.slotOf(key));
        if (bytes === undefined) continue;
        const decoded = without === undefined ? decodeSnapshot(bytes) : decodeSnapshotWithout(bytes, without.fields, without.version);
        const records = live.get(key);
        if (records === undefined) {
          yield { id: key, snapshot: decoded };
          continue;
        }
        // (a snapshot of another version was decoded whole: every operation applies)
        const skipped = without !== undefined && decoded.v === without.version ? without.fields : undefined;
        const snapshot = foldRecords(key, decoded, records, (seq) => {
          // (`getBinary` takes the read options, which its typings do not list)
          const sealed = (this.changes as unknown as { getBinary(k: LogKey, o: { transaction: Transaction }): Buffer | undefined }).getBinary([seq, key, RECORD], { transaction });
          return sealed === undefined ? undefined : this.opened(key, sealed);
        }, skipped);
        yield { id: key, snapshot };
      }
    } finally {
      slots?.close();
      transaction.done();
    }
  }

  /** The imported records with ids in `[from, to)` of the customers who have no snapshot. */
  *recordsWithoutSnapshotIn(from?: string, to?: string): Iterable<{ id: string; record: CustomerRecord }> {
    for (const { id, record } of this.recordsIn(from, to)) if (record !== undefined) yield { id, record };
  }

  /**
   * Every id of the imported records in `[from, to)`, with the record of a customer who has
   * no snapshot (undefined for one who has, or whose record cannot be opened): a reader that
   * pages by keys read sees the customers it steps over too.
   */
  *recordsIn(from?: string, to?: string): Iterable<{ id: string; record: CustomerRecord | undefined }> {
    for (const id of this.sealedCustomers.getKeys({ ...(from === undefined ? {} : { start: from }), ...(to === undefined ? {} : { end: to }) })) {
      if (this.snapshots.doesExist(id)) {
        yield { id, record: undefined };
        continue;
      }
      const value = this.sealedCustomers.getBinary(id);
      const bytes = value === undefined ? undefined : this.opened(id, value);
      yield { id, record: bytes === undefined ? undefined : (recordPackr.unpack(bytes) as CustomerRecord) };
    }
  }

  close(): void {
    closeSync(this.fd);
    void this.root.close();
  }
}
