import type { CatalogDef } from '../../actors/index.js';

/**
 * The demo bank's catalog: the four campaigns of the seed documents, with Russian texts.
 *
 * (a) ATM shortfall micro-credit: a declined withdrawal for want of money -> an SMS offering
 *     the shortfall as credit; a reply "1" accepts it and queues `issue_credit`.
 * (b) "Пенсионный" deposit: clients 60+ (10 %) and 55-60 (5 %), in the internet bank and
 *     to call-centre operators.
 * (c) Restaurant lunch: clients with 3+ restaurant card transactions (MCC 5812/5814) in
 *     30 days who visit a branch between 12:00 and 15:00 local time get an SMS with a nearby
 *     partner restaurant's address and the way there on foot.
 * (d) A large idle balance -> a personal deposit rate, whenever the client is in the
 *     internet bank, on the phone with the call centre or at a branch.
 */

const moscowBranches: CatalogDef['places'] = [
  { id: 'msk-tverskaya', kind: 'branch', name: 'Отделение «Тверское»', address: 'Москва, ул. Тверская, 8', lat: 55.7614, lon: 37.609 },
  { id: 'msk-arbat', kind: 'branch', name: 'Отделение «Арбатское»', address: 'Москва, ул. Новый Арбат, 15', lat: 55.7527, lon: 37.5877 },
  { id: 'msk-kitay-gorod', kind: 'branch', name: 'Отделение «Китай-город»', address: 'Москва, ул. Маросейка, 2/15', lat: 55.7567, lon: 37.6334 },
  { id: 'msk-atm-0042', kind: 'atm', name: 'Банкомат у м. «Охотный Ряд»', address: 'Москва, Охотный Ряд, 2', lat: 55.7577, lon: 37.6156 },
];

const partnerRestaurants: CatalogDef['partners'] = [
  {
    id: 'rest-sytyy-lis',
    kind: 'restaurant',
    name: 'кафе «Сытый лис»',
    address: 'Камергерский пер., 5',
    lat: 55.7601,
    lon: 37.6126,
    note: 'бизнес-ланч −20 % по нашей карте',
  },
  {
    id: 'rest-arbatskiy-dvorik',
    kind: 'restaurant',
    name: 'ресторан «Арбатский дворик»',
    address: 'ул. Арбат, 20',
    lat: 55.7502,
    lon: 37.5935,
    note: 'второе блюдо в подарок к бизнес-ланчу',
  },
  {
    id: 'rest-maroseyka-7',
    kind: 'restaurant',
    name: 'бистро «Маросейка, 7»',
    address: 'ул. Маросейка, 7',
    lat: 55.7575,
    lon: 37.6358,
    note: 'кофе в подарок к обеду',
  },
];

