import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { ErrorCode } from '../errors.js';
import { KairosError, asKairosError, errorCatalog } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { CustomerHost, HostReply } from '../runtime/customer-host.js';
import type { OutboxRecord, Store } from '../store/store.js';
import { TokenSet } from './auth.js';
import type { ClientFrame } from './frames.js';
import { FrameError, decodeFrame, encodeFrame, parseClientFrame, parseEvent, readableId } from './frames.js';
import type { HttpCall, HttpReply, Route } from './http.js';
import { errorReply, json, routeParams, statusLine } from './http.js';
import type { HttpRequest, HttpResponse, TemplatedApp, Uws, WebSocket, us_listen_socket } from './uws.js';

/**
 * The gateway server on uWebSockets.js: the WebSocket protocol at /v1/gateway (PROTOCOL.md
 * v1), the HTTP endpoints (/health, /ready, /metrics, POST /v1/events) and the admin routes.
 * Inbound order: rate limit -> decode -> validate -> actor. Every request frame gets exactly
 * one reply; a bad frame gets an error and never affects another connection.
 */

export interface GatewayServerOptions {
  uws: Uws;
  config: Readonly<Config>;
  host: CustomerHost;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  adminRoutes: readonly Route[];
  tls?: { certFile: string; keyFile: string };
  /** channels the server delivers itself (SMTP, webhooks): not offered to subscribers */
  dispatched?: ReadonlySet<string>;
}

interface Conn {
  id: number;
  closed: boolean;
  tokens: number;
  refilledAt: number;
  badFrames: number;
  badWindowStart: number;
  /** the channels its gateway token may subscribe to; undefined: every channel */
  scope: ReadonlySet<string> | undefined;
  /** channels this connection subscribed to */
  channels: Set<string>;
  /** outbox records pushed to this connection and not yet confirmed, by channel|instance (at most `subscriberWindow`) */
  inflight: Map<string, OutboxRecord>;
  /** frames sent in this turn of the event loop, written together at its end (`send`) */
  out: Uint8Array[];
}

type Ws = WebSocket<Conn>;

/** uWS reads frames up to this many times the configured limit, so that one a little too large is answered with 1009. */
const OVERSIZE_READ_FACTOR = 4;

/** What a gateway token grants: the channels it may subscribe to and confirm (undefined: every channel). */
interface GatewayGrant {
  channels: ReadonlySet<string> | undefined;
}

/**
 * A channel's subscribers and where delivery stands in its outbox queue. The backlog is read
 * in pages after `cursor` (a seq), each no larger than the room the subscribers have left
 * (`subscriberWindow` unconfirmed deliveries a connection); new entries go straight out
 * while the feed has read everything (`caughtUp`) and a subscriber has room, and wait in the
 * outbox for a later page otherwise.
 */
interface Feed {
  channel: string;
  subs: Ws[];
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
}

const deliveryKey = (channel: string, instance: string): string => `${channel}|${instance}`;

/** The most channels one connection may subscribe to. */
const MAX_CHANNELS_PER_CONNECTION = 64;

function isMsgpack(contentType: string): boolean {
  const t = contentType.toLowerCase();
  return t.startsWith('application/msgpack') || t.startsWith('application/x-msgpack') || t.startsWith('application/vnd.msgpack');
}

export class GatewayServer {
  private app: TemplatedApp | undefined;
  private listenSocket: us_listen_socket | undefined;
  private readonly conns = new Set<Ws>();
  private readonly feeds = new Map<string, Feed>();
  /** outbox entries pushed to some connection and awaiting its confirmation (until the confirmation is stored) */
  private readonly inflight = new Map<string, Ws>();
  private readonly gatewayTokens: TokenSet<GatewayGrant>;
  private readonly adminKeys: TokenSet;
  private readonly routes: readonly Route[];
  /** connections with frames in `out`, written when the turn's promise callbacks have run */
  private readonly unsent = new Set<Ws>();
  private writeQueued = false;
  private nextConnId = 1;
  /** shared stores: reads each subscribed channel's queue again from its start, every delivery poll */
  private sweepTimer: NodeJS.Timeout | undefined;
  private ready = false;
  private roundRobin = 0;

