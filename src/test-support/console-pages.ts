import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { packageRoot } from '../paths.js';
import type { TestBrowser } from './console-browser.js';
import { seriousViolations } from './console-browser.js';

/** Where the browser tests put the console's screenshots (docs/console.md shows them). */
export const CONSOLE_SHOTS = join(packageRoot(), 'docs', 'console');

/** How long a poll waits for the page to show a change (an upper bound on a loaded machine, not a timing assertion). */
export const WAIT = { timeout: 20_000, interval: 100 };

/**
 * What every console browser test does with its pages: a new page as a Moscow marketer's
 * browser (Russian, 1280×860), sign-in with a key, the wait for a page's data (its time kept
 * under a name, printed by `timingsLine`, never asserted), and axe-core's serious and critical
 * violations (none expected). The browser and the server are read when used (they start in
 * the file's beforeAll). Methods are bound, so a file can take them apart.
 */
export class ConsolePages {
  readonly timings: Record<string, number> = {};

  constructor(
    private readonly browser: () => TestBrowser,
    private readonly baseUrl: () => string,
  ) {}

  newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await this.browser().browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    return { context, page: await context.newPage() };
  };

  /** Waits for the page's section to hold its data; the time from `since`, kept under `name`. */
  shown = async (page: Page, name: string, since: number): Promise<void> => {
    await page.locator('main section[data-state="ready"]').first().waitFor();
    this.timings[name] = Date.now() - since;
  };

  checkA11y = async (page: Page, name: string): Promise<void> => {
    const serious = await seriousViolations(page);
    expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  };

  /** Signs in with `key` and waits for the first page's data; its time kept under `timedAs` when given. */
  signIn = async (page: Page, key: string, timedAs?: string): Promise<void> => {
    await page.goto(`${this.baseUrl()}/console`);
    await page.getByLabel('Ключ API').fill(key);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Войти' }).click();
    if (timedAs === undefined) await page.locator('main section[data-state="ready"]').first().waitFor();
    else await this.shown(page, timedAs, t0);
  };

  /** `<label> (ms, click to data shown): name=ms ...` */
  timingsLine = (label: string): string => `${label} (ms, click to data shown): ${Object.entries(this.timings).map(([p, ms]) => `${p}=${ms}`).join(' ')}`;
}
