import type { CustomerRef, GatewayEvent } from './gateway-event.js';

/**
 * Which events move a customer along the lifecycle
 * (visitor -> prospect -> client -> former client, and back to client when reactivated).
 * The customer machine's guards read these; the history is kept in the context.
 */

/** Events that make the customer a client (again). */
export const clientEvents: ReadonlySet<string> = new Set(['account.opened', 'product.opened', 'card.issued', 'client.onboarded']);

/** Events that mean the customer is identified: a lead form, a registration. */
export const leadEvents: ReadonlySet<string> = new Set(['lead.submitted', 'web.registered']);

export function opensProduct(e: GatewayEvent): boolean {
  return clientEvents.has(e.type);
}

/** The last product closed: the client becomes a former client. */
export function endsRelationship(e: GatewayEvent): boolean {
  return e.type === 'client.churned' || (e.type === 'account.closed' && e.data?.lastProduct === true);
}

/** An anonymous visitor gives a phone or an e-mail, or submits a lead form. */
export function identifies(e: GatewayEvent): boolean {
  return leadEvents.has(e.type) || e.customer.phone !== undefined || e.customer.email !== undefined;
}

/** How a customer first seen by an identifier starts: a lifecycle stage and the prefix of the new id. */
export interface FirstSight {
  stage: 'prospect' | 'visitor';
  /** `p-` for a prospect, `v-` for a visitor; the host adds the random part */
  idPrefix: 'p' | 'v';
}

/**
 * First sight of a customer by an identifier the store does not know: a card, a phone or an
 * e-mail makes a prospect (someone the bank can reach); only a cookie, a visitor.
 */
export function firstSight(ref: CustomerRef): FirstSight {
  return ref.card !== undefined || ref.phone !== undefined || ref.email !== undefined ? { stage: 'prospect', idPrefix: 'p' } : { stage: 'visitor', idPrefix: 'v' };
}
