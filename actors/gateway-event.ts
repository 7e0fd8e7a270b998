import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * The validated shapes of what gateways send (PROTOCOL.md, "Client to server"), as the brain
 * sees them, declared once as TypeBox schemas: the TypeScript types are `Static<>` of them,
 * the transport's compiled checkers and the gateway frames' JSON Schema
 * (`schemas/gateway-frames.schema.json`) come from them, and `POST /v1/events` accepts the
 * same event. The checks that are code (identifier normalisation, the `data` bound, time
 * bounds) live beside their users: `normalizeIdentifier` here, the rest in `src/transport`
 * and `limits.ts`.
 */

/** The identifier kinds a gateway may name a customer by. */
export const identifierKinds = ['id', 'card', 'phone', 'email', 'cookie'] as const;
export type IdentifierKind = (typeof identifierKinds)[number];

/** Identifiers other than the bank's customer id: the ones a profile collects. */
export type ContactIdentifierKind = Exclude<IdentifierKind, 'id'>;
export const contactIdentifierKinds: readonly ContactIdentifierKind[] = ['card', 'phone', 'email', 'cookie'];

/** A profile's identifiers (or part of them) as one list of kind and value, in `contactIdentifierKinds` order. */
export function identifierList(identifiers: Partial<Record<ContactIdentifierKind, readonly string[]>>): Array<{ kind: ContactIdentifierKind; value: string }> {
  return contactIdentifierKinds.flatMap((kind) => (identifiers[kind] ?? []).map((value) => ({ kind, value })));
}

/**
 * A string's length in characters (Unicode code points), as PROTOCOL.md ("1..128 chars") and
 * JSON Schema's `minLength`/`maxLength` count them: a character outside the Basic
 * Multilingual Plane (an emoji) is one, though JavaScript's `length` counts its two UTF-16
 * units. A lone surrogate counts as one.
 */
export function characterCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * Whether `s` is `min` to `max` characters long ({@link characterCount}). The UTF-16 length
 * decides alone in the common case (within the bounds and at least twice `min`: a character is
 * one or two units); only a string past `max` units and within twice that is counted.
 */
export function hasCharacters(s: string, min: number, max: number): boolean {
  const units = s.length;
  if (units < min) return false;
  if (units <= max && units >= 2 * min) return true;
  if (units > 2 * max) return false;
  const n = characterCount(s);
  return n >= min && n <= max;
}

/** The longest id a gateway may give an event, a response or a confirmation, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** The longest bank customer id (the gateway's `customer.id`, the import's `id`, the path of `PUT /v1/customers/{id}`). */
export const MAX_CUSTOMER_ID_LENGTH = 128;

/** Whether a string holds a control character: C0 (U+0000–U+001F), DEL or C1 (U+007F–U+009F). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/**
 * A bank customer id, as every path in takes it (one rule: the gateway, the import, the
 * customer routes): 1 to 128 characters, no control character (C0, DEL, C1: a NUL or a line
 * break in an id would reach logs, CSV exports and the store's keys) and no white space at
 * either end (the import and the gateway trim a cell, so such an id could never be named
 * again). Why a string is no such id; undefined: it is one.
 */
export function customerIdProblem(id: string): string | undefined {
  if (id === '') return 'is empty';
  if (id.length > MAX_CUSTOMER_ID_LENGTH) return `is longer than ${MAX_CUSTOMER_ID_LENGTH} characters`;
  if (hasControl(id)) return 'holds a control character';
  if (id.trim() !== id) return 'starts or ends with white space';
  return undefined;
}

/** An event type: a letter or digit, then letters, digits and `. _ : -` (`atm.withdrawal.declined`). */
export const EVENT_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]*$';

/** What EVENT_TYPE_PATTERN asks for, in the words of an error message (the schema's `patternMessage`). */
export const EVENT_TYPE_PATTERN_MESSAGE = 'may hold letters, digits and . _ : - only';

const identifier = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 128, description }));

/** epoch milliseconds: a non-negative whole number a double holds exactly */
const epochMs = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description }));

/** Who an event is about: at least one identifier (checked in code: a schema cannot say it and keep unknown keys). */
export const CustomerRefSchema = Type.Object(
  {
    id: identifier('the bank customer id (master data: import it first)'),
    card: identifier('a card token'),
    phone: identifier('a phone number; normalised to +<digits> (a Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX)'),
    email: identifier('an e-mail address; normalised to lower case'),
    cookie: identifier('an anonymous web visitor cookie'),
  },
  { description: 'who: at least one of id, card, phone, email, cookie; looked up in that order' },
);
export type CustomerRef = Static<typeof CustomerRefSchema>;
// The schema's keys are exactly the identifier kinds: this line stops compiling otherwise.
const _kindsMatch: [keyof CustomerRef] extends [IdentifierKind] ? ([IdentifierKind] extends [keyof CustomerRef] ? true : never) : never = true;

