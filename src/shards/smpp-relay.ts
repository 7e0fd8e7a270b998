import type { DeliveryHost } from '../delivery/delivery-host.js';
import type { ChannelAdapter } from '../delivery/dispatcher.js';
import type { Logger } from '../logger.js';
import { SmppAdapter } from '../delivery/smpp-adapter.js';
import { KairosError } from '../errors.js';
import { smsPartCount } from '../delivery/sms-parts.js';
import type { OutboxRecord } from '../store/store.js';
import type { FromShard, WireError } from './shard-messages.js';
import { fromWire } from './shard-messages.js';
import type { Shards } from './shards.js';

/**
 * SMS over SMPP on a node with shards (docs/scale-out.md): an SMSC hands receipts and replies
 * to whichever bind it likes, so the node keeps one bind, on the main thread
 * (`SmppAdapter`, as a single node's). Each shard's dispatcher delivers its customers' SMS
 * through an `SmppRelay` (its `sms` adapter, at its share of the rate, the receipt its
 * delivery as on a single node), which posts each record to the main thread and waits for the
 * bind's answer. The bind's receipts go to the shard of the customer the offer instance names
 * (`NodeSmsHost.submitDelivery`), and a customer's reply is routed as any event (by the
 * customer the last SMS to that phone was for, kept in the node's store, else by the phone in
 * the directory).
 */

/** How long a shard waits for the main thread to hand an SMS to the SMSC before the attempt fails (and is retried: the retry joins the same send, `NodeSms`). */
const RELAY_TIMEOUT_MS = 20_000;

/** How many instances handed to the SMSC the node remembers, so that a shard's retry (after a timeout or a restart) does not send one again. */
const REMEMBERED = 100_000;

/**
 * The node's one SMPP bind as the shards' relays use it: at most `KAIROS_SMPP_RATE` a second
 * over all shards, and once an offer instance: a relay's retry of an SMS still being handed
 * over joins that send, and one already handed over (a shard started again sends what it had
 * not recorded as sent) is answered sent without a second SMS.
 */
export class NodeSms {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly sent = new Set<string>();
  private next = 0;

  constructor(
    private readonly send: (record: OutboxRecord) => Promise<void>,
    private readonly ratePerSec: number,
  ) {}

  relay(record: OutboxRecord): Promise<void> {
    const key = `${record.channel}/${record.instance}`;
    if (this.sent.has(key)) return Promise.resolve();
    const joined = this.inFlight.get(key);
    if (joined !== undefined) return joined;
    const run = this.paced(smsPartCount(record))
      .then(() => this.send(record))
      .then(() => {
        this.sent.add(key);
        if (this.sent.size > REMEMBERED) this.sent.delete(this.sent.values().next().value as string);
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  /** Waits for this send's slot at the node's rate, which counts `submit_sm` parts: a send of `parts` holds the next back that many slots. */
  private paced(parts: number): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + (parts * 1000) / Math.max(this.ratePerSec, 0.001);
    return at <= now ? Promise.resolve() : new Promise((r) => setTimeout(r, at - now));
  }
}

/** A shard's `sms` adapter: each record handed to the node's one SMPP bind on the main thread. */
export class SmppRelay implements ChannelAdapter {
  readonly channel = SmppAdapter.CHANNEL;
  readonly reportsDelivery = true;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    readonly ratePerSec: number,
    private readonly post: (m: FromShard) => void,
  ) {}

  /** An SMS costs the shard's share of `KAIROS_SMPP_RATE` its parts, as on a single node. */
  cost(record: OutboxRecord): number {
    return smsPartCount(record);
  }

  send(record: OutboxRecord): Promise<void> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new KairosError('delivery_failed', 'the node did not hand the SMS to the SMSC in time'));
      }, RELAY_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(seq, { resolve, reject, timer });
      this.post({ t: 'sms', seq, record });
    });
  }

  /** The main thread's answer for a record: sent, or the error the bind met. */
  sent(seq: number, error: WireError | undefined): void {
    const w = this.waiting.get(seq);
    if (w === undefined) return;
    this.waiting.delete(seq);
    clearTimeout(w.timer);
    if (error === undefined) w.resolve();
    else w.reject(fromWire(error));
  }

  close(): Promise<void> {
    for (const [seq, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new KairosError('delivery_failed', 'the shard is stopping'));
      this.waiting.delete(seq);
    }
    return Promise.resolve();
  }
}

/** What the node's SMPP bind reports to: receipts to the customer's shard, replies routed as events; an answer refused is logged. */
export function nodeSmsHost(shards: Pick<Shards, 'submitEvent' | 'submitDelivery'>, logger: Logger): DeliveryHost {
  return {
    submitDelivery: async (instance, status, reason) => {
      const answer = await shards.submitDelivery(instance, status, reason);
      if (answer.kind === 'error') logger.warn({ instance, code: answer.code, message: answer.message }, 'an SMS receipt was not recorded');
      return answer;
    },
    submitEvent: (event) => shards.submitEvent(event),
  };
}
