import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import type { ReplyParams } from './effects.js';
import { customerMachine } from './customer.machine.js';
import type { CustomerMessage } from './customer-logic.js';
import type { CustomerInput } from './customer-state.js';
import { at, event, granted, message, testCatalog } from './test-support/fixtures.js';

/**
 * The customer machine through XState's pure `transition()`: states are the lifecycle,
 * effects come out as named actions with parameters, and nothing runs without a message.
 */

const visitorInput: CustomerInput = { id: 'v-1', stage: 'visitor', identifiers: { cookie: ['ck-1'] }, at: at('2026-03-01T09:00:00Z'), reason: 'first_event' };

function step(snapshot: ReturnType<typeof initialTransition<typeof customerMachine>>[0], msg: CustomerMessage) {
  const [next, actions] = transition(customerMachine, snapshot, msg);
  const effects = actions.filter((a) => ['reply', 'queue', 'link', 'trace'].includes(a.type));
  return { next, effects, reply: (effects.find((a) => a.type === 'reply')?.params as ReplyParams | undefined)?.reply };
}

describe('customer machine', () => {
  it('starts in the stage its input names', () => {
    for (const stage of ['visitor', 'prospect', 'client', 'formerClient'] as const) {
      const [s] = initialTransition(customerMachine, { ...visitorInput, stage });
      expect(s.value).toBe(stage);
      expect(s.context.lifecycle).toEqual([{ stage, at: visitorInput.at, reason: 'first_event' }]);
    }
  });

  it('moves visitor -> prospect -> client -> former client -> client again, keeping the history', () => {
    let [s] = initialTransition(customerMachine, visitorInput);
    const t = (iso: string) => at(iso);
    const e1 = event('web.form', { customer: { cookie: 'ck-1', phone: '+79160000001' }, at: t('2026-03-01T10:00:00Z') });
    s = step(s, message(e1)).next;
    expect(s.value).toBe('prospect');
    s = step(s, message(event('account.opened', { customer: { cookie: 'ck-1' }, at: t('2026-03-02T10:00:00Z') }))).next;
    expect(s.value).toBe('client');
    s = step(s, message(event('account.closed', { customer: { cookie: 'ck-1' }, at: t('2026-03-03T10:00:00Z'), data: { lastProduct: false } }))).next;
    expect(s.value).toBe('client');
    s = step(s, message(event('account.closed', { customer: { cookie: 'ck-1' }, at: t('2026-03-04T10:00:00Z'), data: { lastProduct: true } }))).next;
    expect(s.value).toBe('formerClient');
    s = step(s, message(event('product.opened', { customer: { cookie: 'ck-1' }, at: t('2026-03-05T10:00:00Z') }))).next;
    expect(s.value).toBe('client');
    expect(s.context.stage).toBe('client');
    expect(s.context.lifecycle.map((l) => [l.stage, l.reason])).toEqual([
      ['visitor', 'first_event'],
      ['prospect', 'web.form'],
      ['client', 'account.opened'],
      ['formerClient', 'account.closed'],
      ['client', 'product.opened'],
    ]);
    expect(s.context.identifiers.phone).toEqual(['+79160000001']);
  });

  it('decides with the new stage: the event that makes a prospect a client is judged as a client', () => {
    const [s] = initialTransition(customerMachine, {
      ...visitorInput,
      stage: 'prospect',
      profile: { firstName: 'Анна', patronymic: 'Сергеевна' },
      identifiers: { phone: ['+79160000001'] },
      consents: granted,
    });
    const e = event('account.opened', { customer: { phone: '+79160000001' }, at: at('2026-03-02T10:00:00+03:00') });
    const { next, reply } = step(s, message(e));
    expect(next.context.stage).toBe('client');
    expect(reply).toMatchObject({ kind: 'decision', actions: [{ campaign: 'welcome', content: { text: 'Анна Сергеевна, добро пожаловать в банк!' } }] });
  });

  it('emits reply, queue, link and trace as named effects, and nothing else does I/O', () => {
    const [s] = initialTransition(customerMachine, {
      id: 'c-1',
      stage: 'client',
      profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 61 },
      identifiers: { phone: ['+79161234567'] },
      consents: granted,
      at: 0,
      reason: 'import',
    });
    const e = event('atm.withdrawal.declined', { customer: { id: 'c-1', cookie: 'ck-2' }, at: at('2026-03-02T10:00:00+03:00'), data: { requested: 1000, balance: 800 } });
    const { effects, reply } = step(s, message(e));
    expect(effects.map((a) => a.type)).toEqual(['link', 'queue', 'trace', 'reply']);
    expect(effects[0]!.params).toEqual({ customer: 'c-1', links: [{ kind: 'cookie', value: 'ck-2' }] });
    expect(reply).toMatchObject({ kind: 'decision', re: e.id, customer: 'c-1', duplicate: false });
  });

  it('replays a repeated event id: the same reply, marked duplicate, no queue, no state change', () => {
    const [s0] = initialTransition(customerMachine, {
      id: 'c-1',
      stage: 'client',
      profile: { firstName: 'И', patronymic: 'П', age: 61 },
      identifiers: { phone: ['+79161234567'] },
      consents: granted,
      at: 0,
      reason: 'import',
    });
    const e = event('atm.withdrawal.declined', { customer: { id: 'c-1' }, at: at('2026-03-02T10:00:00+03:00'), data: { requested: 1000, balance: 800 } });
    const first = step(s0, message(e));
    expect(first.effects.map((a) => a.type)).toContain('queue');
    const again = step(first.next, message(e));
    expect(again.effects.map((a) => a.type)).toEqual(['reply']);
    expect(again.reply).toEqual({ ...first.reply, duplicate: true });
    expect(again.next.context).toBe(first.next.context);
  });

  it('runs as a live actor with effects provided by the host', () => {
    const replies: ReplyParams[] = [];
    const machine = customerMachine.provide({ actions: { reply: (_, p) => void replies.push(p) } });
    const actor = createActor(machine, { input: { id: 'c-9', stage: 'client', profile: { age: 30 }, at: 0, reason: 'import' } });
    actor.start();
    actor.send(message(event('ib.login', { customer: { id: 'c-9' }, at: at('2026-03-02T10:00:00+03:00') }), undefined, testCatalog));
    expect(replies).toEqual([{ customer: 'c-9', reply: expect.objectContaining({ kind: 'decision', actions: [] }) }]);
    const persisted = actor.getPersistedSnapshot();
    const restored = createActor(machine, { snapshot: structuredClone(persisted), input: undefined });
    restored.start();
    expect(restored.getSnapshot().value).toBe('client');
    expect(restored.getSnapshot().context.seen.id).toHaveLength(1);
  });
});
