import type { OutboxEntry } from '../../actors/index.js';

/**
 * The i-th back-office entry of a test's outbox (instance `bk-<i>`, `at` i): an action for the
 * bank's systems, so no customer's actor is told of its delivery. Its customer is `c-<i>`
 * unless the test names one.
 */
export function backofficeEntry(i: number, customer = `c-${i}`): OutboxEntry {
  return {
    kind: 'backoffice',
    instance: `bk-${i}`,
    customer,
    channel: 'backoffice',
    campaign: 'atm-shortfall',
    offer: 'atm-microcredit',
    action: 'issue_credit',
    vars: { n: i },
    at: i,
  };
}
