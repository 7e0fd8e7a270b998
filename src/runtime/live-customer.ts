import type { CustomerContext, CustomerSnapshot, Explanation } from '../../actors/index.js';
import type { SharedCharge, StoredSnapshot } from '../store/store.js';

/** What is stored for a customer actor: its lifecycle state and its context. */
export interface PersistedCustomer {
  value: CustomerSnapshot['value'];
  context: CustomerContext;
}

/** A reply waiting for its customer's state to be committed up to a version. */
export interface Waiter {
  version: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A live customer: its machine snapshot and what the host tracks of it. */
export interface Live {
  id: string;
  snapshot: CustomerSnapshot;
  /** bumped on every change; `flushed` is the version last written */
  version: number;
  flushed: number;
  /** the store's revision of the snapshot this state builds on (shared stores refuse a commit from an older one) */
  rev: number;
  /** shared stores: budget and capacity this actor's uncommitted contacts spend, reserved with its next commit */
  charges?: SharedCharge[];
  /** shared stores: what its uncommitted messages add to the totals (funnel, learning), applied once committed */
  afterCommit?: Array<() => void>;
  /**
   * the snapshot this node last committed for it (the base of its next change record,
   * docs/runtime.md#change-records); absent until its first commit after activation
   */
  committed?: StoredSnapshot;
  /** its segment memberships as the store's member index last had them (written with the next commit when they differ) */
  indexed?: Readonly<Record<string, number>>;
  lastExplain: Explanation[];
  /** performance.now() of the last message (or activation): idle passivation reads it */
  touchedAt: number;
  /** replies waiting for this actor's state to be committed up to a version */
  waiters?: Waiter[];
  /** keys of the identities remembered for this actor (`identity.ts`): dropped with it */
  identityKeys?: string[];
}
