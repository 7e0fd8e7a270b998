import { whenIdle } from './lazy-chunk';

/**
 * Whether the console is quiet: no API request in flight (its body read included) and the
 * browser idle. Work that may wait (Chart.js warmed up) runs then, not between a page's first
 * request and its data, where its long task would hold the page's render back. The API client
 * sends every request through `countedFetch`.
 */
let inFlight = 0;
let waiting: Array<() => void> = [];

/** Statuses whose replies carry no body (a Response cannot be made with one). */
const NO_BODY = new Set([204, 205, 304]);

/** `fetch`, counted until the reply's body is in. */
export async function countedFetch(request: Request): Promise<Response> {
  inFlight += 1;
  try {
    const reply = await fetch(request);
    const body = NO_BODY.has(reply.status) ? null : await reply.arrayBuffer();
    return new Response(body, { status: reply.status, statusText: reply.statusText, headers: reply.headers });
  } finally {
    inFlight -= 1;
    if (inFlight === 0) {
      const ready = waiting;
      waiting = [];
      for (const again of ready) again();
    }
  }
}

/** Runs `work` once no request is in flight and the browser is idle (after the render of the last reply). */
export function whenQuiet(work: () => void): void {
  const check = (): void =>
    whenIdle(() => {
      if (inFlight === 0) work();
      else waiting.push(check);
    });
  check();
}
