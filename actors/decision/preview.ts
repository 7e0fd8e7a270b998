import type { Channel } from '../catalog/channels.js';
import type { Campaign, Catalog } from '../catalog/compiled-catalog.js';
import type { ChannelContent, CustomerContext } from '../customer-state.js';
import type { GatewayEvent } from '../gateway-event.js';
import { localTime } from '../local-time.js';
import { customerTimeZone, makeScope } from '../scope.js';
import type { SmsLength } from '../sms-length.js';
import { smsLength } from '../sms-length.js';
import { computeVars } from './campaign-vars.js';
import { findNearby } from './nearby.js';
import { render, renderValues } from './render.js';

export interface Preview {
  channel: Channel;
  content?: ChannelContent;
  /** for SMS: the encoding and the number of parts */
  sms?: SmsLength;
  /** why this channel's message cannot be rendered for this customer and event */
  problem?: string;
}

/**
 * What a campaign would say on each of its channels to this customer for this event, without
 * checking whether it would speak at all: for marketers to read their texts, with the SMS
 * length, before the campaign goes live.
 */
export function previewCampaign(ctx: CustomerContext, c: Campaign, event: GatewayEvent, t: number, catalog: Catalog): Preview[] {
  const tz = customerTimeZone(ctx, catalog);
  const scope = makeScope(ctx, catalog, localTime(t, tz).epochDay, event);
  const computed = computeVars(c, scope);
  const nearby = c.near === undefined ? undefined : findNearby(c, event, catalog);
  return c.channels.map((channel): Preview => {
    if ('missing' in computed) return { channel, problem: `missing_data:${computed.missing}` };
    if (c.near !== undefined && nearby === undefined) return { channel, problem: event.location === undefined ? 'no_location' : 'no_partner_nearby' };
    const tpl = c.templates.get(channel);
    if (tpl === undefined) return { channel, problem: 'no_template' };
    const rendered = render(tpl, renderValues(ctx, c, computed.vars, event, t + c.expiresInMs, tz, nearby, localTime(t, tz).epochDay), Number.MAX_SAFE_INTEGER);
    if (!rendered.ok) return { channel, problem: rendered.reason };
    const preview: Preview = { channel, content: rendered.content };
    if ('text' in rendered.content && tpl.kind === 'sms') {
      preview.sms = smsLength(rendered.content.text);
      if (preview.sms.parts > c.maxSmsParts) preview.problem = `sms_too_long:${preview.sms.parts}_parts`;
    }
    return preview;
  });
}
