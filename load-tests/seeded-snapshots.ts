import type { Catalog, GatewayEvent } from '../actors/index.js';
import { ManualClock } from '../src/clock.js';
import { bareHost } from '../src/test-support/bare-host.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { PersistedCustomer } from '../src/runtime/live-customer.js';
import type { Store, StoredSnapshot } from '../src/store/store.js';

/**
 * Many customers' real snapshots, written fast (load-tests/segment-count-bench.ts,
 * outbound-bench.ts): a few hundred template customers' card payments and log-ins stepped
 * through a host on the catalog (six hours of them from `SEED_T0`), each template's stored
 * snapshot then written for N/templates customers through the store's own `commit` (sealed as
 * in production).
 */
export const SEED_HOUR = 3_600_000;
/** The templates' first hour: a Monday, 12:00 in Moscow. */
export const SEED_T0 = Date.UTC(2031, 2, 10, 9, 0);
export const SEED_TEMPLATES = 500;

/** The i-th seeded customer's id (ids sort as their numbers). */
export const seededId = (i: number): string => `c-${String(i).padStart(8, '0')}`;

/** The template customers' ages by index (the default: 18 to 87). */
export const defaultAge = (i: number): number => 18 + (i % 70);

/** `count` template snapshots, the i-th of a client aged `age(i)` with a full name (templates' `customer.name`), an SMS consent, a card and a phone. */
export async function snapshotTemplates(catalog: Catalog, o: { count?: number; age?: (i: number) => number } = {}): Promise<StoredSnapshot[]> {
  const count = o.count ?? SEED_TEMPLATES;
  const age = o.age ?? defaultAge;
  const store = new MemoryStore();
  const clock = new ManualClock(SEED_T0);
  await store.importCustomers(
    Array.from({ length: count }, (_, i) => ({
      id: `t-${i}`,
      record: {
        stage: 'client' as const,
        profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Смирнова', age: age(i), city: 'Москва' },
        identifiers: { card: [`4000${String(i).padStart(12, '0')}`], phone: [`+7900${String(i).padStart(7, '0')}`] },
        consents: { sms: { granted: true, at: 0, source: 'import' } },
        importedAt: SEED_T0 - SEED_HOUR,
      },
    })),
  );
  const host = bareHost(store, clock, catalog);
  for (let k = 0; k < 6; k++) {
    clock.set(clock.now() + SEED_HOUR);
    for (let i = 0; i < count; i++) {
      const event: GatewayEvent =
        (i + k) % 3 === 0
          ? { id: `e-${k}-${i}`, type: 'ib.login', customer: { id: `t-${i}` }, channel: 'ib', at: clock.now() }
          : { id: `e-${k}-${i}`, type: 'card.transaction', customer: { id: `t-${i}` }, channel: 'pos', at: clock.now(), data: { mcc: (i + k) % 2 === 0 ? '5812' : '5411', amount: 500 + i } };
      const reply = await host.submitEvent(event);
      if (reply.kind === 'error') throw new Error(`event ${event.id}: ${reply.code} ${reply.message}`);
    }
  }
  await host.close(10_000);
  const out: StoredSnapshot[] = [];
  for (let i = 0; i < count; i++) {
    const s = await store.getSnapshot(`t-${i}`);
    if (s === undefined) throw new Error(`template t-${i} has no snapshot`);
    out.push(s);
  }
  return out;
}

/** A template's snapshot as customer `id`'s: its state names its own id (its offers' instances, its reminders), not the template's. */
function withId(template: StoredSnapshot, id: string): StoredSnapshot {
  const p = template.snapshot as PersistedCustomer;
  return { ...template, snapshot: { ...p, context: { ...p.context, id } } };
}

/**
 * Customers `seededId(0 … customers-1)` written into `store`, the j-th with template
 * `j % templates.length`'s snapshot, 10,000 a commit; `each` is called with every batch's
 * first index and size after its commit (e.g. to list segment members). Resolves to the seconds it took.
 */
export async function seedSnapshots(store: Store, templates: readonly StoredSnapshot[], customers: number, each?: (at: number, n: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  const BATCH = 10_000;
  for (let at = 0; at < customers; at += BATCH) {
    const n = Math.min(BATCH, customers - at);
    await store.commit({ snapshots: Array.from({ length: n }, (_, j) => ({ id: seededId(at + j), value: withId(templates[(at + j) % templates.length]!, seededId(at + j)) })), identities: [], outbox: [] });
    if (each !== undefined) await each(at, n);
  }
  return (performance.now() - started) / 1000;
}