  constructor(private readonly o: GatewayServerOptions) {
    this.gatewayTokens = new TokenSet(o.config.gatewayTokens.map((t) => [t.token, { channels: t.channels === undefined ? undefined : new Set(t.channels) }] as const));
    this.adminKeys = TokenSet.of(o.config.adminKeys);
    this.routes = [...this.builtinRoutes(), ...o.adminRoutes];
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    const { uws, config } = this.o;
    const app = this.o.tls === undefined ? uws.App() : uws.SSLApp({ cert_file_name: this.o.tls.certFile, key_file_name: this.o.tls.keyFile });
    this.app = app;
    app.ws<Conn>('/v1/gateway', {
      compression: uws.DISABLED,
      // uWS's own limits sit above Kairos's: past them uWS cuts the socket with no close frame
      // (1006). Below them Kairos closes with the documented codes (1009 oversize, 1013 slow
      // consumer), and the close frame still fits in what uWS will buffer.
      maxPayloadLength: config.maxPayloadBytes * OVERSIZE_READ_FACTOR,
      idleTimeout: config.idleTimeoutSec,
      maxBackpressure: config.maxBackpressureBytes * 2 + 64 * 1024,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => {
        this.conns.add(ws);
        this.o.metrics.connections.set(this.conns.size);
      },
      message: (ws, message, isBinary) => {
        try {
          this.onMessage(ws, message, isBinary);
        } catch (err) {
          this.o.logger.error({ err }, 'handling a frame failed');
          this.sendError(ws, undefined, 'internal', 'internal error');
        }
      },
      close: (ws) => this.onClose(ws),
    });
    app.any('/*', (res, req) => this.onHttp(res, req));
    return new Promise((resolve, reject) => {
      app.listen(config.host, config.port, (token) => {
        if (token === false) {
          reject(new Error(`cannot listen on ${config.host}:${config.port} (is the port in use?)`));
          return;
        }
        this.listenSocket = token;
        resolve(uws.us_socket_local_port(token));
        // A shared store's queues are written by every node, and an entry may be indexed after
        // a subscriber's cursor passed its place: each channel with subscribers reads its queue
        // from the start again every poll (a page at a time, only when they have room).
        if (this.o.store.coordination.shared) {
          this.sweepTimer = setInterval(() => {
            for (const feed of this.feeds.values()) {
              this.rewind(feed, 0);
              this.refill(feed);
            }
          }, config.deliveryPollMs);
          this.sweepTimer.unref();
        }
      });
    });
  }

  /** Stops accepting connections and requests (ready goes false); open connections stay until closeConnections. */
  stopListening(): void {
    this.ready = false;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.listenSocket !== undefined) {
      this.o.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
  }

  closeConnections(): void {
    for (const ws of [...this.conns]) {
      const c = ws.getUserData();
      if (!c.closed) ws.end(1001, 'server shutting down');
    }
  }

  // -------------------------------------------------------------------------------------
  // WebSocket

  private upgrade(res: HttpResponse, req: HttpRequest, context: Parameters<HttpResponse['upgrade']>[4]): void {
    const authorization = req.getHeader('authorization');
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const grant = this.gatewayTokens.find(authorization === '' ? undefined : authorization);
    if (grant === undefined) {
      this.o.metrics.errors.inc({ code: 'unauthorized' });
      res
        .writeStatus(statusLine(401))
        .writeHeader('WWW-Authenticate', 'Bearer realm="kairos"')
        .writeHeader('Content-Type', 'application/json')
        .end(JSON.stringify({ code: 'unauthorized', message: 'a gateway token is required: Authorization: Bearer <token>' }));
      return;
    }
    if (!this.ready) {
      res.writeStatus(statusLine(503)).writeHeader('Content-Type', 'application/json').end(JSON.stringify({ code: 'unavailable', message: 'not ready' }));
      return;
    }
    const conn: Conn = {
      id: this.nextConnId++,
      closed: false,
      tokens: this.o.config.rateLimitPerConnection * 2,
      refilledAt: performance.now(),
      badFrames: 0,
      badWindowStart: performance.now(),
      scope: grant.channels,
      channels: new Set(),
      inflight: new Map(),
      out: [],
    };
    res.upgrade(conn, key, protocol, extensions, context);
  }

