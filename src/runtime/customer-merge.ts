import type { CustomerContext, MergeCounts, OutboxEntry } from '../../actors/index.js';
import { contactIdentifierKinds, identifierList, mergeCustomers } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError, asKairosError } from '../errors.js';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';
import type { AuditDraft, CustomerQueues, IdentityLink, Store } from '../store/store.js';
import { StaleSnapshotError, rehomedReminder } from '../store/store.js';
import type { Actors } from './activation.js';
import type { Identities } from './identity.js';
import type { IdentityConflicts } from './identity-conflicts.js';
import type { PersistedCustomer } from './live-customer.js';
import type { Mailboxes } from './mailboxes.js';
import { SNAPSHOT_VERSION } from './snapshot-migrations.js';
import type { WriteBehind } from './write-behind.js';

/** How many times a merge another node's writes refused is tried again. */
const MAX_ATTEMPTS = 20;

/** Where a merged customer's forwarding is kept: a store meta entry, by the loser's id. */
export const FORWARD_PREFIX = 'customer-forward/';

/** How much a profile holds, before and after a merge (for its reply and the audit trail). */
export interface ProfileSizes {
  identifiers: number;
  contacts: number;
  pending: number;
  responses: number;
  consents: number;
}

/** What a merge did: the two ids, what it combined, and the sizes before and after. */
export interface MergeOutcome {
  into: string;
  from: string;
  at: number;
  counts: MergeCounts;
  before: { into: ProfileSizes; from: ProfileSizes };
  after: ProfileSizes;
}

function sizes(ctx: CustomerContext): ProfileSizes {
  return {
    identifiers: contactIdentifierKinds.reduce((n, k) => n + ctx.identifiers[k].length, 0),
    contacts: ctx.contacts.length,
    pending: ctx.pending.length,
    responses: ctx.responses.length,
    consents: Object.keys(ctx.consents).length,
  };
}

/**
 * The survivor's state with the loser's merged in (`mergeCustomers`, the survivorship rules),
 * the loser's identifiers as links to the survivor, and what the merge did.
 */
function combined(into: string, from: string, survivor: PersistedCustomer, b: CustomerContext, now: number): { merged: PersistedCustomer; links: IdentityLink[]; outcome: MergeOutcome } {
  const a = survivor.context;
  const { ctx, counts } = mergeCustomers(a, b, now);
  const links = identifierList(b.identifiers).map((i) => ({ ...i, customer: into }));
  return { merged: { value: survivor.value, context: ctx }, links, outcome: { into, from, at: now, counts, before: { into: sizes(a), from: sizes(b) }, after: sizes(ctx) } };
}

export interface CustomerMergeOptions {
  store: Store;
  clock: Clock;
  mailboxes: Mailboxes;
  actors: Actors;
  writeBehind: WriteBehind;
  identities: Identities;
  /** the identity conflicts of this store: those naming the loser are closed or re-pointed with its erasure (`IdentityConflicts.merged`) */
  conflicts?: Pick<IdentityConflicts, 'merged'>;
}

/**
 * Merges two profiles of one person (docs/identity.md): holding both customers' mailboxes
 * (the lower id's first, so two merges cannot wait for each other), after every earlier
 * message of either, it commits in one store transaction the survivor's merged state
 * (`mergeCustomers`), the loser's identifiers linked to the survivor, the loser's
 * forwarding, and the loser's outbox entries and reminders moved to the survivor; then
 * erases the loser, with the identity conflicts naming it: those between the two closed
 * (`merged`), those with a third customer re-pointed to the survivor (`IdentityConflicts.merged`,
 * which logs a failure and never fails the merge). Both actors leave memory: the next message
 * reads the merged state.
 */
export class CustomerMerge {
  constructor(private readonly o: CustomerMergeOptions) {}

  /**
   * `audit` makes the merge's audit entry from its outcome; it is written in the last of the
   * merge's transactions, the loser's erasure (docs/audit.md).
   */
  merge(into: string, from: string, audit?: (outcome: MergeOutcome) => AuditDraft): Promise<MergeOutcome> {
    if (into === from) return Promise.reject(new KairosError('invalid', `field "from": a customer cannot be merged into itself ("${into}")`));
    const [first, second] = into < from ? [into, from] : [from, into];
    return this.holding(first, () => this.holding(second, () => this.mergeHeld(into, from, audit)));
  }

