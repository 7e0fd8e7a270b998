import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../test-support/console-browser.js';
import { launchChromium } from '../test-support/console-browser.js';
import { ConsolePages, WAIT } from '../test-support/console-pages.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * The console when things go wrong under a marketer, in a real browser (Debian's Chromium,
 * headless, by playwright-core) against the real server with the demo bank and a manual clock:
 * the server gone mid-use (its requests aborted at the network level by the browser), on each
 * page, read or action: one localized message that the server cannot be reached, never a page
 * left loading, a false empty state or the browser's English words; an action whose request
 * got no reply said not made; a key revoked during use signed out to the sign-in page; times
 * in the language chosen and the bank's zone, whatever the browser's; a run's cancel asked first.
 */

const MARKETER = 'secret-of-the-marketer-key-0123';
/** The server's clock: yesterday's noon in Moscow. */
const NOON = yesterdayMsk('12:00');

let k: TestKairos;
let tb: TestBrowser;
const ui = new ConsolePages(() => tb, () => k.httpUrl);
const { newPage, signIn } = ui;

const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
};

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: MARKETER }] } });
  await admin('POST', '/v1/clock', { now: NOON });
  tb = await launchChromium();
});

afterAll(async () => {
  await tb?.close();
  await k?.close();
});

const RU_UNREACHABLE = 'Нет связи с сервером Kairos. Проверьте подключение и попробуйте снова.';
const EN_UNREACHABLE = 'The Kairos server cannot be reached. Check the connection and try again.';

/** The page's main text, once no request is pending and React has rendered what came back. */
const settledText = async (page: Page): Promise<string> => {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(200);
  return (await page.locator('main').textContent()) ?? '';
};

