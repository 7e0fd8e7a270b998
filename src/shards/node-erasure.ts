import { identifierList } from '../../actors/index.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FORWARD_PREFIX } from '../runtime/customer-merge.js';
import type { IdentityConflicts } from '../runtime/identity-conflicts.js';
import { metaNaming } from '../runtime/identity-conflicts.js';
import type { Store } from '../store/store.js';
import type { ShardedMerge } from './sharded-identity.js';
import type { Shards } from './shards.js';

/** Where the node's store journals an erasure until its last step, by the customer's id (not `erasing/`: the LMDB store reads that as its own journal of key slots). */
export const NODE_ERASING_PREFIX = 'customer-erasing/';

/** An erasure as the node's store journals it: the customer, and the audit entry its shard writes. */
export interface NodeErasing {
  id: string;
  draft: AuditDraft;
}

export interface NodeErasureParts {
  shards: Pick<Shards, 'call' | 'shardOf' | 'erase' | 'hold' | 'unforward' | 'answered'>;
  /** the node's store (the main thread's): conflicts across shards, merges across shards, the journal */
  store: Store;
  /** the conflicts between customers of two shards (the node's store's): none naming the customer recorded from the erasure's start on */
  conflicts: Pick<IdentityConflicts, 'forgetting' | 'erasureFailed'>;
  /** an erasure runs between merges */
  merges: Pick<ShardedMerge, 'exclusive'>;
  /** copies a shard's audit entries into the node's trail (sharded-admin.ts `AuditRelay`) */
  intoNodeTrail: (shard: number) => Promise<void>;
  logger: Logger;
}

/**
 * An erasure on a node with shards (docs/privacy.md#erasure, docs/scale-out.md): what the
 * customer's shard holds, erased there as a single node erases (its own conflicts and merge
 * forwards naming them too, the audit entry in the same transaction), then what the node's
 * store holds naming them: the identity conflicts between customers of two shards (holder or
 * claimant) and the merges across shards from or to them (the router forwards neither way any
 * more). Journaled in the node's store first (`customer-erasing/<id>`, on disk), removed in the
 * transaction that removes the node's entries: a stop, or a step that failed (a shard that
 * could not answer), leaves the journal, and the erasure is finished at the next start, before
 * the gateways are served, or by `DELETE` again. Between merges, one at a time; the gateways'
 * requests naming the customer (by id, identifier, offer, or an id merged into them) wait,
 * and go on afterwards as they would after a single node's erasure. Those routed to the
 * customer's shard before that hold (in the router's queue, behind a directory write, or in
 * the shard's hands) are answered before the shard is asked to erase, so none is decided on
 * the customer after their erasure (an identifier one of them linked to the customer is held
 * too); a shard that does not answer them in 30 s fails the erasure `overloaded`, nothing
 * erased, the journal kept. (At a start nothing is routed before the journaled ones finish.)
 */
export class NodeErasure {
  constructor(private readonly p: NodeErasureParts) {}

  /** At start: the erasures a stop or a failed step left journaled, finished (each logged; one that fails again stays journaled). */
  async load(): Promise<void> {
    for (const { value } of await this.p.store.listMeta(NODE_ERASING_PREFIX, Number.MAX_SAFE_INTEGER)) {
      const { id, draft } = value as NodeErasing;
      this.p.logger.warn({ customer: id }, 'an erasure was left unfinished; finishing it');
      try {
        await this.finish(id, draft);
        this.p.logger.info({ customer: id }, 'an unfinished erasure finished');
      } catch (err) {
        this.p.logger.error({ err, customer: id }, 'an unfinished erasure could not be finished; it is tried again by DELETE, or at the next start');
      }
    }
  }

  /**
   * Erases a customer (`DELETE /v1/customers/{id}`), `draft` its audit entry; undefined: no
   * such customer (and no erasure of theirs left unfinished). One left unfinished is finished,
   * counting the identifiers its shard removes now (none once it erased them).
   */
  erase(id: string, draft: AuditDraft): Promise<{ identifiers: number } | undefined> {
    return this.p.merges.exclusive(async () => {
      const { shards, store } = this.p;
      const journaled = (await store.getMeta(NODE_ERASING_PREFIX + id)) as NodeErasing | undefined;
      const found = await shards.call(shards.shardOf(id), { op: 'view', id });
      // (an id merged into another customer of its shard shows the survivor's card: no customer by that id, as on a single node)
      const view = found?.id === id ? found : undefined;
      if (view === undefined && journaled === undefined) return undefined;
      if (journaled === undefined) await store.commit({ snapshots: [], identities: [], outbox: [], meta: [{ key: NODE_ERASING_PREFIX + id, value: { id, draft } satisfies NodeErasing }], sync: true });
      const index = shards.shardOf(id);
      const releases = [shards.hold(id, view === undefined ? [] : identifierList(view.identifiers))];
      try {
        await this.earlierAnswered(index);
        // (an identifier a request before the hold linked to them: its requests held too, those routed meanwhile answered first)
        const now = view === undefined ? undefined : await shards.call(index, { op: 'view', id });
        const held = new Set(view === undefined ? [] : identifierList(view.identifiers).map((i) => `${i.kind}:${i.value}`));
        const more = now?.id === id ? identifierList(now.identifiers).filter((i) => !held.has(`${i.kind}:${i.value}`)) : [];
        if (more.length > 0) {
          releases.push(shards.hold(id, more));
          await this.earlierAnswered(index);
        }
        return await this.finish(id, draft);
      } finally {
        for (const release of releases) release();
      }
    });
  }

  /**
   * Waits until the customer's shard has answered every request routed to it before now (in
   * the router's queue, behind a directory write, or in the shard's hands): the erasure's call
   * to the shard comes after them, so none is decided on the customer after their erasure.
   * Not answered in time: `overloaded`, nothing erased yet (the journal stays: `DELETE` again,
   * or the next start, finishes it).
   */
  private async earlierAnswered(index: number): Promise<void> {
    if (!(await this.p.shards.answered(index))) throw new KairosError('overloaded', `shard ${index} did not answer the requests sent to it before the erasure; nothing was erased yet, retry later`);
  }

  /** The erasure's steps, each safe to take again; the journal's entry goes with the node's last. */
  private async finish(id: string, draft: AuditDraft): Promise<{ identifiers: number }> {
    const { shards, store } = this.p;
    // (no conflict naming them recorded from now on, for minutes: a decision naming them as the claimant
    // may reach this thread after their shard's erasure, a holder's shard answer after theirs; one being
    // written is in the store before it is looked for)
    await this.p.conflicts.forgetting(id);
    // (its shard erases and audits it, then its identifiers are forgotten in the directory; undefined: erased there before.
    // Failed, the customer is still there: conflicts naming them are recorded again until the journaled erasure is taken up again)
    let erased: { identifiers: number } | undefined;
    try {
      erased = await shards.erase(id, draft);
    } catch (err) {
      this.p.conflicts.erasureFailed(id);
      throw err;
    }
    if (erased !== undefined) await this.p.intoNodeTrail(shards.shardOf(id));
    const keys = await metaNaming(store, id);
    shards.unforward(id);
    for (const key of keys) if (key.startsWith(FORWARD_PREFIX)) shards.unforward(key.slice(FORWARD_PREFIX.length));
    // (the node's store holds no records of the customer's: its erasure there is these entries and the journal's, in one transaction)
    await store.eraseCustomer(id, [], undefined, [...keys, NODE_ERASING_PREFIX + id]);
    return erased ?? { identifiers: 0 };
  }
}
