import { DEMO_ADMIN_KEY, DEMO_GATEWAY_TOKEN, loadConfig } from '../config.js';
import { startKairos } from '../kairos.js';
import type { ScenarioResult } from './scenario.js';
import { runScenario } from './scenario.js';

/**
 * Runs scenario files, each against a fresh server started here (manual clock, memory
 * store, the demo bank and catalog, quiet logs) or all against `url`. Prints each step's
 * verdict; resolves true when every step of every file passed.
 */
export async function runScenarios(files: readonly string[], url: string | undefined, print: (line: string) => void): Promise<boolean> {
  const results: ScenarioResult[] = [];
  for (const file of files) {
    let result: ScenarioResult;
    if (url !== undefined) {
      result = await runScenario(file, { baseUrl: url.replace(/\/$/, ''), gatewayToken: process.env.KAIROS_SCENARIO_TOKEN ?? DEMO_GATEWAY_TOKEN, adminKey: process.env.KAIROS_SCENARIO_ADMIN_KEY ?? DEMO_ADMIN_KEY });
    } else {
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', store: 'memory', clock: 'manual', logLevel: 'warn' });
      const quiet = { write: (): boolean => true };
      const k = await startKairos(config, { logDestination: quiet });
      try {
        result = await runScenario(file, { baseUrl: `http://127.0.0.1:${k.port}`, gatewayToken: DEMO_GATEWAY_TOKEN, adminKey: DEMO_ADMIN_KEY });
      } finally {
        await k.close();
      }
    }
    results.push(result);
    print(`${result.ok ? 'PASS' : 'FAIL'} ${result.file}: ${result.name}`);
    for (const s of result.steps) print(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step}. ${s.what}${s.ok && s.detail === undefined ? '' : ` — ${s.detail ?? ''}`}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  print(`scenarios: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0;
}
