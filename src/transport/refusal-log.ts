import type { Logger } from '../logger.js';

/**
 * The log of refused calls: a request without a known key (401), a key whose role may not
 * call the route (403), a refused WebSocket upgrade, a gateway subscription outside its key's
 * channel scope. Each is logged at warn with the route (the operation's path, never the
 * request's: no customer id or address in it), the key's name when it is known (never the
 * secret), the client's address and the `X-Forwarded-For` it sent (unverified: what a proxy
 * in front says), at most `perMinute` lines a minute; past that, refusals are counted and
 * one summary line says how many went unlogged, at the end of the minute. A flood of bad keys
 * cannot fill the log, and is still seen (`kairos_errors_total` counts every one).
 */

export interface Refusal {
  status: 401 | 403;
  /** the error code answered: unauthorized, forbidden */
  code: string;
  /** `METHOD /v1/path/:param` of the operation, or what was refused (`subscribe` on the gateway) */
  route: string;
  /** the key's name (a configured key's hash label); undefined when no known key was sent */
  key?: string | undefined;
  role?: string | undefined;
  /** for a 401: whether a credential was sent at all (`none`) or one that is no key (`unknown`) */
  credential?: 'none' | 'unknown';
  /** the client's address (as the socket has it) */
  remote?: string | undefined;
  /** the X-Forwarded-For header it sent, if any (a proxy's word, not checked) */
  forwardedFor?: string | undefined;
  /** why, in words (a channel outside the scope) */
  reason?: string | undefined;
}

/** The client's address as its socket has it, as text (uWS writes an IPv4 client as an IPv4-mapped IPv6 address). */
export function remoteAddress(socket: { getRemoteAddressAsText(): ArrayBuffer }): string {
  return Buffer.from(socket.getRemoteAddressAsText()).toString('utf8');
}

/** Lines a minute at most (then a count); enough for a mistyped key or a misconfigured client to be seen whole. */
export const REFUSALS_LOGGED_PER_MINUTE = 20;
const WINDOW_MS = 60_000;
/** the longest X-Forwarded-For kept */
const FORWARDED_MAX = 200;

export class RefusalLog {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;
  private readonly suppressedBy = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly o: { perMinute?: number; now?: () => number } = {},
  ) {}

  note(r: Refusal): void {
    const now = (this.o.now ?? Date.now)();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < (this.o.perMinute ?? REFUSALS_LOGGED_PER_MINUTE)) {
      this.logged++;
      const forwardedFor = r.forwardedFor === undefined || r.forwardedFor === '' ? undefined : r.forwardedFor.slice(0, FORWARDED_MAX);
      this.logger.warn({ refused: true, ...r, forwardedFor }, r.status === 401 ? 'refused call: no known key' : 'refused call: not allowed for the key');
      return;
    }
    this.suppressed++;
    this.suppressedBy.set(r.status, (this.suppressedBy.get(r.status) ?? 0) + 1);
    // the count is told at the end of the window, whether more come or not
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.windowStart + WINDOW_MS - now));
      this.timer.unref();
    }
  }

  /** Logs how many refusals went unlogged since the last count (none: nothing). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    const byStatus = Object.fromEntries([...this.suppressedBy].map(([s, n]) => [String(s), n]));
    this.logger.warn({ refused: true, suppressed: this.suppressed, byStatus }, `refused calls not logged one by one: ${this.suppressed} in the last minute`);
    this.suppressed = 0;
    this.suppressedBy.clear();
  }

  /** Tells the count left (the server is closing). */
  close(): void {
    this.flush();
  }
}
