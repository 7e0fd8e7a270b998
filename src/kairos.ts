import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { DestinationStream } from 'pino';
import type { CatalogDef, GatewayEvent } from '../actors/index.js';
import { adminRoutes } from './admin/admin-routes.js';
import { catalogRoutes } from './admin/catalog-routes.js';
import { loadCatalogFile } from './catalog/catalog-file.js';
import { CatalogService } from './catalog/catalog-service.js';
import type { Clock } from './clock.js';
import { ManualClock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { DEMO_ADMIN_KEY, DEMO_GATEWAY_TOKEN } from './config.js';
import { emptyCatalog } from './default-catalog.js';
import { loadDemoBank } from './demo/demo-bank.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createMetrics } from './metrics.js';
import { demoCatalogPath, demoCsvPath, packageVersion } from './paths.js';
import { BudgetLedger, CapacityLedger } from './runtime/budget-ledger.js';
import { deliveryRoutes } from './admin/delivery-routes.js';
import { learningMetrics, learningRoutes } from './admin/learning-routes.js';
import type { ChannelAdapter } from './delivery/dispatcher.js';
import { OutboxDispatcher } from './delivery/dispatcher.js';
import { SmppAdapter } from './delivery/smpp-adapter.js';
import { SmtpAdapter } from './delivery/smtp-adapter.js';
import { WebhookAdapter } from './delivery/webhook-adapter.js';
import { ModelRegistry } from './runtime/model-registry.js';
import { PropensityLedger } from './runtime/propensity-ledger.js';
import { FunnelLedger } from './runtime/funnel-ledger.js';
import { UpliftLedger } from './runtime/uplift-ledger.js';
import { CustomerHost } from './runtime/customer-host.js';
import { StopList } from './stop-list.js';
import type { LmdbStoreOptions } from './store/lmdb-store.js';
import { LmdbStore } from './store/lmdb-store.js';
import { RedisStore } from './store/redis-store.js';
import { MemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { credentialLabel } from './transport/auth.js';
import { GatewayServer } from './transport/gateway-server.js';
import { loadUws } from './transport/uws.js';

/**
 * The composition root: builds the store, the catalog, the actor host and the gateway
 * server from one validated configuration, and tears them down in order.
 */
export interface Kairos {
  readonly port: number;
  readonly config: Readonly<Config>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly host: CustomerHost;
  readonly store: Store;
  /** stops accepting, lets queued requests finish, flushes every snapshot, closes the store */
  close(): Promise<void>;
}

export interface StartOptions {
  /** where logs go (tests capture them); stdout by default */
  logDestination?: DestinationStream;
  /** the manual clock's first reading; the system time by default */
  manualClockStart?: number;
}

/** How the server and the CLI open the LMDB store (processes sharing one store must agree on the write map). */
export function lmdbOptions(config: Config): LmdbStoreOptions {
  return { syncEachCommit: config.durability === 'strict', writeMap: config.lmdbWriteMap, syncIntervalMs: config.lmdbSyncIntervalMs, prefetch: config.lmdbPrefetch };
}

/** The configured store, connected (a Redis store also finishes relays a crash interrupted). */
async function openStore(config: Config, logger: Logger): Promise<Store> {
  switch (config.store) {
    case 'lmdb':
      return new LmdbStore(join(config.dataDir, 'lmdb'), lmdbOptions(config));
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
        throw new Error(`cannot reach ${where} (KAIROS_STORE=redis): ${(err as Error).message}`);
      }
    }
  }
}

