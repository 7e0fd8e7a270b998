import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import type { CatalogDef } from '../actors/index.js';
import { capacityDay, isInvalidDefinition } from '../actors/index.js';
import { adminRoutes } from './admin/admin-routes.js';
import { auditRoutes } from './admin/audit-routes.js';
import { auditLogLine } from './audit/audit.js';
import { asyncApiRoute } from './admin/asyncapi-route.js';
import { openApiRoute } from './admin/openapi-route.js';
import type { ServerStatus } from './schema/http/admin-schemas.js';
import { catalogRoutes } from './admin/catalog-routes.js';
import { loadCatalogFile } from './catalog/catalog-file.js';
import { CatalogService, namePaths } from './catalog/catalog-service.js';
import type { Clock } from './clock.js';
import { ManualClock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { DEMO_ADMIN_KEY, DEMO_GATEWAY_TOKEN, gatewayTls, unsubscribeSecretInForce } from './config.js';
import { emptyCatalog } from './default-catalog.js';
import type { DemoLoadResult } from './demo/demo-bank.js';
import { loadDemoBank } from './demo/demo-bank.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createMetrics } from './metrics.js';
import { demoCatalogPath, demoCsvPath, packageRoot, packageVersion } from './paths.js';
import { deliveryRoutes } from './admin/delivery-routes.js';
import { identityRoutes } from './admin/identity-routes.js';
import { learningMetrics, learningRoutes } from './admin/learning-routes.js';
import { CommittedFeed } from './delivery/committed-feed.js';
import type { OutboxDispatcher } from './delivery/dispatcher.js';
import { buildDispatcher } from './delivery-parts.js';
import { KairosError } from './errors.js';
import type { ModelRegistry } from './runtime/model-registry.js';
import type { SegmentSweep } from './runtime/segment-sweep.js';
import type { OutboundRuns } from './runtime/outbound-runs.js';
import { cancelOrphanedRuns, scheduleMarks } from './runtime/outbound-runs.js';
import { outboundMetrics, outboundRoutes } from './admin/outbound-routes.js';
import { waveRoutes } from './admin/wave-routes.js';
import { segmentRoutes } from './admin/segment-routes.js';
import { DraftCounts } from './runtime/draft-count.js';
import type { CustomerHost } from './runtime/customer-host.js';
import type { Ledgers } from './host-parts.js';
import { buildHost, lmdbOptions, loadLedgers, saveModels, startHostTimers, startOutboundRuns, startSegmentSweep } from './host-parts.js';
import { LmdbStore } from './store/lmdb-store.js';
import { RedisStore } from './store/redis-store.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { conflictsNaming } from './runtime/identity-conflicts.js';
import type { StopList } from './stop-list.js';
import { credentialLabel } from './transport/auth.js';
import { eventsRoute } from './transport/events-route.js';
import { GatewayServer } from './transport/gateway-server.js';
import { KeyRing, bootstrapKeys } from './transport/key-ring.js';
import { keyRoutes } from './admin/key-routes.js';
import { allOperations } from './admin/openapi.js';
import { whoamiRoute } from './admin/whoami-route.js';
import { consoleFiles } from './transport/console-files.js';
import { privacyRoutes } from './admin/privacy-routes.js';
import { customerImportRoutes } from './admin/customer-import-routes.js';
import { IMPORT_CLOSE_WAIT_MS, importLockOf } from './import/import-lock.js';
import { SHARD_COUNT_FILE } from './shards/shard-count.js';
import type { Uws } from './transport/uws.js';
import { loadUws } from './transport/uws.js';

/**
 * The composition root: builds, from one validated configuration and in this order, the
 * store, the catalog, the ledgers, the committed-records feed, the actor host (committing
 * into the feed), the channel adapters (with the host), the delivery dispatcher (with the
 * host, the adapters and the feed; it holds the gateway-subscriber adapter) and the gateway
 * server; and tears them down in order. Every object gets what it needs when it is built:
 * nothing is bound late. Each step is one function below; `startKairos` runs them in order.
 */
export interface Kairos {
  readonly port: number;
  readonly config: Readonly<Config>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly host: CustomerHost;
  readonly store: Store;
  /** the segment timers' safety net (a pass at start and each `segmentSweepMs`; `run()` for one now) */
  readonly segmentSweep: SegmentSweep;
  /** outbound campaigns' runs (docs/outbound.md; `tick()` for what is due now) */
  readonly outboundRuns: OutboundRuns;
  /**
   * SIGTERM's first step: `/ready` answers 503 for `config.drainMs` while the node still serves
   * (load balancers take it out); resolves when that time is up. `close()` then stops listening.
   */
  drain(): Promise<void>;
  /** stops accepting, lets queued requests finish, flushes every snapshot, closes the store */
  close(): Promise<void>;
}

export interface StartOptions {
  /** where logs go (tests capture them); stdout by default */
  logDestination?: DestinationStream;
  /** the logger, made before the start (`kairos serve`: a signal that comes while starting is logged); made from the configuration by default */
  logger?: Logger;
  /** the manual clock's first reading; the system time by default */
  manualClockStart?: number;
  /** KAIROS_SHARDS above 1: the compiled shard worker (tests running the sources give dist's); beside the shards' module by default */
  shardWorkerUrl?: URL;
  /** the draft segment count's worker module on a node with shards (default: the one beside draft-count.js; tests run from the sources give the compiled one) */
  draftCountWorkerUrl?: URL;
  /** KAIROS_SHARDS above 1: campaigns with a budget the shards share totals of at once (4,096 by default; tests give a few) */
  budgetSlots?: number;
  /**
   * With shards: called once they run, with what closes their gateway sockets (KAIROS_GATEWAY_PORT),
   * for an exit before the start returns (a signal while starting: uWS's sockets left open as the
   * process exits abort it)
   */
  onShards?: (closeGateways: () => Promise<void>) => void;
}

/** The configured store, connected (a Redis store also finishes relays a crash interrupted). */
async function openStore(config: Config, logger: Logger): Promise<Store> {
  switch (config.store) {
    case 'lmdb':
      if (existsSync(join(config.dataDir, SHARD_COUNT_FILE))) {
        throw new KairosError('invalid', `the data dir ${config.dataDir} holds customers spread over shards (${SHARD_COUNT_FILE}): a single node starts on a data dir of its own`);
      }
      return new LmdbStore(join(config.dataDir, 'lmdb'), { ...lmdbOptions(config), warn: (message, err) => logger.error({ err }, message) });
    case 'memory':
      return new MemoryStore();
    case 'redis': {
      let lastWarned = 0;
      const onError = (err: Error): void => {
        // ioredis reconnects by itself; say so at most every 5 s.
        if (Date.now() - lastWarned < 5000) return;
        lastWarned = Date.now();
        logger.warn({ err: err.message }, 'Redis connection error; reconnecting');
      };
      const where = config.redisCluster.length > 0 ? { cluster: config.redisCluster } : { url: config.redisUrl };
      const redis = new RedisStore({ ...where, prefix: config.redisPrefix, onError });
      try {
        return await redis.open();
      } catch (err) {
        await redis.close().catch(() => undefined);
        const where = config.redisCluster.length > 0 ? `the Redis Cluster ${config.redisCluster.join(', ')}` : config.redisUrl;
        throw new KairosError('unavailable', `cannot reach ${where} (KAIROS_STORE=redis): ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

/**
 * The catalog a new store starts with: the configured file, the demo's, or an empty one. A
 * configured file that cannot be read or parsed is a configuration error (`config_invalid`:
 * `kairos serve` exits 2, which a restart would not mend).
 */
export function catalogSeed(config: Readonly<Config>): { def: CatalogDef; source: string } {
  return config.catalogFile !== undefined
    ? { def: configuredCatalog(config.catalogFile), source: config.catalogFile }
    : config.demo
      ? { def: loadCatalogFile(demoCatalogPath()), source: 'demo/catalog.yaml' }
      : { def: emptyCatalog, source: 'empty' };
}

function configuredCatalog(file: string): CatalogDef {
  try {
    return loadCatalogFile(file);
  } catch (err) {
    // (the file's path, and the line for a syntax error, are in the message: `FILE: cannot be read: ENOENT …`)
    if (isInvalidDefinition(err)) throw new KairosError('config_invalid', `invalid configuration:\n  KAIROS_CATALOG_FILE: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The store's catalog, or the seed (`catalogSeed`) in a new store: a configured file that does not compile is `config_invalid` too. */
export async function openCatalogs(config: Readonly<Config>, store: Store, clock: Clock, logger: Logger): Promise<CatalogService> {
  const seed = catalogSeed(config);
  try {
    return await CatalogService.open(store, clock, logger, seed);
  } catch (err) {
    if (config.catalogFile !== undefined && isInvalidDefinition(err)) {
      throw new KairosError('config_invalid', `invalid configuration:\n  KAIROS_CATALOG_FILE: ${config.catalogFile}: ${namePaths(seed.def, err.path)}: ${err.problem}`, { cause: err });
    }
    throw err;
  }
}

/** The catalog (the seed, unless the store has a newer one), and the demo bank when asked. */
async function loadCatalog(config: Readonly<Config>, store: Store, clock: Clock, logger: Logger): Promise<CatalogService> {
  const catalogs = await openCatalogs(config, store, clock, logger);
  // an outbound schedule's slots count from when it was saved (a past `once` refused)
  catalogs.alsoStore(scheduleMarks);
  if (config.demo) {
    const t0 = performance.now();
    logDemoLoad(logger, await loadDemoBank(store, demoCsvPath(), clock.now()), t0);
  }
  return catalogs;
}

/** What the start says of the demo bank (a shard's worker says the same of its share). */
export function logDemoLoad(logger: Logger, demo: DemoLoadResult, t0: number): void {
  const ms = Math.round(performance.now() - t0);
  if (demo.others !== undefined) logger.warn({ customers: demo.others }, 'the store holds customers, none of them the demo bank\'s: the demo bank is not loaded');
  else if (demo.resumedWith !== undefined) logger.info({ customers: demo.customers, resumedWith: demo.resumedWith, ms }, 'demo bank loaded: completed a load an earlier start did not finish');
  else if (demo.loaded) logger.info({ customers: demo.customers, ms }, 'demo bank loaded');
  else logger.info({ customers: demo.customers }, 'demo bank already in the store');
}

/** The background work on timers: the model weights saved, another node's catalog changes read (shared stores), due reminders, idle actors swept. */
interface Timers {
  segmentSweep: SegmentSweep;
  outboundRuns: OutboundRuns;
  /** writes the model weights now (logged, not thrown, on failure) */
  saveModels(): Promise<void>;
  /** stops polling reminders and sweeping actors (the host is closing) */
  stopHostTimers(): void;
  /** stops saving models and reading the catalog */
  stopStoreTimers(): void;
}

function startTimers(config: Readonly<Config>, parts: { store: Store; catalogs: CatalogService; models: ModelRegistry; host: CustomerHost; logger: Logger; clock: Clock }): Timers {
  const { store, catalogs, models, host, logger } = parts;
  const saveWeights = (): Promise<void> => saveModels(models, store, logger);
  const modelTimer = setInterval(() => void saveWeights(), config.modelSaveIntervalMs);
  modelTimer.unref();
  // Several nodes on a shared store: a catalog changed through another node applies here within a second.
  const catalogTimer = store.coordination.shared ? setInterval(() => void catalogs.sync().catch((err: unknown) => logger.error({ err }, 'reading the catalog failed')), 1000) : undefined;
  catalogTimer?.unref();
  const stopHostTimers = startHostTimers(config, host, logger);
  const { segmentSweep, stop: stopSweep } = startSegmentSweep(config, { store, clock: parts.clock, catalog: () => catalogs.catalog, logger, host });
  const { runs: outboundRuns, stop: stopRuns } = startOutboundRuns(config, { store, clock: parts.clock, catalog: () => catalogs.catalog, logger, host, node: config.nodeId, segments: segmentSweep });
  return {
    segmentSweep,
    outboundRuns,
    saveModels: saveWeights,
    stopHostTimers() {
      stopHostTimers();
      stopSweep();
      stopRuns();
    },
    stopStoreTimers() {
      clearInterval(modelTimer);
      if (catalogTimer !== undefined) clearInterval(catalogTimer);
    },
  };
}

/** The gateway server: the WebSocket gateway, POST /v1/events and the admin API on one port. */
function buildGateway(
  config: Readonly<Config>,
  parts: { uws: Uws; store: Store; catalogs: CatalogService; clock: Clock; logger: Logger; metrics: Metrics; ledgers: Ledgers; host: CustomerHost; dispatcher: OutboxDispatcher; started: number; outboundRuns: OutboundRuns; segmentSweep: SegmentSweep; counts: DraftCounts },
): GatewayServer {
  const { uws, store, catalogs, clock, logger, metrics, host, dispatcher, started } = parts;
  const { stopList, propensity, models, uplift, funnel, segments, ledger } = parts.ledgers;
  const status = (): ServerStatus => serverStatus(config, { started, store, clock, catalogs, stopList, hotActors: host.hotCount, dirtyActors: host.dirtyCount });
  const keys = new KeyRing({ store, bootstrap: bootstrapKeys(config), production: config.env === 'production', now: () => clock.now() });
  // made before any import run takes it: on a store several nodes share, its lease names this node to the others
  importLockOf(store, { node: config.nodeId });
  return new GatewayServer({
    uws,
    keys,
    config,
    host,
    subscribers: dispatcher.subscribers,
    logger,
    metrics,
    routes: [
      eventsRoute({ host, metrics, logger, rateLimit: config.rateLimitPerConnection }),
      openApiRoute(config.publicUrl),
      asyncApiRoute(config.publicUrl),
      ...adminRoutes({ host, stopList, store, clock, logger, status, afterClockMove: () => parts.outboundRuns.tick() }),
      ...catalogRoutes({ catalogs, host, clock, propensity, segments, segmentsPending: () => parts.segmentSweep.pending(), afterCampaignsChange: () => cancelOrphanedRuns(parts.outboundRuns, logger) }),
      ...segmentRoutes({ catalogs, store, counts: parts.counts }),
      ...outboundRoutes({ runs: parts.outboundRuns, funnel, store, clock, segments }),
      ...waveRoutes({ runs: parts.outboundRuns, host: parts.host, store, clock }),
      ...learningRoutes({ catalogs, models, uplift, funnel, budget: ledger, store, clock }),
      ...auditRoutes({ store }),
      ...deliveryRoutes({ store, stopList, clock, logger, unsubscribeSecret: unsubscribeSecretInForce(config), kick: (r) => dispatcher.retried(r) }),
      ...identityRoutes({ host, clock }),
      ...privacyRoutes({ host, stopList, clock, conflictsOf: (id) => conflictsNaming(store, id) }),
      ...customerImportRoutes({ host, store, clock, logger, segmentPass: parts.segmentSweep }),
      ...keyRoutes({ keys, logger, clock }),
      whoamiRoute({ operations: () => allOperations, today: () => capacityDay(catalogs.catalog.policy, clock.now()), timeZone: () => catalogs.catalog.policy.defaultTimezone }),
    ],
    // A node whose store is unreachable, or whose commits fail, takes no traffic (a load balancer sends it elsewhere).
    ...consoleOption(config),
    notReadyReason: () => (!store.coordination.available() ? 'store unreachable' : host.storeFailing() ? 'store commits are failing' : undefined),
    ...gatewayTls(config),
  });
}

/** What `GET /v1/status` answers (a node with shards: its live actors are every shard's). */
export function serverStatus(
  config: Readonly<Config>,
  p: { started: number; store: Pick<Store, 'kind'>; clock: Clock; catalogs: CatalogService; stopList: StopList; hotActors: number; dirtyActors: number },
): ServerStatus {
  const { catalogs, clock, stopList } = p;
  return {
    version: packageVersion(),
    node: process.version,
    uptimeSec: Math.round((Date.now() - p.started) / 1000),
    store: p.store.kind,
    clock: clock.mode,
    now: clock.now(),
    catalogVersion: catalogs.version,
    campaigns: catalogs.catalog.campaigns.map((c) => ({ id: c.id, status: c.status })),
    hotActors: p.hotActors,
    dirtyActors: p.dirtyActors,
    stopListEntries: stopList.size,
    stopListOldKeys: stopList.legacyKeys.length,
    demo: config.demo,
    demoCredentials: config.demoCredentials,
  };
}

/** Says the server is up, and warns about every demo or unscoped credential in use. */
export function announce(config: Readonly<Config>, logger: Logger, facts: { port: number; store: Pick<Store, 'kind'>; clock: Clock; shards?: number; gatewayPort?: number }): void {
  if (config.smtpUrl !== undefined && config.unsubscribeSecret === 'demo-unsubscribe-secret') logger.warn('e-mail goes out with the demo unsubscribe secret: set KAIROS_UNSUBSCRIBE_SECRET');
  if (config.webhookUrl !== undefined && config.webhookSecret === 'demo-webhook-secret') logger.warn('webhooks are signed with the demo secret: set KAIROS_WEBHOOK_SECRET');
  if (config.demoCredentials) {
    logger.warn(
      { gatewayToken: DEMO_GATEWAY_TOKEN, adminKey: DEMO_ADMIN_KEY },
      'demo credentials are active: set KAIROS_GATEWAY_TOKENS and KAIROS_ADMIN_KEYS before real use',
    );
  }
  // A configured gateway token without a scope may subscribe to (and read) every channel.
  const unscoped = config.gatewayTokens.filter((t) => !t.scoped && t.token !== DEMO_GATEWAY_TOKEN);
  if (unscoped.length > 0) {
    logger.warn(
      { tokens: unscoped.map((t) => credentialLabel(`Bearer ${t.token}`)) },
      'gateway tokens without a channel scope may subscribe to every channel: give each one its channels in KAIROS_GATEWAY_TOKENS (token:sms, token:ib+callcenter, token:- for events only)',
    );
  }
  const unscopedKeys = config.keys.filter((k) => k.role === 'gateway' && k.channels === undefined && k.scoped !== true);
  if (unscopedKeys.length > 0) {
    logger.warn(
      { keys: unscopedKeys.map((k) => k.name) },
      'gateway keys of KAIROS_KEYS without a channel scope may subscribe to every channel: give each one its channels (name:gateway/sms:secret, name:gateway/ib+callcenter:secret, name:gateway/-:secret for events only)',
    );
  }
  const { port, store, clock } = facts;
  logger.info(
    { port, gatewayPort: facts.gatewayPort, tls: config.tlsCertFile !== undefined, store: store.kind, dataDir: config.store === 'lmdb' ? config.dataDir : undefined, clock: clock.mode, shards: facts.shards },
    'kairos listening',
  );
}

/** Readiness 503 for `ms` of wall time (a load balancer's, whatever the decision clock is) while the node serves on. */
export async function drainFor(ms: number, gateway: GatewayServer, logger: Logger): Promise<void> {
  gateway.startDraining();
  if (ms <= 0) return;
  logger.info({ drainMs: ms }, 'draining: /ready answers 503 while serving');
  await new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/**
 * The ordered close: stop accepting (ready goes false), stop the draft counts, let the host finish what it has
 * queued and flush every snapshot, let the deliveries under way finish, close the
 * connections, end the import lock's turns (its lease given back), save the models, close the store.
 */
async function closeInOrder(parts: { config: Readonly<Config>; logger: Logger; gateway: GatewayServer; timers: Timers; host: CustomerHost; dispatcher: OutboxDispatcher; store: Store; counts: DraftCounts }): Promise<void> {
  const { config, logger, gateway, timers, host, dispatcher, store, counts } = parts;
  logger.info('shutting down');
  gateway.stopListening();
  timers.stopHostTimers();
  // draft counts under way stop at their next page (their worker threads end before the store closes)
  await counts.close();
  // so does the segment sweep's pass (its scan's worker reads the store)
  await timers.segmentSweep.ended();
  // a run's page in flight is answered before the host closes; the run goes on at the next start
  await timers.outboundRuns.stop();
  await host.close(config.shutdownTimeoutMs);
  await dispatcher.stop();
  gateway.closeConnections();
  // an import or a PUT/PATCH still holding the lock ends (or not) within a bound, then the
  // lease is given back while the connection is up: other nodes do not wait for it to run out
  await importLockOf(store).close(IMPORT_CLOSE_WAIT_MS);
  timers.stopStoreTimers();
  await timers.saveModels();
  await store.close();
  logger.info('stopped');
}

/** What every server starts with, a single node's or one with shards: uWS (refused when its native build does not load), the logger, the metrics, the clock, the start time. */
export function startBasics(config: Readonly<Config>, options: StartOptions): { uws: Uws; logger: Logger; metrics: Metrics; clock: Clock; started: number } {
  const uws = loadUws();
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination, config.nodeId);
  const metrics = createMetrics();
  const clock: Clock = config.clock === 'manual' ? new ManualClock(options.manualClockStart ?? config.clockStart ?? Date.now()) : systemClock;
  return { uws, logger, metrics, clock, started: Date.now() };
}

/** The marketer's console the gateway serves at /console (`KAIROS_CONSOLE`), built into dist/console. */
export function consoleOption(config: Readonly<Config>): { console?: ReturnType<typeof consoleFiles> } {
  return config.console ? { console: consoleFiles(join(packageRoot(), 'dist', 'console')) } : {};
}


export async function startKairos(config: Readonly<Config>, options: StartOptions = {}): Promise<Kairos> {
  const { uws, logger, metrics, clock, started } = startBasics(config, options);

  const store = await openStore(config, logger);
  // every entry of the trail logged once, at info with audit: true
  store.onAudit = auditLogLine(logger);
  if (store instanceof LmdbStore) metrics.host.changeLog = () => store.changeLog();
  let catalogs: CatalogService;
  try {
    catalogs = await loadCatalog(config, store, clock, logger);
  } catch (err) {
    await store.close();
    throw err;
  }
  const ledgers = await loadLedgers(config, store, clock, logger);
  const committed = new CommittedFeed();
  const host = buildHost(config, { store, catalog: () => catalogs.catalog, clock, logger, metrics, ledgers, committed });
  const dispatcher = buildDispatcher(config, { store, clock, logger, metrics, host, committed });
  learningMetrics({ catalogs, models: ledgers.models, uplift: ledgers.uplift, funnel: ledgers.funnel, store, clock }, metrics);
  const timers = startTimers(config, { store, catalogs, models: ledgers.models, host, logger, clock });
  outboundMetrics(timers.outboundRuns, ledgers.funnel, metrics);
  const counts = new DraftCounts({ store, catalog: () => catalogs.catalog, clock, logger });
  const gateway = buildGateway(config, { uws, store, catalogs, clock, logger, metrics, ledgers, host, dispatcher, started, outboundRuns: timers.outboundRuns, segmentSweep: timers.segmentSweep, counts });
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    timers.stopHostTimers();
    timers.stopStoreTimers();
    await host.close(0);
    await dispatcher.stop();
    await store.close();
    throw err;
  }
  dispatcher.start();
  gateway.setReady(true);
  announce(config, logger, { port, store, clock });

  return {
    port,
    config,
    clock,
    logger,
    metrics,
    host,
    store,
    segmentSweep: timers.segmentSweep,
    outboundRuns: timers.outboundRuns,
    drain: once(() => drainFor(config.drainMs, gateway, logger)),
    close: once(() => closeInOrder({ config, logger, gateway, timers, host, dispatcher, store, counts })),
  };
}

/** `start` run at the first call; every call answers its promise (a drain or a close asked twice runs once). */
export function once(start: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= start());
}
