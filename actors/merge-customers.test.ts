import { describe, expect, it } from 'vitest';
import type { ContactRecord, CustomerContext } from './customer-state.js';
import { initialCustomerContext, retention } from './customer-state.js';
import { DAY_MS } from './limits.js';
import { mergeCustomers, mergeSeries } from './merge-customers.js';

const T0 = 1_000 * DAY_MS;

function contact(instance: string, at: number, extra: Partial<ContactRecord> = {}): ContactRecord {
  return { instance, campaign: 'c1', offer: 'o1', channel: 'sms', at, marketing: true, delivery: 'delivered', ...extra };
}

function customers(): { a: CustomerContext; b: CustomerContext } {
  const a = initialCustomerContext({
    id: 'demo-1',
    stage: 'prospect',
    profile: { firstName: 'Анна', city: '' },
    identifiers: { card: ['card-1'], phone: ['+79990000001'] },
    consents: { sms: { granted: true, at: T0, source: 'import' }, email: { granted: true, at: T0 + 5, source: 'import' }, push: { granted: true, at: T0 + 7, source: 'import' } },
    at: T0,
    reason: 'import',
  });
  const b = initialCustomerContext({
    id: 'demo-2',
    stage: 'client',
    profile: { firstName: 'Анна-Мария', lastName: 'Иванова', city: 'Казань' },
    identifiers: { phone: ['+79990000001', '+79990000002'], cookie: ['ck-2'] },
    consents: { sms: { granted: false, at: T0 + 1, source: 'sms.reply' }, email: { granted: true, at: T0 + 1, source: 'event' }, push: { granted: false, at: T0 + 7, source: 'event' } },
    at: T0 - DAY_MS,
    reason: 'import',
  });
  a.contacts = [contact('demo-1:1.a', T0 + 10)];
  b.contacts = [contact('demo-2:1.b', T0 + 5), contact('demo-2:2.b', T0 + 20)];
  b.pending = [{ instance: 'demo-2:2.b', campaign: 'c1', offer: 'o1', channel: 'sms', at: T0 + 20, expiresAt: T0 + 3_600_000, vars: {} }];
  b.responses = [{ id: 'r-1', instance: 'demo-2:1.b', campaign: 'c1', offer: 'o1', outcome: 'declined', at: T0 + 6 }];
  a.segments = { young: T0 + 3, rich: T0 + 4 };
  b.segments = { young: T0 + 1, city: T0 + 2 };
  a.segmentsEvaluated = { day: 1000, catalog: 1, stage: 'prospect' };
  a.features = { spend: [1000, 1, 10, 10, 10] };
  b.features = { spend: [999, 1, 5, 5, 5, 1000, 2, 30, 10, 20], visits: [1000, 1, 1, 1, 1] };
  a.seen = { id: ['e-1'], at: [T0 + 10], actions: [[]] };
  b.seen = { id: ['e-2'], at: [T0 + 5], actions: [null] };
  a.lastEventAt = T0 + 10;
  b.lastEventAt = T0 + 20;
  a.seq = 1;
  b.seq = 2;
  return { a, b };
}

describe('mergeCustomers', () => {
  it('keeps the survivor’s id and fields, fills what it has empty from the loser', () => {
    const { a, b } = customers();
    const { ctx, counts } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.id).toBe('demo-1');
    expect(ctx.seq).toBe(1);
    expect(ctx.profile).toEqual({ firstName: 'Анна', lastName: 'Иванова', city: 'Казань' });
    expect(counts.profileFields).toBe(2);
  });

  it('takes the further stage and records the merge in the lifecycle', () => {
    const { a, b } = customers();
    const { ctx } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.stage).toBe('client');
    expect(ctx.lifecycle.map((l) => l.at)).toEqual([T0 - DAY_MS, T0, T0 + 100]);
    expect(ctx.lifecycle.at(-1)).toEqual({ stage: 'client', at: T0 + 100, reason: 'merge:demo-2' });
    expect(mergeCustomers(b, a, T0).ctx.stage).toBe('client');
  });

  it('joins identifiers, the survivor’s first, each once', () => {
    const { a, b } = customers();
    const { ctx, counts } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.identifiers).toEqual({ card: ['card-1'], phone: ['+79990000001', '+79990000002'], email: [], cookie: ['ck-2'] });
    expect(counts.identifiers).toBe(2);
  });

  it('keeps per channel the most recent consent decision; at the same time a revocation wins', () => {
    const { a, b } = customers();
    const { ctx, counts } = mergeCustomers(a, b, T0 + 100);
    // sms: the loser's later revocation; email: the survivor's later grant; push: same time, the revocation.
    expect(ctx.consents.sms).toMatchObject({ granted: false, source: 'sms.reply' });
    expect(ctx.consents.email).toMatchObject({ granted: true, at: T0 + 5 });
    expect(ctx.consents.push).toMatchObject({ granted: false });
    expect(counts.consents).toBe(2);
    // The same the other way round.
    const other = mergeCustomers(b, a, T0 + 100).ctx.consents;
    expect(other.sms).toMatchObject({ granted: false });
    expect(other.email).toMatchObject({ granted: true, at: T0 + 5 });
    expect(other.push).toMatchObject({ granted: false });
  });

  it('joins history by time: contacts (the caps count them), pending offers, responses, the idempotency log', () => {
    const { a, b } = customers();
    const { ctx, counts } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.contacts.map((c) => c.instance)).toEqual(['demo-2:1.b', 'demo-1:1.a', 'demo-2:2.b']);
    expect(ctx.pending.map((p) => p.instance)).toEqual(['demo-2:2.b']);
    expect(ctx.responses.map((r) => r.id)).toEqual(['r-1']);
    expect(ctx.seen.id).toEqual(['e-2', 'e-1']);
    expect(ctx.createdAt).toBe(T0 - DAY_MS);
    expect(ctx.lastEventAt).toBe(T0 + 20);
    expect(counts).toMatchObject({ contacts: 2, pending: 1, responses: 1, features: 2, segments: 2 });
  });

  it('keeps history within the retention bounds, the newest', () => {
    const { a, b } = customers();
    a.contacts = Array.from({ length: retention.contacts }, (_, i) => contact(`demo-1:${i}.a`, T0 + 2 * i));
    b.contacts = Array.from({ length: 10 }, (_, i) => contact(`demo-2:${i}.b`, T0 + 2 * retention.contacts + i));
    const { ctx } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.contacts).toHaveLength(retention.contacts);
    expect(ctx.contacts.at(-1)?.instance).toBe('demo-2:9.b');
  });

  it('joins segments (the earlier entry) and features (per day, the buckets added), and drops the last segment evaluation', () => {
    const { a, b } = customers();
    const { ctx } = mergeCustomers(a, b, T0 + 100);
    expect(ctx.segments).toEqual({ young: T0 + 1, rich: T0 + 4, city: T0 + 2 });
    expect(ctx.segmentsEvaluated).toBeUndefined();
    expect(ctx.features.spend).toEqual([999, 1, 5, 5, 5, 1000, 3, 40, 10, 20]);
    expect(ctx.features.visits).toEqual([1000, 1, 1, 1, 1]);
    expect(mergeSeries([], [5, 1, 2, 2, 2])).toEqual([5, 1, 2, 2, 2]);
  });

  it('changes neither input', () => {
    const { a, b } = customers();
    const before = JSON.stringify([a, b]);
    mergeCustomers(a, b, T0 + 100);
    expect(JSON.stringify([a, b])).toBe(before);
  });
});
