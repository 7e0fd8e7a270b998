/**
 * The validated shapes of what gateways send (PROTOCOL.md, "Client to server"),
 * as the brain sees them. Validation of the wire form lives in `src/transport`.
 */

/** The identifier kinds a gateway may name a customer by. */
export const identifierKinds = ['id', 'card', 'phone', 'email', 'cookie'] as const;
export type IdentifierKind = (typeof identifierKinds)[number];

/** Identifiers other than the bank's customer id: the ones a profile collects. */
export type ContactIdentifierKind = Exclude<IdentifierKind, 'id'>;
export const contactIdentifierKinds: readonly ContactIdentifierKind[] = ['card', 'phone', 'email', 'cookie'];

export type CustomerRef = Partial<Record<IdentifierKind, string>>;

export interface EventLocation {
  lat: number;
  lon: number;
  place?: string;
}

export interface GatewayEvent {
  id: string;
  type: string;
  customer: CustomerRef;
  at?: number;
  channel?: string;
  location?: EventLocation;
  data?: Record<string, unknown>;
}

export interface GatewayResponse {
  id: string;
  instance: string;
  outcome: string;
  at?: number;
  data?: Record<string, unknown>;
}

/**
 * Final answers: they close the offer instance; others (`clicked`, unknown ones) are recorded
 * only. `later` ("maybe later") closes it, teaches nothing, and lowers the offer's weight for a while.
 */
export const terminalOutcomes: ReadonlySet<string> = new Set(['accepted', 'declined', 'dismissed', 'later']);

/** The outcomes that teach a model and a group's propensity a negative. */
export const negativeOutcomes: ReadonlySet<string> = new Set(['declined', 'dismissed']);

/**
 * The one spelling of an identifier that the index and the stop list use: phones as
 * +<digits> (a Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX), e-mails in lower case, others as
 * given. Undefined when the value cannot be that kind of identifier.
 */
export function normalizeIdentifier(kind: IdentifierKind, value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v.length > 128) return undefined;
  switch (kind) {
    case 'phone': {
      const digits = v.replace(/[\s\-().]/g, '');
      if (!/^\+?\d{7,15}$/.test(digits)) return undefined;
      if (/^8\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
      return digits.startsWith('+') ? digits : `+${digits}`;
    }
    case 'email':
      return /^[^\s@]+@[^\s@]+$/.test(v) ? v.toLowerCase() : undefined;
    case 'id':
    case 'card':
    case 'cookie':
      return v;
    default: {
      const never: never = kind;
      throw new Error(`unhandled identifier kind ${String(never)}`);
    }
  }
}
