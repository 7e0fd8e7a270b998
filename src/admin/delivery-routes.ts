import type { Clock } from '../clock.js';
import { readUnsubscribeToken } from '../delivery/unsubscribe.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StopList } from '../stop-list.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { route } from '../schema/http/bind-route.js';
import { ChannelParam, PathId } from '../schema/http/common-schemas.js';
import { HtmlPage, OutboxPageQuery, OutboxPageReply, RetryReply } from '../schema/http/delivery-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Route, HttpReply } from '../transport/http.js';

/**
 * Delivery: the dead letters of each channel and their retry (admin key), and the
 * unsubscribe link of marketing e-mail (no key: the signed token is the authority).
 */
export interface DeliveryRouteDeps {
  store: Store;
  stopList: StopList;
  clock: Clock;
  logger: Logger;
  unsubscribeSecret: string;
  /** the dispatcher's next pass, after a retry */
  kick: () => void;
}

function page(status: number, title: string, text: string): { raw: HttpReply } {
  const body = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  return { raw: { status, contentType: 'text/html; charset=utf-8', body } };
}

/** The most entries the dead-letter listing looks through for one page. */
const DEAD_SCAN = 10_000;

/** A listing's page: `limit` (100 when absent) and `cursor` (from a page's `next`), checked by OutboxPageQuery. */
export type OutboxPageParams = Static<typeof OutboxPageQuery>;

function pageBounds(query: OutboxPageParams): { limit: number; after: number | undefined } {
  return { limit: query.limit ?? 100, after: query.cursor === undefined ? undefined : Number(query.cursor) };
}

/**
 * One page of a channel's outbox, oldest first: `next` (present when more may follow) is the
 * cursor of the page after it. The store reads the page by key: no listing costs more than its page.
 */
export async function outboxPage(store: Store, channel: string, query: OutboxPageParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  const { limit, after } = pageBounds(query);
  const entries = await store.listOutbox(channel, limit, after);
  const last = entries[entries.length - 1];
  return entries.length === limit && last !== undefined ? { channel, entries, next: String(last.seq) } : { channel, entries };
}

/**
 * One page of a channel's dead letters: the dead among at most `DEAD_SCAN` entries after the
 * cursor, up to `limit`; `next` when more of the queue is left to look through (so a page may
 * hold fewer than `limit`, even none, and still have a `next`).
 */
async function deadPage(store: Store, channel: string, query: OutboxPageParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  const { limit, after } = pageBounds(query);
  const entries: OutboxRecord[] = [];
  let cursor = after;
  let scanned = 0;
  let more = true;
  while (more && entries.length < limit && scanned < DEAD_SCAN) {
    const want = Math.min(1000, DEAD_SCAN - scanned);
    const page = await store.listOutbox(channel, want, cursor);
    more = page.length === want;
    scanned += page.length;
    for (const r of page) {
      cursor = r.seq;
      if (r.dead !== true) continue;
      entries.push(r);
      if (entries.length === limit) {
        more = true;
        break;
      }
    }
  }
  return more && cursor !== undefined ? { channel, entries, next: String(cursor) } : { channel, entries };
}

const channelParam = Type.Object({ channel: ChannelParam });

export const deadLettersOperation = operation({
  operationId: 'listDeadLetters',
  method: 'get',
  path: '/v1/outbox/:channel/dead',
  summary: "The channel's dead letters: entries its adapter gave up on, with attempts and the last error",
  description: 'A page looks through at most 10,000 entries of the queue after its cursor, so it may hold fewer than limit (even none) and still have a next.',
  tag: 'delivery',
  auth: 'admin',
  params: channelParam,
  query: OutboxPageQuery,
  responses: { 200: { description: 'the dead among the next 10,000 of the queue, at most limit, and next when more of the queue is left', schema: OutboxPageReply } },
  errors: ['invalid'],
});

export const retryOperation = operation({
  operationId: 'retryDelivery',
  method: 'post',
  path: '/v1/outbox/:channel/:instance/retry',
  summary: 'Put a dead letter (or an entry waiting for its backoff) back in the queue, due now',
  tag: 'delivery',
  auth: 'admin',
  params: Type.Object({ channel: ChannelParam, instance: PathId('the offer instance id') }),
  responses: { 200: { description: 'queued again', schema: RetryReply } },
  errors: ['not_found'],
});

const unsubscribeQuery = Type.Object({ t: Type.Optional(Type.String({ description: "the signed token of the e-mail's link" })) });
const unsubscribeReplies = {
  200: { description: 'an HTML page: unsubscribed', media: { 'text/html': HtmlPage } },
  400: { description: 'an HTML page: the link is not valid', media: { 'text/html': HtmlPage } },
} as const;

export const unsubscribeOperation = operation({
  operationId: 'unsubscribe',
  method: 'get',
  path: '/v1/unsubscribe',
  summary: "A marketing e-mail's unsubscribe link: puts the address on the stop list for e-mail (the signed token t is the authority)",
  tag: 'delivery',
  auth: 'none',
  query: unsubscribeQuery,
  responses: unsubscribeReplies,
  errors: [],
});

export const oneClickUnsubscribeOperation = operation({
  operationId: 'unsubscribeOneClick',
  method: 'post',
  path: '/v1/unsubscribe',
  summary: 'One-click unsubscribe (RFC 8058): the mail client posts List-Unsubscribe=One-Click to the same link',
  tag: 'delivery',
  auth: 'none',
  query: unsubscribeQuery,
  responses: unsubscribeReplies,
  errors: [],
});

export const deliveryOperations = [deadLettersOperation, retryOperation, unsubscribeOperation, oneClickUnsubscribeOperation] as const;

export function deliveryRoutes(d: DeliveryRouteDeps): Route[] {
  const unsubscribe = async (token: string | undefined): Promise<{ raw: HttpReply }> => {
    const claim = token === undefined ? undefined : readUnsubscribeToken(token, d.unsubscribeSecret);
    if (claim === undefined) return page(400, 'Ссылка недействительна', 'Ссылка для отписки повреждена или устарела. Напишите нам, и мы отключим рассылку вручную.');
    await d.stopList.add({ kind: 'email', value: claim.email, channel: 'email', reason: 'unsubscribe link' }, d.clock.now(), 'unsubscribe-link');
    d.logger.info({ customer: claim.customer }, 'unsubscribed from marketing e-mail by link');
    return page(200, 'Вы отписаны', 'Мы больше не будем присылать вам рекламные письма. Сообщения об операциях по счетам будут приходить как прежде.');
  };
  return [
    route(deadLettersOperation, async ({ params: { channel }, query }) => ({ status: 200, body: await deadPage(d.store, channel, query) })),
    route(retryOperation, async ({ params: { channel, instance } }) => {
      if (!(await d.store.retryOutbox(channel, instance))) throw new KairosError('not_found', `no outbox entry "${instance}" on ${channel}`);
      d.kick();
      return { status: 200, body: { channel, instance, retried: true as const } };
    }),
    route(unsubscribeOperation, ({ query }) => unsubscribe(query.t)),
    route(oneClickUnsubscribeOperation, ({ query }) => unsubscribe(query.t)),
  ];
}
