import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import type { TestBrowser } from '../test-support/console-browser.js';
import { launchChromium } from '../test-support/console-browser.js';
import { CONSOLE_SHOTS, ConsolePages, WAIT } from '../test-support/console-pages.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * Results by segment and by run, the uplift over a range of days, each model's quality over
 * time, and a wave's call outcomes entered in the console, in a real browser (Debian's
 * Chromium, headless, by playwright-core) against the real server with the demo bank and a
 * manual clock: 60+ clients log in over two days and answer the pension deposit; a marketer
 * starts a call-centre wave, records an outcome for a call (and a call back with its time) and
 * sees it in the list, uploads the dialer's CSV with one bad line and sees the line named; an
 * analyst reads the funnel by segment and by run, the uplift of one day and of the week, and the
 * deposit model's AUC and response rates per day as a chart and a table. axe-core on each
 * page; screenshots into docs/console/; each page's time printed (not asserted).
 */

const MARKETER = 'secret-of-the-marketer-key-0123';
const ANALYST = 'secret-of-the-analyst-key-01234';
const shots = CONSOLE_SHOTS;
const DAY = 86_400_000;

let k: TestKairos;
let tb: TestBrowser;
const ui = new ConsolePages(() => tb, () => k.httpUrl);
const { newPage, shown, checkA11y } = ui;
const { since, took, shoot } = ui;
const { signIn } = ui;
let gw: GatewayClient;
/** the pension deposit's offers and answers each day: [yesterday, today] */
const offered: [number, number] = [0, 0];
const answered: [number, number] = [0, 0];
let today = '';
let now = 0;

const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
};

/** The demo's 60+ clients with small balances: whom the pension deposit is offered to. */
function seniorClients(): string[] {
  return readFileSync(demoCsvPath(), 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .flatMap((line, i) => {
      const [age, , , , , balance] = line.split(';');
      return Number(age) >= 60 && Number(balance) < 1000 ? [`demo-${i + 1}`] : [];
    });
}

/** Each client logs in to the internet bank at `at`; every offer of the deposit is answered, one in three accepted. */
async function loginsAndAnswers(clients: readonly string[], at: number, day: 0 | 1): Promise<void> {
  for (const [i, id] of clients.entries()) {
    const d = await gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id }, channel: 'ib', at });
    const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
    if (offer === undefined) continue;
    offered[day]++;
    expect(await gw.request({ t: 'response', id: uid('r'), instance: offer.instance, outcome: i % 3 === 0 ? 'accepted' : 'declined' })).toMatchObject({ t: 'ack' });
    answered[day]++;
  }
}

beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: MARKETER }, { name: 'petrov', role: 'analyst', secret: ANALYST }] },
  });
  gw = await GatewayClient.connect(k.wsUrl);
  // Yesterday at noon in Moscow, then today at noon: two days of offers and answers.
  const yesterday = yesterdayMsk('12:00');
  await admin('POST', '/v1/clock', { now: yesterday });
  const seniors = seniorClients();
  await loginsAndAnswers(seniors.slice(0, 12), yesterday, 0);
  now = yesterday + DAY;
  await admin('POST', '/v1/clock', { now });
  await loginsAndAnswers(seniors.slice(12, 20), now, 1);
  expect(offered[0]).toBeGreaterThan(2);
  expect(offered[1]).toBeGreaterThan(1);
  today = (await admin('GET', '/v1/whoami')).today as string;
  tb = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  gw?.close();
  await tb?.close();
  await k?.close();
  console.log(ui.timingsLine('console results page times'));
});

/** A time as a datetime-local input takes it, in Moscow (the browser's zone here). */
const localInput = (ms: number): string => new Date(ms + 3 * 3_600_000).toISOString().slice(0, 16);

let runId = '';

/** The results table's rows as shown: campaign (none by campaign), the dimension's value, and the five stages' counts. */
const shownRows = (page: Page): Promise<Array<[string, string, ...number[]]>> =>
  page.locator('tr[data-result]').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-campaign') ?? '', tr.getAttribute('data-result') ?? '', ...[...tr.querySelectorAll('td.num')].slice(0, 5).map((td) => Number(td.textContent))] as [string, string, ...number[]]),
  ).then(byCampaignAndKey);

const byCampaignAndKey = <R extends [string, string, ...number[]]>(rows: R[]): R[] => rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));

/** The funnel report's rows over the default week (GET /v1/reports/funnel?by=…), as the table should show them: per campaign and value, sorted. */
async function apiRows(by: 'run' | 'group'): Promise<Array<[string, string, ...number[]]>> {
  const from = new Date(Date.parse(today) - 6 * DAY).toISOString().slice(0, 10);
  const { rows } = (await admin('GET', `/v1/reports/funnel?by=${by}&from=${from}&to=${today}`)) as { rows: Array<Record<string, string | number | undefined>> };
  const out = new Map<string, [string, string, ...number[]]>();
  for (const r of rows) {
    const campaign = String(r.campaign);
    const key = String(r[by] ?? '-');
    const row = out.get(JSON.stringify([campaign, key])) ?? [campaign, key, 0, 0, 0, 0, 0];
    ['triggered', 'offered', 'delivered', 'answered', 'converted'].forEach((stage, i) => (row[i + 2] = (row[i + 2] as number) + Number(r[stage] ?? 0)));
    out.set(JSON.stringify([campaign, key]), row);
  }
  return byCampaignAndKey([...out.values()]);
}

