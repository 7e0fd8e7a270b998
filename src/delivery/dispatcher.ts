import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { CommittedFeed } from './committed-feed.js';
import type { DeliveryHost } from './delivery-host.js';
import { deliveryKey } from './delivery-key.js';
import { GatewaySubscribers } from './gateway-subscribers.js';
import { failedAttempt } from './retry-policy.js';
import { SendGate } from './send-check.js';

/**
 * The one delivery path for committed outbox records: the host pushes them into the
 * committed-records feed the dispatcher subscribes to when it is built, and from here they leave either through the server's own channel adapters (SMS over SMPP,
 * e-mail over SMTP, the back office over signed webhooks) or, for every other channel,
 * through the gateway-subscriber adapter to delivery endpoints subscribed over WebSocket
 * (`subscribers`). The own adapters deliver at least once, in the order committed, each
 * channel at the rate its far end accepts and within its daily capacity; a failure is
 * retried with exponential backoff and, after the last attempt (or at once for a
 * `delivery_refused` error: the far end will not change its mind), parked in the dead
 * letters (visible and retryable in the admin API); the customer's contact record learns
 * delivered or failed. A subscriber's `failed` confirmation follows the same policy
 * (`retry-policy.ts`). Every send, here and to subscribers, first passes the send-time check
 * (`send-check.ts`: stop list, consent, expiry); what may no longer go is cancelled as
 * `suppressed`.
 *
 * Built after the host and the adapters, with both: nothing here is bound late. `start`
 * and `stop` only start and stop the polling (and the subscribers' sweep on a shared store).
 */

export interface ChannelAdapter {
  readonly channel: string;
  /** units a second the far end accepts (the SMS aggregator's contract: `submit_sm` parts; messages elsewhere) */
  readonly ratePerSec: number;
  /** the units of `ratePerSec` a record takes (an SMS: its parts); 1 when absent */
  cost?(record: OutboxRecord): number;
  /** deliveries a day (the call centre's capacity); unbounded when absent */
  readonly perDay?: number;
  /** the adapter reports delivery itself (SMS receipts): the far end's acceptance is not delivery */
  readonly reportsDelivery?: boolean;
  /** Connects ahead of the first send when the far end also sends to us (SMS replies and receipts); called by the dispatcher's `start`. */
  start?(): void;
  /** Delivers one record; throws to fail (a KairosError `delivery_refused`: no retry). */
  send(record: OutboxRecord): Promise<void>;
  close?(): Promise<void>;
}

/** On a shared store: how long another node's claimed entry stays untouched before this node takes it over. */
const CLAIM_IDLE_MS = 60_000;

export interface DispatcherOptions {
  store: Store;
  /** this node's name in the outbox streams' consumer group (shared stores) */
  consumer?: string;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** the customer host: delivery outcomes go to the customers' actors */
  host: DeliveryHost;
  /** the records the host commits (its `onCommitted` pushes into it); subscribed to at construction */
  committed: CommittedFeed;
  /** the server's own channel adapters, built with the host (receipts and replies go to it) */
  adapters: readonly ChannelAdapter[];
  maxAttempts: number;
  /** the first retry's delay; each next one doubles, up to an hour */
  backoffMs: number;
  pollMs: number;
  /** unconfirmed deliveries a WebSocket subscriber may hold (KAIROS_SUBSCRIBER_WINDOW) */
  subscriberWindow: number;
  /** tests only: awaited between the send-time check's fresh read and its claim (`SendGateOptions.beforeClaim`) */
  beforeClaim?: (r: OutboxRecord) => Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
  day: number;
  today: number;
}

export class OutboxDispatcher {
  private readonly adapters = new Map<string, ChannelAdapter>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly inflight = new Set<string>();
  private readonly sending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  /** idle until `start` (the own adapters' queues wait; subscribers are fed), then running, then stopped */
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  /** the adapter for every channel without an own adapter: endpoints subscribed over WebSocket */
  readonly subscribers: GatewaySubscribers;
  /** the send-time check (stop list, consent, expiry) every send passes, own adapters and subscribers alike */
  private readonly gate: SendGate;

  constructor(private readonly o: DispatcherOptions) {
    for (const a of o.adapters) this.adapters.set(a.channel, a);
    this.gate = new SendGate({ host: o.host, store: o.store, clock: o.clock, logger: o.logger, metrics: o.metrics, ...(o.beforeClaim === undefined ? {} : { beforeClaim: o.beforeClaim }) });
    this.subscribers = new GatewaySubscribers({
      gate: this.gate,
      store: o.store,
      logger: o.logger,
      metrics: o.metrics,
      window: o.subscriberWindow,
      pollMs: o.pollMs,
      clock: o.clock,
      retry: { maxAttempts: o.maxAttempts, backoffMs: o.backoffMs },
      dispatched: this.channels,
      host: o.host,
    });
    o.committed.subscribe((records) => this.notify(records));
  }

  /** The channels this server delivers itself (not to WebSocket subscribers). */
  get channels(): ReadonlySet<string> {
    return new Set(this.adapters.keys());
  }

  /** Starts polling the own adapters' queues (and, on a shared store, sweeping the subscribed ones). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    for (const a of this.adapters.values()) a.start?.();
    this.subscribers.start();
    this.timer = setInterval(() => void this.pump(), this.o.pollMs);
    this.timer.unref();
    void this.pump();
  }

  /** Committed records (from the feed): the own adapters' channels soon, the others to their subscribers now. */
  private notify(records: readonly OutboxRecord[]): void {
    if (records.some((r) => this.adapters.has(r.channel))) void this.pump();
    this.subscribers.push(records);
  }

