import type { Channel } from '../catalog/channels.js';
import { isChannel } from '../catalog/channels.js';
import type { Campaign, Catalog } from '../catalog/compiled-catalog.js';
import type { EvalScope } from '../condition.js';
import type { ChannelContent, CustomerContext, DecisionAction, LifecycleStage, Profile } from '../customer-state.js';
import { initialCustomerContext } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { localTime } from '../local-time.js';
import { customerTimeZone } from '../scope.js';
import { computeVars } from './campaign-vars.js';
import { findNearby } from './nearby.js';
import type { Preview } from './preview.js';
import { render, renderValues } from './render.js';

/**
 * What is rendered for a named customer (a campaign's preview, a dry-run explanation's
 * messages) as a role that may not read personal data sees it (docs/security.md): rendered
 * again from a masked customer, never masked afterwards. The decision (which campaign and
 * channel, whether it speaks, why, the SMS parts) is the real customer's; only what is shown
 * comes from here. Of the customer only the names (masked) and which profile fields and
 * attributes are held are read: every other value of theirs, a number included, reads `***`,
 * and so does each variable computed from one, so no text can hold anything derived from it.
 */

/** What a masked customer's value reads as. */
export const MASKED = '***';

/** A name as a masked card shows it: its first letter. */
export const maskName = (s: string): string => `${[...s][0] ?? ''}***`;

const NAMES = ['firstName', 'patronymic', 'lastName'] as const;

/**
 * The customer a role that may not read personal data is shown texts of: the names as their
 * first letter and `***`; every other profile field held, the age (the profile's or the birth
 * date's) and each imported attribute `***`; the stage `***`; no identifiers, features,
 * segments or history; no time zone (the catalog's default). The masked values stand where the
 * real ones' types are (the profile's numbers, booleans): only this module reads them.
 */
export function maskedCustomer(profile: Profile): CustomerContext {
  const p: Record<string, unknown> = {};
  for (const field of NAMES) {
    const v = profile[field];
    if (v !== undefined) p[field] = v === '' ? '' : maskName(v);
  }
  for (const [field, v] of Object.entries(profile)) {
    if (v === undefined || (NAMES as readonly string[]).includes(field) || field === 'timezone' || field === 'birthDate' || field === 'attributes') continue;
    p[field] = MASKED;
  }
  if (profile.birthDate !== undefined) p.age = MASKED;
  if (profile.attributes !== undefined) p.attributes = Object.fromEntries(Object.keys(profile.attributes).map((k) => [k, MASKED]));
  const ctx = initialCustomerContext({ id: MASKED, stage: 'client', profile: p, at: 0, reason: 'masked' });
  return { ...ctx, stage: MASKED as LifecycleStage };
}

/** Rules' reads of the masked customer: every value of theirs (a feature, a score, a segment's membership) is the mask. */
function maskedScope(ctx: CustomerContext, day: number, event: GatewayEvent): EvalScope {
  const masked = MASKED as unknown;
  return { ctx, event, day, feature: () => masked as number, score: () => masked as number, inSegment: () => masked as boolean };
}

/** The partner and place a `near` campaign's texts name, masked: where they are would tell where the customer was. */
const MASKED_NEARBY = {
  partner: { name: MASKED, address: MASKED, distance: MASKED, minutes: MASKED, direction: MASKED, route: MASKED, note: MASKED },
  place: { name: MASKED, address: MASKED },
};

/** A value of the event's data masked: each scalar `***`, lists and maps kept with their keys. */
function maskedData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskedData);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskedData(x)]));
  return MASKED;
}

/**
 * The campaign's message on `channel` for the customer masked (maskedCustomer), this event, at
 * `t`, expiring at `expiresAt`; undefined when it cannot be rendered so (a value only the
 * real customer has: the caller shows that it cannot be shown, hiddenContent). With
 * `maskEvent` the event is the customer's too (a real one, not the caller's): each value of its
 * data is `***` (so is each variable computed from one) and the partner and place of a `near`
 * campaign, found from its location, `***`.
 */
export function maskedMessage(
  profile: Profile,
  c: Campaign,
  channel: Channel,
  event: GatewayEvent,
  t: number,
  expiresAt: number,
  catalog: Catalog,
  maskEvent = false,
): ChannelContent | undefined {
  const ctx = maskedCustomer(profile);
  const tz = customerTimeZone(ctx, catalog);
  const day = localTime(t, tz).epochDay;
  const { location: _l, data, ...bare } = event;
  const seen: GatewayEvent = maskEvent ? { ...bare, ...(data === undefined ? {} : { data: maskedData(data) as Record<string, unknown> }) } : event;
  const computed = computeVars(c, maskedScope(ctx, day, seen), MASKED);
  if ('missing' in computed) return undefined;
  const nearby = c.near === undefined || maskEvent ? undefined : findNearby(c, event, catalog);
  if (c.near !== undefined && nearby === undefined && !maskEvent) return undefined;
  const tpl = c.templates.get(channel);
  if (tpl === undefined) return undefined;
  const values = renderValues(ctx, c, computed.vars, seen, expiresAt, tz, nearby, day);
  const rendered = render(tpl, c.near !== undefined && maskEvent ? { ...values, ...MASKED_NEARBY } : values, Number.MAX_SAFE_INTEGER, MASKED);
  return rendered.ok ? rendered.content : undefined;
}

/**
 * The copy of a customer's message a campaign's seed list gets (docs/catalog.md, `seeds`): the
 * message rendered again for the customer masked and their event masked (maskedMessage with
 * `maskEvent`), so the bank's test recipient checks the layout and the delivery without any
 * personal data: the names as their first letter, every other value of the customer and of
 * their event `***`. A message that cannot be rendered so: the real one's shape, each text `***`.
 */
export function seedContent(profile: Profile, c: Campaign, channel: Channel, event: GatewayEvent, t: number, expiresAt: number, catalog: Catalog, real: ChannelContent): ChannelContent {
  return maskedMessage(profile, c, channel, event, t, expiresAt, catalog, true) ?? hiddenContent(real);
}

/** A message that cannot be shown masked: its shape, each text `***` (the buttons are the template's). */
export function hiddenContent(content: ChannelContent): ChannelContent {
  return Object.fromEntries(Object.entries(content).map(([k, v]) => [k, typeof v === 'string' ? MASKED : v])) as ChannelContent;
}

/** A campaign's previews (previewCampaign, for the real customer) with each message rendered for the customer masked instead. */
export function maskedPreviews(profile: Profile, previews: readonly Preview[], c: Campaign, event: GatewayEvent, t: number, catalog: Catalog): Preview[] {
  return previews.map((p) => (p.content === undefined ? p : { ...p, content: maskedMessage(profile, c, p.channel, event, t, t + c.expiresInMs, catalog) ?? hiddenContent(p.content) }));
}

/** A dry-run decision's actions for `event` at `at` with each message rendered for the customer masked instead. */
export function maskedActions(profile: Profile, actions: readonly DecisionAction[], event: GatewayEvent, at: number, catalog: Catalog): DecisionAction[] {
  return actions.map((a) => {
    const c = catalog.campaigns.find((x) => x.id === a.campaign);
    const content = c === undefined || !isChannel(a.channel) ? undefined : maskedMessage(profile, c, a.channel, event, at, a.expiresAt ?? at + c.expiresInMs, catalog);
    return { ...a, content: content ?? hiddenContent(a.content) };
  });
}
