import type { ContactIdentifierKind } from '../../actors/index.js';
import { identifierList } from '../../actors/index.js';
import type { Logger } from '../logger.js';
import type { Departing, MergeOutcome } from '../runtime/customer-merge.js';
import { FORWARD_PREFIX } from '../runtime/customer-merge.js';
import { isVisitorId } from '../runtime/identity.js';
import { auditDraft } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import { dismissIdentityConflictOperation, listIdentityConflictsOperation, mergeCustomersOperation } from '../admin/identity-routes.js';
import type { IdentityConflictRecord, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { route } from '../schema/http/bind-route.js';
import type { AuditDraft, Store } from '../store/store.js';
import type { Route } from '../transport/http.js';
import { dismissHere } from './shard-calls.js';
import type { Shards } from './shards.js';

/** An identifier the router withheld from an event because another shard holds it (shards.ts `route`). */
export interface Withheld {
  kind: ContactIdentifierKind;
  value: string;
  /** the shard the directory claimed it for: its holder lives there */
  shard: number;
}

/** A page of conflicts, as each source answers and as the node answers. */
export interface ConflictPage {
  conflicts: IdentityConflictRecord[];
  next?: string;
}

/**
 * Pages of conflicts from several sources (every shard's, the node's own), each in id order
 * after the same cursor, merged: the first `limit` in id order, and `next` when any source had
 * more or more than `limit` came. A page's last id is the next page's cursor in every source
 * alike, so paging goes through the node's conflicts once each.
 */
export function mergeConflictPages(pages: readonly ConflictPage[], limit: number): ConflictPage {
  const all = pages.flatMap((p) => p.conflicts).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const conflicts = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.next !== undefined);
  const last = conflicts[conflicts.length - 1];
  return more && last !== undefined ? { conflicts, next: last.id } : { conflicts };
}

export interface ShardedIdentityParts {
  shards: Pick<Shards, 'count' | 'call' | 'callEvery'>;
  /** merges, one shard's or across shards */
  merges: Pick<ShardedMerge, 'merge'>;
  /** conflicts between customers of two shards, kept in the node's store (the main thread's) */
  conflicts: IdentityConflicts;
  clock: Clock;
  /** copies a shard's audit entries into the node's trail (sharded-admin.ts `AuditRelay`) */
  intoNodeTrail: (shard: number) => Promise<void>;
}

/** How many conflicts across shards may be being recorded at once; past it, one is not recorded (counted as withheld all the same). */
const RECORDING = 64;
/** The recordings under way. */
const recordings = new Set<Promise<void>>();

/**
 * Records the conflicts an event's withheld identifiers make (after its decision named the
 * claimant): each identifier's holder asked of its shard, the conflict kept in the node's
 * store as a single node keeps one (`IdentityConflicts.record`: counted, logged without the
 * identifier). A holder the shard no longer knows (erased meanwhile) makes none, and neither
 * does a holder or claimant being or recently erased: `IdentityConflicts.record` refuses it
 * (`forgetting`), since the erasure removes the conflicts naming them and the decision's reply,
 * or the holder's shard's answer, may come after it. At most RECORDING at once: the busiest
 * customers' repeats do not pile questions onto the shards.
 */
export function recordWithheld(p: Pick<ShardedIdentityParts, 'shards' | 'conflicts'>, claimant: string, withheld: readonly Withheld[]): Promise<void> {
  if (recordings.size >= RECORDING) return Promise.resolve();
  const run = (async () => {
    for (const w of withheld) {
      const holder = await p.shards.call(w.shard, { op: 'holderOf', kind: w.kind, value: w.value });
      if (holder === undefined || holder === claimant) continue;
      await p.conflicts.record({ kind: w.kind, value: w.value, holder, claimant });
    }
  })();
  recordings.add(run);
  const done = (): void => void recordings.delete(run);
  run.then(done, done);
  return run;
}

/**
 * Identity on a node with shards (docs/scale-out.md): the conflicts every shard recorded
 * between two of its own customers and those the node recorded between customers of two
 * shards, listed as one, dismissed where they are kept (the audit entry with the change there,
 * a shard's copied into the node's trail before the answer); two customers of one shard
 * merged by that shard as a single node merges them.
 */