  /** Losers held for a merge across shards (`mergeOut`): what lets each go, erased or not. */
  private readonly leaving = new Map<string, (erase: string | undefined) => Promise<void>>();

  /**
   * The loser's side of a merge across shards (src/shards/sharded-identity.ts): its state and
   * queues read after every earlier message of it, its mailbox then held (nothing else of it
   * is decided here) until `endMergeOut`, or LEAVING_HOLD_MS.
   */
  async mergeOut(from: string): Promise<Departing> {
    // (a read the node gave up on, answered late: let go first; the node makes one merge at a time)
    await this.leaving.get(from)?.(undefined);
    return new Promise((resolve, reject) => {
      this.o.mailboxes.enqueue(from, async () => {
        try {
          const to = (await this.o.store.getMeta(FORWARD_PREFIX + from)) as { to: string } | undefined;
          if (to !== undefined) throw new KairosError('conflict', `customer "${from}" was merged into "${to.to}"`);
          const loser = await this.o.actors.liveFor(from);
          if (loser === undefined) throw new KairosError('unknown_customer', `no customer "${from}"`);
          await this.o.writeBehind.flush();
          const queues = (await this.o.store.customerQueues?.(from)) ?? { outbox: [], reminders: [] };
          const forwarded = forwardingTo(from, await this.o.store.listMeta(FORWARD_PREFIX, Number.MAX_SAFE_INTEGER));
          resolve({ state: { value: loser.snapshot.value, context: loser.snapshot.context }, queues, forwarded });
        } catch (err) {
          reject(asKairosError(err));
          return;
        }
        let ended: (into: string | undefined) => void = () => undefined;
        const end = new Promise<string | undefined>((r) => (ended = r));
        let finished: Promise<void> = Promise.resolve();
        this.leaving.set(from, (into) => {
          ended(into);
          return finished;
        });
        const timer = setTimeout(() => ended(undefined), LEAVING_HOLD_MS);
        const into = await end;
        clearTimeout(timer);
        // (marked leaving until erased: its deliveries wait behind the erasure, and then find their records gone)
        if (into !== undefined) await (finished = this.eraseLeaving(from));
        this.leaving.delete(from);
      });
    });
  }

  /** Whether a customer is held for a merge across shards (its deliveries wait behind the merge: `sendFacts`). */
  isLeaving(id: string): boolean {
    return this.leaving.has(id);
  }

  /**
   * Ends the loser's side of a merge across shards: with `into`, the survivor's shard has the
   * loser merged in, so the loser is erased here (what `mergeOut` held, or, after a restart of
   * this shard, the loser as it is now); without it, it is let go, nothing changed.
   */
  endMergeOut(from: string, into: string | undefined): Promise<void> {
    const held = this.leaving.get(from);
    if (held !== undefined) return held(into);
    return into === undefined ? Promise.resolve() : this.holding(from, () => this.eraseLeaving(from));
  }

  /** Erases a loser merged into a customer of another shard: its identifiers, outbox entries and reminders are the survivor's there. */
  private async eraseLeaving(from: string): Promise<void> {
    const live = await this.o.actors.liveFor(from);
    if (live === undefined) return;
    const links = identifierList(live.snapshot.context.identifiers);
    await this.o.writeBehind.flush();
    this.o.actors.unload(live);
    this.o.identities.dropCustomer(from);
    await this.o.store.eraseCustomer(from, links);
  }

  /**
   * The survivor's side of a merge across shards: the loser's state (`mergeOut` in its shard)
   * merged into the survivor's as a single node merges (`mergeCustomers`), and in the same
   * transaction the loser's identifiers linked to the survivor, its outbox entries queued
   * again as the survivor's (same instance ids; their attempts start again), its reminders
   * set as the survivor's (one the survivor has by that name stands), and its forwarding kept
   * here with the outcome. Asked again for the same pair (a merge finished after a restart),
   * it answers that outcome and merges nothing twice; its audit entry is written once.
   */
  mergeIn(into: string, from: string, departing: Departing | undefined, audit?: (outcome: MergeOutcome) => AuditDraft): Promise<MergeOutcome> {
    if (into === from) return Promise.reject(new KairosError('invalid', `field "from": a customer cannot be merged into itself ("${into}")`));
    return this.holding(into, async () => {
      const done = (await this.o.store.getMeta(FORWARD_PREFIX + from)) as ForwardRecord | undefined;
      if (done !== undefined) {
        if (done.to !== into || done.outcome === undefined) throw new KairosError('conflict', `customer "${from}" was merged into "${done.to}"`);
        if (done.audited !== true && audit !== undefined) await this.audited(from, done, audit);
        return done.outcome;
      }
      const to = (await this.o.store.getMeta(FORWARD_PREFIX + into)) as { to: string } | undefined;
      if (to !== undefined) throw new KairosError('conflict', `customer "${into}" was merged into "${to.to}"`);
      // (asked for the outcome of a merge this shard never made)
      if (departing === undefined) throw new KairosError('not_found', `customer "${from}" was not merged into "${into}" here`);
      const outcome = await this.againIfStale([into], () => this.attemptIn(into, from, departing));
      if (audit !== undefined) await this.audited(from, { to: into, at: outcome.at, outcome }, audit);
      return outcome;
    });
  }

