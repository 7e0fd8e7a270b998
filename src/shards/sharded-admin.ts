import { customerOfInstance } from '../../actors/index.js';
import type { IdentityConflictRecord, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { conflictsNaming } from '../runtime/identity-conflicts.js';
import type { NodeErasure } from './node-erasure.js';
import type { ShardedMerge } from './sharded-identity.js';
import { shardedIdentityRoutes } from './sharded-identity.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import { auditDraft } from '../audit/audit.js';
import { adminRoutes, outboxOperation, statusOperation } from '../admin/admin-routes.js';
import { auditRoutes } from '../admin/audit-routes.js';
import { catalogRoutes } from '../admin/catalog-routes.js';
import { keyRoutes } from '../admin/key-routes.js';
import { learningRoutes } from '../admin/learning-routes.js';
import { bodyIdentifiers, importCustomersRoute, patchCustomerOperation, putCustomerOperation } from '../admin/customer-import-routes.js';
import type { OutboxPageParams } from '../admin/delivery-routes.js';
import { deadLettersOperation, outboxChannel, retryOperation, unsubscribeRoutes } from '../admin/delivery-routes.js';
import { rowsOverShards } from './sharded-import.js';
import { outboundRoutes } from '../admin/outbound-routes.js';
import { waveRoutes } from '../admin/wave-routes.js';
import type { ShardedRuns } from './sharded-runs.js';
import { shardedCalls } from './sharded-runs.js';
import { privacyRoutes } from '../admin/privacy-routes.js';
import { segmentRoutes } from '../admin/segment-routes.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import { cancelOrphanedRuns } from '../runtime/outbound-runs.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { DraftCounts } from '../runtime/draft-count.js';
import type { ServerStatus } from '../schema/http/admin-schemas.js';
import { route } from '../schema/http/bind-route.js';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';
import { StopList } from '../stop-list.js';
import type { StopEntry, Store } from '../store/store.js';
import type { HttpCall, Route } from '../transport/http.js';
import type { KeyRing } from '../transport/key-ring.js';
import { mergeOutboxPages, shardPositions } from './merged-outbox.js';
import type { MergedTotals } from './merged-totals.js';
import type { SharedModels } from './shared-models.js';
import type { Shards } from './shards.js';
import type { ShardCall } from './shard-calls.js';

/**
 * The admin API of a node with shards (docs/scale-out.md, "Every core of one machine"): the
 * routes a single node serves, over what the main thread keeps and what it asks the shards.
 *
 * The main thread's own store (`<data dir>/node`, LMDB) holds what belongs to the node rather
 * than to a customer: the catalog, the stop list, the API keys and the audit trail. A
 * customer's card, export, dry-run explanation and campaign preview are asked of the shard
 * that owns the customer (the export's identity conflicts are that shard's and the node's),
 * and so is an erasure (its audit entry written in the shard's erasure transaction, then
 * copied into the node's trail: `AuditRelay`), whose last step removes what the node's store
 * holds naming the customer (node-erasure.ts). A segment's members
 * are every shard's merged in id order (`mergedMembers`); a draft segment's count scans every
 * shard's store from worker threads of the main thread (`DraftCounts`' `shards`). Totals across
 * customers (funnel, uplift, propensity, segment sizes, live actors) are every shard's added
 * up (`MergedTotals`), read afresh for each read of them.
 */

/** The stop list of a node with shards: kept in the node's store (its audit entries in the node's trail), each change handed to every shard's copy before the answer. */
export class NodeStopList extends StopList {
  /** `changeStops`: the node's `Shards.changeStops` (the list is loaded before the shards start: they are handed it) */
  constructor(
    store: Store,
    secret: string,
    private readonly changeStops: (call: Extract<ShardCall, { op: 'stop' }>) => Promise<void>,
  ) {
    super(store, secret);
  }

  override async add(...args: Parameters<StopList['add']>): Promise<StopEntry> {
    const entry = await super.add(...args);
    await this.changeStops({ op: 'stop', put: entry });
    return entry;
  }

  override async remove(key: string, channel: string | undefined, campaign: string | undefined, audit?: AuditDraft): Promise<boolean> {
    const removed = await super.remove(key, channel, campaign, audit);
    // (even when the node's list had none: a shard's copy holds nothing the node's does not)
    await this.changeStops({ op: 'stop', remove: { key, channel, campaign } });
    return removed;
  }
}

/** Key in the node store's meta of the last of a shard's audit entries copied into the node's trail. */
const relayKey = (shard: number): string => `audit-relay/shard-${shard}`;
const RELAY_PAGE = 500;

/**
 * Copies the audit entries a shard wrote (an erasure's, in the shard's own trail, in the same
 * transaction as the change) into the node's trail, each with the shard's cursor in the same
 * transaction: every entry once, in the shard's order, whether the node stopped in between
 * or not (at start every shard's are looked at again).
 */
export class AuditRelay {
  private readonly chains = new Map<number, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly shards: Shards,
  ) {}

  /** Copies what shard `index` wrote since the last copy; resolves once it is in the node's trail. */
  relay(index: number): Promise<void> {
    const run = (this.chains.get(index) ?? Promise.resolve()).catch(() => undefined).then(() => this.copy(index));
    this.chains.set(index, run);
    return run;
  }

  /** Resolves once the copies under way are done (before the node's store closes). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()].map((c) => c.catch(() => undefined)));
  }

  relayAll(): Promise<void> {
    return Promise.all(Array.from({ length: this.shards.count }, (_, i) => this.relay(i))).then(() => undefined);
  }

  private async copy(index: number): Promise<void> {
    let after = ((await this.store.getMeta(relayKey(index))) as number | undefined) ?? 0;
    for (;;) {
      const records = await this.shards.call(index, { op: 'audit', after, limit: RELAY_PAGE });
      for (const r of records) {
        const draft: AuditDraft = { at: r.at, who: r.who, action: r.action, target: r.target };
        if (r.before !== undefined) draft.before = r.before;
        if (r.after !== undefined) draft.after = r.after;
        await this.store.appendAudit(draft, { meta: [{ key: relayKey(index), value: r.seq }] });
        after = r.seq;
      }
      if (records.length < RELAY_PAGE) return;
    }
  }
}

export interface ShardedAdminParts {
  shards: Shards;
  /** the main thread's store: catalog, stop list, keys, audit trail */
  store: Store;
  catalogs: CatalogService;
  stopList: NodeStopList;
  keys: KeyRing;
  totals: MergedTotals;
  /** the node's propensity models, in shared memory (shared-models.ts) */
  models: SharedModels;
  /** the outbound runs over every shard (sharded-runs.ts) */
  runs: ShardedRuns;
  relay: AuditRelay;
  /** identity conflicts between customers of two shards, kept in the node's store (sharded-identity.ts) */
  conflicts: IdentityConflicts;
  /** merges, one shard's or across shards (sharded-identity.ts) */
  merges: ShardedMerge;
  /** erasures: the customer's shard's, then the node store's entries naming them (node-erasure.ts) */
  erasure: Pick<NodeErasure, 'erase'>;
  clock: Clock;
  logger: Logger;
  /** the draft counts over every shard's store (`shardedDraftCounts`), stopped by the node's close */
  counts: DraftCounts;
  /** the status, with the live actors the shards said (`Shards.liveActors`, asked before each answer) */
  status: (actors: { hot: number; dirty: number }) => ServerStatus;
  /** the secret of the e-mails' unsubscribe links (`unsubscribeSecretInForce`) */
  unsubscribeSecret: string | undefined;
}

