import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { DeliveredFrame, FailedFrame } from '../schema/wire/client-frames.js';
import type { DeliverFrame } from '../schema/wire/server-frames.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { DeliveryHost } from './delivery-host.js';
import type { SendGate } from './send-check.js';
import { deliveryKey } from './delivery-key.js';
import type { RetryPolicy } from './retry-policy.js';
import { failedAttempt } from './retry-policy.js';

/**
 * The dispatcher's adapter for delivery endpoints subscribed over WebSocket (PROTOCOL.md
 * `subscribe`, `deliver`, `delivered`/`failed`): the internet bank, branch and call-centre
 * screens, a bank's own SMS or e-mail gateway. A connection registers itself as a
 * {@link Subscriber} of some channels; this adapter feeds it the channels' outbox entries
 * under flow control and takes its confirmations to the store and the customer's actor.
 *
 * Flow control: a subscriber holds at most `window` deliveries unconfirmed. Per channel a
 * feed keeps a cursor into the outbox queue; a page of the backlog (no larger than the room
 * its subscribers have left) is read after the cursor and handed out round robin; the next
 * page is read when a subscriber's confirmations bring it down to half its window. Once the
 * backlog is read, committed entries go straight out while a subscriber has room and wait in
 * the outbox for the next page otherwise. What a closing subscriber had not confirmed goes to
 * another with room, or back to the queue ahead of the cursor. Nothing here is proportional
 * to the queue: a page read, a confirmation looked up by key.
 *
 * A `failed` confirmation follows the retry policy of the own adapters (retry-policy.ts): the
 * entry waits for its backoff (`nextAttemptAt`, on the store's clock) and pages read before
 * then pass it by; once it is due the feed reads again from its place (every poll, the feeds
 * whose earliest waiting entry is due). After the last attempt it is a dead letter, which no
 * page delivers, and the customer's contact learns `failed` (not before: the delivery is
 * still under way while it is retried).
 */

/** The `deliver` frame of PROTOCOL.md (its schema: src/schema/wire/server-frames.ts): one outbox entry handed to a subscriber. */
export type { DeliverFrame };

/** A delivery endpoint, as the WebSocket connection that subscribed implements it. */
export interface Subscriber {
  /** Sends one `deliver` frame (with the connection's other frames of this turn). */
  deliver(frame: DeliverFrame): void;
  /** Whether it takes deliveries: false from the moment its connection closes (no room left). */
  readonly open: boolean;
  /** Closes its connection with a WebSocket close code (what it held unconfirmed goes to another subscriber, as at any close). */
  drop?(code: number, reason: string): void;
}

/** What a subscriber's `delivered` or `failed` frame confirms (their schemas: src/schema/wire/client-frames.ts). */
export type Confirmation = Pick<DeliveredFrame, 't' | 'instance' | 'channel'> | Pick<FailedFrame, 't' | 'instance' | 'channel' | 'reason'>;

export interface GatewaySubscribersOptions {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** unconfirmed deliveries a subscriber may hold (KAIROS_SUBSCRIBER_WINDOW) */
  window: number;
  /** how often the feeds look for entries due again after a failed attempt, and (shared stores) read every subscribed channel's queue again from its start */
  pollMs: number;
  /** the clock of the retries' backoff (`nextAttemptAt`) */
  clock: Clock;
  /** a `failed` confirmation's retry and dead letter: the own adapters' policy (KAIROS_DELIVERY_MAX_ATTEMPTS, KAIROS_DELIVERY_BACKOFF_MS) */
  retry: RetryPolicy;
  /** channels the dispatcher's own adapters deliver: no subscriber may take them */
  dispatched: ReadonlySet<string>;
  /** the customer host: confirmed offers are reported to the customers' actors */
  host: DeliveryHost;
  /** the send-time check (stop list, consent, expiry) each record passes before it is pushed; none: every record goes */
  gate?: SendGate;
}

