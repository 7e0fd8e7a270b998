import { describe, expect, it } from 'vitest';
import type { CustomerContext } from './customer-state.js';
import { appendSeen, BUCKET_SIZE, emptySeen, NO_ACTIONS, seenFull, withSharedNoActions } from './customer-state.js';
import type { HandleResult } from './customer-logic.js';
import { handleDelivery, handleEvent, handleResponse, replayReply } from './customer-logic.js';
import { smsLength } from './sms-length.js';
import { compileCatalog } from './catalog/compile-catalog.js';
import { posteriorProbability } from './propensity/prior.js';
import { localTime } from './local-time.js';
import { makeScope } from './scope.js';
import { at, customer, event, message, testCatalog, testCatalogDef } from './test-support/fixtures.js';

const localDay = (iso: string): number => localTime(at(iso), 'Europe/Moscow').epochDay;

/** Runs events through the pure handler, threading the context. */
function run(ctx: CustomerContext, ...steps: Array<[ReturnType<typeof event>, number?]>): { ctx: CustomerContext; results: HandleResult[] } {
  const results: HandleResult[] = [];
  for (const [e, now] of steps) {
    const r = handleEvent(ctx, message(e, now ?? e.at ?? at('2026-03-02T10:00:00+03:00')));
    results.push(r);
    ctx = r.ctx;
  }
  return { ctx, results };
}

const actionsOf = (r: HandleResult) => (r.reply.kind === 'decision' ? r.reply.actions : []);

describe('ATM shortfall', () => {
  const declined = (requested: number, balance: number, iso = '2026-03-02T10:00:00+03:00') =>
    event('atm.withdrawal.declined', { at: at(iso), channel: 'atm', data: { requested, balance } });

  it('offers the shortfall as credit by SMS, personal and in roubles', () => {
    const { results } = run(customer(), [declined(1000, 800)]);
    const [a] = actionsOf(results[0]!);
    expect(a).toMatchObject({ campaign: 'shortfall', offer: 'credit', channel: 'sms' });
    expect(a!.content).toEqual({ text: 'Ирина Петровна, не хватает 200\u00a0рублей? Ответьте 1.' });
    expect(a!.expiresAt).toBe(at('2026-03-02T11:00:00+03:00'));
    expect(results[0]!.outbox).toEqual([expect.objectContaining({ kind: 'offer', channel: 'sms', instance: a!.instance })]);
  });

  it('rounds the shortfall up to whole hundreds', () => {
    const { results } = run(customer(), [declined(1000, 863)]);
    expect(actionsOf(results[0]!)[0]!.content).toMatchObject({ text: expect.stringContaining('200\u00a0рублей') });
  });

  it('stays silent when the balance covers the request or the gap is beyond the limit', () => {
    const { results } = run(customer(), [declined(500, 800)], [declined(100_000, 10)]);
    expect(actionsOf(results[0]!)).toEqual([]);
    expect(results[0]!.trace.explain).toEqual([expect.objectContaining({ campaign: 'shortfall', reason: 'condition_false' })]);
    expect(actionsOf(results[1]!)).toEqual([]);
  });

  it('does not offer it to someone who is not a client', () => {
    const { results } = run(customer({ stage: 'prospect' }), [declined(1000, 800)]);
    expect(actionsOf(results[0]!)).toEqual([]);
    expect(results[0]!.trace.explain[0]).toMatchObject({ reason: 'not_in_target_group' });
  });

  it('cannot text a customer without a phone', () => {
    const { results } = run(customer({ identifiers: { card: ['card-1'] } }), [declined(1000, 800)]);
    expect(actionsOf(results[0]!)).toEqual([]);
    expect(results[0]!.trace.explain[0]!.reason).toBe('no_channel:sms=unreachable');
  });

  it('sends one SMS a day: a second shortfall the same day is capped, the next day it goes', () => {
    const { results } = run(
      customer(),
      [declined(1000, 800, '2026-03-02T10:00:00+03:00')],
      [declined(3000, 800, '2026-03-02T18:00:00+03:00')],
      [declined(3000, 800, '2026-03-03T10:30:00+03:00')],
    );
    expect(actionsOf(results[0]!)).toHaveLength(1);
    expect(actionsOf(results[1]!)).toEqual([]);
    expect(results[1]!.trace.explain[0]).toMatchObject({ reason: 'cap:sms:1_per_1d' });
    expect(actionsOf(results[2]!)).toHaveLength(1);
  });

  it('a reply "1" accepts the open offer and queues the credit for the back office', () => {
    const { ctx, results } = run(customer(), [declined(1000, 800)], [event('sms.received', { at: at('2026-03-02T10:02:00+03:00'), data: { text: ' 1 ' } })]);
    const instance = actionsOf(results[0]!)[0]!.instance;
    expect(results[1]!.trace.answered).toEqual([{ instance, outcome: 'accepted' }]);
    expect(results[1]!.outbox).toEqual([
      expect.objectContaining({ kind: 'backoffice', action: 'issue_credit', instance, vars: { gap: 200 }, customer: 'c-1' }),
    ]);
    expect(ctx.pending).toEqual([]);
    expect(ctx.contacts[0]).toMatchObject({ instance, outcome: 'accepted' });
    expect(ctx.responses[0]).toMatchObject({ instance, outcome: 'accepted', data: { reply: ' 1 ' } });
  });

  it('a reply after the offer expired answers nothing', () => {
    const { ctx, results } = run(customer(), [declined(1000, 800)], [event('sms.received', { at: at('2026-03-02T11:30:00+03:00'), data: { text: '1' } })]);
    expect(results[1]!.trace.answered).toEqual([]);
    expect(results[1]!.outbox).toEqual([]);
    expect(ctx.contacts[0]!.outcome).toBe('expired');
  });
});