/** The operations of these routes' families a node with shards serves otherwise (the outbox: shardedDeliveryRoutes). */
const servedOtherwise = new Set<string>([outboxOperation.operationId]);

/** A change's audit entry, written in its shard, copied into the node's trail before the answer; if that fails, the next copy (every minute, and at start) takes it. */
export function intoNodeTrail(p: Pick<ShardedAdminParts, 'relay' | 'logger'>, shard: number): Promise<void> {
  return p.relay.relay(shard).catch((err: unknown) => p.logger.error({ err }, "copying a shard's audit entries into the node's trail failed; retried every minute"));
}

/**
 * The outbox over the shards (each keeps its customers' deliveries in its own store): a
 * channel's entries and its dead letters, every shard's page after its own position merged
 * oldest first (merged-outbox.ts: the cursor holds a position a shard); an entry sent again by
 * the shard that holds it, its audit entry written with the change there and copied into the
 * node's trail before the answer.
 */
function shardedDeliveryRoutes(p: ShardedAdminParts): Route[] {
  const { shards, clock } = p;
  const page = async (channel: string, query: OutboxPageParams, dead: boolean): Promise<{ channel: string; entries: OutboxRecord[]; next?: string }> => {
    outboxChannel(channel);
    const limit = query.limit ?? 100;
    const positions = shardPositions(query.cursor, shards.count);
    const pages = await Promise.all(positions.map((after, i) => shards.call(i, { op: 'outbox', channel, limit, after, dead })));
    return { channel, ...mergeOutboxPages(pages, positions, limit) };
  };
  return [
    route(outboxOperation, async ({ params: { channel }, query }) => ({ status: 200, body: await page(channel, query, false) })),
    route(deadLettersOperation, async ({ params: { channel }, query }) => ({ status: 200, body: await page(channel, query, true) })),
    route(retryOperation, async ({ params: { channel, instance }, call }) => {
      outboxChannel(channel);
      // (its `before`, the entry's attempts, is filled in by the shard that holds it)
      const draft = auditDraft(call, clock.now(), 'outbox.retry', `outbox:${channel}/${instance}`, undefined, { dead: false });
      // Asked of the shard of the customer the instance names (a shard starting elsewhere does not
      // matter), then, should it hold no such entry, of the others one at a time: the first that has it sends it again, once.
      const owner = customerOfInstance(instance);
      const first = owner === undefined ? 0 : shards.shardOf(owner);
      let shard = -1;
      for (let n = 0; n < shards.count && shard < 0; n++) {
        const i = (first + n) % shards.count;
        if (await shards.call(i, { op: 'retry', channel, instance, draft })) shard = i;
      }
      if (shard < 0) throw new KairosError('not_found', `no outbox entry "${instance}" on ${channel}`);
      await intoNodeTrail(p, shard);
      return { status: 200, body: { channel, instance, retried: true as const } };
    }),
  ];
}

