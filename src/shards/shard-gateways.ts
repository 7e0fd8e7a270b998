import type { GatewayEvent, GatewayResponse } from '../../actors/index.js';
import type { DeliverFrame, Subscriber, SubscriberRegistry } from '../delivery/gateway-subscribers.js';
import { notAwaitingConfirmation } from '../delivery/gateway-subscribers.js';
import type { Logger } from '../logger.js';
import type { HostReply } from '../runtime/host-options.js';
import type { AnswerTo, FromShard, ToShard } from './shard-messages.js';
import { TurnBatches } from './turn-batches.js';
import { toWire } from './shard-messages.js';

/**
 * The main thread's side of the shards' gateway connections (KAIROS_GATEWAY_PORT,
 * shard-gateway.ts): each shard's batch of requests handed to the node's router in its order
 * (so each connection's order is kept), each naming where it is answered: the shard that
 * decides it answers that shard itself. The answers the router gives here (a request
 * refused, held past its bounds, the node shutting down, one whose answer has more to do
 * here) are posted back in one batch a shard and turn,
 * and each subscription of a shard's connection made a subscriber of the node's, whose frames
 * go out through that shard.
 *
 * A shard that stops takes its connections with it: its answers still owed are dropped (the
 * requests are decided all the same, as for a client gone; a gateway sending again gets the
 * same answer from the actor's memory of the request id) and its subscribers are taken off
 * the node's (what they held goes to another subscriber, as at any close).
 */
export class ShardGateways {
  /** a shard's answers of this turn, by shard */
  private readonly out: TurnBatches<number, readonly [number, HostReply]>;
  /** each shard's worker, counted: answers owed to a worker gone are dropped */
  private readonly epochs: number[];
  /** the subscribers of each shard's connections, by the shard's id for them */
  private readonly subs: Array<Map<number, RemoteSubscriber>>;

  constructor(
    private readonly o: {
      count: number;
      /** `to`: where the shard that decides the request answers it (the promise then settles only with an answer the router gives itself) */
      router: { submitEvent(e: GatewayEvent, to?: AnswerTo): Promise<HostReply>; submitResponse(r: GatewayResponse, to?: AnswerTo): Promise<HostReply> };
      subscribers: SubscriberRegistry;
      /** posts to a shard's worker now; false when it has none */
      post: (shard: number, m: ToShard) => boolean;
      logger: Logger;
    },
  ) {
    this.out = new TurnBatches((shard, replies) => o.post(shard, { t: 'gw-replies', replies }));
    this.epochs = Array.from({ length: o.count }, () => 0);
    this.subs = Array.from({ length: o.count }, () => new Map<number, RemoteSubscriber>());
  }

  /** A message of a shard's gateway; false for any other. */
  take(shard: number, m: FromShard): boolean {
    switch (m.t) {
      case 'gw': {
        const epoch = this.epochs[shard]!;
        for (const r of m.requests) {
          const seq = r[0];
          const to: AnswerTo = [shard, epoch, seq];
          // (a throw of the router's, as a rejection: answered `internal`, the rest of the batch still submitted)
          const reply = new Promise<HostReply>((resolve) => resolve(r[1] === 'event' ? this.o.router.submitEvent(r[2], to) : this.o.router.submitResponse(r[2], to)));
          reply.then(
            (answer) => this.answer(shard, epoch, seq, answer),
            (err: unknown) => {
              this.o.logger.error({ err, shard }, "a request of a shard's gateway connection failed");
              this.answer(shard, epoch, seq, { kind: 'error', re: r[2].id, code: 'internal', message: 'internal error' });
            },
          );
        }
        return true;
      }
      case 'gw-subscribe': {
        const known = this.subs[shard]!.get(m.id);
        const sub = known ?? new RemoteSubscriber(m.id, shard, this.o.post);
        try {
          this.o.subscribers.subscribe(sub, m.channels);
          this.subs[shard]!.set(m.id, sub);
        } catch (err) {
          // (the shard checked the same rules before it posted)
          this.o.logger.error({ err, shard, subscriber: m.id }, "a subscription of a shard's gateway connection was refused here");
          if (known === undefined) sub.drop(1011, 'the subscription could not be made; reconnect and subscribe');
        }
        return true;
      }
      case 'gw-unsubscribe': {
        const sub = this.subs[shard]!.get(m.id);
        if (sub === undefined) return true;
        this.subs[shard]!.delete(m.id);
        sub.open = false;
        this.o.subscribers.unsubscribe(sub);
        return true;
      }
      case 'gw-confirm': {
        const epoch = this.epochs[shard];
        const sub = this.subs[shard]!.get(m.id);
        const done = sub === undefined ? Promise.reject(notAwaitingConfirmation(m.confirmation.instance)) : this.o.subscribers.confirm(sub, m.confirmation);
        done.then(
          () => this.epochs[shard] === epoch && this.o.post(shard, { t: 'gw-confirmed', seq: m.seq }),
          (err: unknown) => this.epochs[shard] === epoch && this.o.post(shard, { t: 'gw-confirmed', seq: m.seq, error: toWire(err) }),
        );
        return true;
      }
      default:
        return false;
    }
  }

  /** Which of shard `shard`'s workers is the current one (counted from 0; one more at each stop). */
  epochOf(shard: number): number {
    return this.epochs[shard]!;
  }

  /** A shard's worker stopped: its connections are gone. */
  stopped(shard: number): void {
    this.epochs[shard]!++;
    this.out.drop(shard);
    const subs = this.subs[shard]!;
    for (const sub of subs.values()) {
      sub.open = false;
      this.o.subscribers.unsubscribe(sub);
    }
    subs.clear();
  }

  private relayedCount = 0;

  /** Answers to the shards' connections given here, by the router (the rest come from the deciding shard itself). */
  get relayed(): number {
    return this.relayedCount;
  }

  private answer(shard: number, epoch: number | undefined, seq: number, reply: HostReply): void {
    if (this.epochs[shard] !== epoch) return;
    this.relayedCount++;
    this.out.add(shard, [seq, reply]);
  }

  /** Posts the answers queued this turn now (the node's close: before the shards' sockets close). */
  flushAnswers(): void {
    this.out.flush();
  }
}

/** A subscriber on a shard's gateway connection, as the node's subscribers feed it: its frames posted to that shard. */
class RemoteSubscriber implements Subscriber {
  open = true;

  constructor(
    readonly id: number,
    private readonly shard: number,
    private readonly post: (shard: number, m: ToShard) => boolean,
  ) {}

  deliver(frame: DeliverFrame): void {
    if (!this.post(this.shard, { t: 'gw-deliver', id: this.id, frame })) this.open = false;
  }

  drop(code: number, reason: string): void {
    this.post(this.shard, { t: 'gw-drop', id: this.id, code, reason });
  }
}
