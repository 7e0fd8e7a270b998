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
      /** the address: the customer's phone (SMS) or e-mail, or a seed-list recipient's */
      to?: string;
      /** a seed-list copy for the bank's test recipient, not a contact with the customer */
      seed?: boolean;
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