describe('results and outcomes in the console', { timeout: 120_000 }, () => {
  it('a marketer records a call outcome and a call back on a wave, and uploads the dialer\'s CSV with one bad line named', async () => {
    await k.kairos.segmentSweep.runIfDue();
    await k.kairos.host.flush();
    const policy = await admin('GET', '/v1/policy');
    await admin('PUT', '/v1/policy', { ...policy, channelCapacity: { callcenter: { perDay: 20 } } });
    try {
      const { context, page } = await newPage();
      await signIn(page, MARKETER);
      let t0 = await since(page);
      await page.getByRole('link', { name: 'Исходящие запуски' }).click();
      await shown(page, 'runs', t0);
      await page.getByLabel('Запуск исходящей кампании').selectOption('credit-card-calls');
      await page.getByRole('button', { name: 'Запустить' }).click();
      const row = page.locator('tr[data-run^="credit-card-calls~"]');
      await row.waitFor();
      runId = (await row.getAttribute('data-run'))!;
      let calls: Array<{ customer: string; instance?: string; outcome?: string; callbackAt?: number }> = [];
      await expect
        .poll(async () => {
          await k.kairos.outboundRuns.tick();
          await k.kairos.outboundRuns.idle();
          calls = (await admin('GET', `/v1/runs/${encodeURIComponent(runId)}/calls`)).calls;
          return calls.length;
        }, WAIT)
        .toBeGreaterThan(3);
      t0 = await since(page);
      await row.getByRole('button', { name: 'Список звонков' }).click();
      const list = page.locator('section[data-calls] tr[data-call]');
      await expect.poll(() => list.count(), WAIT).toBe(calls.length);
      await took(page, 'call list', t0);

      // The first call: interested. Saved, and the list shows it.
      const [first, second, third] = [calls[0]!.customer, calls[1]!.customer, calls[2]!.customer];
      const line = (customer: string) => page.locator(`section[data-calls] tr[data-call="${customer}"]`);
      await line(first).getByLabel(`Итог звонка клиенту ${first}`).selectOption('interested');
      t0 = await since(page);
      await line(first).getByRole('button', { name: 'Сохранить' }).click();
      await expect.poll(() => line(first).locator('[data-field="outcome"]').textContent(), WAIT).toBe('заинтересован');
      await took(page, 'outcome saved (to the list read again)', t0);
      expect(await page.locator('[data-saved]').textContent()).toBe(`Итог звонка клиенту ${first} записан.`);
      expect((await admin('GET', `/v1/runs/${encodeURIComponent(runId)}/calls`)).calls.find((c: { customer: string }) => c.customer === first).outcome).toBe('interested');

      // The second: call back tomorrow at this time; the time is kept with the call.
      await line(second).getByLabel(`Итог звонка клиенту ${second}`).selectOption('callback');
      await line(second).getByLabel(`Время перезвона клиенту ${second}`).fill(localInput(now + DAY));
      await line(second).getByRole('button', { name: 'Сохранить' }).click();
      await expect.poll(() => line(second).locator('[data-field="outcome"]').textContent(), WAIT).toBe('перезвонить');
      const back = (await admin('GET', `/v1/runs/${encodeURIComponent(runId)}/calls`)).calls.find((c: { customer: string }) => c.customer === second);
      expect(back).toMatchObject({ outcome: 'callback', callbackAt: Math.floor((now + DAY) / 60_000) * 60_000 });
      await checkA11y(page, 'outcomes');

      // The dialer's file: the third call not answered, and a line naming nobody the wave called.
      const file = ['customer,outcome', `${third},no_answer`, 'nobody-at-all,declined', ''].join('\r\n');
      t0 = await since(page);
      await page.locator('#outcomes-file').setInputFiles({ name: 'dialer.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
      const result = page.locator('[data-upload-result]');
      await result.waitFor();
      await took(page, 'outcomes file (2 rows)', t0);
      expect(await result.locator('p').first().textContent()).toBe('Строк: 2, записано: 1, уже было: 0, отклонено: 1.');
      expect(await result.locator('[data-rejected-line="3"]').textContent()).toBe('строка 3: field "customer": no customer "nobody-at-all"');
      await expect.poll(() => line(third).locator('[data-field="outcome"]').textContent(), WAIT).toBe('не ответил');
      await checkA11y(page, 'outcomes uploaded');
      await shoot(page, 'outcomes.png');
      await context.close();
    } finally {
      await admin('PUT', '/v1/policy', policy);
    }
  });

  it('an analyst reads the results by segment and by run, the uplift of a day and of the week, and a model\'s quality by day', async () => {
    const { context, page } = await newPage();
    await signIn(page, ANALYST);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'Результаты' }).click();
    await shown(page, 'results', t0);

    // By segment: every 60+ client offered the deposit is in clients_60_plus.
    await page.getByLabel('Разрез', { exact: true }).selectOption('segment');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Показать' }).click();
    const seniors = page.locator('tr[data-campaign="pension-deposit"][data-result="clients_60_plus"]');
    await seniors.waitFor();
    await took(page, 'results (by segment)', t0);
    const cells = (await seniors.locator('td.num').allTextContents()).map(Number);
    // (triggered, offered, delivered, answered, converted: the deposit's row, its offers in the segment)
    expect(cells[1]).toBeGreaterThanOrEqual(offered[0] + offered[1]);
    expect(await page.getByText('По сегментам: каждый шаг клиента засчитан').count()).toBe(1);
    await checkA11y(page, 'results by segment');
    await shoot(page, 'results-segments.png');

    // By run: the wave's row, and the events' decisions as "-".
    await page.getByLabel('Разрез', { exact: true }).selectOption('run');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Показать' }).click();
    await page.locator(`tr[data-result="${runId}"]`).waitFor();
    await took(page, 'results (by run)', t0);
    expect(Number((await page.locator(`tr[data-result="${runId}"] td.num`).allTextContents())[1])).toBeGreaterThan(3);
    // each campaign's row, as the API (and its CSV) has them: the events' decisions as "-" of each campaign, never summed across campaigns
    expect(await shownRows(page)).toEqual(await apiRows('run'));
    expect(await page.locator('tr[data-campaign="pension-deposit"][data-result="-"]').count()).toBe(1);
    expect(await page.locator('tr[data-result="-"]').count()).toBeGreaterThan(1);

    // By target group: a group is its campaign's (two campaigns' groups of one name are two rows), as the API has them.
    await page.getByLabel('Разрез', { exact: true }).selectOption('group');
    await page.getByRole('button', { name: 'Показать' }).click();
    await expect.poll(() => shownRows(page), WAIT).toEqual(await apiRows('group'));
    // the report asked is kept in the address: Back shows the one before (by run), Forward this one again, a reload keeps it
    expect(new URL(page.url()).searchParams.get('by')).toBe('group');
    const breakdown = page.getByLabel('Разрез', { exact: true });
    await page.goBack();
    await expect.poll(() => breakdown.inputValue(), WAIT).toBe('run');
    await expect.poll(() => shownRows(page), WAIT).toEqual(await apiRows('run'));
    await page.goForward();
    await expect.poll(() => breakdown.inputValue(), WAIT).toBe('group');
    await page.reload();
    await expect.poll(() => breakdown.inputValue(), WAIT).toBe('group');
    await expect.poll(() => shownRows(page), WAIT).toEqual(await apiRows('group'));

    // The uplift of the week (the default range), then of today alone: the deposit's contacts of those days.
    const deposit = page.locator('tr[data-uplift="pension-deposit"]');
    await expect.poll(() => deposit.locator('td').nth(1).textContent(), WAIT).toContain(`из ${offered[0] + offered[1]}`);
    await page.getByLabel('С', { exact: true }).fill(today);
    t0 = await since(page);
    await page.getByRole('button', { name: 'Показать' }).click();
    await page.locator(`section[data-range="${today}..${today}"][data-state="ready"]`).waitFor();
    await took(page, 'uplift (one day)', t0);
    expect(await page.locator('#uplift-title').textContent()).toBe(`Прирост к контрольной группе с ${today} по ${today}`);
    expect(await deposit.locator('td').nth(1).textContent()).toContain(`из ${offered[1]}`);

    // The deposit model's quality by day: yesterday's and today's answers, with the chart.
    await page.getByLabel('С', { exact: true }).fill(new Date(Date.parse(today) - 6 * DAY).toISOString().slice(0, 10));
    t0 = await since(page);
    await page.getByRole('button', { name: 'Показать' }).click();
    await page.getByLabel('Модель предложения').selectOption('pension-deposit');
    const days = page.locator('table[data-model="pension-deposit"] tr[data-day]');
    await expect.poll(() => days.count(), WAIT).toBe(2);
    await took(page, 'model quality (a week)', t0);
    expect((await days.locator('[data-field="examples"]').allTextContents()).map(Number)).toEqual(answered);
    expect(await days.nth(1).getAttribute('data-day')).toBe(today);
    await page.locator('section[aria-labelledby="models-title"] canvas[data-drawn]').waitFor();
    const history = await admin('GET', `/v1/models/pension-deposit/history?to=${today}`);
    expect(history.days.map((d: { examples: number }) => d.examples)).toEqual(answered);
    await checkA11y(page, 'models');
    await page.locator('section[aria-labelledby="models-title"]').screenshot({ path: join(shots, 'models.png') });
    await context.close();
  });
});
