import { createHash } from 'node:crypto';
import type { CustomerRef, Identifiers, IdentifierKind, StopScope } from '../actors/index.js';
import { contactIdentifierKinds, isChannel, normalizeIdentifier } from '../actors/index.js';
import { KairosError } from './errors.js';
import { stopKinds } from './schema/http/admin-schemas.js';
import type { StopEntry, StopKind, Store } from './store/store.js';
import type { AuditDraft } from './audit/audit-chain.js';

/**
 * The stop list: customers and identifiers (phone, e-mail, card, cookie) that get nothing,
 * globally or on one channel or for one campaign. Entries are keyed by a hash of the
 * normalised identifier, so the list keeps no phone number or e-mail in clear and survives
 * the erasure of a profile. Held in memory for the decision path, written through to the store.
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

export function stopKey(kind: StopKind, value: string): string | undefined {
  const normalized = normalizeIdentifier(identifierKindOf(kind), value);
  if (normalized === undefined) return undefined;
  return createHash('sha256').update(`${kind}:${normalized}`).digest('hex').slice(0, 40);
}

/** A masked form for people reading the list. */
export function maskIdentifier(kind: StopKind, value: string): string {
  switch (kind) {
    case 'customer':
      return value;
    case 'phone': {
      const v = normalizeIdentifier('phone', value) ?? value;
      return `${v.slice(0, 3)}${'*'.repeat(Math.max(0, v.length - 5))}${v.slice(-2)}`;
    }
    case 'email': {
      const [user = '', domain = ''] = value.split('@');
      return `${user.slice(0, 1)}***@${domain}`;
    }
    case 'card':
    case 'cookie':
      return `${value.slice(0, 5)}***${value.slice(-1)}`;
    default: {
      const never: never = kind;
      throw new KairosError('internal', `unhandled stop kind ${String(never)}`);
    }
  }
}

export class StopList {
  private readonly byKey = new Map<string, StopEntry[]>();

  constructor(private readonly store: Store) {}

  /** the shared store's stop-list version this copy was loaded at (several nodes) */
  private version = -1;

  async load(): Promise<void> {
    const version = await this.store.coordination.stopListVersion();
    const entries = await this.store.listStops();
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

  /** The entries that apply to this customer: by id, by any identifier it holds or the event names. */
  scopesFor(customerId: string, identifiers: Identifiers | undefined, ref: CustomerRef): StopScope[] {
    if (this.byKey.size === 0) return [];
    const scopes: StopScope[] = [];
    const add = (kind: StopKind, value: string): void => {
      const key = stopKey(kind, value);
      const entries = key === undefined ? undefined : this.byKey.get(key);
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

  /** Validates and adds an entry (replacing one with the same identifier and scope). */
  async add(req: StopRequest, at: number, by: string | undefined, audit?: (entry: StopEntry) => AuditDraft): Promise<StopEntry> {
    if (!stopKinds.includes(req.kind)) throw new KairosError('invalid', `field "kind": must be one of ${stopKinds.join(', ')}`);
    if (typeof req.value !== 'string') throw new KairosError('invalid', 'field "value": must be a string');
    const key = stopKey(req.kind, req.value);
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

  /** Removes the entry for this identifier and scope; false when there was none. */
  async remove(key: string, channel: string | undefined, campaign: string | undefined, audit?: AuditDraft): Promise<boolean> {
    const removed = audit === undefined ? await this.store.deleteStop(key, channel, campaign) : (await this.store.appendAudit(audit, { deleteStop: { key, channel, campaign } })) !== undefined;
    const list = (this.byKey.get(key) ?? []).filter((x) => x.channel !== channel || x.campaign !== campaign);
    if (list.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, list);
    return removed;
  }
}
