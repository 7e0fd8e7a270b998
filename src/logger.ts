import type { DestinationStream, Logger } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from './config.js';
import { scrubText, scrubValue } from './log-redaction.js';

/**
 * The one root logger. Personal data is redacted wherever it appears up to four levels
 * deep: names, phones, e-mails, card tokens, cookies, addresses, recipients, profiles, and
 * rendered offer texts (they carry the customer's name). Every other string (messages, error
 * messages and stacks, relay replies, paths, URLs) has e-mails, phones and card numbers
 * masked (src/log-redaction.ts). Messages are lowercase with fields; a child per actor adds
 * `customer`.
 */
export const piiKeys = [
  'firstName',
  'patronymic',
  'middleName',
  'lastName',
  'surname',
  'fullName',
  'name',
  'phone',
  'msisdn',
  'email',
  'card',
  'pan',
  'address',
  'to',
  'profile',
  'cookie',
  'content',
  'text',
  'script',
  'authorization',
] as const;

export const redactPaths: readonly string[] = piiKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export type { Logger };

/** A logger; each line carries the service, this process's id and, when given, the node's name (KAIROS_NODE_ID). */
export function createLogger(level: LogLevel, destination?: DestinationStream, node?: string): Logger {
  const options = {
    level,
    base: { service: 'kairos', pid: process.pid, ...(node === undefined ? {} : { node }) },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    // errors are serialized (and scrubbed) by the formatter below; serializing again would lose their type
    serializers: { err: (err: unknown) => err },
    formatters: { log: (fields: Record<string, unknown>) => scrubValue(fields) as Record<string, unknown> },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, scrubArgs(args));
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/**
 * The log call's message scrubbed; an error logged without a message would lend its own
 * message to the line unscrubbed, so it is made the message here, scrubbed.
 */
function scrubArgs(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (typeof first === 'object' && first !== null && typeof rest[0] !== 'string') {
    const err = first instanceof Error ? first : (first as { err?: unknown }).err;
    if (err instanceof Error && !('msg' in first)) return [first, scrubText(err.message)];
  }
  return args.map((a) => (typeof a === 'string' ? scrubText(a) : a));
}
