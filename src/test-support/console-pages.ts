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
 * A page's own clock for "how long did the page take to answer", installed in every document
 * before its scripts: the moment of the user's input (pointer, key, a file chosen) after
 * `arm()`, or the navigation's start for a document just loaded (a link followed in a new
 * document, an address typed), taken from the event's own time stamp; and the end of the
 * first frame painted after the DOM's last change since (a task posted from that frame's
 * callback). Read after the test's wait for the data and for every chart on the page to be
 * drawn: from the input to the frame after the last change at or before that moment, an upper
 * bound on when the data (and the charts) were on screen. The test driver's own round trips
 * (finding the element by its role, the click's checks, the polling wait) are outside it:
 * `driverTimings` keeps those, as the test process saw them.
 */
const PROBE = `(() => {
  const p = { start: 0, last: -1, painted: -1 };
  p.arm = () => { p.start = undefined; p.last = -1; p.painted = -1; };
  // (the event's own time: an input that waited behind a long task counts from when it happened)
  const input = (e) => { if (p.start === undefined) p.start = e.timeStamp; };
  for (const type of ['pointerdown', 'mousedown', 'click', 'keydown', 'input', 'change', 'submit']) addEventListener(type, input, true);
  // after a frame's callbacks the browser styles, lays out and paints it; a task posted from
  // the frame's callback runs once that is done
  const afterPaint = () => { const c = new MessageChannel(); c.port1.onmessage = () => { p.painted = performance.now(); }; c.port2.postMessage(0); };
  new MutationObserver(() => {
    if (p.start === undefined) return;
    p.last = performance.now();
    requestAnimationFrame(afterPaint);
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  Object.defineProperty(window, '__kairosProbe', { value: p });
})();`;

/** The probe read once the frame after the last change is painted: input to that frame, in ms (undefined when no input was seen). */
const READ_PROBE = `new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
  const p = window.__kairosProbe;
  done(p === undefined || p.start === undefined || p.last < 0 ? null : Math.max(p.painted, p.last) - p.start);
}, 0))))`;

/**
 * What every console browser test does with its pages: a new page as a Moscow marketer's
 * browser (Russian, 1280×860), sign-in with a key, the wait for a page's data (its time kept
 * under a name, printed by `timingsLine`, never asserted), and axe-core's serious and critical
 * violations (none expected). The browser and the server are read when used (they start in
 * the file's beforeAll). Methods are bound, so a file can take them apart.
 *
 * A time is the page's own (see PROBE): `since(page)` before the action, `took(page, name,
 * t0)` (or `shown`) after the wait for its result.
 */
export class ConsolePages {
  /** Input to data painted, as the page's own clock measured it. */
  readonly timings: Record<string, number> = {};
  /** The same spans as the test process saw them, the driver's round trips included. */
  readonly driverTimings: Record<string, number> = {};

  constructor(
    private readonly browser: () => TestBrowser,
    private readonly baseUrl: () => string,
  ) {}

  newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await this.browser().browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    await context.addInitScript(PROBE);
    return { context, page: await context.newPage() };
  };

  /** Starts a timed span: the page's next input starts its clock (a navigation starts a new document's). Returns the test process's start. */
  since = async (page: Page): Promise<number> => {
    await page.evaluate('window.__kairosProbe && window.__kairosProbe.arm()');
    return Date.now();
  };

  /** Ends the span `since` started, its result already waited for: the page's time kept under `name`, the driver's under the same name in `driverTimings`. */
  took = async (page: Page, name: string, since: number): Promise<void> => {
    this.driverTimings[name] = Date.now() - since;
    // a chart is part of its page's answer: the reading waits for every one to be drawn
    await expect.poll(() => page.locator('canvas:not([data-drawn])').count(), WAIT).toBe(0);
    const ms = await page.evaluate<number | null>(READ_PROBE);
    if (ms === null) throw new Error(`${name}: the page saw no input and no change to time`);
    this.timings[name] = Math.round(ms);
  };

  /** Waits for the page's section to hold its data; the span from `since`, kept under `name`. */
  shown = async (page: Page, name: string, since: number): Promise<void> => {
    await page.locator('main section[data-state="ready"]').first().waitFor();
    await this.took(page, name, since);
  };

  /** A full-page screenshot into docs/console/ once every chart on the page is drawn (Chart.js loads on a chart's first draw). */
  shoot = async (page: Page, file: string): Promise<void> => {
    await expect.poll(() => page.locator('canvas:not([data-drawn])').count(), WAIT).toBe(0);
    await page.screenshot({ path: join(CONSOLE_SHOTS, file), fullPage: true });
  };

  checkA11y = async (page: Page, name: string): Promise<void> => {
    const serious = await seriousViolations(page);
    expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  };

  /** Signs in with `key` and waits for the first page's data; its time kept under `timedAs` when given. */
  signIn = async (page: Page, key: string, timedAs?: string): Promise<void> => {
    await page.goto(`${this.baseUrl()}/console`);
    await page.getByLabel('Ключ API').fill(key);
    const t0 = await this.since(page);
    await page.getByRole('button', { name: 'Войти' }).click();
    // Signed in once the header names the key's role: the sign-in page's own section is "ready"
    // too while the key is checked, and a test that moved on then (to an address, in a new
    // document) found no key kept in the tab.
    await page.locator('header [data-field="role"]').waitFor();
    if (timedAs === undefined) await page.locator('main section[data-state="ready"]').first().waitFor();
    else await this.shown(page, timedAs, t0);
  };

  /** `<label> (ms, input to data painted, the page's clock): name=ms ...`, then the same spans as the driver saw them. */
  timingsLine = (label: string): string =>
    `${label} (ms, input to data painted, the page's clock): ${line(this.timings)}\n${label}, as the test driver saw them (ms, its round trips included): ${line(this.driverTimings)}`;
}

const line = (t: Record<string, number>): string => Object.entries(t).map(([p, ms]) => `${p}=${ms}`).join(' ');
