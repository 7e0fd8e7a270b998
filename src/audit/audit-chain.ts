import { createHash } from 'node:crypto';
import type { Principal } from '../transport/principal.js';

/**
 * The audit trail's entries and their hash chain. Every change made through the admin API
 * is appended as one entry, in the store's transaction with the change (`Store.appendAudit`).
 * Each entry names the hash of the one before (`prev`) and carries its own (`hash`): SHA-256
 * over the previous hash and the entry's canonical JSON. Editing, deleting or reordering an
 * entry breaks the chain at that entry (`verifyChain`).
 */

/**
 * Who made a change: an admin key (`Principal`), the customer through a signed link
 * (`CUSTOMER`), or a command run on the data dir itself by the system user named (`localWho`).
 */
export type AuditWho = Principal | { name: 'customer'; role: 'customer' } | { name: string; role: 'local' };

/** The `who` of a change the customer made (the unsubscribe link): no personal data. */
export const CUSTOMER: AuditWho = { name: 'customer', role: 'customer' };

/**
 * The `who` of a change a command made on the data dir, with no server and no key (`kairos
 * import customers FILE` without `--url`): whoever can write the data dir can make it, so the
 * entry names the system user who ran it.
 */
export function localWho(user: string): AuditWho {
  return { name: user, role: 'local' };
}

/** The hash the first entry names as its `prev`. */
export const GENESIS = '0'.repeat(64);

/** What a change writes to the trail; the store gives it its `seq`, `prev` and `hash`. */
export interface AuditDraft {
  /** the server's clock, ms */
  at: number;
  /** the key that made the change: its name and role; `{name: 'customer', role: 'customer'}` for a customer's own (the unsubscribe link) */
  who: AuditWho;
  /** what was done: `stop-list.add`, `catalog.update`, `customer.erase`… */
  action: string;
  /** what it was done to: `stop:<key>`, `campaigns/<id>`, `customer:<id>`, `clock`… */
  target: string;
  /** the state before and after, without personal data in clear */
  before?: unknown;
  after?: unknown;
}

/** An entry as stored. */
export interface AuditRecord extends AuditDraft {
  seq: number;
  prev: string;
  hash: string;
}

/** JSON with every object's keys sorted, and `undefined` fields left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** The hash of an entry: SHA-256 (hex) over `prev` and the canonical JSON of everything but `hash`. */
export function auditHash(entry: Omit<AuditRecord, 'hash'>): string {
  const { seq, at, who, action, target, before, after, prev } = entry;
  return createHash('sha256')
    .update(prev)
    .update('\n')
    .update(canonicalJson({ seq, at, who: { name: who.name, role: who.role }, action, target, before, after, prev }))
    .digest('hex');
}

/** The entry that follows `head` (undefined: the trail is empty). */
export function sealAudit(head: Pick<AuditRecord, 'seq' | 'hash'> | undefined, draft: AuditDraft): AuditRecord {
  const base: Omit<AuditRecord, 'hash'> = { seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? GENESIS, ...plain(draft) };
  return { ...base, hash: auditHash(base) };
}

/** A draft as plain JSON data (what a store keeps and the hash covers). */
function plain(draft: AuditDraft): AuditDraft {
  return JSON.parse(canonicalJson(draft)) as AuditDraft;
}

/** What walking a chain found: every link holds, or the first one that does not. */
export type ChainCheck = { ok: true; entries: number; head: string } | { ok: false; entries: number; brokenSeq: number; problem: string };

/**
 * Walks entries in stored order from the first: each must have the next seq, name the
 * previous entry's hash and carry its own. The first that does not is named with the seq it
 * should have had (an entry deleted or moved shows at the place the chain breaks).
 */
export function verifyChain(entries: Iterable<AuditRecord>): ChainCheck {
  let prev = GENESIS;
  let expect = 1;
  let n = 0;
  for (const e of entries) {
    n++;
    if (e.seq !== expect) return { ok: false, entries: n, brokenSeq: expect, problem: `expected entry ${expect}, found ${String(e.seq)}` };
    if (e.prev !== prev) return { ok: false, entries: n, brokenSeq: expect, problem: `entry ${expect} does not name the previous entry's hash` };
    const { hash, ...rest } = e;
    if (auditHash(rest) !== hash) return { ok: false, entries: n, brokenSeq: expect, problem: `entry ${expect} does not match its hash (edited)` };
    prev = hash;
    expect++;
  }
  return { ok: true, entries: n, head: prev };
}
