import { fnv1a } from '../hash.js';

/**
 * An offer instance's id: `<customer>:<seq>.<hash>`, the customer's id, the customer's
 * decision sequence number (base 36) and a hash of the event's id (base 36). It is unique per
 * customer and names its owner, so a response carrying only the instance id reaches the right
 * actor.
 */
export function offerInstanceId(customer: string, seq: number, eventId: string): string {
  return `${customer}:${seq.toString(36)}.${fnv1a(eventId).toString(36)}`;
}

/** The customer id inside an offer-instance id, or undefined when `instance` is not one. */
export function customerOfInstance(instance: string): string | undefined {
  const i = instance.lastIndexOf(':');
  return i > 0 ? instance.slice(0, i) : undefined;
}
