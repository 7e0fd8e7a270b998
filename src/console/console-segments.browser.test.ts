import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../test-support/console-browser.js';
import { launchChromium } from '../test-support/console-browser.js';
import { CONSOLE_SHOTS, ConsolePages } from '../test-support/console-pages.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos, uid, yesterdayMsk } from '../test-support/test-kairos.js';
import { recordImportPass } from '../runtime/segment-sweep.js';

/**
 * The console's segments pages in a real browser (Debian's Chromium, headless, by
 * playwright-core) against the real server with the demo bank: a marketer reads the segments
 * with their sizes and rules in words, builds a segment in the rule editor (age ≥ 60 and the
 * city), counts the draft (the same number as the API's count), saves it, sees its live size
 * and a sample of its members once customers step, adds a manual member, sees a refused save's
 * message and a refused delete's; an analyst finds no segments in the menu and no control on
 * the page; axe-core on each page; screenshots into docs/console/. Each page's time to show
 * its data is printed, not asserted.
 */

const MARKETER = 'secret-of-the-marketer-key-0123';
const ANALYST = 'secret-of-the-analyst-key-01234';
const shots = CONSOLE_SHOTS;
/** How long a poll waits for the page to show a change (an upper bound on a loaded machine, not a timing assertion). */
const WAIT = { timeout: 30_000, interval: 100 };

let k: TestKairos;
let tb: TestBrowser;
const ui = new ConsolePages(() => tb, () => k.httpUrl);
const { newPage, shown, checkA11y } = ui;
const { since, took, shoot } = ui;
const { signIn } = ui;

const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
};

/** A draft rule counted by the API itself: started, then read until done. */
async function apiCount(rule: unknown): Promise<number> {
  const job = (await admin('POST', '/v1/segments/count', { rule })) as { job: string };
  let state = { state: 'running', matched: 0 };
  await expect
    .poll(async () => {
      state = await admin('GET', `/v1/segment-counts/${job.job}`);
      return state.state;
    }, WAIT)
    .toBe('done');
  return state.matched;
}

