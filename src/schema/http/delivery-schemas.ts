import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { BackofficeContentSchema, ChannelContentSchema } from '../wire/server-frames.js';
import { EpochMs, Limit } from './common-schemas.js';

/** The outbox and its dead letters, as listed by the admin API, and the unsubscribe page. */

/** What every queued entry holds: which offer instance, for whom, from which campaign, when. */
const queued = () => ({
  instance: Type.String({ description: 'the offer instance id: the delivery is deduplicated by it' }),
  customer: Type.String(),
  campaign: Type.String(),
  offer: Type.String(),
  at: EpochMs('when it was queued'),
});

/** What the outbox keeps of an entry's delivery: its place in the queue and its attempts. */
const delivery = () => ({
  seq: Type.Integer({ description: 'the sequence number in the queue' }),
  attempts: Type.Integer(),
  lastError: Type.Optional(Type.String()),
  nextAttemptAt: Type.Optional(EpochMs('not before this time (a retry backoff)')),
  dead: Type.Optional(Type.Boolean({ description: 'given up after the last attempt: a dead letter, kept until retried or removed' })),
});

const OfferRecordSchema = Type.Object(
  {
    kind: Type.Literal('offer'),
    ...queued(),
    channel: Type.String(),
    content: ChannelContentSchema,
    expiresAt: EpochMs('when the offer expires'),
    to: Type.Optional(Type.String({ description: 'the address: phone, e-mail, or a seed recipient' })),
    seed: Type.Optional(Type.Boolean({ description: "a seed-list copy for the bank's test recipient" })),
    ...delivery(),
  },
  { title: 'offer', description: 'an offer to deliver on a channel other than the requesting screen' },
);

const BackofficeRecordSchema = Type.Object(
  {
    kind: Type.Literal('backoffice'),
    ...queued(),
    channel: Type.Literal('backoffice'),
    action: BackofficeContentSchema.properties.action,
    vars: BackofficeContentSchema.properties.vars,
    ...delivery(),
  },
  { title: 'back-office action', description: 'a back-office action (issue the credit the customer accepted)' },
);

export const OutboxRecordSchema = Type.Union([OfferRecordSchema, BackofficeRecordSchema], {
  $id: 'OutboxEntry',
  description: 'an entry of the delivery outbox: an offer to deliver, or a back-office action, with its delivery attempts',
});

/** An outbox entry as stored: the brain's entry (actors/outbox-entry.ts), its sequence number and its delivery attempts. */
export type OutboxRecord = Static<typeof OutboxRecordSchema>;

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
  cursor: Type.Optional(
    Type.String({
      pattern: '^(\\d{1,16}|\\d{0,16}(\\.\\d{0,16}){1,255})$',
      patternMessage: 'must be the next of the page before: up to 16 digits',
      description: 'the next of the page before (opaque: a queue position, or on a node with shards one a shard)',
    }),
  ),
});

export const RetryReply = Type.Object({ channel: Type.String(), instance: Type.String(), retried: Type.Literal(true) }, { $id: 'Retried' });

export const HtmlPage = Type.String({ description: 'an HTML page for the person who followed the link', contentMediaType: 'text/html' });
