import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import type { Frame } from '../test-support/test-kairos.js';
import { adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';

/**
 * Honest model figures, end to end on the demo bank: GET /v1/models/{offer} and the metrics
 * show the AUC and the lift only once the evidence is there (200 examples, 20 positive and 20
 * negative answers; per arm for the lift), the lift per campaign with its 95 % interval, and
 * the last 30 days' AUC beside the running one.
 */

const server = serverForFile({ config: { clock: 'manual', maxEventAgeMs: 30 * 86_400_000 }, manualClockStart: msk('2026-12-02T12:00:00') });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Demo customers aged 60 and over with a small balance (so the idle-balance offer does not take their slot). */
const seniors: string[] = readFileSync(demoCsvPath(), 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .flatMap((line, i) => {
    const [age, , , , , balance] = line.split(';');
    return Number(age) >= 60 && Number(balance) < 100_000 ? [`demo-${i + 1}`] : [];
  });

describe('model figures with the evidence behind them', () => {
  it('shows no AUC or lift before the evidence, then the AUC, the last 30 days AUC and the lift per campaign with its interval', async () => {
    // Half the decisions in the random arm, so both arms gather evidence quickly.
    const policy = (await api('GET', '/v1/policy')).body;
    expect((await api('PUT', '/v1/policy', { ...policy, learning: { ...policy.learning, randomPercent: 50 } })).status).toBe(200);
    const all = (await api('GET', '/v1/models')).body;
    expect(all.learning).toMatchObject({ randomPercent: 50, halfLife: 2000, belowFloor: true, figureAnswers: 200, figureOutcomes: 20 });
    const empty = all.models.find((m: { offer: string }) => m.offer === 'pension-deposit');
    expect(empty).toMatchObject({ examples: 0, positives: 0, negatives: 0, auc: null, aucReason: 'the model needs 200 examples, has 0', lift: null, liftCi95: null, campaigns: [] });

    let answered = 0;
    let accepted = 0;
    for (const [i, id] of seniors.entries()) {
      const d = await server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id }, channel: 'ib', at: msk('2026-11-24T10:00:00') });
      const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
      if (offer === undefined) continue;
      // Every fourth customer accepts, the others decline.
      const yes = i % 4 === 0;
      answered++;
      if (yes) accepted++;
      expect(await server.gw.request({ t: 'response', id: uid('r'), instance: offer.instance, outcome: yes ? 'accepted' : 'declined' })).toMatchObject({ t: 'ack' });
    }
    expect(answered).toBeGreaterThan(900);

    const model = (await api('GET', '/v1/models/pension-deposit')).body;
    expect(model).toMatchObject({ examples: answered, positives: accepted, negatives: answered - accepted, aucReason: null, liftReason: null });
    expect(model.auc).toBeGreaterThanOrEqual(0);
    expect(model.auc).toBeLessThanOrEqual(1);
    // All of it learnt today (the server clock): the last 30 days hold every answer.
    expect(model.last30Days).toMatchObject({ days: 30, from: '2026-11-03', to: '2026-12-02', examples: answered, positives: accepted, reason: null });
    expect(model.last30Days.auc).toBeCloseTo(model.auc, 1);
    // The lift: the two arms' rates, with its log-ratio interval around it.
    const { model: m, random: r } = model.arms;
    expect(m.positives + m.negatives).toBeGreaterThanOrEqual(200);
    expect(r.positives + r.negatives).toBeGreaterThanOrEqual(200);
    expect(model.lift).toBeCloseTo(m.rate / r.rate, 10);
    expect(model.liftCi95[0]).toBeLessThan(model.lift);
    expect(model.liftCi95[1]).toBeGreaterThan(model.lift);
    // One campaign offers it: its lift is the offer's.
    expect(model.campaigns).toEqual([{ campaign: 'pension-deposit', arms: model.arms, lift: model.lift, ci95: model.liftCi95, reason: null }]);

    const metrics = await (await fetch(`${server.k.httpUrl}/metrics`)).text();
    expect(metrics).toContain(`kairos_model_auc{offer="pension-deposit"} ${model.auc}`);
    expect(metrics).toContain(`kairos_model_auc_30d{offer="pension-deposit"} ${model.last30Days.auc}`);
    expect(metrics).toContain(`kairos_model_lift{offer="pension-deposit"} ${model.lift}`);
    expect(metrics).toContain(`kairos_model_campaign_lift{offer="pension-deposit",campaign="pension-deposit",bound="low"} ${model.liftCi95[0]}`);
    expect(metrics).toContain(`kairos_model_campaign_lift{offer="pension-deposit",campaign="pension-deposit",bound="high"} ${model.liftCi95[1]}`);
    // An offer nobody answered: its evidence, no figures, no gauges.
    const idle = (await api('GET', '/v1/models/atm-microcredit')).body;
    expect(idle).toMatchObject({ examples: 0, auc: null, lift: null, last30Days: { examples: 0, auc: null } });
    expect(metrics).not.toContain('kairos_model_auc{offer="atm-microcredit"}');

    // Across a restart, the per-campaign counts stay.
    await server.restart();
    expect((await api('GET', '/v1/models/pension-deposit')).body).toEqual(model);

    // The thresholds are the policy's: asking for more evidence hides the figures again.
    const now = (await api('GET', '/v1/policy')).body;
    expect((await api('PUT', '/v1/policy', { ...now, learning: { ...now.learning, figureAnswers: 100_000, figureOutcomes: 30 } })).status).toBe(200);
    expect((await api('GET', '/v1/models')).body.learning).toMatchObject({ figureAnswers: 100_000, figureOutcomes: 30 });
    expect((await api('GET', '/v1/models/pension-deposit')).body).toMatchObject({
      auc: null,
      aucReason: `the model needs 100000 examples, has ${answered}`,
      lift: null,
      liftCi95: null,
      campaigns: [{ lift: null, ci95: null, reason: `the model needs 100000 examples, has ${answered}` }],
    });
    expect((await api('PUT', '/v1/policy', { ...now, learning: { ...now.learning, figureOutcomes: 0 } })).status).toBe(400);
  });
});
