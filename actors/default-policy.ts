import type { PolicyDef } from './catalog/definition-schema.js';

/**
 * The contact policy a bank starts from: Moscow time; one marketing contact per channel per
 * day and three a week across channels; consent for SMS, e-mail and push; SMS and push only
 * 09:00-21:00 on weekdays and 10:00-20:00 at weekends; not the same offer within 7 days nor
 * the same campaign within a day, and 30 days' pause after a decline; the customer's own ATM
 * or kiosk session not counted.
 */
export const defaultPolicy: PolicyDef = {
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
};
