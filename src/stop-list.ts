import { createHash, createHmac } from 'node:crypto';
import type { CustomerRef, Identifiers, IdentifierKind, StopScope } from '../actors/index.js';
import { contactIdentifierKinds, isChannel, normalizeIdentifier } from '../actors/index.js';
import { KairosError } from './errors.js';
import { stopKinds } from './schema/http/admin-schemas.js';
import type { StopEntry, StopKind, Store } from './store/store.js';
import type { AuditDraft } from './audit/audit-chain.js';
import { DEMO_STOP_LIST_SECRET } from './config.js';

/**
 * The stop list: customers and identifiers (phone, e-mail, card, cookie) that get nothing,
 * globally or on one channel or for one campaign. Entries are keyed by an HMAC-SHA-256 of the
 * normalised identifier under a secret the store does not hold (`KAIROS_STOP_LIST_SECRET`),
 * so the list keeps no phone number or e-mail in clear, a copy of the store alone does not
 * let anyone try the 10^7 phone numbers a hint leaves, and the list survives the erasure of a
 * profile. Held in memory for the decision path, written through to the store.
 * Stores written before the HMAC keyed entries by a plain SHA-256: `migrate` re-keys them
 * (docs/privacy.md).
 */

export interface StopRequest {
  kind: StopKind;
  value: string;
  channel?: string;
  campaign?: string;
  reason?: string;
}

function identifierKindOf(kind: StopKind): IdentifierKind {
  return kind === 'customer' ? 'id' : kind;
}

/**
 * An entry's key: the first 40 hex digits of HMAC-SHA-256(`secret`, `kind:normalised`);
 * undefined when `value` is not a valid identifier of that kind. Every caller passes the
 * configured secret (`config.stopListSecret`, or `StopList.keyOf`).
 */
export function stopKey(kind: StopKind, value: string, secret: string): string | undefined {
  const normalized = normalizeIdentifier(identifierKindOf(kind), value);
  if (normalized === undefined) return undefined;
  return createHmac('sha256', secret).update(`${kind}:${normalized}`).digest('hex').slice(0, 40);
}

/** The key stores written before the HMAC used: an unsalted SHA-256 (read only to migrate them). */
export function legacyStopKey(kind: StopKind, value: string): string | undefined {
  const normalized = normalizeIdentifier(identifierKindOf(kind), value);
  if (normalized === undefined) return undefined;
  return createHash('sha256').update(`${kind}:${normalized}`).digest('hex').slice(0, 40);
}

/** A short fingerprint of the secret, kept in the store to notice a start with another secret. */
export function stopSecretFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('kairos stop-list secret check').digest('hex').slice(0, 16);
}

/**
 * A masked form for people reading the list, that does not make a guess cheap: a phone's
 * last two digits (`+7 *** *** ** 67`), an e-mail's first letter and domain, a card's last four,
 * a cookie's last two. A customer id is not personal data: shown as it is.
 */
export function maskIdentifier(kind: StopKind, value: string): string {
  switch (kind) {
    case 'customer':
      return value;
    case 'phone': {
      const v = normalizeIdentifier('phone', value) ?? value;
      return `${v.startsWith('+7') ? '+7' : '+'} *** *** ** ${v.slice(-2)}`;
    }
    case 'email': {
      const at = value.lastIndexOf('@');
      return `${value.slice(0, 1)}***@${at < 0 ? '' : value.slice(at + 1)}`;
    }
    case 'card':
      return `**** ${value.slice(-4)}`;
    case 'cookie':
      return `***${value.slice(-2)}`;
    default: {
      const never: never = kind;
      throw new KairosError('internal', `unhandled stop kind ${String(never)}`);
    }
  }
}

/** Meta keys of the stop list's keying: the secret's fingerprint, and the old keys not yet re-keyed. */
const KEYING_META = 'stop-list/keying';
const LEGACY_META = 'stop-list/legacy-keys';

interface Keying {
  scheme: 'hmac-sha256';
  fingerprint: string;
}

/** What `migrate` did: entries re-keyed under the HMAC, and old keys it found no identifier for. */
export interface StopListMigration {
  rekeyed: number;
  unmatched: string[];
}

export class StopList {
  private readonly byKey = new Map<string, StopEntry[]>();
  /** old SHA-256 keys that `migrate` could not re-key: still matched by their old key */
  private legacy = new Set<string>();

  /** `secret`: the configured `stopListSecret` (tests may leave the demo secret) */
  constructor(
    private readonly store: Store,
    private readonly secret: string = DEMO_STOP_LIST_SECRET,
  ) {}

