import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { isExecutable, toolPath } from '../test-provision/tool-path.js';

/**
 * Test support for the console's browser tests: Debian's Chromium (found as `npm test`'s
 * provisioning found it; a missing browser is a failure, never a skip) driven headless by
 * playwright-core, with a fresh profile each launch; and axe-core injected into a page.
 */

/** The flags this machine's Chromium needs headless, offline, as root (docs/console.md). */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  browser: Browser;
  close: () => Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = toolPath('chromium');
  if (!isExecutable(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (npm test installs it), or set KAIROS_CHROMIUM_BIN`);
  // launch() gives the browser a fresh, empty profile of its own (a --user-data-dir argument is refused: that is launchPersistentContext's).
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  return { browser, close: () => browser.close() };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the browser's debugging protocol: the console's CSP (script-src 'self') refuses an inline script tag.
  // (The page's code as text: this file is compiled without the DOM's types.)
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