/**
 * What the WebSocket gateway asks of delivery for its subscribed connections: a single
 * node's `GatewaySubscribers`, or the shards' (src/shards/shard-subscribers.ts), which hand
 * each subscriber every shard's entries.
 */
export type SubscriberRegistry = Pick<GatewaySubscribers, 'subscribe' | 'unsubscribe' | 'confirm'>;

/** A `delivered`/`failed` frame naming nothing delivered to its connection and unconfirmed (`invalid`). */
export function notAwaitingConfirmation(instance: string): KairosError {
  return new KairosError('invalid', `field "instance": no delivery of "${instance}" awaits confirmation on this connection`);
}

/** The most channels one subscriber may subscribe to. */
export const MAX_CHANNELS_PER_SUBSCRIBER = 64;

/** Throws `invalid` for a channel an adapter of this server delivers (`dispatched`), or past {@link MAX_CHANNELS_PER_SUBSCRIBER} with those it has. */
export function checkSubscription(dispatched: ReadonlySet<string>, has: ReadonlySet<string> | undefined, channels: readonly string[]): void {
  const own = channels.find((ch) => dispatched.has(ch));
  if (own !== undefined) {
    throw new KairosError('invalid', `field "channels": "${own}" is delivered by this server itself (its adapter is configured)`);
  }
  if (new Set([...(has ?? []), ...channels]).size > MAX_CHANNELS_PER_SUBSCRIBER) {
    throw new KairosError('invalid', `field "channels": a connection subscribes to at most ${MAX_CHANNELS_PER_SUBSCRIBER} channels`);
  }
}

/** A subscriber and what it holds. */
interface Endpoint {
  sub: Subscriber;
  /** the channels it subscribed to */
  channels: Set<string>;
  /** outbox records handed to it and not yet confirmed, by channel|instance (at most `window`) */
  inflight: Map<string, OutboxRecord>;
}

/**
 * A channel's subscribers and where delivery stands in its outbox queue. The backlog is read
 * in pages after `cursor` (a seq); new entries go straight out while the feed has read
 * everything (`caughtUp`) and a subscriber has room, and wait in the outbox otherwise.
 */
interface Feed {
  channel: string;
  subs: Endpoint[];
  /** the seq of the last entry read or delivered; 0: from the start */
  cursor: number;
  /** every entry after the cursor has been read: new ones come through push */
  caughtUp: boolean;
  /** a page read is under way */
  reading: boolean;
  /** read again from no later than this seq after the read under way (entries that came back or found no room) */
  rewind: number | undefined;
  /** instances confirmed while a page read was under way: its page may still hold them */
  settled: Set<string>;
  /**
   * entries the feed passed by while they waited for their retry (a failed attempt's
   * backoff): the lowest seq among them and the earliest due time; once that time has come,
   * the poll reads the queue again from that seq
   */
  waiting: { seq: number; at: number } | undefined;
}

export class GatewaySubscribers {
  private readonly endpoints = new Map<Subscriber, Endpoint>();
  private readonly feeds = new Map<string, Feed>();
  /** outbox entries handed to some subscriber and awaiting its confirmation (until the confirmation is stored) */
  private readonly inflight = new Map<string, Endpoint>();
  /** shared stores: entries whose send-time claim is under way (not handed out, nor claimed, twice) */
  private readonly claiming = new Set<string>();
  private roundRobin = 0;
  /** every delivery poll: the feeds whose waiting entries are due read again; on shared stores every feed reads its queue again from its start */
  private sweepTimer: NodeJS.Timeout | undefined;
  /** reads again after the poll interval (a failed activation's entry), cleared by `stop` */
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(private readonly o: GatewaySubscribersOptions) {}

