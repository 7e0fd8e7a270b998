import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AuditChange, Store } from '../store/store.js';
import type { HttpCall } from '../transport/http.js';
import type { AuditDraft, AuditRecord } from './audit-chain.js';
import { CUSTOMER } from './audit-chain.js';

/** What an admin route needs to write the audit trail. */
export interface AuditDeps {
  store: Store;
  clock: Clock;
}

/** An e-mail address in a free text: a local part, `@`, a domain of labels between dots (a full stop after it stays). */
const EMAIL_IN_TEXT = /[^\s@<>()[\]{},;:"']+@[^\s@<>()[\]{},;:"'.]+(?:\.[^\s@<>()[\]{},;:"'.]+)+/gu;

/** A phone-like run in a free text: 7 digits or more, spaces, dashes and brackets between them allowed, a leading `+` or bracket. */
const PHONE_IN_TEXT = /\+?\(?\d(?:[\s()-]*\d){6,}/gu;

/**
 * A free-text reason as an audit entry keeps it (docs/audit.md): each e-mail address and each
 * phone-like run of digits (7 or more, with spaces, dashes or brackets between them, a leading
 * `+`; a card, an account or a date written as digits too) replaced by `***`. The trail is
 * hash-chained and never erased, so what an operator typed there must not hold a customer's
 * contact in clear. Every reason that enters an audit entry goes through here.
 */
export function redactReason(reason: string): string {
  return reason.replace(EMAIL_IN_TEXT, '***').replace(PHONE_IN_TEXT, '***');
}

/**
 * The one way an admin route records a change: who made it (the call's principal), what, to
 * what, the state before and after (no personal data in clear), at the server's clock.
 */
export function auditDraft(call: Pick<HttpCall, 'principal'>, at: number, action: string, target: string, before?: unknown, after?: unknown): AuditDraft {
  if (call.principal === undefined) throw new KairosError('internal', `an audited change (${action}) on a call without a principal`);
  const draft: AuditDraft = { at, who: { name: call.principal.name, role: call.principal.role }, action, target };
  if (before !== undefined) draft.before = before;
  if (after !== undefined) draft.after = after;
  return draft;
}

/** A change the customer made (the unsubscribe link): who is `customer`, no personal data. */
export function customerAuditDraft(at: number, action: string, target: string, before?: unknown, after?: unknown): AuditDraft {
  const draft: AuditDraft = { at, who: { ...CUSTOMER }, action, target };
  if (before !== undefined) draft.before = before;
  if (after !== undefined) draft.after = after;
  return draft;
}

/**
 * The log line of each entry the store appends (`Store.onAudit`, set by the server on its
 * store): info, `audit: true`, with the entry's seq, action, target and who (`by`, `role`),
 * never its before and after (a stop entry's hint, a patch's consents). So every audited
 * change is logged once, however it reached the trail (a route, the customer's link, a shard's
 * entry copied into the node's trail), and no route can forget it.
 */
export function auditLogLine(logger: Logger): (entry: AuditRecord) => void {
  return (entry) => logger.info({ audit: true, seq: entry.seq, action: entry.action, target: entry.target, by: entry.who.name, role: entry.who.role }, 'audited change');
}

/**
 * Appends an entry to the audit trail with `change` in the same store transaction
 * (`Store.appendAudit`); without a change, records one already made (or one outside the
 * store: the clock). Undefined when the change found nothing to do (nothing written).
 */
export function audit(
  d: AuditDeps,
  call: Pick<HttpCall, 'principal'>,
  action: string,
  target: string,
  before?: unknown,
  after?: unknown,
  change?: AuditChange,
): Promise<AuditRecord | undefined> {
  return d.store.appendAudit(auditDraft(call, d.clock.now(), action, target, before, after), change);
}
