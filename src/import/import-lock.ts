import type { Store } from '../store/store.js';

/**
 * One import run at a time between checking rows and committing them, per store: a row's
 * identifiers are checked against the store and the run's own uncommitted rows, so two runs
 * (two `PUT`s naming one phone, a `PATCH` during an import through the API) checking at once
 * would each find the identifier free and both link it. A run holds its store's lock from its
 * first row to its last commit, and between two batches gives it up to a run waiting for it
 * (its batch in flight committed first), and so does a run waiting for its next rows (a client
sending its body slowly), so a long or slow import does not hold a `PUT` back for long.
 */
export class ImportLock {
  private held = false;
  private readonly waiting: Array<() => void> = [];
  /** the holder's: called when a run starts waiting for the lock (a holder idle for its rows hands it over) */
  onContended: (() => void) | undefined;

  /** Resolves once the caller holds the lock. */
  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    const got = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.onContended?.();
    return got;
  }

  /** Hands the lock to the first run waiting, else frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.held = false;
  }

  /** Whether a run is waiting for the lock. */
  get contended(): boolean {
    return this.waiting.length > 0;
  }
}

const locks = new WeakMap<Store, ImportLock>();

/**
 * Runs `fn` holding `store`'s import lock, for a change that must be one step with what it
 * reads and writes around its import run: `PUT`/`PATCH /v1/customers/{id}` apply the row, read
 * the record and the customer's state, tell the state and write the audit entry in one turn,
 * so two of them on one customer are applied, told and audited in one order (the run inside
 * is given `lockHeld`: it neither takes the lock again nor hands it over).
 */
export async function withImportLock<T>(store: Store, fn: () => Promise<T>): Promise<T> {
  const lock = importLockOf(store);
  await lock.acquire();
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** The import lock of `store` (one for every run on that store object in this process). */
export function importLockOf(store: Store): ImportLock {
  let lock = locks.get(store);
  if (lock === undefined) locks.set(store, (lock = new ImportLock()));
  return lock;
}
