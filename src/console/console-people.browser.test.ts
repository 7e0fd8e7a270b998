import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../test-support/console-browser.js';
import { launchChromium } from '../test-support/console-browser.js';
import { CONSOLE_SHOTS, ConsolePages, WAIT } from '../test-support/console-pages.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * The console's customer search and the stop list & consents page in a real browser (Debian's
 * Chromium, headless, by playwright-core) against the real server with the demo bank: a privacy
 * key finds a demo customer by phone and by e-mail, an analyst by id only (the card masked); a marketer asks why / why not now and
 * at a chosen moment; a privacy key adds a customer's phone to the stop list with a reason (an
 * event for that customer then gets no offer, through the API), removes it with a reason, and
 * withdraws a customer's SMS consent (each change in the audit trail with its reason); a
 * marketer has no privacy menu; axe-core on each page; screenshots docs/console/search.png and
 * docs/console/privacy.png. Each page's time to show its data is printed (not asserted).
 */

const MARKETER = 'secret-of-the-marketer-key-0123';
const ANALYST = 'secret-of-the-analyst-key-01234';
const PRIVACY = 'secret-of-the-privacy-key-01234';
const shots = CONSOLE_SHOTS;
/** The server's clock: yesterday's noon in Moscow. */
const NOON = yesterdayMsk('12:00');

let k: TestKairos;
let tb: TestBrowser;
const ui = new ConsolePages(() => tb, () => k.httpUrl);
const { newPage, checkA11y } = ui;
const { since, took, shoot } = ui;
const { signIn } = ui;
const senior = 'demo-19';

interface Card {
  id: string;
  profile: { firstName?: string; lastName?: string; patronymic?: string; age?: number };
  identifiers: Record<string, string[]>;
  consents: Record<string, { granted: boolean }>;
}

const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
};

