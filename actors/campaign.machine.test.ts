import { describe, expect, it } from 'vitest';
import { moveCampaign, runs } from './campaign.machine.js';
import type { CampaignStatus } from './catalog/definition-schema.js';

describe('campaign lifecycle', () => {
  it('allows the marketer’s moves and refuses the rest', () => {
    const allowed: Array<[CampaignStatus, CampaignStatus]> = [
      ['draft', 'scheduled'],
      ['draft', 'active'],
      ['scheduled', 'active'],
      ['scheduled', 'draft'],
      ['scheduled', 'paused'],
      ['scheduled', 'completed'],
      ['active', 'paused'],
      ['active', 'completed'],
      ['paused', 'active'],
      ['paused', 'completed'],
    ];
    const all: CampaignStatus[] = ['draft', 'scheduled', 'active', 'paused', 'completed'];
    for (const from of all) {
      for (const to of all) {
        const ok = allowed.some(([a, b]) => a === from && b === to);
        expect(moveCampaign(from, to), `${from} -> ${to}`).toBe(ok ? to : undefined);
      }
    }
  });

  it('runs scheduled and active campaigns only', () => {
    expect((['draft', 'scheduled', 'active', 'paused', 'completed'] as const).map(runs)).toEqual([false, true, true, false, false]);
  });
});
