import type { CatalogDef, GatewayEvent, GatewayResponse } from '../../actors/index.js';
import type { OutboxRecord, StopEntry } from '../store/store.js';
import type { ShardCall } from './shard-calls.js';
import type { Config } from '../config.js';
import type { Confirmation, DeliverFrame } from '../delivery/gateway-subscribers.js';
import type { ErrorCode } from '../errors.js';
import { KairosError } from '../errors.js';
import type { ShardMetricsJson } from '../metrics.js';
import type { HostReply } from '../runtime/host-options.js';
import type { SharedModel } from './shared-models.js';
import type { KeyTable } from '../transport/key-ring.js';
import type { MessagePort } from 'node:worker_threads';

/**
 * What the main thread and a shard (a worker thread: shard-worker.ts) say to each other.
 * Requests go in batches, one a shard and turn of the main thread's event loop; replies come
 * back in batches, one a turn of the shard's, each only once what it answers is committed
 * in the shard's store (the host's reply rules, unchanged).
 */

/** What a shard is started with. */
export interface ShardWorkerData {
  index: number;
  count: number;
  /** this worker's mark in the shared totals' lock words (from 1; the router counts the workers it starts) */
  owner: number;
  /** a BigInt64 a shard: the worker stores there the last sequence number it took (what it had in hand if it stops) */
  taken: SharedArrayBuffer;
  /** its LMDB environment: `<data dir>/shard-<index>` */
  dir: string;
  config: Readonly<Config>;
  /** the catalog the main thread holds (compiled again in the shard: compiled rules are code) */
  def: CatalogDef;
  /** the node's stop list (kept in the main thread's store): the shard's copy is made to match it */
  stops: readonly StopEntry[];
  /** the manual clock's reading (a manual clock only); every batch carries the main thread's */
  now: number;
  /**
   * campaign budgets across shards (shard-budgets.ts); `counted`: an Int32 a shard and slot,
   * set once the shard's stored totals for it are in the memory (a restart adds them once)
   */
  budgets: { memory: SharedArrayBuffer; capacity: number; slots: Readonly<Record<string, number>>; counted: SharedArrayBuffer };
  /** channel capacity across shards (shard-capacity.ts); `counted`: an Int32 a shard, as the budgets' */
  channelCapacity: { memory: SharedArrayBuffer; counted: SharedArrayBuffer };
  /** the node's propensity models in shared memory (shared-models.ts): the shard's decisions read them, its answers train them */
  models: readonly SharedModel[];
  /**
   * The node's gateway port (KAIROS_GATEWAY_PORT, checked free): the shard accepts gateway
   * connections on it beside the other shards (shard-gateway.ts), with the key table as it is
   * now, once told (`gw-open`: at the node's listen, or after its `ready` when started again,
   * behind any key table handed it meanwhile); its /ready 503 from the start when the node
   * drains already (`draining`); the node's shared `POST /v1/events` buckets
   * (shared-client-buckets.ts); which shards take requests (`up`: an Int32 flag each, written
   * by the main thread, its `/ready` answered from them as the node's port answers it)
   */
  gateway?: { port: number; keys: KeyTable; draining: boolean; buckets: SharedArrayBuffer; up: SharedArrayBuffer; epoch: number; peers: readonly GatewayPeer[] };
}

/**
 * Another shard's gateway, as this one answers its connections' requests (shard-gateway.ts):
 * a port of a channel between the two threads (transferred), and which of that shard's workers
 * holds the other end (`epoch`, counted by the main thread's ShardGateways): an answer for a
 * request an earlier worker of it accepted is dropped (its connections are gone).
 */
export interface GatewayPeer {
  index: number;
  epoch: number;
  port: MessagePort;
}

/**
 * Where a request of a shard's gateway connection is answered: that shard (its index, its
 * worker's epoch) under its own number for the request. The shard that decides posts the
 * answer there itself, or takes it in its own gateway (its own connection's), the main
 * thread only told that the request is done (`replies`' `done`).
 */
export type AnswerTo = readonly [shard: number, epoch: number, seq: number];

/** A request of a gateway connection a shard accepted: its number (the shard's), its kind and what the gateway sent. */
export type GatewayRequest = ShardRequest;

/** A request: its number (the main thread's), its kind and what the gateway sent; a shard's gateway connection's names where it is answered (`to`). */
export type ShardRequest = readonly [seq: number, kind: 'event', message: GatewayEvent, to?: AnswerTo] | readonly [seq: number, kind: 'response', message: GatewayResponse, to?: AnswerTo];

