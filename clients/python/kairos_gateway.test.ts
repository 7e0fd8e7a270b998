import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../../src/test-support/test-kairos.js';
import { msk, startTestKairos } from '../../src/test-support/test-kairos.js';
import { isUsable, toolPath } from '../../src/test-provision/tool-path.js';
import { testTools } from '../../src/test-provision/test-tools.js';

/**
 * The Python reference client (kairos_gateway.py) against a real Kairos: Debian's python3 runs
 * check_against_kairos.py, which drives the client through a decision, an ack, an error frame,
 * many requests under max_in_flight, a subscription confirming what it is pushed, a dropped
 * connection with the event sent again under the same id, and a close, printing a JSON line per
 * step. It needs python3-msgpack and python3-websockets (`npm test` installs them,
 * src/test-provision/); in CI (CI=true) their absence fails the test instead of skipping it.
 */

const here = dirname(fileURLToPath(import.meta.url));
const python = toolPath('python3');
const modules = testTools.filter((t) => t.binary === 'python3');
const havePython = modules.every((t) => isUsable(t, python));
const runPythonTests = havePython || process.env.CI === 'true';

type Step = Record<string, unknown> & { step: string };

let k: TestKairos;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual' }, manualClockStart: msk('2026-11-23T10:00:00') });
});

afterAll(async () => {
  await k.close();
});

/** Runs the script (asynchronously: the server answers it from this process). */
function runScript(): Promise<{ steps: Map<string, Step>; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(python, [join(here, 'check_against_kairos.py'), k.wsUrl, k.httpUrl], { cwd: here, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const steps = new Map<string, Step>();
      for (const line of stdout.split('\n')) {
        if (line.trim() === '') continue;
        const s = JSON.parse(line) as Step;
        steps.set(s.step, s);
      }
      resolve({ steps, stderr, code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1 });
    });
  });
}

describe.runIf(runPythonTests)('the Python gateway client (Debian python3-msgpack and python3-websockets)', () => {
  it('speaks the protocol to a real server: decision, ack, error, backpressure, subscription, reconnect with the same id, close', async () => {
    if (!havePython) throw new Error(`no python3 that imports ${modules.map((t) => t.pythonModule).join(' and ')} (tried ${python}): npm test installs Debian's ${modules.map((t) => `"${t.debianPackage}"`).join(' and ')} packages (or set KAIROS_PYTHON3_BIN)`);
    const { steps, stderr, code } = await runScript();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(steps.get('wrong-token')).toMatchObject({ code: 'unauthorized' });
    const decision = steps.get('decision')!;
    expect(decision.frame).toMatchObject({ t: 'decision', customer: 'demo-61' });
    expect(decision.expiresAtIsInt).toBe(true);
    expect(steps.get('ack')!.frame).toMatchObject({ t: 'ack' });
    const error = steps.get('error')!;
    expect(error).toMatchObject({ raised: true, code: 'invalid', re: error.sent, retryable: false });
    expect(error.message).toContain('"type"');
    expect(steps.get('many')).toMatchObject({ matched: true });
    expect(steps.get('many')!.peak).toBeLessThanOrEqual(2);
    expect(steps.get('subscription')).toEqual({ step: 'subscription', ack: 'ack', deliver: { t: 'deliver', customer: 'demo-62', channel: 'sms' }, confirmedAgain: 'invalid', errors: [] });
    const reconnect = steps.get('reconnect')!;
    expect(reconnect).toMatchObject({ re: reconnect.sent, reconnects: 1, states: ['open', 'reconnecting', 'open'], duplicates: 1, sameAsRepeat: true, lateConfirmation: ['connection_lost'] });
    // Decided once: the contacts of one decision, none for the repeat.
    expect(reconnect.contacts).toBe(reconnect.actions);
    expect(reconnect.actions).toBeGreaterThan(0);
    expect(steps.get('closed')).toMatchObject({ code: 'closed' });
    expect(steps.has('done')).toBe(true);
  });
});