export const EventLocationSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'latitude in degrees' }),
    lon: Type.Number({ minimum: -180, maximum: 180, description: 'longitude in degrees' }),
    place: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'a branch or ATM id' })),
  },
  { description: 'where it happened' },
);
export type EventLocation = Static<typeof EventLocationSchema>;

/** Free-form data a request asks Kairos to keep: bounded in code (src/transport/plain-data.ts). */
const data = (description: string) =>
  Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: `${description}; plain data (strings, finite numbers, booleans, nil, lists and maps), at most 8 levels deep and 4,096 bytes as MessagePack, keys at most 128 characters`,
    }),
  );

/** An event: something happened to a customer (the `event` frame without `t`, and the body of `POST /v1/events`). */
export const GatewayEventSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: MAX_REQUEST_ID_LENGTH,
      description: "the gateway's unique id of this event, its idempotency key: the same id sent again gets the same decision again and never a second contact",
    }),
    type: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: EVENT_TYPE_PATTERN,
      patternMessage: EVENT_TYPE_PATTERN_MESSAGE,
      description: 'the event type, e.g. atm.withdrawal.declined, card.transaction, branch.visit, web.pageview, ib.login',
    }),
    customer: CustomerRefSchema,
    at: epochMs("when it happened, epoch milliseconds; the server's clock when absent. At most 5 min ahead of the server's clock and 7 days behind it (configurable)"),
    channel: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 32,
        description: "where it happened: atm, kiosk, branch, web, mobile, ib, pos, callcenter; the event type's first part when absent",
      }),
    ),
    location: Type.Optional(EventLocationSchema),
    data: data('the event payload, e.g. {requested: 1000, balance: 800, currency: "RUB"}'),
  },
  { description: 'something happened to a customer' },
);
export type GatewayEvent = Static<typeof GatewayEventSchema>;

/** A response: the customer answered an offer (the `response` frame without `t`). */
export const GatewayResponseSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH, description: 'the idempotency key, as for events' }),
    instance: Type.String({ minLength: 1, maxLength: 300, description: 'the offer instance id from a decision or deliver frame' }),
    outcome: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "accepted, declined, dismissed, later, clicked; a call: interested, callback (data.at: when), no_answer; a button's id (the outcome the offer's buttonOutcomes maps it to); others are stored, not rejected",
    }),
    at: epochMs('when the customer answered, epoch milliseconds; the same bounds as an event'),
    data: data('free form, e.g. {reply: "1"}; kept as far as it is small scalars'),
  },
  { description: 'the customer answered an offer' },
);
export type GatewayResponse = Static<typeof GatewayResponseSchema>;

/**
 * Final answers: they close the offer instance; others (`clicked`, unknown ones) are recorded
 * only. `later` ("maybe later") closes it, teaches nothing, and lowers the offer's weight for a while.
 * A call's outcomes (docs/outbound.md#call-centre-waves) close it and teach nothing:
 * `interested`, `callback` (with `data.at`, the time to call back), `no_answer` (not reached:
 * the next wave calls again, and recency does not count the call).
 */
export const terminalOutcomes: ReadonlySet<string> = new Set(['accepted', 'declined', 'dismissed', 'later', 'interested', 'callback', 'no_answer']);

/** The outcomes that teach a model and a group's propensity a negative. */
export const negativeOutcomes: ReadonlySet<string> = new Set(['declined', 'dismissed']);

/**
 * The one spelling of an identifier that the index and the stop list use: phones as
 * +<digits> (a Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX), e-mails in lower case, others as
 * given. Undefined when the value cannot be that kind of identifier.
 */
export function normalizeIdentifier(kind: IdentifierKind, value: string): string | undefined {
  const v = value.trim();
  if (v === '' || !hasCharacters(v, 1, 128)) return undefined;
  switch (kind) {
    case 'phone': {
      const digits = v.replace(/[\s\-().]/g, '');
      if (!/^\+?\d{7,15}$/.test(digits)) return undefined;
      if (/^8\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
      return digits.startsWith('+') ? digits : `+${digits}`;
    }
    case 'email':
      return /^[^\s@]+@[^\s@]+$/.test(v) ? v.toLowerCase() : undefined;
    case 'id':
      return customerIdProblem(v) === undefined ? v : undefined;
    case 'card':
    case 'cookie':
      return v;
    default: {
      // exhaustive: a kind outside the union names no identifier
      const _unknownKind: never = kind;
      return undefined;
    }
  }
}
