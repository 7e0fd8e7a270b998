import { parentPort, workerData } from 'node:worker_threads';
import type { Catalog } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { ManualClock, systemClock } from '../clock.js';
import { CommittedFeed } from '../delivery/committed-feed.js';
import type { DeliverFrame, Subscriber } from '../delivery/gateway-subscribers.js';
import { notAwaitingConfirmation } from '../delivery/gateway-subscribers.js';
import { buildDispatcher } from '../delivery-parts.js';
import { KairosError } from '../errors.js';
import { ledgerCounters } from '../runtime/ledger-counters.js';
import { buildHost, lmdbOptions, loadLedgers, saveModels, startHostTimers, startOutboundRuns, startSegmentSweep } from '../host-parts.js';
import { outboundMetrics } from '../admin/outbound-routes.js';
import { createLogger } from '../logger.js';
import { createMetrics, shardMetricsJson } from '../metrics.js';
import type { HostReply } from '../runtime/host-options.js';
import type { ShardCallParts } from './shard-calls.js';
import { answerCall } from './shard-calls.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { StopList } from '../stop-list.js';
import { ShardBudgetLedger } from './shard-budgets.js';
import { ShardCapacityLedger } from './shard-capacity.js';
import { shardCustomerId, shardOf } from './shard-of.js';
import { SmppRelay } from './smpp-relay.js';
import { ShardSubscribers } from './shard-subscribers.js';
import { loadDemoBank } from '../demo/demo-bank.js';
import { demoCsvPath } from '../paths.js';
import type { AnswerTo, FromShard, ShardRequest, ShardWorkerData, ToShard } from './shard-messages.js';
import { isGatewayMessage, toWire } from './shard-messages.js';
import { adoptShared } from './shared-models.js';
import { ShardGateway } from './shard-gateway.js';

/**
 * A shard: a worker thread holding one customer host over its own LMDB environment (its own
 * writer lock), for the customers whose routing key hashes to it (shard-of.ts). It takes the
 * main thread's batches of requests in order (so a customer's events reach its host in the
 * order the gateways sent them), and posts the replies in batches, each once its commit is
 * done. Reminders fire and idle actors leave memory on its own timers. Its outbox is delivered
 * by its own dispatcher: the configured adapters (each at its share of the node's rate), and
 * stand-ins of the main thread's WebSocket subscribers (shard-subscribers.ts).
 */

const port = parentPort;
if (port === null) throw new Error('shard-worker.ts runs as a worker thread (src/shards/shards.ts starts it)');
const data = workerData as ShardWorkerData;
const { config } = data;
const manual = config.clock === 'manual' ? new ManualClock(data.now) : undefined;
const clock: Clock = manual ?? systemClock;
const logger = createLogger(config.logLevel, undefined, `${config.nodeId}/shard-${data.index}`);
const metrics = createMetrics();
const post = (m: FromShard): void => port.postMessage(m);
const taken = new BigInt64Array(data.taken);

const store = new LmdbStore(data.dir, { ...lmdbOptions(config), warn: (message, err) => logger.error({ err }, message) });
metrics.host.changeLog = () => store.changeLog();
let catalog: Catalog = compileCatalog(data.def);
if (config.demo) {
  const demo = await loadDemoBank(store, demoCsvPath(), clock.now(), 5000, (id) => shardOf(id, data.count) === data.index);
  if (demo.others !== undefined) logger.warn({ customers: demo.others }, "the shard's store holds customers, none of them the demo bank's: its part of the demo bank is not loaded");
  else if (demo.loaded) logger.info({ customers: demo.customers, ...(demo.resumedWith === undefined ? {} : { resumedWith: demo.resumedWith }) }, "the shard's part of the demo bank loaded");
}
const budgets = new ShardBudgetLedger(data.budgets.memory, data.budgets.capacity, data.budgets.slots, data.index, data.owner, new Int32Array(data.budgets.counted));
const capacity = new ShardCapacityLedger(data.channelCapacity.memory, data.owner, data.index, new Int32Array(data.channelCapacity.counted));
// The node's stop list is the main thread's: this shard holds a copy in memory, as handed to it.
const stopList = new StopList(store, config.stopListSecret);
stopList.replaceAll(data.stops);
const ledgers = await loadLedgers(config, store, clock, logger, { ledger: budgets, capacity, stopList });
// This shard's stored totals into the shared ones, once (flags in shared memory: a restart does not add them again).
budgets.addOwnTotals();
capacity.addOwnTotals();
// The node's models (shared memory): in place of this shard's own, read and trained by its decisions and answers.
adoptShared(ledgers.models, data.models);
const committed = new CommittedFeed();
// The node's bounds on live actors and heap shared among the shards (each its own V8 heap).
const hostConfig = { ...config, maxHotActors: Math.ceil(config.maxHotActors / data.count), maxHeapMb: config.maxHeapMb > 0 ? Math.ceil(config.maxHeapMb / data.count) : 0 };
const host = buildHost(hostConfig, { store, catalog: () => catalog, clock, logger, metrics, ledgers, committed, newCustomerId: (prefix) => shardCustomerId(prefix, data.index, data.count) });
// The node's delivery rates and subscriber windows shared among the shards (at least one a second each).
const share = (rate: number): number => Math.max(1, rate / data.count);
// SMS over SMPP: through the node's one bind on the main thread (an SMSC hands receipts and replies to any bind), at this shard's share of the rate.
const smsRelay = config.smppUrl === undefined ? undefined : new SmppRelay(share(config.smppRate), post);
const deliveryConfig = { ...config, smppUrl: undefined, smtpRate: share(config.smtpRate), webhookRate: share(config.webhookRate), subscriberWindow: ShardSubscribers.windowPerShard(config.subscriberWindow, data.count) };
const dispatcher = buildDispatcher(deliveryConfig, { store, clock, logger, metrics, host, committed, consumer: `${config.nodeId}/shard-${data.index}`, ...(smsRelay === undefined ? {} : { adapters: [smsRelay] }) });