describe('deposit for seniors', () => {
  const login = (iso = '2026-03-02T10:00:00+03:00') => event('ib.login', { at: at(iso) });

  it('shows it in the internet bank to a client over 60, with the rate', () => {
    const { results } = run(customer(), [login()]);
    const [a] = actionsOf(results[0]!);
    expect(a).toMatchObject({ campaign: 'senior-deposit', channel: 'ib' });
    expect(a!.content).toEqual({ title: 'Вклад 17\u00a0%', text: 'Ирина Петровна, откройте вклад.', buttons: [{ id: 'accept', label: 'Открыть' }] });
    expect(results[0]!.trace.explain[0]).toMatchObject({ verdict: 'offered', group: 'sixty', score: 0.1 * 1000 });
  });

  it('ranks a 57-year-old in the 5 % group', () => {
    const { results } = run(customer({ profile: { firstName: 'Олег', patronymic: 'Ильич', age: 57 } }), [login()]);
    expect(results[0]!.trace.explain[0]).toMatchObject({ verdict: 'offered', group: 'fifty-five', score: 0.05 * 1000 });
  });

  it('stays silent for a 33-year-old: no target group holds them', () => {
    const { results } = run(customer({ profile: { firstName: 'Олег', patronymic: 'Ильич', age: 33 } }), [login()]);
    expect(actionsOf(results[0]!)).toEqual([]);
    expect(results[0]!.trace.explain).toEqual([{ campaign: 'senior-deposit', verdict: 'suppressed', reason: 'not_in_target_group' }]);
  });

  it('stays silent below the propensity floor', () => {
    const { results } = run(customer({ profile: { firstName: 'Олег', patronymic: 'Ильич', age: 52 } }), [login()]);
    expect(actionsOf(results[0]!)).toEqual([]);
    expect(results[0]!.trace.explain[0]).toMatchObject({ reason: 'below_propensity_floor', group: 'fifties' });
  });

  it('gives the call-centre operator a script when the customer calls', () => {
    const { results } = run(customer(), [event('callcenter.call', { at: at('2026-03-02T10:00:00+03:00') })]);
    expect(actionsOf(results[0]!)[0]).toMatchObject({
      channel: 'callcenter',
      content: { script: 'Предложите вклад: 17\u00a0%. Клиент: Соколова Ирина Петровна.' },
    });
  });

  it('falls back to e-mail when a channel is on the stop list', () => {
    const ctx = customer();
    const r = handleEvent(ctx, message(login(), 0, testCatalog, [{ channel: 'ib' }]));
    expect(actionsOf(r)[0]).toMatchObject({ channel: 'email', content: { subject: 'Вклад для вас' } });
    expect((actionsOf(r)[0]!.content as { html: string }).html).toBe('<p>Ирина Петровна, ставка 17\u00a0%.</p>');
  });

  it('gives nothing to a customer on the global stop list, and says why', () => {
    const r = handleEvent(customer(), message(login(), 0, testCatalog, [{}]));
    expect(actionsOf(r)).toEqual([]);
    expect(r.trace.explain).toEqual([{ campaign: 'senior-deposit', verdict: 'suppressed', reason: 'stop_list' }]);
  });

  it('honours a stop entry for one campaign only', () => {
    const stopped = handleEvent(customer(), message(login(), 0, testCatalog, [{ campaign: 'senior-deposit' }]));
    expect(actionsOf(stopped)).toEqual([]);
    const other = handleEvent(customer(), message(login(), 0, testCatalog, [{ campaign: 'shortfall' }]));
    expect(actionsOf(other)).toHaveLength(1);
  });

  it('does not make the same offer again within the recency window, on any channel', () => {
    const { results } = run(customer(), [login('2026-03-02T10:00:00+03:00')], [login('2026-03-02T10:05:00+03:00')], [login('2026-03-09T10:05:00+03:00')]);
    expect(actionsOf(results[1]!)).toEqual([]);
    expect(results[1]!.trace.explain[0]).toMatchObject({ reason: 'recency:offer' });
    expect(actionsOf(results[2]!)).toHaveLength(1);
  });
});

describe('lunch near the branch', () => {
  const tx = (iso: string, mcc = '5812') => event('card.transaction', { at: at(iso), channel: 'pos', data: { amount: 700, mcc } });
  const visit = (iso: string, location = { lat: 55.7614, lon: 37.609, place: 'branch-1' }) => event('branch.visit', { at: at(iso), location });
  const lover = () => [tx('2026-02-20T13:00:00+03:00'), tx('2026-02-25T13:00:00+03:00'), tx('2026-03-01T13:00:00+03:00')];

  it('texts a restaurant lover at lunch time the nearest partner and the way there', () => {
    const { ctx, results } = run(customer(), ...lover().map((e) => [e] as [typeof e]), [visit('2026-03-02T12:30:00+03:00')]);
    expect(ctx.segments).toHaveProperty('cafe_lovers');
    const [a] = actionsOf(results[3]!);
    expect(a).toMatchObject({ campaign: 'lunch', channel: 'sms' });
    const text = (a!.content as { text: string }).text;
    expect(text).toBe('Ирина Петровна: Кафе «Рядом», ул. Тверская, 10, 3 мин на северо-запад.');
    expect(smsLength(text).encoding).toBe('ucs2');
  });

  it('is silent at 19:00', () => {
    const { results } = run(customer(), ...lover().map((e) => [e] as [typeof e]), [visit('2026-03-02T19:00:00+03:00')]);
    expect(actionsOf(results[3]!)).toEqual([]);
    expect(results[3]!.trace.explain[0]).toMatchObject({ reason: 'outside_hours:19:00' });
  });

  it('uses the customer’s own time zone: 12:30 in Vladivostok is 05:30 in Moscow', () => {
    const vlad = customer({ profile: { firstName: 'Ирина', patronymic: 'Петровна', timezone: 'Asia/Vladivostok' } });
    const { results } = run(vlad, ...lover().map((e) => [e] as [typeof e]), [visit('2026-03-02T12:30:00+10:00')], [visit('2026-03-03T12:30:00+03:00')]);
    expect(actionsOf(results[3]!)).toHaveLength(1);
    expect(actionsOf(results[4]!)).toEqual([]);
    expect(results[4]!.trace.explain[0]).toMatchObject({ reason: 'outside_hours:19:30' });
  });

  it('needs three restaurant transactions in 30 days: older ones and other MCCs do not count', () => {
    const { ctx, results } = run(
      customer(),
      [tx('2026-01-10T13:00:00+03:00')],
      [tx('2026-02-25T13:00:00+03:00')],
      [tx('2026-03-01T13:00:00+03:00', '5411')],
      [tx('2026-03-01T14:00:00+03:00')],
      [visit('2026-03-02T12:30:00+03:00')],
    );
    expect(ctx.segments).not.toHaveProperty('cafe_lovers');
    expect(actionsOf(results[4]!)).toEqual([]);
    expect(results[4]!.trace.explain[0]).toMatchObject({ reason: 'not_in_target_group' });
  });

  it('needs a partner within the radius', () => {
    const far = { lat: 55.5, lon: 37.3 };
    const { results } = run(customer(), ...lover().map((e) => [e] as [typeof e]), [visit('2026-03-02T12:30:00+03:00', far as never)]);
    expect(results[3]!.trace.explain[0]).toMatchObject({ reason: 'no_partner_nearby' });
  });
});

