import type { Clock } from '../clock.js';
import { readUnsubscribeToken } from '../delivery/unsubscribe.js';
import { KairosError } from '../errors.js';
import { deliveryChannels, isDeliveryChannel } from '../../actors/index.js';
import type { Logger } from '../logger.js';
import type { StopList } from '../stop-list.js';
import { maskIdentifier } from '../stop-list.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import { auditDraft, customerAuditDraft, redactReason } from '../audit/audit.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { route } from '../schema/http/bind-route.js';
import { ChannelParam, PathId } from '../schema/http/common-schemas.js';
import { HtmlPage, OutboxPageQuery, OutboxPageReply, RetryReply } from '../schema/http/delivery-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Route, HttpReply } from '../transport/http.js';

/**
 * Delivery: the dead letters of each channel and their retry (admin key), and the
 * unsubscribe link of marketing e-mail (no key: the signed token is the authority). Opening
 * the link (GET) changes nothing, since mail scanners follow links: it shows a page with the
 * masked address and a button that POSTs; the POST (that button, or the mail client's
 * RFC 8058 one-click) unsubscribes.
 */
export interface DeliveryRouteDeps {
  store: Store;
  stopList: StopList;
  clock: Clock;
  logger: Logger;
  /** the links' secret (`unsubscribeSecretInForce`); none: every link is refused as not valid */
  unsubscribeSecret: string | undefined;
  /** after a retry: the dispatcher's next pass, or the entry's channel's subscribers read again from its place (`OutboxDispatcher.retried`) */
  kick: (retried: OutboxRecord) => void;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A page for the person who followed the link: `html` is markup made here, never a caller's
 * text unescaped. Not cached (it answers for one token) and not indexed.
 */
function page(status: number, title: string, html: string): { raw: HttpReply } {
  const body = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><h1>${title}</h1>${html}</body></html>`;
  return { raw: { status, contentType: 'text/html; charset=utf-8', body, headers: { 'Cache-Control': 'no-store' } } };
}

const invalidLink = (): { raw: HttpReply } => page(400, 'Ссылка недействительна', '<p>Ссылка для отписки повреждена или устарела. Напишите нам, и мы отключим рассылку вручную.</p>');

/**
 * The confirmation page: the address masked as the stop list shows it, and a form without
 * an action, so it posts to the very URL it was opened at (token included, behind any
 * proxy's prefix), with the body a one-click client sends.
 */
function confirmPage(email: string): { raw: HttpReply } {
  return page(
    200,
    'Отписаться от рассылки?',
    `<p>Мы перестанем присылать рекламные письма на адрес <b>${escapeHtml(maskIdentifier('email', email))}</b>. Сообщения об операциях по счетам будут приходить как прежде.</p>` +
      '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Отписаться</button></form>',
  );
}

/** The most entries the dead-letter listing looks through for one page. */
const DEAD_SCAN = 10_000;

/** A listing's page: `limit` (100 when absent) and `cursor` (from a page's `next`), checked by OutboxPageQuery. */
export type OutboxPageParams = Static<typeof OutboxPageQuery>;

function pageBounds(query: OutboxPageParams): { limit: number; after: number | undefined } {
  // (a cursor of a node with shards, positions joined by ".", is not this node's)
  if (query.cursor?.includes('.') === true) throw new KairosError('invalid', 'query "cursor": must be the next of the page before: up to 16 digits');
  return { limit: query.limit ?? 100, after: query.cursor === undefined ? undefined : Number(query.cursor) };
}

/**
 * The channel of an outbox path (`/v1/outbox/{channel}/...`): one the catalog or the back
 * office knows, else a 404 naming it (a misspelt channel would otherwise list no entries, as
 * if its queue were empty).
 */
export function outboxChannel(channel: string): string {
  if (!isDeliveryChannel(channel)) throw new KairosError('not_found', `no channel "${channel}": the outbox's channels are ${deliveryChannels.join(', ')}`);
  return channel;
}

/**
 * One page of a channel's outbox, oldest first: `next` (present when more may follow) is the
 * cursor of the page after it. The store reads the page by key: no listing costs more than its page.
 */
export async function outboxPage(store: Store, channel: string, query: OutboxPageParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  outboxChannel(channel);
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
export async function deadPage(store: Store, channel: string, query: OutboxPageParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  outboxChannel(channel);
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

/**
 * An outbox entry sent again (a dead letter back in the queue, due now), its audit entry (the
 * draft, its `before` the entry's attempts and whether it was dead) written with the change;
 * `kick` wakes the dispatcher (or the channel's subscribers) with the entry. False when the
 * store holds no such entry. A single node's route and a shard (src/shards/shard-calls.ts)
 * both send through it.
 */
export async function retryOutboxEntry(store: Store, channel: string, instance: string, draft: AuditDraft, kick: (retried: OutboxRecord) => void): Promise<boolean> {
  const was = await store.getOutbox(channel, instance);
  if (was === undefined) return false;
  const retried = await store.retryOutbox(channel, instance, { ...draft, before: { attempts: was.attempts, dead: was.dead === true } });
  if (retried) kick(was);
  return retried;
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
  roles: ['ops'],
  params: channelParam,
  query: OutboxPageQuery,
  responses: { 200: { description: 'the dead among the next 10,000 of the queue, at most limit, and next when more of the queue is left', schema: OutboxPageReply } },
  errors: ['invalid', 'not_found'],
});

export const retryOperation = operation({
  operationId: 'retryDelivery',
  method: 'post',
  path: '/v1/outbox/:channel/:instance/retry',
  summary: 'Put a dead letter (or an entry waiting for its backoff) back in the queue, due now',
  tag: 'delivery',
  auth: 'admin',
  roles: ['ops'],
  params: Type.Object({ channel: ChannelParam, instance: PathId('the offer instance id') }),
  responses: { 200: { description: 'queued again', schema: RetryReply } },
  errors: ['not_found'],
});

const unsubscribeQuery = Type.Object({ t: Type.Optional(Type.String({ description: "the signed token of the e-mail's link" })) });
const invalidLinkReply = { description: 'an HTML page: the link is not valid', media: { 'text/html': HtmlPage } } as const;

export const unsubscribeOperation = operation({
  operationId: 'unsubscribe',
  method: 'get',
  path: '/v1/unsubscribe',
  summary: "A marketing e-mail's unsubscribe link, opened: a confirmation page with the masked address and a button that POSTs; it changes nothing",
  description: "Mail scanners and link previews follow links, so opening one unsubscribes no one; the page's button posts to the same URL (unsubscribeOneClick).",
  tag: 'delivery',
  auth: 'none',
  query: unsubscribeQuery,
  responses: { 200: { description: 'an HTML page: the masked address and the button to unsubscribe', media: { 'text/html': HtmlPage } }, 400: invalidLinkReply },
  errors: [],
});

export const oneClickUnsubscribeOperation = operation({
  operationId: 'unsubscribeOneClick',
  method: 'post',
  path: '/v1/unsubscribe',
  summary: "Unsubscribe: puts the link's address on the stop list for e-mail (the signed token t is the authority)",
  description: "Posted by the confirmation page's button, or by the mail client as RFC 8058 one-click (body List-Unsubscribe=One-Click, application/x-www-form-urlencoded; the body is not read). Posting again answers the same.",
  tag: 'delivery',
  auth: 'none',
  query: unsubscribeQuery,
  responses: { 200: { description: 'an HTML page: unsubscribed', media: { 'text/html': HtmlPage } }, 400: invalidLinkReply },
  errors: [],
});

export const deliveryOperations = [deadLettersOperation, retryOperation, unsubscribeOperation, oneClickUnsubscribeOperation] as const;

export function deliveryRoutes(d: DeliveryRouteDeps): Route[] {
  return [
    route(deadLettersOperation, async ({ params: { channel }, query }) => ({ status: 200, body: await deadPage(d.store, channel, query) })),
    route(retryOperation, async ({ params: { channel, instance }, call }) => {
      outboxChannel(channel);
      const draft = auditDraft(call, d.clock.now(), 'outbox.retry', `outbox:${channel}/${instance}`, undefined, { dead: false });
      if (!(await retryOutboxEntry(d.store, channel, instance, draft, d.kick))) throw new KairosError('not_found', `no outbox entry "${instance}" on ${channel}`);
      return { status: 200, body: { channel, instance, retried: true as const } };
    }),
    ...unsubscribeRoutes(d),
  ];
}

/**
 * The unsubscribe link's two routes: the page (GET) and the unsubscribe (POST), which puts
 * the address on the node's stop list for e-mail. A node with shards serves them too (its
 * stop list is every shard's), so a link in a mail sent before the node was spread over
 * shards still works.
 */
export function unsubscribeRoutes(d: Pick<DeliveryRouteDeps, 'stopList' | 'clock' | 'logger' | 'unsubscribeSecret'>): Route[] {
  const secret = d.unsubscribeSecret;
  const claimOf = (token: string | undefined) => (token === undefined || secret === undefined ? undefined : readUnsubscribeToken(token, secret));
  const unsubscribe = async (token: string | undefined): Promise<{ raw: HttpReply }> => {
    const claim = claimOf(token);
    if (claim === undefined) return invalidLink();
    const at = d.clock.now();
    // The customer's own change: audited as `customer`, with the entry's key and hint, never the address.
    await d.stopList.add({ kind: 'email', value: claim.email, channel: 'email', reason: 'unsubscribe link' }, at, 'unsubscribe-link', (e) =>
      customerAuditDraft(at, 'stop-list.add', `stop:${e.key}`, null, { key: e.key, kind: e.kind, hint: e.hint, channel: e.channel, reason: e.reason === undefined ? undefined : redactReason(e.reason) }),
    );
    d.logger.info({ customer: claim.customer }, 'unsubscribed from marketing e-mail by link');
    return page(200, 'Вы отписаны', '<p>Мы больше не будем присылать вам рекламные письма. Сообщения об операциях по счетам будут приходить как прежде.</p>');
  };
  return [
    route(unsubscribeOperation, ({ query }) => {
      const claim = claimOf(query.t);
      return claim === undefined ? invalidLink() : confirmPage(claim.email);
    }),
    route(oneClickUnsubscribeOperation, ({ query }) => unsubscribe(query.t)),
  ];
}
