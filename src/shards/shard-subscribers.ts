import type { Confirmation, DeliverFrame, Subscriber, SubscriberRegistry } from '../delivery/gateway-subscribers.js';
import { checkSubscription, notAwaitingConfirmation } from '../delivery/gateway-subscribers.js';
import { deliveryKey } from '../delivery/delivery-key.js';
import { KairosError } from '../errors.js';
import type { ToShard, WireError } from './shard-messages.js';
import { fromWire } from './shard-messages.js';

/**
 * The WebSocket subscribers of a node whose customers are spread over shards (docs/scale-out.md):
 * the connections live on the main thread, the outbox entries in each shard's store. Every
 * shard's dispatcher feeds a stand-in of each subscriber (shard-worker.ts) under its own flow
 * control, and the stand-in's `deliver` frames come here to go out on the real connection. A
 * `delivered` or `failed` confirmation goes back to the shard that delivered what it names
 * (remembered from the frame that went out), which records it as a single node does.
 *
 * Each shard hands a subscriber at most its share of the window (divided among the shards,
 * rounded up), and the connection holds at most the window itself: a frame past it waits here
 * until a confirmation makes room (at most one a shard waits so). A shard that stops takes
 * with it what it had handed out: the connections holding any of it are closed (1012,
 * "service restart"), as a single node's connection would be, and what they held goes out
 * again to a subscriber, from the shard started again (it is told every subscription when it
 * starts) or from the others once the connection is gone; a confirmation the stopped shard
 * was asked for and did not answer fails `overloaded`.
 */
export class ShardSubscribers implements SubscriberRegistry {
  private readonly byId = new Map<number, Endpoint>();
  private readonly bySub = new Map<Subscriber, Endpoint>();
  private nextId = 0;
  private nextSeq = 0;
  /** confirmations posted to a shard, by sequence number */
  private readonly confirming = new Map<number, { shard: number; resolve: () => void; reject: (err: Error) => void }>();

  constructor(
    private readonly o: {
      count: number;
      /** the channels the shards' own adapters deliver */
      dispatched: ReadonlySet<string>;
      /** unconfirmed deliveries a connection may hold (KAIROS_SUBSCRIBER_WINDOW) */
      window: number;
      /** posts to a shard's worker; false when it has none now (it is told everything when it starts) */
      post: (shard: number, m: ToShard) => boolean;
    },
  ) {}

  subscribe(sub: Subscriber, channels: readonly string[]): void {
    const existing = this.bySub.get(sub);
    checkSubscription(this.o.dispatched, existing?.channels, channels);
    const e = existing ?? { id: ++this.nextId, sub, channels: new Set<string>(), held: new Map<string, number>(), waiting: [] };
    this.bySub.set(sub, e);
    this.byId.set(e.id, e);
    const added = channels.filter((ch) => !e.channels.has(ch));
    for (const ch of added) e.channels.add(ch);
    if (added.length === 0) return;
    for (let shard = 0; shard < this.o.count; shard++) this.o.post(shard, { t: 'subscribe', id: e.id, channels: added });
  }

  unsubscribe(sub: Subscriber): void {
    const e = this.bySub.get(sub);
    if (e === undefined) return;
    this.bySub.delete(sub);
    this.byId.delete(e.id);
    for (let shard = 0; shard < this.o.count; shard++) this.o.post(shard, { t: 'unsubscribe', id: e.id });
  }

  confirm(sub: Subscriber, confirmation: Confirmation): Promise<void> {
    const e = this.bySub.get(sub);
    let key: string | undefined;
    if (e !== undefined) {
      if (confirmation.channel !== undefined) key = deliveryKey(confirmation.channel, confirmation.instance);
      else for (const ch of e.channels) if (e.held.has(deliveryKey(ch, confirmation.instance))) key ??= deliveryKey(ch, confirmation.instance);
    }
    const shard = key === undefined ? undefined : e?.held.get(key);
    if (e === undefined || key === undefined || shard === undefined) {
      return Promise.reject(notAwaitingConfirmation(confirmation.instance));
    }
    const seq = ++this.nextSeq;
    return new Promise<void>((resolve, reject) => {
      this.confirming.set(seq, { shard, resolve, reject });
      if (!this.o.post(shard, { t: 'confirm', seq, id: e.id, confirmation })) {
        this.confirming.delete(seq);
        reject(new KairosError('overloaded', `shard ${shard} takes no confirmation now (starting again, or the node is closing); confirm again shortly`));
      }
    }).then(() => {
      // (a later frame for the same entry from this shard may have replaced it: the same shard either way)
      e.held.delete(key);
      this.pass(e);
    });
  }

  /** Frames waiting for room go out while the connection holds less than its window. */
  private pass(e: Endpoint): void {
    while (e.waiting.length > 0 && e.held.size < this.o.window && e.sub.open) {
      const [shard, frame] = e.waiting.shift()!;
      e.held.set(deliveryKey(frame.channel, frame.instance), shard);
      e.sub.deliver(frame);
    }
  }

  /** A shard's `deliver` for a subscriber: out on its connection while it is subscribed (else the shard is told it is gone soon, and takes the entry back). */
  delivered(shard: number, id: number, frame: DeliverFrame): void {
    const e = this.byId.get(id);
    if (e === undefined || !e.sub.open) return;
    e.waiting.push([shard, frame]);
    this.pass(e);
  }

  /** A shard's answer to a confirmation. */
  confirmed(seq: number, error: WireError | undefined): void {
    const w = this.confirming.get(seq);
    if (w === undefined) return;
    this.confirming.delete(seq);
    if (error === undefined) w.resolve();
    else w.reject(fromWire(error));
  }

  /** A shard's worker stopped: its unanswered confirmations fail (retry), and the connections holding what it had handed out are closed (see above). */
  stopped(shard: number): void {
    for (const [seq, w] of this.confirming) {
      if (w.shard !== shard) continue;
      this.confirming.delete(seq);
      w.reject(new KairosError('overloaded', `shard ${shard} stopped before recording the confirmation; confirm again shortly`));
    }
    for (const e of [...this.byId.values()]) {
      if (![...e.held.values(), ...e.waiting.map(([s]) => s)].includes(shard)) continue;
      // (its close unsubscribes it: the other shards offer what it held from them again too)
      if (e.sub.drop !== undefined) e.sub.drop(1012, `shard ${shard} restarted: what this connection held goes out again; reconnect and subscribe`);
      else {
        for (const [key, s] of e.held) if (s === shard) e.held.delete(key);
        e.waiting = e.waiting.filter(([s]) => s !== shard);
      }
    }
  }

  /** A shard's worker is ready: every subscription, so that its dispatcher feeds them. */
  started(shard: number): void {
    for (const e of this.byId.values()) this.o.post(shard, { t: 'subscribe', id: e.id, channels: [...e.channels] });
  }

  /** Subscribers' windows in each shard: the node's window shared among the shards. */
  static windowPerShard(window: number, count: number): number {
    return Math.max(1, Math.ceil(window / count));
  }
}

/** A subscribed connection: its channels, and which shard handed it each delivery it has not confirmed. */
interface Endpoint {
  id: number;
  sub: Subscriber;
  channels: Set<string>;
  /** channel|instance -> the shard that delivered it (out on the connection, not yet confirmed) */
  held: Map<string, number>;
  /** frames from the shards waiting for room in the window, in the order they came */
  waiting: Array<readonly [shard: number, frame: DeliverFrame]>;
}
