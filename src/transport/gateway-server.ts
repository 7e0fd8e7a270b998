import { KairosError } from '../errors.js';
import type { ConsoleFiles } from './console-files.js';
import type { Route } from './http.js';
import type { KeyRing } from './key-ring.js';
import { HttpServer } from './http-server.js';
import { RefusalLog } from './refusal-log.js';
import type { TemplatedApp, us_listen_socket } from './uws.js';
import type { WebSocketGatewayOptions } from './websocket-gateway.js';
import { WebSocketGateway } from './websocket-gateway.js';

/**
 * The server on uWebSockets.js: one app (TLS when configured) carrying the WebSocket gateway
 * at /v1/gateway and the HTTP server for every other path, the credentials both check, and
 * the readiness both answer by. Listening, draining and closing the connections are the
 * composition root's steps.
 */

/** uWS's `ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT` (an enum of its typings only, with no runtime value) */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/** How often the key table's version is read for the open WebSocket connections (docs/security.md). */
const KEY_WATCH_MS = 1000;

/** What the WebSocket gateway takes (its tokens and readiness are the server's), and the HTTP side's routes. */
export type GatewayServerOptions = Pick<WebSocketGatewayOptions, 'uws' | 'config' | 'host' | 'subscribers' | 'logger' | 'metrics'> & {
  /** the HTTP routes beyond /health, /ready and /metrics: POST /v1/events and the admin API */
  routes: readonly Route[];
  /** every key and its role (the HTTP side's credentials) */
  keys: KeyRing;
  /** why a ready node should take no traffic now; undefined when it should */
  notReadyReason: () => string | undefined;
  /** the console's static files (served at /console when present) */
  console?: ConsoleFiles;
  tls?: { certFile: string; keyFile: string };
  /**
   * The gateway port (KAIROS_GATEWAY_PORT) rather than the node's: the WebSocket gateway and
   * `routes` (POST /v1/events) with /health and /ready, no /metrics, console or admin API
   * (a 404 names the node's port for them). `shared`: listened on with SO_REUSEPORT, beside the
   * node's other shards (every shard accepts the port's connections); the node checked first
   * that no other process holds the port.
   */
  gatewayPort?: { port: number; shared: boolean };
};

export class GatewayServer {
  private listenSocket: us_listen_socket | undefined;
  private app: TemplatedApp | undefined;
  private ready = false;
  /** SIGTERM's drain: `/ready` answers 503 while everything else is still served */
  private draining = false;
  private readonly websocket: WebSocketGateway;
  private readonly http: HttpServer;
  /** the refused calls and upgrades, logged at most 20 a minute (then counted) */
  private readonly refusals: RefusalLog;

  constructor(private readonly o: GatewayServerOptions) {
    const { config } = o;
    const isReady = (): boolean => this.ready;
    // Draining is a reason to take no new traffic, not a refusal of what still arrives.
    const notReadyReason = (): string | undefined => (this.draining ? 'draining' : o.notReadyReason());
    // the gauge kairos_ready: what GET /ready answers (the node's port's)
    if (o.gatewayPort === undefined) o.metrics.host.ready = () => this.ready && notReadyReason() === undefined;
    this.refusals = new RefusalLog(o.logger);
    this.websocket = new WebSocketGateway({ uws: o.uws, config, host: o.host, subscribers: o.subscribers, logger: o.logger, metrics: o.metrics, keys: o.keys, isReady, refusals: this.refusals });
    this.http = new HttpServer({
      config,
      logger: o.logger,
      metrics: o.metrics,
      routes: o.routes,
      keys: o.keys,
      isReady,
      notReadyReason,
      refusals: this.refusals,
      ...(o.console === undefined || o.gatewayPort !== undefined ? {} : { console: o.console }),
      ...(o.gatewayPort === undefined ? {} : { gatewayPort: true }),
    });
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /**
   * The drain before a stop: `/ready` answers 503 (`reason: "draining"`) and `kairos_ready` is 0,
   * so load balancers take the node out, while connections, events and the API are still served
   * as before, new connections too (a balancer may send some until it has seen the 503).
   */
  startDraining(): void {
    this.draining = true;
  }

  /**
   * Starts listening; resolves with the bound port. A configured key named as a key made through
   * the API stops it first (`config_invalid`); gateway keys made through the API without a
   * channel scope are warned about, as unscoped configured tokens are.
   */
  async listen(): Promise<number> {
    const { gatewayPort } = this.o;
    // (the node's port's server checks the keys at the start: not a gateway port's too)
    if (gatewayPort === undefined) await this.o.keys.checkConfiguredNames();
    const unscoped = gatewayPort === undefined ? await this.o.keys.unscopedGatewayKeys() : [];
    if (unscoped.length > 0) {
      this.o.logger.warn(
        { keys: unscoped },
        'gateway keys made through the admin API without a channel scope may subscribe to every channel: give each one its channels (kairos keys role NAME --role gateway --channels sms, or PUT /v1/keys/{name}/role)',
      );
    }
    const { uws, config } = this.o;
    const app = this.o.tls === undefined ? uws.App() : uws.SSLApp({ cert_file_name: this.o.tls.certFile, key_file_name: this.o.tls.keyFile });
    this.app = app;
    this.websocket.attach(app);
    this.http.attach(app);
    return new Promise((resolve, reject) => {
      // Exclusively: uWS otherwise listens with SO_REUSEPORT, and a second server on the port
      // would start and share its connections. The (host, port, options, cb) form is uWS's own
      // (its typings list options only without a host).
      const listen = app.listen.bind(app) as unknown as (host: string, port: number, options: number, cb: (token: us_listen_socket | false) => void) => void;
      const port = gatewayPort?.port ?? config.port;
      listen(config.host, port, gatewayPort?.shared === true ? 0 : LIBUS_LISTEN_EXCLUSIVE_PORT, (token) => {
        if (token === false) {
          const name = gatewayPort === undefined ? 'port' : 'gateway port (KAIROS_GATEWAY_PORT)';
          reject(
            new KairosError('conflict', `cannot listen on ${config.host}:${port}: ${name} ${port} is in use (another kairos serve?) or not open to this process`, {
              details: { host: config.host, port },
            }),
          );
          return;
        }
        this.listenSocket = token;
        // A key revoked on another node closes this node's connections on it within a second.
        this.o.keys.watch(KEY_WATCH_MS);
        resolve(uws.us_socket_local_port(token));
      });
    });
  }

  /** Stops accepting connections and requests (ready goes false); open connections stay until closeConnections. */
  stopListening(): void {
    this.ready = false;
    this.o.keys.unwatch();
    this.refusals.close();
    if (this.listenSocket !== undefined) {
      this.o.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
  }

  /** Open WebSocket connections. */
  get openConnections(): number {
    return this.websocket.openConnections;
  }

  closeConnections(code?: number, reason?: string): void {
    this.websocket.closeConnections(code, reason);
  }

  /**
   * Ends the app at once: its listening socket and every connection, HTTP's too (a worker
   * thread's app must be closed before its thread ends: uWS's sockets left open abort the
   * process as the thread's loop closes).
   */
  closeApp(): void {
    this.listenSocket = undefined;
    this.o.keys.unwatch();
    this.refusals.close();
    // (uWS v20.30 has `close`; its typings do not list it)
    (this.app as unknown as { close(): void } | undefined)?.close();
  }
}