/** The main thread's WebSocket subscribers, as this shard's dispatcher feeds them: their frames posted to the main thread. */
class SubscriberStandIn implements Subscriber {
  open = true;
  constructor(readonly id: number) {}
  deliver(frame: DeliverFrame): void {
    post({ t: 'deliver', id: this.id, frame });
  }
}
const standIns = new Map<number, SubscriberStandIn>();
// Segment memberships moved by time for this shard's customers, as a single node's sweep does for all.
const sweep = startSegmentSweep(config, { store, clock, catalog: () => catalog, logger, host });
// This shard's part of every outbound run: its own customers, its own records (src/shards/sharded-runs.ts merges them).
// (scheduled slots and next waves are planned by the main thread for every shard at once; a part over segments waits for this shard's memberships)
const outbound = startOutboundRuns(config, { store, clock, catalog: () => catalog, logger, host, node: `${config.nodeId}/shard-${data.index}`, plans: false, segments: sweep.segmentSweep });
outboundMetrics(outbound.runs, ledgers.funnel, metrics);
const stopHostTimers = startHostTimers(config, host, logger);
const callParts: ShardCallParts = { host, store, runs: outbound.runs, models: ledgers.models, catalog: () => catalog, stopList: ledgers.stopList, counters: ledgerCounters(ledgers), kick: (r) => dispatcher.retried(r), manual, clock, logger, segmentPass: sweep.segmentSweep };
const modelTimer = setInterval(() => void saveModels(ledgers.models, store, logger), config.modelSaveIntervalMs);
modelTimer.unref();

/** Replies answered since the last post: posted together at the end of the turn. */
let replies: Array<readonly [number, HostReply]> = [];
let postQueued = false;
/** Requests answered to a gateway shard (`to`) since the main thread was last told: it hears of them with the next replies, or DONE_MS later. */
let done: number[] = [];
let doneTimer: NodeJS.Timeout | undefined;
const flushReplies = (): void => {
  postQueued = false;
  // (the answers to gateway shards first: the main thread, told they are done, no longer holds them)
  gateway?.flushPeers();
  if (doneTimer !== undefined) clearTimeout(doneTimer);
  doneTimer = undefined;
  const out = replies;
  replies = [];
  const told = done;
  done = [];
  if (out.length > 0 || told.length > 0) post(told.length === 0 ? { t: 'replies', replies: out } : { t: 'replies', replies: out, done: told });
};
const answer = (seq: number, reply: HostReply): void => {
  replies.push([seq, reply]);
  if (!postQueued) {
    postQueued = true;
    setImmediate(flushReplies);
  }
};
/**
 * How long the main thread may go without hearing that requests answered to a gateway shard
 * are done: it holds them until then (to hand them again to this shard's next worker if this
 * one stops: decided already, they are answered again from the actor's memory, and dropped by
 * the gateway that has its answer). Told in batches, its thread is woken ~1/DONE_MS a second
 * at most for them, not once an answer.
 */
const DONE_MS = 10;
const answerTo = (seq: number, to: AnswerTo, reply: HostReply): void => {
  gateway?.answerFor(to, reply);
  done.push(seq);
  if (doneTimer === undefined && !postQueued) doneTimer = setTimeout(flushReplies, DONE_MS);
};

function take(request: ShardRequest): void {
  const seq = request[0];
  const to = request[3];
  // (to the main thread, or to the gateway shard the request names)
  const reply = (r: HostReply): void => (to === undefined ? answer(seq, r) : answerTo(seq, to, r));
  const pending = request[1] === 'event' ? host.submitEvent(request[2]) : host.submitResponse(request[2]);
  pending.then(reply, (err: unknown) => {
    logger.error({ err }, 'a request failed in the shard');
    reply({ kind: 'error', re: request[2].id, code: 'internal', message: 'internal error' });
  });
}