/** The customer host's admin side on a node with shards: each call asked of the customer's shard. */
function shardedHost(p: ShardedAdminParts): Pick<CustomerHost, 'view' | 'erase' | 'pollReminders' | 'explain' | 'preview'> {
  const { shards } = p;
  return {
    view: (id) => shards.view({ id }),
    erase(id, audit) {
      if (audit === undefined) throw new KairosError('internal', 'an erasure on a node with shards is audited');
      // (the shard puts the count of links it removed into the entry's `after.identifiers`)
      return p.erasure.erase(id, audit({ identifiers: 0 }));
    },
    // (the node's manual clock moved: every shard's set to it, its due reminders delivered; `POST /v1/clock` asks until none fire)
    async pollReminders() {
      const fired = await shards.callEvery({ op: 'clock', now: p.clock.now() });
      return fired.reduce((a, b) => a + b, 0);
    },
    explain: (id, event) => shards.call(shards.shardOf(id), { op: 'explain', id, event }),
    preview: (id, campaign, event) => shards.call(shards.shardOf(id), { op: 'preview', id, campaign: campaign.id, event }),
  };
}

/**
 * A customer's master data on a node with shards (`PUT`, `PATCH /v1/customers/{id}`): the
 * identifiers the fields name are claimed in the node's directory for the customer's shard (one
 * another shard holds is refused, 400 `identifier_taken`, as a single node refuses an
 * identifier that belongs to another customer), then the shard applies the fields as a single
 * node does (its own identity index, the change told to the customer's state, the audit entry,
 * copied into the node's trail before the answer).
 */
