import { join } from 'node:path';
import { auditLogLine } from './audit/audit.js';
import { IdentityConflicts } from './runtime/identity-conflicts.js';
import type { Withheld } from './shards/sharded-identity.js';
import { ShardedMerge, mergeAtLogin, recordWithheld } from './shards/sharded-identity.js';
import { SmppAdapter } from './delivery/smpp-adapter.js';
import { KairosError } from './errors.js';
import { NodeSms, nodeSmsHost } from './shards/smpp-relay.js';
import { capacityDay } from '../actors/index.js';
import { asyncApiRoute } from './admin/asyncapi-route.js';
import { allOperations } from './admin/openapi.js';
import { openApiRoute } from './admin/openapi-route.js';
import { whoamiRoute } from './admin/whoami-route.js';
import type { Config } from './config.js';
import { gatewayTls, unsubscribeSecretInForce } from './config.js';
import { lmdbOptions, openStopList, saveModels } from './host-parts.js';
import type { Kairos, StartOptions } from './kairos.js';
import { announce, consoleOption, drainFor, once, openCatalogs, serverStatus, startBasics } from './kairos.js';
import type { ServerStatus } from './schema/http/admin-schemas.js';
import { builtinOperations } from './schema/http/builtin-operations.js';
import { MergedTotals } from './shards/merged-totals.js';
import { SharedModels } from './shards/shared-models.js';
import { ShardedRuns } from './shards/sharded-runs.js';
import { scheduleMarks } from './runtime/outbound-runs.js';
import { learningMetrics } from './admin/learning-routes.js';
import { recordShardCount } from './shards/shard-count.js';
import { AuditRelay, NodeStopList, intoNodeTrail, shardedAdminRoutes, shardedDraftCounts } from './shards/sharded-admin.js';
import { NodeErasure } from './shards/node-erasure.js';
import { Shards } from './shards/shards.js';
import { LmdbStore } from './store/lmdb-store.js';
import type { Store } from './store/store.js';
import { eventsRoute } from './transport/events-route.js';
import { SharedClientBuckets, sharedClientBucketsMemory } from './transport/shared-client-buckets.js';
import { GatewayServer } from './transport/gateway-server.js';
import type { Route } from './transport/http.js';
import { errorReply } from './transport/http.js';
import { KeyRing, bootstrapKeys, readKeyTable } from './transport/key-ring.js';
import { freeGatewayPort } from './free-port.js';

/**
 * The server with its customers spread over shards (`KAIROS_SHARDS` above 1; docs/scale-out.md,
 * "Every core of one machine"): the main thread accepts the gateways' WebSocket connections
 * and `POST /v1/events` and routes each request to the shard that owns its customer
 * (src/shards/shards.ts); each shard, a worker thread with an LMDB environment of its own,
 * decides, commits and delivers for its customers (its dispatcher feeds the configured
 * adapters and, through the main thread, the WebSocket subscribers).
 *
 * The main thread's own store (`<data dir>/node`) holds the catalog, the stop list, the API
 * keys and the audit trail; the admin API is served over it and the shards
 * (src/shards/sharded-admin.ts). What is not served across shards yet answers 503
 * `unavailable` naming this (docs/scale-out.md, "Next steps").
 */
export type ShardedKairos = Pick<Kairos, 'port' | 'config' | 'clock' | 'logger' | 'metrics' | 'drain' | 'close'> & {
  readonly shards: Shards;
  /** the main thread's store (`<data dir>/node`): the catalog, the stop list, the API keys, the audit trail */
  readonly store: Store;
  /** the gateway port every shard accepts connections on (KAIROS_GATEWAY_PORT, bound); undefined without one */
  readonly gatewayPort: number | undefined;
};

/** The admin operations a sharded node does not serve yet: each answers 503 `unavailable`, after the usual authentication. */
function notYetRoutes(served: ReadonlySet<string>): Route[] {
  const message = 'not served while the customers are spread over shards (KAIROS_SHARDS) yet: use a node with KAIROS_SHARDS=1 for it (docs/scale-out.md)';
  return allOperations.filter((op) => !served.has(op.operationId)).map((operation) => ({ operation, handle: () => errorReply('unavailable', message) }));
}

