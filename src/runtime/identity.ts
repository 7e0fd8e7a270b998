import { randomBytes } from 'node:crypto';
import type { ContactIdentifierKind, CustomerInput, CustomerRef } from '../../actors/index.js';
import { contactIdentifierKinds, firstSight } from '../../actors/index.js';
import type { ErrorCode } from '../errors.js';
import type { IdentityLink, Store } from '../store/store.js';
import { identityKey } from '../store/store.js';
import type { Live } from './live-customer.js';

/**
 * Who a request is for; `identity`: the store named them by this identifier (remembered once
 * they are live); `withheld`: identifiers the event names that belong to another customer (a
 * conflict): the event is decided without them, so they are not linked to this customer.
 */
export type Resolution = { id: string; identity?: { key: string; epoch: number }; withheld?: ContactIdentifierKind[] } | { error: ErrorCode; message: string };

/** An identifier an event names for `claimant` that is linked to `holder`: never relinked, recorded for review. */
export interface IdentityConflict {
  kind: ContactIdentifierKind;
  value: string;
  holder: string;
  claimant: string;
}

export interface IdentitiesOptions {
  store: Store;
  /** whether a customer is live in this host */
  isLive: (id: string) => boolean;
  /** the customer's live actor, if any */
  live: (id: string) => Live | undefined;
  /** lets the store bring a customer's records into memory before they are read */
  prefetch: (id: string) => Promise<void>;
  /** remember store lookups while the customer is live (false when other nodes may link identifiers) */
  remember: boolean;
  /** the survivor a merged customer's id forwards to, if it was merged */
  forward?: (id: string) => Promise<string | undefined>;
  /** a login: `customer` named with the cookie of `visitor` (before the event is decided) */
  onLogin?: (customer: string, visitor: string) => Promise<void>;
  /** records a conflict (durably) before the event it came with is decided */
  onConflict?: (conflict: IdentityConflict) => Promise<void>;
  /** the id of a customer created on first sight (a shard's own: src/shards/shard-of.ts); random when absent */
  newId?: (prefix: 'v' | 'p') => string;
}

/** Whether an id is a visitor's (an anonymous profile created on first sight of a cookie), not a person's. */
export function isVisitorId(id: string): boolean {
  return id.startsWith('v-');
}