function shardedCustomerRoutes(p: ShardedAdminParts): Route[] {
  const { shards, clock } = p;
  const upsert = async (mode: 'put' | 'patch', id: string, body: Record<string, unknown>, reason: string | undefined, call: HttpCall): Promise<'created' | 'updated' | 'unchanged'> => {
    if (call.principal === undefined) throw new KairosError('internal', 'a change of master data without a principal');
    const held = await shards.claimFor(id, bodyIdentifiers(id, body, clock.now()));
    if (held !== undefined) throw new KairosError('invalid', `field "${held.field}": identifier_taken`, { details: { column: held.field, reason: 'identifier_taken' } });
    const shard = shards.shardOf(id);
    const outcome = await shards.call(shard, { op: 'upsert', mode, id, body, reason, principal: call.principal });
    await intoNodeTrail(p, shard);
    return outcome;
  };
  return [
    route(putCustomerOperation, async ({ params: { id }, body, call }) => ({ status: 200, body: { id, outcome: await upsert('put', id, body, undefined, call) } })),
    route(patchCustomerOperation, async ({ params: { id }, query: { reason }, body, call }) => ({ status: 200, body: { id, outcome: await upsert('patch', id, body, reason, call) } })),
  ];
}

/**
 * The identity conflicts naming a customer, for their subject-access export: those their shard
 * keeps (between two of its customers) and the node's (between customers of two shards), in id
 * order, as a single node lists its own.
 */
async function conflictsOf(p: Pick<ShardedAdminParts, 'shards' | 'store'>, id: string): Promise<IdentityConflictRecord[]> {
  const [theirs, own] = await Promise.all([p.shards.call(p.shards.shardOf(id), { op: 'conflictsNaming', id }), conflictsNaming(p.store, id)]);
  return [...theirs, ...own].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** UTF-8 byte order: the order of LMDB's keys, in which each shard lists its members. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * A segment's members over every shard, in id order: each shard's page after `after` (at most
 * `limit`, from its own member index) merged, the first `limit` kept. A page's last id is the
 * next page's cursor on every shard alike, so paging goes through the node's members once each.
 */
export async function mergedMembers(shards: Pick<Shards, 'callEvery'>, segment: string, limit: number, after?: string): Promise<string[]> {
  const pages = await shards.callEvery({ op: 'members', segment, limit, after });
  return pages.flat().sort(byteOrder).slice(0, limit);
}

/** The routes `applies` to wait for `first` before they answer (the shards' totals or live actors, read afresh). */
function withFirst(routes: Route[], applies: (r: Route) => boolean, first: () => Promise<unknown>): Route[] {
  return routes.map((r) =>
    !applies(r)
      ? r
      : {
          operation: r.operation,
          handle: async (call, params) => {
            await first();
            return r.handle(call, params);
          },
        },
  );
}

/** Draft counts over every shard's store, scanned from worker threads of the main thread, read-only beside each shard's own writer. */
export function shardedDraftCounts(p: Pick<ShardedAdminParts, 'shards' | 'store' | 'catalogs' | 'clock' | 'logger'>, workerUrl?: URL): DraftCounts {
  const { store, catalogs, clock, logger } = p;
  return new DraftCounts({ store, catalog: () => catalogs.catalog, clock, logger, shards: () => p.shards.callEvery({ op: 'scanPlan' }), ...(workerUrl === undefined ? {} : { workerUrl }) });
}

/** What a model's reset does besides the main thread's registry's: a new, empty shared model of the policy's bits, handed to every shard, and each shard's statistics of it emptied. */
async function resetShared(p: ShardedAdminParts, offer: string): Promise<void> {
  p.models.renew(offer, p.catalogs.catalog.policy.learning.bits);
  p.shards.shareModels();
  // (the sums hold no change of their own: what the registry's reset emptied here is read from the shards again, whatever they answer)
  p.totals.ledgers.models.stats.forget([offer]);
  await p.shards.callEvery({ op: 'resetModel', offer });
}