  /**
   * Starts the poll: every poll, a feed whose waiting entries are due (a failed attempt's
   * backoff over) reads its queue again from the first of them; on a shared store every feed
   * reads its queue again from the start.
   */
  start(): void {
    if (this.sweepTimer !== undefined) return;
    // A shared store's queues are written by every node, and an entry may be indexed after a
    // subscriber's cursor passed its place: each channel with subscribers reads its queue
    // from the start again every poll (a page at a time, only when they have room).
    const shared = this.o.store.coordination.shared;
    this.sweepTimer = setInterval(() => {
      const now = this.o.clock.now();
      for (const feed of this.feeds.values()) {
        if (shared) this.rewind(feed, 0);
        if (feed.waiting !== undefined && feed.waiting.at <= now) {
          this.rewind(feed, feed.waiting.seq - 1);
          feed.waiting = undefined;
        }
        this.refill(feed);
      }
    }, this.o.pollMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  /** Runs `then` after the poll interval (cancelled by `stop`). */
  private later(then: () => void): void {
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      then();
    }, this.o.pollMs);
    timer.unref();
    this.retries.add(timer);
  }

  /**
   * Registers `sub` for `channels` and starts feeding it what waits in their queues (a new
   * subscriber reads each queue from its start: entries confirmed `failed` whose backoff is
   * over are offered again; dead letters never).
   * Throws `invalid` for a channel an adapter of this server delivers, or past
   * {@link MAX_CHANNELS_PER_SUBSCRIBER}; nothing is registered then.
   */
  subscribe(sub: Subscriber, channels: readonly string[]): void {
    const existing = this.endpoints.get(sub);
    checkSubscription(this.o.dispatched, existing?.channels, channels);
    const e = existing ?? { sub, channels: new Set<string>(), inflight: new Map<string, OutboxRecord>() };
    this.endpoints.set(sub, e);
    const added: Feed[] = [];
    for (const ch of channels) {
      if (e.channels.has(ch)) continue;
      e.channels.add(ch);
      let feed = this.feeds.get(ch);
      if (feed === undefined) {
        feed = { channel: ch, subs: [], cursor: 0, caughtUp: false, reading: false, rewind: undefined, settled: new Set(), waiting: undefined };
        this.feeds.set(ch, feed);
      }
      feed.subs.push(e);
      added.push(feed);
    }
    // The pages are read from the store: their deliveries follow the subscribe's answer.
    for (const feed of added) {
      this.rewind(feed, 0);
      this.refill(feed);
    }
  }

  /** A subscriber's connection closed: what it had not confirmed goes to another subscriber, or waits in the outbox for the channel's next page. */
  unsubscribe(sub: Subscriber): void {
    const e = this.endpoints.get(sub);
    if (e === undefined) return;
    this.endpoints.delete(sub);
    for (const ch of e.channels) {
      const feed = this.feeds.get(ch);
      if (feed === undefined) continue;
      feed.subs = feed.subs.filter((x) => x !== e);
      if (feed.subs.length === 0) this.feeds.delete(ch);
    }
    const orphans = [...e.inflight.values()];
    e.inflight.clear();
    for (const r of orphans) this.inflight.delete(deliveryKey(r.channel, r.instance));
    const touched = new Set<Feed>();
    for (const r of orphans) {
      const feed = this.feeds.get(r.channel);
      if (feed === undefined) continue;
      touched.add(feed);
      if (!this.deliver(feed, r)) this.rewind(feed, r.seq - 1);
    }
    for (const feed of touched) this.refill(feed);
  }

  /** Committed outbox records: out to subscribers with room; the rest wait in the outbox for the channel's next page. */
  push(records: readonly OutboxRecord[]): void {
    const behind = new Set<Feed>();
    const now = this.o.clock.now();
    for (const r of records) {
      if (this.o.dispatched.has(r.channel) || r.dead === true) continue;
      const feed = this.feeds.get(r.channel);
      if (feed === undefined || this.waits(feed, r, now)) continue;
      // Behind a page still to read, or one being read: that read (or the next) brings it.
      if (feed.reading) this.rewind(feed, r.seq - 1);
      if (!feed.caughtUp || feed.reading) {
        behind.add(feed);
        continue;
      }
      if (this.deliver(feed, r)) feed.cursor = Math.max(feed.cursor, r.seq);
      else this.rewind(feed, r.seq - 1);
    }
    // A feed still behind whose subscribers have room reads its next page now (one read per
    // channel a commit at most; none while the subscribers are full).
    for (const feed of behind) this.refill(feed);
  }

