import { setup, transition } from 'xstate';
import type { CampaignStatus } from './catalog/definition-schema.js';

/**
 * A campaign's lifecycle as a small state machine:
 *
 *   draft -> scheduled -> active <-> paused
 *     \________________-> active       \-> completed (final; from scheduled, active or paused)
 *   scheduled -> draft (taken back for editing)
 *
 * A scheduled or active campaign runs while the event's time is inside its dates;
 * draft, paused and completed ones do not. Marketers move it with
 * `POST /v1/campaigns/{id}/status`.
 */
export const campaignMachine = setup({
  types: {
    context: {},
    events: {} as { type: 'to'; status: CampaignStatus },
  },
  guards: {
    to: ({ event }, params: { status: CampaignStatus }) => event.status === params.status,
  },
}).createMachine({
  id: 'campaign',
  context: {},
  initial: 'draft',
  states: {
    draft: {
      on: {
        to: [
          { guard: { type: 'to', params: { status: 'scheduled' } }, target: 'scheduled' },
          { guard: { type: 'to', params: { status: 'active' } }, target: 'active' },
        ],
      },
    },
    scheduled: {
      on: {
        to: [
          { guard: { type: 'to', params: { status: 'active' } }, target: 'active' },
          { guard: { type: 'to', params: { status: 'paused' } }, target: 'paused' },
          { guard: { type: 'to', params: { status: 'draft' } }, target: 'draft' },
          { guard: { type: 'to', params: { status: 'completed' } }, target: 'completed' },
        ],
      },
    },
    active: {
      on: {
        to: [
          { guard: { type: 'to', params: { status: 'paused' } }, target: 'paused' },
          { guard: { type: 'to', params: { status: 'completed' } }, target: 'completed' },
        ],
      },
    },
    paused: {
      on: {
        to: [
          { guard: { type: 'to', params: { status: 'active' } }, target: 'active' },
          { guard: { type: 'to', params: { status: 'completed' } }, target: 'completed' },
        ],
      },
    },
    completed: { type: 'final' },
  },
});

/** The status a campaign moves to, or undefined when the lifecycle does not allow that move. */
export function moveCampaign(from: CampaignStatus, to: CampaignStatus): CampaignStatus | undefined {
  const current = campaignMachine.resolveState({ value: from, context: {} });
  const [next] = transition(campaignMachine, current, { type: 'to', status: to });
  return next.value === to && from !== to ? to : undefined;
}

/** Whether campaigns in this status run (within their dates). */
export function runs(status: CampaignStatus): boolean {
  return status === 'active' || status === 'scheduled';
}
