import { writeFileSync } from 'node:fs';
import { junitXml } from './junit.js';
import type { Config } from '../config.js';
import { DEMO_ADMIN_KEY, DEMO_GATEWAY_TOKEN, loadConfig } from '../config.js';
import { startKairos } from '../kairos.js';
import type { ScenarioResult } from './scenario.js';
import { runScenario } from './scenario.js';
import type { SmppPdu } from '../delivery/smpp-adapter.js';
import { smpp } from '../delivery/smpp-adapter.js';
import { decodeShortMessage } from '../delivery/sms-parts.js';
import { KairosError } from '../errors.js';

/** An SMSC simulator for scenarios: accepts any bind, keeps the text each phone received (parts joined in order). */
export async function startSmsc(): Promise<{ port: number; received: Map<string, string>; close: () => Promise<void> }> {
  const received = new Map<string, string>();
  let id = 0;
  const server = smpp.createServer({}, (session) => {
    session.on('bind_transceiver', (pdu: SmppPdu) => session.send(pdu.response()));
    session.on('enquire_link', (pdu: SmppPdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: SmppPdu) => session.send(pdu.response()));
    session.on('submit_sm', (pdu: SmppPdu) => {
      const to = pdu.destination_addr ?? '';
      received.set(to, (received.get(to) ?? '') + decodeShortMessage(pdu.short_message, pdu.data_coding));
      session.send(pdu.response({ message_id: `scn-${++id}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The server's http(s)://host:port from what the user gave: that, or the gateway's
 * ws(s)://host:port/v1/gateway.
 */
export function serverBase(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  else if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new KairosError('invalid', `--url: "${url}" is not an http(s) or ws(s) URL`);
  return `${u.protocol}//${u.host}`;
}

/**
 * The SMS a second a scenario's own server sends its SMSC simulator (the default, 30, is a
 * real SMSC's contract): a run's 1,500 two-part SMS take seconds, not a minute and a half,
 * so a scenario's `sms` step (5 s) finds its customer's message whatever its place in the queue.
 */
const SCENARIO_SMPP_RATE = 2000;

/**
 * Runs scenario files, each against a fresh server started here (manual clock, memory
 * store, the demo bank and catalog, quiet logs) or all against `url`. Prints each step's
 * verdict; resolves true when every step of every file passed.
 */
export async function runScenarios(
  files: readonly string[],
  url: string | undefined,
  print: (line: string) => void,
  /** settings for the server started for a file (another store, say) */
  serverConfig?: (file: string) => Partial<Config>,
  /** how long an `sms` or `delivery` step waits (5 s by default) */
  waitMs?: number,
  /** where to write the results as JUnit XML */
  junitFile?: string,
): Promise<boolean> {
  const results: Array<ScenarioResult & { seconds: number }> = [];
  for (const file of files) {
    let result: ScenarioResult;
    const started = performance.now();
    if (url !== undefined) {
      result = await runScenario(file, { baseUrl: serverBase(url), gatewayToken: process.env.KAIROS_SCENARIO_TOKEN ?? DEMO_GATEWAY_TOKEN, adminKey: process.env.KAIROS_SCENARIO_ADMIN_KEY ?? DEMO_ADMIN_KEY, ...(waitMs === undefined ? {} : { waitMs }) });
    } else {
      const smsc = await startSmsc();
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', store: 'memory', clock: 'manual', logLevel: 'warn', smppUrl: `smpp://127.0.0.1:${smsc.port}`, smppRate: SCENARIO_SMPP_RATE, deliveryPollMs: 20, ...serverConfig?.(file) });
      const quiet = { write: (): boolean => true };
      const k = await startKairos(config, { logDestination: quiet });
      try {
        result = await runScenario(file, { baseUrl: `http://127.0.0.1:${k.port}`, gatewayToken: DEMO_GATEWAY_TOKEN, adminKey: DEMO_ADMIN_KEY, smsc: () => smsc.received, ...(waitMs === undefined ? {} : { waitMs }) });
      } finally {
        await k.close();
        await smsc.close();
      }
    }
    results.push({ ...result, seconds: (performance.now() - started) / 1000 });
    print(`${result.ok ? 'PASS' : 'FAIL'} ${result.file}: ${result.name}`);
    for (const s of result.steps) print(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step}. ${s.what}${s.ok && s.detail === undefined ? '' : ` — ${s.detail ?? ''}`}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  print(`scenarios: ${results.length - failed} passed, ${failed} failed`);
  if (junitFile !== undefined) writeFileSync(junitFile, junitXml(results));
  return failed === 0;
}
