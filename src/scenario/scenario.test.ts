import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { tempDir } from '../test-support/test-kairos.js';
import { runScenarios, serverBase } from './run.js';

/** Every scenario in scenarios/ passes against a fresh server; a failing step is reported with what came. */

const dir = join(packageRoot(), 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(dir, f));

describe('QA scenarios', () => {
  it('runs every scenario in scenarios/', async () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    const lines: string[] = [];
    const ok = await runScenarios(files, undefined, (l) => lines.push(l));
    expect(lines.filter((l) => l.includes('FAIL')), lines.join('\n')).toEqual([]);
    expect(ok).toBe(true);
    expect(lines.at(-1)).toBe(`scenarios: ${files.length} passed, 0 failed`);
  }, 600_000); // a server per file: seconds each (the pension run's ~20: the segment sweep first), more on a loaded machine (a scenario waits up to 180 s for the sweep)

  it('fails a step that does not hold, saying what was expected and what came', async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'wrong.yaml');
      writeFileSync(
        file,
        [
          'name: wrong on purpose',
          'steps:',
          '  - clock: "2026-11-24T10:00:00+03:00"',
          '  - event: { type: ib.login, customer: { id: demo-4 }, channel: ib }',
          '    expect:',
          '      actions: [{ channel: ib, campaign: pension-deposit }]',
          '  - frobnicate: true',
          '  - sms: { customer: demo-4, text: "nothing was sent" }',
          '  - delivery: { channel: email, customer: demo-4 }',
          '  - admin: { path: /v1/customers/demo-4, expect: { profile: { age: 48 } } }',
          '  - admin: { path: /v1/customers/demo-4, expect: { contacts: [{ campaign: x }] } }',
          '  - admin: { path: /v1/customers/demo-4, expect: { profile: { age: 48 } }, wait: 300ms }',
          '  - admin: { method: POST, path: /v1/campaigns/pension-deposit-run/runs, status: 201, wait: 1s }',
          '  - admin: { path: /v1/customers/demo-4, expect: { profile: { age: 47 } }, wait: 5s }',
        ].join('\n'),
      );
      const lines: string[] = [];
      // Nothing is coming for the sms and delivery steps: a short wait says so as well as 5 s.
      const junit = join(t.dir, 'junit.xml');
      expect(await runScenarios([file], undefined, (l) => lines.push(l), undefined, 300, junit)).toBe(false);
      // the same results as JUnit XML for a CI server: a suite, a case a step, the failures with what came
      const xml = readFileSync(junit, 'utf8');
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="kairos scenarios" tests="10" failures="8">/);
      expect(xml).toContain('<testsuite name="wrong on purpose"');
      expect(xml).toContain('<testcase classname="' + file + '" name="1. clock 2026-11-24T10:00:00+03:00"/>');
      expect(xml).toMatch(/<testcase classname="[^"]+" name="2\. event ib\.login[^"]*">\n {6}<failure message="got silence; why: [^"]*pension-deposit suppressed \(not_in_target_group\)/);
      expect(lines).toContain(`FAIL ${file}: wrong on purpose`);
      const failed = lines.find((l) => l.includes('2. event ib.login'));
      expect(failed).toMatch(/FAIL .* — got silence; why: /);
      // demo-4 is 47: the explanation says why the pension deposit did not speak.
      expect(failed).toContain('pension-deposit suppressed (not_in_target_group)');
      expect(lines.find((l) => l.includes('3. unknown step'))).toContain('a step is one of');
      expect(lines.find((l) => l.includes('4. sms to'))).toMatch(/FAIL .* — got no SMS$/);
      expect(lines.find((l) => l.includes('5. delivery'))).toMatch(/FAIL .* — got no delivery$/);
      expect(lines.find((l) => l.includes('6. admin'))).toMatch(/FAIL .* — status 200; profile.age: expected 48, got 47$/);
      expect(lines.find((l) => l.includes('7. admin'))).toMatch(/FAIL .* — status 200; contacts: expected 1 items, got 0$/);
      // `wait` asks a GET again until it answers as expected, and says so when it never did; only a GET
      expect(lines.find((l) => l.includes('8. admin'))).toMatch(/FAIL .* — status 200; profile.age: expected 48, got 47 \(still after 300ms\)$/);
      expect(lines.find((l) => l.includes('9. step'))).toMatch(/FAIL .* — .*admin.wait: only a GET is asked again, not POST$/);
      expect(lines.find((l) => l.includes('10. admin'))).toMatch(/^ {2}ok {3}10\. admin GET \/v1\/customers\/demo-4 — status 200$/);
    } finally {
      t.remove();
    }
  }, 60_000);

  it('takes the server as http(s)://host:port or as the gateway URL ws(s)://host:port/v1/gateway', () => {
    expect(serverBase('ws://127.0.0.1:8080/v1/gateway')).toBe('http://127.0.0.1:8080');
    expect(serverBase('wss://kairos.bank.example/v1/gateway')).toBe('https://kairos.bank.example');
    expect(serverBase('http://localhost:8080/')).toBe('http://localhost:8080');
    expect(() => serverBase('ftp://x')).toThrow('is not an http(s) or ws(s) URL');
  });
});
