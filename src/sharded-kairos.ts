import { capacityDay, compileCatalog } from '../actors/index.js';
import { customerCardRoutes } from './admin/admin-routes.js';
import { asyncApiRoute } from './admin/asyncapi-route.js';
import { allOperations } from './admin/openapi.js';
import { openApiRoute } from './admin/openapi-route.js';
import { whoamiRoute } from './admin/whoami-route.js';
import type { Clock } from './clock.js';
import { ManualClock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Kairos, StartOptions } from './kairos.js';
import { announce, catalogSeed, drainFor, once } from './kairos.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { builtinOperations } from './schema/http/builtin-operations.js';
import { Shards } from './shards/shards.js';
import { MemoryStore } from './store/memory-store.js';
import { eventsRoute } from './transport/events-route.js';
import { GatewayServer } from './transport/gateway-server.js';
import type { Route } from './transport/http.js';
import { errorReply } from './transport/http.js';
import { KeyRing, bootstrapKeys } from './transport/key-ring.js';
import { loadUws } from './transport/uws.js';

/**
 * The server with its customers spread over shards (`KAIROS_SHARDS` above 1; docs/scale-out.md,
 * "Every core of one machine"): the main thread accepts the gateways' WebSocket connections
 * and `POST /v1/events` and routes each request to the shard that owns its customer
 * (src/shards/shards.ts); each shard, a worker thread with an LMDB environment of its own,
 * decides, commits and delivers for its customers (its dispatcher feeds the configured
 * adapters and, through the main thread, the WebSocket subscribers).
 *
 * What this first form of it serves: the gateway (events, responses, subscriptions), `/health`,
 * `/ready` (503 while a shard is being started again), `/metrics` (the gateway's figures, each
 * shard's own added at each scrape, `kairos_shard_up` and `kairos_shard_restarts`), the OpenAPI and
 * AsyncAPI documents, `GET /v1/whoami`, and a customer's card (`GET /v1/customers/{id}`,
 * `GET /v1/customers?phone|email|card=`) read from the owner shard. The catalog is the configured one (its file, the
 * demo's or an empty one), read at start. Every other admin operation answers 503
 * `unavailable` naming this, and the credentials are the configured ones only
 * (KAIROS_KEYS, KAIROS_ADMIN_KEYS, KAIROS_GATEWAY_TOKENS): the admin API across shards is the
 * next step (docs/scale-out.md, "Next steps").
 */
export type ShardedKairos = Pick<Kairos, 'port' | 'config' | 'clock' | 'logger' | 'metrics' | 'drain' | 'close'> & {
  readonly shards: Shards;
};

/** The admin operations a sharded node does not serve yet: each answers 503 `unavailable`, after the usual authentication. */
function notYetRoutes(served: ReadonlySet<string>): Route[] {
  const message = 'not served while the customers are spread over shards (KAIROS_SHARDS) yet: use a node with KAIROS_SHARDS=1 for the admin API (docs/scale-out.md)';
  return allOperations.filter((op) => !served.has(op.operationId)).map((operation) => ({ operation, handle: () => errorReply('unavailable', message) }));
}

export async function startShardedKairos(config: Readonly<Config>, options: StartOptions = {}): Promise<ShardedKairos> {
  const uws = loadUws();
  const logger = createLogger(config.logLevel, options.logDestination, config.nodeId);
  const metrics = createMetrics();
  const clock: Clock = config.clock === 'manual' ? new ManualClock(options.manualClockStart ?? config.clockStart ?? Date.now()) : systemClock;
  const seed = catalogSeed(config);
  const catalog = compileCatalog(seed.def);
  const t0 = performance.now();
  const shards = await Shards.start({ count: config.shards, config, def: seed.def, clock, logger, ...(options.shardWorkerUrl === undefined ? {} : { workerUrl: options.shardWorkerUrl }) });
  logger.info({ shards: config.shards, catalog: seed.source, ms: Math.round(performance.now() - t0) }, 'shards started');
  // The shards' own registries (their actors, commits, deliveries) added to this thread's at each scrape.
  metrics.shards.collect = () => shards.collectMetrics();
  metrics.host.inFlight = () => shards.waitingForStart;
  metrics.host.shards = () => shards.health();

  // Only the configured credentials: keys managed through the admin API live in a store the shards do not share yet.
  const keys = new KeyRing({ store: new MemoryStore(), bootstrap: bootstrapKeys(config), production: config.env === 'production', now: () => clock.now() });
  const served = [
    eventsRoute({ host: shards, metrics, logger }),
    openApiRoute(config.publicUrl),
    asyncApiRoute(config.publicUrl),
    whoamiRoute({ operations: () => allOperations, today: () => capacityDay(catalog.policy, clock.now()) }),
    // A customer's card, and the customer a phone, e-mail or card belongs to: from the owner shard.
    ...customerCardRoutes({ view: (id) => shards.view({ id }), byIdentifier: (kind, value) => shards.view({ kind, value }) }),
  ];
  const ids = new Set([...served.map((r) => r.operation.operationId), ...builtinOperations.map((op) => op.operationId)]);
  const gateway = new GatewayServer({
    uws,
    keys,
    config,
    host: shards,
    subscribers: shards.subscribers,
    logger,
    metrics,
    routes: [...served, ...notYetRoutes(ids)],
    notReadyReason: () => shards.notReadyReason(),
    ...(config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } } : {}),
  });
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    await shards.close(0);
    throw err;
  }
  gateway.setReady(true);
  announce(config, logger, { port, store: { kind: 'lmdb' }, clock, shards: config.shards });

  return {
    port,
    config,
    clock,
    logger,
    metrics,
    shards,
    drain: once(() => drainFor(config.drainMs, gateway, logger)),
    close: once(async () => {
      logger.info('shutting down');
      gateway.stopListening();
      // each shard answers what it holds, flushes, stops its deliveries and closes its store
      await shards.close(config.shutdownTimeoutMs);
      gateway.closeConnections();
      logger.info('stopped');
    }),
  };
}