export const demoCatalog: CatalogDef = {
  version: 1,
  features: [
    {
      id: 'restaurant_tx_30d',
      description: 'Card transactions in restaurants and fast food (MCC 5812, 5814) in 30 days',
      events: ['card.transaction'],
      where: { attr: 'event.data.mcc', op: 'in', value: ['5812', '5814'] },
      aggregate: 'count',
      windowDays: 30,
    },
    {
      id: 'card_spend_30d',
      description: 'Card spending in 30 days, roubles',
      events: ['card.transaction'],
      aggregate: 'sum',
      field: 'event.data.amount',
      windowDays: 30,
    },
    {
      id: 'ib_logins_30d',
      description: 'Internet-bank log-ins in 30 days',
      events: ['ib.login'],
      aggregate: 'count',
      windowDays: 30,
    },
  ],
  segments: [
    {
      id: 'clients_60_plus',
      name: 'Клиенты 60+',
      rule: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'gte', value: 60 }] },
    },
    {
      id: 'clients_55_60',
      name: 'Клиенты 55–60',
      rule: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'between', value: [55, 60] }] },
    },
    {
      id: 'clients_18_30',
      name: 'Клиенты 18–30',
      rule: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'between', value: [18, 30] }] },
    },
    {
      id: 'restaurant_lovers',
      name: 'Часто обедают в ресторанах',
      description: 'At least 3 restaurant card transactions in 30 days',
      rule: { attr: 'feature.restaurant_tx_30d', op: 'gte', value: 3 },
    },
    {
      id: 'idle_rich',
      name: 'Крупный остаток без движения',
      description: 'Balance of 500 000 roubles or more, and under 50 000 spent by card in 30 days',
      rule: {
        all: [
          { attr: 'stage', op: 'eq', value: 'client' },
          { attr: 'profile.balance', op: 'gte', value: 500_000 },
          { attr: 'feature.card_spend_30d', op: 'lt', value: 50_000 },
        ],
      },
    },
  ],
  offers: [
    {
      id: 'atm-microcredit',
      name: 'Кредит до зарплаты',
      description: 'The shortfall of a declined ATM withdrawal, as credit for 30 days',
      value: 300,
      params: { days: 30 },
      templates: {
        sms: {
          text: '{{customer.name}}, не хватает {{vars.shortfall | rubles}}? Ответьте 1 — зачислим их на карту в кредит на {{offer.days}} дней. Ответ ждём до {{expires.time}}.',
        },
      },
      replies: { '1': 'accepted', 'да': 'accepted', '0': 'declined', 'нет': 'declined' },
      onAccept: { action: 'issue_credit' },
    },
    {
      id: 'pension-deposit',
      name: 'Вклад «Пенсионный»',
      value: 5000,
      params: { rate: 17, term: '12 месяцев' },
      templates: {
        ib: {
          title: 'Вклад «Пенсионный» — {{offer.rate | percent}} годовых',
          text: '{{customer.name}}, для вас — вклад «Пенсионный»: {{offer.rate | percent}} годовых на {{offer.term}}, проценты каждый месяц, пополнение без ограничений.',
          buttons: [
            { id: 'accept', label: 'Открыть вклад' },
            { id: 'later', label: 'Не сейчас' },
          ],
        },
        callcenter: {
          script:
            'Обратитесь к клиенту по имени и отчеству: «{{customer.name}}». Предложите вклад «Пенсионный»: {{offer.rate | percent}} годовых на {{offer.term}}, ежемесячная выплата процентов, пополнение без ограничений. Если клиент согласен, оформите вклад и отметьте ответ «Принято».',
        },
      },
      buttonOutcomes: { accept: 'accepted', later: 'dismissed' },
    },
    {
      id: 'lunch-partner',
      name: 'Обед у партнёра рядом с отделением',
      value: 150,
      templates: {
        sms: {
          text: '{{customer.name}}, рядом с отделением {{partner.name}}, {{partner.address}}: {{partner.note}}. Пешком {{partner.minutes}} мин {{partner.direction}}: {{partner.route}}',
        },
      },
    },
    {
      id: 'personal-deposit-rate',
      name: 'Персональная ставка по вкладу «Накопительный»',
      value: 8000,
      templates: {
        ib: {
          title: 'Персональная ставка {{vars.rate | percent}}',
          text: '{{customer.name}}, для вас персональная ставка {{vars.rate | percent}} годовых по вкладу «Накопительный». Предложение действует до {{expires.date}}.',
          buttons: [
            { id: 'accept', label: 'Открыть вклад' },
            { id: 'later', label: 'Не сейчас' },
          ],
        },
        callcenter: {
          script:
            'У клиента крупный остаток без движения. Предложите вклад «Накопительный» по персональной ставке {{vars.rate | percent}} годовых (до {{expires.date}}). Обращение: «{{customer.name}}».',
        },
        branch: {
          script:
            'Предложите клиенту ({{customer.name}}) вклад «Накопительный» по персональной ставке {{vars.rate | percent}} годовых; ставка действует до {{expires.date}}.',
        },
      },
      buttonOutcomes: { accept: 'accepted', later: 'dismissed' },
    },
  ],
  campaigns: [
    {
      id: 'atm-shortfall',
      name: 'Не хватило в банкомате — кредит на недостающую сумму',
      status: 'active',
      priority: 2,
      offer: 'atm-microcredit',
      channels: ['sms'],
      trigger: {
        events: ['atm.withdrawal.declined'],
        when: { attr: 'vars.shortfall', op: 'between', value: [1, 30_000] },
      },
      vars: {
        shortfall: { from: 'event.data.requested', minus: 'event.data.balance', roundUpTo: 100 },
      },
      groups: [
        {
          id: 'clients-in-good-standing',
          name: 'Клиенты без просрочек',
          when: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.creditDefault', op: 'ne', value: true }] },
          responsePercent: 30,
        },
      ],
      expiresIn: '1h',
      maxSmsParts: 3,
      // The customer is standing at the ATM now: quiet hours do not apply, and each shortfall
      // may be offered again (the daily SMS cap still holds); a decline pauses it for a day.
      quietHoursExempt: true,
      recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 1 },
    },
    {
      id: 'pension-deposit',
      name: 'Вклад «Пенсионный» для клиентов 55+',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['ib', 'callcenter'],
      trigger: { events: ['ib.login', 'callcenter.call'] },
      groups: [
        { id: 'age-60-plus', name: 'Клиенты 60+', when: { attr: 'segment.clients_60_plus', op: 'eq', value: true }, responsePercent: 10 },
        { id: 'age-55-60', name: 'Клиенты 55–60', when: { attr: 'segment.clients_55_60', op: 'eq', value: true }, responsePercent: 5 },
      ],
      expiresIn: '1d',
    },
    {
      id: 'lunch-restaurant',
      name: 'Обед рядом с отделением',
      status: 'active',
      offer: 'lunch-partner',
      channels: ['sms'],
      trigger: {
        events: ['branch.visit'],
        localTime: { from: '12:00', to: '15:00' },
        near: { partners: 'restaurant', radiusM: 1500 },
      },
      groups: [
        { id: 'restaurant-lovers', when: { attr: 'segment.restaurant_lovers', op: 'eq', value: true }, responsePercent: 15 },
      ],
      expiresIn: '3h',
      maxSmsParts: 4,
    },
    {
      id: 'idle-balance-rate',
      name: 'Персональная ставка для крупного остатка без движения',
      status: 'active',
      offer: 'personal-deposit-rate',
      channels: ['ib', 'callcenter', 'branch'],
      trigger: { passive: true },
      vars: {
        rate: {
          from: 'profile.balance',
          tiers: [
            [500_000, 16.5],
            [1_000_000, 17],
            [3_000_000, 17.5],
          ],
        },
      },
      groups: [{ id: 'idle-rich', when: { attr: 'segment.idle_rich', op: 'eq', value: true }, responsePercent: 8 }],
      expiresIn: '7d',
    },
  ],
  partners: partnerRestaurants,
  places: moscowBranches,
  policy: {
    defaultTimezone: 'Europe/Moscow',
    caps: [
      { channel: '*', max: 1, window: '1d' },
      { channel: 'any', max: 3, window: '7d' },
    ],
    minResponsePercent: 1,
    maxActions: 3,
    expiresIn: '24h',
    consentRequired: ['sms', 'email', 'push'],
    quietHours: { channels: ['sms', 'push'], weekdays: { from: '09:00', to: '21:00' }, weekends: { from: '10:00', to: '20:00' } },
    recency: { sameOfferDays: 7, sameCampaignDays: 1, afterDeclineDays: 30 },
    sessionExempt: ['atm', 'kiosk'],
  },
};
