import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CommittedFeed } from './delivery/committed-feed.js';
import type { DeliveryHost } from './delivery/delivery-host.js';
import type { ChannelAdapter } from './delivery/dispatcher.js';
import { OutboxDispatcher } from './delivery/dispatcher.js';
import { SmppAdapter } from './delivery/smpp-adapter.js';
import { SmtpAdapter } from './delivery/smtp-adapter.js';
import { WebhookAdapter } from './delivery/webhook-adapter.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Store } from './store/store.js';

/**
 * The delivery path built from one configuration: the server's own channel adapters and the
 * dispatcher that feeds them and the WebSocket subscribers. The server (kairos.ts) builds its
 * own with these, and so does each shard (src/shards/shard-worker.ts) for its customers.
 */

/** The server's own channel adapters, for the channels configured (SMPP, SMTP, webhooks); SMS receipts and replies go to `host`. */
export function buildAdapters(config: Readonly<Config>, clock: Clock, logger: Logger, host: DeliveryHost, store: Store): ChannelAdapter[] {
  const adapters: ChannelAdapter[] = [];
  if (config.smppUrl !== undefined) {
    adapters.push(new SmppAdapter({ url: config.smppUrl, systemId: config.smppSystemId, password: config.smppPassword, source: config.smppSource, ratePerSec: config.smppRate, logger, clock, host, replies: { store, secret: config.stopListSecret } }));
  }
  if (config.smtpUrl !== undefined) {
    adapters.push(new SmtpAdapter({ url: config.smtpUrl, from: config.smtpFrom, publicUrl: config.publicUrl, unsubscribeSecret: config.unsubscribeSecret, ratePerSec: config.smtpRate }));
  }
  if (config.webhookUrl !== undefined) {
    adapters.push(new WebhookAdapter({ url: config.webhookUrl, secret: config.webhookSecret, ratePerSec: config.webhookRate }));
  }
  return adapters;
}

/** The channels the configured adapters deliver (no WebSocket subscriber may take them): what `buildAdapters` makes, without making it. */
export function adapterChannels(config: Readonly<Config>): ReadonlySet<string> {
  const out = new Set<string>();
  if (config.smppUrl !== undefined) out.add(SmppAdapter.CHANNEL);
  if (config.smtpUrl !== undefined) out.add(SmtpAdapter.CHANNEL);
  if (config.webhookUrl !== undefined) out.add(WebhookAdapter.CHANNEL);
  return out;
}

/** The one delivery path: the own adapters and the gateway-subscriber adapter, fed what the host commits. Built after the host. */
export function buildDispatcher(config: Readonly<Config>, parts: { store: Store; clock: Clock; logger: Logger; metrics: Metrics; host: DeliveryHost; committed: CommittedFeed; consumer?: string; adapters?: readonly ChannelAdapter[] }): OutboxDispatcher {
  const { store, clock, logger, metrics, host, committed } = parts;
  return new OutboxDispatcher({
    store,
    consumer: parts.consumer ?? config.nodeId,
    clock,
    logger,
    metrics,
    host,
    committed,
    // (and adapters of the caller's: a shard's SMS relayed to the node's one SMPP bind)
    adapters: [...buildAdapters(config, clock, logger, host, store), ...(parts.adapters ?? [])],
    maxAttempts: config.deliveryMaxAttempts,
    backoffMs: config.deliveryBackoffMs,
    pollMs: config.deliveryPollMs,
    subscriberWindow: config.subscriberWindow,
  });
}
