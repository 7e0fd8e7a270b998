import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { bareHost } from '../test-support/bare-host.js';
import { importCsv } from '../test-support/import-csv.js';
import { tempDir } from '../test-support/test-kairos.js';
import { refreshSnapshots } from './refresh-snapshots.js';

/**
 * The bank's imported columns and birth date in the brain, on a real LMDB store, a real
 * customer host and a manual clock: a rule on an attribute selects the right customers, an age
 * rule flips on the birthday (in the customer's time zone), and the direct import lays its
 * changes over customers who already have a snapshot (the card and the next decision see them).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 in Moscow on a day of the manual clock (nothing reads the wall clock) */
const T0 = Date.UTC(2030, 0, 15, 7, 0);

/** YYYY-MM-DD of a time's UTC day, `years` earlier. */
function yearsBefore(t: number, years: number): string {
  const d = new Date(t);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
}

const catalog = compileCatalog(
  (() => {
    const def = testCatalogDef();
    def.segments = [
      ...def.segments,
      { id: 'affluent', name: 'Affluent', rule: { all: [{ attr: 'profile.attributes.income', op: 'gt', value: 100000 }, { attr: 'profile.attributes.vip', op: 'ne', value: false }] } },
      { id: 'early', name: 'Early', rule: { attr: 'profile.attributes.opened', op: 'lt', value: yearsBefore(T0, 10) } },
    ];
    def.campaigns = [
      ...def.campaigns,
      {
        id: 'import-60-plus',
        name: 'Вклад для клиентов 60+ после обновления данных',
        status: 'active',
        offer: 'deposit',
        channels: ['email'],
        trigger: { events: ['profile.updated'] },
        groups: [{ id: 'sixty', when: { attr: 'profile.age', op: 'gte', value: 60 }, responsePercent: 10 }],
      },
    ];
    return def;
  })(),
);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function harness(store: LmdbStore, clock: ManualClock): CustomerHost {
  return bareHost(store, clock, catalog);
}

function openStore(): LmdbStore {
  const d = tempDir('kairos-imported-');
  cleanups.push(d.remove);
  const store = new LmdbStore(join(d.dir, 'lmdb'));
  cleanups.push(() => store.close());
  return store;
}

let seq = 0;
const visit = (id: string, at: number): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id }, channel: 'web', at, data: { page: '/deposits' } });

async function segmentsOf(host: CustomerHost, id: string): Promise<string[]> {
  return Object.keys((await host.view(id))?.segments ?? {}).sort();
}

