import type { ContactIdentifierKind, CustomerContext, MergeCounts } from '../../actors/index.js';
import { contactIdentifierKinds, mergeCustomers } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError, asKairosError } from '../errors.js';
import type { AuditDraft, Store } from '../store/store.js';
import { StaleSnapshotError } from '../store/store.js';
import type { Actors } from './activation.js';
import type { Identities } from './identity.js';
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

export interface CustomerMergeOptions {
  store: Store;
  clock: Clock;
  mailboxes: Mailboxes;
  actors: Actors;
  writeBehind: WriteBehind;
  identities: Identities;
}

/**
 * Merges two profiles of one person (docs/identity.md): holding both customers' mailboxes
 * (the lower id's first, so two merges cannot wait for each other), after every earlier
 * message of either, it commits in one store transaction the survivor's merged state
 * (`mergeCustomers`), the loser's identifiers linked to the survivor, the loser's
 * forwarding, and the loser's outbox entries and reminders moved to the survivor; then
 * erases the loser. Both actors leave memory: the next message reads the
 * merged state.
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
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(into, from, audit);
      } catch (err) {
        if (!(err instanceof StaleSnapshotError) || attempt >= MAX_ATTEMPTS) throw err;
        for (const id of [into, from]) {
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
    const a = survivor.snapshot.context;
    const b = loser.snapshot.context;
    const { ctx, counts } = mergeCustomers(a, b, now);
    const merged: PersistedCustomer = { value: survivor.snapshot.value, context: ctx };
    const unchanged: PersistedCustomer = { value: loser.snapshot.value, context: b };
    const links = contactIdentifierKinds.flatMap((kind: ContactIdentifierKind) => b.identifiers[kind].map((value) => ({ kind, value, customer: into })));
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
    const outcome: MergeOutcome = { into, from, at: now, counts, before: { into: sizes(a), from: sizes(b) }, after: sizes(ctx) };
    // The loser's identifiers, outbox entries and reminders are the survivor's now: none is erased with it.
    await this.o.store.eraseCustomer(from, [], audit?.(outcome));
    return outcome;
  }
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