export function newCustomerId(prefix: 'v' | 'p'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

/**
 * Identity resolution: who an event is about, by bank id, card, phone, e-mail or cookie.
 * Links a customer's step makes (and a new customer's identifiers) are pending until their
 * commit and read before the store, so the next event naming them resolves at once; a
 * customer seen for the first time is created (a visitor, or a prospect when a card, phone
 * or e-mail names them) and activated from `creating`.
 */
export class Identities {
  /** identity links not yet committed: read before the store so new customers resolve at once */
  private readonly pending = new Map<string, IdentityLink>();
  /**
   * Identifiers the store resolved to a customer who is live, while they stay live (single-node
   * stores, where every link is written through this host): an event naming a live customer by
   * card, phone, e-mail or cookie does not read the store. A new link of an identifier drops
   * its entry; releasing or erasing the customer drops theirs.
   */
  private readonly known = new Map<string, string>();
  /** bumped by every new identity link: a store lookup that a link overtook is not remembered */
  private epoch = 0;
  /** customers created on first sight, until their actor is activated */
  private readonly creating = new Map<string, CustomerInput>();

  constructor(private readonly o: IdentitiesOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * The customer an event names, by its strongest identifier: the bank's customer id, then
   * card, phone, e-mail, cookie (`contactIdentifierKinds`' order). Every weaker identifier it
   * names that is linked to someone else is withheld (not linked) and recorded as a conflict.
   */
  async resolve(ref: CustomerRef, now: number): Promise<Resolution> {
    let found: { id: string; identity?: { key: string; epoch: number }; by?: ContactIdentifierKind } | undefined;
    const named = ref.id === undefined ? undefined : await this.current(ref.id);
    if (named !== undefined && (await this.exists(named))) found = { id: named };
    else {
      for (const kind of contactIdentifierKinds) {
        const value = ref[kind];
        if (value === undefined) continue;
        const owner = await this.owner(kind, value);
        if (owner !== undefined) {
          found = { ...owner, by: kind };
          break;
        }
      }
    }
    if (found === undefined) {
      if (ref.id !== undefined) {
        return { error: 'unknown_customer', message: `no customer "${ref.id}"; bank customer ids must be imported before events name them` };
      }
      // Another event may have created this customer while we were reading the store.
      for (const kind of contactIdentifierKinds) {
        const value = ref[kind];
        const pending = value === undefined ? undefined : this.pending.get(identityKey(kind, value));
        if (pending !== undefined) return { id: pending.customer };
      }
      return { id: this.create(ref, now) };
    }
    const withheld = await this.conflicts(ref, found.id, found.by);
    const out: Resolution = { id: found.id };
    if (found.identity !== undefined) out.identity = found.identity;
    if (withheld.length > 0) out.withheld = withheld;
    return out;
  }

  /**
   * What `resolve` answers, when memory answers it without a wait (the hot path's synchronous
   * case): the event names one identifier, and it is the id of a customer live or being
   * created, or a contact identifier with a link pending or remembered. Otherwise undefined:
   * `resolve` it (a store read, a conflict check across identifiers, a creation).
   */
  resolveNow(ref: CustomerRef): Resolution | undefined {
    let named: ContactIdentifierKind | undefined;
    for (const kind of contactIdentifierKinds) {
      if (ref[kind] === undefined) continue;
      if (named !== undefined || ref.id !== undefined) return undefined;
      named = kind;
    }
    if (ref.id !== undefined) return this.o.isLive(ref.id) || this.creating.has(ref.id) ? { id: ref.id } : undefined;
    if (named === undefined) return undefined;
    const key = identityKey(named, ref[named] as string);
    const owner = this.pending.get(key)?.customer ?? this.known.get(key);
    return owner === undefined ? undefined : { id: owner };
  }

  /** The identifiers besides `by` that `ref` names and another customer holds: recorded, and withheld from the event. */
  private async conflicts(ref: CustomerRef, id: string, by: ContactIdentifierKind | undefined): Promise<ContactIdentifierKind[]> {
    const withheld: ContactIdentifierKind[] = [];
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined || kind === by) continue;
      const owner = await this.owner(kind, value);
      if (owner === undefined || owner.id === id) continue;
      // A visitor's cookie named with a customer (a login): the device is the customer's now.
      if (kind === 'cookie' && isVisitorId(owner.id)) {
        if (!isVisitorId(id)) await this.o.onLogin?.(id, owner.id);
        continue;
      }
      withheld.push(kind);
      await this.o.onConflict?.({ kind, value, holder: owner.id, claimant: id });
    }
    return withheld;
  }

  /** Who an identifier is linked to: a pending link, a remembered lookup, or the store. */
  private async owner(kind: ContactIdentifierKind, value: string): Promise<{ id: string; identity?: { key: string; epoch: number } } | undefined> {
    const key = identityKey(kind, value);
    const pending = this.pending.get(key);
    if (pending !== undefined) return { id: pending.customer };
    const known = this.known.get(key);
    if (known !== undefined) return { id: known };
    const epoch = this.epoch;
    const found = await this.o.store.lookupIdentity(kind, value);
    return found === undefined ? undefined : { id: found, identity: { key, epoch } };
  }

  /**
   * A new link of an identifier, written with the next commit; it supersedes what resolved it
   * before. A customer's link (not a creation: a new customer's identifiers resolved to no one)
   * also voids what store lookups in flight will answer. An identifier pending for another
   * customer (linked by an event resolved meanwhile) is never relinked, but for a visitor's
   * cookie (a login).
   */
  link(kind: ContactIdentifierKind, value: string, customer: string, relink: boolean): void {
    const key = identityKey(kind, value);
    const current = this.pending.get(key);
    if (current !== undefined && current.customer !== customer && !(kind === 'cookie' && isVisitorId(current.customer))) return;
    this.pending.set(key, { kind, value, customer });
    this.known.delete(key);
    if (relink) this.epoch++;
  }

  /**
   * An identifier the bank's master data took away from `customer` (unlinked in the store by
   * the import): forgotten here, and store lookups in flight are not remembered, so the next
   * event naming it reads the store (no one, or the customer it was given to since).
   */
  unlinked(kind: ContactIdentifierKind, value: string, customer: string): void {
    const key = identityKey(kind, value);
    if (this.known.get(key) === customer) this.known.delete(key);
    if (this.pending.get(key)?.customer === customer) this.pending.delete(key);
    this.epoch++;
  }

  /**
   * Remembers what the store resolved an identifier to, once that customer is live, unless a
   * link was made since the lookup began (it may have read the store before the link), or the
   * store is shared (another node may link the identifier).
   */
  remember(key: string, customer: string, epoch: number): void {
    if (!this.o.remember || epoch !== this.epoch) return;
    const live = this.o.live(customer);
    if (live === undefined) return;
    this.known.set(key, customer);
    const keys = (live.identityKeys ??= []);
    if (!keys.includes(key)) keys.push(key);
  }

  /** Forgets the identifiers remembered for an actor leaving memory. */
  released(live: Live): void {
    for (const key of live.identityKeys ?? []) if (this.known.get(key) === live.id) this.known.delete(key);
    live.identityKeys = undefined;
  }

  /** The input of a customer created on first sight, until its actor is activated. */
  creation(id: string): CustomerInput | undefined {
    return this.creating.get(id);
  }

  /** The customer's actor is activated (or gone): no longer being created. */
  activated(id: string): void {
    this.creating.delete(id);
  }

  /** Drops what is not committed of a customer: its creation and its pending links. */
  dropCustomer(id: string): void {
    this.creating.delete(id);
    for (const [key, link] of this.pending) if (link.customer === id) this.pending.delete(key);
  }

  /** The pending links of the customers `inBatch` names, for a commit. */
  linksFor(inBatch: (customer: string) => boolean): IdentityLink[] {
    return [...this.pending.values()].filter((l) => inBatch(l.customer));
  }

  /** These links are committed: the store answers for them now (unless linked again since). */
  committed(links: readonly IdentityLink[]): void {
    for (const l of links) {
      const key = identityKey(l.kind, l.value);
      if (this.pending.get(key) === l) this.pending.delete(key);
    }
  }

  /** Forgets every remembered identifier (shutdown). */
  clear(): void {
    this.known.clear();
  }

  /** The customer an id names now: itself, or, once merged, the survivor it forwards to. */
  async current(id: string): Promise<string> {
    if (this.o.forward === undefined || (await this.exists(id))) return id;
    return (await this.o.forward(id)) ?? id;
  }

  private async exists(id: string): Promise<boolean> {
    if (this.o.isLive(id) || this.creating.has(id)) return true;
    await this.o.prefetch(id);
    return this.o.store.hasCustomer(id);
  }

  /** First sight of an identifier: a visitor (only a cookie) or a prospect (a card, phone or e-mail). */
  private create(ref: CustomerRef, now: number): string {
    const { stage, idPrefix } = firstSight(ref);
    const id = this.o.newId === undefined ? newCustomerId(idPrefix) : this.o.newId(idPrefix);
    const identifiers: Partial<Record<ContactIdentifierKind, string[]>> = {};
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined) continue;
      identifiers[kind] = [value];
      this.link(kind, value, id, false);
    }
    this.creating.set(id, { id, stage, identifiers, at: now, reason: 'first_event' });
    return id;
  }
}
