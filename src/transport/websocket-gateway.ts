import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { Subscriber, SubscriberRegistry } from '../delivery/gateway-subscribers.js';
import type { ErrorCode } from '../errors.js';
import { KairosError, asKairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { CustomerHost, HostReply } from '../runtime/customer-host.js';
import type { Authenticated, KeyRing } from './key-ring.js';
import { countDecision } from './count-decision.js';
import type { RefusalLog } from './refusal-log.js';
import { remoteAddress } from './refusal-log.js';
import { errorFrame } from './error-frame.js';
import type { ClientFrame } from './frames.js';
import { FrameError, decodeFrame, encodeFrame, idInBytes, parseClientFrame } from './frames.js';
import { errorReply, withApiHeaders } from './http.js';
import type { HttpRequest, HttpResponse, TemplatedApp, Uws, WebSocket } from './uws.js';
import { takeToken } from './token-bucket.js';
import { writeReply } from './write-reply.js';

/**
 * The WebSocket gateway at /v1/gateway (PROTOCOL.md v1): the upgrade (a gateway token), the
 * connections, their frames and flow control (a token bucket per connection, bad frames
 * counted, the documented close codes), and the corked per-turn writes. Inbound order: rate
 * limit -> decode -> validate -> actor. Every request frame gets exactly one reply; a bad
 * frame gets an error and never affects another connection. A connection that subscribes
 * registers itself with the dispatcher's gateway-subscriber adapter, which feeds it
 * deliveries; its `delivered`/`failed` frames go to that adapter.
 */

export interface WebSocketGatewayOptions {
  uws: Uws;
  config: Readonly<Config>;
  host: Pick<CustomerHost, 'submitEvent' | 'submitResponse'>;
  /** the dispatcher's adapter for subscribed delivery endpoints */
  subscribers: SubscriberRegistry;
  logger: Logger;
  metrics: Metrics;
  /** every key: a connection opens with a gateway key, and is closed when its key is revoked, rotated or given another role */
  keys: KeyRing;
  /** false while starting and draining: upgrades are refused (503) */
  isReady: () => boolean;
  /** where each refused upgrade and subscription is logged, rate-limited */
  refusals?: RefusalLog;
}

interface Conn {
  id: number;
  /** no frame is sent to it or read from it any more: closed, or closing (`closing`) */
  closed: boolean;
  /** the close decided while uWS still buffered replies: sent once they are written out (`closeWith`) */
  closing: { code: number; reason: string; deadline: NodeJS.Timeout } | undefined;
  /** its subscriber was taken off the registry (once: at the close decided, or the socket's close) */
  released: boolean;
  /** frames written to uWS (not counting any dropped): the replies a client reading again gets before the close frame */
  written: number;
  tokens: number;
  refilledAt: number;
  badFrames: number;
  badWindowStart: number;
  /** the channels its gateway token may subscribe to; undefined: every channel */
  scope: ReadonlySet<string> | undefined;
  /** its key's name (for the log of a refusal) */
  key: string;
  /** the secret it opened with (its digest): closed once that is rotated or revoked */
  secretId: string;
  /** this connection as a delivery endpoint (set when it opens) */
  subscriber: Subscriber | undefined;
  /** frames sent in this turn of the event loop, written together at its end (`send`) */
  out: Uint8Array[];
}

type Ws = WebSocket<Conn>;

/** uWS reads frames up to this many times the configured limit, so that one a little too large is answered with 1009. */
const OVERSIZE_READ_FACTOR = 4;

/** How long a connection being closed may take to read its replies when there is no idle timeout (`KAIROS_IDLE_TIMEOUT_SEC=0`). */
const DEFAULT_CLOSE_WAIT_SEC = 120;

export class WebSocketGateway {
  private readonly conns = new Set<Ws>();
  /** connections with frames in `out`, written when the turn's promise callbacks have run */
  private readonly unsent = new Set<Ws>();
  private writeQueued = false;
  private nextConnId = 1;

  constructor(private readonly o: WebSocketGatewayOptions) {
    // A connection whose key was revoked, rotated or given another role or channel scope (on any node) is closed.
    o.keys.onChange(() => {
      for (const ws of [...this.conns]) {
        const c = ws.getUserData();
        if (!c.closed && !o.keys.isLive(c.secretId, 'gateway', c.scope)) ws.end(1008, 'the key was revoked, rotated or given another role or channel scope');
      }
    });
  }

  /** Open connections (closing ones too). */
  get openConnections(): number {
    return this.conns.size;
  }

  /** Mounts /v1/gateway on the app. */
  attach(app: TemplatedApp): void {
    const { uws, config } = this.o;
    app.ws<Conn>('/v1/gateway', {
      compression: uws.DISABLED,
      // uWS's own limits sit above Kairos's: past them uWS cuts the socket with no close frame
      // (1006). Below them Kairos closes with the documented codes (1009 oversize, 1013 slow
      // consumer), and the close frame still fits in what uWS will buffer.
      maxPayloadLength: config.maxPayloadBytes * OVERSIZE_READ_FACTOR,
      idleTimeout: config.idleTimeoutSec,
      maxBackpressure: config.maxBackpressureBytes * 2 + 64 * 1024,
      sendPingsAutomatically: true,
      // A connection being closed gets its close frame once uWS has written out its replies.
      drain: (ws) => this.onDrain(ws),
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => {
        const c = ws.getUserData();
        c.subscriber = {
          deliver: (frame) => this.send(ws, frame),
          get open() {
            return !c.closed;
          },
          drop: (code, reason) => this.closeWith(ws, code, reason),
        };
        this.conns.add(ws);
        this.o.metrics.connections.set(this.conns.size);
      },
      message: (ws, message, isBinary) => {
        // A connection being closed (its close frame waiting behind its replies) is read, not answered.
        if (ws.getUserData().closed) return;
        try {
          this.onMessage(ws, message, isBinary);
        } catch (err) {
          this.o.logger.error({ err }, 'handling a frame failed');
          this.sendError(ws, undefined, 'internal', 'internal error');
        }
      },
      close: (ws) => this.onClose(ws),
    });
  }

  /** Closes every open connection with 1001 (or `code`: 1012 for a shard started again); one already being closed gets its own close frame now. */
  closeConnections(code = 1001, reason = 'server shutting down'): void {
    for (const ws of [...this.conns]) {
      const c = ws.getUserData();
      if (c.closing !== undefined) this.endNow(ws);
      else if (!c.closed) ws.end(code, reason);
    }
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: Parameters<HttpResponse['upgrade']>[4]): void {
    const authorization = req.getHeader('authorization');
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const forwardedFor = req.getHeader('x-forwarded-for');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const answer = (who: Authenticated | undefined): void => {
      if (who === undefined || who.principal.role !== 'gateway') {
        this.o.metrics.errors.inc({ code: 'unauthorized' });
        this.o.refusals?.note({
          status: 401,
          code: 'unauthorized',
          route: 'GET /v1/gateway',
          ...(who === undefined ? { credential: authorization === '' ? ('none' as const) : ('unknown' as const) } : { key: who.principal.name, role: who.principal.role, reason: 'not a gateway key' }),
          remote: remoteAddress(res),
          forwardedFor,
        });
        // A refused upgrade is answered like every HTTP error (problem+json), with the API's headers.
        writeReply(res, withApiHeaders(errorReply('unauthorized', 'a gateway token is required: Authorization: Bearer <token>')));
        return;
      }
      if (!this.o.isReady()) {
        writeReply(res, withApiHeaders(errorReply('unavailable', 'not ready')));
        return;
      }
      const conn: Conn = {
        id: this.nextConnId++,
        closed: false,
        closing: undefined,
        released: false,
        written: 0,
        tokens: this.o.config.rateLimitPerConnection * 2,
        refilledAt: performance.now(),
        badFrames: 0,
        badWindowStart: performance.now(),
        scope: who.channels,
        key: who.principal.name,
        secretId: who.secretId,
        subscriber: undefined,
        out: [],
      };
      res.upgrade(conn, key, protocol, extensions, context);
    };
    // The key table may need a read of the store: the upgrade is answered when it is in.
    this.o.keys.authenticate(authorization === '' ? undefined : authorization).then(
      (who) => {
        if (!aborted) res.cork(() => answer(who));
      },
      (err: unknown) => {
        this.o.logger.error({ err }, 'authenticating an upgrade failed');
        if (!aborted) res.cork(() => writeReply(res, withApiHeaders(errorReply('unavailable', 'the key table cannot be read'))));
      },
    );
  }

  private onClose(ws: Ws): void {
    const c = ws.getUserData();
    c.closed = true;
    if (c.closing !== undefined) clearTimeout(c.closing.deadline);
    c.closing = undefined;
    // Frames not yet written die with the connection (a closed uWS socket must not be touched).
    c.out = [];
    this.unsent.delete(ws);
    this.conns.delete(ws);
    this.o.metrics.connections.set(this.conns.size);
    this.release(c);
  }

  /** What this endpoint had not confirmed goes to another subscriber, or waits in the outbox (once). */
  private release(c: Conn): void {
    if (c.released) return;
    c.released = true;
    if (c.subscriber !== undefined) this.o.subscribers.unsubscribe(c.subscriber);
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

  /**
   * Closes a connection with a code, after the frames already queued for it (the last bad
   * frame's answer among them). The close frame goes out once uWS has written out what it
   * buffers for the connection (`onDrain`), not behind it: uWS's `end` gives a socket only
   * its ping timeout (4-16 s, from the idle timeout) to take what is buffered, then closes it
   * outright, and a client that had stopped reading (and goes on sending) got a reset: 1006,
   * with the replies still in the socket buffers lost. Until then the connection is sent
   * nothing more, its frames are read and dropped, its subscriptions are gone; a client that
   * has not read them within the idle timeout is closed anyway.
   */
  private closeWith(ws: Ws, code: number, reason: string): void {
    const c = ws.getUserData();
    if (c.closed) return;
    this.unsent.delete(ws);
    this.write(ws);
    if (c.closed) return;
    c.closed = true;
    if (ws.getBufferedAmount() === 0) {
      ws.end(code, reason);
      return;
    }
    const waitMs = (this.o.config.idleTimeoutSec > 0 ? this.o.config.idleTimeoutSec : DEFAULT_CLOSE_WAIT_SEC) * 1000;
    const deadline = setTimeout(() => this.endNow(ws), waitMs);
    deadline.unref();
    c.closing = { code, reason, deadline };
    this.release(c);
  }

  /** uWS wrote out some of what it buffered: a connection being closed gets its close frame once nothing is left. */
  private onDrain(ws: Ws): void {
    const c = ws.getUserData();
    if (c.closing !== undefined && ws.getBufferedAmount() === 0) this.endNow(ws);
  }

  /** Sends a connection being closed its close frame (behind whatever uWS still buffers). */
  private endNow(ws: Ws): void {
    const closing = ws.getUserData().closing;
    if (closing === undefined) return;
    clearTimeout(closing.deadline);
    ws.getUserData().closing = undefined;
    ws.end(closing.code, closing.reason);
  }

  private onMessage(ws: Ws, message: ArrayBuffer, isBinary: boolean): void {
    const start = performance.now();
    const c = ws.getUserData();
    if (message.byteLength > this.o.config.maxPayloadBytes) {
      this.o.metrics.errors.inc({ code: 'payload_too_large' });
      this.closeWith(ws, 1009, `frame exceeds ${this.o.config.maxPayloadBytes} bytes`);
      return;
    }
    if (!takeToken(c, this.o.config.rateLimitPerConnection, start)) {
      // The id from a bounded scan of the bytes, not a decode: a frame refused costs little.
      const re = isBinary ? idInBytes(new Uint8Array(message)) : undefined;
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
        this.confirm(ws, frame);
        return;
      default: {
        const never: never = frame;
        throw new KairosError('internal', `unhandled frame ${JSON.stringify(never)}`);
      }
    }
  }

  /** A `subscribe` frame: the channels its token may take, registered with the subscriber adapter. */
  private subscribe(ws: Ws, id: string, channels: readonly string[]): void {
    const c = ws.getUserData();
    const outside = c.scope === undefined ? undefined : channels.find((ch) => c.scope?.has(ch) !== true);
    if (outside !== undefined) {
      this.o.refusals?.note({ status: 403, code: 'unauthorized', route: 'subscribe /v1/gateway', key: c.key, role: 'gateway', reason: `a channel outside its scope: ${outside}`, remote: remoteAddress(ws) });
      this.sendError(ws, id, 'unauthorized', `field "channels": this gateway token may not subscribe to "${outside}"`);
      return;
    }
    if (c.subscriber === undefined) {
      this.sendError(ws, id, 'internal', 'internal error');
      return;
    }
    try {
      // Whatever waits in the outbox for these channels goes out after the ack, a page at a time.
      this.o.subscribers.subscribe(c.subscriber, channels);
    } catch (err) {
      const e = asKairosError(err);
      this.sendError(ws, id, e.code, e.publicMessage);
      return;
    }
    this.send(ws, { t: 'ack', re: id });
  }

  /** A `delivered` or `failed` frame, for a delivery this connection received: `ack` once stored. */
  private confirm(ws: Ws, frame: Extract<ClientFrame, { t: 'delivered' | 'failed' }>): void {
    const sub = ws.getUserData().subscriber;
    const confirmed = sub === undefined ? Promise.reject(new KairosError('invalid', 'not a subscriber')) : this.o.subscribers.confirm(sub, frame);
    confirmed.then(
      () => this.send(ws, { t: 'ack', re: frame.id }),
      (err: unknown) => {
        const e = asKairosError(err);
        if (e.code === 'internal') this.o.logger.error({ err }, 'delivery confirmation failed');
        this.sendError(ws, frame.id, e.code, e.publicMessage);
      },
    );
  }

  private sendHostReply(ws: Ws, r: HostReply, start: number, kind: 'event' | 'response'): void {
    switch (r.kind) {
      case 'decision':
        countDecision(this.o.metrics, r);
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
        throw new KairosError('internal', `unhandled reply ${JSON.stringify(never)}`);
      }
    }
    this.o.metrics.decisionSeconds.observe({ kind }, (performance.now() - start) / 1000);
  }

  private internalError(ws: Ws, re: string, err: unknown): void {
    this.o.logger.error({ err }, 'replying failed');
    this.sendError(ws, re, 'internal', 'internal error');
  }

  /** An `error` frame: a code outside PROTOCOL.md's is mapped (errorFrame) and logged with what it was; the metric counts the code as it was. */
  private sendError(ws: Ws, re: string | undefined, code: ErrorCode, message: string): void {
    this.o.metrics.errors.inc({ code });
    const { frame, mapped } = errorFrame(re, code, message);
    if (mapped) this.o.logger.warn({ conn: ws.getUserData().id, re, code, message, sent: frame.code }, 'an error code outside PROTOCOL.md went out as the protocol\'s nearest (sent)');
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
        if (result !== 2) c.written++;
        // Stop at Kairos's own limit, not uWS's (twice it): a turn's replies can be many, and
        // past uWS's limit it drops the close frame too (the client then sees 1006, not 1013).
        if (result === 2 || (result === 0 && ws.getBufferedAmount() > limit)) break;
      }
    });
    const buffered = ws.getBufferedAmount();
    if (result === 2 || buffered > limit) {
      this.o.metrics.backpressureDrops.inc();
      this.o.logger.warn({ conn: c.id, buffered, written: c.written }, 'closing a connection that does not read its replies');
      this.closeWith(ws, 1013, 'backpressure limit exceeded');
    }
  }
}
