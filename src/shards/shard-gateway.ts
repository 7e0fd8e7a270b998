import type { Config } from '../config.js';
import { gatewayTls } from '../config.js';
import type { Confirmation, Subscriber, SubscriberRegistry } from '../delivery/gateway-subscribers.js';
import { checkSubscription, notAwaitingConfirmation } from '../delivery/gateway-subscribers.js';
import { adapterChannels } from '../delivery-parts.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { eventsRoute } from '../transport/events-route.js';
import { SharedClientBuckets } from '../transport/shared-client-buckets.js';
import { GatewayServer } from '../transport/gateway-server.js';
import type { KeyTable } from '../transport/key-ring.js';
import { KeyRing, KeyTableCopy, bootstrapKeys } from '../transport/key-ring.js';
import { loadUws } from '../transport/uws.js';
import { GatewayPeers } from './gateway-peers.js';
import { RouterStandIn } from './router-stand-in.js';
import { shardStarting } from './shard-starting.js';
import type { HostReply } from '../runtime/host-options.js';
import type { AnswerTo, FromShard, GatewayPeer, ToShardGateway, WireError } from './shard-messages.js';
import { fromWire, toWire } from './shard-messages.js';

/**
 * A shard's side of the gateway port (KAIROS_GATEWAY_PORT, docs/scale-out.md "Every core"):
 * every shard listens on it with SO_REUSEPORT, so the kernel spreads the gateways' connections
 * over the shards, and each shard does their transport's work itself: the upgrade and its
 * token, the frames (read, checked, rate-limited, answered, written), POST /v1/events. What a
 * connection asks goes to the node's router on the main thread, in one batch a turn of this
 * thread's loop in the order it came (so each connection's order is kept), and from there to
 * its customer's shard as any request does (the identity directory, a merge's forwarding, a
 * shard being started again: the router's, unchanged). The shard that decides a request
 * answers it here itself, in one batch a turn on a channel between the two threads (or in
 * its own gateway when the connection is its own), the main thread only told that it is done
 * (`answerFor`): the router's thread handles a request once, not its answer too. What the
 * router answers itself (a request held past its bounds, a node shutting down, an identifier
 * withheld) comes back through it.
 *
 * Its key table is a copy of the main thread's, handed over at the start and at each change;
 * a connection whose key is revoked, rotated or given another scope is closed within a second
 * of the change, as on the node's port. A connection that subscribes is one more subscriber of
 * the node's (shard-subscribers.ts): its frames come through the main thread.
 */
export class ShardGateway {
  private readonly server: GatewayServer;
  private readonly router: RouterStandIn;
  private readonly subscribers: SubscribersStandIn;
  private readonly table: KeyTableCopy;
  private readonly keys: KeyRing;

  private readonly post: (m: FromShard) => void;
  private listening: Promise<void> | undefined;
  private closed = false;
  /** the other shards' gateways: answers for their connections go there, theirs for this shard's come from there */
  private readonly peers: GatewayPeers;

  constructor(o: { config: Readonly<Config>; index: number; epoch: number; peers: readonly GatewayPeer[]; port: number; keys: KeyTable; buckets: SharedArrayBuffer; up: SharedArrayBuffer; logger: Logger; metrics: Metrics; post: (m: FromShard) => void }) {
    const { config, logger, metrics, post } = o;
    this.post = post;
    metrics.host.gatewayPort = () => ({ shard: o.index, open: this.server.openConnections });
    this.table = new KeyTableCopy(o.keys);
    this.keys = new KeyRing({ store: this.table, bootstrap: bootstrapKeys(config), production: config.env === 'production', now: () => Date.now() });
    const up = new Int32Array(o.up);
    this.router = new RouterStandIn({ post, maxInFlight: config.maxInFlight, maxQueueMs: config.maxQueueMs });
    this.peers = new GatewayPeers({ index: o.index, epoch: o.epoch, local: (replies) => this.router.answered(replies) });
    for (const p of o.peers) this.peers.add(p);
    this.subscribers = new SubscribersStandIn(adapterChannels(config), post);
    this.server = new GatewayServer({
      uws: loadUws(),
      config,
      host: this.router,
      subscribers: this.subscribers,
      logger,
      metrics,
      keys: this.keys,
      // (a client's connections spread over the shards: its POST /v1/events limit is the node's, not each shard's)
      routes: [eventsRoute({ host: this.router, metrics, logger, rateLimit: config.rateLimitPerConnection, buckets: new SharedClientBuckets(config.rateLimitPerConnection, o.buckets) })],
      // (as the node's port: 503 while a shard, this one or another, is being started again)
      notReadyReason: () => shardStarting(up),
      gatewayPort: { port: o.port, shared: true },
      ...gatewayTls(config),
    });
  }

  /** Listens on the gateway port beside the other shards (once). */
  listen(): Promise<void> {
    this.listening ??= this.server.listen().then(() => this.server.setReady(true));
    return this.listening;
  }