  private onClose(ws: Ws): void {
    const c = ws.getUserData();
    c.closed = true;
    // Frames not yet written die with the connection (a closed uWS socket must not be touched).
    c.out = [];
    this.unsent.delete(ws);
    this.conns.delete(ws);
    this.o.metrics.connections.set(this.conns.size);
    for (const ch of c.channels) {
      const feed = this.feeds.get(ch);
      if (feed === undefined) continue;
      feed.subs = feed.subs.filter((x) => x !== ws);
      if (feed.subs.length === 0) this.feeds.delete(ch);
    }
    // What this endpoint had not confirmed goes to another subscriber, or waits in the outbox
    // for the channel's next page.
    const orphans = [...c.inflight.values()];
    c.inflight.clear();
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

  private takeToken(c: Conn, now: number): boolean {
    const rate = this.o.config.rateLimitPerConnection;
    c.tokens = Math.min(rate * 2, c.tokens + ((now - c.refilledAt) / 1000) * rate);
    c.refilledAt = now;
    if (c.tokens < 1) return false;
    c.tokens -= 1;
    return true;
  }

  /** Counts a bad frame; past the limit in a minute, the connection is closed. */
  private badFrame(ws: Ws, now: number): void {
    const c = ws.getUserData();
    if (now - c.badWindowStart > 60_000) {
      c.badWindowStart = now;
      c.badFrames = 0;
    }
    c.badFrames++;
    if (c.badFrames > this.o.config.maxBadFramesPerMinute && !c.closed) {
      this.o.logger.warn({ conn: c.id, badFrames: c.badFrames }, 'closing a connection that keeps sending bad frames');
      this.closeWith(ws, 1008, 'too many bad frames');
    }
  }

  /** Closes a connection with a code, after the frames already queued for it (the last bad frame's answer among them). */
  private closeWith(ws: Ws, code: number, reason: string): void {
    const c = ws.getUserData();
    if (c.closed) return;
    this.unsent.delete(ws);
    this.write(ws);
    if (c.closed) return;
    c.closed = true;
    ws.end(code, reason);
  }

  private onMessage(ws: Ws, message: ArrayBuffer, isBinary: boolean): void {
    const start = performance.now();
    const c = ws.getUserData();
    if (message.byteLength > this.o.config.maxPayloadBytes) {
      this.o.metrics.errors.inc({ code: 'payload_too_large' });
      this.closeWith(ws, 1009, `frame exceeds ${this.o.config.maxPayloadBytes} bytes`);
      return;
    }
    if (!this.takeToken(c, start)) {
      let re: string | undefined;
      if (isBinary) {
        try {
          const raw = decodeFrame(new Uint8Array(message));
          re = readableId(raw);
        } catch {
          // no readable id
        }
      }
      this.sendError(ws, re, 'rate_limited', 'too many frames on this connection; slow down');
      return;
    }
    if (!isBinary) {
      this.sendError(ws, undefined, 'bad_frame', 'text frames are refused: send each frame as binary MessagePack');
      this.badFrame(ws, start);
      return;
    }
    let frame: ClientFrame;
    try {
      frame = parseClientFrame(decodeFrame(new Uint8Array(message)));
    } catch (err) {
      if (err instanceof FrameError) {
        this.sendError(ws, err.re, err.code, err.message);
        this.badFrame(ws, start);
        return;
      }
      throw err;
    }
    switch (frame.t) {
      case 'event':
        this.o.metrics.events.inc({ channel: channelLabel(frame.event.channel) });
        this.o.host.submitEvent(frame.event).then(
          (r) => this.sendHostReply(ws, r, start, 'event'),
          (err: unknown) => this.internalError(ws, frame.event.id, err),
        );
        return;
      case 'response':
        this.o.host.submitResponse(frame.response).then(
          (r) => this.sendHostReply(ws, r, start, 'response'),
          (err: unknown) => this.internalError(ws, frame.response.id, err),
        );
        return;
      case 'subscribe':
        this.subscribe(ws, frame.id, frame.channels);
        return;
      case 'delivered':
      case 'failed':
        void this.confirm(ws, frame).then(
          () => this.send(ws, { t: 'ack', re: frame.id }),
          (err: unknown) => {
            const e = asKairosError(err);
            if (e.code === 'internal') this.o.logger.error({ err }, 'delivery confirmation failed');
            this.sendError(ws, frame.id, e.code, e.publicMessage);
          },
        );
        return;
      default: {
        const never: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(never)}`);
      }
    }
  }

  private sendHostReply(ws: Ws, r: HostReply, start: number, kind: 'event' | 'response'): void {
    switch (r.kind) {
      case 'decision':
        this.countDecision(r);
        this.send(ws, { t: 'decision', re: r.re, customer: r.customer, actions: r.actions });
        break;
      case 'ack':
        this.send(ws, { t: 'ack', re: r.re });
        break;
      case 'error':
        this.sendError(ws, r.re, r.code, r.message);
        break;
      default: {
        const never: never = r;
        throw new Error(`unhandled reply ${JSON.stringify(never)}`);
      }
    }
    this.o.metrics.decisionSeconds.observe({ kind }, (performance.now() - start) / 1000);
  }

  /** Decisions by outcome, and the contacts a new one made. */
  private countDecision(r: Extract<HostReply, { kind: 'decision' }>): void {
    this.o.metrics.decisions.inc({ outcome: r.duplicate ? 'duplicate' : r.actions.length > 0 ? 'offer' : 'silent' });
    if (!r.duplicate) for (const a of r.actions) this.o.metrics.contacts.inc({ campaign: a.campaign, channel: a.channel });
  }

  private internalError(ws: Ws, re: string, err: unknown): void {
    this.o.logger.error({ err }, 'replying failed');
    this.sendError(ws, re, 'internal', 'internal error');
  }

  private sendError(ws: Ws, re: string | undefined, code: ErrorCode, message: string): void {
    this.o.metrics.errors.inc({ code });
    const frame: Record<string, unknown> = { t: 'error', code, message };
    if (re !== undefined) frame.re = re;
    this.send(ws, frame);
  }

  /**
   * Sends one frame. Frames are not written one by one: the replies a group commit releases
   * are sent by one promise callback each, and a write apiece was a system call apiece (8 % of
   * the event loop at 5,000 events/s). They wait in the connection's `out` until the promise
   * callbacks queued meanwhile have run, then go out together, corked: one write a
   * connection. The order of a connection's frames is kept.
   */
  private send(ws: Ws, frame: object): void {
    const c = ws.getUserData();
    if (c.closed) return;
    c.out.push(encodeFrame(frame));
    this.unsent.add(ws);
    if (!this.writeQueued) {
      this.writeQueued = true;
      queueMicrotask(this.writeUnsent);
    }
  }

  /** Writes every connection's waiting frames, corked; a connection past its backpressure limit is closed rather than fed forever. */
  private readonly writeUnsent = (): void => {
    this.writeQueued = false;
    // Each connection leaves the set as it is written: a frame sent meanwhile (closing one
    // connection hands its unconfirmed deliveries to another) queues it, and the write, again.
    for (const ws of this.unsent) {
      this.unsent.delete(ws);
      this.write(ws);
    }
  };

  /** Writes a connection's waiting frames, corked; past the backpressure limit it is closed (1013) rather than fed forever. */
  private write(ws: Ws): void {
    const c = ws.getUserData();
    const frames = c.out;
    c.out = [];
    if (c.closed || frames.length === 0) return;
    const limit = this.o.config.maxBackpressureBytes;
    let result = 1;
    ws.cork(() => {
      for (const bytes of frames) {
        result = ws.send(bytes, true, false);
        // Stop at Kairos's own limit, not uWS's (twice it): a turn's replies can be many, and
        // past uWS's limit it drops the close frame too (the client then sees 1006, not 1013).
        if (result === 2 || (result === 0 && ws.getBufferedAmount() > limit)) break;
      }
    });
    const buffered = ws.getBufferedAmount();
    if (result === 2 || buffered > limit) {
      this.o.metrics.backpressureDrops.inc();
      this.o.logger.warn({ conn: c.id, buffered }, 'closing a connection that does not read its replies');
      this.closeWith(ws, 1013, 'backpressure limit exceeded');
    }
  }

  // -------------------------------------------------------------------------------------
  // Delivery endpoints: subscribe, deliver, delivered / failed

  private subscribe(ws: Ws, id: string, channels: readonly string[]): void {
    const c = ws.getUserData();
    const outside = c.scope === undefined ? undefined : channels.find((ch) => c.scope?.has(ch) !== true);
    if (outside !== undefined) {
      this.sendError(ws, id, 'unauthorized', `field "channels": this gateway token may not subscribe to "${outside}"`);
      return;
    }
    const own = channels.find((ch) => this.o.dispatched?.has(ch) === true);
    if (own !== undefined) {
      this.sendError(ws, id, 'invalid', `field "channels": "${own}" is delivered by this server itself (its adapter is configured)`);
      return;
    }
    if (new Set([...c.channels, ...channels]).size > MAX_CHANNELS_PER_CONNECTION) {
      this.sendError(ws, id, 'invalid', `field "channels": a connection subscribes to at most ${MAX_CHANNELS_PER_CONNECTION} channels`);
      return;
    }
    const added: Feed[] = [];
    for (const ch of channels) {
      if (c.channels.has(ch)) continue;
      c.channels.add(ch);
      let feed = this.feeds.get(ch);
      if (feed === undefined) {
        feed = { channel: ch, subs: [], cursor: 0, caughtUp: false, reading: false, rewind: undefined, settled: new Set() };
        this.feeds.set(ch, feed);
      }
      feed.subs.push(ws);
      added.push(feed);
    }
    this.send(ws, { t: 'ack', re: id });
    // Whatever waits in the outbox for these channels goes out, a page at a time: a new
    // subscriber reads the queue from its start (entries confirmed `failed` are offered again).
    for (const feed of added) {
      this.rewind(feed, 0);
      this.refill(feed);
    }
  }

  /** Pushes committed outbox records to subscribed endpoints with room; the rest wait in the outbox for the channel's next page. */
  push(records: readonly OutboxRecord[]): void {
    const behind = new Set<Feed>();
    for (const r of records) {
      if (this.o.dispatched?.has(r.channel) === true || r.dead === true) continue;
      const feed = this.feeds.get(r.channel);
      if (feed === undefined) continue;
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

  /** Marks a feed to read again from after `seq` (no later than any other mark). */
  private rewind(feed: Feed, seq: number): void {
    feed.rewind = feed.rewind === undefined ? seq : Math.min(feed.rewind, seq);
    feed.caughtUp = false;
  }

  /** Free delivery slots a connection has left. */
  private room(ws: Ws): number {
    const c = ws.getUserData();
    return c.closed ? 0 : this.o.config.subscriberWindow - c.inflight.size;
  }

  /**
   * Sends one record to a subscriber of its channel with room (round robin); false when none
   * has room. A record already out to some connection counts as sent.
   */
  private deliver(feed: Feed, r: OutboxRecord): boolean {
    const key = deliveryKey(r.channel, r.instance);
    if (this.inflight.has(key)) return true;
    const n = feed.subs.length;
    let ws: Ws | undefined;
    for (let i = 0; i < n && ws === undefined; i++) {
      const candidate = feed.subs[this.roundRobin++ % n];
      if (candidate !== undefined && this.room(candidate) > 0) ws = candidate;
    }
    if (ws === undefined) return false;
    this.inflight.set(key, ws);
    ws.getUserData().inflight.set(key, r);
    const frame: Record<string, unknown> = {
      t: 'deliver',
      instance: r.instance,
      customer: r.customer,
      channel: r.channel,
      campaign: r.campaign,
      offer: r.offer,
      content: r.kind === 'offer' ? r.content : { action: r.action, vars: r.vars },
    };
    if (r.kind === 'offer') frame.expiresAt = r.expiresAt;
    this.send(ws, frame);
    this.o.metrics.deliveries.inc({ channel: channelLabel(r.channel), result: 'pushed' });
    return true;
  }

  /**
   * Reads the feed's next page of the outbox, as large as the room its subscribers have left
   * (at most `subscriberWindow`), and delivers it; again while pages come back full and room
   * is left. One read at a time per channel; nothing here is proportional to the queue.
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
    for (const ws of feed.subs) room += Math.max(0, this.room(ws));
    const limit = Math.min(room, this.o.config.subscriberWindow);
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
        for (const r of page) {
          if (r.dead !== true && !settled.has(r.instance) && !this.deliver(feed, r)) {
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

  /**
   * A `delivered` or `failed` frame: only for a delivery this connection received and has not
   * confirmed yet (looked up by key, never by reading the queue).
   */
  private async confirm(ws: Ws, frame: Extract<ClientFrame, { t: 'delivered' | 'failed' }>): Promise<void> {
    const c = ws.getUserData();
    let record: OutboxRecord | undefined;
    if (frame.channel !== undefined) record = c.inflight.get(deliveryKey(frame.channel, frame.instance));
    else for (const ch of c.channels) record ??= c.inflight.get(deliveryKey(ch, frame.instance));
    if (record === undefined) {
      throw new KairosError('invalid', `field "instance": no delivery of "${frame.instance}" awaits confirmation on this connection`);
    }
    const key = deliveryKey(record.channel, record.instance);
    c.inflight.delete(key);
    // Still out (no page delivers it again) until the store has taken the confirmation.
    try {
      if (frame.t === 'delivered') await this.o.store.removeOutbox(record.channel, record.instance);
      else await this.o.store.failOutbox(record.channel, record.instance, frame.reason ?? 'failed');
    } catch (err) {
      // Not stored: the delivery is still this connection's to confirm (its retry finds it);
      // had the connection closed meanwhile, it goes to another subscriber.
      if (!c.closed && this.inflight.get(key) === ws) c.inflight.set(key, record);
      else if (this.inflight.get(key) === ws) {
        this.inflight.delete(key);
        const feed = this.feeds.get(record.channel);
        if (feed !== undefined) {
          this.rewind(feed, record.seq - 1);
          this.refill(feed);
        }
      }
      throw err;
    }
    if (this.inflight.get(key) === ws) this.inflight.delete(key);
    const feed = this.feeds.get(record.channel);
    if (feed?.reading === true) feed.settled.add(record.instance);
    // Down to the low-water mark: the next page of each channel still behind.
    if (c.inflight.size <= this.o.config.subscriberWindow / 2) for (const ch of c.channels) this.refillChannel(ch);
    this.o.metrics.deliveries.inc({ channel: channelLabel(record.channel), result: frame.t });
    if (record.kind === 'offer') {
      const r = await this.o.host.submitDelivery(record.instance, frame.t, frame.t === 'failed' ? frame.reason : undefined);
      if (r.kind === 'error') throw new KairosError(r.code, r.message);
    }
  }

  private refillChannel(channel: string): void {
    const feed = this.feeds.get(channel);
    if (feed !== undefined) this.refill(feed);
  }

  // -------------------------------------------------------------------------------------
  // HTTP

  private builtinRoutes(): Route[] {
    return [
      { method: 'get', pattern: /^\/health$/, auth: 'none', handle: () => json(200, { status: 'ok' }) },
      {
        method: 'get',
        pattern: /^\/ready$/,
        auth: 'none',
        handle: () => {
          if (!this.ready) return json(503, { status: 'not ready' });
          // A node whose store is unreachable takes no traffic (a load balancer sends it elsewhere).
          if (!this.o.store.coordination.available()) return json(503, { status: 'not ready', reason: 'store unreachable' });
          if (this.o.host.storeFailing()) return json(503, { status: 'not ready', reason: 'store commits are failing' });
          return json(200, { status: 'ready' });
        },
      },
      {
        method: 'get',
        pattern: /^\/metrics$/,
        auth: 'none',
        handle: async () => ({
          status: 200,
          contentType: this.o.metrics.registry.contentType,
          body: await this.o.metrics.registry.metrics(),
        }),
      },
      { method: 'post', pattern: /^\/v1\/events$/, auth: 'gateway', handle: (call) => this.postEvent(call) },
    ];
  }

  /** POST /v1/events: one event as JSON or msgpack, its decision back in the same format (or as Accept asks). */
  private async postEvent(call: HttpCall): Promise<HttpReply> {
    const start = performance.now();
    const inMsgpack = isMsgpack(call.contentType);
    const outMsgpack = call.accept.includes('msgpack') || (inMsgpack && !call.accept.includes('json'));
    const reply = (status: number, value: Record<string, unknown>): HttpReply =>
      outMsgpack ? { status, contentType: 'application/msgpack', body: encodeFrame(value) } : json(status, value);
    const fail = (re: string | undefined, code: ErrorCode, message: string): HttpReply => {
      this.o.metrics.errors.inc({ code });
      const v: Record<string, unknown> = { t: 'error', code, message };
      if (re !== undefined) v.re = re;
      return reply(errorCatalog[code].status, v);
    };
    if (!inMsgpack && !call.contentType.toLowerCase().startsWith('application/json')) {
      return fail(undefined, 'invalid', 'send the event as application/json or application/msgpack');
    }
    let raw: unknown;
    try {
      raw = inMsgpack ? decodeFrame(call.body) : JSON.parse(call.body.toString('utf8'));
    } catch (err) {
      return fail(undefined, 'bad_frame', `the body is not valid ${inMsgpack ? 'MessagePack' : 'JSON'}: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(undefined, 'bad_frame', 'the body must be one map');
    let event;
    try {
      event = parseEvent(raw as Record<string, unknown>);
    } catch (err) {
      if (err instanceof FrameError) return fail(err.re, err.code, err.message);
      throw err;
    }
    this.o.metrics.events.inc({ channel: channelLabel(event.channel) });
    const r = await this.o.host.submitEvent(event);
    this.o.metrics.decisionSeconds.observe({ kind: 'http' }, (performance.now() - start) / 1000);
    switch (r.kind) {
      case 'decision':
        this.countDecision(r);
        return reply(200, { t: 'decision', re: r.re, customer: r.customer, actions: r.actions });
      case 'error':
        return fail(r.re, r.code, r.message);
      case 'ack':
        return fail(r.re, 'internal', 'unexpected reply');
      default: {
        const never: never = r;
        throw new Error(`unhandled reply ${JSON.stringify(never)}`);
      }
    }
  }

  private onHttp(res: HttpResponse, req: HttpRequest): void {
    // Copy everything out of req now: it is valid only during this callback.
    const method = req.getMethod().toLowerCase();
    const path = req.getUrl();
    const query = new URLSearchParams(req.getQuery() ?? '');
    const authorization = req.getHeader('authorization') || undefined;
    const contentType = req.getHeader('content-type');
    const accept = req.getHeader('accept');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const write = (r: HttpReply): void => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(r.status)).writeHeader('Content-Type', r.contentType);
        for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
        res.end(r.body);
      });
    };

    const candidates = this.routes.filter((rt) => rt.pattern.test(path));
    if (candidates.length === 0) {
      write(errorReply('not_found', `no route ${path}`));
      return;
    }
    const route = candidates.find((rt) => rt.method === method);
    if (route === undefined) {
      write({ ...errorReply('method_not_allowed', `${method.toUpperCase()} is not allowed on ${path}`), headers: { Allow: candidates.map((c) => c.method.toUpperCase()).join(', ') } });
      return;
    }
    const tokens = route.auth === 'gateway' ? this.gatewayTokens : route.auth === 'admin' ? this.adminKeys : undefined;
    if (tokens !== undefined && !tokens.allows(authorization)) {
      this.o.metrics.errors.inc({ code: 'unauthorized' });
      write(errorReply('unauthorized', route.auth === 'admin' ? 'an admin key is required: Authorization: Bearer <key>' : 'a gateway token is required'));
      return;
    }
    if (route.auth !== 'none' && !this.ready) {
      write(errorReply('unavailable', 'not ready'));
      return;
    }
    const run = (body: Buffer): void => {
      const call: HttpCall = { method, path, query, authorization, contentType, accept, body };
      Promise.resolve()
        .then(() => route.handle(call, routeParams(route, path)))
        .then(write, (err: unknown) => {
          const e = asKairosError(err);
          if (e.code === 'internal') this.o.logger.error({ err, path, method }, 'http handler failed');
          write(errorReply(e));
        });
    };
    if (method === 'get' || method === 'head') {
      run(Buffer.alloc(0));
      return;
    }
    const limit = this.o.config.maxPayloadBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    res.onData((chunk, isLast) => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > limit) {
        tooLarge = true;
        write(errorReply('payload_too_large', `the body exceeds ${limit} bytes`));
        return;
      }
      // The chunk is valid only during this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) run(Buffer.concat(chunks));
    });
  }
}
