import { describe, expect, it } from 'vitest';
import { formatNumber, formatPercent, formatRub, formatRubles, ruPlural } from './format.js';
import { smsLength } from './sms-length.js';
import { compileTemplate, renderTemplate } from './template.js';
import type { TemplateScope } from './catalog/compile-template.js';
import { compileChannelTemplate } from './catalog/compile-template.js';
import { customerValues } from './decision/render.js';
import { customer } from './test-support/fixtures.js';

const anyVar = () => undefined;

describe('templates', () => {
  it('renders variables and filters', () => {
    const t = compileTemplate('{{ customer.name }}, {{vars.gap|rubles}} или {{vars.gap | rub}} под {{offer.rate | percent}}', 'x', anyVar);
    expect(t.variables).toEqual(['customer.name', 'vars.gap', 'vars.gap', 'offer.rate']);
    const r = renderTemplate(t, { customer: { name: 'Ирина Петровна' }, vars: { gap: 1500 }, offer: { rate: 16.5 } });
    expect(r).toEqual({ ok: true, text: 'Ирина Петровна, 1\u00a0500\u00a0рублей или 1\u00a0500\u00a0₽ под 16,5\u00a0%' });
  });

  it('refuses to render a message with a hole in it', () => {
    const t = compileTemplate('{{customer.name}}, привет', 'x', anyVar);
    expect(renderTemplate(t, { customer: {} })).toEqual({ ok: false, missing: 'customer.name' });
    expect(renderTemplate(t, { customer: { name: '' } })).toEqual({ ok: false, missing: 'customer.name' });
    expect(renderTemplate(compileTemplate('{{vars.x | rubles}}', 'x', anyVar), { vars: { x: 'много' } })).toEqual({ ok: false, missing: 'vars.x' });
  });

  it('does not read inherited properties', () => {
    const t = compileTemplate('{{customer.constructor}}', 'x', anyVar);
    expect(renderTemplate(t, { customer: {} })).toEqual({ ok: false, missing: 'customer.constructor' });
  });
});

describe('Russian formatting', () => {
  it('picks the plural form', () => {
    expect([1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111].map((n) => ruPlural(n, 'рубль', 'рубля', 'рублей'))).toEqual([
      'рубль', 'рубля', 'рублей', 'рублей', 'рублей', 'рублей', 'рубль', 'рубля', 'рублей', 'рубль', 'рублей',
    ]);
  });

  it('formats amounts and rates', () => {
    expect(formatRubles(200)).toBe('200\u00a0рублей');
    expect(formatRubles(1)).toBe('1\u00a0рубль');
    expect(formatRubles(1_234_567)).toBe('1\u00a0234\u00a0567\u00a0рублей');
    expect(formatRubles(10.5)).toBe('10,5\u00a0рубля');
    expect(formatRub(-2500)).toBe('-2\u00a0500\u00a0₽');
    expect(formatPercent(17)).toBe('17\u00a0%');
    expect(formatNumber(0.125, 2)).toBe('0,13');
  });
});

describe('SMS length', () => {
  it('counts GSM-7 texts in septets, extension characters twice', () => {
    expect(smsLength('Hello')).toEqual({ encoding: 'gsm7', units: 5, parts: 1, remaining: 155 });
    expect(smsLength('a'.repeat(160)).parts).toBe(1);
    expect(smsLength('a'.repeat(161)).parts).toBe(2);
    expect(smsLength('€'.repeat(80))).toMatchObject({ encoding: 'gsm7', units: 160, parts: 1 });
  });

  it('counts Cyrillic as UCS-2: 70 in one part, 67 per part after that', () => {
    expect(smsLength('Я'.repeat(70))).toMatchObject({ encoding: 'ucs2', parts: 1, remaining: 0 });
    expect(smsLength('Я'.repeat(71))).toMatchObject({ encoding: 'ucs2', parts: 2, remaining: 63 });
    expect(smsLength('Я'.repeat(134)).parts).toBe(2);
    expect(smsLength('Я'.repeat(135)).parts).toBe(3);
    // One Cyrillic letter makes the whole message UCS-2.
    expect(smsLength(`${'a'.repeat(100)}Я`)).toMatchObject({ encoding: 'ucs2', parts: 2 });
    // A character outside the BMP takes two UTF-16 units.
    expect(smsLength('😀').units).toBe(2);
  });
});

describe('templates: the imported profile', () => {
  it('say the age on the decision\'s day and the imported attributes; the catalog accepts customer.age and customer.attributes.<name>', () => {
    const scope: TemplateScope = { offer: { id: 'o', name: 'O', value: 1, templates: {} }, vars: new Set(), near: false };
    const tpl = compileChannelTemplate({ text: '{{customer.firstName}}, {{customer.age}} лет, доход {{customer.attributes.income | rubles}}' }, 'sms', 't', scope, 3);
    expect(() => compileChannelTemplate({ text: '{{customer.salary}}' }, 'sms', 't', scope, 3)).toThrow(/attributes\.<name>/);
    const ctx = customer({ profile: { firstName: 'Ирина', birthDate: '1970-03-01', attributes: { income: 150000 } } });
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    const text = (d: string) => renderTemplate(tpl.text!, { customer: customerValues(ctx, day(d)) });
    expect(text('2030-02-28')).toEqual({ ok: true, text: `Ирина, 59 лет, доход ${formatRubles(150000)}` });
    expect(text('2030-03-01')).toEqual({ ok: true, text: `Ирина, 60 лет, доход ${formatRubles(150000)}` });
    // without the attribute, the message is not sendable (never a hole in it)
    expect(renderTemplate(tpl.text!, { customer: customerValues(customer({ profile: { firstName: 'Ирина', age: 40 } }), day('2030-03-01')) })).toEqual({ ok: false, missing: 'customer.attributes.income' });
  });
});
