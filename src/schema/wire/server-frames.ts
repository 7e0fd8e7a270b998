import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { DecisionAction } from '../../../actors/index.js';
import type { ErrorCode } from '../../errors.js';
import { protocolErrorCodes } from '../../errors.js';

/**
 * The frames Kairos sends a gateway (PROTOCOL.md v1, "Server to client"), declared once: the
 * types and the gateway frames' JSON Schema come from these. Every frame is a plain
 * MessagePack map; `POST /v1/events` answers the same `decision` map.
 */

const text = (description: string) => Type.String({ description });

export const SmsContentSchema = Type.Object({ text: text('the message, rendered and personalised') }, { title: 'text content', description: 'SMS and push' });

export const ScreenContentSchema = Type.Object(
  {
    title: text('the heading'),
    text: text('the body'),
    buttons: Type.Array(
      Type.Object({
        id: text("what a response names as its outcome when the customer presses it (accept, later, ...: the outcome the offer's buttonOutcomes maps it to, else the id itself)"),
        label: text('what the button says'),
      }),
      { description: 'the answers offered, in display order' },
    ),
  },
  { title: 'screen content', description: 'ATM, kiosk, internet bank, web and mobile screens' },
);

export const EmailContentSchema = Type.Object(
  { subject: text('the subject line'), text: text('the plain-text body'), html: text('the HTML body') },
  { title: 'e-mail content' },
);

export const OperatorContentSchema = Type.Object({ script: text('what the operator says') }, { title: 'operator content', description: 'call centre and branch' });

export const ChannelContentSchema = Type.Union([SmsContentSchema, ScreenContentSchema, EmailContentSchema, OperatorContentSchema], {
  description: "the rendered, personalised message, shaped by the channel's kind",
});

export const BackofficeContentSchema = Type.Object(
  {
    action: text('the back-office action, e.g. issue_credit'),
    vars: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), { description: "the action's parameters, e.g. {shortfall: 200}" }),
  },
  { title: 'back-office content', description: 'a back-office action (channel backoffice)' },
);

const instance = () => Type.String({ description: 'the offer instance id (<customer>:<n>.<hash>); a later response or confirmation names it' });
const expiresAt = () => Type.Optional(Type.Integer({ description: 'when the offer lapses, epoch milliseconds; a response after that is recorded but no longer accepts it' }));

export const DecisionActionSchema = Type.Object(
  {
    instance: instance(),
    campaign: text('the campaign id'),
    offer: text('the offer id'),
    channel: text('where it goes: the requesting channel (show it now) or another (sms, email, push, ...: already queued for delivery)'),
    content: ChannelContentSchema,
    expiresAt: expiresAt(),
  },
  { title: 'action', description: 'one thing Kairos decided to do now' },
);
export type DecisionActionFrame = Static<typeof DecisionActionSchema>;

export const DecisionFrameSchema = Type.Object(
  {
    t: Type.Literal('decision', { description: 'frame type' }),
    re: text("the event's id"),
    customer: text('the resolved Kairos customer id'),
    actions: Type.Array(DecisionActionSchema, { description: 'what Kairos decided to do now, best first; empty when it has nothing worth saying' }),
  },
  { title: 'decision', description: 'the reply to an event (and the body of a 200 from POST /v1/events)' },
);
export type DecisionFrame = Static<typeof DecisionFrameSchema>;

export const AckFrameSchema = Type.Object(
  { t: Type.Literal('ack', { description: 'frame type' }), re: text("the request's id") },
  { title: 'ack', description: 'the reply to a response, subscribe, delivered or failed' },
);
export type AckFrame = Static<typeof AckFrameSchema>;

export const DeliverFrameSchema = Type.Object(
  {
    t: Type.Literal('deliver', { description: 'frame type' }),
    instance: instance(),
    customer: text('the Kairos customer id'),
    channel: text('the subscribed channel it is for'),
    campaign: text('the campaign id'),
    offer: text('the offer id'),
    content: Type.Union([ChannelContentSchema, BackofficeContentSchema], { description: "the rendered message, or a back-office action's parameters" }),
    expiresAt: expiresAt(),
  },
  { title: 'deliver', description: 'an offer pushed to a subscribed endpoint; confirm it with delivered or failed' },
);
export type DeliverFrame = Static<typeof DeliverFrameSchema>;

/** The codes an `error` frame may carry, as PROTOCOL.md lists them. */
export const gatewayErrorCodes: readonly ErrorCode[] = [...protocolErrorCodes];

export const ErrorFrameSchema = Type.Object(
  {
    t: Type.Literal('error', { description: 'frame type' }),
    re: Type.Optional(text("the frame's id, whenever it could be read")),
    code: Type.Union(
      gatewayErrorCodes.map((c) => Type.Literal(c)),
      { description: 'bad_frame: not one MessagePack map, or a text frame; invalid: a field missing or wrong (message names it); unknown_customer; rate_limited; overloaded; unauthorized; internal' },
    ),
    message: text('what was wrong, naming the field: field "customer.phone": is not a valid phone'),
  },
  { title: 'error', description: 'the reply to a frame that could not be served; a bad frame does not close the connection' },
);
export type ErrorFrame = Static<typeof ErrorFrameSchema>;

export const ServerFrameSchema = Type.Union([DecisionFrameSchema, AckFrameSchema, DeliverFrameSchema, ErrorFrameSchema], {
  title: 'server frame',
  description: 'a frame Kairos sends: one binary WebSocket frame holding one plain MessagePack map',
});

// The brain's action is what the decision frame declares: this stops compiling when they part.
const _actionMatches = (a: DecisionAction): DecisionActionFrame => a;
