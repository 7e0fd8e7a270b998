import { describe, expect, it } from 'vitest';
import { assign, enqueueActions, initialTransition, setup, transition } from 'xstate';
import { customerMachine } from './customer.machine.js';
import type { CustomerMachine } from './customer.machine.js';
import type { CustomerSnapshot, CustomerStepper } from './customer-stepper.js';
import { createCustomerStepper } from './customer-stepper.js';
import type { CustomerMessage } from './customer-logic.js';
import type { CustomerInput } from './customer-state.js';
import type { GatewayEvent } from './gateway-event.js';
import { at, event, granted, message, testCatalog } from './test-support/fixtures.js';

describe('customer stepper', () => {
  it('gives the same snapshots and effects as XState’s transition()', () => {
    const stepper = createCustomerStepper(customerMachine);
    const input: CustomerInput = { id: 'c-1', stage: 'prospect', profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 61 }, identifiers: { phone: ['+79161234567'] }, at: 0, reason: 'import' };
    let a = stepper.create(input);
    let [b] = initialTransition(customerMachine, input);
    expect(a.value).toBe(b.value);
    expect(a.context).toEqual(b.context);
    const messages = [
      message(event('account.opened', { customer: { id: 'c-1' }, at: at('2026-03-02T09:00:00+03:00') })),
      message(event('atm.withdrawal.declined', { customer: { id: 'c-1', cookie: 'ck' }, at: at('2026-03-02T10:00:00+03:00'), data: { requested: 1000, balance: 800 } })),
      message(event('ib.login', { customer: { id: 'c-1' }, at: at('2026-03-02T11:00:00+03:00') })),
    ];
    messages.push(messages[1]!);
    for (const m of messages) {
      const [na, ea] = stepper.step(a, m);
      const [nb, eb] = transition(customerMachine, b, m);
      expect(na.value).toEqual(nb.value);
      expect(na.context).toEqual(nb.context);
      expect(ea.map((e) => [e.type, e.params])).toEqual(eb.map((e) => [e.type, e.params]));
      a = na;
      b = nb;
    }
    expect(a.value).toBe('client');
    const restored = stepper.restore('client', structuredClone(a.context));
    const m = message(event('ib.login', { customer: { id: 'c-1' }, at: at('2026-03-03T11:00:00+03:00') }));
    expect(stepper.step(restored, m)[0].context).toEqual(stepper.step(a, m)[0].context);
  });

  it('gives every customer in a state the same empty tags, children and history and the same node list', () => {
    const stepper = createCustomerStepper(customerMachine);
    const one = stepper.create({ id: 'c-1', stage: 'client', at: 0, reason: 'import' });
    const two = stepper.restore('client', stepper.create({ id: 'c-2', stage: 'client', at: 0, reason: 'import' }).context);
    for (const key of ['tags', 'children', 'historyValue', '_nodes'] as const) expect(two[key]).toBe(one[key]);
    expect(one.children).toEqual({});
    expect(one.historyValue).toEqual({});
    const [next] = stepper.step(one, message(event('ib.login', { customer: { id: 'c-1' }, at: at('2026-03-02T11:00:00+03:00') })));
    expect(next._nodes).toBe(one._nodes);
    // Another state, another list; a stage change through XState gets the shared ones too.
    const prospect = stepper.create({ id: 'c-3', stage: 'prospect', at: 0, reason: 'import' });
    expect(prospect._nodes).not.toBe(one._nodes);
    const [opened] = stepper.step(prospect, message(event('account.opened', { customer: { id: 'c-3' }, at: at('2026-03-02T09:00:00+03:00') })));
    expect(opened.value).toBe('client');
    for (const key of ['tags', 'children', 'historyValue', '_nodes'] as const) expect(opened[key]).toBe(one[key]);
  });

  it('throws when the machine does, leaving the snapshot as it was', () => {
    const stepper = createCustomerStepper(customerMachine);
    const s = stepper.create({ id: 'c-1', stage: 'client', at: 0, reason: 'import' });
    const broken = { ...message(event('ib.login'), 0), catalog: undefined as never };
    expect(() => stepper.step(s, broken)).toThrow();
    expect(s.context.seen).toEqual({ id: [], at: [], actions: [] });
  });
});

