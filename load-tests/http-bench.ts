import { createRequire } from 'node:module';

/**
 * autocannon against `POST /v1/events`: the HTTP path gateways without WebSockets use. Each
 * request is a new event (its own id, a customer drawn over the bank), so it measures
 * decisions, not the duplicate path.
 */

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface HttpBenchResult {
  requestsPerSec: number;
  total: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
}

export async function httpBench(baseUrl: string, token: string, customers: number, durationSec: number, connections: number): Promise<HttpBenchResult> {
  let n = 0;
  const r = await autocannon({
    url: `${baseUrl}/v1/events`,
    connections,
    duration: durationSec,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => {
          n++;
          const customer = 1 + ((n * 7919) % customers);
          req.body = JSON.stringify({ id: `http-${process.pid}-${n}`, type: 'web.pageview', customer: { id: `demo-${customer}` }, channel: 'web', data: { url: '/deposits' } });
          return req;
        },
      },
    ],
  });
  return {
    requestsPerSec: Math.round(r.requests.average),
    total: r.requests.total,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
