import type { ErrorCode } from '../errors.js';
import { errorCatalog, protocolErrorCodes } from '../errors.js';
import type { ErrorFrame } from '../schema/wire/server-frames.js';

/**
 * An error as PROTOCOL.md's `error` frame: only the protocol's codes go on the wire
 * (`protocolErrorCodes`), since a gateway acts on the code. Any other code is mapped at this
 * boundary: a 503-kind one (`unavailable`: the store unreachable or closing) becomes
 * `overloaded` with its message (nothing was done; retry later), anything else `internal`
 * with the generic text (its own message stays in the server's log). `mapped` says whether
 * the code was changed.
 */
export function errorFrame(re: string | undefined, code: ErrorCode, message: string): { frame: ErrorFrame; mapped: boolean } {
  let frame: ErrorFrame;
  if (protocolErrorCodes.has(code)) frame = { t: 'error', code, message };
  else if (errorCatalog[code].status === 503) frame = { t: 'error', code: 'overloaded', message };
  else frame = { t: 'error', code: 'internal', message: errorCatalog.internal.text };
  if (re !== undefined) frame.re = re;
  return { frame, mapped: frame.code !== code };
}