describe('customer stepper, fast path', () => {
  /** Steps both ways and checks they agree: states, contexts, effects, and whether the snapshot changed. */
  function agree(input: CustomerInput, messages: CustomerMessage[]): { stepper: CustomerStepper; last: CustomerSnapshot } {
    const stepper = createCustomerStepper(customerMachine);
    let a = stepper.create(input);
    let [b] = initialTransition(customerMachine, input);
    for (const m of messages) {
      const [na, ea] = stepper.step(a, m);
      const [nb, eb] = transition(customerMachine, b, m);
      expect(na.value).toEqual(nb.value);
      expect(na.status).toBe(nb.status);
      expect(na.context).toEqual(nb.context);
      expect(na === a).toBe(nb === b);
      expect(ea.map((e) => [e.type, e.params])).toEqual(eb.map((e) => [e.type, e.params]));
      // The effects are data: their type and parameters, nothing of XState's action objects.
      for (const e of ea) expect(Object.keys(e)).toEqual(['type', 'params']);
      a = na;
      b = nb;
    }
    return { stepper, last: a };
  }

  it('agrees with transition() through a whole life: visitor, prospect, client, former client, reactivated', () => {
    const t0 = at('2026-03-02T09:00:00+03:00');
    const h = 3_600_000;
    const ev = (type: string, fields: Partial<GatewayEvent>, t: number): CustomerMessage => message(event(type, { customer: { id: 'c-9' }, at: t, ...fields }), t);
    const visit = ev('web.pageview', { customer: { id: 'c-9', cookie: 'ck-9' }, channel: 'web', data: { url: '/deposits' } }, t0);
    const msgs: CustomerMessage[] = [
      visit,
      visit, // the same id again: answered from memory, nothing changes
      ev('web.registered', { customer: { id: 'c-9', phone: '+79160000009' } }, t0 + h), // identifies: visitor -> prospect
      ev('card.transaction', { channel: 'pos', data: { amount: 450, mcc: '5812', currency: 'RUB' } }, t0 + 2 * h),
      ev('account.opened', {}, t0 + 3 * h), // prospect -> client
      ev('atm.withdrawal.declined', { channel: 'atm', data: { requested: 1000, balance: 800 } }, t0 + 4 * h),
      ev('ib.login', { channel: 'ib' }, t0 + 5 * h),
      ev('client.churned', {}, t0 + 30 * h), // client -> former client
      ev('ib.login', { channel: 'ib' }, t0 + 31 * h),
      ev('product.opened', {}, t0 + 40 * h), // reactivated
    ];
    const { stepper, last } = agree({ id: 'c-9', stage: 'visitor', profile: { firstName: 'Анна', patronymic: 'Сергеевна', age: 64 }, consents: granted, at: 0, reason: 'import' }, msgs);
    expect(last.value).toBe('client');
    // The four stage changes go through XState, the rest does not.
    expect(stepper.steps).toEqual({ fast: msgs.length - 4, full: 4 });
  });

  it('agrees on offers, their answers, delivery reports and repeated answers', () => {
    const t0 = at('2026-03-02T10:00:00+03:00');
    const input: CustomerInput = { id: 'c-1', stage: 'client', profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 61 }, identifiers: { phone: ['+79161234567'] }, consents: granted, at: 0, reason: 'import' };
    const stepper = createCustomerStepper(customerMachine);
    // Find the offer the shortfall makes, to answer it.
    const declined = message(event('atm.withdrawal.declined', { customer: { id: 'c-1' }, channel: 'atm', at: t0, data: { requested: 1000, balance: 800 } }), t0);
    const [afterOffer, effects] = stepper.step(stepper.create(input), declined);
    expect(effects.map((e) => e.type)).toContain('queue');
    const instance = afterOffer.context.pending[0]?.instance;
    expect(instance).toBeDefined();
    const response = (id: string, outcome: string, t: number): CustomerMessage => ({ type: 'gateway.response', response: { id, instance: instance!, outcome, at: t }, now: t, catalog: testCatalog });
    const { stepper: both } = agree(input, [
      declined,
      { type: 'delivery.report', instance: instance!, status: 'delivered', now: t0 + 1000 },
      response('r-1', 'accepted', t0 + 2000),
      response('r-1', 'accepted', t0 + 3000), // repeated response id
      declined, // repeated event id: the same offer again, nothing queued twice
      { type: 'delivery.report', instance: 'c-1:none.0', status: 'failed', reason: 'unknown', now: t0 + 4000 },
    ]);
    expect(both.steps).toEqual({ fast: 6, full: 0 });
  });

  it('leaves a message the machine throws on to XState, which throws too', () => {
    const stepper = createCustomerStepper(customerMachine);
    const s = stepper.create({ id: 'c-1', stage: 'client', at: 0, reason: 'import' });
    const broken = { ...message(event('ib.login'), 0), catalog: undefined as never };
    expect(() => stepper.step(s, broken)).toThrow();
    expect(stepper.steps.full).toBe(0);
  });
});