export async function startShardedKairos(config: Readonly<Config>, options: StartOptions = {}): Promise<ShardedKairos> {
  const { uws, logger, metrics, clock, started } = startBasics(config, options);
  // (a single node's data dir, or one spread over another count, is refused before anything is written in it)
  recordShardCount(config.dataDir, config.shards);
  const store = new LmdbStore(join(config.dataDir, 'node'), { ...lmdbOptions(config), warn: (message, err) => logger.error({ err }, message) });
  // every entry of the node's trail logged once (a shard's own entries when they are copied into it)
  store.onAudit = auditLogLine(logger);
  let shards: Shards | undefined;
  let relayTimer: NodeJS.Timeout | undefined;
  let modelTimer: NodeJS.Timeout | undefined;
  let runTimers: NodeJS.Timeout[] = [];
  // SMS over SMPP: one bind for the node, here (an SMSC hands receipts and replies to any bind); the shards' SMS relayed to it (smpp-relay.ts).
  let smsc: SmppAdapter | undefined;
  let smsReadied: (sms: NodeSms | undefined) => void = () => undefined;
  const smsReady = new Promise<NodeSms | undefined>((resolve) => (smsReadied = resolve));
  try {
    const catalogs = await openCatalogs(config, store, clock, logger);
    // an outbound schedule's slots count from when it was saved (a past `once` refused)
    catalogs.alsoStore(scheduleMarks);
    const stopList = await openStopList(new NodeStopList(store, config.stopListSecret, (call) => shards?.changeStops(call) ?? Promise.resolve()), logger);
    const t0 = performance.now();
    // Totals across customers (funnel, evidence, model figures, segment sizes): every shard's added up when read.
    const totals = new MergedTotals(() => shards?.callEvery({ op: 'totals' }) ?? Promise.resolve([]), clock);
    // One propensity model an offer for the node, in shared memory: every shard's decisions read it and its answers train it.
    const models = new SharedModels(totals.ledgers.models);
    await models.load(store);
    models.cover(catalogs.catalog);
    // Conflicts between customers of two shards (an identifier withheld from an event: shards.ts `route`), kept here.
    const conflicts = new IdentityConflicts({ store, secret: config.stopListSecret, clock, metrics, logger });
    // The gateway port: free now (no other process on it: the shards share it with each other only), and the keys the shards' gateways check.
    const gatewayPort = config.gatewayPort === undefined ? undefined : await freeGatewayPort(config.host, config.gatewayPort);
    // POST /v1/events' buckets by client, shared by this thread and every shard's gateway (a client's connections land on any of them)
    const clientBuckets = gatewayPort === undefined ? undefined : sharedClientBucketsMemory();
    let onLogin: ((person: string, cookie: Withheld) => void) | undefined;
    const running = await Shards.start({
      // (the shards may dispatch before the bind is made below: their SMS wait for it)
      onSms: async (record) => {
        const sms = await smsReady;
        if (sms === undefined) throw new KairosError('delivery_failed', 'no SMPP bind on this node (KAIROS_SMPP_URL)');
        return sms.relay(record);
      },
      onLogin: (person, cookie) => onLogin?.(person, cookie),
      onWithheld: (claimant, withheld) => void recordWithheld({ shards: running, conflicts }, claimant, withheld).catch((err: unknown) => logger.error({ err }, 'recording an identity conflict across shards failed')),
      ...(gatewayPort === undefined || clientBuckets === undefined ? {} : { gateway: { port: gatewayPort, keys: await readKeyTable(store), buckets: clientBuckets } }),
      count: config.shards, config, def: catalogs.catalog.def, stops: () => stopList.list(), models: () => models.list(), clock, logger, ...(options.shardWorkerUrl === undefined ? {} : { workerUrl: options.shardWorkerUrl }), ...(options.budgetSlots === undefined ? {} : { budgetSlots: options.budgetSlots }) });
    shards = running;
    options.onShards?.(() => running.closeGateways(1000));
    logger.info({ shards: config.shards, catalogVersion: catalogs.version, ms: Math.round(performance.now() - t0) }, 'shards started');
    // A change of the catalog the shards could not take (more budgets than they share) is refused before it is stored.
    catalogs.beforeChange((catalog) => running.checkCatalog(catalog.def));
    // A change of the catalog made here is every shard's before its answer goes (a new offer's model first).
    catalogs.onChange((catalog) => {
      if (models.cover(catalog)) running.shareModels();
      running.setCatalog(catalog.def);
    });
    modelTimer = setInterval(() => void saveModels(models, store, logger), config.modelSaveIntervalMs);
    modelTimer.unref();
    // The shards' own registries (their actors, commits, deliveries) added to this thread's at each scrape.
    metrics.shards.collect = () => running.collectMetrics();
    metrics.host.inFlight = () => running.waitingForStart;
    metrics.host.shards = () => running.health();
    // The learning and funnel gauges from the shards' totals, read afresh at each scrape; while a
    // shard cannot answer (being started again, blocked: 2 s at most) the last totals read stand,
    // and the scrape goes on (kairos_shard_up says which).
    metrics.shards.before = () => Promise.race([totals.refresh().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    learningMetrics({ catalogs, models: totals.ledgers.models, uplift: totals.ledgers.uplift, funnel: totals.ledgers.funnel, store, clock }, metrics);
    // The shards' audit entries (erasures) into the node's trail: those a stop left behind now, then every minute.
    const relay = new AuditRelay(store, running);
    await relay.relayAll();
    // Merges across shards: the router forwards every merged customer from now on; one a stop interrupted is finished.
    const merges = new ShardedMerge({ shards: running, store, conflicts, clock, logger, intoNodeTrail: (shard) => intoNodeTrail({ relay, logger }, shard) });
    // Erasures a stop interrupted finished first (the merges naming their customers are then gone from the node's store).
    const erasure = new NodeErasure({ shards: running, store, conflicts, merges, logger, intoNodeTrail: (shard) => intoNodeTrail({ relay, logger }, shard) });
    await erasure.load();
    await merges.load();
    if (config.smppUrl !== undefined) {
      const adapter = new SmppAdapter({ url: config.smppUrl, systemId: config.smppSystemId, password: config.smppPassword, source: config.smppSource, ratePerSec: config.smppRate, logger, clock, host: nodeSmsHost(running, logger), replies: { store, secret: config.stopListSecret } });
      smsc = adapter;
      adapter.start();
      smsReadied(new NodeSms((record) => adapter.send(record), config.smppRate));
    } else smsReadied(undefined);
    // A login naming a visitor's cookie of another shard: the visitor merged into the person, by the bank's policy.
    if (config.mergeVisitorOnLogin) onLogin = (person, cookie) => void mergeAtLogin({ shards: running, merges }, person, cookie).catch((err: unknown) => logger.warn({ err, person }, "a visitor's history was not merged at login"));
    relayTimer = setInterval(() => void relay.relayAll().catch((err: unknown) => logger.error({ err }, "copying the shards' audit entries into the node's trail failed")), 60_000);
    relayTimer.unref();
    // A key made, rotated or revoked here: answered once every shard's gateway holds the new table (a revoked key refused there from the reply on).
    const afterChange = gatewayPort === undefined ? {} : { afterChange: async () => running.shareKeys(await readKeyTable(store)) };
    const keys = new KeyRing({ store, bootstrap: bootstrapKeys(config), production: config.env === 'production', now: () => clock.now(), ...afterChange });
    // ... and one made on another node sharing the store: within the node's watch of the table (a second).
    if (gatewayPort !== undefined) keys.onChange(() => void readKeyTable(store).then((t) => running.shareKeys(t), (err: unknown) => logger.error({ err }, "handing the key table to the shards' gateways failed")));
    const status = (actors: { hot: number; dirty: number }): ServerStatus => serverStatus(config, { started, store, clock, catalogs, stopList, hotActors: actors.hot, dirtyActors: actors.dirty });
    const counts = shardedDraftCounts({ shards: running, store, catalogs, clock, logger }, options.draftCountWorkerUrl);
    // Outbound runs: each shard works its part; scheduled slots and next waves are planned here for every shard at once.
    const runs = new ShardedRuns({ shards: running, catalog: () => catalogs.catalog, clock, store });
    let ticking = false;
    const tickRuns = (): void => {
      // (one at a time: a tick may wait for a shard's answers longer than the interval)
      if (ticking) return;
      ticking = true;
      runs
        .tick(store, logger)
        .catch((err: unknown) => logger.error({ err }, 'planning the outbound runs failed; again at the next tick'))
        .finally(() => (ticking = false));
    };
    runTimers = [setTimeout(tickRuns, Math.min(2000, config.outboundTickMs)), setInterval(tickRuns, config.outboundTickMs)];
    for (const t of runTimers) t.unref();
    // (filled in below: the whoami route lists the operations this node serves, itself among them)
    const ids = new Set<string>(builtinOperations.map((op) => op.operationId));
    const served: Route[] = [
      eventsRoute({ host: running, metrics, logger, rateLimit: config.rateLimitPerConnection, ...(clientBuckets === undefined ? {} : { buckets: new SharedClientBuckets(config.rateLimitPerConnection, clientBuckets) }) }),
      openApiRoute(config.publicUrl),
      asyncApiRoute(config.publicUrl),
      // (the operations this node serves: the console shows no page whose calls would answer 503)
      whoamiRoute({ operations: () => allOperations.filter((op) => ids.has(op.operationId)), today: () => capacityDay(catalogs.catalog.policy, clock.now()), timeZone: () => catalogs.catalog.policy.defaultTimezone }),
      ...shardedAdminRoutes({ shards: running, store, catalogs, stopList, keys, totals, models, runs, relay, clock, logger, status, conflicts, merges, erasure, unsubscribeSecret: unsubscribeSecretInForce(config), counts }),
    ];
    for (const r of served) ids.add(r.operation.operationId);
    const gateway = new GatewayServer({
      uws,
      keys,
      config,
      host: running,
      subscribers: running.subscribers,
      logger,
      metrics,
      routes: [...served, ...notYetRoutes(ids)],
      ...consoleOption(config),
      notReadyReason: () => running.notReadyReason(),
      ...gatewayTls(config),
    });
    const port = await gateway.listen();
    // The gateway port, once the node's listens: no shard takes a gateway's request on a node whose start could still fail.
    try {
      // (again: the shards' start took time, in which another process could have taken it; the window left is the milliseconds to their listen)
      if (gatewayPort !== undefined) await freeGatewayPort(config.host, gatewayPort);
      await running.openGateways();
    } catch (err) {
      gateway.stopListening();
      throw err;
    }
    gateway.setReady(true);
    announce(config, logger, { port, store, clock, shards: config.shards, ...(gatewayPort === undefined ? {} : { gatewayPort }) });
    return {
      port,
      config,
      clock,
      logger,
      metrics,
      shards: running,
      store,
      gatewayPort,
      drain: once(() => {
        running.drainGateways();
        return drainFor(config.drainMs, gateway, logger);
      }),
      close: once(async () => {
        logger.info('shutting down');
        gateway.stopListening();
        clearInterval(relayTimer);
        for (const t of runTimers) clearTimeout(t);
        // draft counts under way stop at their next page (their worker threads read the shards' stores)
        await counts.close();
        // each shard answers what it holds, flushes, stops its deliveries and closes its store
        await running.close(config.shutdownTimeoutMs);
        await smsc?.close();
        gateway.closeConnections();
        // the models as the shards left them
        clearInterval(modelTimer);
        await saveModels(models, store, logger);
        await relay.settled();
        await store.close();
        logger.info('stopped');
      }),
    };
  } catch (err) {
    smsReadied(undefined);
    await smsc?.close();
    clearInterval(relayTimer);
    clearInterval(modelTimer);
    for (const t of runTimers) clearTimeout(t);
    await shards?.close(0).catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

