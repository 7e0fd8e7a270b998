import { describe, expect, it } from 'vitest';
import { createCustomerStepper, customerMachine } from '../../actors/index.js';
import { SNAPSHOT_VERSION, SnapshotVersionError, migrateSnapshot } from './snapshot-migrations.js';

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
    expect(SNAPSHOT_VERSION).toBe(3);
    expect(migrated.context).toEqual({ ...v1Context, consents: {} });
    // The migrated snapshot runs: the machine takes it and decides on it.
    const stepper = createCustomerStepper(customerMachine);
    const snap = stepper.restore(migrated.value as 'client', migrated.context as never);
    expect(snap.context.consents).toEqual({});
  });

  it('reads a version-2 snapshot as it is (version 3 changed how LMDB writes it, not the context)', () => {
    const snapshot = { value: 'client', context: { ...v1Context, consents: {} } };
    expect(migrateSnapshot({ v: 2, snapshot })).toBe(snapshot);
  });

  it('leaves a current snapshot as it is', () => {
    const snapshot = { value: 'client', context: { ...v1Context, consents: {} } };
    expect(migrateSnapshot({ v: SNAPSHOT_VERSION, snapshot })).toBe(snapshot);
  });

  it('refuses a snapshot from a newer build, or without a version', () => {
    expect(() => migrateSnapshot({ v: SNAPSHOT_VERSION + 1, snapshot: {} })).toThrow(SnapshotVersionError);
    expect(() => migrateSnapshot({ v: 0, snapshot: {} })).toThrow(/no valid version/);
  });
});