describe('customer stepper, fast path on other machines', () => {
  // A toy machine with what the customer machine does not use today: the fast path must keep
  // XState's results for it, or leave it to XState.
  const toy = setup({
    types: { context: {} as { count: number; note: string; log: string[] }, events: {} as { type: 'add' | 'move' | 'bounce' | 'ask' | 'plain' | 'raise' | 'bump'; n?: number } },
    actions: {
      said: (_, _p: { what: string }) => {},
      bump: assign({ count: ({ context }) => context.count + 100 }),
    },
  }).createMachine({
    context: { count: 0, note: 'kept', log: [] },
    initial: 'a',
    on: {
      add: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          enqueue.assign({ count: context.count + (event.n ?? 1) }); // a partial update: `note` and `log` stay
          enqueue({ type: 'said', params: { what: `added ${event.n ?? 1}` } });
        }),
      },
      plain: { actions: [{ type: 'said', params: { what: 'plain' } }, assign({ log: ({ context }) => [...context.log, 'plain'] })] },
      ask: { actions: enqueueActions(({ check, enqueue }) => (check(() => true) ? enqueue({ type: 'said', params: { what: 'yes' } }) : undefined)) },
      raise: { actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'add', n: 10 })) },
      bump: { actions: 'bump' },
    },
    states: {
      a: { on: { move: { target: 'b', actions: { type: 'said', params: { what: 'moving' } } }, bounce: 'c' } },
      b: {},
      c: { always: { target: 'a', actions: { type: 'said', params: { what: 'back' } } } },
    },
  });

  it('keeps what a partial assign leaves out, and leaves targets, eventless transitions, checks and raises to XState', () => {
    const stepper = createCustomerStepper(toy as unknown as CustomerMachine);
    let [a] = initialTransition(toy, undefined);
    let s = a as unknown as CustomerSnapshot;
    const run = (e: { type: string; n?: number }): void => {
      const [nb, eb] = transition(toy, a, e as never);
      const [na, ea] = stepper.step(s, e as unknown as CustomerMessage);
      expect(na.value).toEqual(nb.value);
      expect(na.context).toEqual(nb.context);
      expect(ea.map((x) => [x.type, x.params])).toEqual(eb.map((x) => [x.type, x.params]));
      a = nb;
      s = na;
    };
    run({ type: 'add', n: 2 });
    expect(s.context).toEqual({ count: 2, note: 'kept', log: [] });
    expect(stepper.steps).toEqual({ fast: 1, full: 0 });
    for (const type of ['plain', 'ask', 'raise', 'bump', 'move'] as const) run({ type });
    expect(s.context).toEqual({ count: 112, note: 'kept', log: ['plain'] });
    expect(s.value).toBe('b');
    // assign with a property assigner, check(), raise, a named built-in and a target: all through XState
    expect(stepper.steps).toEqual({ fast: 1, full: 5 });
    const stepper2 = createCustomerStepper(toy as unknown as CustomerMachine);
    [a] = initialTransition(toy, undefined);
    const bounced = stepper2.step(a as unknown as CustomerSnapshot, { type: 'bounce' } as unknown as CustomerMessage);
    expect(bounced[0].value).toBe('a');
    expect(bounced[1].map((x) => x.params)).toEqual([{ what: 'back' }]);
    // In `c` (eventless transitions), nothing is fast: reach it by restoring.
    const inC = stepper2.restore('c' as never, { count: 0, note: 'kept', log: [] } as never);
    expect(stepper2.step(inC, { type: 'add' } as unknown as CustomerMessage)[0].context).toMatchObject({ count: 1 });
    expect(stepper2.steps.fast).toBe(0);
  });
});
