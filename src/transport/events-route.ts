import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { duplicateJsonKeys, keyGivenTwice } from '../duplicate-json-key.js';
import type { ErrorCode } from '../errors.js';
import { KairosError, asKairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { countDecision } from './count-decision.js';
import { FrameError, decodeFrame, encodeFrame, idInBytes, parseEvent, readableId } from './frames.js';
import { exactIntegers } from './json-integers.js';
import { invalidUtf8At } from '../well-formed-text.js';
import { isPlainMap } from './plain-data.js';
import type { ClientLimiter } from './token-bucket.js';
import { ClientBuckets } from './token-bucket.js';
import { eventsOperation } from '../schema/http/builtin-operations.js';
import type { HttpCall, HttpReply, Route } from './http.js';
import { errorReply, json } from './http.js';

/**
 * `POST /v1/events`: one event as JSON or MessagePack, for gateways without a WebSocket. The
 * decision comes back in the request's format (or as `Accept` asks); every error is the one
 * HTTP error shape (`errorReply`), whatever the request's format, and carries the event's id
 * as `re` whenever it could be read (as the WebSocket error frame does). A body in another
 * media type is 415 `unsupported_media_type`. A JSON body is held to what MessagePack is: valid
 * UTF-8 (not read with U+FFFD in place of bad bytes), and integers within ±2^53 where they are
 * kept (json-integers.ts: one past it is refused, not rounded). Requests are rate limited as
 * the WebSocket's frames are (`KAIROS_RATE_LIMIT`, a burst of twice that), by gateway key and
 * client address rather than by connection (uWS gives an HTTP request no handle on its
 * keep-alive connection, and a client could open another): 429 `rate_limited` with `re` and
 * `Retry-After`.
 */

export interface EventsRouteOptions {
  host: Pick<CustomerHost, 'submitEvent'>;
  metrics: Metrics;
  logger: Logger;
  /** `KAIROS_RATE_LIMIT`: requests a second per gateway key and client address (a burst of twice that) before 429 `rate_limited` */
  rateLimit: number;
  /**
   * The buckets by client: the node's threads' shared ones (shared-client-buckets.ts) where
   * several threads serve the route (the gateway port on every shard); by default this thread's.
   */
  buckets?: ClientLimiter;
}

/**
 * The id of a JSON body that is not valid UTF-8, for the error's `re`: the body read with
 * U+FFFD in place of its bad bytes (which keeps JSON's structure), and its `id` taken only if
 * it holds no U+FFFD (so it is exactly what was sent) and is given once.
 */
function jsonIdDespiteBadBytes(body: Buffer): string | undefined {
  try {
    const text = body.toString('utf8');
    const raw: unknown = JSON.parse(text);
    if (!isPlainMap(raw) || duplicateJsonKeys(text).includes('id')) return undefined;
    const id = readableId(raw);
    return id !== undefined && !id.includes('\ufffd') ? id : undefined;
  } catch {
    return undefined;
  }
}

function isMsgpack(contentType: string): boolean {
  const t = contentType.toLowerCase();
  return t.startsWith('application/msgpack') || t.startsWith('application/x-msgpack') || t.startsWith('application/vnd.msgpack');
}

export function eventsRoute(o: EventsRouteOptions): Route {
  // The WebSocket's limit, by the client: uWS gives an HTTP request no handle on its keep-alive connection.
  const buckets = o.buckets ?? new ClientBuckets(o.rateLimit);
  // Not bound through route(): the body is JSON or MessagePack, parsed and checked here like a frame (bad_frame vs invalid).
  return { operation: eventsOperation, handle: (call) => postEvent(o, buckets, call) };
}

async function postEvent(o: EventsRouteOptions, buckets: ClientLimiter, call: HttpCall): Promise<HttpReply> {
  const start = performance.now();
  const inMsgpack = isMsgpack(call.contentType);
  const outMsgpack = call.accept.includes('msgpack') || (inMsgpack && !call.accept.includes('json'));
  const fail = (code: ErrorCode, message: string, re?: string): HttpReply => {
    o.metrics.errors.inc({ code });
    return errorReply(code, message, { re });
  };
  // Rate limit -> decode -> validate -> actor, as over the WebSocket: a request refused here decodes nothing but its id.
  // (an absolute time: buckets shared with other threads read theirs)
  const retryAfter = buckets.take(`${call.principal?.name ?? ''}@${call.remote?.() ?? ''}`, performance.timeOrigin + start);
  if (retryAfter > 0) {
    const re = inMsgpack ? idInBytes(call.body) : jsonIdDespiteBadBytes(call.body);
    const reply = fail('rate_limited', `too many requests from this client (its gateway key and address): more than ${o.rateLimit} a second, in bursts of up to ${o.rateLimit * 2}; retry after ${retryAfter} s`, re);
    return { ...reply, headers: { ...reply.headers, 'Retry-After': String(retryAfter) } };
  }
  if (!inMsgpack && !call.contentType.toLowerCase().startsWith('application/json')) {
    return fail('unsupported_media_type', 'send the event as application/json or application/msgpack');
  }
  let raw: unknown;
  if (inMsgpack) {
    try {
      // decodeFrame's message names the problem once (and checks the map itself); its re is the id, when the bytes let it be read.
      raw = decodeFrame(call.body, 'the body');
    } catch (err) {
      if (err instanceof FrameError) return fail(err.code, err.message, err.re);
      throw err;
    }
  } else {
    const bad = isUtf8(call.body) ? -1 : invalidUtf8At(call.body, 0, call.body.byteLength);
    if (bad >= 0) return fail('bad_frame', `the body is not valid UTF-8 (byte ${bad})`, jsonIdDespiteBadBytes(call.body));
    const text = call.body.toString('utf8');
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return fail('bad_frame', `the body is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('bad_frame', 'the body must be one JSON map');
    // a key twice: JSON.parse kept the last, another reader of the text may keep the first (an `id` twice is not echoed)
    const twice = duplicateJsonKeys(text);
    if (twice.length > 0) return fail('bad_frame', `the body: ${keyGivenTwice(twice[0]!)}`, twice.includes('id') ? undefined : readableId(raw as Record<string, unknown>));
    // Integers past ±2^53, which JSON.parse rounded, back as the bigints they were written as: refused as over WebSocket.
    exactIntegers(text, raw);
  }
  let event;
  try {
    event = parseEvent(raw as Record<string, unknown>);
  } catch (err) {
    if (err instanceof FrameError) return fail(err.code, err.message, err.re);
    throw err;
  }
  o.metrics.events.inc({ channel: channelLabel(event.channel) });
  let r;
  try {
    r = await o.host.submitEvent(event);
  } catch (err) {
    // Answered here, not by the server, so that the reply names the event.
    const e = asKairosError(err);
    if (e.code === 'internal') o.logger.error({ err, re: event.id }, 'deciding an event failed');
    return fail(e.code, e.publicMessage, event.id);
  }
  o.metrics.decisionSeconds.observe({ kind: 'http' }, (performance.now() - start) / 1000);
  switch (r.kind) {
    case 'decision': {
      countDecision(o.metrics, r);
      const decision = { t: 'decision', re: r.re, customer: r.customer, actions: r.actions };
      return outMsgpack ? { status: 200, contentType: 'application/msgpack', body: encodeFrame(decision) } : json(200, decision);
    }
    case 'error':
      return fail(r.code, r.message, event.id);
    case 'ack':
      return fail('internal', 'unexpected reply', event.id);
    default: {
      const never: never = r;
      throw new KairosError('internal', `unhandled reply ${JSON.stringify(never)}`);
    }
  }
}