describe('features and segments', () => {
  it('sums amounts over their window and records segment entries and exits', () => {
    const tx = (iso: string, amount: number) => event('card.transaction', { at: at(iso), data: { amount, mcc: '5812' } });
    const { ctx, results } = run(
      customer(),
      [tx('2026-03-01T10:00:00+03:00', 100)],
      [tx('2026-03-02T10:00:00+03:00', 250)],
      [tx('2026-03-03T10:00:00+03:00', 50)],
    );
    expect(results[2]!.trace.segmentChanges).toEqual([{ segment: 'cafe_lovers', change: 'entered' }]);
    const first = localDay('2026-03-01T10:00:00+03:00');
    expect(ctx.features.spend_7d).toEqual([first, 1, 100, 100, 100, first + 1, 1, 250, 250, 250, first + 2, 1, 50, 50, 50]);
    // 31 days later the restaurant count has left its window.
    const later = handleEvent(ctx, message(event('web.pageview', { at: at('2026-04-02T10:00:00+03:00') }), 0));
    expect(later.trace.segmentChanges).toEqual([{ segment: 'cafe_lovers', change: 'exited' }]);
  });

  it('keeps each feature only the days its own window reads, not the longest window of the catalog', () => {
    // cafe_30d and spend_7d both take card transactions: a month and a half of them daily.
    const steps: Array<[ReturnType<typeof event>]> = Array.from({ length: 45 }, (_, d) => [
      event('card.transaction', { at: at('2026-03-01T10:00:00+03:00') + d * 86_400_000, data: { amount: 100 + d, mcc: '5812' } }),
    ]);
    const { ctx } = run(customer(), ...steps);
    expect(ctx.features.cafe_30d).toHaveLength(30 * BUCKET_SIZE);
    expect(ctx.features.spend_7d).toHaveLength(7 * BUCKET_SIZE);
    // The newest days, oldest first: the window's values are what they were.
    const today = localDay('2026-04-14T10:00:00+03:00');
    const spend = ctx.features.spend_7d!;
    const days = Array.from({ length: 7 }, (_, i) => spend[i * BUCKET_SIZE]);
    expect(days).toEqual(Array.from({ length: 7 }, (_, i) => today - 6 + i));
    const sums = Array.from({ length: 7 }, (_, i) => spend[i * BUCKET_SIZE + 2]!);
    expect(sums.reduce((a, b) => a + b, 0)).toBe([38, 39, 40, 41, 42, 43, 44].reduce((a, d) => a + 100 + d, 0));
  });

  it('feeds features of the same events, filter and field as one series, kept for the longest of their windows', () => {
    const def = testCatalogDef();
    def.features = [
      ...def.features,
      { id: 'spend_30d', events: ['card.transaction'], aggregate: 'sum', field: 'event.data.amount', windowDays: 30 },
      { id: 'card_days_30d', events: ['card.transaction'], aggregate: 'days', windowDays: 30 },
    ];
    const catalog = compileCatalog(def);
    const spend7 = catalog.featureById.get('spend_7d')!;
    expect([spend7.series, spend7.seriesMembers, spend7.keepDays]).toEqual(['spend_30d', ['spend_7d', 'spend_30d'], 30]);
    // No field, or a filter: another source, a series of its own.
    expect(catalog.featureById.get('card_days_30d')!.series).toBe('card_days_30d');
    expect(catalog.featureById.get('cafe_30d')!.series).toBe('cafe_30d');
    let ctx = customer();
    const amounts: number[] = [];
    for (let d = 0; d < 45; d++) {
      amounts.push(100 + d);
      ctx = handleEvent(ctx, message(event('card.transaction', { at: at('2026-03-01T10:00:00+03:00') + d * 86_400_000, data: { amount: 100 + d, mcc: '5812' } }), 0, catalog)).ctx;
    }
    expect(Object.keys(ctx.features).sort()).toEqual(['cafe_30d', 'card_days_30d', 'spend_30d']);
    expect(ctx.features.spend_30d).toHaveLength(30 * BUCKET_SIZE);
    const scope = makeScope(ctx, catalog, localDay('2026-04-14T10:00:00+03:00'));
    const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
    expect(scope.feature('spend_7d')).toBe(sum(amounts.slice(-7)));
    expect(scope.feature('spend_30d')).toBe(sum(amounts.slice(-30)));
    expect(scope.feature('card_days_30d')).toBe(30);
  });

  it('reads, then folds into the series, what its members kept before they shared it', () => {
    const def = testCatalogDef();
    def.features = [...def.features, { id: 'spend_30d', events: ['card.transaction'], aggregate: 'sum', field: 'event.data.amount', windowDays: 30 }];
    const catalog = compileCatalog(def);
    const today = localDay('2026-03-10T10:00:00+03:00');
    // Written by a catalog where spend_7d stood alone.
    const before: CustomerContext = { ...customer(), features: { spend_7d: [today - 2, 1, 50, 50, 50] } };
    expect(makeScope(before, catalog, today).feature('spend_30d')).toBe(50);
    expect(makeScope(before, catalog, today).feature('spend_7d')).toBe(50);
    const after = handleEvent(before, message(event('card.transaction', { at: at('2026-03-10T10:00:00+03:00'), data: { amount: 70, mcc: '5411' } }), 0, catalog)).ctx;
    expect(after.features).toEqual({ spend_30d: [today - 2, 1, 50, 50, 50, today, 1, 70, 70, 70] });
    expect(makeScope(after, catalog, today).feature('spend_7d')).toBe(120);
    // With the series' own list there, it wins over a member's.
    const both: CustomerContext = { ...customer(), features: { spend_30d: [today - 1, 1, 5, 5, 5], spend_7d: [today - 3, 1, 50, 50, 50] } };
    expect(makeScope(both, catalog, today).feature('spend_7d')).toBe(5);
  });

  it('collects identifiers the profile did not hold, for the index', () => {
    const r = handleEvent(customer(), message(event('web.pageview', { customer: { id: 'c-1', cookie: 'ck-9', phone: '+79161234567' } }), 0));
    expect(r.links).toEqual([{ kind: 'cookie', value: 'ck-9' }]);
    expect(r.ctx.identifiers.cookie).toEqual(['ck-9']);
  });

  it('takes profile changes from profile.updated, typed field by field', () => {
    const r = handleEvent(customer(), message(event('profile.updated', { data: { age: 64, balance: 'lots', timezone: 'Asia/Omsk', unknown: 1 } }), 0));
    expect(r.ctx.profile).toMatchObject({ age: 64, timezone: 'Asia/Omsk' });
    expect(r.ctx.profile).not.toHaveProperty('unknown');
    expect(r.ctx.profile.balance).toBeUndefined();
  });
});

