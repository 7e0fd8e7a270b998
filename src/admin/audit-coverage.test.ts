import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../audit/audit-chain.js';
import { verifyChain } from '../audit/audit-chain.js';
import { DEMO_UNSUBSCRIBE_SECRET } from '../config.js';
import { unsubscribeToken } from '../delivery/unsubscribe.js';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';
import { allOperations } from './openapi.js';
import { runMetaKey } from '../runtime/outbound-runs.js';

/**
 * Every change through the admin API is audited: the walk takes every mutating operation the
 * server declares (the OpenAPI list) and makes one accepted and one refused call of each on
 * a real server. The accepted one leaves exactly one entry, and one log line at info with
 * `audit: true` naming it; the refused one neither. A new mutating operation without a call
 * here fails the walk: give it one (and its `audit()`).
 */

const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: yesterdayMsk('12:00') });

interface Reply {
  status: number;
  body: any;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders): Promise<Reply> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as unknown) : text };
}

async function trail(): Promise<AuditRecord[]> {
  const r = await api('GET', '/v1/audit?limit=1000');
  expect(r.status).toBe(200);
  return r.body.entries as AuditRecord[];
}

/** Read-only though not GET (dry runs), or not an admin change (the gateway's events): no entry. */
const notChanges: Record<string, string> = {
  previewCampaign: 'a dry run: who would be reached',
  explainDecision: 'a dry run of one decision',
  countDraftSegment: 'a dry run: a draft rule counted over the base, nothing saved',
  cancelDraftSegmentCount: 'stops a dry run: nothing saved',
  postEvent: "the gateway's customer events: decisions, not admin changes",
};

/** The catalog's kinds as the operations name them, and a copy of one of each kind's items. */
const kinds = [
  ['features', 'Feature'],
  ['segments', 'Segment'],
  ['offers', 'Offer'],
  ['campaigns', 'Campaign'],
  ['partners', 'Partner'],
  ['places', 'Place'],
] as const;

async function copyOf(kind: string): Promise<Record<string, unknown>> {
  const r = await api('GET', `/v1/${kind}`);
  expect(r.status).toBe(200);
  const items = (r.body as { items: Array<Record<string, unknown>> }).items;
  expect(items.length).toBeGreaterThan(0);
  const { id: _id, ...item } = items[0]!;
  return item;
}