/** An event from the gateway, so the customer steps (and enters the segments that hold for them). */
async function visit(customer: string): Promise<void> {
  const res = await fetch(`${k.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: uid('visit'), type: 'web.visit', channel: 'web', customer: { id: customer } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: MARKETER }, { name: 'petrov', role: 'analyst', secret: ANALYST }] },
  });
  // Noon in Moscow (yesterday's): no quiet hours, whenever the tests run.
  await admin('POST', '/v1/clock', { now: yesterdayMsk('12:00') });
  tb = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await tb?.close();
  await k?.close();
  console.log(ui.timingsLine('console segments page times'));
});

/** The rule editor's condition `n` (1-based) in the group at `depth` (0: the top one): its attribute, operator and value. */
async function setCondition(page: Page, n: number, attr: string, op: string, value: string, depth = 0): Promise<void> {
  const row = page.locator(`[data-rule-group="${depth}"] > .rule-items > li:nth-child(${n}) > [data-rule-row]`);
  await row.getByLabel('Атрибут').selectOption(attr);
  await row.getByLabel('Оператор').selectOption(op);
  await row.getByLabel('Значение').fill(value);
}

// A test waits on a browser and a server both busy on a loaded machine: two minutes at most each.
describe('the segments pages in a browser', { timeout: 120_000 }, () => {
  it('a marketer builds a segment, counts the draft as the API does, saves it, sees its size and members, adds one by hand; refusals show the API\'s message', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    let t0 = await since(page);
    await page.getByRole('link', { name: 'Сегменты' }).click();
    await shown(page, 'segments', t0);
    await page.locator('table[data-sizes="ready"]').waitFor();
    await took(page, 'segments (sizes)', t0);
    const demo = page.locator('tr[data-segment="clients_60_plus"]');
    expect(await demo.locator('[data-field="rule"]').textContent()).toBe('этап = клиент и возраст ≥ 60');
    expect(await demo.locator('[data-field="size"]').textContent()).toMatch(/^\d+$/);
    expect(await page.locator('tr[data-segment="pilot_clients"] [data-field="rule"]').textContent()).toBe('только список: 3');
    await checkA11y(page, 'segments');

    // A new segment: clients of 60 and over in Moscow, built row by row.
    t0 = await since(page);
    await page.getByRole('link', { name: 'Новый сегмент' }).click();
    await shown(page, 'segment (new)', t0);
    await page.getByLabel('Идентификатор', { exact: true }).fill('seniors_moscow');
    await page.getByLabel('Название', { exact: true }).fill('Москвичи 60+');
    await page.getByRole('button', { name: '+ условие' }).click();
    await setCondition(page, 1, 'profile.age', 'gte', '60');
    await page.getByRole('button', { name: '+ условие' }).click();
    await setCondition(page, 2, 'profile.city', 'eq', 'Москва');
    expect(await page.locator('[data-field="rule-words"]').textContent()).toBe('возраст ≥ 60 и город = «Москва»');
    const rule = { all: [{ attr: 'profile.age', op: 'gte', value: 60 }, { attr: 'profile.city', op: 'eq', value: 'Москва' }] };

    // Посчитать: the draft's count, as the API gives it for the same rule.
    t0 = await since(page);
    await page.getByRole('button', { name: 'Посчитать' }).click();
    const count = page.locator('[data-field="draft-count"]');
    await expect.poll(() => count.getAttribute('data-state'), WAIT).toBe('done');
    await took(page, 'count (draft)', t0);
    const matched = Number(await count.getAttribute('data-matched'));
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBe(await apiCount(rule));
    expect(await count.textContent()).toContain(`вошли бы ${matched} из`);

    // Saved: the page is the segment's own now, its size 0 until customers step.
    await page.getByRole('button', { name: 'Сохранить' }).click();
    await page.waitForURL(/\/console\/segments\/seniors_moscow$/);
    await page.getByRole('status').filter({ hasText: 'Сохранено' }).waitFor();
    expect((await admin('GET', '/v1/segments/seniors_moscow')).rule).toEqual(rule);
    const size = page.locator('[data-field="live-size"]');
    expect(await size.getAttribute('data-size')).toBe('0');

    // Two clients of 60 and over step: the live size and the sample show them, each linking to the card.
    const seniors: string[] = [];
    for (let n = 1; seniors.length < 2 && n < 400; n++) {
      const c = (await admin('GET', `/v1/customers/demo-${n}`)) as { profile?: { age?: number } };
      if ((c.profile?.age ?? 0) >= 60) seniors.push(`demo-${n}`);
    }
    for (const s of seniors) await visit(s);
    await k.kairos.host.flush();
    t0 = await since(page);
    await page.getByRole('button', { name: 'Обновить' }).click();
    await expect.poll(() => size.getAttribute('data-size'), WAIT).toBe('2');
    await took(page, 'segment (refresh)', t0);
    const sample = page.locator('[data-field="sample"] a');
    expect(await sample.allTextContents()).toEqual([...seniors].sort());
    expect(await sample.first().getAttribute('href')).toBe(`/console/customers/${[...seniors].sort()[0]!}`);

    // A member by hand: a customer of 44 (demo-2) put in, saved with the rule.
    await page.getByLabel('Идентификатор клиента для добавления').fill('demo-2');
    await page.getByRole('button', { name: 'Добавить', exact: true }).click();
    await page.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByRole('status').filter({ hasText: 'Сохранено' }).waitFor();
    await expect.poll(async () => ((await admin('GET', '/v1/segments/seniors_moscow')) as { members?: string[] }).members, WAIT).toEqual(['demo-2']);
    await visit('demo-2');
    await k.kairos.host.flush();
    await page.getByRole('button', { name: 'Обновить' }).click();
    await expect.poll(() => size.getAttribute('data-size'), WAIT).toBe('3');
    // its size by day: today's is now
    await page.locator('[data-field="size-history"] summary').click();
    expect(await page.locator('[data-field="size-history"] tbody tr').first().locator('td').allTextContents()).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), '3']);
    // counted again, now saved: the draft's number beside its live size
    await page.getByRole('button', { name: 'Посчитать' }).click();
    await expect.poll(() => page.locator('[data-field="draft-count"]').getAttribute('data-state'), WAIT).toBe('done');
    await checkA11y(page, 'segment');
    await shoot(page, 'segment.png');

    // Opened by its address: the rule is back in the editor, as saved.
    t0 = await since(page);
    await page.goto(`${k.httpUrl}/console/segments/seniors_moscow`);
    await shown(page, 'segment (direct)', t0);
    expect(await page.locator('[data-field="rule-words"]').textContent()).toBe('возраст ≥ 60 и город = «Москва»');
    expect(await page.locator('[data-field="manual-members"] li').count()).toBe(1);

    // An invalid value (text where "≥" needs a number): the API refuses the save, and the page shows its words beside the form.
    await page.locator('[data-rule-row="1"]').getByLabel('Значение').fill('шестьдесят');
    await page.getByRole('button', { name: 'Сохранить' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Не сохранено' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('"gte" needs a number');
    expect((await admin('GET', '/v1/segments/seniors_moscow')).rule).toEqual(rule);
    await checkA11y(page, 'segment refused');

    // A segment a campaign uses cannot be deleted: the API says so, and the page shows its words.
    await page.goto(`${k.httpUrl}/console/segments/clients_60_plus`);
    await page.locator('main section[data-state="ready"]').waitFor();
    await page.getByRole('button', { name: 'Удалить сегмент' }).click();
    await page.getByRole('button', { name: 'Да, удалить' }).click();
    const notDeleted = page.getByRole('alert').filter({ hasText: 'Не удалено' });
    await notDeleted.waitFor();
    expect(await notDeleted.textContent()).toContain('clients_60_plus');
    expect((await admin('GET', '/v1/segments/clients_60_plus')).id).toBe('clients_60_plus');

    // The new one can: confirmed, it is gone, and the page is the list again.
    await page.goto(`${k.httpUrl}/console/segments/seniors_moscow`);
    await page.locator('main section[data-state="ready"]').waitFor();
    await page.getByRole('button', { name: 'Удалить сегмент' }).click();
    await page.getByRole('button', { name: 'Да, удалить' }).click();
    await page.waitForURL(/\/console\/segments$/);
    await page.locator('tr[data-segment="clients_60_plus"]').waitFor();
    expect(await page.locator('tr[data-segment="seniors_moscow"]').count()).toBe(0);
    // the list again, the seniors who stepped counted in the demo's segments
    await page.locator('table[data-sizes="ready"]').waitFor();
    expect(Number(await page.locator('tr[data-segment="clients_60_plus"] [data-field="size"]').textContent())).toBeGreaterThanOrEqual(2);
    await shoot(page, 'segments.png');
    await context.close();
  });

  it('builds nested groups with a not; a count can be stopped while it runs, and a rule the API refuses is named before anything runs', async () => {
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    await page.goto(`${k.httpUrl}/console/segments/new`);
    await page.locator('main section[data-state="ready"]').waitFor();
    await page.getByRole('button', { name: '+ условие' }).click();
    await setCondition(page, 1, 'feature.restaurant_tx_30d', 'gte', 'три');
    await page.getByRole('button', { name: 'Посчитать' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('"gte" needs a number');
    await setCondition(page, 1, 'feature.restaurant_tx_30d', 'gte', '3');
    // a group where any holds, negated: not (under 30 or a woman)
    await page.getByRole('button', { name: '+ группа условий' }).first().click();
    const group = page.locator('[data-rule-group="1"]');
    await setCondition(page, 1, 'profile.age', 'lt', '30', 1);
    await group.getByRole('button', { name: '+ условие' }).click();
    await setCondition(page, 2, 'profile.gender', 'eq', 'f', 1);
    await group.locator('.rule-group-head').getByLabel('не').check();
    expect(await page.locator('[data-field="rule-words"]').textContent()).toBe('признак restaurant_tx_30d ≥ 3 и не (возраст < 30 или пол = «f»)');
    await checkA11y(page, 'segment (nested rule)');
    await page.getByRole('button', { name: 'Посчитать' }).click();
    const count = page.locator('[data-field="draft-count"]');
    await count.waitFor();
    // Stopped if still running; a count quicker than the click ends done. Either way it is final.
    const stop = page.getByRole('button', { name: 'Остановить подсчёт' });
    if ((await count.getAttribute('data-state')) === 'running') await stop.click({ timeout: 2_000 }).catch(() => undefined);
    await expect.poll(() => count.getAttribute('data-state'), WAIT).toMatch(/^(cancelled|done)$/);
    expect(await stop.count()).toBe(0);
    // the editor gave the API the rule as built (it counted it: no refusal)
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await count.locator('.muted').textContent()).toContain('не (возраст < 30 или пол = «f»)');
    // in English, the same rule in English words
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'New segment' }).waitFor();
    expect(await page.locator('[data-field="rule-words"]').textContent()).toBe('feature restaurant_tx_30d ≥ 3 and not (age < 30 or gender = "f")');
    await checkA11y(page, 'segment (en)');
    await context.close();
  });

  it('an analyst has no segments in the menu, and no control on a segment\'s page', async () => {
    const { context, page } = await newPage();
    await signIn(page, ANALYST);
    expect(await page.getByRole('link', { name: 'Сегменты' }).count()).toBe(0);
    await page.goto(`${k.httpUrl}/console/segments/clients_60_plus`);
    await page.locator('main section[data-state="ready"]').waitFor();
    await page.getByText('Роль вашего ключа не даёт доступа к этому разделу.').waitFor();
    expect(await page.locator('main').getByRole('button').count()).toBe(0);
    expect(await page.locator('main input, main select').count()).toBe(0);
    await checkA11y(page, 'segment (analyst)');
    await page.goto(`${k.httpUrl}/console/segments/new`);
    await page.getByText('Роль вашего ключа не даёт доступа к этому разделу.').waitFor();
    expect(await page.locator('main').getByRole('button').count()).toBe(0);
    await context.close();
  });

  it('says the sizes are not complete while the members are being worked out (an import\'s pass left), and refreshes them until they are', async () => {
    await recordImportPass(k.kairos.store, ['demo-1', 'demo-2'], k.kairos.clock.now());
    expect((await admin('GET', '/v1/segment-sizes')).pending).toBe('import');
    const { context, page } = await newPage();
    await signIn(page, MARKETER);
    await page.getByRole('link', { name: 'Сегменты' }).click();
    await page.locator('table[data-sizes="ready"]').waitFor();
    const notice = page.locator('[data-pending]');
    await notice.waitFor();
    expect(await notice.getAttribute('data-pending')).toBe('import');
    expect(await notice.textContent()).toContain('размеры ещё неполные');
    // the pass done: the next refresh (5 s) takes the notice away
    await k.kairos.segmentSweep.runImportPasses(0);
    await k.kairos.segmentSweep.importsDone();
    expect((await admin('GET', '/v1/segment-sizes')).pending).toBeUndefined();
    await expect.poll(() => notice.count(), WAIT).toBe(0);
    await context.close();
  });
});