describe('idempotency and responses', () => {
  it('answers a repeated event id with the first decision, and the repeat changes nothing', () => {
    const e = event('ib.login', { at: at('2026-03-02T10:00:00+03:00') });
    const first = handleEvent(customer(), message(e, 0));
    const again = replayReply(first.ctx, message(e, 0));
    expect(again).toEqual({ ...first.reply, duplicate: true });
  });

  it('remembers every silent decision as the one shared NO_ACTIONS, and replays it as an empty decision', () => {
    const quiet = (id: string, iso: string) => event('web.pageview', { id, at: at(iso), channel: 'web', data: { url: '/deposits' } });
    const { ctx, results } = run(customer(), [quiet('q1', '2026-03-02T10:00:00+03:00')], [quiet('q2', '2026-03-02T10:05:00+03:00')]);
    expect(results.map(actionsOf)).toEqual([[], []]);
    expect(ctx.seen.id).toEqual(['q1', 'q2']);
    expect(ctx.seen.actions[0]).toBe(NO_ACTIONS);
    expect(ctx.seen.actions[1]).toBe(NO_ACTIONS);
    expect(Object.isFrozen(NO_ACTIONS)).toBe(true);
    expect(replayReply(ctx, message(quiet('q1', '2026-03-02T10:06:00+03:00'), 0))).toEqual({ kind: 'decision', re: 'q1', customer: ctx.id, actions: [], duplicate: true });
    // A decision with actions keeps its own record.
    const offered = handleEvent(ctx, message(event('ib.login', { id: 'q3', at: at('2026-03-02T10:10:00+03:00') }), 0));
    expect(actionsOf(offered)).toHaveLength(1);
    expect(offered.ctx.seen.actions.at(-1)).not.toBe(NO_ACTIONS);
    expect(offered.ctx.seen.actions.at(-1)).toEqual(actionsOf(offered));
  });

  it('remembers request ids by time, forgetting past the cap only answers without a contact, as columns that are new arrays each time', () => {
    const day = 86_400_000;
    const contact = [{ instance: 'c-1:1.a', campaign: 'shortfall', offer: 'credit', channel: 'sms', content: { text: 'x' } }];
    let seen = emptySeen();
    for (let i = 0; i < 40; i++) {
      const before = seen;
      seen = appendSeen(seen, `r-${i}`, 1_000 + i, i % 2 === 0 ? NO_ACTIONS : null, 32, 0);
      expect(before.id).toHaveLength(Math.min(i, 32)); // the log before is left as it was
    }
    expect(seen.id).toEqual(Array.from({ length: 32 }, (_, i) => `r-${i + 8}`));
    expect(seen.at).toEqual(Array.from({ length: 32 }, (_, i) => 1_008 + i));
    expect(seen.actions).toEqual(Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? NO_ACTIONS : null)));
    // Entries older than the window go, wherever they are (times need not be in order).
    const mixed = { id: ['old', 'new', 'older'], at: [10 * day, 20 * day, 5 * day], actions: [null, NO_ACTIONS, null] };
    expect(appendSeen(mixed, 'now', 21 * day, null, 32, 21 * day - 7 * day)).toEqual({
      id: ['new', 'now'],
      at: [20 * day, 21 * day],
      actions: [NO_ACTIONS, null],
    });
    // At the cap, the oldest answers without a contact go first; one with a contact stays.
    const capped = { id: ['a', 'b', 'c', 'd'], at: [1, 2, 3, 4], actions: [contact, NO_ACTIONS, null, contact] };
    expect(appendSeen(capped, 'e', 5, NO_ACTIONS, 4, 0)).toEqual({ id: ['a', 'c', 'd', 'e'], at: [1, 3, 4, 5], actions: [contact, null, contact, NO_ACTIONS] });
    expect(appendSeen(capped, 'e', 5, NO_ACTIONS, 3, 0).id).toEqual(['a', 'd', 'e']);
    expect(seenFull(capped, 4, 0)).toBe(false);
    // Every entry within the retention made a contact: full (none is forgotten for room).
    const contacts = { id: ['a', 'b', 'c'], at: [1, 2, 3], actions: [contact, contact, contact] };
    expect(seenFull(contacts, 3, 0)).toBe(true);
    expect(seenFull(contacts, 4, 0)).toBe(false);
    expect(seenFull(contacts, 3, 2)).toBe(false); // one of them is past the retention
    expect(appendSeen(contacts, 'd', 4, null, 3, 0).id).toEqual(['a', 'b', 'c', 'd']);
    // Kept by the server's clock when each came (not the event's own time): 8 days later, forgotten.
    const when = at('2026-03-02T10:00:00+03:00');
    const week = handleEvent(customer(), message(event('web.pageview', { id: 'w1', at: when - 3 * day, channel: 'web' }), when));
    expect(week.ctx.seen.at).toEqual([when]);
    const later = handleEvent(week.ctx, message(event('web.pageview', { id: 'w2', at: when + 8 * day, channel: 'web' }), when + 8 * day));
    expect(later.ctx.seen.id).toEqual(['w2']);
  });

  it('makes a context read back from a store share NO_ACTIONS the same way, and changes nothing else', () => {
    const action = { instance: 'c-1:1.a', campaign: 'shortfall', offer: 'credit', channel: 'sms', content: { text: 'x' } };
    const ctx: CustomerContext = {
      ...customer(),
      seen: { id: ['a', 'b', 'c', 'd'], at: [1, 2, 3, 4], actions: [[], null, [action], NO_ACTIONS] },
    };
    const shared = withSharedNoActions(ctx);
    expect(shared.seen.actions.map((a) => a === NO_ACTIONS)).toEqual([true, false, false, true]);
    expect(shared).toEqual(ctx);
    expect(ctx.seen.actions[0]).not.toBe(NO_ACTIONS); // the input is not changed
    expect(shared.seen.actions[2]).toBe(ctx.seen.actions[2]);
    expect(shared.seen.id).toBe(ctx.seen.id);
    // Nothing to share: the same context.
    expect(withSharedNoActions(shared)).toBe(shared);
  });

  it('records responses, closes the instance on a final answer, and rejects unknown instances', () => {
    const first = handleEvent(customer(), message(event('ib.login', { at: at('2026-03-02T10:00:00+03:00') }), 0));
    const instance = actionsOf(first)[0]!.instance;
    const clicked = handleResponse(first.ctx, { type: 'gateway.response', response: { id: 'r1', instance, outcome: 'clicked' }, now: 1, catalog: testCatalog });
    expect(clicked.reply).toEqual({ kind: 'ack', re: 'r1', duplicate: false });
    expect(clicked.ctx.pending).toHaveLength(1);
    const declined = handleResponse(clicked.ctx, { type: 'gateway.response', response: { id: 'r2', instance, outcome: 'declined' }, now: 2, catalog: testCatalog });
    expect(declined.ctx.pending).toHaveLength(0);
    expect(declined.ctx.contacts[0]!.outcome).toBe('declined');
    expect(declined.ctx.responses.map((r) => r.outcome)).toEqual(['clicked', 'declined']);
    const odd = handleResponse(declined.ctx, { type: 'gateway.response', response: { id: 'r3', instance, outcome: 'maybe-later' }, now: 3, catalog: testCatalog });
    expect(odd.ctx.responses.at(-1)!.outcome).toBe('maybe-later');
    const unknown = handleResponse(declined.ctx, { type: 'gateway.response', response: { id: 'r4', instance: 'c-1:zz.0', outcome: 'accepted' }, now: 4, catalog: testCatalog });
    expect(unknown.reply).toEqual({ kind: 'error', re: 'r4', code: 'invalid', message: expect.stringContaining('field "instance"') });
    expect(unknown.ctx).toBe(declined.ctx);
  });

  describe('a button pressed on a screen', () => {
    // The deposit's screen with the demo's buttons: «Открыть» means accepted, «Не сейчас» later; «Подробнее» has no outcome of its own.
    const def = testCatalogDef();
    const deposit = def.offers.find((o) => o.id === 'deposit')!;
    deposit.templates.ib!.buttons = [
      { id: 'accept', label: 'Открыть' },
      { id: 'later', label: 'Не сейчас' },
      { id: 'details', label: 'Подробнее' },
    ];
    deposit.buttonOutcomes = { accept: 'accepted', later: 'later' };
    deposit.onAccept = { action: 'open_deposit' };
    const catalog = compileCatalog(def);
    const offered = handleEvent(customer(), message(event('ib.login', { at: at('2026-03-02T10:00:00+03:00') }), 0, catalog));
    const instance = actionsOf(offered)[0]!.instance;
    const press = (outcome: string, data?: Record<string, unknown>) =>
      handleResponse(offered.ctx, { type: 'gateway.response', response: { id: 'btn-1', instance, outcome, ...(data !== undefined ? { data } : {}) }, now: 1, catalog });

    it('is the outcome its offer maps it to: accept is an acceptance (closed, action queued, learnt, counted), the button kept', () => {
      expect(actionsOf(offered)[0]!.content).toMatchObject({ buttons: [{ id: 'accept' }, { id: 'later' }, { id: 'details' }] });
      const r = press('accept', { screen: 'main' });
      expect(r.reply).toEqual({ kind: 'ack', re: 'btn-1', duplicate: false });
      expect(r.ctx.pending).toEqual([]);
      expect(r.ctx.contacts[0]).toMatchObject({ instance, outcome: 'accepted' });
      expect(r.ctx.responses).toEqual([expect.objectContaining({ id: 'btn-1', instance, outcome: 'accepted', data: { button: 'accept', screen: 'main' } })]);
      expect(r.outbox).toEqual([expect.objectContaining({ kind: 'backoffice', instance, action: 'open_deposit' })]);
      expect(r.trace.answered).toEqual([{ instance, outcome: 'accepted' }]);
      expect(r.trace.learned).toEqual([expect.objectContaining({ campaign: 'senior-deposit', positive: true })]);
      expect(r.reminders).toEqual([{ name: `expiry:${instance}`, cancel: true }]);
      // the same as the outcome named outright, but for the button kept
      const named = handleResponse(offered.ctx, { type: 'gateway.response', response: { id: 'btn-1', instance, outcome: 'accepted', data: { screen: 'main' } }, now: 1, catalog });
      expect({ ...r, ctx: { ...r.ctx, responses: [] } }).toEqual({ ...named, ctx: { ...named.ctx, responses: [] } });
    });

    it('later is a "maybe later": closed, nothing learnt, the offer weighing less', () => {
      const r = press('later');
      expect(r.ctx.pending).toEqual([]);
      expect(r.ctx.contacts[0]!.outcome).toBe('later');
      expect(r.ctx.responses.at(-1)).toMatchObject({ outcome: 'later', data: { button: 'later' } });
      expect(r.trace.learned).toEqual([]);
      expect(r.outbox).toEqual([]);
    });

    it('a button with no outcome mapped, or an outcome that is neither an outcome nor a button, is recorded as sent and leaves the offer open', () => {
      for (const outcome of ['details', 'maybe-tomorrow']) {
        const r = press(outcome);
        expect(r.reply).toEqual({ kind: 'ack', re: 'btn-1', duplicate: false });
        expect(r.ctx.pending.map((p) => p.instance)).toEqual([instance]);
        expect(r.ctx.contacts[0]!.outcome).toBeUndefined();
        expect(r.ctx.responses).toEqual([expect.objectContaining({ outcome })]);
        expect(r.ctx.responses[0]!.data).toBeUndefined();
        expect(r.trace.answered).toEqual([{ instance, outcome }]);
        expect(r.trace.learned).toEqual([]);
      }
    });

    it("maps only the buttons of the instance's own offer", () => {
      const sms = handleEvent(customer(), message(event('atm.withdrawal.declined', { at: at('2026-03-02T10:00:00+03:00'), data: { requested: 900, balance: 0 } }), 0, catalog));
      const credit = actionsOf(sms)[0]!.instance;
      const r = handleResponse(sms.ctx, { type: 'gateway.response', response: { id: 'btn-2', instance: credit, outcome: 'accept' }, now: 1, catalog });
      expect(r.ctx.responses.at(-1)!.outcome).toBe('accept');
      expect(r.ctx.pending.map((p) => p.instance)).toEqual([credit]);
      expect(r.outbox).toEqual([]);
    });
  });

  it('marks a queued contact delivered or failed', () => {
    const first = handleEvent(customer(), message(event('atm.withdrawal.declined', { at: at('2026-03-02T10:00:00+03:00'), data: { requested: 900, balance: 0 } }), 0));
    const instance = actionsOf(first)[0]!.instance;
    expect(first.ctx.contacts[0]!.delivery).toBe('queued');
    const delivered = handleDelivery(first.ctx, { type: 'delivery.report', instance, status: 'delivered', now: 1 });
    expect(delivered.contacts[0]!.delivery).toBe('delivered');
  });

  it('learns nothing from an offer that expires after it was cancelled at send time or failed; an offer delivered and left unanswered is a "no"', () => {
    const offered = handleEvent(customer(), message(event('atm.withdrawal.declined', { at: at('2026-03-02T10:00:00+03:00'), data: { requested: 900, balance: 0 } }), 0));
    const instance = actionsOf(offered)[0]!.instance;
    const later = event('ib.login', { at: at('2026-03-02T12:00:00+03:00') });
    const learnedAfter = (status: 'delivered' | 'failed' | 'suppressed') => {
      const ctx = handleDelivery(offered.ctx, { type: 'delivery.report', instance, status, now: 1, ...(status === 'suppressed' ? { reason: 'stop_list' } : {}) });
      return handleEvent(ctx, message(later, at('2026-03-02T12:00:00+03:00'))).trace.learned.filter((l) => l.campaign === 'shortfall');
    };
    expect(learnedAfter('suppressed')).toEqual([]);
    expect(learnedAfter('failed')).toEqual([]);
    expect(learnedAfter('delivered')).toEqual([expect.objectContaining({ campaign: 'shortfall', positive: false })]);
  });

  it('makes instance ids unique per customer and deterministic', () => {
    const e = event('ib.login', { at: at('2026-03-02T10:00:00+03:00') });
    const a = handleEvent(customer(), message(e, 0));
    const b = handleEvent(customer(), message(e, 0));
    expect(actionsOf(a)[0]!.instance).toBe(actionsOf(b)[0]!.instance);
    expect(actionsOf(a)[0]!.instance).toMatch(/^c-1:1\.[0-9a-z]+$/);
  });
});