  private async audited(from: string, record: ForwardRecord, audit: (outcome: MergeOutcome) => AuditDraft): Promise<void> {
    if (record.outcome === undefined) return;
    await this.o.store.appendAudit(audit(record.outcome), { meta: [{ key: FORWARD_PREFIX + from, value: { ...record, audited: true } }] });
  }

  private async attemptIn(into: string, from: string, departing: Departing): Promise<MergeOutcome> {
    const survivor = await this.o.actors.liveFor(into);
    if (survivor === undefined) throw new KairosError('unknown_customer', `no customer "${into}"`);
    await this.o.writeBehind.flush();
    const now = this.o.clock.now();
    const { merged, links, outcome } = combined(into, from, survivor.snapshot, departing.state.context, now);
    const own = new Set(((await this.o.store.customerQueues?.(into)) ?? { reminders: [] }).reminders.map((r) => r.key));
    await this.o.store.commit({
      snapshots: [{ id: into, value: { v: SNAPSHOT_VERSION, snapshot: merged }, expectRevision: survivor.rev }],
      identities: links,
      outbox: departing.queues.outbox.map((r) => requeued(r, into)),
      reminders: { set: departing.queues.reminders.map((r) => rehomedReminder(r, from, into)).filter((r) => !own.has(r.key)), remove: [] },
      // (and those merged into the loser before: forwarded to the survivor, as a single node's chain of merges ends there)
      meta: [{ key: FORWARD_PREFIX + from, value: { to: into, at: now, outcome } satisfies ForwardRecord }, ...departing.forwarded.map((id) => ({ key: FORWARD_PREFIX + id, value: { to: into, at: now } }))],
      sync: true,
    });
    this.o.actors.unload(survivor);
    return outcome;
  }

  private holding<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.o.mailboxes.enqueue(id, async () => {
        try {
          resolve(await fn());
        } catch (err) {
          reject(asKairosError(err));
        }
      });
    });
  }

  private async mergeHeld(into: string, from: string, audit: ((outcome: MergeOutcome) => AuditDraft) | undefined): Promise<MergeOutcome> {
    for (const id of [into, from]) {
      const to = await this.o.store.getMeta(FORWARD_PREFIX + id);
      if (to !== undefined) throw new KairosError('conflict', `customer "${id}" was merged into "${(to as { to: string }).to}"`);
    }
    // Another node wrote either customer since it was read (its events keep coming): merged
    // again on the fresh state. A refused commit wrote the links and the forwarding (they
    // name the survivor either way), not the two snapshots.
    return this.againIfStale([into, from], () => this.attempt(into, from, audit));
  }

  /** `attempt` tried again (up to MAX_ATTEMPTS) on the fresh state of `ids` while another node's writes refuse its commit. */
  private async againIfStale<T>(ids: readonly string[], attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof StaleSnapshotError) || n >= MAX_ATTEMPTS) throw err;
        for (const id of ids) {
          const live = this.o.actors.get(id);
          if (live !== undefined) this.o.actors.unload(live);
        }
      }
    }
  }

  private async attempt(into: string, from: string, audit: ((outcome: MergeOutcome) => AuditDraft) | undefined): Promise<MergeOutcome> {
    const survivor = await this.o.actors.liveFor(into);
    if (survivor === undefined) throw new KairosError('unknown_customer', `no customer "${into}"`);
    const loser = await this.o.actors.liveFor(from);
    if (loser === undefined) throw new KairosError('unknown_customer', `no customer "${from}"`);
    // Whatever either has not committed yet goes first: the merge builds on the stored state.
    await this.o.writeBehind.flush();
    const now = this.o.clock.now();
    const { merged, links, outcome } = combined(into, from, survivor.snapshot, loser.snapshot.context, now);
    const unchanged: PersistedCustomer = { value: loser.snapshot.value, context: loser.snapshot.context };
    await this.o.store.commit({
      snapshots: [
        { id: into, value: { v: SNAPSHOT_VERSION, snapshot: merged }, expectRevision: survivor.rev },
        // Written as it is, for the revision check: another node's change of the loser refuses the merge.
        { id: from, value: { v: SNAPSHOT_VERSION, snapshot: unchanged }, expectRevision: loser.rev },
      ],
      identities: links,
      outbox: [],
      meta: [{ key: FORWARD_PREFIX + from, value: { to: into, at: now } }],
      // The loser's queued outbox entries and reminders become the survivor's, keeping their
      // instance ids: the survivor's contacts hold the loser's offers, and the forwarding
      // takes their delivery reports and replies to it.
      rehome: { from, to: into },
      sync: true,
    });
    this.o.actors.unload(survivor);
    this.o.actors.unload(loser);
    this.o.identities.dropCustomer(from);
    // The loser's identifiers, outbox entries and reminders are the survivor's now: none is erased
    // with it. The conflicts naming it are the survivor's too: closed or re-pointed first, those
    // re-pointed then removed with it (on Redis, looked for after its tombstone).
    const conflicts = this.o.conflicts;
    await this.o.store.eraseCustomer(from, [], audit?.(outcome), conflicts === undefined ? undefined : () => conflicts.merged(from, into));
    return outcome;
  }
}

