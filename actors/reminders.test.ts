import { describe, expect, it } from 'vitest';
import type { CatalogDef } from './catalog/definition-schema.js';
import { compileCatalog } from './catalog/compile-catalog.js';
import { BrainError } from './brain-error.js';
import { handleEvent, handleResponse } from './customer-logic.js';
import { at, customer, event, message, testCatalogDef } from './test-support/fixtures.js';

/** What the actor asks the runtime to remind it of, and what it does when a reminder fires. */

const T0 = at('2026-03-02T10:00:00+03:00');
const DAY = 86_400_000;

function catalog(change: (d: CatalogDef) => void = () => undefined): ReturnType<typeof compileCatalog> {
  const def = testCatalogDef();
  def.policy.learning = { exploration: 'none', randomPercent: 0 };
  change(def);
  return compileCatalog(def);
}

const login = (t: number) => event('ib.login', { at: t, channel: 'ib' });

describe('reminders', () => {
  it('sets a reminder at each offer expiry, and cancels it when the customer answers', () => {
    const c = catalog();
    const offered = handleEvent(customer(), message(login(T0), T0, c));
    const instance = offered.ctx.pending[0]!.instance;
    expect(offered.reminders).toEqual([{ name: `expiry:${instance}`, due: T0 + DAY, event: 'offer.expiry', data: { instance, campaign: 'senior-deposit', offer: 'deposit' } }]);
    const answered = handleResponse(offered.ctx, { type: 'gateway.response', response: { id: 'r-1', instance, outcome: 'declined' }, now: T0 + 1, catalog: c });
    expect(answered.reminders).toEqual([{ name: `expiry:${instance}`, cancel: true }]);
    // A response that does not close the offer cancels nothing.
    const clicked = handleResponse(offered.ctx, { type: 'gateway.response', response: { id: 'r-2', instance, outcome: 'clicked' }, now: T0 + 1, catalog: c });
    expect(clicked.reminders).toEqual([]);
  });

  it('closes and learns from an expired offer when its reminder fires, with no other event from the customer', () => {
    const c = catalog();
    const offered = handleEvent(customer(), message(login(T0), T0, c));
    const [spec] = offered.reminders;
    if (spec === undefined || 'cancel' in spec) throw new Error('expected an expiry reminder');
    const fired = handleEvent(offered.ctx, { ...message({ id: `reminder:x@${spec.due}`, type: spec.event, customer: { id: 'c-1' }, at: spec.due, data: spec.data! }, spec.due, c), reminder: 'c-1|x' });
    expect(fired.ctx.pending).toEqual([]);
    expect(fired.ctx.contacts[0]?.outcome).toBe('expired');
    expect(fired.trace.learned).toEqual([expect.objectContaining({ campaign: 'senior-deposit', positive: false })]);
    // A reminder is not the customer's activity.
    expect(fired.ctx.lastEventAt).toBe(offered.ctx.lastEventAt);
    // An event of the customer's that finds the offer expired cancels its reminder.
    const later = handleEvent(offered.ctx, message(event('web.pageview', { at: T0 + 2 * DAY }), T0 + 2 * DAY, c));
    expect(later.reminders).toContainEqual({ name: spec.name, cancel: true });
    expect(later.ctx.lastEventAt).toBe(T0 + 2 * DAY);
  });

  it('schedules a campaign follow-up, which carries what became of the offer', () => {
    const c = catalog((d) => {
      d.campaigns.find((x) => x.id === 'senior-deposit')!.followUp = { after: '30d', event: 'deposit.followup' };
      d.campaigns.push({
        id: 'deposit-letter',
        name: 'Letter',
        status: 'active',
        offer: 'deposit',
        channels: ['email'],
        trigger: { events: ['deposit.followup'], when: { attr: 'event.data.outcome', op: 'eq', value: 'expired' } },
        groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 5 }],
      });
    });
    const offered = handleEvent(customer(), message(login(T0), T0, c));
    const follow = offered.reminders.find((r) => r.name === 'followup:senior-deposit');
    expect(follow).toMatchObject({ due: T0 + 30 * DAY, event: 'deposit.followup', data: { campaign: 'senior-deposit', instance: offered.ctx.pending[0]!.instance } });
    if (follow === undefined || 'cancel' in follow) throw new Error('expected a follow-up');
    const fire = (ctx: typeof offered.ctx) =>
      handleEvent(ctx, { ...message({ id: `reminder:f@${follow.due}`, type: follow.event, customer: { id: 'c-1' }, at: follow.due, data: follow.data! }, follow.due, c), reminder: 'c-1|followup:senior-deposit' });
    // Unanswered: it expired; the letter goes out.
    const letter = fire(offered.ctx);
    expect(letter.reply).toMatchObject({ kind: 'decision', actions: [expect.objectContaining({ campaign: 'deposit-letter', channel: 'email' })] });
    // Accepted meanwhile: the follow-up fires, and the rule keeps the letter back.
    const instance = offered.ctx.pending[0]!.instance;
    const accepted = handleResponse(offered.ctx, { type: 'gateway.response', response: { id: 'r-yes', instance, outcome: 'accepted' }, now: T0 + 1, catalog: c });
    const none = fire(accepted.ctx);
    expect(none.reply).toMatchObject({ kind: 'decision', actions: [] });
    expect(none.trace.explain).toContainEqual(expect.objectContaining({ campaign: 'deposit-letter', reason: 'condition_false' }));
  });

  it('sets the catalog reminders an event asks for, at a time it carries, moved by the offset', () => {
    const c = catalog((d) => {
      d.reminders = [{ id: 'renewal', on: ['insurance.purchased'], at: 'event.data.endsAt', offset: '-14d', event: 'insurance.renewal-due' }];
    });
    const ends = '2026-06-01T12:00:00+03:00';
    const bought = handleEvent(customer(), message(event('insurance.purchased', { at: T0, data: { endsAt: ends, policy: 'П-1' } }), T0, c));
    expect(bought.reminders).toEqual([{ name: 'catalog:renewal', due: at(ends) - 14 * DAY, event: 'insurance.renewal-due', data: { reminder: 'renewal', endsAt: ends, policy: 'П-1' } }]);
    const epoch = handleEvent(customer(), message(event('insurance.purchased', { at: T0, data: { endsAt: at(ends) } }), T0, c));
    expect(epoch.reminders[0]).toMatchObject({ due: at(ends) - 14 * DAY });
    // Without the time it reads, no reminder.
    expect(handleEvent(customer(), message(event('insurance.purchased', { at: T0, data: {} }), T0, c)).reminders).toEqual([]);
    // Without `at`, the event's own time.
    const plain = catalog((d) => (d.reminders = [{ id: 'call', on: ['branch.visit'], offset: '2d', event: 'visit.followup' }]));
    expect(handleEvent(customer(), message(event('branch.visit', { at: T0 }), T0, plain)).reminders).toEqual([expect.objectContaining({ due: T0 + 2 * DAY })]);
  });

  it('refuses invalid reminders, naming the field', () => {
    const bad = (change: (d: CatalogDef) => void, field: string): void => {
      const def = testCatalogDef();
      change(def);
      expect(() => compileCatalog(def)).toThrow(BrainError);
      expect(() => compileCatalog(def)).toThrow(field);
    };
    bad((d) => (d.reminders = [{ id: 'r', on: [], event: 'x' }]), 'reminders[0].on');
    bad((d) => (d.reminders = [{ id: 'r', on: ['a'], event: 'x', offset: 'soon' }]), 'reminders[0].offset');
    bad((d) => (d.reminders = [{ id: 'r', on: ['a'], event: 'x', at: 'nowhere.field' }]), 'reminders[0].at');
    bad((d) => (d.campaigns[1]!.followUp = { after: 'later', event: 'x' }), 'campaigns[1].followUp.after');
  });
});
