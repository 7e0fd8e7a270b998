import type { Catalog } from './catalog/compiled-catalog.js';
import type { EvalScope } from './condition.js';
import type { GatewayEvent } from './gateway-event.js';

/**
 * Durable reminders the actor asks for: at `due`, the runtime delivers the event `event`
 * (with `data`) to this customer, live or passivated, across restarts, once. Names are per
 * customer; setting a name again moves the reminder.
 *
 * The actor sets them for: every offer instance's expiry (`offer.expiry`, so an unanswered
 * offer is closed and learnt from even if the customer never comes back), a campaign's
 * follow-up after a contact, and the catalog's reminders on events (14 days before an
 * insurance policy ends).
 */
export type ReminderSpec = { name: string; due: number; event: string; data?: Record<string, unknown> } | { name: string; cancel: true };

/** The event type of an offer instance's expiry reminder. */
export const OFFER_EXPIRY_EVENT = 'offer.expiry';

export function expiryReminder(instance: string, campaign: string, offer: string, due: number): ReminderSpec {
  return { name: `expiry:${instance}`, due, event: OFFER_EXPIRY_EVENT, data: { instance, campaign, offer } };
}

export function cancelExpiry(instance: string): ReminderSpec {
  return { name: `expiry:${instance}`, cancel: true };
}

/** An epoch-ms time from a rule value: a number, or an ISO date-time text. */
function toEpoch(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** The catalog's reminders this event sets (a policy bought: a reminder 14 days before it ends). */
export function catalogReminders(event: GatewayEvent, t: number, catalog: Catalog, scope: () => EvalScope): ReminderSpec[] {
  const out: ReminderSpec[] = [];
  for (const def of catalog.reminders) {
    if (!def.on.has(event.type)) continue;
    const base = def.at === undefined ? t : toEpoch(def.at(scope()));
    if (base === undefined) continue;
    out.push({ name: `catalog:${def.id}`, due: base + def.offsetMs, event: def.event, data: { reminder: def.id, ...(event.data ?? {}) } });
  }
  return out;
}
