import type { CatalogDef } from '../catalog/definition-schema.js';
import { compileCatalog } from '../catalog/compile-catalog.js';
import { defaultPolicy } from '../default-policy.js';
import type { CustomerContext, CustomerInput } from '../customer-state.js';
import { initialCustomerContext } from '../customer-state.js';
import type { EventMessage } from '../customer-logic.js';
import type { GatewayEvent } from '../gateway-event.js';
import { BrainError } from '../brain-error.js';

/** Fixtures for the brain's tests: a small catalog and customers, no server. */

/** Epoch ms of an ISO date-time (with its offset). */
export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new BrainError('invalid', `bad date ${iso}`);
  return ms;
};

export function testCatalogDef(): CatalogDef {
  return {
    version: 1,
    features: [
      {
        id: 'cafe_30d',
        events: ['card.transaction'],
        where: { attr: 'event.data.mcc', op: 'in', value: ['5812', '5814'] },
        aggregate: 'count',
        windowDays: 30,
      },
      { id: 'spend_7d', events: ['card.transaction'], aggregate: 'sum', field: 'event.data.amount', windowDays: 7 },
    ],
    segments: [
      { id: 'seniors', name: 'Seniors', rule: { attr: 'profile.age', op: 'gte', value: 60 } },
      { id: 'cafe_lovers', name: 'Cafe lovers', rule: { attr: 'feature.cafe_30d', op: 'gte', value: 3 } },
    ],
    offers: [
      {
        id: 'credit',
        name: 'Credit',
        value: 100,
        templates: { sms: { text: '{{customer.name}}, не хватает {{vars.gap | rubles}}? Ответьте 1.' } },
        replies: { '1': 'accepted', 'нет': 'declined' },
        onAccept: { action: 'issue_credit' },
      },
      {
        id: 'deposit',
        name: 'Deposit',
        value: 1000,
        params: { rate: 17 },
        templates: {
          ib: { title: 'Вклад {{offer.rate | percent}}', text: '{{customer.name}}, откройте вклад.', buttons: [{ id: 'accept', label: 'Открыть' }] },
          callcenter: { script: 'Предложите вклад: {{offer.rate | percent}}. Клиент: {{customer.fullName}}.' },
          email: { subject: 'Вклад для вас', text: '{{customer.name}}, ставка {{offer.rate | percent}}.' },
        },
      },
      {
        id: 'welcome',
        name: 'Welcome',
        value: 1,
        templates: { sms: { text: '{{customer.name}}, добро пожаловать в банк!' } },
      },
      {
        id: 'lunch',
        name: 'Lunch',
        value: 10,
        templates: { sms: { text: '{{customer.name}}: {{partner.name}}, {{partner.address}}, {{partner.minutes}} мин {{partner.direction}}.' } },
      },
    ],
    campaigns: [
      {
        id: 'shortfall',
        name: 'Shortfall',
        status: 'active',
        priority: 2,
        offer: 'credit',
        channels: ['sms'],
        trigger: { events: ['atm.withdrawal.declined'], when: { attr: 'vars.gap', op: 'between', value: [1, 30000] } },
        vars: { gap: { from: 'event.data.requested', minus: 'event.data.balance', roundUpTo: 100 } },
        groups: [{ id: 'clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 30 }],
        expiresIn: '1h',
        // The customer is at the ATM now: no quiet hours, and the daily cap is the only limit.
        quietHoursExempt: true,
        recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 1 },
      },
      {
        id: 'senior-deposit',
        name: 'Senior deposit',
        status: 'active',
        offer: 'deposit',
        channels: ['ib', 'callcenter', 'email'],
        trigger: { events: ['ib.login', 'callcenter.call'] },
        groups: [
          { id: 'sixty', when: { attr: 'segment.seniors', op: 'eq', value: true }, responsePercent: 10 },
          { id: 'fifty-five', when: { attr: 'profile.age', op: 'between', value: [55, 59] }, responsePercent: 5 },
          { id: 'fifties', when: { attr: 'profile.age', op: 'between', value: [50, 54] }, responsePercent: 0.5 },
        ],
        expiresIn: '1d',
      },
      {
        id: 'welcome',
        name: 'Welcome new clients',
        status: 'active',
        offer: 'welcome',
        channels: ['sms'],
        trigger: { events: ['account.opened'] },
        groups: [{ id: 'new-clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
      },
      {
        id: 'lunch',
        name: 'Lunch',
        status: 'active',
        offer: 'lunch',
        channels: ['sms'],
        trigger: { events: ['branch.visit'], localTime: { from: '12:00', to: '15:00' }, near: { partners: 'cafe', radiusM: 1000 } },
        groups: [{ id: 'lovers', when: { attr: 'segment.cafe_lovers', op: 'eq', value: true }, responsePercent: 15 }],
        expiresIn: '3h',
      },
    ],
    partners: [
      { id: 'cafe-near', kind: 'cafe', name: 'Кафе «Рядом»', address: 'ул. Тверская, 10', lat: 55.7625, lon: 37.6075 },
      { id: 'cafe-far', kind: 'cafe', name: 'Кафе «Далеко»', address: 'ул. Далёкая, 1', lat: 55.9, lon: 37.9 },
    ],
    places: [{ id: 'branch-1', kind: 'branch', name: 'Отделение', address: 'ул. Тверская, 8', lat: 55.7614, lon: 37.609 }],
    policy: structuredClone(defaultPolicy),
  };
}

export const testCatalog = compileCatalog(testCatalogDef());

/** Marketing consent on every channel that needs it, as the bank's import gives it. */
export const granted: CustomerInput['consents'] = {
  sms: { granted: true, at: 0, source: 'import' },
  email: { granted: true, at: 0, source: 'import' },
  push: { granted: true, at: 0, source: 'import' },
};

export function customer(overrides: Partial<CustomerInput> = {}): CustomerContext {
  return initialCustomerContext({
    id: 'c-1',
    stage: 'client',
    profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова', age: 62 },
    identifiers: { phone: ['+79161234567'], email: ['irina@bank.example'], card: ['card-1'] },
    consents: granted,
    at: at('2026-01-01T00:00:00Z'),
    reason: 'import',
    ...overrides,
  });
}

let n = 0;
export function event(type: string, fields: Partial<GatewayEvent> = {}): GatewayEvent {
  n++;
  return { id: `e-${n}`, type, customer: { id: 'c-1' }, ...fields };
}

/** An event message; the server's clock is the event's own time unless `now` says otherwise. */
export function message(e: GatewayEvent, now: number = e.at ?? 0, catalog = testCatalog, stops: EventMessage['stops'] = []): EventMessage {
  return { type: 'gateway.event', event: e, now, catalog, stops };
}