describe('contact policy', () => {
  const login = (iso: string) => event('ib.login', { at: at(iso) });
  const declined = (iso: string) => event('atm.withdrawal.declined', { at: at(iso), data: { requested: 1000, balance: 800 } });
  const senior = customer();

  it('needs consent for marketing SMS and e-mail; "СТОП" withdraws it at once, consent.granted gives it back', () => {
    const noConsent = customer({ consents: {} });
    const r = handleEvent(noConsent, message(declined('2026-03-02T10:00:00+03:00'), 0));
    expect(actionsOf(r)).toEqual([]);
    expect(r.trace.explain[0]!.reason).toBe('no_channel:sms=no_consent');

    const { ctx, results } = run(senior, [event('sms.received', { at: at('2026-03-02T09:30:00+03:00'), data: { text: 'СТОП' } })], [declined('2026-03-02T10:00:00+03:00')]);
    expect(ctx.consents.sms).toEqual({ granted: false, at: at('2026-03-02T09:30:00+03:00'), source: 'sms_reply' });
    expect(actionsOf(results[1]!)).toEqual([]);
    const back = run(ctx, [event('consent.granted', { at: at('2026-03-03T09:30:00+03:00'), data: { channels: ['sms'] } })], [declined('2026-03-03T10:00:00+03:00')]);
    expect(actionsOf(back.results[1]!)).toHaveLength(1);
  });

  it('keeps push channels quiet outside 09:00-21:00 on weekdays and 10:00-20:00 at weekends, local time', () => {
    // The lunch SMS is not exempt; move its window to the evening to see the quiet hours.
    const def = testCatalogDef();
    def.campaigns[3]!.trigger!.localTime = { from: '00:00', to: '23:59' };
    const catalog = compileCatalog(def);
    const lover = { ...senior, segments: {}, features: { cafe_30d: [localDay('2026-03-01T12:00:00+03:00'), 3, 0, 0, 0] } };
    const visit = (iso: string) => event('branch.visit', { at: at(iso), location: { lat: 55.7614, lon: 37.609 } });
    const at2130 = handleEvent(lover, message(visit('2026-03-02T21:30:00+03:00'), 0, catalog));
    expect(at2130.trace.explain[0]!.reason).toBe('no_channel:sms=quiet_hours');
    const at2030 = handleEvent(lover, message(visit('2026-03-02T20:30:00+03:00'), 0, catalog));
    expect(actionsOf(at2030)).toHaveLength(1);
    // Saturday 09:30 is quiet, Saturday 10:30 is not.
    expect(handleEvent(lover, message(visit('2026-03-07T09:30:00+03:00'), 0, catalog)).trace.explain[0]!.reason).toBe('no_channel:sms=quiet_hours');
    expect(actionsOf(handleEvent(lover, message(visit('2026-03-07T10:30:00+03:00'), 0, catalog)))).toHaveLength(1);
  });

  it('lets the customer act at night: an exempt campaign texts at 23:00', () => {
    expect(actionsOf(handleEvent(senior, message(declined('2026-03-02T23:00:00+03:00'), 0)))).toHaveLength(1);
  });

  it('pauses an offer after a decline', () => {
    const first = handleEvent(senior, message(login('2026-03-02T10:00:00+03:00'), 0));
    const instance = actionsOf(first)[0]!.instance;
    const declinedIt = handleResponse(first.ctx, { type: 'gateway.response', response: { id: 'r-1', instance, outcome: 'declined', at: at('2026-03-02T10:01:00+03:00') }, now: 0, catalog: testCatalog });
    const weekLater = handleEvent(declinedIt.ctx, message(login('2026-03-10T10:00:00+03:00'), 0));
    expect(weekLater.trace.explain[0]).toMatchObject({ reason: 'recency:declined' });
    const monthLater = handleEvent(declinedIt.ctx, message(login('2026-04-02T10:00:00+03:00'), 0));
    expect(actionsOf(monthLater)).toHaveLength(1);
  });

  it('caps marketing contacts at three a week across channels, not counting in-session ATM screens', () => {
    const base = customer();
    const contacts = ['2026-03-02T10:00:00+03:00', '2026-03-03T10:00:00+03:00', '2026-03-04T10:00:00+03:00'].map((iso, i) => ({
      instance: `c-1:${i}.x`,
      campaign: `old-${i}`,
      offer: `old-${i}`,
      channel: i === 0 ? 'atm' : 'email',
      at: at(iso),
      marketing: true,
      delivery: 'shown' as const,
    }));
    // Two e-mails and an ATM screen this week: the ATM screen does not count, so one more may go.
    const withAtm = { ...base, contacts };
    expect(actionsOf(handleEvent(withAtm, message(login('2026-03-05T10:00:00+03:00'), 0)))).toHaveLength(1);
    const threeEmails = { ...base, contacts: contacts.map((c) => ({ ...c, channel: 'email' })) };
    const capped = handleEvent(threeEmails, message(login('2026-03-05T10:00:00+03:00'), 0));
    expect(actionsOf(capped)).toEqual([]);
    expect(capped.trace.explain[0]).toMatchObject({ reason: 'cap:any:3_per_7d' });
  });
});

