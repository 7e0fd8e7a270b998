import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { GatewayEventSchema, GatewayResponseSchema, MAX_REQUEST_ID_LENGTH } from '../../../actors/index.js';

/**
 * The frames a gateway sends (PROTOCOL.md v1, "Client to server"), declared once: the
 * parser's compiled checkers (src/transport/frames.ts), the types and the gateway frames'
 * JSON Schema come from these. Unknown fields are allowed and ignored (forward
 * compatibility); nil in an optional field reads as absent.
 */

const requestId = (description: string) => Type.String({ minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH, description });

/** The one field every client frame has: what it is. */
export const FrameHeaderSchema = Type.Object({
  t: Type.String({ minLength: 1, maxLength: 32, description: 'the frame type: event, response, subscribe, delivered or failed' }),
});

export const EventFrameSchema = Type.Object(
  { t: Type.Literal('event', { description: 'frame type' }), ...GatewayEventSchema.properties },
  { title: 'event', description: 'something happened to a customer; answered by a decision (or an error)' },
);
export type EventFrame = Static<typeof EventFrameSchema>;

export const ResponseFrameSchema = Type.Object(
  { t: Type.Literal('response', { description: 'frame type' }), ...GatewayResponseSchema.properties },
  { title: 'response', description: 'the customer answered an offer; answered by an ack (or an error)' },
);
export type ResponseFrame = Static<typeof ResponseFrameSchema>;

/** The most channels one `subscribe` names (a connection holds at most 64 in all). */
export const MAX_SUBSCRIBE_CHANNELS = 32;

export const SubscribeFrameSchema = Type.Object(
  {
    t: Type.Literal('subscribe', { description: 'frame type' }),
    id: requestId("the request's id; the ack's re"),
    channels: Type.Array(Type.String({ minLength: 1, maxLength: 32, description: 'a channel name, e.g. ib, callcenter, branch, sms, backoffice' }), {
      minItems: 1,
      maxItems: MAX_SUBSCRIBE_CHANNELS,
      description: 'the channels whose offers this connection takes from now on, as deliver frames',
    }),
  },
  { title: 'subscribe', description: 'a delivery endpoint asks for pushed offers; answered by an ack (or an error)' },
);
export type SubscribeFrame = Static<typeof SubscribeFrameSchema>;

const instance = () => Type.String({ minLength: 1, maxLength: 300, description: 'the offer instance id of the deliver frame being confirmed' });
const confirmedChannel = () =>
  Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'extension: which delivery of the instance is meant, when one connection received several',
    }),
  );

export const DeliveredFrameSchema = Type.Object(
  {
    t: Type.Literal('delivered', { description: 'frame type' }),
    id: requestId("the request's id; the ack's re"),
    instance: instance(),
    channel: confirmedChannel(),
  },
  { title: 'delivered', description: 'the endpoint delivered a pushed offer; answered by an ack (or an error)' },
);
export type DeliveredFrame = Static<typeof DeliveredFrameSchema>;

export const FailedFrameSchema = Type.Object(
  {
    t: Type.Literal('failed', { description: 'frame type' }),
    id: requestId("the request's id; the ack's re"),
    instance: instance(),
    channel: confirmedChannel(),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'why the delivery failed, for the log and the admin API' })),
  },
  { title: 'failed', description: 'the endpoint could not deliver a pushed offer (it stays in the outbox); answered by an ack (or an error)' },
);
export type FailedFrame = Static<typeof FailedFrameSchema>;

export const ClientFrameSchema = Type.Union([EventFrameSchema, ResponseFrameSchema, SubscribeFrameSchema, DeliveredFrameSchema, FailedFrameSchema], {
  title: 'client frame',
  description: 'a frame a gateway sends: one binary WebSocket frame holding one MessagePack map',
});

/** The client frame types, in the order error messages list them. */
export const clientFrameTypes = ClientFrameSchema.anyOf.map((s) => s.properties.t.const);
