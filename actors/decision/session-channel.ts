import type { Channel } from '../catalog/channels.js';
import { isChannel, isOutbound } from '../catalog/channels.js';
import type { GatewayEvent } from '../gateway-event.js';

/** The screen or operator session the event came from, where an offer can be shown now. */
export function sessionChannel(event: GatewayEvent): Channel | undefined {
  const c = event.channel ?? event.type.split('.')[0];
  return isChannel(c) && !isOutbound(c) ? c : undefined;
}
