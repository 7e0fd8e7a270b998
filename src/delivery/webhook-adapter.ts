import { createHmac } from 'node:crypto';
import type { OutboxRecord } from '../store/store.js';
import type { ChannelAdapter } from './dispatcher.js';
import { KairosError } from '../errors.js';

/**
 * Back-office actions (issue the credit the customer accepted) as signed JSON webhooks:
 * `POST <url>` with `Idempotency-Key: <offer instance>` (the back office does each action
 * once however often it is retried) and `X-Kairos-Signature: sha256=<HMAC of the body>`.
 * 2xx is done; 4xx other than 408/429 is permanent; anything else is retried.
 */
export interface WebhookOptions {
  url: string;
  secret: string;
  ratePerSec: number;
  timeoutMs?: number;
}

export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookAdapter implements ChannelAdapter {
  readonly channel = 'backoffice';
  readonly ratePerSec: number;

  constructor(private readonly o: WebhookOptions) {
    this.ratePerSec = o.ratePerSec;
  }

  async send(r: OutboxRecord): Promise<void> {
    if (r.kind !== 'backoffice') throw new KairosError('delivery_refused', 'not a back-office action');
    const body = JSON.stringify({ id: r.instance, action: r.action, customer: r.customer, campaign: r.campaign, offer: r.offer, vars: r.vars, at: r.at });
    const res = await fetch(this.o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': r.instance, 'x-kairos-signature': webhookSignature(body, this.o.secret) },
      body,
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    if (res.ok) return;
    const text = (await res.text()).slice(0, 200);
    const reason = `HTTP ${res.status}${text === '' ? '' : `: ${text}`}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new KairosError('delivery_refused', reason);
    throw new KairosError('delivery_failed', reason);
  }
}
