import type { DestinationStream, Logger } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from './config.js';

/**
 * The one root logger. Personal data is redacted wherever it appears up to four levels
 * deep: names, phones, e-mails, card tokens, cookies, and rendered offer texts (they carry
 * the customer's name). Messages are lowercase with fields; a child per actor adds `customer`.
 */
export const piiKeys = [
  'firstName',
  'patronymic',
  'lastName',
  'fullName',
  'name',
  'phone',
  'email',
  'card',
  'cookie',
  'content',
  'text',
  'script',
  'authorization',
] as const;

export const redactPaths: readonly string[] = piiKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'kairos' },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
