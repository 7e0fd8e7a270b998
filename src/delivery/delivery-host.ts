import type { GatewayEvent } from '../../actors/index.js';
import type { ErrorCode } from '../errors.js';

/** What the customer host answers the delivery path: done, or an error with its code. */
export type DeliveryAnswer = { kind: 'decision' | 'ack' } | { kind: 'error'; code: ErrorCode; message: string };

/**
 * The customer host as the delivery path sees it: a delivery's outcome goes to the
 * customer's actor (the contact learns delivered or failed), and a message a customer sends
 * back through a channel (an SMS reply) comes in as an event. The adapters and the
 * dispatcher are built after the host, with it (the host reaches them only through the
 * committed-records feed).
 */
export interface DeliveryHost {
  submitDelivery(instance: string, status: 'delivered' | 'failed', reason?: string): Promise<DeliveryAnswer>;
  submitEvent(event: GatewayEvent): Promise<DeliveryAnswer>;
}
