import type { ContactIdentifierKind } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import type { AuditDraft, AuditRecord } from '../audit/audit-chain.js';
import { sealAudit } from '../audit/audit-chain.js';
import type { AuditChange, CommitBatch, CustomerPage, CustomerQueues, CustomerRecord, ErasureMeta, IdentityLink, ImportEntry, OutboxRecord, ReminderRecord, SegmentMoves, StopEntry, Store, StoredSnapshot } from './store.js';
import type { SingleNodeCoordination } from './coordination.js';
import { singleNode } from './coordination.js';
import { erasureMetaKeys, failed, identityKey, parseIdentityKey, rehomedReminder, retried, stopStorageKey, tellAudited } from './store.js';

const outboxKey = (channel: string, instance: string): string => `${channel}\u0000${instance}`;

/**
 * A channel's queue in `seq` order, for paged listing without a scan: the seqs ascending with
 * the instance at each. A slot whose entry was removed (or committed again, with a new seq)
 * is stale: skipped when read, dropped when stale slots are half the list.
 */
interface ChannelQueue {
  seqs: number[];
  instances: string[];
  stale: number;
}

/** The first index in `seqs` (ascending) whose seq is greater than `after`. */
function firstAfter(seqs: readonly number[], after: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The memory store: everything in Maps, nothing survives the process. Values are cloned on
 * the way in and out, as a real store would serialise them, so a test cannot pass on a
 * shared reference that a real backend would not keep.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  /** only this node writes it: claims are plain reads */
  readonly coordination: SingleNodeCoordination = singleNode(this);
  private readonly snapshots = new Map<string, StoredSnapshot>();
  private readonly customers = new Map<string, CustomerRecord>();
  private readonly identities = new Map<string, string>();
  private readonly outbox = new Map<string, OutboxRecord>();
  private readonly queues = new Map<string, ChannelQueue>();
  private readonly stops = new Map<string, StopEntry>();
  private readonly meta = new Map<string, unknown>();
  private readonly reminders = new Map<string, ReminderRecord>();
  /** segment -> its members; customer -> their segments (for the erasure) */
  private readonly members = new Map<string, Set<string>>();
  private readonly segmentsOf = new Map<string, Set<string>>();
  /** the audit trail, in seq order (tests may tamper with it through `auditEntries`) */
  readonly auditEntries: AuditRecord[] = [];
  onAudit: ((entry: AuditRecord) => void) | undefined;
  private seq = 0;
  private closed = false;

  private check(): void {
    if (this.closed) throw new KairosError('unavailable', 'the store is closed');
  }

  getSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    this.check();
    const v = this.snapshots.get(id);
    return Promise.resolve(v === undefined ? undefined : structuredClone(v));
  }

  getCustomer(id: string): Promise<CustomerRecord | undefined> {
    this.check();
    const v = this.customers.get(id);
    return Promise.resolve(v === undefined ? undefined : structuredClone(v));
  }

  hasCustomer(id: string): Promise<boolean> {
    this.check();
    return Promise.resolve(this.snapshots.has(id) || this.customers.has(id));
  }

  lookupIdentity(kind: ContactIdentifierKind, value: string): Promise<string | undefined> {
    this.check();
    return Promise.resolve(this.identities.get(identityKey(kind, value)));
  }

  commit(batch: CommitBatch): Promise<OutboxRecord[]> {
    this.check();
    const copy = structuredClone(batch);
    for (const { id, value, segments } of copy.snapshots) {
      this.snapshots.set(id, value);
      if (segments !== undefined) this.moveMembers(id, segments);
    }
    for (const l of copy.identities) this.identities.set(identityKey(l.kind, l.value), l.customer);
    for (const m of copy.meta ?? []) this.meta.set(m.key, m.value);
    const records: OutboxRecord[] = copy.outbox.map((e) => ({ ...e, seq: ++this.seq, attempts: 0 }));
    for (const r of records) {
      const key = outboxKey(r.channel, r.instance);
      const again = this.outbox.has(key);
      this.outbox.set(key, r);
      let q = this.queues.get(r.channel);
      if (q === undefined) {
        q = { seqs: [], instances: [], stale: 0 };
        this.queues.set(r.channel, q);
      }
      q.seqs.push(r.seq);
      q.instances.push(r.instance);
      // Committed again: its earlier slot is stale.
      if (again) this.unqueue(r.channel);
    }
    for (const key of copy.reminders?.remove ?? []) this.reminders.delete(key);
    for (const r of copy.reminders?.set ?? []) this.reminders.set(r.key, r);
    if (copy.rehome !== undefined) this.rehome(copy.rehome.from, copy.rehome.to);
    return Promise.resolve(structuredClone(records));
  }

  private moveMembers(id: string, moves: SegmentMoves): void {
    let mine = this.segmentsOf.get(id);
    for (const s of moves.exit) {
      this.members.get(s)?.delete(id);
      mine?.delete(s);
    }
    for (const s of moves.enter) {
      let set = this.members.get(s);
      if (set === undefined) this.members.set(s, (set = new Set()));
      set.add(id);
      if (mine === undefined) this.segmentsOf.set(id, (mine = new Set()));
      mine.add(s);
    }
  }

  scanCustomers(cursor: string | undefined, limit: number, opts: { records?: boolean | 'missing' } = {}): Promise<CustomerPage> {
    this.check();
    const records = opts.records !== false;
    const ids = [...new Set([...this.snapshots.keys(), ...(records ? this.customers.keys() : [])])].filter((id) => cursor === undefined || id > cursor).sort();
    const page = ids.slice(0, limit);
    const customers = page.map((id) => {
      const snapshot = this.snapshots.get(id);
      const record = records ? this.customers.get(id) : undefined;
      return structuredClone({ id, ...(snapshot === undefined ? {} : { snapshot }), ...(record === undefined ? {} : { record }) });
    });
    const last = page.at(-1);
    return Promise.resolve(ids.length > limit && last !== undefined ? { customers, next: last } : { customers });
  }

  listSegmentMembers(segment: string, limit: number, after?: string): Promise<string[]> {
    this.check();
    const all = [...(this.members.get(segment) ?? [])].sort();
    const from = after === undefined ? 0 : all.findIndex((id) => id > after);
    return Promise.resolve(from < 0 ? [] : all.slice(from, from + limit));
  }

  setSegmentMembers(entries: ReadonlyArray<{ id: string; segments: readonly string[] }>, reset = false): Promise<void> {
    this.check();
    if (reset) {
      this.members.clear();
      this.segmentsOf.clear();
    }
    for (const { id, segments } of entries) {
      const now = new Set(segments);
      const was = [...(this.segmentsOf.get(id) ?? [])];
      this.moveMembers(id, { enter: [...now].filter((s) => !was.includes(s)), exit: was.filter((s) => !now.has(s)) });
    }
    return Promise.resolve();
  }

  customerQueues(id: string): Promise<CustomerQueues> {
    this.check();
    const outbox = [...this.outbox.values()].filter((r) => r.customer === id);
    const reminders = [...this.reminders.values()].filter((r) => r.customer === id);
    return Promise.resolve(structuredClone({ outbox, reminders }));
  }

  /** `CommitBatch.rehome`: the outbox entries and reminders of `from` become `to`'s. */
  private rehome(from: string, to: string): void {
    for (const [key, r] of this.outbox) if (r.customer === from) this.outbox.set(key, { ...r, customer: to });
    for (const [key, r] of [...this.reminders]) {
      if (r.customer !== from) continue;
      this.reminders.delete(key);
      const moved = rehomedReminder(r, from, to);
      if (!this.reminders.has(moved.key)) this.reminders.set(moved.key, moved);
    }
  }

  dueReminders(until: number, limit: number): Promise<ReminderRecord[]> {
    this.check();
    const due = [...this.reminders.values()].filter((r) => r.due <= until).sort((a, b) => a.due - b.due || (a.key < b.key ? -1 : 1));
    return Promise.resolve(structuredClone(due.slice(0, limit)));
  }

  async eraseCustomer(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>, audit?: AuditDraft, meta?: ErasureMeta): Promise<boolean> {
    this.check();
    // The entries naming the customer found first, then everything else in one synchronous step.
    return this.eraseNow(id, identities, audit, await erasureMetaKeys(meta));
  }

  private eraseNow(id: string, identities: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>, audit: AuditDraft | undefined, meta: readonly string[] | undefined): boolean {
    this.check();
    // The entry first: sealing is what can fail (a throw), and then nothing is erased.
    const entry = audit === undefined ? undefined : sealAudit(this.auditEntries.at(-1), audit);
    let held = this.snapshots.delete(id);
    held = this.customers.delete(id) || held;
    for (const { kind, value } of identities) {
      const key = identityKey(kind, value);
      if (this.identities.get(key) === id) {
        this.identities.delete(key);
        held = true;
      }
    }
    for (const [key, r] of this.outbox) {
      if (r.customer !== id) continue;
      this.outbox.delete(key);
      this.unqueue(r.channel);
    }
    for (const [key, r] of this.reminders) if (r.customer === id) this.reminders.delete(key);
    for (const s of this.segmentsOf.get(id) ?? []) this.members.get(s)?.delete(id);
    this.segmentsOf.delete(id);
    for (const key of meta ?? []) this.meta.delete(key);
    if (entry !== undefined) this.auditEntries.push(entry);
    tellAudited(this, entry);
    return held;
  }

  *scanIdentities(): Iterable<IdentityLink> {
    this.check();
    for (const [key, customer] of [...this.identities]) {
      const parsed = parseIdentityKey(key);
      if (parsed !== undefined) yield { ...parsed, customer };
    }
  }

  async importCustomers(records: ReadonlyArray<ImportEntry>, marker?: { key: string; value: unknown }): Promise<void> {
    this.check();
    if (marker !== undefined) await this.putMeta(marker.key, marker.value);
    for (const { id, record, unlink } of structuredClone(records)) {
      this.customers.set(id, record);
      for (const [kind, values] of Object.entries(unlink ?? {}) as Array<[ContactIdentifierKind, string[]]>) {
        for (const v of values) if (this.identities.get(identityKey(kind, v)) === id) this.identities.delete(identityKey(kind, v));
      }
      for (const [kind, values] of Object.entries(record.identifiers) as Array<[ContactIdentifierKind, string[]]>) {
        for (const v of values) this.identities.set(identityKey(kind, v), id);
      }
    }
  }

  countImported(): Promise<number> {
    this.check();
    return Promise.resolve(this.customers.size);
  }

  listOutbox(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> {
    this.check();
    const q = this.queues.get(channel);
    const list: OutboxRecord[] = [];
    if (q === undefined) return Promise.resolve(list);
    for (let i = afterSeq === undefined ? 0 : firstAfter(q.seqs, afterSeq); i < q.seqs.length && list.length < limit; i++) {
      const r = this.outbox.get(outboxKey(channel, q.instances[i]!));
      // A stale slot: removed, or committed again further on.
      if (r !== undefined && r.seq === q.seqs[i]) list.push(r);
    }
    return Promise.resolve(structuredClone(list));
  }

  getOutbox(channel: string, instance: string): Promise<OutboxRecord | undefined> {
    this.check();
    const r = this.outbox.get(outboxKey(channel, instance));
    return Promise.resolve(r === undefined ? undefined : structuredClone(r));
  }

  removeOutbox(channel: string, instance: string): Promise<boolean> {
    this.check();
    const removed = this.outbox.delete(outboxKey(channel, instance));
    if (removed) this.unqueue(channel);
    return Promise.resolve(removed);
  }

  /** Counts a stale slot in a channel's queue; drops the stale slots once they are half of it. */
  private unqueue(channel: string): void {
    const q = this.queues.get(channel);
    if (q === undefined) return;
    q.stale++;
    if (q.stale * 2 < q.seqs.length) return;
    const seqs: number[] = [];
    const instances: string[] = [];
    for (let i = 0; i < q.seqs.length; i++) {
      const instance = q.instances[i]!;
      if (this.outbox.get(outboxKey(channel, instance))?.seq !== q.seqs[i]) continue;
      seqs.push(q.seqs[i]!);
      instances.push(instance);
    }
    if (seqs.length === 0) this.queues.delete(channel);
    else this.queues.set(channel, { seqs, instances, stale: 0 });
  }

  failOutbox(channel: string, instance: string, reason: string, next: { retryAt?: number; dead?: boolean } = {}): Promise<boolean> {
    this.check();
    const r = this.outbox.get(outboxKey(channel, instance));
    if (r === undefined) return Promise.resolve(false);
    this.outbox.set(outboxKey(channel, instance), failed(r, reason, next));
    return Promise.resolve(true);
  }

  retryOutbox(channel: string, instance: string, audit?: AuditDraft): Promise<boolean> {
    this.check();
    const r = this.outbox.get(outboxKey(channel, instance));
    if (r === undefined) return Promise.resolve(false);
    let entry: AuditRecord | undefined;
    try {
      entry = audit === undefined ? undefined : sealAudit(this.auditEntries.at(-1), audit);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.outbox.set(outboxKey(channel, instance), retried(r));
    if (entry !== undefined) this.auditEntries.push(entry);
    tellAudited(this, entry);
    return Promise.resolve(true);
  }

  listStops(): Promise<StopEntry[]> {
    this.check();
    return Promise.resolve(structuredClone([...this.stops.values()]));
  }

  putStop(entry: StopEntry): Promise<void> {
    this.check();
    this.stops.set(stopStorageKey(entry.key, entry.channel, entry.campaign), structuredClone(entry));
    return Promise.resolve();
  }

  deleteStop(key: string, channel: string | undefined, campaign: string | undefined): Promise<boolean> {
    this.check();
    return Promise.resolve(this.stops.delete(stopStorageKey(key, channel, campaign)));
  }

  getMeta(key: string): Promise<unknown> {
    this.check();
    return Promise.resolve(structuredClone(this.meta.get(key)));
  }

  putMeta(key: string, value: unknown): Promise<void> {
    this.check();
    this.meta.set(key, structuredClone(value));
    return Promise.resolve();
  }

  /** No tombstone here (one node): written as `putMeta`; the node refuses a write naming an erased customer itself. */
  async putMetaUnlessErased(key: string, value: unknown, _customers: readonly string[]): Promise<boolean> {
    await this.putMeta(key, value);
    return true;
  }

  deleteMeta(keys: readonly string[]): Promise<void> {
    this.check();
    for (const key of keys) this.meta.delete(key);
    return Promise.resolve();
  }

  listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    this.check();
    const keys = [...this.meta.keys()].filter((k) => k.startsWith(prefix)).sort();
    return Promise.resolve(keys.slice(-limit).map((key) => ({ key, value: structuredClone(this.meta.get(key)) })));
  }

  appendAudit(draft: AuditDraft, change: AuditChange = {}): Promise<AuditRecord | undefined> {
    // A throw becomes the promise's rejection.
    return Promise.resolve().then(() => this.appendAuditNow(draft, change));
  }

  private appendAuditNow(draft: AuditDraft, change: AuditChange): AuditRecord | undefined {
    this.check();
    const d = change.deleteStop;
    const dk = d === undefined ? undefined : stopStorageKey(d.key, d.channel, d.campaign);
    if (dk !== undefined && !this.stops.has(dk)) return undefined;
    // Everything that can fail before anything is written: all or nothing.
    const entry = sealAudit(this.auditEntries.at(-1), draft);
    const put = structuredClone(change.putStop);
    const meta = structuredClone(change.meta ?? []);
    if (dk !== undefined) this.stops.delete(dk);
    if (put !== undefined) this.stops.set(stopStorageKey(put.key, put.channel, put.campaign), put);
    for (const m of meta) this.meta.set(m.key, m.value);
    this.auditEntries.push(entry);
    tellAudited(this, entry);
    return structuredClone(entry);
  }

  listAudit(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    this.check();
    // In stored order: a tampered trail is read as it is stored.
    return Promise.resolve(structuredClone(this.auditEntries.filter((e) => e.seq > afterSeq).slice(0, limit)));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
