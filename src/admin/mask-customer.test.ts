import { describe, expect, it } from 'vitest';
import { renderedMasker } from './mask-customer.js';

/** What a role that may not read who the customer is sees of a text rendered for them. */

const at = Date.UTC(2026, 10, 23, 9);
const customer = {
  profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Смирнова', birthDate: '1961-11-23', attributes: { tier: 'Gold & Co', limit: 150000, vip: true } },
  identifiers: { customer: [], card: ['card-19'], phone: ['+79161234567'], email: ['irina@bank.ru'], cookie: [] },
};

describe('renderedMasker', () => {
  const mask = renderedMasker(customer, at);

  it('masks the names and identifiers as the masked card does, the age and the attributes whole', () => {
    expect(mask({ text: 'Смирнова Ирина Петровна, 65 лет, Gold & Co, лимит 150\u00a0000\u00a0₽ (true), +79161234567, irina@bank.ru' })).toEqual({
      text: 'С*** И*** П***, *** лет, ***, лимит ***\u00a0₽ (***), +7 *** *** ** 67, i***@bank.ru',
    });
  });

  it('masks a value escaped in an e-mail\'s HTML, and a number only as a whole number', () => {
    expect(mask({ html: '<p>Gold &#38; Co</p>' })).toEqual({ html: '<p>***</p>' });
    expect(mask({ text: 'за 1965 год: 65 и 650' })).toEqual({ text: 'за 1965 год: *** и 650' });
  });

  it('masks the age on either side of the birthday (the customer\'s local day)', () => {
    // 22 November in UTC, already the 23rd in Vladivostok: 64 or 65
    expect(renderedMasker(customer, Date.UTC(2026, 10, 22, 20))({ text: '64, 65' })).toEqual({ text: '***, ***' });
  });
});
