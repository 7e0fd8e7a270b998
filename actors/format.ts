/**
 * Russian formatting for customer-facing texts: amounts in roubles with the right plural,
 * percentages with a decimal comma, dates. Pure.
 */

const NBSP = '\u00a0';

/** Picks the Russian plural form for n: one (1, 21), few (2-4, 22-24), many (0, 5-20, 25...). */
export function ruPlural(n: number, one: string, few: string, many: string): string {
  const abs = Math.abs(Math.trunc(n));
  const mod100 = abs % 100;
  const mod10 = abs % 10;
  if (mod100 >= 11 && mod100 <= 14) return many;
  if (mod10 === 1) return one;
  if (mod10 >= 2 && mod10 <= 4) return few;
  return many;
}

/** 1234567.5 -> "1 234 567,5" (no-break spaces between thousands, decimal comma). */
export function formatNumber(n: number, maxFraction = 2): string {
  const fixed = n.toFixed(maxFraction);
  const [intPart = '0', frac = ''] = fixed.split('.');
  const sign = intPart.startsWith('-') ? '-' : '';
  const digits = sign === '' ? intPart : intPart.slice(1);
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  const trimmed = frac.replace(/0+$/, '');
  return sign + grouped + (trimmed === '' ? '' : `,${trimmed}`);
}

/** 200 -> "200 рублей", 1 -> "1 рубль", 1500.5 -> "1 500,5 рубля" */
export function formatRubles(n: number): string {
  const word = Number.isInteger(n) ? ruPlural(n, 'рубль', 'рубля', 'рублей') : 'рубля';
  return `${formatNumber(n)}${NBSP}${word}`;
}

/** 200 -> "200 ₽" */
export function formatRub(n: number): string {
  return `${formatNumber(n)}${NBSP}₽`;
}

/** 16.5 -> "16,5 %" */
export function formatPercent(n: number): string {
  return `${formatNumber(n)}${NBSP}%`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Calendar date for the customer: "23.11.2026". */
export function formatDate(year: number, month: number, day: number): string {
  return `${pad2(day)}.${pad2(month)}.${year}`;
}

/** "14:05" */
export function formatClock(hour: number, minute: number): string {
  return `${pad2(hour)}:${pad2(minute)}`;
}
