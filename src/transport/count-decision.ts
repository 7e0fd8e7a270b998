import type { Metrics } from '../metrics.js';
import type { HostReply } from '../runtime/customer-host.js';

/** Counts a decision by outcome, and the contacts a new one made (WebSocket and HTTP alike). */
export function countDecision(metrics: Metrics, r: Extract<HostReply, { kind: 'decision' }>): void {
  metrics.decisions.inc({ outcome: r.duplicate ? 'duplicate' : r.actions.length > 0 ? 'offer' : 'silent' });
  if (!r.duplicate) for (const a of r.actions) metrics.contacts.inc({ campaign: a.campaign, channel: a.channel });
}
