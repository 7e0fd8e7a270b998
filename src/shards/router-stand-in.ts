import type { GatewayEvent, GatewayResponse } from '../../actors/index.js';
import type { HostReply } from '../runtime/host-options.js';
import type { FromShard, GatewayRequest } from './shard-messages.js';

/**
 * The node's router as a shard's gateway connections see it (shard-gateway.ts): requests
 * posted to the main thread in one batch a turn, answered by its replies (`answered`).
 *
 * Admission, as a host's (`KAIROS_MAX_IN_FLIGHT`, `KAIROS_MAX_QUEUE_MS`): on the node's port a
 * busy main thread reads frames more slowly and TCP holds the gateways back; here the shard
 * keeps reading, so past `maxInFlight` requests awaiting the main thread's answers, or once the
 * oldest of them has waited `maxQueueMs`, a request is answered `overloaded` at once, on the
 * shard, nothing of it decided (the wait before the customer's shard counts, which its host's
 * admission cannot see).
 */
export class RouterStandIn {
  private seq = 0;
  private batch: GatewayRequest[] = [];
  private queued = false;
  /** requests awaiting their answers, oldest first */
  private readonly waiting = new Map<number, { resolve: (reply: HostReply) => void; at: number }>();

  constructor(
    private readonly o: {
      post: (m: FromShard) => void;
      maxInFlight: number;
      /** 0: no bound on the wait */
      maxQueueMs: number;
      now?: () => number;
    },
  ) {}

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
      this.waiting.set(request[0], { resolve, at: now });
      this.batch.push(request);
      if (this.queued) return;
      this.queued = true;
      setImmediate(this.flush);
    });
  }

  private refusal(now: number): string | undefined {
    if (this.waiting.size >= this.o.maxInFlight) return `too many requests in flight on this shard's gateway connections (${this.o.maxInFlight}), retry later`;
    if (this.o.maxQueueMs <= 0) return undefined;
    const oldest = this.waiting.values().next().value;
    const waited = oldest === undefined ? 0 : now - oldest.at;
    return waited > this.o.maxQueueMs ? `requests in flight have waited ${Math.round(waited)} ms, past the ${this.o.maxQueueMs} ms bound; retry later` : undefined;
  }

  private readonly flush = (): void => {
    this.queued = false;
    const requests = this.batch;
    this.batch = [];
    this.o.post({ t: 'gw', requests });
  };
}
