import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { TestBrowser } from '../test-support/console-browser.js';
import { launchChromium } from '../test-support/console-browser.js';
import { CONSOLE_SHOTS, ConsolePages, WAIT } from '../test-support/console-pages.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * The console in a real browser (Debian's Chromium, headless, by playwright-core) against the
 * real server with the demo bank: a marketer signs in, sees the campaigns with today's funnel,
 * pauses and re-activates one, sees a refused move's message, starts an outbound run and a
 * call-centre wave (its call list, masked, and its CSV); an auditor reads the audit trail; an analyst
 * signs in and finds no control to change anything and the card masked; the RU/EN switch; axe-core
 * on each page (no serious or critical violation); a screenshot of each page into docs/console/.
 * Each page's time to show its data is printed (not asserted), as is the first page's script size.
 */

const MARKETER = 'secret-of-the-marketer-key-0123';
const ANALYST = 'secret-of-the-analyst-key-01234';
const PRIVACY = 'secret-of-the-privacy-key-01234';
const AUDITOR = 'secret-of-the-auditor-key-01234';
const shots = CONSOLE_SHOTS;


/** A moment as the Russian console writes it (console/src/times.ts): the bank's zone, its offset after it. */
const moscowMoment = (at: number): string =>
  new Intl.DateTimeFormat('ru-RU', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short', timeZone: 'Europe/Moscow' }).format(at);
let k: TestKairos;
let tb: TestBrowser;
const ui = new ConsolePages(() => tb, () => k.httpUrl);
const { newPage, shown, checkA11y } = ui;
const { since, took, shoot } = ui;
const signIn = (page: Page, key: string): Promise<void> => ui.signIn(page, key, key === MARKETER ? 'campaigns' : key === ANALYST ? 'campaigns (analyst)' : 'campaigns (other)');
let senior = '';

const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
};

beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: MARKETER }, { name: 'petrov', role: 'analyst', secret: ANALYST }, { name: 'sokolova', role: 'privacy', secret: PRIVACY }, { name: 'smirnova', role: 'auditor', secret: AUDITOR }] },
  });
  // Noon in Moscow (yesterday's): no quiet hours, whenever the tests run.
  await admin('POST', '/v1/clock', { now: yesterdayMsk('12:00') });
  tb = await launchChromium();
  mkdirSync(shots, { recursive: true });
  // A client of 60 (the demo bank's demo-19) logs in to the internet bank: the pension deposit is offered, so today's funnel and the card have something to show.
  senior = 'demo-19';
  expect((await admin('GET', `/v1/customers/${senior}`)).profile.age).toBeGreaterThanOrEqual(60);
  const res = await fetch(`${k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: uid('login'), type: 'ib.login', channel: 'ib', customer: { id: senior } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

afterAll(async () => {
  await tb?.close();
  await k?.close();
  console.log(ui.timingsLine('console page times'));
});

// A test waits on a browser and a server both busy on a loaded machine: a minute and a half at most each.
describe('the console in a browser', { timeout: 90_000 }, () => {
  it('a marketer signs in, sees the campaigns with status and today\'s funnel, and the key\'s role', async () => {
    const { context, page } = await newPage();
    await page.goto(`${k.httpUrl}/console`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ru');
    await checkA11y(page, 'sign-in');
    await page.screenshot({ path: join(shots, 'sign-in.png') });
    await signIn(page, MARKETER);
    await expect.poll(() => page.locator('[data-field="role"]').textContent(), WAIT).toContain('маркетолог');
    const row = page.locator('tr[data-campaign="pension-deposit"]');
    await expect.poll(() => row.locator('[data-field="status"]').textContent(), WAIT).toBe('активна');
    // today's funnel: the senior's login was offered the deposit
    const cells = await row.locator('td.num').allTextContents();
    expect(Number(cells[0])).toBeGreaterThanOrEqual(1);
    expect(Number(cells[1])).toBeGreaterThanOrEqual(1);
    await checkA11y(page, 'campaigns');
    await shoot(page, 'campaigns.png');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('kairos.console.key')")).toBe(MARKETER);
    await context.close();
  });

  it('a marketer pauses a campaign and activates it again; a refused move shows the API\'s message', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'Вклад «Пенсионный» для клиентов 55+' }).click();
    await shown(page, 'campaign', t0);
    await page.getByRole('button', { name: 'Приостановить' }).click();
    await page.getByRole('status').filter({ hasText: 'на паузе' }).waitFor();
    expect((await admin('GET', '/v1/campaigns/pension-deposit')).status).toBe('paused');
    await expect.poll(() => page.locator('dd[data-field="status"]').textContent(), WAIT).toBe('на паузе');
    await page.getByRole('button', { name: 'Активировать' }).click();
    await page.getByRole('status').filter({ hasText: 'активна' }).waitFor();
    expect((await admin('GET', '/v1/campaigns/pension-deposit')).status).toBe('active');
    await checkA11y(page, 'campaign');
    await shoot(page, 'campaign.png');

    // A completed campaign cannot become active again: the API says so, and the page shows its words.
    await admin('POST', '/v1/campaigns/pension-deposit-followup/status', { status: 'completed' });
    t0 = await since(page);
    await page.goto(`${k.httpUrl}/console/campaigns/pension-deposit-followup`);
    await shown(page, 'campaign (direct)', t0);
    await page.getByRole('button', { name: 'Активировать' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('a completed campaign cannot become active');
    await checkA11y(page, 'campaign refused');
    await context.close();
  });

  it('an auditor reads the audit trail, newest first: a campaign paused just before, by whom, with its diff', async () => {
    // The marketer pauses a campaign through the API (as curl would); the auditor's page shows it on top.
    const paused = await fetch(`${k.httpUrl}/v1/campaigns/pension-deposit/status`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${MARKETER}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'paused' }),
    });
    expect(paused.status, await paused.clone().text()).toBeLessThan(300);
    try {
      const { context, page } = await newPage();
      await signIn(page, AUDITOR);
      const t0 = await since(page);
      await page.getByRole('link', { name: 'Журнал аудита' }).click();
      await shown(page, 'audit', t0);
      const top = page.locator('tr[data-seq]').first();
      expect(await top.getAttribute('data-action')).toBe('catalog.status');
      expect(await top.getAttribute('data-target')).toBe('campaigns/pension-deposit');
      expect(await top.locator('td').nth(1).textContent()).toBe('ivanovaмаркетолог');
      const detail = top.locator('li[data-field="detail"]');
      expect(await detail.locator('ins').textContent()).toBe('стало: "active -> paused"');
      expect(await top.locator('li[data-field="version"] del').count()).toBe(1);
      await checkA11y(page, 'audit');
      await shoot(page, 'audit.png');
      // filtered by the key's name: only the marketer's changes
      await page.getByLabel('Кто').fill('ivanova');
      await page.getByRole('button', { name: 'Показать' }).click();
      await expect.poll(async () => new Set(await page.locator('tr[data-seq] td:nth-child(2)').allTextContents()), WAIT).toEqual(new Set(['ivanovaмаркетолог']));
      await context.close();
      // a marketer's menu has no audit trail
      const m = await newPage();
      await signIn(m.page, MARKETER);
      expect(await m.page.getByRole('link', { name: 'Журнал аудита' }).count()).toBe(0);
      await m.context.close();
    } finally {
      await admin('POST', '/v1/campaigns/pension-deposit/status', { status: 'active' });
    }
  });

  it('a marketer starts an outbound run, watches its progress and funnel, pauses, resumes and cancels it', async () => {
    // Another client over 60, not offered the deposit yet, seen today (a plain event: the segment's members are written with the customer).
    let other = '';
    for (let n = 20; other === '' && n < 400; n++) {
      const c = (await (await fetch(`${k.httpUrl}/v1/customers/demo-${n}`, { headers: adminHeaders })).json()) as { stage?: string; profile?: { age?: number } };
      if ((c.profile?.age ?? 0) >= 60 && c.stage === 'client') other = `demo-${n}`;
    }
    expect(other).not.toBe('');
    const seen = await fetch(`${k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: uid('visit'), type: 'web.visit', channel: 'web', customer: { id: other } }),
    });
    expect(seen.status).toBe(200);
    // No SMS or e-mail capacity today: that customer waits for tomorrow, so the run stays open for the buttons.
    const policy = await admin('GET', '/v1/policy');
    await admin('PUT', '/v1/policy', { ...policy, channelCapacity: { sms: { perDay: 0 }, email: { perDay: 0 } } });
    try {
      const { context, page } = await newPage();
      await signIn(page, MARKETER);
      const t0 = await since(page);
      await page.getByRole('link', { name: 'Исходящие запуски' }).click();
      await shown(page, 'runs', t0);
      await page.getByLabel('Запуск исходящей кампании').selectOption('pension-deposit-run');
      await page.getByRole('button', { name: 'Запустить' }).click();
      const row = page.locator('tr[data-run^="pension-deposit-run~"]');
      const state = (): Promise<string | null> => row.locator('[data-field="state"]').textContent();
      await expect.poll(state, WAIT).toMatch(/^ждёт ёмкости канала/);
      // until when: the next day's capacity, as the API's waitingUntil says
      const runId = await row.getAttribute('data-run');
      const run = ((await admin('GET', '/v1/runs')).runs as Array<{ id: string; waitingFor?: string; waitingUntil?: number }>).find((r) => r.id === runId);
      expect(run?.waitingFor).toBe('capacity');
      expect(await state()).toBe(`ждёт ёмкости каналадо ${moscowMoment(run!.waitingUntil!)}`);
      expect(await row.locator('progress').count()).toBe(1);
      // the funnel's columns are the API's, and add up: each customer decided is offered, held out, suppressed or waiting for their window
      const shownFunnel = async (): Promise<string> => {
        const f = ((await admin('GET', `/v1/runs/${runId}`)) as { funnel: Record<string, number> }).funnel;
        const cells = (await row.locator('td.num').allTextContents()).map(Number);
        return cells.join() === [f.decided, f.offered, f.control, f.suppressed, f.waiting, f.delivered, f.answered, f.accepted].join() && cells[0] === cells[1]! + cells[2]! + cells[3]! + cells[4]! ? 'adds up' : cells.join();
      };
      await expect.poll(shownFunnel, WAIT).toBe('adds up');
      await checkA11y(page, 'runs');
      await shoot(page, 'runs.png');
      await row.getByRole('button', { name: 'Приостановить' }).click();
      await expect.poll(state, WAIT).toBe('на паузе');
      await row.getByRole('button', { name: 'Продолжить' }).click();
      await expect.poll(state, WAIT).toMatch(/^(идёт|ждёт ёмкости канала)/);
      await row.getByRole('button', { name: 'Отменить' }).click();
      await row.getByRole('button', { name: 'Да, отменить запуск' }).click();
      await expect.poll(state, WAIT).toBe('отменён');
      expect(await row.getByRole('button').count()).toBe(0);
      const runs = await admin('GET', '/v1/runs');
      expect(runs.runs.find((r: { campaign: string }) => r.campaign === 'pension-deposit-run')?.state).toBe('cancelled');
      await context.close();
    } finally {
      await admin('PUT', '/v1/policy', policy);
    }
  });

  it("a waiting run says what it waits for: a later wave when it starts (not 'started'), its segments, in Russian and English", async () => {
    // The runs as the API gives them, with a later wave waiting for its start and a run waiting for its segments added (each as GET /v1/runs has them).
    const later = Date.UTC(2100, 0, 1, 9);
    const zero = { decided: 0, offered: 0, control: 0, suppressed: 0, suppressedBy: {}, deferred: 0, waiting: 0, delivered: 0, failed: 0, answered: 0, accepted: 0, declined: 0, expired: 0 };
    const base = { segments: ['clients_60_plus'], state: 'waiting', updatedAt: Date.UTC(2026, 0, 1), selected: 0, gone: 0, pages: 0, funnel: zero };
    const added = [
      { ...base, id: 'credit-card-calls~w~2', campaign: 'credit-card-calls', startedBy: 'wave', startedAt: later, waitingFor: 'wave', waitingUntil: later, wave: { n: 2, count: 2, earlier: ['credit-card-calls~w'] } },
      { ...base, id: 'pension-deposit-run~s', campaign: 'pension-deposit-run', startedBy: 'hand', startedAt: Date.UTC(2026, 0, 1), waitingFor: 'segments' },
    ];
    const { context, page } = await newPage();
    await page.route('**/v1/runs', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const response = await route.fetch();
      const body = (await response.json()) as { runs: unknown[] };
      return route.fulfill({ response, json: { ...body, runs: [...body.runs, ...added] } });
    });
    await signIn(page, MARKETER);
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    const wave = page.locator('tr[data-run="credit-card-calls~w~2"]');
    const segments = page.locator('tr[data-run="pension-deposit-run~s"]');
    await wave.waitFor();
    const at = moscowMoment(later);
    const state = (row: typeof wave): Promise<string | null> => row.locator('[data-field="state"]').textContent();
    const started = (row: typeof wave): Promise<string | null> => row.locator('th').textContent();
    expect(await state(wave)).toBe(`ждёт начала волныдо ${at}волна 2 из 2`);
    expect(await started(wave)).toContain(`Начнётся: ${at}`);
    expect(await started(wave)).not.toContain('Начат:');
    expect(await state(segments)).toBe('ждёт расчёта сегментов');
    expect(await started(segments)).toContain('Начат: ');
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await expect.poll(() => state(wave), WAIT).toMatch(/^waiting for the wave's start/);
    expect(await started(wave)).toContain('Starts: ');
    expect(await state(segments)).toBe('waiting for its segments to be worked out');
    await context.close();
  });

  it("a marketer starts a call-centre wave and reads its call list, names and phones masked, and its CSV", async () => {
    // The young savers' segment filled, and twenty calls a day: the wave ranks them all and calls the best twenty.
    await k.kairos.segmentSweep.runIfDue();
    await k.kairos.host.flush();
    const policy = await admin('GET', '/v1/policy');
    await admin('PUT', '/v1/policy', { ...policy, channelCapacity: { callcenter: { perDay: 20 } } });
    let runId = '';
    try {
      const { context, page } = await newPage();
      await signIn(page, MARKETER);
      const t0 = await since(page);
      await page.getByRole('link', { name: 'Исходящие запуски' }).click();
      await shown(page, 'runs (waves)', t0);
      await page.getByLabel('Запуск исходящей кампании').selectOption('credit-card-calls');
      await page.getByRole('button', { name: 'Запустить' }).click();
      const row = page.locator('tr[data-run^="credit-card-calls~"]');
      await row.waitFor();
      runId = (await row.getAttribute('data-run'))!;
      expect(await row.locator('[data-field="state"]').textContent()).toContain('волна 1 из 2');
      // the run ranks and calls as the server works it (ticked here so the test does not wait on the runs' timer)
      let full: { calls: Array<{ customer: string; phone?: string; lastName?: string }> } = { calls: [] };
      await expect
        .poll(async () => {
          await k.kairos.outboundRuns.tick();
          await k.kairos.outboundRuns.idle();
          full = await admin('GET', `/v1/runs/${encodeURIComponent(runId)}/calls`);
          return full.calls.length;
        }, WAIT)
        .toBe(20);
      const t1 = await since(page);
      await row.getByRole('button', { name: 'Список звонков' }).click();
      const list = page.locator('section[data-calls] tr[data-call]');
      await expect.poll(() => list.count(), WAIT).toBe(20);
      await took(page, 'call list', t1);
      const first = list.first();
      expect(await first.locator('th').textContent()).toBe(full.calls[0]!.customer);
      expect(await first.locator('td').first().textContent()).toBe('1');
      // masked for a marketer, as the API masks it
      expect(await first.locator('[data-field="phone"]').textContent()).not.toBe(full.calls[0]!.phone);
      expect(await first.locator('[data-field="name"]').textContent()).toContain('***');
      expect(await first.locator('[data-field="outcome"]').textContent()).toBe('пока нет');
      await checkA11y(page, 'call list');
      await shoot(page, 'calls.png');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('section[data-calls]').getByRole('button', { name: 'Скачать CSV' }).click()]);
      const csv = readFileSync(await download.path(), 'utf8').trimEnd().split('\r\n');
      expect(csv[0]).toBe('rank,customer,last_name,first_name,patronymic,phone,score,offer,instance,called_at,outcome,callback_at,warm_lead');
      expect(csv.length).toBe(21);
      expect(csv[1]).toContain(full.calls[0]!.customer);
      await context.close();
    } finally {
      if (runId !== '') await admin('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
      await admin('PUT', '/v1/policy', policy);
    }
  });

  it('a marketer asks why or why not for a customer: every campaign weighed, with its score or the rule that stopped it', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    await page.getByRole('link', { name: 'Клиенты' }).click();
    await page.getByLabel('Идентификатор клиента').fill(senior);
    await page.getByRole('button', { name: 'Найти' }).click();
    await page.getByText('Карточку клиента роль вашего ключа не читает').waitFor();
    await page.getByLabel('Тип события').fill('ib.login');
    await page.getByLabel('Канал', { exact: true }).fill('ib');
    const t0 = await since(page);
    await page.getByRole('button', { name: 'Проверить' }).click();
    const why = page.locator('[data-field="why"]');
    await why.waitFor();
    await took(page, 'why / why not', t0);
    // the deposit was offered at the login before: this time the recency rule stops it, and the page says which rule
    const row = why.locator('tr[data-decision="pension-deposit"]');
    expect(await row.locator('[data-field="verdict"]').textContent()).toBe('отсеяно');
    expect(await row.locator('td').nth(2).textContent()).toMatch(/^недав[^(]+ \(recency:[a-z]+\)$/);
    await checkA11y(page, 'why / why not');
    await shoot(page, 'why.png');
    await context.close();
  });

  it('shows the results over a range of days, by campaign and by channel, as a chart and a table, and as CSV', async () => {
    const { context, page } = await newPage();
    await signIn(page, ANALYST);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'Результаты' }).click();
    await shown(page, 'results', t0);
    const row = page.locator('tr[data-result="pension-deposit"]');
    expect(Number((await row.locator('td.num').allTextContents())[1])).toBeGreaterThanOrEqual(1);
    await page.locator('.results-canvas canvas[data-drawn]').waitFor();
    await page.getByLabel('Разрез', { exact: true }).selectOption('channel');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Показать' }).click();
    // each campaign's channel, as the API and the CSV have them (no channel summed across campaigns)
    await page.locator('tr[data-campaign="pension-deposit"][data-result="ib"]').waitFor();
    await took(page, 'results (by channel)', t0);
    // the uplift against the control group: the run's campaign holds out a tenth, but no group has contacts yet
    const uplift = page.locator('tr[data-uplift="pension-deposit-run"]');
    await uplift.waitFor();
    expect(await uplift.locator('[data-field="uplift"]').textContent()).toBe('пока нет: нужны контакты в обеих группах');
    await checkA11y(page, 'results');
    await shoot(page, 'results.png');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Скачать CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^campaign,channel,/);
    expect(csv).toContain('pension-deposit,ib,');
    await context.close();
  });

  it('an analyst signs in and finds nothing to change; the customer\'s card is masked', async () => {
    const { context, page } = await newPage();
    await signIn(page, ANALYST);
    await expect.poll(() => page.locator('[data-field="role"]').textContent(), WAIT).toContain('аналитик');
    await page.locator('tr[data-campaign="pension-deposit"]').waitFor();
    expect(await page.getByRole('button', { name: /Активировать|Приостановить/ }).count()).toBe(0);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'pension-deposit', exact: true }).click();
    await shown(page, 'campaign (analyst)', t0);
    expect(await page.getByRole('button', { name: /Активировать|Приостановить/ }).count()).toBe(0);
    await page.getByText('Описание кампании доступно роли «маркетолог».').waitFor();
    await checkA11y(page, 'campaign (analyst)');

    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    await page.locator('main section[data-state="ready"]').waitFor();
    expect(await page.getByRole('button', { name: /Запустить|Отменить|Приостановить|Продолжить/ }).count()).toBe(0);

    await page.getByRole('link', { name: 'Клиенты' }).click();
    await page.getByLabel('Идентификатор клиента').fill(senior);
    t0 = await since(page);
    await page.getByRole('button', { name: 'Найти' }).click();
    await page.locator('article.card').waitFor();
    await took(page, 'customer', t0);
    const full = await admin('GET', `/v1/customers/${senior}`);
    const name = await page.locator('dd[data-field="name"]').textContent();
    if (full.profile.lastName !== undefined) {
      expect(name).not.toContain(full.profile.lastName);
      expect(name).toContain('***');
    }
    await page.getByText('Персональные данные скрыты для роли вашего ключа.').waitFor();
    expect(await page.getByRole('cell', { name: 'pension-deposit', exact: true }).count()).toBeGreaterThanOrEqual(1);
    // the last decision: each campaign it weighed, with its verdict and why
    const weighed = (await admin('GET', `/v1/customers/${senior}`)).lastDecision as Array<{ campaign: string }>;
    expect(await page.locator('tr[data-decision]').count()).toBe(weighed.length);
    await checkA11y(page, 'customer');
    await shoot(page, 'customer.png');
    await context.close();
  });

  it("a privacy key reads the card in full, and is told the campaigns are not its role's", async () => {
    const { context, page } = await newPage();
    await signIn(page, PRIVACY);
    await page.getByText('Роль вашего ключа не даёт доступа к этому разделу.').waitFor();
    await page.goto(`${k.httpUrl}/console/customers/${senior}`);
    await page.locator('article.card').waitFor();
    const full = await admin('GET', `/v1/customers/${senior}`);
    expect(await page.locator('dd[data-field="name"]').textContent()).toContain(full.profile.lastName);
    expect(await page.getByText('Персональные данные скрыты для роли вашего ключа.').count()).toBe(0);
    await checkA11y(page, 'customer (privacy)');
    await context.close();
  });

  it('switches between Russian and English, every text with it; signs out', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    await page.getByRole('heading', { name: 'Кампании' }).waitFor();
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('navigation').textContent()).toBe('CampaignsSegmentsOutbound runsResultsCustomers');
    expect(await page.locator('tr[data-campaign="pension-deposit"] [data-field="status"]').textContent()).toBe('active');
    await checkA11y(page, 'campaigns (en)');
    await shoot(page, 'campaigns-en.png');
    // the choice is kept for the next visit
    await page.reload();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await page.getByRole('button', { name: 'Переключить на русский' }).click();
    await page.getByRole('heading', { name: 'Кампании' }).waitFor();
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByRole('heading', { name: 'Вход' }).waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('kairos.console.key')")).toBeNull();
    await context.close();
  });

  it('refuses a wrong key and says so', async () => {
    const { context, page } = await newPage();
    await page.goto(`${k.httpUrl}/console`);
    await page.getByLabel('Ключ API').fill('not-a-key-anyone-has-0000');
    await page.getByRole('button', { name: 'Войти' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Ключ не принят');
    // A server that does not answer is not a refused key: the page says which.
    await page.route('**/v1/whoami', (route) => route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad Gateway' }));
    await page.getByLabel('Ключ API').fill(MARKETER);
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), WAIT).toContain('Ключ не проверен: сервер не ответил');
    await context.close();
  });

  it('a page opened again shows at once from the stored whoami, and follows a role changed or a key revoked meanwhile; signing out holds', async () => {
    const made = (await admin('POST', '/v1/keys', { name: 'kuznetsova', role: 'marketer' })) as { secret: string };
    const { context, page } = await newPage();
    await ui.signIn(page, made.secret);
    const nav = page.getByRole('navigation');
    const stored = (): Promise<string[]> => page.evaluate<string[]>("Object.keys(sessionStorage).filter((k) => k.startsWith('kairos.console.'))");
    /** whoami held until the returned function is called (or answered `status` at once); that function waits for the answer to be sent on */
    const holdWhoami = async (status?: number): Promise<() => Promise<void>> => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let sent!: () => void;
      const done = new Promise<void>((r) => (sent = r));
      await page.route('**/v1/whoami', async (route) => {
        if (status !== undefined) await route.fulfill({ status, contentType: 'application/problem+json', body: JSON.stringify({ title: 'unavailable', status }) });
        else {
          await held;
          await route.continue();
        }
        sent();
      });
      return async () => {
        release();
        await done;
        await page.unroute('**/v1/whoami');
      };
    };
    let lists = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/segments') lists += 1;
    });

    // Opened by its address while whoami is held: the page is there from what the tab kept.
    let release = await holdWhoami();
    await page.goto(`${k.httpUrl}/console/segments`);
    await page.locator('table[data-sizes="ready"]').waitFor();
    expect(await nav.getByRole('link', { name: 'Сегменты' }).count()).toBe(1);
    await release();
    // whoami's answer, the same as kept, does not read the page again
    await expect.poll(() => page.evaluate<boolean>('performance.getEntriesByType("resource").some((e) => e.name.endsWith("/v1/whoami"))'), WAIT).toBe(true);
    await page.waitForTimeout(300);
    expect(lists).toBe(1);

    // whoami not answered (a server restarting): the page stays, the key kept.
    release = await holdWhoami(503);
    await page.goto(`${k.httpUrl}/console/segments`);
    await page.locator('table[data-sizes="ready"]').waitFor();
    await page.waitForTimeout(300);
    expect(await page.locator('table[data-sizes="ready"]').count()).toBe(1);
    expect(await stored()).toHaveLength(2);
    await release();

    // The role changed: the page opened again shows what the new role reads, once whoami answers.
    await admin('PUT', '/v1/keys/kuznetsova/role', { role: 'analyst' });
    await page.goto(`${k.httpUrl}/console/campaigns`);
    await expect.poll(() => nav.getByRole('link', { name: 'Сегменты' }).count(), WAIT).toBe(0);
    expect(await page.locator('[data-field="role"]').textContent()).toContain('аналитик');

    // Signed out while whoami is on its way: its answer does not sign in again.
    release = await holdWhoami();
    await page.goto(`${k.httpUrl}/console/campaigns`);
    await page.getByRole('button', { name: 'Выйти' }).click();
    await release();
    await page.waitForTimeout(500);
    expect(await page.getByLabel('Ключ API').count()).toBe(1);
    expect(await stored()).toEqual([]);

    // Revoked: back to sign-in, saying the key is no longer accepted (whether whoami or the page's
    // own call is refused first), nothing kept in the tab.
    await ui.signIn(page, made.secret);
    await admin('DELETE', '/v1/keys/kuznetsova');
    await page.goto(`${k.httpUrl}/console/campaigns`);
    await expect.poll(async () => (await page.getByRole('alert').allTextContents()).join(' '), WAIT).toContain('Ключ больше не принимается');
    expect(await page.getByLabel('Ключ API').count()).toBe(1);
    expect(await stored()).toEqual([]);
    await context.close();
  });

  it("keeps the first page's script within 300 KB gzipped", () => {
    const dir = join(packageRoot(), 'dist', 'console');
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const gz = scripts.reduce((sum, s) => sum + gzipSync(readFileSync(join(dir, s))).length, 0);
    console.log(`console first page JS: ${(gz / 1024).toFixed(1)} KB gzipped (${scripts.length} file(s); budget 300 KB)`);
    expect(gz).toBeLessThan(300 * 1024);
  });
});
