import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCsvPath } from './paths.js';
import { startSmsc } from './scenario/run.js';
import type { TestPrometheus } from './test-support/prometheus.js';
import { dashboard, dashboardFiles, dashboardQueries, expand, havePrometheus, promBin, startPrometheus } from './test-support/prometheus.js';
import type { Frame, TestKairos } from './test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, tempDir, uid, until } from './test-support/test-kairos.js';

/**
 * The dashboards against a real Prometheus: Debian's `prometheus` (`npm test` installs it when missing)
 * scrapes a running Kairos every second while a little load of every kind goes through it
 * (decisions, SMS through an SMSC simulator, answers, goals, errors, passivations and
 * reactivations, reminders firing on the manual clock); then every query of every panel of
 * every dashboard in grafana/dashboards must return at least one series with a number. A
 * panel with a dead query (a metric renamed, a label that never appears) fails this test.
 */

const ci = process.env.CI === 'true';

/** Demo customers aged 60 and over with a small balance (the pension deposit's audience, the idle-balance offer not taking their slot). */
const seniors = (): string[] =>
  readFileSync(demoCsvPath(), 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .flatMap((line, i) => {
      const [age, , , , , balance] = line.split(';');
      return Number(age) >= 60 && Number(balance) < 100_000 ? [`demo-${i + 1}`] : [];
    });

let k: TestKairos | undefined;
let smsc: Awaited<ReturnType<typeof startSmsc>> | undefined;
let prom: TestPrometheus | undefined;
const dir = tempDir();

afterAll(async () => {
  prom?.close();
  await k?.close();
  await smsc?.close();
  dir.remove();
});

describe('the dashboards as written', () => {
  it('choose their datasource, node and campaign with variables, and let Grafana pick the rate window', () => {
    for (const file of dashboardFiles) {
      const names = (dashboard(file).templating?.list ?? []).map((v) => v.name);
      expect(names, file).toEqual(file === 'kairos-marketing.json' ? ['datasource', 'instance', 'campaign'] : ['datasource', 'instance']);
    }
    for (const q of dashboardQueries()) {
      const where = `${q.dashboard} "${q.panel}"`;
      for (const ds of q.datasources) if (ds !== undefined) expect(ds, where).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(q.expr, where).not.toMatch(/\[\d+[sm]\]/);
      for (const selector of q.expr.match(/\bkairos_[a-z0-9_]+\{[^}]*\}/g) ?? []) expect(selector, where).toContain('instance=~"$instance"');
      expect(q.expr.match(/\bkairos_[a-z0-9_]+(?!\{|[a-z0-9_])/g) ?? [], `${where}: a metric without the node's matcher`).toEqual([]);
    }
  });
});

describe('dashboards against a real Prometheus', () => {
  beforeAll(async () => {
    if (!havePrometheus) return;
    smsc = await startSmsc();
    k = await startTestKairos({
      config: { clock: 'manual', logLevel: 'warn', smppUrl: `smpp://127.0.0.1:${smsc.port}`, deliveryPollMs: 20, maxHotActors: 100 },
      manualClockStart: Date.parse('2026-11-24T10:00:00+03:00'),
    });
    prom = await startPrometheus([k.httpUrl.replace(/^http:\/\//, '')], dir.dir);
  }, 60_000);

  it.skipIf(!havePrometheus && !ci)('every panel of every dashboard returns data', async () => {
    if (!havePrometheus) throw new Error(`Prometheus is not installed at ${promBin}: npm test installs Debian's "prometheus" package (or set KAIROS_PROMETHEUS_BIN)`);
    const kairos = k!;
    const gw = await GatewayClient.connect(kairos.wsUrl);
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${kairos.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    try {
      // Prometheus has scraped Kairos once before the load, so the rates see it arrive.
      await until('the first scrape', async () => ((await prom!.query('up{job="kairos"}')).data?.result.length ? true : undefined), 30_000);
      // Half the decisions in the random arm, so the models' lift has answers on both sides.
      const policy = (await (await admin('GET', '/v1/policy')).json()) as { learning: Record<string, unknown> };
      expect((await admin('PUT', '/v1/policy', { ...policy, learning: { ...policy.learning, randomPercent: 50 } })).status).toBe(200);
      const event = (frame: Frame) => gw.request({ t: 'event', id: uid(), ...frame });
      // A little load of every kind, twice, a few seconds apart (rates need two scrapes).
      for (let round = 0; round < 2; round++) {
        for (let n = 1; n <= 60; n++) {
          // Declined withdrawals: SMS through the SMSC simulator (deliveries, outbox, contacts).
          await event({ type: 'atm.withdrawal.declined', customer: { card: `card-${n + round * 60}` }, channel: 'atm', data: { requested: 1000, balance: 800 } });
          // Logins: the pension deposit for the 60+, answered; suppressions for the others.
          const d = await event({ type: 'ib.login', customer: { id: `demo-${n + 28_900}` }, channel: 'ib' });
          const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
          if (offer !== undefined) await gw.request({ t: 'response', id: uid('r'), instance: offer.instance, outcome: n % 2 === 0 ? 'accepted' : 'declined' });
          // Idle balances at a branch: the personal rate, and its control group.
          await event({ type: 'branch.visit', customer: { id: `demo-${[35, 66, 70, 71, 206, 2853][n % 6]!}` }, channel: 'branch', location: { lat: 55.7614, lon: 37.609, place: 'msk-tverskaya' } });
          await event({ type: 'product.opened', customer: { id: `demo-${[35, 2853][n % 2]!}` }, data: { product: 'savings-deposit' } });
        }
        // Errors by code: an unknown customer, a malformed event.
        await event({ type: 'ib.login', customer: { id: 'no-such-customer' }, channel: 'ib' });
        await gw.request({ t: 'event', id: uid(), type: 42 });
        // The clock moves past the offers' expiry: reminders fire; the actors passivated by the
        // hot-actor bound wake up again from the store.
        expect((await admin('POST', '/v1/clock', { advance: 2 * 3_600_000 })).status).toBe(200);
        await new Promise((r) => setTimeout(r, 3000));
      }
      // The AUC and lift panels show figures only with evidence behind them (200 answers, 20
      // of each, in each arm): until the lift is shown, more seniors log in and answer (every
      // third accepts), a bounded number.
      for (const [n, id] of seniors().entries()) {
        if (n % 50 === 0 && ((await (await admin('GET', '/v1/models/pension-deposit')).json()) as { lift: number | null }).lift !== null) break;
        const d = await event({ type: 'ib.login', customer: { id }, channel: 'ib' });
        const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
        if (offer !== undefined) await gw.request({ t: 'response', id: uid('r'), instance: offer.instance, outcome: n % 3 === 0 ? 'accepted' : 'declined' });
      }
      expect(((await (await admin('GET', '/v1/models/pension-deposit')).json()) as { liftReason: string | null }).liftReason).toBeNull();
      // An outbound run (over whatever clients over 60 the segment lists by now): its gauges.
      expect((await admin('POST', '/v1/campaigns/pension-deposit-run/runs')).status).toBe(201);
      // Long enough for every rate() window to hold several samples after the load.
      await new Promise((r) => setTimeout(r, 4000));
    } finally {
      gw.close();
    }

    const up = await prom!.query('up{job="kairos"}');
    expect(up.data?.result[0]?.value[1], `Prometheus does not scrape Kairos:\n${prom!.output().slice(-2000)}`).toBe('1');
    const dead: string[] = [];
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(30);
    for (const q of queries) {
      const r = await prom!.query(expand(q.expr));
      const values = (r.data?.result ?? []).map((s) => Number(s.value[1]));
      if (r.status !== 'success') dead.push(`${q.dashboard} "${q.panel}": ${q.expr}: ${r.error ?? r.status}`);
      else if (!values.some((v) => Number.isFinite(v))) dead.push(`${q.dashboard} "${q.panel}": ${q.expr}: ${values.length === 0 ? 'no series' : `no number (${JSON.stringify(r.data?.result.slice(0, 3))})`}`);
    }
    expect(dead, 'panels whose queries return no data').toEqual([]);
  }, 120_000);
});
