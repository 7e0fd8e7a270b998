import { randomUUID } from 'node:crypto';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import type { Ack, Deliver, Decision, ErrorFrame, Frame, GatewayEvent, GatewayResponse } from './frames.js';

/**
 * A reference client for the Kairos gateway protocol (docs/protocol-v1.md, docs/protocol.md):
 * one WebSocket at /v1/gateway with a bearer token, binary MessagePack frames, replies matched
 * to requests by `re`. It reconnects with exponential backoff and jitter, sends the requests
 * that were unanswered when a connection dropped again under the same id (Kairos answers a
 * repeated event or response id with its first answer, and contacts the customer once),
 * bounds the requests in flight and the bytes waiting in the socket, and confirms the offers a
 * subscription pushes (`deliver` → `delivered`, or `failed` when the handler throws).
 */

/** An error frame Kairos answered a request with (`code` is the protocol's). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: string,
    message: string,
    readonly re: string | undefined,
  ) {
    super(message);
  }

  /** `overloaded` and `rate_limited`: nothing was done, the same request may be sent again later. */
  get retryable(): boolean {
    return this.code === 'overloaded' || this.code === 'rate_limited';
  }
}

/** Why the client itself gave up on a request: `timeout`, `closed` (close() was called), `connection_lost` (a confirmation whose connection dropped), `unauthorized` (the token was refused at the upgrade). */
export class GatewayClientError extends Error {
  override readonly name = 'GatewayClientError';
  constructor(
    readonly code: 'timeout' | 'closed' | 'connection_lost' | 'unauthorized' | 'connect_failed',
    message: string,
  ) {
    super(message);
  }
}

export interface ReconnectOptions {
  /** the first delay after a drop (ms, default 100) */
  initialDelayMs?: number;
  /** the longest delay (ms, default 10 000) */
  maxDelayMs?: number;
  /** give up after this many failed attempts in a row (default: never) */
  maxAttempts?: number;
}

export interface GatewayClientOptions {
  /** `ws://HOST:PORT/v1/gateway` or `wss://…` */
  url: string;
  /** the gateway token (sent as `Authorization: Bearer <token>` at the upgrade) */
  token: string;
  /** how long a request waits for its reply, queueing and retries included (ms, default 10 000) */
  requestTimeoutMs?: number;
  /** at most this many requests sent and unanswered at once; more wait in order (default 128) */
  maxInFlight?: number;
  /** stop sending while this many bytes are written to the socket but not yet flushed (default 1 MiB) */
  maxBufferedBytes?: number;
  /** reconnect after a drop (default on); `false`: a drop closes the client */
  reconnect?: ReconnectOptions | false;
  /** called for each pushed offer; resolving sends `delivered`, throwing sends `failed` with the error's message */
  onDeliver?: (deliver: Deliver) => void | Promise<void>;
  /** error frames that answer no request, failed confirmations, a refused reconnect */
  onError?: (error: Error) => void;
  /** `open` on each (re)connection, `reconnecting` after a drop (with the delay), `closed` at the end */
  onState?: (state: 'open' | 'reconnecting' | 'closed', detail?: { attempt?: number; delayMs?: number; code?: number }) => void;
  /** a new request id (default: a random UUID) */
  newId?: () => string;
  /** the source of jitter, in [0, 1) (default Math.random) */
  random?: () => number;
  /** more options for the `ws` WebSocket (TLS: `ca`, `rejectUnauthorized`, …) */
  wsOptions?: WebSocket.ClientOptions;
}

interface Pending {
  id: string;
  bytes: Buffer;
  /** sent again after a reconnect (events, responses, subscriptions); a confirmation is not */
  retry: boolean;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** the connection it was last sent on (0: not sent) */
  sentOn: number;
}

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });

export class GatewayClient {
  private readonly options: Required<Omit<GatewayClientOptions, 'onDeliver' | 'onError' | 'onState' | 'wsOptions' | 'reconnect'>> & GatewayClientOptions;
  private ws: WebSocket | undefined;
  /** counts connections; 0 before the first */
  private generation = 0;
  private open = false;
  private closing = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** requests waiting for a place in the window, in order */
  private readonly waiting: Pending[] = [];
  /** requests admitted (at most maxInFlight), by id */
  private readonly window = new Map<string, Pending>();
  private unflushed = 0;
  private drainWaiters: Array<() => void> = [];
  private pumping = false;
  private readonly channels = new Set<string>();
  /** how many times the client connected again after a drop */
  reconnects = 0;

  private constructor(options: GatewayClientOptions) {
    this.options = {
      requestTimeoutMs: 10_000,
      maxInFlight: 128,
      maxBufferedBytes: 1 << 20,
      newId: () => randomUUID(),
      random: Math.random,
      ...options,
    };
  }

  /** Connects; rejects when the first connection fails (a refused token: `unauthorized`). */
  static async connect(options: GatewayClientOptions): Promise<GatewayClient> {
    const client = new GatewayClient(options);
    await client.dial(true);
    return client;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.open;
  }

