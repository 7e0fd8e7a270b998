import type { CustomerReply, Trace } from './customer-logic.js';
import type { IdentifierLink } from './ingest.js';
import type { OutboxEntry } from './outbox-entry.js';
import type { ReminderSpec } from './reminders.js';

/**
 * What a customer's step asks the world to do, as data: the pure step returns these, in
 * order, and the host runs them (one exhaustive switch, `src/runtime/effect-runner.ts`).
 * The customer machine names them as its actions (`reply`, `queue`, `link`, `schedule`,
 * `trace`), with these parameters; their bodies in the machine do nothing.
 */

export interface ReplyParams {
  customer: string;
  reply: CustomerReply;
}
export interface QueueParams {
  customer: string;
  entries: OutboxEntry[];
}
export interface LinkParams {
  customer: string;
  links: IdentifierLink[];
}
export interface TraceParams {
  customer: string;
  trace: Trace;
}
export interface ScheduleParams {
  customer: string;
  reminders: ReminderSpec[];
}

export type CustomerEffect =
  /** answer the gateway (decision, ack or error) */
  | { type: 'reply'; params: ReplyParams }
  /** commit these outbox entries with the snapshot */
  | { type: 'queue'; params: QueueParams }
  /** index new identifiers to this customer */
  | { type: 'link'; params: LinkParams }
  /** durable reminders to set or cancel, committed with the snapshot */
  | { type: 'schedule'; params: ScheduleParams }
  /** explanations and segment changes, for logs, metrics and the explain API */
  | { type: 'trace'; params: TraceParams };

export type CustomerEffectType = CustomerEffect['type'];

