export type { Ack, Action, CustomerRef, Decision, Deliver, ErrorFrame, Frame, GatewayEvent, GatewayResponse } from './frames.js';
export type { GatewayClientOptions, ReconnectOptions } from './gateway-client.js';
export { GatewayClient, GatewayClientError, GatewayError } from './gateway-client.js';