export function shardedIdentityRoutes(p: ShardedIdentityParts): Route[] {
  const { shards, conflicts, clock } = p;
  return [
    route(listIdentityConflictsOperation, async ({ query: { limit = 100, cursor, status } }) => {
      const [own, ...theirs] = await Promise.all([conflicts.list(limit, cursor, status), shards.callEvery({ op: 'conflicts', limit, cursor, status })]);
      return { status: 200, body: mergeConflictPages([own, ...theirs.flat()], limit) };
    }),
    route(dismissIdentityConflictOperation, async ({ params: { id }, call }) => {
      const draft = auditDraft(call, clock.now(), 'identity-conflict.dismiss', `identity-conflict:${id}`);
      const here = await dismissHere(conflicts, id, draft);
      if (here !== undefined) return { status: 200, body: here };
      for (let i = 0; i < shards.count; i++) {
        const dismissed = await shards.call(i, { op: 'dismissConflict', id, draft });
        if (dismissed === undefined) continue;
        await p.intoNodeTrail(i);
        return { status: 200, body: dismissed };
      }
      throw new KairosError('not_found', `no identity conflict "${id}"`);
    }),
    route(mergeCustomersOperation, async ({ params: { id }, body: { from }, call }) => ({
      status: 200,
      body: await p.merges.merge(id, from, auditDraft(call, clock.now(), 'customer.merge', `customer:${id}`)),
    })),
  ];
}

/**
 * A login on another shard than the visitor's whose cookie it named (the bank's policy
 * `KAIROS_MERGE_VISITOR_ON_LOGIN`): the visitor merged into the person, after the login's
 * decision (on a single node, before it). Not audited, as on a single node.
 */
export async function mergeAtLogin(p: { shards: Pick<Shards, 'call'>; merges: Pick<ShardedMerge, 'merge'> }, person: string, cookie: Withheld): Promise<void> {
  if (isVisitorId(person)) return;
  const visitor = await p.shards.call(cookie.shard, { op: 'holderOf', kind: cookie.kind, value: cookie.value });
  if (visitor === undefined || !isVisitorId(visitor)) return;
  await p.merges.merge(person, visitor);
}

/** A merge across shards as the node's store keeps it, by the loser's id: the survivor, and how far it went. */
interface NodeForward {
  to: string;
  at: number;
  /** the survivor has the loser merged in, and the router forwards to it */
  done: boolean;
  /** and the loser's shard erased it */
  erased?: boolean;
  /** refused before the survivor's shard merged anything (the loser stays where it was) */
  abandoned?: boolean;
  /** the audit entry's who and when (none for a merge at a login, as on a single node) */
  draft?: AuditDraft;
}

/** How often a step a shard (or the directory) could not take is tried again, a second apart, before the merge answers 503 (it goes on when asked again, or at the next start). */
const ATTEMPTS = 30;

/** Errors that refuse a merge whatever is tried again: nothing was merged. */
const refusal = (err: unknown): boolean => err instanceof KairosError && ['unknown_customer', 'conflict', 'invalid', 'not_found'].includes(err.code);

export interface ShardedMergeParts {
  shards: Pick<Shards, 'call' | 'shardOf' | 'forward' | 'hold' | 'answered'>;
  /** the node's store (the main thread's): merges across shards are recorded there */
  store: Store;
  /** the node's identity conflicts (between customers of two shards, in `store`): a merge closes or re-points those naming the loser */
  conflicts: Pick<IdentityConflicts, 'merged' | 'adopt'>;
  clock: Clock;
  logger: Logger;
  intoNodeTrail: (shard: number) => Promise<void>;
}

/**
 * Merges on a node with shards (docs/scale-out.md), one at a time. Two customers of one shard:
 * that shard merges them as a single node does. Across shards, in steps the node's store
 * records (`customer-forward/<loser>`), each safe to take again, so that a merge a stop or a
 * shard that cannot answer interrupts is finished when asked again or at the next start:
 * 1. the gateways' requests naming the loser (its id, its identifiers, its offers, the ids
 *    forwarding to it) are held on the main thread, and those already sent to the loser's
 *    shard are answered;
 * 2. the loser's shard reads its state, queued outbox entries, reminders and the customers
 *    merged into it before, and holds its mailbox (its own timers and deliveries wait);
 * 3. the survivor's shard merges them in as a single node merges, in one transaction with the
 *    loser's forwarding and the outcome, and writes the audit entry (once, asked again);
 * 4. the router forwards the loser's id (and those forwarding to it) to the survivor, and the
 *    loser's identifiers are claimed for the survivor's shard in the directory;
 * 5. the loser's shard erases it; the held requests go, to the survivor.
 * From step 3 on, the merge is finished whatever happens: each step is tried again until it
 * is taken (the held requests wait), then, should a shard still not answer, at the next ask
 * or start.
 */