describe('campaign controls', () => {
  const login = (iso: string, id?: string) => event('ib.login', { at: at(iso), ...(id === undefined ? {} : { id }) });
  const withControls = (patch: Record<string, unknown>) => {
    const def = testCatalogDef();
    Object.assign(def.campaigns[1]!, patch);
    return compileCatalog(def);
  };

  it('holds out a stable control group: the offer is recorded as "would have offered", never made', () => {
    const catalog = withControls({ controlPercent: 50 });
    let inControl = 0;
    for (let i = 0; i < 200; i++) {
      const c = customer({ id: `c-${i}` });
      const r = handleEvent(c, message(login('2026-03-02T10:00:00+03:00'), 0, catalog));
      const again = handleEvent(c, message(login('2026-03-02T10:00:00+03:00'), 0, catalog));
      expect(r.trace.explain[0]!.verdict).toBe(again.trace.explain[0]!.verdict);
      if (r.trace.explain[0]!.verdict === 'control') {
        inControl++;
        expect(actionsOf(r)).toEqual([]);
        expect(r.ctx.contacts).toEqual([expect.objectContaining({ campaign: 'senior-deposit', delivery: 'withheld', control: true })]);
        expect(r.ctx.pending).toEqual([]);
      } else {
        expect(actionsOf(r)).toHaveLength(1);
      }
    }
    expect(inControl).toBeGreaterThan(70);
    expect(inControl).toBeLessThan(130);
  });

  it('does not count withheld offers against caps, but does against recency', () => {
    const catalog = withControls({ controlPercent: 100 });
    const first = handleEvent(customer(), message(login('2026-03-02T10:00:00+03:00'), 0, catalog));
    expect(first.trace.explain[0]!.verdict).toBe('control');
    const later = handleEvent(first.ctx, message(login('2026-03-03T10:00:00+03:00'), 0, catalog));
    expect(later.trace.explain[0]).toMatchObject({ reason: 'recency:offer' });
    // The shortfall SMS the same day is not capped by the withheld offer.
    const sms = handleEvent(first.ctx, message(event('atm.withdrawal.declined', { at: at('2026-03-02T11:00:00+03:00'), data: { requested: 900, balance: 0 } }), 0, catalog));
    expect(actionsOf(sms)).toHaveLength(1);
  });

  it('copies every send to the seed list, rendered for the customer and their event masked', () => {
    const def = testCatalogDef();
    def.campaigns[0]!.seeds = [{ channel: 'sms', to: '+79990000001' }, { channel: 'sms', to: '+79990000002' }];
    def.campaigns[0]!.maxSmsParts = 3;
    // A marketer's template that would copy the customer's personal data to the seed's phone.
    def.offers[0]!.templates = {
      sms: { text: '{{customer.fullName}}, {{customer.age}} лет, {{customer.attributes.address}}, снято {{event.data.requested}}: не хватает {{vars.gap | rubles}}? Ответьте 1.' },
    };
    const address = 'г. Москва, ул. Большая Дмитровка, д. 32, стр. 1, кв. 117, подъезд 4, этаж 9';
    const ctx = customer({ profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова', age: 62, attributes: { address } } });
    const r = handleEvent(ctx, message(event('atm.withdrawal.declined', { at: at('2026-03-02T10:00:00+03:00'), data: { requested: 1000, balance: 800 } }), 0, compileCatalog(def)));
    const [a] = actionsOf(r);
    const real = (a!.content as { text: string }).text;
    expect(real.startsWith(`Соколова Ирина Петровна, 62 лет, ${address}, снято 1`)).toBe(true);
    expect(real).toMatch(/снято 1\s000: не хватает 200\sрублей\? Ответьте 1\.$/);
    // The customer's own message carries the customer's phone; the copies, the seeds' (and say they are copies).
    expect(r.outbox.map((o) => [o.instance, o.kind === 'offer' ? o.to : undefined, o.kind === 'offer' ? o.seed : undefined])).toEqual([
      [a!.instance, '+79161234567', undefined],
      [`${a!.instance}~seed1`, '+79990000001', true],
      [`${a!.instance}~seed2`, '+79990000002', true],
    ]);
    const texts = r.outbox.map((o) => (o.kind === 'offer' ? (o.content as { text: string }).text : ''));
    expect(texts[0]).toBe(real);
    // The copy: the names' first letters, every other value of the customer and of their event `***`.
    const copy = 'С*** И*** П***, *** лет, ***, снято ***: не хватает ***? Ответьте 1.';
    expect(texts.slice(1)).toEqual([copy, copy]);
    // Its SMS parts are its own text's, not the customer's message's.
    expect(smsLength(real).parts).toBe(3);
    expect(smsLength(copy).parts).toBe(1);
  });

  it('copies a near campaign to the seed list without where the customer was', () => {
    const def = testCatalogDef();
    def.campaigns[3]!.seeds = [{ channel: 'sms', to: '+79990000001' }];
    const catalog = compileCatalog(def);
    const tx = (iso: string) => event('card.transaction', { at: at(iso), channel: 'pos', data: { amount: 700, mcc: '5812' } });
    let ctx = customer();
    for (const iso of ['2026-02-20T13:00:00+03:00', '2026-02-25T13:00:00+03:00', '2026-03-01T13:00:00+03:00']) ctx = handleEvent(ctx, message(tx(iso), undefined, catalog)).ctx;
    const r = handleEvent(ctx, message(event('branch.visit', { at: at('2026-03-02T12:30:00+03:00'), location: { lat: 55.7614, lon: 37.609, place: 'branch-1' } }), undefined, catalog));
    const texts = r.outbox.map((o) => (o.kind === 'offer' ? [o.to, (o.content as { text: string }).text] : []));
    expect(texts).toEqual([
      ['+79161234567', 'Ирина Петровна: Кафе «Рядом», ул. Тверская, 10, 3 мин на северо-запад.'],
      ['+79990000001', 'И*** П***: ***, ***, *** мин ***.'],
    ]);
  });

  it('stays silent for a campaign whose budget is spent', () => {
    const r = handleEvent(customer(), { ...message(login('2026-03-02T10:00:00+03:00'), 0), budgetSpent: new Set(['senior-deposit']) });
    expect(actionsOf(r)).toEqual([]);
    expect(r.trace.explain[0]).toMatchObject({ campaign: 'senior-deposit', reason: 'budget_spent' });
  });
});

describe('active hours', () => {
  it('run a campaign only in its hours, in the customer’s local time', () => {
    const def = testCatalogDef();
    def.campaigns[1]!.activeHours = { from: '09:00', to: '18:00' };
    const catalog = compileCatalog(def);
    const at1000 = handleEvent(customer(), message(event('ib.login', { at: at('2026-03-02T10:00:00+03:00') }), 0, catalog));
    expect(actionsOf(at1000)).toHaveLength(1);
    const at1900 = handleEvent(customer(), message(event('ib.login', { at: at('2026-03-02T19:00:00+03:00') }), 0, catalog));
    expect(at1900.trace.explain[0]).toMatchObject({ reason: 'outside_hours:19:00' });
  });
});

describe('learnt propensity', () => {
  it('moves a group’s probability from the marketer’s prior by the responses seen', () => {
    expect(posteriorProbability(0.1, undefined, 20)).toBe(0.1);
    expect(posteriorProbability(0.1, { positives: 0, negatives: 0 }, 20)).toBeCloseTo(0.1, 12);
    expect(posteriorProbability(0.1, { positives: 30, negatives: 50 }, 20)).toBeCloseTo(32 / 100, 12);
    expect(posteriorProbability(0.1, { positives: 0, negatives: 180 }, 20)).toBeCloseTo(2 / 200, 12);
  });

  it('ranks by the learnt probability and falls silent when the evidence sinks it under the floor', () => {
    const login = event('ib.login', { at: at('2026-03-02T10:00:00+03:00') });
    const lifted = handleEvent(customer(), { ...message(login, 0), evidence: new Map([['senior-deposit/sixty', { positives: 30, negatives: 50 }]]) });
    expect(lifted.trace.explain[0]).toMatchObject({ verdict: 'offered', probability: 0.32, score: 0.32 * 1000 });
    const sunk = handleEvent(customer(), { ...message(login, 0), evidence: new Map([['senior-deposit/sixty', { positives: 0, negatives: 300 }]]) });
    expect(actionsOf(sunk)).toEqual([]);
    expect(sunk.trace.explain[0]).toMatchObject({ reason: 'below_propensity_floor', group: 'sixty' });
  });

  it('learns once from a final answer, and a negative from an offer left to expire', () => {
    const first = handleEvent(customer(), message(event('ib.login', { at: at('2026-03-02T10:00:00+03:00') }), 0));
    const instance = actionsOf(first)[0]!.instance;
    const accepted = handleResponse(first.ctx, { type: 'gateway.response', response: { id: 'r-a', instance, outcome: 'accepted' }, now: 1, catalog: testCatalog });
    expect(accepted.trace.learned).toEqual([expect.objectContaining({ campaign: 'senior-deposit', group: 'sixty', positive: true, offer: 'deposit', arm: 'model' })]);
    // The model learns from exactly the features it scored at the decision.
    expect(accepted.trace.learned[0]?.x).toEqual(first.ctx.pending[0]?.x);
    expect(accepted.trace.learned[0]?.x?.length).toBeGreaterThan(5);
    const again = handleResponse(accepted.ctx, { type: 'gateway.response', response: { id: 'r-b', instance, outcome: 'declined' }, now: 2, catalog: testCatalog });
    expect(again.trace.learned).toEqual([]);
    // Left unanswered: the next event after the offer's day is up counts it as a negative.
    const ignored = handleEvent(first.ctx, message(event('web.pageview', { at: at('2026-03-04T10:00:00+03:00') }), 0));
    expect(ignored.trace.learned).toEqual([expect.objectContaining({ campaign: 'senior-deposit', group: 'sixty', positive: false })]);
  });
});
