import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { HostReply } from '../runtime/host-options.js';
import type { AnswerTo, GatewayPeer, ToShardGateway } from './shard-messages.js';
import { TurnBatches } from './turn-batches.js';

type Replies = ReadonlyArray<readonly [seq: number, reply: HostReply]>;

/**
 * A shard's channels to the other shards' gateways (KAIROS_GATEWAY_PORT, shard-gateway.ts):
 * the answers this shard decides for their connections' requests go to them directly, in one
 * batch a peer and turn, never through the main thread; theirs for this shard's connections
 * come in on the same channels (`take`). A request names the worker that accepted it (`to`:
 * its shard, that worker's epoch, its number there): an answer for a worker that is no longer
 * the shard's (it stopped, its connections with it) is dropped, never given to its successor's
 * connections under a number that is theirs now.
 */
export class GatewayPeers {
  private readonly peers = new Map<number, { epoch: number; port: MessagePort }>();
  /** answers for each peer's connections decided this turn */
  private readonly out = new TurnBatches<number, readonly [number, HostReply]>((shard, replies) => this.peers.get(shard)?.port.postMessage({ t: 'gw-replies', replies } satisfies ToShardGateway));

  constructor(
    private readonly o: {
      /** this shard and its worker's epoch */
      index: number;
      epoch: number;
      /** answers for this worker's own connections (decided here, or by a peer) */
      local: (replies: Replies) => void;
    },
  ) {}

  /**
   * The channel to a peer's worker of `epoch`, in place of the one to its worker before: what
   * that worker posted here before it stopped (answers for this worker's connections, decided
   * and committed, the main thread told they are done) is taken first (closing a port drops
   * what it holds unread); what this worker had gathered for it this turn is dropped (its
   * connections are gone, and the new worker's numbers are its own).
   */
  add(peer: GatewayPeer): void {
    const before = this.peers.get(peer.index);
    if (before !== undefined) {
      this.drainPort(before.port);
      before.port.close();
      this.out.drop(peer.index);
    }
    this.peers.set(peer.index, { epoch: peer.epoch, port: peer.port });
    peer.port.on('message', this.take);
    // (the thread's end is the main thread's to decide, not held up by a peer's channel)
    peer.port.unref();
  }

  /** Answers a request of a gateway connection this shard decided: here at once when the connection is this worker's, else to its shard at the end of the turn. */
  answerFor(to: AnswerTo, reply: HostReply): void {
    const [shard, epoch, seq] = to;
    if (shard === this.o.index) {
      if (epoch === this.o.epoch) this.o.local([[seq, reply]]);
      return;
    }
    if (this.peers.get(shard)?.epoch === epoch) this.out.add(shard, [seq, reply]);
  }

  /** Posts the answers decided this turn for the peers' connections now (before the thread says it is closed). */
  flush(): void {
    this.out.flush();
  }

  /** Takes at once what the peers have posted here and this thread has not read yet (before its sockets close). */
  drain(): void {
    for (const { port } of this.peers.values()) this.drainPort(port);
  }

  private drainPort(port: MessagePort): void {
    for (let got = receiveMessageOnPort(port); got !== undefined; got = receiveMessageOnPort(port)) this.take(got.message as ToShardGateway);
  }

  /** Every channel closed (the thread's gateway closes). */
  close(): void {
    for (const { port } of this.peers.values()) port.close();
    this.peers.clear();
    this.out.clear();
  }

  private readonly take = (m: ToShardGateway): void => {
    // (a peer posts answers only)
    if (m.t === 'gw-replies') this.o.local(m.replies);
  };
}