  /** One pass over every adapter channel's outbox; resolves when what it started has been handed over. */
  pump(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    if (this.pumping !== undefined) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          // Cancellations the host did not take last time (busy), own channels and subscribed ones alike.
          await this.gate.retryCancellations();
          for (const adapter of this.adapters.values()) await this.pumpChannel(adapter);
        } while (this.again && this.state === 'running');
      } catch (err) {
        this.o.logger.error({ err }, 'outbox dispatch pass failed; retrying at the next poll');
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  /**
   * A token bucket per channel (`ratePerSec` units, refilled at that rate): a record goes
   * when a unit is there and takes its `cost` (an SMS its parts), the bucket going into debt
   * for a record dearer than what is left, so the next waits until the debt is paid.
   */
  private take(adapter: ChannelAdapter, now: number, cost: number): boolean {
    const day = Math.floor(now / 86_400_000);
    const b = this.buckets.get(adapter.channel) ?? { tokens: adapter.ratePerSec, at: now, day, today: 0 };
    b.tokens = Math.min(adapter.ratePerSec, b.tokens + ((now - b.at) / 1000) * adapter.ratePerSec);
    b.at = now;
    if (b.day !== day) {
      b.day = day;
      b.today = 0;
    }
    this.buckets.set(adapter.channel, b);
    if (b.tokens < 1 || (adapter.perDay !== undefined && b.today >= adapter.perDay)) return false;
    b.tokens -= cost;
    b.today += 1;
    return true;
  }

  private async pumpChannel(adapter: ChannelAdapter): Promise<void> {
    // On a shared store, through the channel's consumer group: no other node sends these (a single node: the queue).
    const records = await this.o.store.coordination.claimOutbox(adapter.channel, this.o.consumer ?? 'kairos', 1000, CLAIM_IDLE_MS);
    const now = this.o.clock.now();
    let pending = 0;
    let oldest = now;
    for (const r of records) {
      if (r.dead === true) continue;
      pending++;
      oldest = Math.min(oldest, r.at);
      const key = deliveryKey(r.channel, r.instance);
      if (this.inflight.has(key) || (r.nextAttemptAt ?? 0) > now) continue;
      // Wall time for the rate (the far end's clock), not the manual clock.
      if (!this.take(adapter, Date.now(), adapter.cost?.(r) ?? 1)) break;
      this.inflight.add(key);
      const p = this.deliver(adapter, r).finally(() => {
        this.inflight.delete(key);
        this.sending.delete(p);
      });
      this.sending.add(p);
    }
    this.o.metrics.outboxPending.set({ channel: channelLabel(adapter.channel) }, pending);
    this.o.metrics.outboxLagSeconds.set({ channel: channelLabel(adapter.channel) }, pending === 0 ? 0 : Math.max(0, now - oldest) / 1000);
  }

  private async deliver(adapter: ChannelAdapter, r: OutboxRecord): Promise<void> {
    const channel = channelLabel(r.channel);
    // Read fresh and claimed in one step on a shared store (send-check.ts); the hand-over below in the same turn.
    // `check` once more in this turn: an opt-out acknowledged on this node while the claim was under way.
    const problem = (await this.gate.checkBeforeSend(r)) ?? this.gate.check(r);
    // Passivated again meanwhile, being cancelled, or changed on another node during the claim: the next pass.
    if (problem === 'inactive' || problem === 'cancelling' || problem === 'changed') return;
    if (problem !== undefined) {
      await this.gate.cancel(r, problem);
      return;
    }
    // Handed to the adapter in the same turn as the check and claim: an opt-out acknowledged before them was seen.
    const sending = adapter.send(r);
    try {
      await sending;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const { attempts, dead, next } = failedAttempt(r, this.o, this.o.clock.now(), err instanceof KairosError && err.code === 'delivery_refused');
      await this.o.store.failOutbox(r.channel, r.instance, reason, next);
      this.o.metrics.deliveries.inc({ channel, result: dead ? 'dead' : 'retry' });
      this.o.logger.warn({ channel: r.channel, instance: r.instance, attempts, dead, reason }, dead ? 'delivery failed for good: in the dead letters' : 'delivery failed; will retry');
      if (dead && r.kind === 'offer' && r.seed !== true) await this.report(r.instance, 'failed', reason);
      return;
    }
    await this.o.store.removeOutbox(r.channel, r.instance);
    this.o.metrics.deliveries.inc({ channel, result: 'delivered' });
    // Seed-list copies are not the customer's contact.
    if (r.kind === 'offer' && r.seed !== true && adapter.reportsDelivery !== true) await this.report(r.instance, 'delivered');
  }

  /** Tells the customer's actor how its message went (a customer erased meanwhile has no contact to record it on). */
  private async report(instance: string, status: 'delivered' | 'failed', reason?: string): Promise<void> {
    try {
      const r = await this.o.host.submitDelivery(instance, status, reason);
      if (r.kind === 'error' && r.code !== 'unknown_customer') throw new KairosError(r.code, r.message);
    } catch (err) {
      this.o.logger.error({ err, instance }, 'recording the delivery on the contact failed');
    }
  }

  /**
   * An entry put back in the queue (`Store.retryOutbox`: a dead letter retried in the admin
   * API): the next pass of its channel's adapter, or its channel's subscribers read the queue
   * again from its place (on a single node their feed had read past it).
   */
  retried(r: Pick<OutboxRecord, 'channel' | 'seq'>): void {
    if (this.adapters.has(r.channel)) void this.pump();
    else this.subscribers.requeue(r);
  }

  /** Stops polling and waits for the deliveries under way. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.subscribers.stop();
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.pumping;
    await Promise.allSettled([...this.sending]);
    for (const a of this.adapters.values()) await a.close?.();
  }
}
