import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { customerMachine } from './customer.machine.js';
import { createCustomerStepper } from './customer-stepper.js';
import type { CustomerInput } from './customer-state.js';
import { at, event, message } from './test-support/fixtures.js';

describe('customer stepper', () => {
  it('gives the same snapshots and effects as XState’s transition()', () => {
    const stepper = createCustomerStepper(customerMachine);
    const input: CustomerInput = { id: 'c-1', stage: 'prospect', profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 61 }, identifiers: { phone: ['+79161234567'] }, at: 0, reason: 'import' };
    let a = stepper.create(input);
    let [b] = initialTransition(customerMachine, input);
    expect(a.value).toBe(b.value);
    expect(a.context).toEqual(b.context);
    const messages = [
      message(event('account.opened', { customer: { id: 'c-1' }, at: at('2026-03-02T09:00:00+03:00') }), 0),
      message(event('atm.withdrawal.declined', { customer: { id: 'c-1', cookie: 'ck' }, at: at('2026-03-02T10:00:00+03:00'), data: { requested: 1000, balance: 800 } }), 0),
      message(event('ib.login', { customer: { id: 'c-1' }, at: at('2026-03-02T11:00:00+03:00') }), 0),
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
    const m = message(event('ib.login', { customer: { id: 'c-1' }, at: at('2026-03-03T11:00:00+03:00') }), 0);
    expect(stepper.step(restored, m)[0].context).toEqual(stepper.step(a, m)[0].context);
  });

  it('throws when the machine does, leaving the snapshot as it was', () => {
    const stepper = createCustomerStepper(customerMachine);
    const s = stepper.create({ id: 'c-1', stage: 'client', at: 0, reason: 'import' });
    const broken = { ...message(event('ib.login'), 0), catalog: undefined as never };
    expect(() => stepper.step(s, broken)).toThrow();
    expect(s.context.seen).toEqual([]);
  });
});
