import { BrainError } from '../actors/index.js';

/**
 * The one error catalog: stable codes, the HTTP status each maps to, and whether its message
 * may be shown to a client (`public`). Internal errors keep their cause for the log and
 * show the client only a generic message.
 */
export const errorCatalog = {
  bad_frame: { status: 400, public: true, text: 'not a binary frame holding one MessagePack map' },
  invalid: { status: 400, public: true, text: 'a field is missing or has the wrong type' },
  unknown_customer: { status: 404, public: true, text: 'no such customer' },
  not_found: { status: 404, public: true, text: 'not found' },
  method_not_allowed: { status: 405, public: true, text: 'method not allowed' },
  conflict: { status: 409, public: true, text: 'the change conflicts with the current state' },
  payload_too_large: { status: 413, public: true, text: 'payload too large' },
  unsupported_media_type: { status: 415, public: true, text: 'unsupported content type' },
  rate_limited: { status: 429, public: true, text: 'too many requests, slow down' },
  overloaded: { status: 503, public: true, text: 'server overloaded, retry later' },
  unavailable: { status: 503, public: true, text: 'not ready' },
  unauthorized: { status: 401, public: true, text: 'missing or wrong credentials' },
  forbidden: { status: 403, public: true, text: "the key's role may not do this" },
  internal: { status: 500, public: false, text: 'internal error' },
  config_invalid: { status: 500, public: false, text: 'the configuration is invalid' },
  native_uws_unavailable: { status: 500, public: false, text: 'the native uWebSockets.js binary is not available' },
  delivery_refused: { status: 502, public: false, text: 'the far end refused the delivery for good' },
  delivery_failed: { status: 502, public: false, text: 'the delivery failed; it is retried' },
} as const;

export type ErrorCode = keyof typeof errorCatalog;

/** The codes PROTOCOL.md lists for `error` frames. */
export const protocolErrorCodes: ReadonlySet<ErrorCode> = new Set([
  'bad_frame',
  'invalid',
  'unknown_customer',
  'rate_limited',
  'overloaded',
  'unauthorized',
  'internal',
]);

export class KairosError extends Error {
  override readonly name = 'KairosError';
  readonly status: number;
  readonly public: boolean;
  /** what the error names, as data for a caller (a configuration's problems, one a setting); never sent to a client */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Readonly<Record<string, unknown>> },
  ) {
    super(message ?? errorCatalog[code].text, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = errorCatalog[code].status;
    this.public = errorCatalog[code].public;
    this.details = options?.details;
  }

  /** What a client may see of this error. */
  get publicMessage(): string {
    return this.public ? this.message : errorCatalog[this.code].text;
  }
}

/** Any thrown value as a KairosError (a BrainError keeps its code); unknown ones become `internal`, keeping the cause. */
export function asKairosError(err: unknown): KairosError {
  if (err instanceof KairosError) return err;
  // The brain's one error type keeps its code (invalid or internal) across the boundary.
  if (err instanceof BrainError) return new KairosError(err.code, err.message, { cause: err });
  return new KairosError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}