  /**
   * Answers a request of a gateway connection that this shard decided: in its own gateway when
   * the connection is this worker's, else posted to the shard that accepted it (gateway-peers.ts).
   */
  answerFor(to: AnswerTo, reply: HostReply): void {
    this.peers.answerFor(to, reply);
  }

  /** Posts now the answers for the other shards' connections decided this turn (before the thread says it is closed). */
  flushPeers(): void {
    this.peers.flush();
  }

  /** What the main thread says to the shard's gateway (a peer shard's answers come in through GatewayPeers). */
  take(m: ToShardGateway): void {
    switch (m.t) {
      case 'gw-peer':
        this.peers.add(m.peer);
        return;
      case 'gw-replies':
        this.router.answered(m.replies);
        return;
      case 'gw-deliver':
        this.subscribers.deliver(m.id, m.frame);
        return;
      case 'gw-drop':
        this.subscribers.drop(m.id, m.code, m.reason);
        return;
      case 'gw-confirmed':
        this.subscribers.confirmed(m.seq, m.error);
        return;
      case 'gw-keys':
        this.table.set(m.keys);
        // (read now: a connection on a key revoked is closed at once; the change's reply waits for it)
        void this.keys
          .refresh()
          .catch(() => undefined)
          .then(() => this.post({ t: 'gw-keys-taken', seq: m.seq }));
        return;
      case 'gw-open':
        this.listen().then(
          () => this.post({ t: 'gw-opened' }),
          (err: unknown) => this.post({ t: 'gw-opened', error: toWire(err) }),
        );
        return;
      case 'gw-drain':
        this.server.startDraining();
        return;
      case 'gw-close': {
        // The answers the other shards posted here before they closed (each before it said
        // `closed`, and the main thread asks this only after): taken now, and written by the
        // connections before their sockets close (the promises they resolve run first).
        this.peers.drain();
        setImmediate(() => {
          this.close(m.restart === true);
          this.post({ t: 'gw-closed' });
        });
        return;
      }
    }
  }

  /** No new connections (the other shards take the port's); those open stay until `close`. */
  stopListening(): void {
    this.server.stopListening();
  }

  /**
   * Every connection closed and the app ended (before the thread ends: uWS's sockets left open
   * would abort the process); once. `restart`: the node lives on and the shard is started
   * again (1012 "service restart", as protocol.md has it for a shard's thread that stops), else
   * the node is closing (1001).
   */
  close(restart: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.peers.close();
    if (restart) this.server.closeConnections(1012, 'service restart');
    else this.server.closeConnections();
    this.server.closeApp();
  }
}

/** The node's WebSocket subscribers as this shard's connections see them: each subscription the main thread's, its frames through it. */
class SubscribersStandIn implements SubscriberRegistry {
  private nextId = 0;
  private readonly ids = new Map<Subscriber, { id: number; channels: Set<string> }>();
  private readonly byId = new Map<number, Subscriber>();
  private nextSeq = 0;
  private readonly confirming = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  constructor(
    private readonly dispatched: ReadonlySet<string>,
    private readonly post: (m: FromShard) => void,
  ) {}

  subscribe(sub: Subscriber, channels: readonly string[]): void {
    const known = this.ids.get(sub);
    // (the rules a single node's registry checks, answered on the connection at once)
    checkSubscription(this.dispatched, known?.channels, channels);
    const s = known ?? { id: ++this.nextId, channels: new Set<string>() };
    this.ids.set(sub, s);
    this.byId.set(s.id, sub);
    for (const ch of channels) s.channels.add(ch);
    this.post({ t: 'gw-subscribe', id: s.id, channels });
  }

  unsubscribe(sub: Subscriber): void {
    const s = this.ids.get(sub);
    if (s === undefined) return;
    this.ids.delete(sub);
    this.byId.delete(s.id);
    this.post({ t: 'gw-unsubscribe', id: s.id });
  }

  confirm(sub: Subscriber, confirmation: Confirmation): Promise<void> {
    const s = this.ids.get(sub);
    if (s === undefined) return Promise.reject(notAwaitingConfirmation(confirmation.instance));
    const seq = ++this.nextSeq;
    return new Promise<void>((resolve, reject) => {
      this.confirming.set(seq, { resolve, reject });
      this.post({ t: 'gw-confirm', seq, id: s.id, confirmation });
    });
  }

  deliver(id: number, frame: Parameters<Subscriber['deliver']>[0]): void {
    const sub = this.byId.get(id);
    if (sub?.open === true) sub.deliver(frame);
  }

  drop(id: number, code: number, reason: string): void {
    this.byId.get(id)?.drop?.(code, reason);
  }

  confirmed(seq: number, error: WireError | undefined): void {
    const c = this.confirming.get(seq);
    this.confirming.delete(seq);
    if (c === undefined) return;
    if (error === undefined) c.resolve();
    else c.reject(fromWire(error));
  }
}