/** An internet-bank login of the customer, as a gateway sends it: the decision's actions. */
const login = async (id: string): Promise<Array<{ campaign: string }>> => {
  const res = await fetch(`${k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: uid('login'), type: 'ib.login', channel: 'ib', customer: { id } }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { actions: Array<{ campaign: string }> }).actions;
};

/** A moment as a datetime-local input takes it, in Moscow (the browser's zone here). */
const mskInput = (ms: number): string => new Date(ms + 3 * 3_600_000).toISOString().slice(0, 16);

beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: MARKETER }, { name: 'petrov', role: 'analyst', secret: ANALYST }, { name: 'sokolova', role: 'privacy', secret: PRIVACY }] },
  });
  // Noon in Moscow (yesterday's): no quiet hours, whenever the tests run.
  await admin('POST', '/v1/clock', { now: NOON });
  tb = await launchChromium();
  mkdirSync(shots, { recursive: true });
  // A client of 60 logs in to the internet bank: the pension deposit is offered (so "now" its recency rule stops it again).
  expect((await login(senior)).map((a) => a.campaign)).toContain('pension-deposit');
});

afterAll(async () => {
  await tb?.close();
  await k?.close();
  console.log(ui.timingsLine('console people page times'));
});

// A test waits on a browser and a server both busy on a loaded machine: a minute and a half at most each.
describe('customer search, why / why not at a moment, the stop list and consents', { timeout: 90_000 }, () => {
  it('a privacy key finds a demo customer by phone and by e-mail; an analyst searches by id only (the card masked)', async () => {
    const card = (await admin('GET', `/v1/customers/${senior}`)) as Card;
    const phone = card.identifiers.phone![0]!;
    const p = card.profile;
    const masked = `${p.lastName![0]}*** ${p.firstName![0]}*** ${p.patronymic![0]}***`;
    const full = `${p.lastName} ${p.firstName} ${p.patronymic}`;
    const analyst = await newPage();
    await signIn(analyst.page, ANALYST);
    await analyst.page.getByRole('link', { name: 'Клиенты' }).click();
    // an analyst reads cards masked so as not to know who the customer is: no lookup by identifier
    expect(await analyst.page.getByLabel('Искать по').count()).toBe(0);
    await analyst.page.getByLabel('Идентификатор клиента').fill(senior);
    await analyst.page.getByRole('button', { name: 'Найти' }).click();
    await analyst.page.locator('article.card').waitFor();
    expect(await analyst.page.locator('dd[data-field="name"]').textContent()).toBe(masked);
    await analyst.context.close();
    const { context, page } = await newPage();
    await signIn(page, PRIVACY);
    await page.getByRole('link', { name: 'Клиенты' }).click();
    await page.getByLabel('Искать по').selectOption('phone');
    // as an operator would type it from a call: 8, spaces, brackets, dashes
    await page.getByLabel('Значение').fill(`8 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8, 10)}-${phone.slice(10)}`);
    let t0 = await since(page);
    await page.getByRole('button', { name: 'Найти' }).click();
    const match = page.locator(`[data-field="matches"] tr[data-customer="${senior}"]`);
    await match.waitFor();
    await page.locator('article.card').waitFor();
    await took(page, 'search by phone (to the card)', t0);
    expect(await match.locator('[data-field="match-name"]').textContent()).toBe(full);
    expect(await page.locator('dd[data-field="name"]').textContent()).toBe(full);
    expect(page.url()).toContain(`/console/customers/${senior}`);
    await checkA11y(page, 'search by phone');
    await shoot(page, 'search.png');

    await page.getByLabel('Искать по').selectOption('email');
    await page.getByLabel('Значение').fill(card.identifiers.email![0]!.toUpperCase());
    t0 = await since(page);
    await page.getByRole('button', { name: 'Найти' }).click();
    await expect.poll(() => page.locator('[data-field="matches"] [data-field="match-name"]').allTextContents(), WAIT).toEqual([full]);
    await took(page, 'search by e-mail', t0);

    await page.getByLabel('Значение').fill('nobody@nowhere.example');
    await page.getByRole('button', { name: 'Найти' }).click();
    await page.getByText('Клиент с таким идентификатором не найден.').waitFor();
    await page.getByLabel('Искать по').selectOption('phone');
    await page.getByLabel('Значение').fill('12-ab');
    await page.getByRole('button', { name: 'Найти' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('query "phone": not a valid phone');
    await checkA11y(page, 'search: none found, refused');
    await context.close();
  });

  it('a marketer asks why / why not now and at a chosen moment, and has no privacy menu', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    expect(await page.getByRole('link', { name: 'Стоп-лист и согласия' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Клиенты' }).click();
    // the marketer's role reads no card: the search is by id only
    expect(await page.getByLabel('Искать по').count()).toBe(0);
    await page.getByLabel('Идентификатор клиента').fill(senior);
    await page.getByRole('button', { name: 'Найти' }).click();
    await page.getByText('Карточку клиента роль вашего ключа не читает').waitFor();
    const why = page.locator('[data-field="why"]');
    const verdict = why.locator('tr[data-decision="pension-deposit"] [data-field="verdict"]');

    let t0 = await since(page);
    await page.getByRole('button', { name: 'Проверить' }).click();
    await why.waitFor();
    await took(page, 'why / why not (now)', t0);
    expect(Number(await why.locator('[data-field="why-at"]').getAttribute('data-at'))).toBe(NOON);
    // now: the deposit offered at the login before, the recency rule stops it
    await expect.poll(() => verdict.textContent(), WAIT).toBe('отсеяно');
    // the rule in words, its code beside them
    expect(await why.locator('tr[data-decision="pension-deposit"] td').nth(2).textContent()).toMatch(/^недав[^(]+ \(recency:[a-z]+\)$/);

    // ninety days before: the login's contact is outside the recency window, so another rule answers (the dry run weighs the
    // customer's state as it is now at that moment's clock: the offer still awaiting an answer holds the screen)
    const before = NOON - 90 * 86_400_000;
    await page.getByLabel('Момент (пусто: сейчас)').fill(mskInput(before));
    t0 = await since(page);
    await page.getByRole('button', { name: 'Проверить' }).click();
    await expect.poll(() => why.locator('[data-field="why-at"]').getAttribute('data-at'), WAIT).toBe(String(before));
    await took(page, 'why / why not (a moment)', t0);
    expect(await why.locator('[data-field="why-at"]').textContent()).toContain(new Date(before).toLocaleString('ru-RU', { timeZone: 'Europe/Moscow' }).slice(0, 10));
    const past = await verdict.textContent();
    const pastWhy = await why.locator('tr[data-decision="pension-deposit"] td').nth(2).textContent();
    console.log(`why / why not for ${senior}: now "отсеяно" (recency), 90 days before "${past}" (${pastWhy})`);
    expect(past).toBe('отсеяно');
    expect(pastWhy).not.toMatch(/\(recency/);
    await checkA11y(page, 'why / why not at a moment');

    // A moment the API refuses (before 1970): its own message is shown.
    await page.getByLabel('Момент (пусто: сейчас)').fill('1960-01-01T12:00');
    await page.getByRole('button', { name: 'Проверить' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const refusal = await alert.textContent();
    console.log(`why / why not before 1970: ${refusal}`);
    expect(refusal).toContain('"at"');

    // Another customer typed in the box (Enter): the address, the box and the answer are that customer's, never the previous one's;
    // Back: the previous customer's address and id in the box, no answer of another customer's shown.
    await page.getByLabel('Момент (пусто: сейчас)').fill('');
    await page.getByRole('button', { name: 'Проверить' }).click();
    await expect.poll(() => verdict.textContent(), WAIT).toBe('отсеяно');
    const box = page.getByLabel('Идентификатор клиента');
    await box.fill('demo-100');
    await box.press('Enter');
    await expect.poll(() => page.url(), WAIT).toContain('/console/customers/demo-100');
    expect(await why.count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'Проверить' }).click();
    await expect.poll(() => why.locator('tr[data-decision="pension-deposit"] td').nth(2).textContent(), WAIT).toBe('не в целевой группе (not_in_target_group)');
    await page.goBack();
    await expect.poll(() => page.url(), WAIT).toContain(`/console/customers/${senior}`);
    await expect.poll(() => box.inputValue(), WAIT).toBe(senior);
    expect(await why.count()).toBe(0);
    await page.goForward();
    await expect.poll(() => box.inputValue(), WAIT).toBe('demo-100');
    expect(await why.count()).toBe(0);

    await page.goto(`${k.httpUrl}/console/privacy`);
    await page.getByText('Роль вашего ключа не даёт доступа к этому разделу.').waitFor();
    await context.close();
  });

  it('a privacy key stops a customer\'s phone with a reason (the next event gets no offer), removes it with a reason, and withdraws an SMS consent', async () => {
    // Another client of 60 or more, offered the deposit at a login when not stopped.
    let other: Card | undefined;
    for (let n = 20; n < 400 && other === undefined; n++) {
      const c = (await admin('GET', `/v1/customers/demo-${n}`)) as Card;
      if ((c.profile.age ?? 0) >= 60) other = c;
    }
    expect(other).toBeDefined();
    const phone = other!.identifiers.phone![0]!;

    const { context, page } = await newPage();
    await signIn(page, PRIVACY);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'Стоп-лист и согласия' }).click();
    await page.locator('[data-field="stop-entries"]').waitFor();
    await took(page, 'privacy', t0);

    await page.getByLabel('Вид', { exact: true }).nth(1).selectOption('phone');
    await page.locator('#stop-add-value').fill(phone);
    await page.locator('#stop-add-reason').fill('просьба клиента по телефону');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Добавить' }).click();
    await page.getByRole('status').filter({ hasText: 'Добавлено' }).waitFor();
    await took(page, 'stop list: add', t0);
    const row = page.locator('[data-field="stop-entries"] tbody tr').filter({ hasText: 'просьба клиента по телефону' });
    await row.waitFor();
    expect(await row.locator('td').first().textContent()).toBe(`+7 *** *** ** ${phone.slice(-2)}`);
    // the page never shows the phone itself
    expect(await page.locator('[data-field="stop-entries"]').textContent()).not.toContain(phone);

    // An event for that customer now gets no offer: the phone on the list stops them.
    const actions = await login(other!.id);
    expect(actions).toEqual([]);
    const card = await admin('GET', `/v1/customers/${other!.id}`);
    expect(JSON.stringify(card.lastDecision)).toContain('stop_list');

    // Searched by the phone as written otherwise: the one entry.
    await page.locator('#stop-search-kind').selectOption('phone');
    await page.locator('#stop-search-value').fill(`8${phone.slice(2)}`);
    await page.getByRole('button', { name: 'Найти в стоп-листе' }).click();
    await expect.poll(() => page.locator('[data-field="stop-entries"] tbody tr').count(), WAIT).toBe(1);
    await checkA11y(page, 'privacy: stop list');
    await shoot(page, 'privacy.png');

    // Removed with a reason: gone from the list, the reason in the audit trail.
    await page.getByRole('button', { name: `Удалить +7 *** *** ** ${phone.slice(-2)}` }).click();
    await page.getByLabel(`Причина удаления +7 *** *** ** ${phone.slice(-2)}`).fill('клиент снова согласен');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Подтвердить удаление' }).click();
    await page.getByRole('status').filter({ hasText: 'Удалено' }).waitFor();
    await took(page, 'stop list: remove', t0);
    await page.getByText('Записей нет.').waitFor();
    expect((await admin('GET', `/v1/stop-list?kind=phone&value=${encodeURIComponent(phone)}`)).entries).toEqual([]);
    const removed = (await admin('GET', '/v1/audit?action=stop-list.remove')).entries.at(-1);
    expect(removed).toMatchObject({ who: { name: 'sokolova', role: 'privacy' }, after: { removed: true, reason: 'клиент снова согласен' } });

    // The customer's consents, found by e-mail: the SMS consent withdrawn with a reason.
    await page.locator('#consent-find-kind').selectOption('email');
    await page.locator('#consent-find-value').fill(other!.identifiers.email![0]!);
    t0 = await since(page);
    await page.getByRole('button', { name: 'Найти клиента' }).click();
    const sms = page.locator('[data-field="consents"] tr[data-channel="sms"] [data-field="granted"]');
    await expect.poll(() => sms.textContent(), WAIT).toBe('дано');
    await took(page, 'consents (find by e-mail)', t0);
    await page.getByLabel('Причина изменения').fill('отказ от SMS в отделении');
    t0 = await since(page);
    await page.getByRole('button', { name: 'Отозвать согласие на sms' }).click();
    await page.getByRole('status').filter({ hasText: 'Согласие на sms отозвано' }).waitFor();
    await expect.poll(() => sms.textContent(), WAIT).toBe('отозвано');
    await took(page, 'consents: withdraw', t0);
    expect((await admin('GET', `/v1/customers/${other!.id}`)).consents.sms.granted).toBe(false);
    const patch = (await admin('GET', '/v1/audit?action=customer.patch')).entries.at(-1);
    expect(patch).toMatchObject({ who: { name: 'sokolova' }, target: other!.id, before: { consents: { sms: true } }, after: { consents: { sms: false }, reason: 'отказ от SMS в отделении' } });
    await checkA11y(page, 'privacy: consents');
    await shoot(page, 'privacy-consents.png');
    await context.close();
  });
});
