import { describe, expect, it } from 'vitest';
import type { ContactRecord, Explanation } from '../../actors/index.js';
import { FUNNEL_STAGES, FunnelLedger, funnelCsv } from './funnel-ledger.js';
import type { FunnelRow } from './funnel-ledger.js';

/**
 * The funnel's identity with deferred messages: a retry is its trigger's outcome, not a
 * trigger of its own, so per campaign
 * triggered = offered + control + (suppressed − cancelled) + waiting, waiting = deferred − resumed.
 */

const C = 'evening-note';
const deferred: Explanation = { campaign: C, verdict: 'suppressed', reason: 'deferred:sms=quiet_hours', group: 'clients', probability: 0.2 };
const offered: Explanation = { campaign: C, verdict: 'offered', group: 'clients', channel: 'sms', offer: 'note' };
const resumed = { resumed: [C], superseded: [] };

function row(f: FunnelLedger, by: FunnelRow['channel'][] = []): FunnelRow {
  const rows = f.report({ campaign: C, by: by as never });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

function addsUp(r: FunnelRow): void {
  expect(r.waiting).toBe(r.deferred - r.resumed);
  expect(r.triggered).toBe(r.offered + r.control + (r.suppressed - r.cancelled) + r.waiting);
}

describe('the funnel with deferred messages', () => {
  it('counts a deferral as deferred (not suppressed), and its retry once: offered, not triggered again', () => {
    const f = new FunnelLedger();
    f.recordDecision([deferred]);
    expect(row(f)).toMatchObject({ triggered: 1, deferred: 1, resumed: 0, waiting: 1, suppressed: 0, suppressedBy: {} });
    addsUp(row(f));
    f.recordDecision([offered], resumed);
    expect(row(f)).toMatchObject({ triggered: 1, deferred: 1, resumed: 1, waiting: 0, offered: 1 });
    addsUp(row(f));
    // Broken down by channel, the deferral and its resumption stay on one row (no channel): nothing waits there.
    const byChannel = f.report({ campaign: C, by: ['channel'] });
    expect(byChannel.find((r) => r.channel === '-')).toMatchObject({ triggered: 1, deferred: 1, resumed: 1, waiting: 0 });
    expect(byChannel.find((r) => r.channel === 'sms')).toMatchObject({ triggered: 0, offered: 1, waiting: 0 });
  });

  it('adds up when a retry is suppressed, expired, deferred again or superseded, and with a send-time cancellation', () => {
    const f = new FunnelLedger();
    // Four triggers deferred; one retry expires, one meets the stop list, one is deferred again.
    for (let i = 0; i < 4; i++) f.recordDecision([deferred]);
    f.recordDecision([{ campaign: C, verdict: 'suppressed', reason: 'expired', group: 'clients' }], resumed);
    f.recordDecision([{ campaign: C, verdict: 'suppressed', reason: 'no_channel:sms=stop_list', group: 'clients' }], resumed);
    f.recordDecision([deferred], resumed);
    addsUp(row(f));
    expect(row(f)).toMatchObject({ triggered: 4, deferred: 5, resumed: 3, waiting: 2, suppressed: 2, suppressedBy: { expired: 1, no_channel: 1 } });
    // A fifth trigger deferred while one waits: the waiting one is superseded.
    f.recordDecision([deferred], { resumed: [], superseded: [C] });
    expect(row(f)).toMatchObject({ triggered: 5, deferred: 6, resumed: 4, waiting: 2, suppressed: 3, suppressedBy: { superseded: 1 } });
    addsUp(row(f));
    // Offered at its retry, then cancelled at send time: counted offered and cancelled, the identity still holds.
    f.recordDecision([offered], resumed);
    const queued: ContactRecord = { instance: 'i-1', campaign: C, offer: 'note', channel: 'sms', at: 1, marketing: true, delivery: 'queued', group: 'clients' };
    f.recordContacts([queued], [{ ...queued, delivery: 'suppressed', suppressed: 'stop_list' }]);
    expect(row(f)).toMatchObject({ triggered: 5, offered: 1, cancelled: 1, suppressed: 4, waiting: 1 });
    addsUp(row(f));
  });

  it('counts a retry without a waiting deferral (made before this build) as a trigger, as it was', () => {
    const f = new FunnelLedger();
    f.recordDecision([offered]);
    expect(row(f)).toMatchObject({ triggered: 1, offered: 1, resumed: 0, waiting: 0 });
  });

  it('reads totals written before these counts as zeros, and lists the stages in the CSV', () => {
    const f = new FunnelLedger();
    f.counters.load([{ key: `funnel/${[C, 'sms', 'note', 'clients'].join('\u001f')}`, value: { triggered: 2, suppressed: 1, suppressedBy: { cap: 1 }, offered: 1 } }]);
    expect(row(f)).toMatchObject({ triggered: 2, cancelled: 0, deferred: 0, resumed: 0, waiting: 0 });
    const header = funnelCsv(f.report()).split('\r\n')[0]!.split(',');
    for (const stage of ['cancelled', 'deferred', 'resumed', 'waiting']) {
      expect(FUNNEL_STAGES).toContain(stage);
      expect(header).toContain(stage);
    }
  });
});