  /** Requests sent or about to be sent and not yet answered. */
  get inFlight(): number {
    return this.window.size;
  }

  /** Requests waiting for room in the window. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Sends an event and resolves with its decision (rejects with GatewayError on an error frame). */
  async event(event: GatewayEvent): Promise<Decision> {
    const { id = this.options.newId(), ...rest } = event;
    return (await this.request({ t: 'event', id, ...rest })) as unknown as Decision;
  }

  /** Sends the customer's answer to an offer instance; resolves with the ack. */
  async respond(response: GatewayResponse): Promise<Ack> {
    const { id = this.options.newId(), ...rest } = response;
    return (await this.request({ t: 'response', id, ...rest })) as unknown as Ack;
  }

  /**
   * Subscribes to offers on these channels (needs `onDeliver`). The subscription is renewed
   * on every reconnection; what was pushed to a dropped connection and not confirmed is
   * pushed again.
   */
  async subscribe(channels: readonly string[]): Promise<Ack> {
    if (this.options.onDeliver === undefined) throw new TypeError('subscribe needs an onDeliver handler in the options');
    const ack = (await this.request({ t: 'subscribe', id: this.options.newId(), channels: [...channels] })) as unknown as Ack;
    for (const c of channels) this.channels.add(c);
    return ack;
  }

  /** Confirms a pushed offer as delivered (what onDeliver does when it resolves). */
  async delivered(instance: string, channel?: string): Promise<Ack> {
    return (await this.request({ t: 'delivered', id: this.options.newId(), instance, ...(channel === undefined ? {} : { channel }) }, { retry: false })) as unknown as Ack;
  }

  /** Reports a pushed offer as not delivered (what onDeliver does when it throws). */
  async failed(instance: string, reason: string, channel?: string): Promise<Ack> {
    return (await this.request({ t: 'failed', id: this.options.newId(), instance, reason, ...(channel === undefined ? {} : { channel }) }, { retry: false })) as unknown as Ack;
  }

  /**
   * Sends any request frame (it needs a string `id`) and resolves with the reply whose `re`
   * is that id; an `error` reply rejects with GatewayError. `retry: false` (confirmations):
   * not sent again on a new connection, rejected `connection_lost` instead.
   */
  request(frame: Frame, { retry = true, timeoutMs = this.options.requestTimeoutMs }: { retry?: boolean; timeoutMs?: number } = {}): Promise<Frame> {
    const id = frame.id;
    if (typeof id !== 'string' || id === '') return Promise.reject(new TypeError('a request frame needs a string id'));
    if (this.closing) return Promise.reject(new GatewayClientError('closed', 'the client is closed'));
    if (this.window.has(id) || this.waiting.some((p) => p.id === id)) return Promise.reject(new TypeError(`a request with id ${id} is already waiting for its reply`));
    if (!retry && !this.open) return Promise.reject(new GatewayClientError('connection_lost', `not connected: ${id} belongs to the connection that closed`));
    return new Promise<Frame>((resolve, reject) => {
      this.waiting.push(this.pending(id, frame, retry, timeoutMs, resolve, reject));
      this.pump();
    });
  }

  private pending(id: string, frame: Frame, retry: boolean, timeoutMs: number, resolve: (f: Frame) => void, reject: (e: Error) => void): Pending {
    const pending: Pending = {
      id,
      bytes: packr.pack(frame),
      retry,
      resolve,
      reject,
      sentOn: 0,
      timer: setTimeout(() => {
        this.forget(pending);
        reject(new GatewayClientError('timeout', `no reply to ${id} in ${timeoutMs} ms`));
        this.pump();
      }, timeoutMs),
    };
    return pending;
  }

