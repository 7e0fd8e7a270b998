import type { Campaign, ChannelTemplate } from '../catalog/compiled-catalog.js';
import type { ChannelContent, CustomerContext, ProfileAttribute } from '../customer-state.js';
import { profileAge } from '../customer-state.js';
import { formatClock, formatDate, formatNumber } from '../format.js';
import type { GatewayEvent } from '../gateway-event.js';
import { bearingDeg, directionRu, walkingMinutes, walkingRouteUrl } from '../geo.js';
import { localTime } from '../local-time.js';
import { smsLength } from '../sms-length.js';
import type { RenderValues } from '../template.js';
import { renderTemplate } from '../template.js';
import type { Vars } from './campaign-vars.js';
import type { Nearby } from './nearby.js';
import { unreachable } from '../brain-error.js';

/**
 * What templates can say of the customer (`customer.*`). `age` follows from the birth date on
 * `day` (the decision's local day) where one is known; `attributes` are the imported ones.
 */
export function customerValues(ctx: CustomerContext, day?: number): Record<string, string | number | Readonly<Record<string, ProfileAttribute>>> {
  const { firstName, patronymic, lastName } = ctx.profile;
  const v: Record<string, string | number | Readonly<Record<string, ProfileAttribute>>> = {};
  const age = profileAge(ctx.profile, day);
  if (age !== undefined) v.age = age;
  if (ctx.profile.attributes !== undefined) v.attributes = ctx.profile.attributes;
  if (firstName !== undefined) v.firstName = firstName;
  if (patronymic !== undefined) v.patronymic = patronymic;
  if (lastName !== undefined) v.lastName = lastName;
  if (firstName !== undefined && patronymic !== undefined) v.name = `${firstName} ${patronymic}`;
  if (firstName !== undefined && patronymic !== undefined && lastName !== undefined) v.fullName = `${lastName} ${firstName} ${patronymic}`;
  return v;
}

export function nearbyValues(n: Nearby): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {
    partner: {
      name: n.partner.name,
      address: n.partner.address,
      distance: `${formatNumber(Math.round(n.distance / 10) * 10)}\u00a0м`,
      minutes: String(walkingMinutes(n.distance)),
      direction: directionRu(bearingDeg(n.origin, n.partner)),
      route: walkingRouteUrl(n.origin, n.partner),
    },
  };
  if (n.partner.note !== undefined) (out.partner as Record<string, string>).note = n.partner.note;
  if (n.place !== undefined) out.place = { name: n.place.name, address: n.place.address };
  return out;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** What a campaign's templates can say, for this customer, event and moment. */
export function renderValues(ctx: CustomerContext, c: Campaign, vars: Vars, event: GatewayEvent, expiresAt: number, tz: string, nearby: Nearby | undefined, day?: number): RenderValues {
  const exp = localTime(expiresAt, tz);
  return {
    customer: customerValues(ctx, day),
    offer: { name: c.offer.name, value: c.offer.value, ...c.offer.params },
    vars,
    expires: { date: formatDate(exp.year, exp.month, exp.day), time: formatClock(exp.hour, exp.minute) },
    event: { data: event.data ?? {} },
    ...(nearby === undefined ? {} : nearbyValues(nearby)),
  };
}

export type Rendered = { ok: true; content: ChannelContent } | { ok: false; reason: string };

/** The template rendered with `values` (`opaque`: a value printed as it is, renderTemplate). */
export function render(tpl: ChannelTemplate, values: RenderValues, maxSmsParts: number, opaque?: string): Rendered {
  const text = (field: 'title' | 'text' | 'subject' | 'html' | 'script'): string | { missing: string } => {
    const t = tpl[field];
    if (t === undefined) return '';
    const r = renderTemplate(t, values, opaque);
    return r.ok ? r.text : { missing: r.missing };
  };
  const fields: Record<string, string> = {};
  for (const f of ['title', 'text', 'subject', 'html', 'script'] as const) {
    const v = text(f);
    if (typeof v !== 'string') return { ok: false, reason: `missing_variable:${v.missing}` };
    fields[f] = v;
  }
  const { title = '', text: body = '', subject = '', html = '', script = '' } = fields;
  switch (tpl.kind) {
    case 'sms': {
      const parts = smsLength(body).parts;
      if (parts > maxSmsParts) return { ok: false, reason: `sms_too_long:${parts}_parts` };
      return { ok: true, content: { text: body } };
    }
    case 'email':
      return {
        ok: true,
        content: { subject, text: body, html: html !== '' ? html : `<p>${escapeHtml(body).replace(/\n/g, '<br>')}</p>` },
      };
    case 'push':
    case 'screen':
      return { ok: true, content: { title, text: body, buttons: tpl.buttons.map((b) => ({ ...b })) } };
    case 'operator':
      return { ok: true, content: { script } };
    default: {
      throw unreachable('channel kind', tpl.kind);
    }
  }
}
