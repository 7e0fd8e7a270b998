import type { Clock } from '../clock.js';
import { readUnsubscribeToken } from '../delivery/unsubscribe.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StopList } from '../stop-list.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { HttpReply, Route } from '../transport/http.js';
import { json } from '../transport/http.js';

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

function page(status: number, title: string, text: string): HttpReply {
  const body = `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  return { status, contentType: 'text/html; charset=utf-8', body };
}

/** The most entries the dead-letter listing looks through for one page. */
const DEAD_SCAN = 10_000;

/** `limit` (1 to 10000, 100 when absent) and `cursor` (from a page's `next`) of an outbox listing. */
function outboxPageQuery(query: URLSearchParams): { limit: number; after: number | undefined } {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 100 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new KairosError('invalid', 'query "limit": must be 1 to 10000');
  const cursor = query.get('cursor');
  if (cursor === null) return { limit, after: undefined };
  if (!/^\d{1,16}$/.test(cursor)) throw new KairosError('invalid', 'query "cursor": must be the "next" of an earlier page');
  return { limit, after: Number(cursor) };
}

/**
 * One page of a channel's outbox, oldest first: `next` (present when more may follow) is the
 * cursor of the page after it. The store reads the page by key: no listing costs more than its page.
 */
export async function outboxPage(store: Store, channel: string, query: URLSearchParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  const { limit, after } = outboxPageQuery(query);
  const entries = await store.listOutbox(channel, limit, after);
  const last = entries[entries.length - 1];
  return entries.length === limit && last !== undefined ? { channel, entries, next: String(last.seq) } : { channel, entries };
}

/**
 * One page of a channel's dead letters: the dead among at most `DEAD_SCAN` entries after the
 * cursor, up to `limit`; `next` when more of the queue is left to look through (so a page may
 * hold fewer than `limit`, even none, and still have a `next`).
 */
async function deadPage(store: Store, channel: string, query: URLSearchParams): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> {
  const { limit, after } = outboxPageQuery(query);
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

export function deliveryRoutes(d: DeliveryRouteDeps): Route[] {
  const unsubscribe = async (token: string | null): Promise<HttpReply> => {
    const claim = token === null ? undefined : readUnsubscribeToken(token, d.unsubscribeSecret);
    if (claim === undefined) return page(400, 'Ссылка недействительна', 'Ссылка для отписки повреждена или устарела. Напишите нам, и мы отключим рассылку вручную.');
    await d.stopList.add({ kind: 'email', value: claim.email, channel: 'email', reason: 'unsubscribe link' }, d.clock.now(), 'unsubscribe-link');
    d.logger.info({ customer: claim.customer }, 'unsubscribed from marketing e-mail by link');
    return page(200, 'Вы отписаны', 'Мы больше не будем присылать вам рекламные письма. Сообщения об операциях по счетам будут приходить как прежде.');
  };
  return [
    {
      method: 'get',
      pattern: /^\/v1\/outbox\/([a-z]+)\/dead$/,
      auth: 'admin',
      handle: async (call, [channel = '']) => json(200, await deadPage(d.store, channel, call.query)),
    },
    {
      method: 'post',
      pattern: /^\/v1\/outbox\/([a-z]+)\/([^/]+)\/retry$/,
      auth: 'admin',
      handle: async (_call, [channel = '', id = '']) => {
        if (!(await d.store.retryOutbox(channel, id))) throw new KairosError('not_found', `no outbox entry "${id}" on ${channel}`);
        d.kick();
        return json(200, { channel, instance: id, retried: true });
      },
    },
    { method: 'get', pattern: /^\/v1\/unsubscribe$/, auth: 'none', handle: (call) => unsubscribe(call.query.get('t')) },
    // RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the same link.
    { method: 'post', pattern: /^\/v1\/unsubscribe$/, auth: 'none', handle: (call) => unsubscribe(call.query.get('t')) },
  ];
}