export class ShardedMerge {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly p: ShardedMergeParts) {}

  /** At start: the router forwards every merged customer, and merges left unfinished are finished (in the background, logged). */
  async load(): Promise<void> {
    const pending: Array<[string, NodeForward]> = [];
    for (const { key, value } of await this.p.store.listMeta(FORWARD_PREFIX, Number.MAX_SAFE_INTEGER)) {
      const from = key.slice(FORWARD_PREFIX.length);
      const f = value as NodeForward;
      if (f.done) await this.p.shards.forward(from, f.to);
      if (f.abandoned !== true && f.erased !== true) pending.push([from, f]);
    }
    for (const [from, f] of pending) {
      this.p.logger.warn({ from, into: f.to }, 'a merge across shards was left unfinished; finishing it');
      // (the loser's requests held from now, before the gateways are served, until its turn has come and gone)
      const early = this.p.shards.hold(from, []);
      void this.queued(() => this.held(from, f).finally(early)).then(
        () => this.p.logger.info({ from, into: f.to }, 'an unfinished merge across shards finished'),
        (err: unknown) => this.p.logger.error({ err, from, into: f.to }, 'an unfinished merge across shards could not be finished; it is tried again when asked, or at the next start'),
      );
    }
  }

  /** Merges `from` into `into` (the single node's answers: 400 into itself, 404 unknown, 409 merged away already); audited with `draft`. */
  merge(into: string, from: string, draft?: AuditDraft): Promise<MergeOutcome> {
    return this.queued(() => this.mergeNow(into, from, draft));
  }

  /** Runs `fn` between merges, none under way meanwhile (an erasure: node-erasure.ts). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.queued(fn);
  }

  private queued<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.catch(() => undefined).then(fn);
    this.chain = run;
    return run;
  }

  private async mergeNow(into: string, from: string, draft: AuditDraft | undefined): Promise<MergeOutcome> {
    const { shards, store } = this.p;
    if (into === from) throw new KairosError('invalid', `field "from": a customer cannot be merged into itself ("${into}")`);
    const before = (await store.getMeta(FORWARD_PREFIX + from)) as NodeForward | undefined;
    // (the same merge left unfinished: asked again, it goes on where it stopped)
    if (before !== undefined && before.abandoned !== true && before.to === into && before.erased !== true) return this.held(from, before);
    for (const [id, f] of [[from, before] as const, [into, (await store.getMeta(FORWARD_PREFIX + into)) as NodeForward | undefined] as const]) {
      if (f !== undefined && f.abandoned !== true) throw new KairosError('conflict', `customer "${id}" was merged into "${f.to}"`);
    }
    const a = shards.shardOf(into);
    const b = shards.shardOf(from);
    if (a === b) {
      // (a login's visitor of the same shard is merged there, as on a single node: never asked here)
      if (draft === undefined) throw new KairosError('internal', 'a merge within a shard is audited');
      const outcome = await shards.call(a, { op: 'merge', into, from, draft });
      // (the shard closed or re-pointed its own conflicts naming the loser; those across shards are the node's)
      await this.conflictsMerged(from, into, undefined);
      await this.p.intoNodeTrail(a);
      return outcome;
    }
    if ((await shards.call(b, { op: 'view', id: from })) === undefined) throw new KairosError('unknown_customer', `no customer "${from}"`);
    if ((await shards.call(a, { op: 'view', id: into })) === undefined) throw new KairosError('unknown_customer', `no customer "${into}"`);
    const record: NodeForward = { to: into, at: this.p.clock.now(), done: false, ...(draft === undefined ? {} : { draft }) };
    await store.putMeta(FORWARD_PREFIX + from, record);
    return this.held(from, record);
  }

  /** Steps 1-5 (see the class): the loser's requests held meanwhile. */
  private async held(from: string, record: NodeForward): Promise<MergeOutcome> {
    const b = this.p.shards.shardOf(from);
    // (its identifiers as its shard holds them now; none once erased there)
    const loser = await this.p.shards.call(b, { op: 'view', id: from }).catch(() => undefined);
    const release = this.p.shards.hold(from, loser === undefined ? [] : identifierList(loser.identifiers));
    try {
      if (!(await this.p.shards.answered(b))) throw unfinished(new KairosError('overloaded', `shard ${b} did not answer its earlier requests`));
      return await this.finish(from, record);
    } finally {
      release();
    }
  }

  private async finish(from: string, record: NodeForward): Promise<MergeOutcome> {
    const { shards, store } = this.p;
    const into = record.to;
    const a = shards.shardOf(into);
    const b = shards.shardOf(from);
    let outcome: MergeOutcome | undefined;
    let departing: Departing | undefined;
    // Steps 2 and 3, tried again while a shard cannot answer (the loser read afresh each time; the survivor's shard merges once).
    const draft = record.draft === undefined ? {} : { draft: record.draft };
    let undetermined = false;
    for (let attempt = 1; outcome === undefined; attempt++) {
      try {
        departing = await shards.call(b, { op: 'mergeOut', from }).catch((err: unknown) => {
          // (merged before and erased in its shard since, its last step not recorded: the survivor's shard has the outcome)
          if (record.done && err instanceof KairosError && err.code === 'unknown_customer') return undefined;
          throw err;
        });
        outcome = await shards.call(a, { op: 'mergeIn', into, from, departing, ...draft }).catch(async (err: unknown) => {
          // (its answer lost, the survivor's shard may have merged all the same: asked, before the loser is let go)
          if (departing === undefined || refusal(err)) throw err;
          for (let asked = 1; ; asked++) {
            try {
              return await shards.call(a, { op: 'mergeIn', into, from, ...draft });
            } catch (again) {
              if (again instanceof KairosError && again.code === 'not_found') throw err;
              if (asked >= ATTEMPTS) {
                undetermined = true;
                throw unfinished(again);
              }
              await pause();
            }
          }
        });
      } catch (err) {
        // (whether the survivor's shard merged is not known: the loser is not let go; its shard's hold lapses, or the next ask reads it again)
        if (undetermined) throw err;
        await shards.call(b, { op: 'mergeOutEnd', from }).catch(() => undefined);
        if (refusal(err)) {
          // (refused before anything was merged; a merge marked done stays so: its next ask, or the next start, tries again)
          if (!record.done) await store.putMeta(FORWARD_PREFIX + from, { ...record, abandoned: true } satisfies NodeForward);
          throw err;
        }
        if (attempt >= ATTEMPTS) throw unfinished(err);
        await pause();
      }
    }
    // Steps 4 and 5: the survivor holds the loser now; taken until they are done.
    const taken = departing;
    await this.untilTaken(async () => {
      await shards.forward(from, into, taken === undefined ? [] : identifierList(taken.state.context.identifiers));
      for (const id of taken?.forwarded ?? []) {
        await shards.forward(id, into);
        await store.putMeta(FORWARD_PREFIX + id, { to: into, at: record.at, done: true, erased: true } satisfies NodeForward);
      }
      await store.putMeta(FORWARD_PREFIX + from, { ...record, done: true } satisfies NodeForward);
    });
    await this.untilTaken(() => shards.call(b, { op: 'mergeOutEnd', from, into }));
    await this.conflictsMerged(from, into, b);
    await store.putMeta(FORWARD_PREFIX + from, { ...record, done: true, erased: true } satisfies NodeForward);
    await this.p.intoNodeTrail(a);
    return outcome;
  }

  /**
   * The identity conflicts naming the loser, once merged (as a single node's merge does them,
   * `IdentityConflicts.merged`): the node's own (between customers of two shards) closed or
   * re-pointed to the survivor, those re-pointed removed; after a merge across shards, those the
   * loser's shard `b` kept (the loser and another of its customers: two shards' once re-pointed)
   * re-pointed into the node's store and removed there. Never fails the merge: logged.
   * (A stop between a copy into the node's store and its removal in the shard counts those
   * copied twice when the merge is finished at the next start.)
   */
  private async conflictsMerged(from: string, into: string, b: number | undefined): Promise<void> {
    const { shards, store, conflicts, logger } = this.p;
    try {
      const keys = await conflicts.merged(from, into);
      if (keys.length > 0) await store.eraseCustomer(from, [], undefined, keys);
      if (b === undefined) return;
      const theirs = await shards.call(b, { op: 'conflictsNaming', id: from });
      if (theirs.length === 0) return;
      const ids = await conflicts.adopt(theirs, from, into);
      if (ids.length > 0) await shards.call(b, { op: 'dropConflicts', customer: from, ids });
    } catch (err) {
      logger.error({ err, from, into }, 'the identity conflicts naming a merged customer were not all updated; the merge stands');
    }
  }

  private async untilTaken(step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await step();
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) throw unfinished(err);
        await pause();
      }
    }
  }
}

const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 1000));

/** A merge a shard did not let finish: 503, asked again it goes on where it stopped. */
function unfinished(err: unknown): KairosError {
  const why = err instanceof KairosError ? err.message : 'internal error';
  return new KairosError('unavailable', `the merge did not finish (${why}): ask again, it goes on where it stopped`);
}
