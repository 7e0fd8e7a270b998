import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { KairosError, asKairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ConsoleFiles } from './console-files.js';
import type { KeyRing } from './key-ring.js';
import type { Refusal, RefusalLog } from './refusal-log.js';
import { remoteAddress } from './refusal-log.js';
import { roleAllows } from '../schema/http/operation.js';
import { BodyStream } from './body-stream.js';
import type { HttpCall, HttpReply, Route } from './http.js';
import { errorReply, isApiPath, json, statusLine, withApiHeaders } from './http.js';
import type { Router } from './http-router.js';
import { createRouter } from './http-router.js';
import { healthOperation, metricsOperation, readyOperation } from '../schema/http/builtin-operations.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';
import { writeReply } from './write-reply.js';

/**
 * The HTTP side of the server: reads each request (everything copied out of uWS's request
 * synchronously, the body up to the payload limit, or handed over as it arrives to a route
 * whose body is `streamed`), checks its credentials, dispatches it to its route and writes the
 * reply back corked (a reply with a `stream` chunk by chunk, as it is made). Its own routes
 * are `GET /health`, `GET /ready` and `GET /metrics`; `POST /v1/events` and the admin API come
 * in as routes; the console's static files (`/console`, console-files.ts) are served before routing.
 */

export interface HttpServerOptions {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  /** the routes beyond the built-in ones (POST /v1/events, the admin API) */
  routes: readonly Route[];
  /** every key and its role: gateway tokens, admin keys, named keys */
  keys: KeyRing;
  /** false while starting and draining: `/ready` and every authenticated route answer 503 */
  isReady: () => boolean;
  /** why a ready node should take no traffic now (the store unreachable, commits failing); undefined when it should */
  notReadyReason: () => string | undefined;
  /** the marketer's console's static files, served at /console (docs/console.md); absent: /console is a 404 */
  console?: ConsoleFiles;
  /** where each refused call (401, 403) is logged, rate-limited */
  refusals?: RefusalLog;
  /** the gateway port's server (KAIROS_GATEWAY_PORT): no /metrics, and a path it does not serve answered with the node's port's */
  gatewayPort?: boolean;
}

/** Bytes of a streamed body waiting unread before its connection is paused (resumed at half). */
export const STREAMED_BODY_HIGH_WATER = 256 * 1024;

export class HttpServer {
  private readonly router: Router;

  constructor(private readonly o: HttpServerOptions) {
    this.router = createRouter([...this.builtinRoutes(), ...o.routes]);
  }

  /** Serves every path the WebSocket route does not take. */
  attach(app: TemplatedApp): void {
    app.any('/*', (res, req) => this.onHttp(res, req));
  }

  private builtinRoutes(): Route[] {
    const routes: Route[] = [
      { operation: healthOperation, handle: () => json(200, { status: 'ok' }) },
      {
        operation: readyOperation,
        handle: () => {
          if (!this.o.isReady()) return json(503, { status: 'not ready' });
          // A node whose store is unreachable takes no traffic (a load balancer sends it elsewhere).
          const reason = this.o.notReadyReason();
          if (reason !== undefined) return json(503, { status: 'not ready', reason });
          return json(200, { status: 'ready' });
        },
      },
      {
        operation: metricsOperation,
        handle: async () => ({
          status: 200,
          contentType: this.o.metrics.registry.contentType,
          body: await this.o.metrics.exposition(),
        }),
      },
    ];
    return this.o.gatewayPort === true ? routes.filter((r) => r.operation !== metricsOperation) : routes;
  }

