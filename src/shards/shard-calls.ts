import type { Catalog, ContactIdentifierKind, DecisionAction, Explanation, GatewayEvent, Preview } from '../../actors/index.js';
import { identifierList } from '../../actors/index.js';
import type { AuditDraft, AuditRecord } from '../audit/audit-chain.js';
import { KairosError } from '../errors.js';
import type { CallView, CustomerHost, CustomerView } from '../runtime/customer-host.js';
import type { OutboundRuns, RunCallRecord, RunRecord } from '../runtime/outbound-runs.js';
import type { ModelRegistry } from '../runtime/model-registry.js';
import type { Reject } from '../admin/customer-import-routes.js';
import { importRowsHere, patchCustomer, putCustomer } from '../admin/customer-import-routes.js';
import type { ImportCounts } from '../import/import-customers.js';
import type { SourceRow } from '../import/read-rows.js';
import { deadPage, outboxPage, retryOutboxEntry } from '../admin/delivery-routes.js';
import type { Clock, ManualClock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Principal } from '../transport/principal.js';
import type { ScanPlan } from '../runtime/draft-count-workers.js';
import { parallelScanOf } from '../runtime/draft-count-workers.js';
import type { FlatCounter, MetaCounters } from '../runtime/meta-counters.js';
import { flattenCounter } from '../runtime/meta-counters.js';
import type { StopList } from '../stop-list.js';
import type { OutboxRecord, StopEntry, Store } from '../store/store.js';
import type { ShardOutboxPage } from './merged-outbox.js';
import type { HostReply } from '../runtime/host-options.js';
import type { IdentityConflictRecord, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { CONFLICT_PREFIX, conflictsNaming } from '../runtime/identity-conflicts.js';
import type { Departing, MergeOutcome } from '../runtime/customer-merge.js';
import { mergeAudit } from '../runtime/customer-merge.js';

/** A conflict dismissed, its audit entry `draft` with the status before and after; undefined when there is no such conflict here. */
export async function dismissHere(conflicts: IdentityConflicts, id: string, draft: AuditDraft): Promise<IdentityConflictRecord | undefined> {
  try {
    return await conflicts.dismiss(id, (before, after) => ({ ...draft, before: { status: before.status }, after: { status: after.status } }));
  } catch (err) {
    if (err instanceof KairosError && err.code === 'not_found') return undefined;
    throw err;
  }
}

/**
 * What the main thread of a node with shards asks a shard for the admin API
 * (src/shards/sharded-admin.ts): one call, one answer, each posted as a message
 * (`{ t: 'call' }`, `{ t: 'called' }` in shard-messages.ts) and answered by `answerCall` in the
 * shard's worker.
 */
export type ShardCall =
  /** a customer's card, by id or by an identifier the directory sent here */
  | { op: 'view'; id: string }
  | { op: 'view'; kind: ContactIdentifierKind; value: string }
  /**
   * a customer erased, the audit entry written in the same transaction (the count of links
   * removed put into its `after.identifiers`); answers the identifiers the customer held, so
   * that the main thread forgets them in its directory
   */
  | { op: 'erase'; id: string; draft: AuditDraft }
  /** the dry run of a decision on the customer's state */
  | { op: 'explain'; id: string; event: GatewayEvent }
  /** a campaign of the shard's catalog as the customer would read it */
  | { op: 'preview'; id: string; campaign: string; event: GatewayEvent }
  /** a change of the node's stop list (made in the main thread's store) applied to the shard's copy (in its memory) */
  | { op: 'stop'; put: StopEntry }
  | { op: 'stop'; remove: { key: string; channel?: string | undefined; campaign?: string | undefined } }
  /** the shard's totals across its customers, each counter flattened */
  | { op: 'totals' }
  /** its live actors, and those not yet written */
  | { op: 'actors' }
  /** the shard's audit entries after `after` (at most `limit`): the main thread copies them into the node's trail */
  | { op: 'audit'; after: number; limit: number }
  /** the shard's members of a segment after `after`, at most `limit`, in id order: the main thread merges every shard's pages */
  | { op: 'members'; segment: string; limit: number; after?: string | undefined }
  /** where the shard's store can be scanned from worker threads (a draft count over the node: src/runtime/draft-count.ts), undefined when it cannot */
  | { op: 'scanPlan' }
  /** a page of the shard's outbox on a channel after its position (`after`, a seq), or of its dead letters: the main thread merges every shard's (merged-outbox.ts) */
  | { op: 'outbox'; channel: string; limit: number; after?: number | undefined; dead: boolean }
  /**
   * a dead letter (or any entry) of the shard's outbox sent again: the audit entry (the draft,
   * its `before` filled in here) written with the change; the shard's dispatcher woken.
   * Answers false when the shard has no such entry
   */
  | { op: 'retry'; channel: string; instance: string; draft: AuditDraft }
  /** a customer's master data created or updated (`put`), or updated (`patch`), as the caller: its identifiers claimed for this shard already */
  | { op: 'upsert'; mode: 'put' | 'patch'; id: string; body: Record<string, unknown>; reason?: string | undefined; principal: Principal }
  /** a bulk import's rows of this shard's customers, checked and their identifiers claimed for it by the main thread, applied as one run (src/shards/sharded-import.ts) */
  | { op: 'importRows'; rows: SourceRow[]; now: number }
  /** the shard's part of the outbound runs (src/shards/sharded-runs.ts): its records, with its own counts */
  | { op: 'runs'; campaign?: string | undefined }
  | { op: 'run'; id: string }
  /** a run's part made in this shard, paused, under the id the main thread chose (the same in every shard): resumed once every shard has made its part */
  | { op: 'runStart'; campaign: string; id: string; at: number; startedBy: 'hand' | 'schedule' }
  /** the next wave of a run, planned by the main thread once every part of the wave before is done, kept as this shard's part */
  | { op: 'runPlan'; run: RunRecord }
  | { op: 'runMove'; id: string; verb: 'pause' | 'resume' | 'cancel'; done?: boolean | undefined }
  /** the calls the shard's part of a wave's run made, in its own call list's order */
  | { op: 'runCalls'; id: string }
  /** a wave's call to one of the shard's customers, for the call list and the dialer's outcomes */
  | { op: 'callOf'; customer: string; run: string }
  /** the customers whose master data the shard holds (a run over the whole base estimates its total from them) */
  | { op: 'countImported' }
  /** why the shard's segment memberships are still being worked out (`SegmentSweep.pending`), or undefined */
  | { op: 'segmentsPending' }
  /** an offer's model reset: the shard's statistics of it emptied (its weights are the node's, handed anew) */
  | { op: 'resetModel'; offer: string }
  /** the identity conflicts the shard recorded (between two of its customers), a page in id order after `cursor`: the main thread merges every shard's (sharded-identity.ts) */
  | { op: 'conflicts'; limit: number; cursor?: string | undefined; status?: IdentityConflictRecord['status'] | undefined }
  /** the shard's conflicts naming a customer, as holder or claimant (a subject-access export lists them with the node's) */
  | { op: 'conflictsNaming'; id: string }
  /** one of the shard's conflicts dismissed, the audit entry (its before and after filled in here) written with the change; undefined when the shard has no such conflict */
  | { op: 'dismissConflict'; id: string; draft: AuditDraft }
  /**
   * conflicts the shard kept naming a customer it merged away across shards (`ids`, those the
   * node re-pointed into its own store: sharded-identity.ts) removed, as that customer's erasure
   * removes what names them (the customer is erased here already)
   */
  | { op: 'dropConflicts'; customer: string; ids: string[] }
  /** the shard's customer an identifier is linked to (a conflict across shards names it) */
  | { op: 'holderOf'; kind: ContactIdentifierKind; value: string }
  /** two of the shard's customers merged as a single node merges them, the audit entry (its before and after filled in here) written with the loser's erasure */
  | { op: 'merge'; into: string; from: string; draft: AuditDraft }
  /** a merge across shards, the loser's side: its state and queues, its mailbox held here until `mergeOutEnd` */
  | { op: 'mergeOut'; from: string }
  /** the loser's side ended: erased once merged into `into` (its identifiers, queues and history are the survivor's), else let go */
  | { op: 'mergeOutEnd'; from: string; into?: string | undefined }
  /**
   * a merge across shards, the survivor's side: the loser's state merged in, its audit entry
   * (before and after filled in here) written here; without `departing` (the loser gone from
   * its shard), the outcome of the merge made here before, or `conflict`
   */
  | { op: 'mergeIn'; into: string; from: string; departing?: Departing | undefined; draft?: AuditDraft | undefined }
  /** the node's manual clock moved (`POST /v1/clock`): the shard's set to it, a poll of its due reminders delivered, its runs looked at; answers how many reminders fired */
  | { op: 'clock'; now: number }
  /** an SMS receipt the node's SMPP bind took for one of the shard's offers: the contact learns delivered or failed */
  | { op: 'delivery'; instance: string; status: 'delivered' | 'failed' | 'suppressed'; reason?: string | undefined };

/** What each call answers. */
export interface ShardCallResults {
  view: CustomerView | undefined;
  erase: { identifiers: number; links: Array<{ kind: ContactIdentifierKind; value: string }> } | undefined;
  explain: { customer: string; at: number; actions: readonly DecisionAction[]; explain: Explanation[] } | undefined;
  preview: Preview[] | undefined;
  stop: null;
  totals: ShardTotals;
  actors: { hotActors: number; dirtyActors: number };
  audit: AuditRecord[];
  members: string[];
  scanPlan: ScanPlan | undefined;
  outbox: ShardOutboxPage;
  retry: boolean;
  upsert: 'created' | 'updated' | 'unchanged';
  importRows: { counts: ImportCounts; rejects: Reject[] };
  runs: RunRecord[];
  run: RunRecord | undefined;
  runStart: RunRecord;
  runPlan: null;
  runMove: RunRecord;
  runCalls: RunCallRecord[];
  callOf: CallView | undefined;
  countImported: number;
  segmentsPending: 'import' | 'sweep' | undefined;
  resetModel: null;
  conflicts: { conflicts: IdentityConflictRecord[]; next?: string };
  conflictsNaming: IdentityConflictRecord[];
  dismissConflict: IdentityConflictRecord | undefined;
  dropConflicts: null;
  holderOf: string | undefined;
  merge: MergeOutcome;
  mergeOut: Departing;
  mergeOutEnd: null;
  mergeIn: MergeOutcome;
  clock: number;
  delivery: HostReply;
}

export type ShardCallResult<C extends ShardCall> = ShardCallResults[C['op']];

export interface ShardTotals {
  counters: Array<{ key: string; value: FlatCounter }>;
}

/** What a shard answers calls with. */
export interface ShardCallParts {
  host: CustomerHost;
  store: Store;
  /** the shard's engine of outbound runs, over its own customers */
  runs: OutboundRuns;
  /** the shard's model registry (its models the node's, shared) */
  models: ModelRegistry;
  catalog: () => Catalog;
  stopList: StopList;
  /** every total across customers the shard keeps (src/runtime/ledger-counters.ts) */
  counters: ReadonlyArray<MetaCounters<object>>;
  /** wakes the shard's dispatcher, or the entry's channel's subscribers (an entry sent again: `OutboxDispatcher.retried`) */
  kick: (retried: OutboxRecord) => void;
  /** the shard's manual clock (a node on a manual clock), moved by the main thread's */
  manual?: ManualClock | undefined;
  clock: Clock;
  logger: Logger;
  /** the shard's pass over the customers an import created or changed (`SegmentSweep.afterImport`) */
  segmentPass?: { afterImport(ids: readonly string[]): Promise<void>; pending(): Promise<'import' | 'sweep' | undefined> };
}

/** Answers a call in the shard (its worker). */
export async function answerCall(p: ShardCallParts, call: ShardCall): Promise<ShardCallResults[ShardCall['op']]> {
  switch (call.op) {
    case 'view': {
      const id = 'id' in call ? call.id : await p.store.lookupIdentity(call.kind, call.value);
      return id === undefined ? undefined : p.host.view(id);
    }
    case 'erase': {
      // (what it holds now: an identifier linked between this read and the erasure stays in the directory, pointing here)
      const view = await p.host.view(call.id);
      if (view === undefined) return undefined;
      const erased = await p.host.erase(call.id, (e) => ({ ...call.draft, after: { ...(call.draft.after as object), identifiers: e.identifiers } }));
      if (erased === undefined) return undefined;
      return { identifiers: erased.identifiers, links: identifierList(view.identifiers) };
    }
    case 'explain':
      return p.host.explain(call.id, call.event);
    case 'preview': {
      const campaign = p.catalog().campaigns.find((c) => c.id === call.campaign);
      if (campaign === undefined) throw new KairosError('not_found', `no campaign "${call.campaign}"`);
      return p.host.preview(call.id, campaign, call.event);
    }
    case 'stop':
      if ('put' in call) p.stopList.take(call.put);
      else p.stopList.drop(call.remove.key, call.remove.channel, call.remove.campaign);
      return null;
    case 'totals': {
      const counters: Array<{ key: string; value: FlatCounter }> = [];
      for (const c of p.counters) for (const [id, v] of c.all()) counters.push({ key: `${c.prefix}${id}`, value: flattenCounter(v) });
      return { counters };
    }
    case 'actors':
      return { hotActors: p.host.hotCount, dirtyActors: p.host.dirtyCount };
    case 'audit':
      return p.store.listAudit(call.after, call.limit);
    case 'members':
      return p.store.listSegmentMembers(call.segment, call.limit, call.after);
    case 'scanPlan':
      return parallelScanOf(p.store)?.parallelScan();
    case 'outbox': {
      const query = { limit: call.limit, ...(call.after === undefined ? {} : { cursor: String(call.after) }) };
      return call.dead ? deadPage(p.store, call.channel, query) : outboxPage(p.store, call.channel, query);
    }
    case 'retry':
      return retryOutboxEntry(p.store, call.channel, call.instance, call.draft, p.kick);
    case 'upsert': {
      const caller = { principal: call.principal };
      return call.mode === 'put' ? putCustomer(p, call.id, call.body, caller) : patchCustomer(p, call.id, call.body, call.reason, caller);
    }
    case 'importRows':
      return importRowsHere(p, call.rows, call.now);
    case 'runs':
      return p.runs.list(call.campaign);
    case 'run':
      return p.runs.get(call.id);
    case 'runStart':
      return p.runs.start(call.campaign, call.startedBy, call.at, { part: { id: call.id, paused: true } });
    case 'runPlan':
      await p.runs.plan(call.run);
      return null;
    case 'runMove':
      return call.verb === 'cancel' ? p.runs.cancel(call.id, undefined, { done: call.done === true }) : p.runs[call.verb](call.id);
    case 'runCalls':
      return p.runs.calls(call.id);
    case 'callOf':
      return p.host.callOf(call.customer, call.run);
    case 'countImported':
      return p.store.countImported();
    case 'segmentsPending':
      return p.segmentPass?.pending();
    case 'resetModel':
      p.models.resetStats(call.offer);
      return null;
    case 'conflicts':
      return p.host.identityConflicts.list(call.limit, call.cursor, call.status);
    case 'conflictsNaming':
      return conflictsNaming(p.store, call.id);
    case 'dismissConflict':
      return dismissHere(p.host.identityConflicts, call.id, call.draft);
    case 'dropConflicts':
      await p.store.eraseCustomer(call.customer, [], undefined, call.ids.map((id) => CONFLICT_PREFIX + id));
      return null;
    case 'holderOf':
      return p.store.lookupIdentity(call.kind, call.value);
    case 'merge':
      return p.host.merge(call.into, call.from, (m) => mergeAudit(call.draft, m));
    case 'clock': {
      if (p.manual === undefined) throw new KairosError('invalid', 'the clock is not manual (KAIROS_CLOCK=manual)');
      p.manual.set(call.now);
      // (one poll: the route asks again until no shard's reminder fires, as it polls a single node's)
      const fired = await p.host.pollReminders();
      await p.runs.tick();
      return fired;
    }
    case 'delivery':
      return p.host.submitDelivery(call.instance, call.status, call.reason);
    case 'mergeOut':
      return p.host.mergeOut(call.from);
    case 'mergeOutEnd':
      await p.host.endMergeOut(call.from, call.into);
      return null;
    case 'mergeIn': {
      const { draft } = call;
      return p.host.mergeIn(call.into, call.from, call.departing, draft === undefined ? undefined : (m) => mergeAudit(draft, m));
    }
  }
}
