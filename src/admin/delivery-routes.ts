import type { Clock } from '../clock.js';
import { readUnsubscribeToken } from '../delivery/unsubscribe.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StopList } from '../stop-list.js';
import type { Store } from '../store/store.js';
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
      handle: async (_call, [channel = '']) => json(200, { channel, entries: (await d.store.listOutbox(channel, 10_000)).filter((r) => r.dead === true) }),
    },
    {
      method: 'post',
      pattern: /^\/v1\/outbox\/([a-z]+)\/([^/]+)\/retry$/,
      auth: 'admin',
      handle: async (_call, [channel = '', instance = '']) => {
        const id = instance; // decoded by routeParams
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
