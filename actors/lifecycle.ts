import type { CustomerRef, GatewayEvent } from './gateway-event.js';
import type { LifecycleStage } from './customer-state.js';
import { lifecycleStages } from './customer-state.js';

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

/**
 * The bank's master data sets the customer's stage (an import, `PUT`/`PATCH` of a customer:
 * docs/import.md): `data.stage` one of `visitor`, `prospect`, `client`, `formerClient` (or
 * `former_client`, the import's spelling). From any stage to any other, with a lifecycle entry
 * whose reason is the event's type; to the stage the customer already has, nothing moves. The
 * import sends `client.onboarded` for a move to client and `client.churned` for a client's
 * move to former client (the events whose campaigns answer those moves); this one for the rest.
 */
export const STAGE_SET_EVENT = 'stage.set';

/** The stage a `stage.set` event sets, or undefined (another event, or no valid `data.stage`). */
export function stageSetTo(e: GatewayEvent): LifecycleStage | undefined {
  if (e.type !== STAGE_SET_EVENT) return undefined;
  const raw = e.data?.stage;
  const stage = raw === 'former_client' ? 'formerClient' : raw;
  return typeof stage === 'string' && (lifecycleStages as readonly string[]).includes(stage) ? (stage as LifecycleStage) : undefined;
}

/**
 * The event that moves a customer at stage `from` to the stage the bank's master data gives
 * (`to`), as an event's own move would be told: `client.onboarded` to client (a prospect
 * converted, a former client won back: what a product opened fires), `client.churned` from
 * client to former client (what the last product closed fires), else `stage.set`. Undefined
 * when the customer is already there.
 */
export function stageMoveEvent(from: LifecycleStage, to: LifecycleStage): { type: string; data: Record<string, unknown> } | undefined {
  if (from === to) return undefined;
  if (to === 'client') return { type: 'client.onboarded', data: { source: 'import' } };
  if (to === 'formerClient' && from === 'client') return { type: 'client.churned', data: { source: 'import' } };
  return { type: STAGE_SET_EVENT, data: { stage: to, source: 'import' } };
}