  /** Closes the connection and stops reconnecting; requests still waiting are rejected `closed`. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const all = [...this.window.values(), ...this.waiting];
    this.window.clear();
    this.waiting.length = 0;
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new GatewayClientError('closed', 'the client was closed'));
    }
    const ws = this.ws;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000);
      });
    }
    this.options.onState?.('closed');
  }

  private forget(p: Pending): void {
    clearTimeout(p.timer);
    if (this.window.get(p.id) === p) this.window.delete(p.id);
    const i = this.waiting.indexOf(p);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Opens a connection; `first`: the promise settles with its outcome. */
  private dial(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const generation = ++this.generation;
      const ws = new WebSocket(this.options.url, { ...this.options.wsOptions, headers: { ...this.options.wsOptions?.headers, Authorization: `Bearer ${this.options.token}` } });
      this.ws = ws;
      let status: number | undefined;
      let opened = false;
      ws.on('error', () => {
        // every failure also closes the socket: handled there
      });
      ws.on('unexpected-response', (_req, res) => {
        status = res.statusCode;
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => {
        opened = true;
        this.open = true;
        this.unflushed = 0;
        if (!first) this.reconnects++;
        this.attempt = 0;
        this.options.onState?.('open');
        // The requests a drop left unanswered go again under their own ids; subscriptions are
        // renewed first.
        for (const p of this.window.values()) p.sentOn = 0;
        if (!first && this.channels.size > 0) {
          const id = this.options.newId();
          const sub = this.pending(id, { t: 'subscribe', id, channels: [...this.channels] }, true, this.options.requestTimeoutMs, () => undefined, (e) => this.report(e));
          this.waiting.unshift(sub);
        }
        resolve();
        this.pump();
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        let f: Frame;
        try {
          f = unpackr.unpack(data) as Frame;
        } catch (e) {
          this.report(e);
          return;
        }
        this.receive(f, generation);
      });
      ws.on('close', (code) => {
        if (generation !== this.generation) return;
        this.open = false;
        this.wakeDrainWaiters();
        if (this.closing) return;
        if (first && !opened) {
          this.closing = true;
          reject(status === 401 ? new GatewayClientError('unauthorized', 'the gateway token was refused (HTTP 401)') : new GatewayClientError('connect_failed', `could not connect to ${this.options.url}${status === undefined ? '' : ` (HTTP ${status})`}`));
          return;
        }
        if (status === 401) return this.giveUp(new GatewayClientError('unauthorized', 'the gateway token was refused (HTTP 401) on reconnecting'));
        // Confirmations belong to the connection that received the offer: they are not sent again.
        for (const p of [...this.window.values(), ...this.waiting]) {
          if (!p.retry) {
            this.forget(p);
            p.reject(new GatewayClientError('connection_lost', `the connection closed before ${p.id} was answered`));
          }
        }
        this.scheduleReconnect(code);
      });
    });
  }

  private scheduleReconnect(code: number): void {
    const r = this.options.reconnect;
    if (r === false) return this.giveUp(new GatewayClientError('connection_lost', `the connection closed (code ${code}) and reconnecting is off`));
    this.attempt++;
    if (r?.maxAttempts !== undefined && this.attempt > r.maxAttempts) return this.giveUp(new GatewayClientError('connection_lost', `gave up after ${r.maxAttempts} attempts to reconnect`));
    const initial = r?.initialDelayMs ?? 100;
    const max = r?.maxDelayMs ?? 10_000;
    const ceiling = Math.min(max, initial * 2 ** (this.attempt - 1));
    // Equal jitter: half the delay fixed, half random, so clients dropped together spread out.
    const delayMs = Math.round(ceiling / 2 + (this.options.random() * ceiling) / 2);
    this.options.onState?.('reconnecting', { attempt: this.attempt, delayMs, code });
    this.reconnectTimer = setTimeout(() => {
      this.dial(false).catch((e: unknown) => this.report(e));
    }, delayMs);
  }

  private giveUp(error: GatewayClientError): void {
    this.report(error);
    void this.close();
  }

  private report(e: unknown): void {
    this.options.onError?.(e instanceof Error ? e : new Error(String(e)));
  }

  private receive(f: Frame, generation: number): void {
    if (f.t === 'deliver') {
      void this.handleDeliver(f as unknown as Deliver, generation);
      return;
    }
    const re = typeof f.re === 'string' ? f.re : undefined;
    const p = re === undefined ? undefined : this.window.get(re);
    if (p === undefined) {
      if (f.t === 'error') this.report(new GatewayError(String(f.code), String(f.message), re));
      return;
    }
    this.forget(p);
    if (f.t === 'error') {
      const e = f as unknown as ErrorFrame;
      p.reject(new GatewayError(e.code, e.message, e.re));
    } else p.resolve(f);
    this.pump();
  }

  private async handleDeliver(d: Deliver, generation: number): Promise<void> {
    let reason: string | undefined;
    try {
      await this.options.onDeliver?.(d);
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    // An offer pushed to a connection that dropped is pushed again on the new one: confirm it there.
    if (generation !== this.generation || !this.open || this.closing) return;
    try {
      if (reason === undefined) await this.delivered(d.instance, d.channel);
      else await this.failed(d.instance, reason, d.channel);
    } catch (e) {
      this.report(e);
    }
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Sends what may be sent: requests to resend after a reconnect first, then new ones while the window has room and the socket has drained. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
    });
  }

  private async pumpLoop(): Promise<void> {
    for (;;) {
      const ws = this.ws;
      if (!this.open || ws === undefined || this.closing) return;
      if (this.unflushed > this.options.maxBufferedBytes) {
        await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
        continue;
      }
      let next: Pending | undefined;
      for (const p of this.window.values()) {
        if (p.sentOn === 0) {
          next = p;
          break;
        }
      }
      if (next === undefined && this.window.size < this.options.maxInFlight) {
        next = this.waiting.shift();
        if (next !== undefined) this.window.set(next.id, next);
      }
      if (next === undefined) return;
      next.sentOn = this.generation;
      const generation = this.generation;
      const size = next.bytes.length;
      this.unflushed += size;
      ws.send(next.bytes, { binary: true }, () => {
        if (generation !== this.generation) return;
        this.unflushed -= size;
        if (this.unflushed <= this.options.maxBufferedBytes) this.wakeDrainWaiters();
      });
    }
  }
}