describe('the console when things go wrong', { timeout: 120_000 }, () => {
  it('says on each page, in the language chosen, that the server cannot be reached: no page left loading, no false empty state', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    // (opened while the server answers: the why / why not form is then asked with it gone)
    await page.goto(`${k.httpUrl}/console/customers/demo-19`);
    await page.getByRole('button', { name: 'Проверить' }).waitFor();
    // The server gone: every API request fails at the network level.
    await context.route('**/v1/**', (r) => r.abort('connectionrefused'));
    const alerts = page.locator('main [role="alert"]');

    await page.getByRole('button', { name: 'Проверить' }).click();
    await expect.poll(() => alerts.allTextContents(), WAIT).toEqual([`Ошибка: ${RU_UNREACHABLE}`]);

    // Results: the funnel, the uplift and the models each say it, none left loading or empty.
    await page.getByRole('link', { name: 'Результаты' }).click();
    await expect.poll(() => page.locator('main section[data-state="loading"]').count(), WAIT).toBe(0);
    expect(await alerts.allTextContents()).toEqual([`Ошибка: ${RU_UNREACHABLE}`, `Ошибка: ${RU_UNREACHABLE}`, `Ошибка: ${RU_UNREACHABLE}`]);
    let text = await settledText(page);
    expect(text).not.toContain('Загрузка');
    for (const empty of ['данных нет', 'Нет.', 'Моделей пока нет']) expect(text).not.toContain(empty);

    // Runs: the message, never "no outbound campaigns".
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    await expect.poll(() => alerts.count(), WAIT).toBeGreaterThan(0);
    text = await settledText(page);
    expect(text).toContain(RU_UNREACHABLE);
    expect(text).not.toContain('Нет исходящих кампаний');
    expect(text).not.toContain('Failed to fetch');

    // Campaigns, in English.
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await expect.poll(() => alerts.allTextContents(), WAIT).toEqual([`Error: ${EN_UNREACHABLE}`]);
    expect(await settledText(page)).not.toContain('Failed to fetch');
    await context.close();
  });

  it('an action whose request fails at the network level says the change was not made, the button back', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    const alerts = page.locator('main [role="alert"]');
    await page.goto(`${k.httpUrl}/console/campaigns/pension-deposit`);
    const pause = page.getByRole('button', { name: 'Приостановить' });
    await pause.waitFor();
    // The connection drops under the pause.
    await context.route('**/v1/campaigns/pension-deposit/status', (r) => r.abort('connectionreset'));
    await pause.click();
    await expect.poll(() => alerts.allTextContents(), WAIT).toEqual([`Изменение не сделано: ${RU_UNREACHABLE}`]);
    expect(await page.locator('main [role="status"]').count()).toBe(0);
    expect(await pause.isEnabled()).toBe(true);
    expect((await admin('GET', '/v1/campaigns/pension-deposit')).status).toBe('active');

    // A run started as the connection drops: the same, and no run.
    await context.route('**/v1/campaigns/*/runs', (r) => (r.request().method() === 'POST' ? r.abort('connectionreset') : r.continue()));
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    await page.getByRole('button', { name: 'Запустить' }).click();
    await expect.poll(() => alerts.allTextContents(), WAIT).toEqual([`Изменение не сделано: ${RU_UNREACHABLE}`]);
    expect((await admin('GET', '/v1/runs')).runs).toEqual([]);
    await context.close();
  });

  it('a key revoked during use signs out to the sign-in page, saying why, with nothing kept', async () => {
    const made = await admin('POST', '/v1/keys', { name: 'smirnova', role: 'marketer' });
    const { context, page } = await newPage();
    await signIn(page, made.secret as string);
    await admin('DELETE', '/v1/keys/smirnova');
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    await page.getByRole('heading', { name: 'Вход' }).waitFor(WAIT);
    expect(await page.locator('main [role="alert"]').allTextContents()).toEqual(['Ключ больше не принимается (отозван или заменён): вы вышли. Войдите с действующим ключом.']);
    expect(await page.locator('header [data-field="role"]').count()).toBe(0);
    const text = await settledText(page);
    expect(text).not.toContain('an API key is required');
    expect(text).not.toContain('Нет исходящих кампаний');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await context.close();
  });

  it("shows times in the language chosen and the bank's zone, whatever the browser's locale and zone", async () => {
    const run = await admin('POST', '/v1/campaigns/pension-deposit-run/runs');
    const started = run.startedAt as number;
    const inMoscow = (locale: string, o: Intl.DateTimeFormatOptions): string =>
      new Intl.DateTimeFormat(locale, { ...o, year: 'numeric', day: o.day ?? '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short', timeZone: 'Europe/Moscow' }).format(started);
    const ru = inMoscow('ru-RU', { month: '2-digit' });
    const en = inMoscow('en-GB', { month: 'short', day: 'numeric' });
    expect(ru).toMatch(/^\d\d\.\d\d\.\d{4}, 12:00:00 GMT\+3$/);
    const row = (page: Page) => page.locator(`tr[data-run="${String(run.id)}"] th`);

    // An en-US browser in Vladivostok, the Russian UI: Moscow's noon, written the Russian way.
    let context = await tb.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'Asia/Vladivostok' });
    let page = await context.newPage();
    await signIn(page, MARKETER);
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    await expect.poll(async () => row(page).textContent(), WAIT).toContain(`Начат: ${ru}`);
    await context.close();

    // A ru-RU browser in Vladivostok, the English UI: Moscow's noon, written the English way.
    context = await tb.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'ru-RU', timezoneId: 'Asia/Vladivostok' });
    page = await context.newPage();
    await signIn(page, MARKETER);
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('link', { name: 'Outbound runs' }).click();
    await expect.poll(async () => row(page).textContent(), WAIT).toContain(`Started: ${en}`);
    await context.close();
  });

  it('asks before cancelling a run (a cancel cannot be undone)', async () => {
    // A run shown open (the demo's runs finish or wait by the day's capacity: the page is
    // answered with a real run, paused), and the cancels the page sends counted.
    const run = (await admin('POST', '/v1/campaigns/credit-card-calls/runs')) as { id: string; state: string };
    const id = run.id;
    let state = 'paused';
    const cancels: string[] = [];
    const { context, page } = await newPage();
    await context.route('**/v1/runs', (r) => r.fulfill({ json: { runs: [{ ...run, state }] } }));
    await context.route('**/v1/runs/*/cancel', (r) => {
      cancels.push(r.request().url());
      state = 'cancelled';
      return r.fulfill({ json: { ...run, state } });
    });
    await signIn(page, MARKETER);
    await page.getByRole('link', { name: 'Исходящие запуски' }).click();
    const row = page.locator(`tr[data-run="${id}"]`);
    await row.getByRole('button', { name: 'Отменить', exact: true }).click();
    const ask = row.locator('[data-confirm="cancel"]');
    expect(await ask.textContent()).toContain(`Отменить запуск ${id}? Отмену нельзя вернуть`);
    expect(cancels).toEqual([]);
    await ask.getByRole('button', { name: 'Не отменять' }).click();
    expect(await ask.count()).toBe(0);
    expect(cancels).toEqual([]);
    await row.getByRole('button', { name: 'Отменить', exact: true }).click();
    await row.getByRole('button', { name: 'Да, отменить запуск' }).click();
    await expect.poll(() => row.locator('[data-field="state"]').textContent(), WAIT).toContain('отменён');
    expect(cancels).toHaveLength(1);
    await context.close();
  });
});