  private onHttp(res: HttpResponse, req: HttpRequest): void {
    // Copy everything out of req now: it is valid only during this callback.
    const method = req.getMethod().toLowerCase();
    const path = req.getUrl();
    const query = new URLSearchParams(req.getQuery() ?? '');
    const authorization = req.getHeader('authorization') || undefined;
    const contentType = req.getHeader('content-type');
    const accept = req.getHeader('accept');
    // The request's id: the client's X-Request-Id when it is a sane one, else a new one; on every reply
    const given = req.getHeader('x-request-id');
    const requestId = /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    const forwardedFor = req.getHeader('x-forwarded-for');
    let aborted = false;
    let streamed: BodyStream | undefined;
    /** a streamed reply waiting for the client to take what it was sent */
    let writable: (() => void) | undefined;
    res.onAborted(() => {
      aborted = true;
      streamed?.fail(new KairosError('unavailable', 'the client went away before the end of the body'));
      writable?.();
    });
    const api = isApiPath(path);
    const write = (reply: HttpReply): void => {
      const r = withRequestId(api ? withApiHeaders(reply) : reply, requestId);
      if (r.stream !== undefined) {
        const drained = (): Promise<void> =>
          new Promise<void>((resolve) => {
            writable = resolve;
            res.onWritable(() => {
              writable = undefined;
              resolve();
              return true;
            });
          });
        void this.writeStream(res, r, { aborted: () => aborted, drained, done: () => streamed?.close() });
        return;
      }
      streamed?.close();
      if (aborted) return;
      res.cork(() => writeReply(res, r));
    };

    // The console's files: no credentials (the page asks for a key and sends it with each API call).
    if (this.o.console?.owns(path) === true) {
      const reply = this.o.console.reply(method, path);
      write(method === 'head' ? { ...reply, body: '' } : reply);
      return;
    }
    const found = this.router.lookup(method, path);
    if (found.error !== undefined) {
      // (the gateway port serves the gateway's routes: the rest are the node's port's)
      write(this.o.gatewayPort === true && found.error.status === 404 ? errorReply('not_found', `${path} is not served on the gateway port (KAIROS_GATEWAY_PORT): the admin API, the console and /metrics are on the node's port (KAIROS_PORT)`) : found.error);
      return;
    }
    const { route, params } = found;
    const op = route.operation;
    const { auth } = op;
    /** the client's address, read when a route or a refusal asks (the response is the request's until answered or aborted) */
    const remote = (): string | undefined => (aborted ? undefined : remoteAddress(res));
    /** A refusal logged (rate-limited) with the route, the key, the client's address. */
    const refused = (r: Omit<Refusal, 'route' | 'remote' | 'forwardedFor'>): void => {
      this.o.refusals?.note({ ...r, route: `${method.toUpperCase()} ${op.path}`, remote: remote(), forwardedFor });
    };
    const run = (body: Buffer, bodyStream?: BodyStream): void => {
      Promise.resolve()
        .then(async () => {
          if (auth === 'none') return route.handle({ method, path, query, authorization, principal: undefined, contentType, accept, body, bodyStream }, params);
          // Authentication, then readiness, then the role: a refusal changes nothing.
          const who = await this.o.keys.authenticate(authorization);
          if (who === undefined) {
            this.o.metrics.errors.inc({ code: 'unauthorized' });
            refused({ status: 401, code: 'unauthorized', credential: authorization === undefined ? 'none' : 'unknown' });
            return errorReply('unauthorized', auth === 'admin' ? 'an API key is required: Authorization: Bearer <key>' : 'a gateway token is required');
          }
          if (!this.o.isReady()) return errorReply('unavailable', 'not ready');
          const { principal } = who;
          if (!this.o.keys.roleUsable(principal.role)) {
            this.o.metrics.errors.inc({ code: 'forbidden' });
            refused({ status: 403, code: 'forbidden', key: principal.name, role: principal.role, reason: 'the role is refused in production' });
            return errorReply('forbidden', `the key "${principal.name}" (role ${principal.role}) is refused in production (KAIROS_ENV=production)`);
          }
          if (!roleAllows(op, principal.role)) {
            this.o.metrics.errors.inc({ code: 'forbidden' });
            refused({ status: 403, code: 'forbidden', key: principal.name, role: principal.role });
            return errorReply('forbidden', `the key "${principal.name}" (role ${principal.role}) may not ${op.operationId} (${method.toUpperCase()} ${op.path})`);
          }
          const call: HttpCall = { method, path, query, authorization, principal, contentType, accept, remote, body, bodyStream };
          return route.handle(call, params);
        })
        .then(write, (err: unknown) => {
          const e = asKairosError(err);
          if (e.code === 'internal') this.o.logger.error({ err, path, method, requestId }, 'http handler failed');
          write(errorReply(e));
        });
    };
    if (method === 'get' || method === 'head') {
      run(Buffer.alloc(0));
      return;
    }
    const limit = this.o.config.maxPayloadBytes;
    if (op.body?.streamed === true) {
      // Handed over as it arrives: the route bounds what it keeps; a slow route pauses the connection.
      const flow = { pause: () => !aborted && res.pause(), resume: () => !aborted && res.resume() };
      const stream = new BodyStream(flow, limit, STREAMED_BODY_HIGH_WATER);
      streamed = stream;
      // The chunk is valid only during this callback: copy it.
      res.onData((chunk, isLast) => stream.push(Buffer.from(new Uint8Array(chunk)), isLast));
      run(Buffer.alloc(0), stream);
      return;
    }
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

  /**
   * A reply made as it goes: the status and headers (and `body`, if any) now, then each chunk,
   * then the end. The next chunk is taken only once the client has taken the last (so a
   * producer that waits for its chunks to be taken is held back by a slow reader); a client
   * gone stops the chunks.
   */
  private async writeStream(res: HttpResponse, r: HttpReply, w: { aborted: () => boolean; drained: () => Promise<void>; done: () => void }): Promise<void> {
    const { aborted, done } = w;
    const chunks = r.stream![Symbol.asyncIterator]();
    try {
      if (aborted()) return;
      res.cork(() => {
        res.writeStatus(statusLine(r.status)).writeHeader('Content-Type', r.contentType);
        for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
        if (r.body.length > 0) res.write(r.body);
      });
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) break;
        if (aborted()) return;
        let taken = true;
        res.cork(() => {
          taken = res.write(next.value);
        });
        if (!taken) await w.drained();
      }
      done();
      if (!aborted()) res.cork(() => res.end());
    } catch (err) {
      done();
      if (!aborted()) {
        this.o.logger.error({ err }, 'a streamed reply failed');
        res.close();
      }
    } finally {
      if (aborted()) await chunks.return?.(undefined).catch(() => undefined);
    }
  }
}

/** A reply with the request's id in its `X-Request-Id` header (an error's included). */
export function withRequestId(r: HttpReply, requestId: string): HttpReply {
  return { ...r, headers: { ...r.headers, 'X-Request-Id': requestId } };
}
