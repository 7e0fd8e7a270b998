import type { GatewayEvent, GatewayResponse } from '../../actors/index.js';
import type { HostReply } from '../runtime/host-options.js';
import type { FromShard, GatewayRequest } from './shard-messages.js';
import { TurnBatches } from './turn-batches.js';

/**
 * The node's router as a shard's gateway connections see it (shard-gateway.ts): requests
 * posted to the main thread in one batch a turn, answered (`answered`) by the shard that
 * decides each (gateway-peers.ts) or by the router itself.
 *
 * Admission, as a host's (`KAIROS_MAX_IN_FLIGHT`, `KAIROS_MAX_QUEUE_MS`): on the node's port a
 * busy main thread reads frames more slowly and TCP holds the gateways back; here the shard
 * keeps reading, so past `maxInFlight` requests awaiting their answers, or once the
 * oldest of them has waited `maxQueueMs`, a request is answered `overloaded` at once, on the
 * shard, nothing of it decided (the wait before the customer's shard counts, which its host's
 * admission cannot see).
 */
export class RouterStandIn {
  private seq = 0;
  /** this turn's requests, for the main thread in one message */
  private readonly batch: TurnBatches<'router', GatewayRequest>;
  /** requests awaiting their answers, oldest first */
  private readonly waiting = new Map<number, { resolve: (reply: HostReply) => void; at: number; re: string }>();

  constructor(
    private readonly o: {
      post: (m: FromShard) => void;
      maxInFlight: number;
      /** 0: no bound on the wait */
      maxQueueMs: number;
      now?: () => number;
    },
  ) {
    this.batch = new TurnBatches((_, requests) => o.post({ t: 'gw', requests }));
  }

  submitEvent(event: GatewayEvent): Promise<HostReply> {
    return this.submit([++this.seq, 'event', event]);
  }

  submitResponse(response: GatewayResponse): Promise<HostReply> {
    return this.submit([++this.seq, 'response', response]);
  }

  /** Requests awaiting their answers. */
  get inFlight(): number {
    return this.waiting.size;
  }

  answered(replies: ReadonlyArray<readonly [number, HostReply]>): void {
    for (const [seq, reply] of replies) {
      const w = this.waiting.get(seq);
      this.waiting.delete(seq);
      w?.resolve(reply);
    }
  }

  private submit(request: GatewayRequest): Promise<HostReply> {
    const now = this.o.now?.() ?? performance.now();
    const refusal = this.refusal(now);
    if (refusal !== undefined) return Promise.resolve({ kind: 'error', re: request[2].id, code: 'overloaded', message: refusal });
    return new Promise<HostReply>((resolve) => {
      this.waiting.set(request[0], { resolve, at: now, re: request[2].id });
      this.batch.add('router', request);
    });
  }

  private refusal(now: number): string | undefined {
    this.giveUp(now);
    if (this.waiting.size >= this.o.maxInFlight) return `too many requests in flight on this shard's gateway connections (${this.o.maxInFlight}), retry later`;
    if (this.o.maxQueueMs <= 0) return undefined;
    const oldest = this.waiting.values().next().value;
    const waited = oldest === undefined ? 0 : now - oldest.at;
    return waited > this.o.maxQueueMs ? `requests in flight have waited ${Math.round(waited)} ms, past the ${this.o.maxQueueMs} ms bound; retry later` : undefined;
  }

  /**
   * Requests whose answer has not come in GIVE_UP_MS (none should: every request is answered,
   * by its shard or by the router, which holds it while a shard starts again): answered
   * `overloaded` so that one answer lost cannot hold the admission above shut for good.
   * Sent again with the same id, a request decided meanwhile is answered from its customer's
   * memory.
   */
  private giveUp(now: number): void {
    for (const [seq, w] of this.waiting) {
      if (now - w.at <= GIVE_UP_MS) return;
      this.waiting.delete(seq);
      w.resolve({ kind: 'error', re: w.re, code: 'overloaded', message: `no answer came in ${GIVE_UP_MS / 1000} s; send it again with the same id (one decided meanwhile is answered as it was)` });
    }
  }
}

/** How long a request waits for its answer before it is given up (`giveUp`): past every wait the router may impose (a shard's starts, a merge's or an erasure's hold). */
const GIVE_UP_MS = 300_000;