  /**
   * An entry put back in the queue due now (a dead letter retried in the admin API): the
   * channel's feed reads its queue again from the entry's place (it may have read past it).
   * No feed: the channel's first subscriber reads the queue from its start.
   */
  requeue(r: Pick<OutboxRecord, 'channel' | 'seq'>): void {
    const feed = this.feeds.get(r.channel);
    if (feed === undefined) return;
    this.rewind(feed, r.seq - 1);
    this.refill(feed);
  }

  /**
   * A `delivered` or `failed` confirmation: only for a delivery this subscriber received and
   * has not confirmed yet (looked up by key, never by reading the queue). Resolves once the
   * customer's actor has been told and the store has it; throws a KairosError otherwise.
   *
   * `failed` is a failed attempt under the own adapters' retry policy (retry-policy.ts): the
   * entry is stored to be retried after the backoff, or, after the last attempt, as a dead
   * letter; only then is the customer's actor told `failed` (as the dispatcher does).
   *
   * Never half-done (stored but not reported): the actor is told first, the store written
   * after. A report the host does not take (`overloaded`: busy or shutting down) stores
   * nothing, and the delivery stays this subscriber's to confirm: its retry finds it. A store
   * write that fails after the report leaves the entry in the outbox: the retry, or the
   * subscriber the entry goes to once this one closes, confirms it again, and the report is
   * repeated harmlessly (it sets the contact's delivery status to the same value again). A
   * customer erased meanwhile (`unknown_customer`) has no contact to record it on: the
   * confirmation is stored all the same.
   */
  async confirm(sub: Subscriber, confirmation: Confirmation): Promise<void> {
    const e = this.endpoints.get(sub);
    let record: OutboxRecord | undefined;
    if (e !== undefined) {
      if (confirmation.channel !== undefined) record = e.inflight.get(deliveryKey(confirmation.channel, confirmation.instance));
      else for (const ch of e.channels) record ??= e.inflight.get(deliveryKey(ch, confirmation.instance));
    }
    if (e === undefined || record === undefined) {
      throw notAwaitingConfirmation(confirmation.instance);
    }
    const key = deliveryKey(record.channel, record.instance);
    e.inflight.delete(key);
    // A failed attempt: retried after the backoff, or after the last one a dead letter.
    const failure = confirmation.t === 'failed' ? { reason: confirmation.reason ?? 'failed', ...failedAttempt(record, this.o.retry, this.o.clock.now()) } : undefined;
    // Still out (no page delivers it again) until the store has taken the confirmation.
    try {
      // A seed-list copy goes to the bank's test recipient: not the customer's contact, nothing to report (as the dispatcher does);
      // a failed attempt to be retried: nothing yet.
      if (record.kind === 'offer' && record.seed !== true && failure?.dead !== false) await this.report(record.instance, confirmation);
      if (failure === undefined) await this.o.store.removeOutbox(record.channel, record.instance);
      else await this.o.store.failOutbox(record.channel, record.instance, failure.reason, failure.next);
    } catch (err) {
      // Not reported or not stored: the delivery is still this subscriber's to confirm (its retry finds it);
      // had it closed meanwhile, the delivery goes to another subscriber.
      if (sub.open && this.inflight.get(key) === e) e.inflight.set(key, record);
      else if (this.inflight.get(key) === e) {
        this.inflight.delete(key);
        const feed = this.feeds.get(record.channel);
        if (feed !== undefined) {
          this.rewind(feed, record.seq - 1);
          this.refill(feed);
        }
      }
      throw err;
    }
    if (this.inflight.get(key) === e) this.inflight.delete(key);
    const feed = this.feeds.get(record.channel);
    if (feed?.reading === true) feed.settled.add(record.instance);
    // The feed has read past it: it reads from its place again once the backoff is over.
    if (feed !== undefined && failure !== undefined && 'retryAt' in failure.next) this.wait(feed, record.seq, failure.next.retryAt);
    // Down to the low-water mark: the next page of each channel still behind.
    if (e.inflight.size <= this.o.window / 2) for (const ch of e.channels) this.refillChannel(ch);
    // Each confirmation counted as the endpoint said (`delivered`, `failed`); the last failed attempt also as `dead`, as every channel's dead letters.
    this.o.metrics.deliveries.inc({ channel: channelLabel(record.channel), result: confirmation.t });
    if (failure?.dead === true) this.o.metrics.deliveries.inc({ channel: channelLabel(record.channel), result: 'dead' });
    if (failure !== undefined) {
      const { attempts, dead, reason } = failure;
      this.o.logger.warn({ channel: record.channel, instance: record.instance, attempts, dead, reason }, dead ? 'the subscriber failed the delivery for good: in the dead letters' : 'the subscriber failed the delivery; will retry');
    }
  }

