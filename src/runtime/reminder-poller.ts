import type { GatewayEvent } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { ReminderRecord, Store } from '../store/store.js';
import type { Sharing } from './sharing.js';

/** How long a node holds a reminder it claimed on a shared store before another may fire it. */
const REMINDER_LEASE_MS = 60_000;
/** Reminders claimed at once; while a claim comes back full, the poll claims again at once. */
const CLAIM_LIMIT = 1000;

export interface ReminderPollerOptions {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  sharing: Sharing;
  /**
   * Hands a due reminder's event to its customer's actor; resolves with whether it was
   * handled (or its customer is gone: false only when it should fire again at a later poll).
   */
  fire: (reminder: ReminderRecord, event: GatewayEvent) => Promise<boolean>;
}

/** The event a reminder delivers to its customer: at its due time, its id unique to the reminder and that time. */
export function reminderEvent(r: ReminderRecord): GatewayEvent {
  const event: GatewayEvent = { id: `reminder:${r.key}@${r.due}`, type: r.event, customer: { id: r.customer }, at: r.due };
  if (r.data !== undefined) event.data = r.data;
  return event;
}

/**
 * Durable reminders: each poll hands every reminder due by the clock's now to its customer's
 * actor (activating it if passivated), once. A reminder stays in `firing` until its removal
 * is committed with the actor's new state (`settled`), so a poll meanwhile does not fire it
 * again; on a shared store the reminders are claimed, so no other node fires them either.
 */
export class ReminderPoller {
  /** reminders handed to their actors whose removal is not committed yet: never fired twice */
  private readonly firing = new Set<string>();
  private polling: Promise<number> | undefined;

  constructor(private readonly o: ReminderPollerOptions) {}

  /** Resolves with how many fired, when they have all been handled. Single-flight. */
  poll(): Promise<number> {
    this.polling ??= (async () => {
      try {
        const now = this.o.clock.now();
        // What the other nodes spent of budgets and capacity, and counted, since.
        await this.o.sharing.beforePoll();
        // Many due at one moment (every customer's segment timer at a month's first midnight):
        // claimed again at once while a claim comes back full, not one thousand a poll interval.
        let fired = 0;
        for (;;) {
          // Past the ones still firing (a single-node store keeps them until their removal commits).
          const limit = CLAIM_LIMIT + this.firing.size;
          const due = await this.o.store.coordination.claimReminders(now, limit, REMINDER_LEASE_MS);
          const fresh = due.filter((r) => !this.firing.has(r.key));
          await Promise.all(fresh.map((r) => this.fireOne(r)));
          fired += fresh.length;
          if (due.length < limit || fresh.length === 0) return fired;
        }
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  /** These reminders' removals were committed (or will not be): a later poll may see them again if they are still stored. */
  settled(keys: Iterable<string>): void {
    for (const key of keys) this.firing.delete(key);
  }

  private async fireOne(r: ReminderRecord): Promise<void> {
    this.firing.add(r.key);
    const event = reminderEvent(r);
    this.o.metrics.remindersFired.inc({ kind: r.key.slice(r.customer.length + 1).split(':')[0] ?? 'other' });
    // Not handled (overloaded, shutting down): it stays in the store and fires at a later poll.
    if (!(await this.o.fire(r, event))) this.firing.delete(r.key);
  }
}