/** How long a loser's mailbox is held for a merge across shards (`mergeOut`) before it is let go, nothing changed. */
export const LEAVING_HOLD_MS = 120_000;

/** A loser's part of a merge across shards: read in its shard (`mergeOut`), merged in the survivor's (`mergeIn`). */
export interface Departing {
  /** its persisted state, as a snapshot holds it */
  state: PersistedCustomer;
  /** its queued outbox entries (dead letters too) and reminders */
  queues: CustomerQueues;
  /** customers merged into it before (their forwarding in its shard): they forward to the survivor from now on */
  forwarded: string[];
}

/** A forwarding as the survivor's store keeps it after a merge across shards: with the merge's outcome, so that asking again answers it. */
interface ForwardRecord {
  to: string;
  at: number;
  outcome?: MergeOutcome;
  audited?: boolean;
}

/** An outbox record as an entry queued anew for `customer`: the same channel, instance and content; its place and attempts start again. */
function requeued(r: OutboxRecord, customer: string): OutboxEntry {
  const { seq: _seq, attempts: _attempts, ...entry } = r;
  return { ...entry, customer };
}

/** The customers whose forwarding (`FORWARD_PREFIX` meta entries) leads to `id`, through any chain of merges. */
export function forwardingTo(id: string, forwards: ReadonlyArray<{ key: string; value: unknown }>): string[] {
  const byTarget = new Map<string, string[]>();
  for (const { key, value } of forwards) {
    const to = (value as { to: string }).to;
    byTarget.set(to, [...(byTarget.get(to) ?? []), key.slice(FORWARD_PREFIX.length)]);
  }
  const out: string[] = [];
  const seen = new Set<string>([id]);
  for (let i = -1; i < out.length; i++) {
    for (const from of byTarget.get(i < 0 ? id : out[i]!) ?? []) {
      if (seen.has(from)) continue;
      seen.add(from);
      out.push(from);
    }
  }
  return out;
}

/** A merge's audit entry: `draft` (who, when, what) with what the merge changed, before and after (docs/audit.md). */
export function mergeAudit(draft: AuditDraft, m: MergeOutcome): AuditDraft {
  return { ...draft, target: `customer:${m.into}`, before: { from: m.from, into: m.before.into, loser: m.before.from }, after: { into: m.after, counts: m.counts } };
}

/** The customer an id names now: itself, or the survivor it was merged into (followed through at most 16 merges). */
export async function forwarded(store: Store, id: string): Promise<string | undefined> {
  let at = id;
  for (let hops = 0; hops < 16; hops++) {
    const to = (await store.getMeta(FORWARD_PREFIX + at)) as { to: string } | undefined;
    if (to === undefined) return hops === 0 ? undefined : at;
    at = to.to;
  }
  return at;
}
