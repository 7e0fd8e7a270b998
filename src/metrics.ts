import { performance } from 'node:perf_hooks';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { deliveryChannels } from '../actors/index.js';

/**
 * Every metric Kairos exports, declared here and nowhere else: `kairos_` prefix, snake_case,
 * bounded labels (channels, campaigns, codes and outcomes from fixed or catalog-sized sets;
 * never a customer id). Dashboards query only these names.
 */

/**
 * Channels a label may take: every channel the catalog and the outbox know (back office
 * included), the protocol's `pos`, and `none` (an event without one); anything else is
 * counted as "other". Every metric with a channel label takes it through `channelLabel`.
 */
const knownChannels = new Set<string>([...deliveryChannels, 'pos', 'none']);
/** Response outcomes a label may take; anything else is counted as "other". */
const knownOutcomes = new Set(['accepted', 'declined', 'dismissed', 'later', 'clicked', 'expired']);

export function channelLabel(channel: string | undefined): string {
  const c = channel ?? 'none';
  return knownChannels.has(c) ? c : 'other';
}

export function outcomeLabel(outcome: string): string {
  return knownOutcomes.has(outcome) ? outcome : 'other';
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kairos_' });
  // prom-client's totals of active handles, requests and resources are gauges named `_total`,
  // which Prometheus reserves for counters (`promtool check metrics` fails on them): left out,
  // their sum is that of the gauges by type beside them (`kairos_nodejs_active_handles` …).
  for (const name of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`kairos_nodejs_active_${name}_total`);
  const m = {
    registry,
    events: new Counter({
      name: 'kairos_events_total',
      help: 'Events received from gateways, by the channel they came from',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'kairos_decisions_total',
      help: 'Decisions made, by outcome: offer (at least one action), silent (nothing worth saying), duplicate (a repeated event id answered again)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: 'kairos_decision_duration_seconds',
      help: 'Time from a request frame arriving to its reply being sent',
      labelNames: ['kind'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    contacts: new Counter({
      name: 'kairos_contacts_total',
      help: 'Offers made, by campaign and channel',
      labelNames: ['campaign', 'channel'] as const,
      registers: [registry],
    }),
    suppressions: new Counter({
      name: 'kairos_suppressions_total',
      help: 'Triggered campaigns that did not speak, by campaign and reason code',
      labelNames: ['campaign', 'reason'] as const,
      registers: [registry],
    }),
    responses: new Counter({
      name: 'kairos_responses_total',
      help: 'Customer responses to offers, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'kairos_errors_total',
      help: 'Error replies, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    hotActors: new Gauge({
      name: 'kairos_hot_actors',
      help: 'Customer actors live in memory',
      registers: [registry],
      collect() {
        this.set(host.hotActors?.() ?? 0);
      },
    }),
    dirtyActors: new Gauge({
      name: 'kairos_dirty_actors',
      help: 'Live actors whose latest state is not yet written to the store',
      registers: [registry],
      collect() {
        this.set(host.dirtyActors?.() ?? 0);
      },
    }),
    changeRecords: new Gauge({
      name: 'kairos_store_change_records',
      help: 'LMDB: change records in the log (live or not yet trimmed); what a read may fold into a snapshot',
      registers: [registry],
      collect() {
        this.set(host.changeLog?.().records ?? 0);
      },
    }),
    changeRecordCustomers: new Gauge({
      name: 'kairos_store_change_record_customers',
      help: 'LMDB: customers whose snapshot has change records to fold in',
      registers: [registry],
      collect() {
        this.set(host.changeLog?.().customers ?? 0);
      },
    }),
    shardUp: new Gauge({
      name: 'kairos_shard_up',
      help: 'KAIROS_SHARDS: 1 while the shard takes requests, 0 while it is being started (again)',
      labelNames: ['shard'] as const,
      registers: [registry],
      collect() {
        for (const [i, s] of (host.shards?.() ?? []).entries()) this.set({ shard: String(i) }, s.up ? 1 : 0);
      },
    }),
    shardRestarts: new Gauge({
      name: 'kairos_shard_restarts',
      help: 'KAIROS_SHARDS: times the shard was started again after its thread stopped, since the node started',
      labelNames: ['shard'] as const,
      registers: [registry],
      collect() {
        for (const [i, s] of (host.shards?.() ?? []).entries()) this.set({ shard: String(i) }, s.restarts);
      },
    }),
    activations: new Counter({
      name: 'kairos_actor_activations_total',
      help: 'Customer actors brought to life, by source: snapshot (stored state), profile (imported master data), new (first sight of an identifier)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    passivations: new Counter({
      name: 'kairos_actor_passivations_total',
      help: 'Customer actors released from memory (their state is in the store), by reason: lru (past the hot-actor bound), idle, memory (past the heap bound)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    activationSeconds: new Histogram({
      name: 'kairos_actor_activation_seconds',
      help: 'The event loop\'s work to bring a customer actor to life, by source (reading the store, migrating, restoring; on Redis the reads\' round trips too; not the turns it waits behind other work)',
      labelNames: ['source'] as const,
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers: [registry],
    }),
    prefetchSeconds: new Histogram({
      name: 'kairos_store_prefetch_seconds',
      help: 'Time a customer who is not live waited for their pages to be read into memory off the event loop (LMDB prefetch: the disk, the worker queue, the next turn of the loop); activation seconds start after it',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers: [registry],
    }),
    eventLoopBusy: eventLoopBusyCounter(registry),
    flushSeconds: new Histogram({
      name: 'kairos_store_flush_duration_seconds',
      help: 'Time to commit one write-behind batch to the store',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    flushedSnapshots: new Counter({
      name: 'kairos_store_snapshots_written_total',
      help: 'Actor snapshots written to the store',
      registers: [registry],
    }),
    flushErrors: new Counter({
      name: 'kairos_store_flush_errors_total',
      help: 'Write-behind batches that failed to commit (they are retried, in smaller batches while the store answers)',
      registers: [registry],
    }),
    refusedChanges: new Counter({
      name: 'kairos_store_refused_changes_total',
      help: "Customers' changes the store refused even alone: dropped, their requests answered with an error",
      registers: [registry],
    }),
    outboxQueued: new Counter({
      name: 'kairos_outbox_queued_total',
      help: 'Outbox entries committed, by channel',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'kairos_deliveries_total',
      help: 'Outbox deliveries by channel and result: pushed (to a subscribed endpoint), delivered, failed (an endpoint said so: each failed attempt), retry (an adapter attempt failed; retried later), dead (given up: a dead letter, of an adapter or an endpoint), suppressed (cancelled at send time: stop list, consent, expiry)',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'kairos_outbox_pending',
      help: "Outbox entries waiting for the server's own channel adapters (SMS over SMPP, e-mail, back office), by channel",
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    outboxLagSeconds: new Gauge({
      name: 'kairos_outbox_lag_seconds',
      help: "Age of the oldest outbox entry waiting for the server's own channel adapters (0 when none), by channel",
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'kairos_gateway_connections',
      help: 'Open gateway WebSocket connections',
      registers: [registry],
    }),
    gatewayPortConnections: new Gauge({
      name: 'kairos_gateway_port_connections',
      help: 'Open gateway WebSocket connections on the gateway port (KAIROS_GATEWAY_PORT), by the shard that accepted them (the kernel spreads them over the shards)',
      labelNames: ['shard'] as const,
      registers: [registry],
      collect() {
        const g = host.gatewayPort?.();
        if (g !== undefined) this.set({ shard: String(g.shard) }, g.open);
      },
    }),
    inFlight: new Gauge({
      name: 'kairos_requests_in_flight',
      help: 'Requests being decided right now',
      registers: [registry],
      collect() {
        this.set(host.inFlight?.() ?? 0);
      },
    }),
    oldestRequestWait: new Gauge({
      name: 'kairos_oldest_request_wait_seconds',
      help: 'How long the oldest request being decided has waited (0 when none): past KAIROS_MAX_QUEUE_MS new requests get overloaded',
      registers: [registry],
      collect() {
        this.set((host.oldestWaitMs?.() ?? 0) / 1000);
      },
    }),
    backpressureDrops: new Counter({
      name: 'kairos_ws_send_dropped_total',
      help: 'Replies dropped because a connection exceeded its backpressure limit (the connection is closed)',
      registers: [registry],
    }),
    remindersFired: new Counter({
      name: 'kairos_reminders_fired_total',
      help: 'Durable reminders delivered to their customers, by kind: expiry (an offer ran out), followup (a campaign follow-up), catalog (a reminder the catalog sets on an event), deferred (a message quiet hours deferred), callback (a call-centre callback), lead (a warm lead), segments (the segment timer)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    modelExamples: new Gauge({
      name: 'kairos_model_examples',
      help: 'Outcomes each offer model has learnt from',
      labelNames: ['offer'] as const,
      registers: [registry],
      collect() {
        learning.refresh?.();
      },
    }),
    modelOutcomes: new Gauge({
      name: 'kairos_model_outcomes',
      help: 'Outcomes seen per offer model and ranking arm (model, random) and label (positive, negative)',
      labelNames: ['offer', 'arm', 'label'] as const,
      registers: [registry],
    }),
    modelAuc: new Gauge({
      name: 'kairos_model_auc',
      help: 'Running AUC of the response probabilities decisions used, per offer (recent outcomes weigh most); absent until the model has 200 examples and 20 positive and 20 negative answers (policy.learning figureAnswers, figureOutcomes)',
      labelNames: ['offer'] as const,
      registers: [registry],
    }),
    modelRecentAuc: new Gauge({
      name: 'kairos_model_auc_30d',
      help: 'AUC of the response probabilities decisions used over the last 30 local days, per offer; absent without 200 scored answers, 20 positive and 20 negative, in them (figureAnswers, figureOutcomes)',
      labelNames: ['offer'] as const,
      registers: [registry],
    }),
    modelLift: new Gauge({
      name: 'kairos_model_lift',
      help: 'Response rate of offers ranked by the models over the random control arm, per offer; absent until each arm has 200 answers, 20 positive and 20 negative (figureAnswers, figureOutcomes)',
      labelNames: ['offer'] as const,
      registers: [registry],
    }),
    modelCampaignLift: new Gauge({
      name: 'kairos_model_campaign_lift',
      help: "The model arm's response rate over the random arm's per offer and campaign: the estimate and its 95 % interval (bound: estimate, low, high); absent without the evidence",
      labelNames: ['offer', 'campaign', 'bound'] as const,
      registers: [registry],
    }),
    campaignContacts: new Gauge({
      name: 'kairos_campaign_uplift_contacts',
      help: 'Contacts made (treated) and withheld (control) per campaign, for the uplift report',
      labelNames: ['campaign', 'group'] as const,
      registers: [registry],
    }),
    campaignConversions: new Gauge({
      name: 'kairos_campaign_uplift_conversions',
      help: "Contacts followed by the campaign's goal, treated and control, per campaign",
      labelNames: ['campaign', 'group'] as const,
      registers: [registry],
    }),
    identityConflicts: new Counter({
      name: 'kairos_identity_conflicts_total',
      help: 'Identifiers an event named for one customer while linked to another, by identifier kind: not relinked, recorded for review',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    storeConflicts: new Counter({
      name: 'kairos_store_conflicts_total',
      help: 'Another node had written the customer: a commit refused (kind="refused": its requests were decided again) or a clean copy read again (kind="reloaded")',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    outboundRun: new Gauge({
      name: 'kairos_outbound_run',
      help: 'Outbound runs open or finished in the last 7 days, per run and stage: selected (customers handed the run), decided, offered, control, suppressed, deferred, waiting, delivered, answered, accepted: GET /v1/runs/{id}',
      labelNames: ['run', 'campaign', 'stage'] as const,
      registers: [registry],
      collect() {
        outbound.refresh?.();
      },
    }),
    outboundRunState: new Gauge({
      name: 'kairos_outbound_run_state',
      help: 'Outbound runs open or finished in the last 7 days: 1 for the state each is in (running, paused, waiting, done, cancelled)',
      labelNames: ['run', 'campaign', 'state'] as const,
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'kairos_ready',
      help: 'Whether this node takes traffic (GET /ready answers 200): 1, or 0 while starting, draining, or with its store unreachable or its commits failing',
      registers: [registry],
      collect() {
        this.set(host.ready?.() === true ? 1 : 0);
      },
    }),
    campaignFunnel: new Gauge({
      name: 'kairos_campaign_funnel',
      help: 'The campaign funnel since the store began, per campaign and stage (triggered, suppressed, cancelled, deferred, resumed, waiting, control, offered, delivered, failed, answered, accepted, declined, expired, converted, controlConverted: the control group’s contacts followed by the goal): GET /v1/reports/funnel',
      labelNames: ['campaign', 'stage'] as const,
      registers: [registry],
    }),
  };
  /** set by the server: refreshes the learning gauges from the models and ledgers at each scrape */
  const learning: { refresh?: () => void } = {};
  /** set by the server: refreshes the outbound runs' gauges at each scrape */
  const outbound: { refresh?: () => void } = {};
  /**
   * set by the customer host, read at each scrape (not set on every event): the wait of the
   * oldest request in flight (ms), requests in flight, live and dirty actors
   */
  const host: { oldestWaitMs?: () => number; inFlight?: () => number; hotActors?: () => number; dirtyActors?: () => number; ready?: () => boolean; changeLog?: () => { records: number; customers: number }; shards?: () => ReadonlyArray<{ up: boolean; restarts: number }>; gatewayPort?: () => { shard: number; open: number } } = {};
  /**
   * set by a node with shards: each shard's registry as JSON (`shardMetricsJson`), added to
   * this thread's at each scrape; `before`, what this thread reads first (the shards' totals
   * its learning and funnel gauges are computed from)
   */
  const shards: { collect?: () => Promise<ReadonlyArray<ShardMetricsJson>>; before?: () => Promise<void> } = {};
  /**
   * What GET /metrics answers: this thread's registry, with the shards' added (counters,
   * histograms and gauges summed by name and labels). A metric the merge would leave out
   * (`aggregator: 'omit'`: the process's start time) is this thread's, as on a single node.
   */
  async function exposition(): Promise<string> {
    if (shards.collect === undefined) return registry.metrics();
    await shards.before?.();
    const own = (await registry.getMetricsAsJSON()).map((x) => (x.aggregator === 'omit' ? { ...x, aggregator: 'first' as const } : x));
    const parts = [own, ...(await shards.collect())];
    return AggregatorRegistry.aggregate(parts).metrics();
  }
  return { ...m, learning, outbound, host, shards, exposition };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A shard's registry as JSON, as the main thread adds it to its own. */
export type ShardMetricsJson = ReadonlyArray<MetricObjectWithValues<MetricValue<string>>>;

/**
 * A shard's metrics for the node's (worker threads share their process): without the
 * process's own figures (CPU, memory, open files: the main thread's are the process's) and
 * without the event loop's busy time (the node's is the main thread's, which serves the gateway).
 */
export async function shardMetricsJson(metrics: Metrics): Promise<ShardMetricsJson> {
  const all = await metrics.registry.getMetricsAsJSON();
  return all.filter((x) => !x.name.startsWith('kairos_process_') && x.name !== 'kairos_event_loop_busy_seconds_total' && x.name !== 'kairos_nodejs_version_info');
}

/**
 * Seconds the event loop spent running code rather than waiting for I/O (Node's event-loop
 * utilization, read at each scrape). Its rate is how close this node is to saturation: the
 * customer actors, the commits and the sockets all run on this one thread, so at a rate near
 * 1 every pause (a scavenge, a slow commit) queues the events behind it and the tail grows.
 */
function eventLoopBusyCounter(registry: Registry): Counter {
  let counted = 0;
  return new Counter({
    name: 'kairos_event_loop_busy_seconds_total',
    help: 'Seconds the event loop spent busy (running code, not waiting for I/O); its rate is the event-loop utilization, 1 at saturation',
    registers: [registry],
    collect() {
      const active = performance.eventLoopUtilization().active / 1000;
      if (active > counted) {
        this.inc(active - counted);
        counted = active;
      }
    },
  });
}