export type ToShard =
  | { t: 'batch'; now: number; requests: readonly ShardRequest[] }
  | { t: 'catalog'; def: CatalogDef; slots: Readonly<Record<string, number>> }
  /** the node's models now (a new offer's, one reset): each new one taken in place of the shard's */
  | { t: 'models'; models: readonly SharedModel[] }
  | { t: 'close'; timeoutMs: number }
  /** end at once, as an uncaught error ends a thread (`Shards.kill`, tests) */
  | { t: 'crash' }
  /** a WebSocket subscriber of the main thread's (shard-subscribers.ts), fed by the shard's dispatcher */
  | { t: 'subscribe'; id: number; channels: readonly string[] }
  | { t: 'unsubscribe'; id: number }
  | { t: 'confirm'; seq: number; id: number; confirmation: Confirmation }
  /** its metrics, for a scrape */
  | { t: 'metrics'; seq: number }
  /** what the admin API asks of the shard (shard-calls.ts) */
  | { t: 'call'; seq: number; call: ShardCall }
  /** the node's stop list as it is now, for a shard that started while it changed (its copy made to match) */
  | { t: 'stops'; entries: readonly StopEntry[] }
  /** an SMS the shard relayed (`sms`) handed to the SMSC by the node's SMPP bind, or the error it met */
  | { t: 'sms-sent'; seq: number; error?: WireError }
  /** the answers to requests of the shard's gateway connections (`gw`), by the shard's numbers (from the main thread, or from the shard that decided them on its peer port) */
  | { t: 'gw-replies'; replies: ReadonlyArray<readonly [seq: number, reply: HostReply]> }
  /** the channel to another shard's gateway, for its worker of `epoch` (that shard started, or started again): in place of the one before */
  | { t: 'gw-peer'; peer: GatewayPeer }
  /** an outbox entry for a subscriber on one of the shard's gateway connections (`gw-subscribe`) */
  | { t: 'gw-deliver'; id: number; frame: DeliverFrame }
  /** close that subscriber's connection with this code (the node's subscribers close it: a shard holding its deliveries stopped) */
  | { t: 'gw-drop'; id: number; code: number; reason: string }
  /** a confirmation of one of the shard's gateway connections recorded, or refused */
  | { t: 'gw-confirmed'; seq: number; error?: WireError }
  /** the key table changed (a key made, rotated, revoked): the shard's gateway reads it, then says so (`gw-keys-taken`) */
  | { t: 'gw-keys'; seq: number; keys: KeyTable }
  /** the node listens: the shard's gateway listens too, then says so (`gw-opened`) */
  | { t: 'gw-open' }
  /** the node drains (SIGTERM): the gateway port's /ready answers 503 while it still serves */
  | { t: 'gw-drain' }
  /**
   * the thread is about to be ended (a close or a start past its time, the process exiting):
   * its sockets closed first (1001, or 1012 "service restart" when the shard is started
   * again while the node lives: `restart`), then `gw-closed`
   */
  | { t: 'gw-close'; restart?: boolean };

/** What the main thread says to a shard's gateway (shard-gateway.ts). */
export type ToShardGateway = Extract<ToShard, { t: `gw-${string}` }>;

export function isGatewayMessage(m: ToShard): m is ToShardGateway {
  return m.t.startsWith('gw-');
}

export type FromShard =
  | { t: 'ready' }
  /** answers, by the main thread's numbers; `done`: requests answered to the gateway shard they name (`to`), the main thread's numbers */
  | { t: 'replies'; replies: ReadonlyArray<readonly [seq: number, reply: HostReply]>; done?: readonly number[] }
  | { t: 'closed' }
  /** a new catalog taken (its budget slots' stored totals added): the router posts again */
  | { t: 'catalog-taken' }
  /** the shard's registry for a scrape of the node's /metrics */
  | { t: 'metrics'; seq: number; json: ShardMetricsJson }
  /** a call's answer, or the error it met */
  | { t: 'called'; seq: number; result?: unknown; error?: WireError }
  /** an outbox entry for a subscriber: out on its connection */
  | { t: 'deliver'; id: number; frame: DeliverFrame }
  /** a confirmation recorded (or refused, with the error a single node answers) */
  | { t: 'confirmed'; seq: number; error?: WireError }
  /** an SMS of the shard's outbox for the node's one SMPP bind (src/shards/smpp-relay.ts) */
  | { t: 'sms'; seq: number; record: OutboxRecord }
  /** requests of the shard's gateway connections, for the node's router (to their customers' shards) */
  | { t: 'gw'; requests: readonly GatewayRequest[] }
  /** a connection of the shard's gateway subscribed (the shard checked the channels as a single node does) */
  | { t: 'gw-subscribe'; id: number; channels: readonly string[] }
  /** that connection closed */
  | { t: 'gw-unsubscribe'; id: number }
  /** its `delivered`/`failed` frame */
  | { t: 'gw-confirm'; seq: number; id: number; confirmation: Confirmation }
  /** the key table of `gw-keys` read */
  | { t: 'gw-keys-taken'; seq: number }
  /** the shard's gateway listens (`gw-open`), or the error it met */
  | { t: 'gw-opened'; error?: WireError }
  /** the shard's gateway sockets are closed (`gw-close`) */
  | { t: 'gw-closed' };

/** An error as it crosses between threads: a KairosError's code and message, anything else `internal` (its detail stays in the thread's log). */
export type WireError = { code: ErrorCode; message: string };

export function toWire(err: unknown): WireError {
  return err instanceof KairosError ? { code: err.code, message: err.message } : { code: 'internal', message: 'internal error' };
}

export function fromWire(e: WireError): KairosError {
  return new KairosError(e.code, e.message);
}