  /** This list's key for an identifier (see `stopKey`). */
  keyOf(kind: StopKind, value: string): string | undefined {
    return stopKey(kind, value, this.secret);
  }

  /** Old SHA-256 keys still on the list, not re-keyed (reported by `migrate`). */
  get legacyKeys(): readonly string[] {
    return [...this.legacy];
  }

  /** the shared store's stop-list version this copy was loaded at (several nodes) */
  private version = -1;

  async load(): Promise<void> {
    const version = await this.store.coordination.stopListVersion();
    const entries = await this.store.listStops();
    const legacy = await this.store.getMeta(LEGACY_META);
    this.legacy = new Set(Array.isArray(legacy) ? legacy.filter((k): k is string => typeof k === 'string') : []);
    this.byKey.clear();
    for (const e of entries) this.index(e);
    this.version = version;
  }

  /**
   * On a store several nodes share: reloads the list when any node changed it since it was
   * loaded (one read of a version number), so a decision never misses an entry another node
   * added before it started.
   */
  async refresh(): Promise<void> {
    if (!this.store.coordination.shared) return;
    if ((await this.store.coordination.stopListVersion()) !== this.version) await this.load();
  }

  private index(e: StopEntry): void {
    const list = (this.byKey.get(e.key) ?? []).filter((x) => x.channel !== e.channel || x.campaign !== e.campaign);
    list.push(e);
    this.byKey.set(e.key, list);
  }

  get size(): number {
    let n = 0;
    for (const l of this.byKey.values()) n += l.length;
    return n;
  }

  list(): StopEntry[] {
    return [...this.byKey.values()].flat().sort((a, b) => a.at - b.at);
  }

  /**
   * The keys an identifier's entries may be under: its key, and its old SHA-256 key while an
   * entry of the old keying that no identifier matched is still kept (see migrate); none for a
   * value that cannot be that kind of identifier.
   */
  keysOf(kind: StopKind, value: string): string[] {
    const key = this.keyOf(kind, value);
    if (key === undefined) return [];
    const old = this.legacy.size > 0 ? legacyStopKey(kind, value) : undefined;
    return old !== undefined && this.legacy.has(old) ? [key, old] : [key];
  }

  /** The entries that apply to this customer: by id, by any identifier it holds or the event names. */
  scopesFor(customerId: string, identifiers: Identifiers | undefined, ref: CustomerRef): StopScope[] {
    if (this.byKey.size === 0) return [];
    const scopes: StopScope[] = [];
    const add = (kind: StopKind, value: string): void => {
      const key = this.keyOf(kind, value);
      let entries = key === undefined ? undefined : this.byKey.get(key);
      if (entries === undefined && this.legacy.size > 0) {
        const old = legacyStopKey(kind, value);
        if (old !== undefined && this.legacy.has(old)) entries = this.byKey.get(old);
      }
      if (entries === undefined) return;
      for (const e of entries) {
        const s: StopScope = {};
        if (e.channel !== undefined) s.channel = e.channel;
        if (e.campaign !== undefined) s.campaign = e.campaign;
        scopes.push(s);
      }
    };
    add('customer', customerId);
    for (const kind of contactIdentifierKinds) {
      const values = new Set([...(identifiers?.[kind] ?? []), ...(ref[kind] === undefined ? [] : [ref[kind]])]);
      for (const v of values) add(kind, v);
    }
    return scopes;
  }

  /**
   * The keys an opt-out of this customer would be written under: its id, each identifier it
   * holds, the address in `ref` (the send claim checks their markers on a shared store).
   */
  keysFor(customerId: string, identifiers: Identifiers | undefined, ref: CustomerRef): string[] {
    const keys = new Set<string>();
    const add = (kind: StopKind, value: string): void => {
      const key = this.keyOf(kind, value);
      if (key !== undefined) keys.add(key);
    };
    add('customer', customerId);
    for (const kind of contactIdentifierKinds) {
      for (const v of identifiers?.[kind] ?? []) add(kind, v);
      const r = ref[kind];
      if (r !== undefined) add(kind, r);
    }
    return [...keys];
  }