  /** Whether `r` waits for its retry (a failed attempt's backoff) at `now`: then the feed passes it by and notes it. */
  private waits(feed: Feed, r: OutboxRecord, now: number): boolean {
    if (r.nextAttemptAt === undefined || r.nextAttemptAt <= now) return false;
    this.wait(feed, r.seq, r.nextAttemptAt);
    return true;
  }

  /** Notes an entry the feed passes by until `at` (its retry): the poll reads again from its place once the earliest such time has come. */
  private wait(feed: Feed, seq: number, at: number): void {
    const w = feed.waiting;
    feed.waiting = w === undefined ? { seq, at } : { seq: Math.min(w.seq, seq), at: Math.min(w.at, at) };
  }

  /** Tells the customer's actor how its offer went; throws when the host did not take it (an erased customer is no failure). */
  private async report(instance: string, confirmation: Confirmation): Promise<void> {
    const r = await this.o.host.submitDelivery(instance, confirmation.t, confirmation.t === 'failed' ? confirmation.reason : undefined);
    if (r.kind === 'error' && r.code !== 'unknown_customer') throw new KairosError(r.code, r.message);
  }

  /** Marks a feed to read again from after `seq` (no later than any other mark). */
  private rewind(feed: Feed, seq: number): void {
    feed.rewind = feed.rewind === undefined ? seq : Math.min(feed.rewind, seq);
    feed.caughtUp = false;
  }

  /** Free delivery slots a subscriber has left. */
  private room(e: Endpoint): number {
    return e.sub.open ? this.o.window - e.inflight.size : 0;
  }

  /**
   * Hands one record to a subscriber of its channel with room (round robin); false when none
   * has room. A record already out to some subscriber counts as handed out.
   */
  private deliver(feed: Feed, r: OutboxRecord): boolean {
    const key = deliveryKey(r.channel, r.instance);
    if (this.inflight.has(key)) return true;
    // The send-time check, in the same turn as the hand-over below (send-check.ts).
    const problem = this.o.gate?.check(r);
    if (problem === 'inactive') {
      // Its customer's actor comes into memory first; then the feed reads it again.
      // A failed activation (a store read failed) reads it again after the poll interval: the cursor has moved past it.
      void this.o.gate?.activate(r).then(
        () => {
          this.rewind(feed, r.seq - 1);
          this.refill(feed);
        },
        (err: unknown) => {
          this.o.logger.error({ err, channel: r.channel, instance: r.instance }, 'activating a customer for the send-time check failed; trying again after the poll interval');
          this.rewind(feed, r.seq - 1);
          this.later(() => this.refill(feed));
        },
      );
      return true;
    }
    if (problem === 'cancelling' || this.claiming.has(key)) return true;
    if (problem !== undefined) {
      void this.o.gate?.cancel(r, problem);
      return true;
    }
    const gate = this.o.gate;
    if (gate !== undefined && this.o.store.coordination.shared && r.kind === 'offer' && r.seed !== true) {
      // Several nodes: read fresh and claimed in one Redis step first (send-check.ts), then handed over in the claim's turn.
      if (!feed.subs.some((e) => this.room(e) > 0)) return false;
      this.claiming.add(key);
      void gate.checkBeforeSend(r).then(
        (verdict) => {
          this.claiming.delete(key);
          const problem = verdict ?? gate.check(r);
          if (problem === undefined) {
            if (!this.handOver(feed, r)) {
              this.rewind(feed, r.seq - 1);
              this.refill(feed);
            }
          } else if (problem !== 'inactive' && problem !== 'cancelling' && problem !== 'changed') void gate.cancel(r, problem);
          // Not live any more, or changed on another node during the claim: the next sweep reads it again.
        },
        (err: unknown) => {
          this.claiming.delete(key);
          this.o.logger.error({ err, channel: r.channel, instance: r.instance }, 'the send-time claim failed; the next sweep tries again');
        },
      );
      return true;
    }
    return this.handOver(feed, r);
  }