// The gateway port (KAIROS_GATEWAY_PORT): this shard accepts gateway connections beside the others.
const gateway = data.gateway === undefined ? undefined : new ShardGateway({ config, index: data.index, epoch: data.gateway.epoch, peers: data.gateway.peers, port: data.gateway.port, keys: data.gateway.keys, buckets: data.gateway.buckets, up: data.gateway.up, logger, metrics, post });
if (gateway !== undefined) {
  // (a shard started again while the node drains: /ready 503 before it listens)
  if (data.gateway?.draining === true) gateway.take({ t: 'gw-drain' });
  // A thread that ends on an error closes its sockets first (uWS's sockets left open as its
  // loop closes abort the whole process): the error then ends the thread as it would have, in
  // this turn (nothing more decided on what the error may have left half-changed).
  process.once('uncaughtException', (err) => {
    // (answers decided and committed, the main thread perhaps told they are done: posted before the thread ends)
    gateway.flushPeers();
    gateway.close(true);
    throw err;
  });
}

port.on('message', (m: ToShard) => {
  if (isGatewayMessage(m)) {
    gateway?.take(m);
    return;
  }
  switch (m.t) {
    case 'batch': {
      if (manual !== undefined) manual.set(m.now);
      // Taken: if this thread stops before answering, these were in its hands (the router counts that against them).
      const last = m.requests[m.requests.length - 1];
      if (last !== undefined) Atomics.store(taken, data.index, BigInt(last[0]));
      for (const r of m.requests) take(r);
      return;
    }
    case 'catalog':
      budgets.setSlots(m.slots);
      catalog = compileCatalog(m.def);
      post({ t: 'catalog-taken' });
      return;
    case 'crash':
      setImmediate(() => {
        throw new Error('this shard was asked to crash (Shards.kill)');
      });
      return;
    case 'models':
      adoptShared(ledgers.models, m.models);
      return;
    case 'subscribe': {
      const sub = standIns.get(m.id) ?? new SubscriberStandIn(m.id);
      standIns.set(m.id, sub);
      try {
        dispatcher.subscribers.subscribe(sub, m.channels);
      } catch (err) {
        // (the main thread checked the same rules before it posted)
        logger.error({ err, subscriber: m.id }, 'a subscription the main thread passed was refused here');
      }
      return;
    }
    case 'unsubscribe': {
      const sub = standIns.get(m.id);
      if (sub === undefined) return;
      sub.open = false;
      standIns.delete(m.id);
      dispatcher.subscribers.unsubscribe(sub);
      return;
    }
    case 'confirm': {
      const sub = standIns.get(m.id);
      const done = sub === undefined ? Promise.reject(notAwaitingConfirmation(m.confirmation.instance)) : dispatcher.subscribers.confirm(sub, m.confirmation);
      done.then(
        () => post({ t: 'confirmed', seq: m.seq }),
        (err: unknown) => post({ t: 'confirmed', seq: m.seq, error: toWire(err) }),
      );
      return;
    }
    case 'metrics':
      shardMetricsJson(metrics).then(
        (json) => post({ t: 'metrics', seq: m.seq, json }),
        (err: unknown) => {
          logger.error({ err }, 'reading the shard\'s metrics failed');
          post({ t: 'metrics', seq: m.seq, json: [] });
        },
      );
      return;
    case 'call':
      answerCall(callParts, m.call).then(
        (result) => post({ t: 'called', seq: m.seq, result }),
        (err: unknown) => {
          if (!(err instanceof KairosError)) logger.error({ err, op: m.call.op }, 'a call of the admin API failed in the shard');
          post({ t: 'called', seq: m.seq, error: toWire(err) });
        },
      );
      return;
    case 'stops':
      ledgers.stopList.replaceAll(m.entries);
      return;
    case 'sms-sent':
      smsRelay?.sent(m.seq, m.error);
      return;
    case 'close':
      // (the other shards' gateways take the port's new connections until theirs stop too)
      gateway?.stopListening();
      stopHostTimers();
      sweep.stop();
      outbound.stop();
      clearInterval(modelTimer);
      void (async () => {
        // a run's page in flight is answered before the host closes; the run goes on at the next start
        await outbound.runs.stop();
        // the segment sweep's scan (a worker thread reading the store) ended first
        await sweep.segmentSweep.ended();
        await host.close(m.timeoutMs);
        await dispatcher.stop();
        await saveModels(ledgers.models, store, logger);
        await store.close();
        // (the answers for the other shards' connections before `closed`, in flushReplies: the main thread closes their sockets only after it)
        flushReplies();
        post({ t: 'closed' });
        // With a gateway the thread stays to write what is still owed to its connections (the
        // router's answers, some decided by other shards, the last ones `shutting down`): the
        // main thread then has its sockets closed (`gw-close`) and ends it.
        if (gateway === undefined) port.close();
      })();
      return;
  }
});

dispatcher.start();
post({ t: 'ready' });
