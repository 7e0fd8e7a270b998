import { unreachable } from '../brain-error.js';

// ---------------------------------------------------------------------------------------
// Channels

/** Screens a customer is looking at during a session: the gateway shows the offer now. */
export const screenChannels = ['atm', 'kiosk', 'ib', 'web', 'mobile'] as const;
/** Screens of the bank's staff talking to the customer: the operator reads a script. */
export const operatorChannels = ['callcenter', 'branch'] as const;
/** Channels Kairos sends to on its own: queued in the outbox. */
export const outboundChannels = ['sms', 'email', 'push'] as const;
export const channels = [...screenChannels, ...operatorChannels, ...outboundChannels] as const;
export type Channel = (typeof channels)[number];
/** Back-office actions (issue the credit the customer accepted): queued in the outbox, never a customer's channel. */
export const backofficeChannel = 'backoffice';
/** Every channel an outbox entry may name: the catalog's channels and the back office's. */
export const deliveryChannels = [...channels, backofficeChannel] as const;

/** Whether an outbox entry may name the channel (`deliveryChannels`). */
export function isDeliveryChannel(v: string): boolean {
  return (deliveryChannels as readonly string[]).includes(v);
}

export type ChannelKind = 'screen' | 'operator' | 'sms' | 'email' | 'push';

export function channelKind(channel: Channel): ChannelKind {
  switch (channel) {
    case 'atm':
    case 'kiosk':
    case 'ib':
    case 'web':
    case 'mobile':
      return 'screen';
    case 'callcenter':
    case 'branch':
      return 'operator';
    case 'sms':
      return 'sms';
    case 'email':
      return 'email';
    case 'push':
      return 'push';
    default: {
      throw unreachable('channel', channel);
    }
  }
}

export function isChannel(v: unknown): v is Channel {
  return typeof v === 'string' && (channels as readonly string[]).includes(v);
}

export function isOutbound(channel: Channel): boolean {
  return (outboundChannels as readonly string[]).includes(channel);
}