const email = 'walk@example.ru';
const token = (): string => unsubscribeToken({ email, customer: 'demo-60' }, DEMO_UNSUBSCRIBE_SECRET);
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** Per mutating operation: a call the server accepts, then one it refuses. */
const calls: Record<string, { ok: () => Promise<Reply>; refused: () => Promise<Reply> }> = {
  addStopEntry: {
    ok: () => api('POST', '/v1/stop-list', { kind: 'phone', value: '+7 916 555-00-11', reason: 'walk' }),
    refused: () => api('POST', '/v1/stop-list', { kind: 'phone' }),
  },
  removeStopEntry: {
    ok: async () => api('DELETE', `/v1/stop-list/${((await api('GET', '/v1/stop-list')).body.entries as Array<{ key: string; reason?: string }>).find((e) => e.reason === 'walk')!.key}`),
    refused: () => api('DELETE', '/v1/stop-list/nope'),
  },
  moveClock: { ok: () => api('POST', '/v1/clock', { advance: 60_000 }), refused: () => api('POST', '/v1/clock', {}) },
  replacePolicy: {
    ok: async () => api('PUT', '/v1/policy', (await api('GET', '/v1/policy')).body),
    refused: () => api('PUT', '/v1/policy', { nonsense: true }),
  },
  moveCampaign: {
    ok: () => api('POST', '/v1/campaigns/pension-deposit/status', { status: 'paused' }),
    refused: () => api('POST', '/v1/campaigns/nope/status', { status: 'paused' }),
  },
  putTemplate: {
    ok: () => api('PUT', '/v1/offers/walk-offers/templates/email', { subject: 'Тема', text: 'Текст' }),
    refused: () => api('PUT', '/v1/offers/nope/templates/email', { subject: 'Тема', text: 'Текст' }),
  },
  deleteTemplate: {
    ok: () => api('DELETE', '/v1/offers/walk-offers/templates/email'),
    refused: () => api('DELETE', '/v1/offers/nope/templates/email'),
  },
  replaceCatalog: {
    ok: async () => api('PUT', '/v1/catalog', (await api('GET', '/v1/catalog')).body),
    refused: () => api('PUT', '/v1/catalog', { nonsense: true }),
  },
  resetModel: { ok: () => api('DELETE', '/v1/models/pension-deposit'), refused: () => api('DELETE', '/v1/models/nope') },
  retryDelivery: {
    ok: async () => {
      const decision = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-60' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
      const sms = (decision.actions as Array<{ instance: string; channel: string }>).find((a) => a.channel === 'sms');
      expect(sms).toBeDefined();
      return api('POST', `/v1/outbox/sms/${sms!.instance}/retry`);
    },
    refused: () => api('POST', '/v1/outbox/sms/nope/retry'),
  },
  unsubscribeOneClick: {
    ok: () => api('POST', `/v1/unsubscribe?t=${token()}`, 'List-Unsubscribe=One-Click', form),
    refused: () => api('POST', '/v1/unsubscribe?t=forged.token', 'List-Unsubscribe=One-Click', form),
  },
  eraseCustomer: { ok: () => api('DELETE', '/v1/customers/demo-61'), refused: () => api('DELETE', '/v1/customers/demo-61') },
  createKey: { ok: () => api('POST', '/v1/keys', { name: 'walk', role: 'analyst' }), refused: () => api('POST', '/v1/keys', { name: 'walk', role: 'analyst' }) },
  rotateKey: { ok: () => api('POST', '/v1/keys/walk/rotate'), refused: () => api('POST', '/v1/keys/nope/rotate') },
  changeKeyRole: {
    ok: () => api('PUT', '/v1/keys/walk/role', { role: 'ops' }),
    refused: () => api('PUT', '/v1/keys/walk/role', { role: 'owner' }),
  },
  revokeKey: { ok: () => api('DELETE', '/v1/keys/walk'), refused: () => api('DELETE', '/v1/keys/walk') },
  importCustomers: {
    ok: () => api('POST', '/v1/customers/import', '{"id":"walk-import-1","city":"Омск"}\n', { ...adminHeaders, 'Content-Type': 'application/x-ndjson' }),
    refused: () => api('POST', '/v1/customers/import', '{"id":"walk-import-1"}\n'),
  },
  putCustomer: { ok: () => api('PUT', '/v1/customers/walk-import-2', { city: 'Омск' }), refused: () => api('PUT', '/v1/customers/walk-import-2', { phone: '12345' }) },
  patchCustomer: { ok: () => api('PATCH', '/v1/customers/walk-import-2', { city: 'Томск' }), refused: () => api('PATCH', '/v1/customers/walk-import-nobody', { city: 'Томск' }) },
  mergeCustomers: { ok: () => api('POST', '/v1/customers/demo-63/merge', { from: 'demo-64' }), refused: () => api('POST', '/v1/customers/demo-63/merge', { from: 'demo-63' }) },
  startOutboundRun: { ok: () => api('POST', '/v1/campaigns/pension-deposit-run/runs'), refused: () => api('POST', '/v1/campaigns/pension-deposit/runs') },
  // runs waiting for a day far off, so that nothing moves them during the walk
  pauseOutboundRun: {
    ok: async () => {
      await server.k.kairos.store.putMeta(runMetaKey('walk-a'), walkRun('walk-a'));
      return api('POST', '/v1/runs/walk-a/pause');
    },
    refused: () => api('POST', '/v1/runs/walk-a/pause'),
  },
  resumeOutboundRun: { ok: () => api('POST', '/v1/runs/walk-a/resume'), refused: () => api('POST', '/v1/runs/nope/resume') },
  cancelOutboundRun: {
    ok: async () => {
      await server.k.kairos.store.putMeta(runMetaKey('walk-b'), walkRun('walk-b'));
      return api('POST', '/v1/runs/walk-b/cancel');
    },
    refused: () => api('POST', '/v1/runs/walk-b/cancel'),
  },
  recordWaveOutcomes: {
    ok: async () => {
      await server.k.kairos.store.putMeta(runMetaKey('walk-w'), { ...walkRun('walk-w'), campaign: 'credit-card-calls', wave: { n: 1, count: 2, earlier: [] } });
      return api('POST', '/v1/runs/walk-w/outcomes', { outcomes: [{ instance: 'nobody:1.x', outcome: 'no_answer' }] });
    },
    // not a wave's run: no call list, no outcomes
    refused: () => api('POST', '/v1/runs/walk-b/outcomes', { outcomes: [{ instance: 'nobody:1.x', outcome: 'no_answer' }] }),
  },
  dismissIdentityConflict: {
    ok: async () => {
      // demo-66's card with demo-65's phone: the phone stays with demo-65, the conflict is kept for review.
      const phone = ((await api('GET', '/v1/customers/demo-65')).body.identifiers.phone as string[])[0]!;
      await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { card: 'card-66', phone }, channel: 'web' });
      const open = (await api('GET', '/v1/identity/conflicts?status=open')).body.conflicts as Array<{ id: string }>;
      expect(open.length).toBeGreaterThan(0);
      return api('POST', `/v1/identity/conflicts/${open[0]!.id}/dismiss`);
    },
    refused: () => api('POST', '/v1/identity/conflicts/nope/dismiss'),
  },
};
/** A run record waiting until the year 2100 (`OutboundRuns`: a waiting run moves when its day comes). */
function walkRun(id: string): Record<string, unknown> {
  const t = server.k.kairos.clock.now();
  return { id, campaign: 'pension-deposit-run', segments: ['clients_60_plus'], state: 'waiting', waitingFor: 'capacity', waitingUntil: Date.UTC(2100, 0, 1), startedBy: 'hand', startedAt: t, updatedAt: t, selected: 0, gone: 0, pages: 0 };
}

