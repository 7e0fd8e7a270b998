import type { Catalog } from './catalog/compiled-catalog.js';
import type { EvalScope } from './condition.js';
import type { CustomerContext } from './customer-state.js';
import { NOTHING } from './customer-state.js';
import type { GatewayEvent } from './gateway-event.js';

/**
 * A campaign's goal (a deposit opened, a credit drawn) reached after a contact: the uplift
 * report compares how often it follows a real contact and a withheld one (the control
 * group). Each contact converts at most once; the latest open contact of the campaign within
 * the goal's window gets the credit.
 */

export interface Conversion {
  campaign: string;
  instance: string;
  /** the contact was withheld: the customer is in the campaign's control group */
  control: boolean;
}

export function attributeGoals(ctx: CustomerContext, event: GatewayEvent, t: number, catalog: Catalog, scope: () => EvalScope): { ctx: CustomerContext; conversions: Conversion[] } {
  let conversions: Conversion[] | undefined;
  let contacts = ctx.contacts;
  for (const c of catalog.campaigns) {
    const goal = c.goal;
    if (goal === undefined || !goal.events.has(event.type)) continue;
    let found = -1;
    for (let i = contacts.length - 1; i >= 0; i--) {
      const k = contacts[i];
      if (k === undefined || k.campaign !== c.id || k.at > t) continue;
      if (t - k.at > goal.withinMs) break;
      if (k.converted === undefined && k.delivery !== 'failed' && k.delivery !== 'suppressed') {
        found = i;
        break;
      }
    }
    const k = contacts[found];
    if (k === undefined) continue;
    if (goal.when !== undefined && !goal.when(scope())) continue;
    contacts = contacts.map((x, i) => (i === found ? { ...x, converted: t } : x));
    (conversions ??= []).push({ campaign: c.id, instance: k.instance, control: k.control === true });
  }
  return { ctx: contacts === ctx.contacts ? ctx : { ...ctx, contacts }, conversions: conversions ?? NOTHING };
}