  /** Hands a checked record to a subscriber of its channel with room (round robin); false when none has room. */
  private handOver(feed: Feed, r: OutboxRecord): boolean {
    const key = deliveryKey(r.channel, r.instance);
    if (this.inflight.has(key)) return true;
    const n = feed.subs.length;
    let e: Endpoint | undefined;
    for (let i = 0; i < n && e === undefined; i++) {
      const candidate = feed.subs[this.roundRobin++ % n];
      if (candidate !== undefined && this.room(candidate) > 0) e = candidate;
    }
    if (e === undefined) return false;
    this.inflight.set(key, e);
    e.inflight.set(key, r);
    const frame: DeliverFrame = {
      t: 'deliver',
      instance: r.instance,
      customer: r.customer,
      channel: r.channel,
      campaign: r.campaign,
      offer: r.offer,
      content: r.kind === 'offer' ? r.content : { action: r.action, vars: r.vars },
    };
    if (r.kind === 'offer') frame.expiresAt = r.expiresAt;
    e.sub.deliver(frame);
    this.o.metrics.deliveries.inc({ channel: channelLabel(r.channel), result: 'pushed' });
    return true;
  }

  /**
   * Reads the feed's next page of the outbox, as large as the room its subscribers have left
   * (at most `window`), and delivers it; again while pages come back full and room is left.
   * One read at a time per channel; nothing here is proportional to the queue.
   */
  private refill(feed: Feed): void {
    if (feed.reading || this.feeds.get(feed.channel) !== feed) return;
    if (feed.rewind !== undefined) {
      feed.cursor = Math.min(feed.cursor, Math.max(0, feed.rewind));
      feed.rewind = undefined;
      feed.caughtUp = false;
    }
    if (feed.caughtUp) return;
    let room = 0;
    for (const e of feed.subs) room += Math.max(0, this.room(e));
    const limit = Math.min(room, this.o.window);
    if (limit === 0) return;
    feed.reading = true;
    feed.settled.clear();
    this.o.store.listOutbox(feed.channel, limit, feed.cursor).then(
      (page) => {
        feed.reading = false;
        const settled = feed.settled;
        feed.settled = new Set();
        if (this.feeds.get(feed.channel) !== feed) return;
        let full = false;
        const now = this.o.clock.now();
        for (const r of page) {
          // Dead letters and entries waiting for their retry are passed by (the latter noted: read again when due).
          if (r.dead !== true && !settled.has(r.instance) && !this.waits(feed, r, now) && !this.deliver(feed, r)) {
            // No room left (a subscriber closed meanwhile): this entry waits for the next page.
            full = true;
            break;
          }
          feed.cursor = r.seq;
        }
        if (!full && page.length < limit) feed.caughtUp = true;
        this.refill(feed);
      },
      (err: unknown) => {
        feed.reading = false;
        this.o.logger.error({ err, channel: feed.channel }, 'reading the outbox backlog failed');
      },
    );
  }

  private refillChannel(channel: string): void {
    const feed = this.feeds.get(channel);
    if (feed !== undefined) this.refill(feed);
  }
}