  /** Validates and adds an entry (replacing one with the same identifier and scope). */
  async add(req: StopRequest, at: number, by: string | undefined, audit?: (entry: StopEntry) => AuditDraft): Promise<StopEntry> {
    if (!stopKinds.includes(req.kind)) throw new KairosError('invalid', `field "kind": must be one of ${stopKinds.join(', ')}`);
    if (typeof req.value !== 'string') throw new KairosError('invalid', 'field "value": must be a string');
    const key = this.keyOf(req.kind, req.value);
    if (key === undefined) throw new KairosError('invalid', `field "value": not a valid ${req.kind}`);
    if (req.channel !== undefined && !isChannel(req.channel)) throw new KairosError('invalid', 'field "channel": unknown channel');
    if (req.campaign !== undefined && (typeof req.campaign !== 'string' || req.campaign === '')) {
      throw new KairosError('invalid', 'field "campaign": must be a campaign id');
    }
    if (req.reason !== undefined && typeof req.reason !== 'string') throw new KairosError('invalid', 'field "reason": must be a string');
    const entry: StopEntry = { key, kind: req.kind, hint: maskIdentifier(req.kind, req.value), at };
    if (req.channel !== undefined) entry.channel = req.channel;
    if (req.campaign !== undefined) entry.campaign = req.campaign;
    if (req.reason !== undefined) entry.reason = req.reason;
    if (by !== undefined) entry.by = by;
    // With an audit entry: written in the same transaction (docs/audit.md).
    if (audit === undefined) await this.store.putStop(entry);
    else await this.store.appendAudit(audit(entry), { putStop: entry });
    this.index(entry);
    return entry;
  }

  /**
   * A shard's copy of the node's list (src/shards/sharded-admin.ts), held in memory only: the
   * node's store is the authority, and hands the whole list to a shard at each start. Each of
   * these applies at once (nothing to wait for, nothing that can fail).
   */
  take(entry: StopEntry): void {
    this.index(entry);
  }

  drop(key: string, channel: string | undefined, campaign: string | undefined): void {
    const list = (this.byKey.get(key) ?? []).filter((x) => x.channel !== channel || x.campaign !== campaign);
    if (list.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, list);
  }

  /** The node's whole list, in place of this copy's. */
  replaceAll(entries: readonly StopEntry[]): void {
    this.byKey.clear();
    this.legacy.clear();
    for (const e of entries) this.index(e);
  }

  /** Removes the entry for this identifier and scope; false when there was none. */
  async remove(key: string, channel: string | undefined, campaign: string | undefined, audit?: AuditDraft): Promise<boolean> {
    const removed = audit === undefined ? await this.store.deleteStop(key, channel, campaign) : (await this.store.appendAudit(audit, { deleteStop: { key, channel, campaign } })) !== undefined;
    this.drop(key, channel, campaign);
    return removed;
  }

  /**
   * Brings the store's list to this secret's keys, once, at start (after `load`). A store
   * whose entries were written before the HMAC has no keying record: each identifier the
   * store knows (the identity index: imported and linked ones) and each customer id there
   * is hashed the old way, and an entry found under that old key is written again under the
   * HMAC key (hint and scope kept) and the old one removed. Old keys no identifier matched
   * are kept, matched by their old key, listed in the store and returned (the caller logs
   * them once). A store keyed with another secret is refused: its entries would no longer match.
   */
  async migrate(): Promise<StopListMigration> {
    const fingerprint = stopSecretFingerprint(this.secret);
    const keying = (await this.store.getMeta(KEYING_META)) as Keying | undefined;
    if (keying !== undefined) {
      if (keying.fingerprint !== fingerprint) {
        throw new KairosError('conflict', 'the stop list was keyed with another KAIROS_STOP_LIST_SECRET: start with that secret (docs/privacy.md)');
      }
      return { rekeyed: 0, unmatched: [...this.legacy] };
    }
    const old = [...this.byKey.keys()];
    let rekeyed = 0;
    if (old.length > 0) {
      const pending = new Set(old);
      const tryKind = async (kind: StopKind, value: string): Promise<void> => {
        const oldKey = legacyStopKey(kind, value);
        if (oldKey === undefined || !pending.has(oldKey)) return;
        const key = this.keyOf(kind, value);
        if (key === undefined) return;
        pending.delete(oldKey);
        for (const e of this.byKey.get(oldKey) ?? []) {
          const moved: StopEntry = { ...e, key };
          await this.store.putStop(moved);
          await this.store.deleteStop(oldKey, e.channel, e.campaign);
          this.index(moved);
          rekeyed++;
        }
        this.byKey.delete(oldKey);
      };
      const seen = new Set<string>();
      for await (const link of this.store.scanIdentities?.() ?? []) {
        if (pending.size === 0) break;
        await tryKind(link.kind, link.value);
        if (!seen.has(link.customer)) {
          seen.add(link.customer);
          await tryKind('customer', link.customer);
        }
      }
      this.legacy = pending;
    }
    await this.store.putMeta(LEGACY_META, [...this.legacy]);
    await this.store.putMeta(KEYING_META, { scheme: 'hmac-sha256', fingerprint } satisfies Keying);
    return { rekeyed, unmatched: [...this.legacy] };
  }
}
