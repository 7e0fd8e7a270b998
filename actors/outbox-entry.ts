import type { ChannelContent } from './customer-state.js';

/**
 * Something the actor decided that leaves Kairos later: an offer for a channel other than
 * the requesting screen (SMS, e-mail, a pushed screen), or a back-office action (issue the
 * credit the customer accepted). The runtime commits these with the actor's snapshot.
 */
export type OutboxEntry =
  | {
      kind: 'offer';
      instance: string;
      customer: string;
      channel: string;
      campaign: string;
      offer: string;
      content: ChannelContent;
      expiresAt: number;
      at: number;
      /** a seed-list copy: the test recipient's address instead of the customer's */
      to?: string;
    }
  | {
      kind: 'backoffice';
      instance: string;
      customer: string;
      channel: 'backoffice';
      campaign: string;
      offer: string;
      /** the back-office action, e.g. "issue_credit" */
      action: string;
      vars: Record<string, number | string>;
      at: number;
    };
