import { createHmac } from 'node:crypto';
import type { OutboxRecord } from '../store/store.js';
import type { ChannelAdapter } from './dispatcher.js';
import { KairosError } from '../errors.js';
import { webhookHeaders, webhookKey } from './webhook-signature.js';

/**
 * Back-office actions (issue the credit the customer accepted) as signed JSON webhooks:
 * `POST <url>` with `Idempotency-Key: <offer instance>` (the back office does each action
 * once however often it is retried), the Standard Webhooks headers (`webhook-id: <offer
 * instance>`, `webhook-timestamp`, `webhook-signature: v1,…`; webhook-signature.ts) and,
 * for receivers built before them, `X-Kairos-Signature: sha256=<hex HMAC of the body>`
 * with the same key. 2xx is done; 4xx other than 408/429 is permanent; anything else is retried.
 */
export interface WebhookOptions {
  url: string;
  /** `whsec_<base64>` or a plain secret (webhook-signature.ts `webhookKey`) */
  secret: string;
  ratePerSec: number;
  timeoutMs?: number;
  /**
   * The wall clock the timestamp is read from (epoch ms); `Date.now` by default. Not the
   * server's clock: a receiver checks the timestamp against its own real time, so a manual
   * QA clock must not move it.
   */
  now?: () => number;
}

/** The older signature: `sha256=<hex HMAC-SHA256 of the body>`, keyed as the Standard Webhooks one. */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', webhookKey(secret)).update(body).digest('hex')}`;
}

export class WebhookAdapter implements ChannelAdapter {
  /** the channel it delivers (known before one is built: `adapterChannels`) */
  static readonly CHANNEL = 'backoffice';
  readonly channel = WebhookAdapter.CHANNEL;
  readonly ratePerSec: number;
  private readonly key: Buffer;

  constructor(private readonly o: WebhookOptions) {
    this.ratePerSec = o.ratePerSec;
    // A malformed whsec_ secret fails when the adapters are built, at start.
    this.key = webhookKey(o.secret);
  }

  async send(r: OutboxRecord): Promise<void> {
    if (r.kind !== 'backoffice') throw new KairosError('delivery_refused', 'not a back-office action');
    const body = JSON.stringify({ id: r.instance, action: r.action, customer: r.customer, campaign: r.campaign, offer: r.offer, vars: r.vars, at: r.at });
    const res = await fetch(this.o.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': r.instance,
        ...webhookHeaders(this.key, r.instance, (this.o.now ?? Date.now)(), body),
        'x-kairos-signature': `sha256=${createHmac('sha256', this.key).update(body).digest('hex')}`,
      },
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
