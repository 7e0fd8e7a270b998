import { Type } from '@sinclair/typebox';
import { AnyMap, EpochMs, Limit } from './common-schemas.js';

/** The outbox and its dead letters, as listed by the admin API, and the unsubscribe page. */

export const OutboxRecordSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('offer'), Type.Literal('backoffice')], { description: 'an offer to deliver, or a back-office action' }),
    instance: Type.String({ description: 'the offer instance id: the delivery is deduplicated by it' }),
    customer: Type.String(),
    channel: Type.String(),
    campaign: Type.String(),
    offer: Type.String(),
    at: EpochMs('when it was queued'),
    content: Type.Optional(AnyMap('the rendered message (offers)')),
    expiresAt: Type.Optional(EpochMs('when the offer expires (offers)')),
    to: Type.Optional(Type.String({ description: 'the address: phone, e-mail, or a seed recipient' })),
    seed: Type.Optional(Type.Boolean({ description: "a seed-list copy for the bank's test recipient" })),
    action: Type.Optional(Type.String({ description: 'the back-office action, e.g. issue_credit' })),
    vars: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]))),
    seq: Type.Integer({ description: 'the sequence number in the queue' }),
    attempts: Type.Integer(),
    lastError: Type.Optional(Type.String()),
    nextAttemptAt: Type.Optional(EpochMs('not before this time (a retry backoff)')),
    dead: Type.Optional(Type.Boolean({ description: 'given up after the last attempt' })),
  },
  { $id: 'OutboxEntry' },
);

export const OutboxPageReply = Type.Object(
  {
    channel: Type.String(),
    entries: Type.Array(OutboxRecordSchema),
    next: Type.Optional(Type.String({ description: 'the cursor of the page after: pass it as cursor; absent on the last page' })),
  },
  { $id: 'OutboxPage' },
);

export const OutboxPageQuery = Type.Object({
  limit: Type.Optional(Limit(10_000)),
  cursor: Type.Optional(Type.String({ pattern: '^\\d{1,16}$', patternMessage: 'must be the next of the page before: up to 16 digits', description: 'the next of the page before' })),
});

export const RetryReply = Type.Object({ channel: Type.String(), instance: Type.String(), retried: Type.Literal(true) }, { $id: 'Retried' });

export const HtmlPage = Type.String({ description: 'an HTML page for the person who followed the link', contentMediaType: 'text/html' });
