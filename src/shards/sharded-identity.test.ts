import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import type { IdentityConflictRecord } from '../runtime/identity-conflicts.js';
import { CONFLICT_PREFIX, IdentityConflicts } from '../runtime/identity-conflicts.js';
import { MemoryStore } from '../store/memory-store.js';
import type { AuditDraft } from '../store/store.js';
import type { NodeErasureParts } from './node-erasure.js';
import { NODE_ERASING_PREFIX, NodeErasure } from './node-erasure.js';
import type { ShardedIdentityParts } from './sharded-identity.js';
import { recordWithheld } from './sharded-identity.js';

/**
 * The conflicts across shards an erasure races with (node-erasure.ts), on fakes of the shards:
 * none naming the customer is recorded once their erasure began, whether the holder's shard
 * answers after it or the claimant's decision reaches the node after it (its shard decided it
 * before erasing them), and one being written when it began is in the node's store before the
 * erasure looks for those naming them. An erasure whose shard does not answer the requests sent
 * to it before in time fails `overloaded`, nothing erased, its journal kept.
 */

const withheld = [{ kind: 'card' as const, value: '4000000000005678', shard: 1 }];
const draft = { at: 0, actor: 'dpo', action: 'customer.erase', target: 'customer:x' } as unknown as AuditDraft;

/**
 * A node: its store and conflicts, its erasure on shards that answer `holderOf` when the test
 * says (`answers`, in the order asked) and erase at once; `meanwhile` runs once, as the erasure
 * reaches its last step (the node's store removes what names the customer).
 */
function node() {
  const store = new MemoryStore();
  const conflicts = new IdentityConflicts({ store, secret: 'test-secret', clock: new ManualClock(0), metrics: createMetrics(), logger: createLogger('silent'), monotonicNow: () => 0 });
  const answers: Array<(holder: string | undefined) => void> = [];
  const hooks: { meanwhile?: () => void; answered?: boolean; erased?: number } = {};
  const shards = {
    count: 2,
    shardOf: () => 0,
    call: (_shard: number, call: { op: string; id?: string }) => {
      if (call.op === 'view') return Promise.resolve({ id: call.id, identifiers: {} });
      return new Promise<string | undefined>((resolve) => answers.push(resolve));
    },
    callEvery: () => Promise.resolve([]),
    erase: () => {
      hooks.erased = (hooks.erased ?? 0) + 1;
      return Promise.resolve({ identifiers: 1 });
    },
    hold: () => () => undefined,
    answered: () => Promise.resolve(hooks.answered ?? true),
    unforward: () => undefined,
  };
  const eraseCustomer = store.eraseCustomer.bind(store);
  store.eraseCustomer = (...args) => {
    hooks.meanwhile?.();
    hooks.meanwhile = undefined;
    return eraseCustomer(...args);
  };
  const parts: NodeErasureParts = { shards: shards as unknown as NodeErasureParts['shards'], store, conflicts, merges: { exclusive: (fn) => fn() }, intoNodeTrail: () => Promise.resolve(), logger: createLogger('silent') };
  const recording = { shards: shards as unknown as ShardedIdentityParts['shards'], conflicts };
  const naming = async (id: string): Promise<IdentityConflictRecord[]> => (await store.listMeta(CONFLICT_PREFIX, 10)).map((m) => m.value as IdentityConflictRecord).filter((c) => c.holder === id || c.claimant === id);
  return { store, erasure: new NodeErasure(parts), recording, answers, hooks, naming };
}

/** Until the fake shards have been asked `n` questions. */
async function asked(answers: readonly unknown[], n: number): Promise<void> {
  while (answers.length < n) await new Promise((r) => setTimeout(r, 1));
}

describe('recording the conflicts across shards beside an erasure', () => {
  it("records none naming a claimant whose event's decision came back while they were being erased, its holder answered after", async () => {
    const { erasure, recording, answers, hooks, naming } = node();
    // (the claimant's decision, answered by its shard before it erased them, reaches the node as the erasure ends)
    let recorded: Promise<void> | undefined;
    hooks.meanwhile = () => {
      recorded = recordWithheld(recording, 'claimant-1', withheld);
    };
    expect(await erasure.erase('claimant-1', draft)).toEqual({ identifiers: 1 });
    await asked(answers, 1);
    answers[0]!('holder-1');
    await recorded;
    expect(await naming('claimant-1')).toEqual([]);
  });

  it("records none naming a claimant whose event's decision came back after their erasure", async () => {
    const { erasure, recording, answers, naming } = node();
    await erasure.erase('claimant-1', draft);
    const recorded = recordWithheld(recording, 'claimant-1', withheld);
    await asked(answers, 1);
    answers[0]!('holder-1');
    await recorded;
    expect(await naming('claimant-1')).toEqual([]);
  });

  it('records none naming a holder erased while its shard was being asked; others are recorded', async () => {
    const { erasure, recording, answers, naming } = node();
    const recorded = recordWithheld(recording, 'claimant-2', withheld);
    await asked(answers, 1);
    await erasure.erase('holder-1', draft);
    answers[0]!('holder-1');
    await recorded;
    expect(await naming('holder-1')).toEqual([]);
    // (a conflict between two customers no erasure named is recorded as before)
    const other = recordWithheld(recording, 'claimant-2', withheld);
    await asked(answers, 2);
    answers[1]!('holder-2');
    await other;
    expect(await naming('holder-2')).toEqual([expect.objectContaining({ holder: 'holder-2', claimant: 'claimant-2', kind: 'card', count: 1 })]);
  });

  it('waits for a conflict being written when the erasure begins, and removes it', async () => {
    const { store, erasure, recording, answers, naming } = node();
    // (its write held at the store until the test lets it go)
    const putMeta = store.putMeta.bind(store);
    let reached!: () => void;
    const writing = new Promise<void>((r) => (reached = r));
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    store.putMeta = async (key, value) => {
      reached();
      await gate;
      return putMeta(key, value);
    };
    const recorded = recordWithheld(recording, 'claimant-3', withheld);
    await asked(answers, 1);
    answers[0]!('holder-3');
    await writing;
    let erased = false;
    const erasing = erasure.erase('holder-3', draft).then(() => (erased = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(erased).toBe(false);
    go();
    await Promise.all([recorded, erasing]);
    expect(await naming('holder-3')).toEqual([]);
  });
});

describe('an erasure behind the requests sent to the customer\'s shard before it', () => {
  it('fails overloaded when the shard does not answer them in time: nothing erased, the journal kept; erased once it does', async () => {
    const { store, erasure, hooks } = node();
    hooks.answered = false;
    await expect(erasure.erase('late-1', draft)).rejects.toMatchObject({ code: 'overloaded' });
    expect(hooks.erased).toBeUndefined();
    expect(await store.getMeta(`${NODE_ERASING_PREFIX}late-1`)).toMatchObject({ id: 'late-1' });
    hooks.answered = true;
    expect(await erasure.erase('late-1', draft)).toEqual({ identifiers: 1 });
    expect(hooks.erased).toBe(1);
    expect(await store.getMeta(`${NODE_ERASING_PREFIX}late-1`)).toBeUndefined();
  });
});
