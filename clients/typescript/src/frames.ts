/**
 * The gateway frames as TypeScript types (the contract: docs/protocol-v1.md; every field,
 * with its bounds, in schemas/gateway-frames.schema.json). MessagePack maps; numbers that are
 * epoch milliseconds arrive as integers.
 */

export type Frame = Record<string, unknown>;

/** Who an event is about: at least one identifier. */
export interface CustomerRef {
  id?: string;
  card?: string;
  phone?: string;
  email?: string;
  cookie?: string;
}

/** An event (without `t`); `id` is the idempotency key: a random UUID when absent. */
export interface GatewayEvent {
  id?: string;
  type: string;
  customer: CustomerRef;
  /** epoch ms */
  at?: number;
  channel?: string;
  location?: { lat: number; lon: number; place?: string };
  data?: Record<string, unknown>;
}

/** A customer's answer to an offer instance (without `t`). */
export interface GatewayResponse {
  id?: string;
  instance: string;
  outcome: string;
  at?: number;
  data?: Record<string, unknown>;
}

export interface Action {
  instance: string;
  campaign: string;
  offer: string;
  channel: string;
  content: Record<string, unknown>;
  /** epoch ms */
  expiresAt?: number;
}

export interface Decision {
  t: 'decision';
  re: string;
  customer: string;
  /** best first; empty when Kairos has nothing worth saying */
  actions: Action[];
}

export interface Ack {
  t: 'ack';
  re: string;
}

export interface Deliver {
  t: 'deliver';
  instance: string;
  customer: string;
  channel: string;
  campaign: string;
  offer: string;
  content: Record<string, unknown>;
  expiresAt?: number;
}

export interface ErrorFrame {
  t: 'error';
  re?: string;
  code: string;
  message: string;
}
