import { describe, expect, it } from 'vitest';
import { createCustomerStepper, customerMachine } from '../../actors/index.js';
import { SNAPSHOT_VERSION, migrateSnapshot } from './snapshot-migrations.js';

describe('snapshot migrations', () => {
  const v1Context = {
    id: 'demo-1',
    stage: 'client',
    profile: { firstName: 'Иван', patronymic: 'Петрович', age: 58 },
    identifiers: { card: ['card-1'], phone: ['+79000112248'], email: [], cookie: [] },
    lifecycle: [{ stage: 'client', at: 1, reason: 'import' }],
    segments: {},
    features: {},
    contacts: [],
    pending: [],
    responses: [],
    seen: [],
    seq: 0,
    createdAt: 1,
  };

  it('brings a version-1 customer up to date: no consents recorded, everything else kept', () => {
    const migrated = migrateSnapshot({ v: 1, snapshot: { value: 'client', context: v1Context } }) as { value: string; context: Record<string, unknown> };
    expect(SNAPSHOT_VERSION).toBe(7);
    expect(migrated.context).toEqual({ ...v1Context, consents: {}, seen: { id: [], at: [], actions: [] } });
    // The migrated snapshot runs: the machine takes it and decides on it.
    const stepper = createCustomerStepper(customerMachine);
    const snap = stepper.restore(migrated.value as 'client', migrated.context as never);
    expect(snap.context.consents).toEqual({});
  });

  it('turns the seen list of a version-2 or -3 snapshot from rows into columns, and the customer still knows a repeated id', () => {
    const action = { instance: 'demo-1:1.a', campaign: 'pension', offer: 'deposit', channel: 'ib', content: { text: 'x' } };
    const rows = [
      { id: 'e-1', at: 1_790_000_000_000, decision: { actions: [] } },
      { id: 'r-1', at: 1_790_000_000_500 },
      { id: 'e-2', at: 1_790_000_001_000, decision: { actions: [action] } },
    ];
    const columns = { id: ['e-1', 'r-1', 'e-2'], at: [1_790_000_000_000, 1_790_000_000_500, 1_790_000_001_000], actions: [[], null, [action]] };
    for (const v of [2, 3]) {
      const migrated = migrateSnapshot({ v, snapshot: { value: 'client', context: { ...v1Context, consents: {}, seen: rows } } }) as { value: string; context: Record<string, unknown> };
      expect(migrated.context).toEqual({ ...v1Context, consents: {}, seen: columns });
    }
    // A version-3 snapshot the LMDB store wrote as columns is read as columns (snapshot-codec.ts): kept.
    const read = { value: 'client', context: { ...v1Context, consents: {}, seen: columns } };
    expect(migrateSnapshot({ v: 3, snapshot: read })).toEqual(read);
    const stepper = createCustomerStepper(customerMachine);
    const snap = stepper.restore('client', (migrateSnapshot({ v: 3, snapshot: { value: 'client', context: { ...v1Context, consents: {}, seen: rows } } }) as { context: never }).context);
    const duplicate = { type: 'gateway.event', event: { id: 'e-2', type: 'ib.login', customer: { id: 'demo-1' } }, catalog: undefined, now: 1_790_000_002_000 } as never;
    const [, effects] = stepper.step(snap, duplicate);
    expect(JSON.stringify(effects)).toContain('"duplicate":true');
  });

  it('flattens a version-4 customer\'s feature buckets into one series a feature, the average for a missing min or max', () => {
    const features = { spend_30d: [[20400, 2, 1500, 500, 1000], [20401, 4, 100]], cafe_30d: [[20401, 1, 0, 0, 0]], empty: [] };
    const context = { ...v1Context, consents: {}, seen: { id: [], at: [], actions: [] }, features };
    const migrated = migrateSnapshot({ v: 4, snapshot: { value: 'client', context } }) as { value: string; context: Record<string, unknown> };
    expect(migrated.context).toEqual({ ...context, features: { spend_30d: [20400, 2, 1500, 500, 1000, 20401, 4, 100, 25, 25], cafe_30d: [20401, 1, 0, 0, 0], empty: [] } });
    // The customer reads them: a 30-day sum on the next day.
    const stepper = createCustomerStepper(customerMachine);
    const snap = stepper.restore('client', migrated.context as never);
    expect(snap.context.features.spend_30d).toHaveLength(10);
  });

  it('bounds a version-5 customer\'s responses and consents: scalar data, a repeated outcome counted once, 8 records an instance, known channels', () => {
    const fat = { note: 'я'.repeat(60_000), button: 'ok', nested: { a: [1, 2] } };
    const responses = Array.from({ length: 200 }, (_, i) => ({ id: `r-${i}`, instance: 'demo-1:1.a', campaign: 'atm-shortfall', offer: 'atm-microcredit', outcome: i % 2 === 0 ? 'clicked' : `x-${i}`, at: i, data: fat }));
    const consents = { sms: { granted: true, at: 1, source: 'import' }, 'made-up': { granted: true, at: 1, source: 'consent.granted' } };
    const context = { ...v1Context, consents, seen: { id: [], at: [], actions: [] }, responses };
    const migrated = migrateSnapshot({ v: 5, snapshot: { value: 'client', context } }) as { value: string; context: Record<string, any> };
    expect(migrated.context.consents).toEqual({ sms: consents.sms });
    expect(migrated.context.responses).toHaveLength(8);
    expect(migrated.context.responses.find((r: { outcome: string }) => r.outcome === 'clicked')).toEqual({ id: 'r-198', instance: 'demo-1:1.a', campaign: 'atm-shortfall', offer: 'atm-microcredit', outcome: 'clicked', at: 198, data: { button: 'ok' }, count: 100 });
    expect(JSON.stringify(migrated.context).length).toBeLessThan(5_000);
    const { responses: _r, consents: _c, ...rest } = migrated.context;
    const { responses: _r0, consents: _c0, ...restBefore } = context;
    expect(rest).toEqual(restBefore);
    // The customer runs on it.
    const stepper = createCustomerStepper(customerMachine);
    expect(stepper.restore('client', migrated.context as never).context.responses).toHaveLength(8);
  });

  it('leaves a current snapshot as it is', () => {
    const snapshot = { value: 'client', context: { ...v1Context, consents: {}, seen: { id: [], at: [], actions: [] } } };
    expect(migrateSnapshot({ v: SNAPSHOT_VERSION, snapshot })).toBe(snapshot);
  });

  it('refuses a snapshot from a newer build, or without a version', () => {
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const newer = thrown(() => migrateSnapshot({ v: SNAPSHOT_VERSION + 1, snapshot: {} }));
    expect(newer).toMatchObject({ name: 'KairosError', code: 'internal', message: `snapshot version: ${SNAPSHOT_VERSION + 1} is newer than this build understands (${SNAPSHOT_VERSION})` });
    const none = thrown(() => migrateSnapshot({ v: 0, snapshot: {} }));
    expect(none).toMatchObject({ code: 'internal', message: 'snapshot version: 0 is not a valid version' });
  });
});
