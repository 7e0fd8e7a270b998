import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogDef, DecisionAction, Explanation } from '../../actors/index.js';
import { alift, auc, responderShareAt } from '../../actors/index.js';
import { loadCatalogFile } from '../catalog/catalog-file.js';
import type { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { KairosError } from '../errors.js';
import { startKairos } from '../kairos.js';
import { demoCatalogPath } from '../paths.js';
import { parseClientFrame, parseEvent } from '../transport/frames.js';
import type { BankCall } from './bank-rows.js';
import { readBankCalls } from './bank-rows.js';

/**
 * `kairos replay FILE`: the UCI bank-full calls driven through the real decision path, as a
 * call centre's gateway would drive it. Kairos runs in this process (its actors and host, the
 * memory store, a manual clock, the demo bank: customer `demo-<n>` is the data's row n) with
 * the demo catalog's offers, segments and policy (learning settings included: the server's
 * own) and one campaign, `term-deposit-calls`, in place of the demo's campaigns: the term
 * deposit offered on `callcenter.call` by the operator's script, to every client, with the
 * marketer's guess of a 10 % response (not tuned on the data). For each row in time order the
 * clock moves to the call's time, a `callcenter.call` event carries the call's context in
 * `data` (CALL_CONTEXT_COLUMNS; the client's own columns are the customer's profile), and the
 * decision's probability for the campaign (from the customer's last decision, offered or not)
 * is the row's score, taken before its answer is known; when the call was offered, the
 * answer goes back as the response (`accepted` when the client subscribed, else `declined`),
 * which is what the models learn from. `duration` is never read.
 *
 * Scores: AUC over all rows; `wm_auc`, the AUC within each calendar month weighted by its rows
 * (months with answers of one kind only left out), which drift does not count; ALIFT; the
 * subscribers' share in the better-scored half. The first `settingsRows` (15,000) rows are the
 * ones any setting may be chosen on: the rest are reported apart as well.
 */

export const REPLAY_CAMPAIGN = 'term-deposit-calls';
export const REPLAY_OFFER = 'term-deposit';
export const SETTINGS_ROWS = 15_000;

/** The demo catalog with the term-deposit offer and the replay's campaign as its only campaign, and no call-centre capacity (the bank's own call volume is the data's). */
export function replayCatalog(): CatalogDef {
  const def = loadCatalogFile(demoCatalogPath());
  const offers = (def.offers ?? []).filter((o) => o.id !== REPLAY_OFFER);
  offers.push({
    id: REPLAY_OFFER,
    name: 'Срочный вклад',
    value: 1000,
    params: { rate: 5, term: '12 месяцев' },
    templates: {
      callcenter: {
        script:
          'Обратитесь к клиенту по имени и отчеству: «{{customer.name}}». Предложите срочный вклад: {{offer.rate | percent}} годовых на {{offer.term}}. Если клиент согласен, оформите вклад и отметьте ответ «Принято».',
      },
    },
  });
  const policy = { ...def.policy };
  delete policy.channelCapacity;
  return {
    ...def,
    offers,
    policy,
    campaigns: [
      {
        id: REPLAY_CAMPAIGN,
        name: 'Срочный вклад: обзвон клиентов (UCI bank-full)',
        status: 'active',
        offer: REPLAY_OFFER,
        channels: ['callcenter'],
        trigger: { events: ['callcenter.call'] },
        groups: [{ id: 'clients', name: 'Все клиенты', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 10 }],
        expiresIn: '1d',
        recency: { sameOfferDays: 0, sameCampaignDays: 0, afterDeclineDays: 0 },
      },
    ],
  };
}

export interface ReplayScores {
  rows: number;
  positives: number;
  auc: number;
  /** the AUC within each calendar month, weighted by the month's rows */
  wmAuc: number;
  alift: number;
  top50: number;
}

export interface LiveReplayResult extends ReplayScores {
  /** calls the campaign offered (so answered, and learnt from) */
  offered: number;
  /** the first SETTINGS_ROWS rows, and the rest */
  first: ReplayScores;
  rest: ReplayScores;
}

/** AUC, within-month AUC, ALIFT and top-half share of `scores` against `labels` (months[i]: the row's calendar month). */
export function replayScores(scores: readonly number[], labels: readonly number[], months: readonly string[]): ReplayScores {
  if (scores.length === 0) return { rows: 0, positives: 0, auc: Number.NaN, wmAuc: Number.NaN, alift: Number.NaN, top50: Number.NaN };
  const byMonth = new Map<string, { s: number[]; l: number[] }>();
  months.forEach((m, i) => {
    let g = byMonth.get(m);
    if (g === undefined) byMonth.set(m, (g = { s: [], l: [] }));
    g.s.push(scores[i]!);
    g.l.push(labels[i]!);
  });
  let weighted = 0;
  let weight = 0;
  for (const g of byMonth.values()) {
    const pos = g.l.reduce((a, b) => a + b, 0);
    if (pos === 0 || pos === g.l.length) continue;
    weighted += auc(g.s, g.l) * g.l.length;
    weight += g.l.length;
  }
  return {
    rows: scores.length,
    positives: labels.reduce((a, b) => a + b, 0),
    auc: auc(scores, labels),
    wmAuc: weight === 0 ? Number.NaN : weighted / weight,
    alift: alift(scores, labels),
    top50: responderShareAt(scores, labels, 0.5),
  };
}

export interface LiveReplayOptions {
  /** read at most this many rows (all by default) */
  rows?: number;
  onProgress?: (rows: number) => void;
  /** changes the replay's catalog before the run (an experiment with the policy's learning settings or a campaign's `model`) */
  adjust?: (def: CatalogDef) => CatalogDef;
}

/**
 * The way a call reaches Kairos and its answer comes back: in this process (`inProcessPath`), or
 * over the gateway's WebSocket to a running server (load-tests/replay-ws.ts). `decide` moves the
 * server's clock to the call and answers the campaign's probability in the decision (offered
 * or not) and the offer instance when it was offered; `answer` sends the response.
 */
export interface CallPath {
  decide(call: BankCall): Promise<{ probability: number; instance?: string }>;
  answer(call: BankCall, instance: string): Promise<void>;
  close(): Promise<void>;
}

/** The replay's catalog, as a file a server can be started with (KAIROS_CATALOG_FILE), in a temporary directory `remove` deletes. */
export function writeReplayCatalog(adjust?: (def: CatalogDef) => CatalogDef): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kairos-replay-'));
  const file = join(dir, 'catalog.json');
  writeFileSync(file, JSON.stringify(adjust === undefined ? replayCatalog() : adjust(replayCatalog())));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The event a call is to Kairos: `callcenter.call` for `demo-<n>` at the call's time, its context in `data`. */
export function callEvent(call: BankCall): Record<string, unknown> {
  return { id: `replay-call-${call.n}`, type: 'callcenter.call', channel: 'callcenter', customer: { id: `demo-${call.n}` }, at: call.at, data: call.context };
}

/** The response a call's answer is: `accepted` when the client subscribed, else `declined`. */
export function callAnswer(call: BankCall, instance: string): Record<string, unknown> {
  return { id: `replay-answer-${call.n}`, instance, outcome: call.subscribed ? 'accepted' : 'declined', at: call.at };
}

/** The campaign's probability in a customer's last decision (from the card's `lastDecision`). */
export function replayProbability(call: BankCall, explain: readonly Explanation[] | undefined): number {
  const p = explain?.find((x) => x.campaign === REPLAY_CAMPAIGN)?.probability;
  if (p === undefined) throw new KairosError('internal', `row ${call.n}: the campaign was not weighed for demo-${call.n}`);
  return p;
}

/** Kairos in this process: memory store, a manual clock starting at `start`, the demo bank, the replay's catalog. */
export async function inProcessPath(start: number, adjust?: (def: CatalogDef) => CatalogDef): Promise<CallPath> {
  const catalog = writeReplayCatalog(adjust);
  const config = loadConfig({ KAIROS_STORE: 'memory', KAIROS_CLOCK: 'manual', KAIROS_PORT: '0', KAIROS_HOST: '127.0.0.1', KAIROS_DEMO: 'true', KAIROS_CATALOG_FILE: catalog.file, KAIROS_LOG_LEVEL: 'error', KAIROS_SEGMENT_SWEEP_MS: '0' });
  const k = await startKairos(config, { manualClockStart: start });
  const clock = k.clock as ManualClock;
  return {
    async decide(call) {
      clock.set(call.at);
      // As POST /v1/clock does: reminders that came due (segment timers, deferrals) first.
      for (let round = 0; round < 100 && (await k.host.pollReminders()) > 0; round++);
      const reply = await k.host.submitEvent(parseEvent(callEvent(call)));
      if (reply.kind !== 'decision') throw new KairosError('internal', `row ${call.n}: ${reply.kind === 'error' ? `${reply.code}: ${reply.message}` : 'no decision'}`);
      const action: DecisionAction | undefined = reply.actions.find((a) => a.campaign === REPLAY_CAMPAIGN);
      const probability = replayProbability(call, (await k.host.view(`demo-${call.n}`))?.lastDecision);
      return action === undefined ? { probability } : { probability, instance: action.instance };
    },
    async answer(call, instance) {
      const frame = parseClientFrame({ t: 'response', ...callAnswer(call, instance) });
      if (frame.t !== 'response') throw new KairosError('internal', 'not a response');
      const reply = await k.host.submitResponse(frame.response);
      if (reply.kind === 'error') throw new KairosError('internal', `row ${call.n}: the answer was refused: ${reply.code}: ${reply.message}`);
    },
    async close() {
      await k.close();
      catalog.remove();
    },
  };
}

/** Drives `calls` through `path` in order: each scored, then (when offered) answered; the scores. */
export async function replayCalls(calls: readonly BankCall[], path: CallPath, onProgress?: (rows: number) => void): Promise<LiveReplayResult> {
  const scores: number[] = [];
  const labels: number[] = [];
  const months: string[] = [];
  let offered = 0;
  for (const call of calls) {
    const score = await path.decide(call);
    scores.push(score.probability);
    labels.push(call.subscribed ? 1 : 0);
    months.push(call.month);
    if (score.instance !== undefined) {
      offered++;
      await path.answer(call, score.instance);
    }
    if (onProgress !== undefined && scores.length % 5000 === 0) onProgress(scores.length);
  }
  const cut = Math.min(SETTINGS_ROWS, calls.length);
  return {
    ...replayScores(scores, labels, months),
    offered,
    first: replayScores(scores.slice(0, cut), labels.slice(0, cut), months.slice(0, cut)),
    rest: replayScores(scores.slice(cut), labels.slice(cut), months.slice(cut)),
  };
}

/** Replays `csvPath` through the real decision path in this process (see the module's comment). */
export async function replayLive(csvPath: string, options: LiveReplayOptions = {}): Promise<LiveReplayResult> {
  const calls = await readBankCalls(csvPath, options.rows);
  if (calls.length === 0) throw new KairosError('invalid', `${csvPath}: no rows`);
  const path = await inProcessPath(calls[0]!.at, options.adjust);
  try {
    return await replayCalls(calls, path, options.onProgress);
  } finally {
    await path.close();
  }
}

const f4 = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(4));

/** `replay: rows=N auc=A wm_auc=W alift=L top50=T` (the issue's line), or with a label for a part. */
export function replayLine(r: ReplayScores, label = 'replay'): string {
  return `${label}: rows=${r.rows} auc=${f4(r.auc)} wm_auc=${f4(r.wmAuc)} alift=${f4(r.alift)} top50=${f4(r.top50)}`;
}
