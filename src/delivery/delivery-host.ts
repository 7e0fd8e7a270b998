import type { CustomerContext, CustomerRef, GatewayEvent, StopScope } from '../../actors/index.js';
import type { ErrorCode } from '../errors.js';

/** What the customer host answers the delivery path: done, or an error with its code. */
export type DeliveryAnswer = { kind: 'decision' | 'ack' } | { kind: 'error'; code: ErrorCode; message: string };

/** What the send-time check reads of a customer (src/delivery/send-check.ts). */
export interface SendFacts {
  /** the live actor's context: its consents and its contact records */
  context: CustomerContext;
  /** the stop-list entries that apply to the customer and the address the message goes to */
  stops: readonly StopScope[];
  /** the channels on which marketing needs the customer's consent (the catalog's policy) */
  consentRequired: ReadonlySet<string>;
  /** the stop-list keys of the customer and the address (`StopList.keysFor`): the send claim checks their opt-out markers on a shared store */
  stopKeys?: readonly string[];
}

/**
 * The customer host as the delivery path sees it: a delivery's outcome goes to the
 * customer's actor (the contact learns delivered, failed or suppressed), a message a
 * customer sends back through a channel (an SMS reply) comes in as an event, and the
 * send-time check reads the live actor's consents. The adapters and the dispatcher are built
 * after the host, with it (the host reaches them only through the committed-records feed).
 */
export interface DeliveryHost {
  submitDelivery(instance: string, status: 'delivered' | 'failed' | 'suppressed', reason?: string): Promise<DeliveryAnswer>;
  submitEvent(event: GatewayEvent): Promise<DeliveryAnswer>;
  /** Now, without a wait: the facts of a live customer's actor; undefined when it is not live (`activate` it first). */
  sendFacts?(customer: string, ref: CustomerRef): SendFacts | undefined;
  /** Brings a customer's actor into memory, behind its queued messages (on a shared store: read fresh, with the stop list); false when there is no such customer. */
  activate?(customer: string): Promise<boolean>;
  /** true on a store several nodes share: `activate` before every check, not only when the actor is not live */
  readonly sharedStore?: boolean;
}