for (const [kind, noun] of kinds) {
  // Created before the templates' calls use the offer, deleted after them (the walk's order).
  calls[`put${noun}`] = { ok: async () => api('PUT', `/v1/${kind}/walk-${kind}`, await copyOf(kind)), refused: () => api('PUT', `/v1/${kind}/walk-bad`, { nonsense: true }) };
  calls[`delete${noun}`] = { ok: () => api('DELETE', `/v1/${kind}/walk-${kind}`), refused: () => api('DELETE', `/v1/${kind}/nope`) };
}

/** The order of the walk: creations first, the templates on the created offer, then removals. */
function order(id: string): number {
  if (id.startsWith('put') && id !== 'putTemplate') return 0;
  if (id.startsWith('delete') && kinds.some(([, noun]) => id === `delete${noun}`)) return 2;
  return 1;
}

describe('every admin change is audited', () => {
  it('knows a call for every mutating operation', () => {
    const mutating = allOperations.filter((o) => o.method !== 'get').map((o) => o.operationId);
    expect(mutating.filter((id) => calls[id] === undefined && notChanges[id] === undefined)).toEqual([]);
    expect(Object.keys(calls).filter((id) => !mutating.includes(id))).toEqual([]);
  });

  it('leaves exactly one entry and one audit log line per accepted change, and none per refused one', async () => {
    const ids = Object.keys(calls).sort((a, b) => order(a) - order(b));
    const auditLines = (): Array<Record<string, unknown>> => server.k.logs.filter((l) => l.audit === true);
    for (const id of ids) {
      const { ok, refused } = calls[id]!;
      const before = (await trail()).length;
      const linesBefore = auditLines().length;
      const r = await ok();
      expect(r.status, `${id}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      const added = (await trail()).slice(before);
      expect(added, id).toHaveLength(1);
      const entry = added[0]!;
      expect(entry.who, id).toEqual(id === 'unsubscribeOneClick' ? { name: 'customer', role: 'customer' } : { name: expect.stringMatching(/^key:/) as unknown, role: 'admin' });
      // its log line: info, audit: true, what and who, never the before and after
      const lines = auditLines().slice(linesBefore);
      expect(lines, `${id}: the log lines`).toEqual([
        expect.objectContaining({ level: 30, audit: true, seq: entry.seq, action: entry.action, target: entry.target, by: entry.who.name, role: entry.who.role, msg: 'audited change' }),
      ]);
      expect(lines[0], id).not.toHaveProperty('before');
      expect(lines[0], id).not.toHaveProperty('after');
      const no = await refused();
      expect(no.status, id).toBeGreaterThanOrEqual(400);
      expect((await trail()).length, `${id} refused`).toBe(before + 1);
      expect(auditLines().length, `${id} refused: no log line`).toBe(linesBefore + 1);
    }
    const all = await trail();
    expect(verifyChain(all)).toMatchObject({ ok: true });
    // The customer's own change names no one: not the address.
    expect(JSON.stringify(all)).not.toContain(email);
    expect(all.find((e) => e.action === 'stop-list.add' && e.who.role === 'customer')).toMatchObject({ target: expect.stringMatching(/^stop:/) as unknown, after: { kind: 'email', channel: 'email' } });
  });
});