export async function startKairos(config: Readonly<Config>, options: StartOptions = {}): Promise<Kairos> {
  const uws = loadUws();
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = createMetrics();
  const clock: Clock = config.clock === 'manual' ? new ManualClock(options.manualClockStart ?? Date.now()) : systemClock;
  const started = Date.now();

  const store: Store = await openStore(config, logger);
  let catalogs: CatalogService;
  try {
    const seed: { def: CatalogDef; source: string } =
      config.catalogFile !== undefined
        ? { def: loadCatalogFile(config.catalogFile), source: config.catalogFile }
        : config.demo
          ? { def: loadCatalogFile(demoCatalogPath()), source: 'demo/catalog.yaml' }
          : { def: emptyCatalog, source: 'empty' };
    catalogs = await CatalogService.open(store, clock, logger, seed);
    if (config.demo) {
      const t0 = performance.now();
      const demo = await loadDemoBank(store, demoCsvPath(), clock.now());
      if (demo.loaded) logger.info({ customers: demo.customers, ms: Math.round(performance.now() - t0) }, 'demo bank loaded');
      else logger.info({ customers: demo.customers }, 'demo bank already in the store');
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  const stopList = new StopList(store);
  await stopList.load();
  const ledger = new BudgetLedger();
  await ledger.counters.loadFrom(store, 100_000);
  const capacity = new CapacityLedger();
  await capacity.counters.loadFrom(store, 100_000);
  const propensity = new PropensityLedger();
  await propensity.counters.loadFrom(store, 100_000);
  const models = new ModelRegistry();
  await models.load(store);
  const uplift = new UpliftLedger();
  await uplift.counters.loadFrom(store, 100_000);
  const funnel = new FunnelLedger();
  await funnel.counters.loadFrom(store, 1_000_000);
  const saveModels = async (): Promise<void> => {
    try {
      await models.saveWeights(store);
    } catch (err) {
      logger.error({ err }, 'writing the model weights failed; retrying at the next interval');
    }
  };
  const modelTimer = setInterval(() => void saveModels(), config.modelSaveIntervalMs);
  modelTimer.unref();
  // Several nodes on a shared store: a catalog changed through another node applies here within a second.
  const catalogTimer = store.coordination.shared ? setInterval(() => void catalogs.sync().catch((err: unknown) => logger.error({ err }, 'reading the catalog failed')), 1000) : undefined;
  catalogTimer?.unref();

  const gatewayRef: { server?: GatewayServer; dispatcher?: OutboxDispatcher } = {};
  const host = new CustomerHost({
    store,
    catalog: () => catalogs.catalog,
    clock,
    logger,
    metrics,
    stopList,
    ledger,
    capacity,
    propensity,
    models,
    uplift,
    funnel,
    durability: config.durability,
    commitWindowMs: config.commitWindowMs ?? (config.store === 'redis' ? 5 : 0),
    flushIntervalMs: config.flushIntervalMs,
    flushBatch: config.flushBatch,
    maxHotActors: config.maxHotActors,
    passivateAfterMs: config.passivateAfterMs,
    maxHeapBytes: (config.maxHeapMb > 0 ? config.maxHeapMb : Math.floor((getHeapStatistics().heap_size_limit * 0.75) / 1048576)) * 1048576,
    maxInFlight: config.maxInFlight,
    maxQueueMs: config.maxQueueMs,
    limits: { idempotencyRetentionMs: config.idempotencyRetentionMs, idempotencyMaxIds: config.idempotencyMaxIds, maxClockSkewMs: config.maxClockSkewMs, maxEventAgeMs: config.maxEventAgeMs },
    onCommitted: (records) => {
      gatewayRef.dispatcher?.notify(records);
      gatewayRef.server?.push(records);
    },
  });

  learningMetrics({ catalogs, models, uplift, funnel, store }, metrics);

  const adapters: ChannelAdapter[] = [];
  if (config.smppUrl !== undefined) {
    adapters.push(
      new SmppAdapter({
        url: config.smppUrl,
        systemId: config.smppSystemId,
        password: config.smppPassword,
        source: config.smppSource,
        ratePerSec: config.smppRate,
        logger,
        onReceipt: (instance, status, reason) => {
          host.submitDelivery(instance, status, reason).catch((err: unknown) => logger.error({ err }, 'recording an SMS receipt failed'));
        },
        onReply: (phone, text, messageId) => {
          const event: GatewayEvent = { id: `sms-${messageId}-${clock.now()}`, type: 'sms.received', customer: { phone }, channel: 'sms', data: { text } };
          host.submitEvent(event).then(
            (r) => {
              if (r.kind === 'error') logger.warn({ code: r.code, message: r.message }, 'an SMS reply was not taken');
            },
            (err: unknown) => logger.error({ err }, 'handling an SMS reply failed'),
          );
        },
      }),
    );
  }
  if (config.smtpUrl !== undefined) {
    if (config.unsubscribeSecret === 'demo-unsubscribe-secret') logger.warn('e-mail goes out with the demo unsubscribe secret: set KAIROS_UNSUBSCRIBE_SECRET');
    adapters.push(new SmtpAdapter({ url: config.smtpUrl, from: config.smtpFrom, publicUrl: config.publicUrl, unsubscribeSecret: config.unsubscribeSecret, ratePerSec: config.smtpRate }));
  }
  if (config.webhookUrl !== undefined) {
    if (config.webhookSecret === 'demo-webhook-secret') logger.warn('webhooks are signed with the demo secret: set KAIROS_WEBHOOK_SECRET');
    adapters.push(new WebhookAdapter({ url: config.webhookUrl, secret: config.webhookSecret, ratePerSec: config.webhookRate }));
  }
  const dispatcher = new OutboxDispatcher({
    store,
    consumer: config.nodeId,
    clock,
    logger,
    metrics,
    adapters,
    maxAttempts: config.deliveryMaxAttempts,
    backoffMs: config.deliveryBackoffMs,
    pollMs: config.deliveryPollMs,
    report: async (instance, status, reason) => {
      const r = await host.submitDelivery(instance, status, reason);
      if (r.kind === 'error' && r.code !== 'unknown_customer') throw new Error(`${r.code}: ${r.message}`);
    },
  });
  gatewayRef.dispatcher = dispatcher;
  const pollReminders = (): void => {
    host.pollReminders().catch((err: unknown) => logger.error({ err }, 'delivering due reminders failed; retrying at the next poll'));
  };
  const reminderTimer = setInterval(pollReminders, config.reminderPollMs);
  reminderTimer.unref();
  const sweepTimer = setInterval(() => host.sweep(), 1000);
  sweepTimer.unref();

  const status = (): Record<string, unknown> => ({
    version: packageVersion(),
    node: process.version,
    uptimeSec: Math.round((Date.now() - started) / 1000),
    store: store.kind,
    clock: clock.mode,
    now: clock.now(),
    catalogVersion: catalogs.version,
    campaigns: catalogs.catalog.campaigns.map((c) => ({ id: c.id, status: c.status })),
    hotActors: host.hotCount,
    dirtyActors: host.dirtyCount,
    stopListEntries: stopList.size,
    demo: config.demo,
    demoCredentials: config.demoCredentials,
  });

  const server = new GatewayServer({
    uws,
    config,
    host,
    store,
    logger,
    metrics,
    dispatched: dispatcher.channels,
    adminRoutes: [...adminRoutes({ host, stopList, store, clock, logger, status }), ...catalogRoutes({ catalogs, host, clock, propensity }), ...learningRoutes({ catalogs, models, uplift, funnel, store }),
      ...deliveryRoutes({ store, stopList, clock, logger, unsubscribeSecret: config.unsubscribeSecret, kick: () => void dispatcher.pump() })],
    ...(config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } }
      : {}),
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    await host.close(0);
    await store.close();
    throw err;
  }
  gatewayRef.server = server;
  dispatcher.start();
  server.setReady(true);
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
  logger.info(
    { port, tls: config.tlsCertFile !== undefined, store: store.kind, dataDir: config.store === 'lmdb' ? config.dataDir : undefined, clock: clock.mode },
    'kairos listening',
  );

  let closing: Promise<void> | undefined;
  const gateway = server;
  return {
    port,
    config,
    clock,
    logger,
    metrics,
    host,
    store,
    close() {
      closing ??= (async () => {
        logger.info('shutting down');
        gateway.stopListening();
        clearInterval(reminderTimer);
        clearInterval(sweepTimer);
        await host.close(config.shutdownTimeoutMs);
        await dispatcher.stop();
        gateway.closeConnections();
        clearInterval(modelTimer);
        if (catalogTimer !== undefined) clearInterval(catalogTimer);
        await saveModels();
        await store.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