describe('imported attributes and age in rules', () => {
  it('selects customers by their imported attributes, typed, and moves age on at the birthday in their time zone', async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    // b-1 turns 60 tomorrow (Moscow), b-4 tomorrow too but in Vladivostok, where tomorrow comes 7 hours earlier.
    const tomorrow = yearsBefore(T0 + DAY, 60);
    const csv = [
      'id,first_name,birth_date,timezone,income,vip,opened',
      `b-1,Анна,${tomorrow},Europe/Moscow,150000,true,${yearsBefore(T0, 12)}`,
      `b-2,Борис,${yearsBefore(T0, 30)},,90000,true,${yearsBefore(T0, 2)}`,
      `b-3,Вера,${yearsBefore(T0, 61)},,250000,false,`,
      `b-4,Глеб,${tomorrow},Asia/Vladivostok,высокий,,`,
    ].join('\n');
    expect(await importCsv(store, csv, T0)).toMatchObject({ created: 4, rejected: 0 });
    const host = harness(store, clock);
    cleanups.push(() => host.close(5000));
    for (const id of ['b-1', 'b-2', 'b-3', 'b-4']) expect((await host.submitEvent(visit(id, T0))).kind).toBe('decision');
    expect(await segmentsOf(host, 'b-1')).toEqual(['affluent', 'early']);
    expect(await segmentsOf(host, 'b-2')).toEqual([]);
    // 250000 but vip=false; 61 years old
    expect(await segmentsOf(host, 'b-3')).toEqual(['seniors']);
    // income is text ("высокий"): not a number, never greater than one
    expect(await segmentsOf(host, 'b-4')).toEqual([]);
    expect((await host.view('b-1'))?.profile).toMatchObject({ birthDate: tomorrow, attributes: { income: 150000, vip: true } });

    // 22:00 in Moscow: still the day before b-1's birthday there, already the birthday in Vladivostok (05:00).
    clock.set(T0 + 12 * HOUR);
    for (const id of ['b-1', 'b-4']) await host.submitEvent(visit(id, clock.now()));
    expect(await segmentsOf(host, 'b-1')).toEqual(['affluent', 'early']);
    expect(await segmentsOf(host, 'b-4')).toEqual(['seniors']);
    // 00:30 in Moscow: b-1's birthday.
    clock.set(T0 + 14.5 * HOUR);
    await host.submitEvent(visit('b-1', clock.now()));
    expect(await segmentsOf(host, 'b-1')).toEqual(['affluent', 'early', 'seniors']);
  });

  it('the direct import updates customers who already have a snapshot: the card and the next decision see the new profile', async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    await importCsv(store, `id,first_name,income\nb-1,Анна,90000\nb-2,Борис,80000\n`, T0);
    const first = harness(store, clock);
    for (const id of ['b-1', 'b-2']) await first.submitEvent(visit(id, T0));
    expect(await segmentsOf(first, 'b-1')).toEqual([]);
    await first.close(5000);
    expect((await store.getSnapshot('b-1'))).toBeDefined();

    // The bank's next file: b-1 earns more and gives a birth date (over 60); b-2 unchanged; b-5 is new.
    clock.set(T0 + HOUR);
    const result = await importCsv(store, `id,first_name,income,birth_date\nb-1,Анна,180000,${yearsBefore(T0, 65)}\nb-2,Борис,80000,\nb-5,Ева,500000,\n`, clock.now(), true);
    expect(result).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    // Importing the same file again writes nothing more.
    expect(await refreshSnapshots(store, [{ id: 'b-1', record: (await store.getCustomer('b-1'))! }], clock.now())).toBe(0);

    const second = harness(store, clock);
    cleanups.push(() => second.close(5000));
    const card = await second.view('b-1');
    expect(card?.profile).toMatchObject({ firstName: 'Анна', birthDate: yearsBefore(T0, 65), attributes: { income: 180000 } });
    // history kept: the earlier event's decision is the actor's, not a new customer's
    expect(card?.lastEventAt).toBe(T0);
    await second.submitEvent(visit('b-1', clock.now()));
    expect(await segmentsOf(second, 'b-1')).toEqual(['affluent', 'seniors']);
    await second.submitEvent(visit('b-5', clock.now()));
    expect(await segmentsOf(second, 'b-5')).toEqual(['affluent']);
  });

  it("the direct import gives a customer with a snapshot the record's new phone, first, and frees the old one", async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    await importCsv(store, `id,first_name,phone\nb-1,Анна,+79160000001\n`, T0);
    const first = harness(store, clock);
    // an event adds a phone the bank does not list
    await first.submitEvent({ ...visit('b-1', T0), customer: { id: 'b-1', phone: '+79160000009' } });
    expect((await first.view('b-1'))?.identifiers.phone).toEqual(['+79160000001', '+79160000009']);
    await first.close(5000);
    clock.set(T0 + HOUR);
    expect(await importCsv(store, `id,first_name,phone\nb-1,Анна,+79160000002\n`, clock.now(), true)).toMatchObject({ updated: 1 });
    const second = harness(store, clock);
    cleanups.push(() => second.close(5000));
    expect((await second.view('b-1'))?.identifiers.phone).toEqual(['+79160000002', '+79160000009']);
    expect(await store.lookupIdentity('phone', '+79160000001')).toBeUndefined();
    expect(await store.lookupIdentity('phone', '+79160000002')).toBe('b-1');
  });

  it('the direct import tells the actors through reminders: a profile.updated campaign makes its contact, a move to former_client reaches the stage', async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    await importCsv(store, `id,last_name,first_name,patronymic,birth_date,email,consent_email,stage\nb-1,Кузнецова,Ольга,Ивановна,${yearsBefore(T0, 50)},olga@example.ru,true,client\nb-2,Петров,Борис,,${yearsBefore(T0, 40)},,,client\n`, T0);
    const first = harness(store, clock);
    for (const id of ['b-1', 'b-2']) await first.submitEvent(visit(id, T0));
    const ofCampaign = (contacts: ReadonlyArray<{ campaign: string }> | undefined) => (contacts ?? []).filter((c) => c.campaign === 'import-60-plus');
    expect(ofCampaign((await first.view('b-1'))?.contacts)).toEqual([]);
    await first.close(5000);

    // Without a server: the bank corrects b-1's birth date (62 now) and b-2 leaves the bank.
    clock.set(T0 + HOUR);
    const file = `id,birth_date,stage\nb-1,${yearsBefore(T0, 62)},client\nb-2,,former_client\n`;
    expect(await importCsv(store, file, clock.now(), true)).toMatchObject({ updated: 2 });
    const due = await store.dueReminders(clock.now(), 10);
    expect(due.map((r) => [r.key, r.event, r.due])).toEqual([
      ['b-1|import:profile', 'profile.updated', clock.now()],
      ['b-2|import:stage', 'client.churned', clock.now()],
    ]);
    expect(due[0]?.data).toMatchObject({ firstName: 'Ольга', birthDate: yearsBefore(T0, 62) });
    // idempotent: laying the same records again writes the same reminders under the same names (b-2 is not former yet)
    const again = [{ id: 'b-1', record: (await store.getCustomer('b-1'))! }, { id: 'b-2', record: (await store.getCustomer('b-2'))! }];
    expect(await refreshSnapshots(store, again, clock.now())).toBe(1);
    expect((await store.dueReminders(clock.now(), 10)).length).toBe(2);

    // The next server start: its reminder poller delivers them as the route's events would be.
    const second = harness(store, clock);
    cleanups.push(() => second.close(5000));
    expect(await second.pollReminders()).toBe(2);
    const card = await second.view('b-1');
    expect(ofCampaign(card?.contacts)).toEqual([expect.objectContaining({ campaign: 'import-60-plus', channel: 'email' })]);
    expect((await second.view('b-2'))?.stage).toBe('formerClient');
    await second.close(5000);
    // fired once: the import's reminders are gone (the contact's offer expiry is the actor's own)
    expect((await store.dueReminders(clock.now() + 7 * DAY, 10)).filter((r) => r.key.includes('|import:'))).toEqual([]);
  });

  it("the direct import brings the record's consents to a customer with a snapshot: a withdrawal at once, a grant only when the record changed to yes", async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    const file = (sms: boolean, email: boolean) => `id,first_name,phone,email,consent_sms,consent_email\nb-1,Анна,+79160000001,anna@example.ru,${sms},${email}\nb-2,Борис,+79160000002,,true,\n`;
    await importCsv(store, file(true, false), T0);
    const first = harness(store, clock);
    for (const id of ['b-1', 'b-2']) await first.submitEvent(visit(id, T0));
    expect((await first.view('b-1'))?.consents).toMatchObject({ sms: { granted: true }, email: { granted: false } });
    // b-2 withdraws SMS consent by replying "СТОП" to an SMS: the bank's record still says yes
    await first.submitEvent({ id: 'stop-b-2', type: 'sms.received', customer: { id: 'b-2' }, channel: 'sms', at: T0 + 60_000, data: { text: 'СТОП' } });
    expect((await first.view('b-2'))?.consents.sms).toMatchObject({ granted: false, source: 'sms_reply' });
    await first.close(5000);

    // Without a server: b-1 withdraws SMS and grants e-mail at the branch; b-2's row is the same as before.
    clock.set(T0 + HOUR);
    expect(await importCsv(store, file(false, true), clock.now(), true)).toMatchObject({ updated: 1, unchanged: 1 });
    const due = await store.dueReminders(clock.now(), 10);
    expect(due.map((r) => [r.key, r.event, r.data])).toEqual([
      ['b-1|import:consent-granted', 'consent.granted', { channels: ['email'], source: 'import' }],
      ['b-1|import:consent-revoked', 'consent.revoked', { channels: ['sms'], source: 'import' }],
    ]);
    // Importing the same file again moves nothing more.
    expect(await refreshSnapshots(store, [{ id: 'b-1', record: (await store.getCustomer('b-1'))! }], clock.now(), [{ id: 'b-1', before: (await store.getCustomer('b-1'))! }])).toBe(0);

    // The next server sees the withdrawal in the stored state before any reminder is delivered:
    // the send check and the card read it.
    const second = harness(store, clock);
    cleanups.push(() => second.close(5000));
    expect((await second.view('b-1'))?.consents).toMatchObject({ sms: { granted: false, at: clock.now(), source: 'import' }, email: { granted: true, at: clock.now(), source: 'import' } });
    // b-2's withdrawal by SMS stands: an unchanged record never grants again
    expect((await second.view('b-2'))?.consents.sms).toMatchObject({ granted: false, source: 'sms_reply' });
    expect(await second.pollReminders()).toBe(2);
    expect((await second.view('b-1'))?.consents).toMatchObject({ sms: { granted: false }, email: { granted: true } });

    // A later file that changes b-2's answer to no, then to yes again: the bank's new consent is granted.
    await second.close(5000);
    clock.set(T0 + 2 * HOUR);
    await importCsv(store, `id,consent_sms\nb-2,false\n`, clock.now(), true);
    clock.set(T0 + 3 * HOUR);
    await importCsv(store, `id,consent_sms\nb-2,true\n`, clock.now(), true);
    const third = harness(store, clock);
    cleanups.push(() => third.close(5000));
    expect((await third.view('b-2'))?.consents.sms).toMatchObject({ granted: true, at: clock.now(), source: 'import' });
  });
});