/** The customers whose master data every shard holds, added up (those a shard that cannot answer now holds left out). */
async function countBase(p: ShardedAdminParts): Promise<number> {
  const counts = await Promise.allSettled(Array.from({ length: p.shards.count }, (_, i) => p.shards.call(i, { op: 'countImported' })));
  return counts.reduce((n, c) => n + (c.status === 'fulfilled' ? c.value : 0), 0);
}

/** Why any shard's memberships are still being worked out (an import's pass first), or undefined; a shard that cannot answer now is left out. */
async function segmentsPending(p: ShardedAdminParts): Promise<'import' | 'sweep' | undefined> {
  const each = await Promise.allSettled(Array.from({ length: p.shards.count }, (_, i) => p.shards.call(i, { op: 'segmentsPending' })));
  const reasons = each.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
  return reasons.includes('import') ? 'import' : reasons[0];
}

/** The admin routes a node with shards serves. */
export function shardedAdminRoutes(p: ShardedAdminParts): Route[] {
  const host = shardedHost(p);
  const { catalogs, clock, logger, store, stopList, totals } = p;
  const { propensity, segments, models, uplift, funnel, ledger } = totals.ledgers;
  // (read before each answer of the status; a shard starting or blocked is left out of them)
  let actors = { hot: 0, dirty: 0 };
  const refresh = (): Promise<void> => totals.refresh();
  const { runs } = p;
  const routes = [
    ...withFirst(
      adminRoutes({ host, stopList, store, clock, logger, status: () => p.status(actors), afterClockMove: () => p.runs.tick(store, logger), finder: { view: (id) => p.shards.view({ id }), byIdentifier: (kind, value) => p.shards.view({ kind, value }) } }),
      (r) => r.operation.operationId === statusOperation.operationId,
      async () => (actors = await p.shards.liveActors()),
    ),
    // (a segment's size, every segment's, a campaign's propensity evidence)
    ...withFirst(catalogRoutes({ catalogs, host, clock, propensity, segments, segmentsPending: () => segmentsPending(p), afterCampaignsChange: () => cancelOrphanedRuns(runs, logger) }), (r) => ['getSegment', 'listSegmentSizes', 'getCampaignPropensity'].includes(r.operation.operationId), refresh),
    // (a model reset: the node's model made anew and handed to every shard, each shard's statistics of it emptied)
    ...withFirst(learningRoutes({ catalogs, models, uplift, funnel, budget: ledger, store, clock, beforeReset: (offer) => p.models.hold(offer), afterReset: (offer) => resetShared(p, offer) }), (r) => r.operation.method === 'get', refresh),
    ...segmentRoutes({
      catalogs,
      store: { listSegmentMembers: (segment, limit, after) => mergedMembers(p.shards, segment, limit, after) },
      counts: p.counts,
    }),
    ...auditRoutes({ store }),
    ...privacyRoutes({ host, stopList, clock, conflictsOf: (id) => conflictsOf(p, id) }),
    ...keyRoutes({ keys: p.keys, logger, clock }),
    ...unsubscribeRoutes({ stopList, clock, logger, unsubscribeSecret: p.unsubscribeSecret }),
    // (each shard runs its customers' part of a run: sharded-runs.ts; a run's funnel and its segments' sizes are the shards' totals, read afresh)
    // (reads and a start: a pause or a cancel goes through while a shard is being started again)
    ...withFirst(outboundRoutes({ runs, funnel, store, clock, segments, countBase: () => countBase(p), refreshFunnel: refresh }), (r) => r.operation.method === 'get' || r.operation.operationId === 'startOutboundRun', refresh),
    ...waveRoutes({ runs, host: shardedCalls(p.shards), store, clock }),
  ];
  return [
    ...routes.filter((r) => !servedOtherwise.has(r.operation.operationId)),
    ...shardedDeliveryRoutes(p),
    ...shardedCustomerRoutes(p),
    ...shardedIdentityRoutes({ shards: p.shards, conflicts: p.conflicts, merges: p.merges, clock, intoNodeTrail: (shard) => intoNodeTrail(p, shard) }),
    // (audited in the node's trail, as a single node audits an import)
    importCustomersRoute({ store, clock, logger }, rowsOverShards(p.shards, clock)),
  ];
}
