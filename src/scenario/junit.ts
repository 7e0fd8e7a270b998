import type { ScenarioResult } from './scenario.js';

/**
 * Scenario results as JUnit XML (`kairos scenario run … --junit FILE`), for a CI server's test
 * report: a test suite per scenario file, a test case per step, a failed step's detail as its
 * failure.
 */

/** XML 1.0 allows no control characters but tab, line feed and carriage return. */
const allowed = (ch: string): boolean => ch.charCodeAt(0) >= 0x20 || ch === '\t' || ch === '\n' || ch === '\r';
const escape = (s: string): string =>
  [...s]
    .filter(allowed)
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export function junitXml(results: ReadonlyArray<ScenarioResult & { seconds?: number }>): string {
  const failures = results.reduce((n, r) => n + r.steps.filter((s) => !s.ok).length, 0);
  const tests = results.reduce((n, r) => n + r.steps.length, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="kairos scenarios" tests="${tests}" failures="${failures}">`];
  for (const r of results) {
    const failed = r.steps.filter((s) => !s.ok).length;
    lines.push(`  <testsuite name="${escape(r.name)}" file="${escape(r.file)}" tests="${r.steps.length}" failures="${failed}" time="${(r.seconds ?? 0).toFixed(3)}">`);
    for (const s of r.steps) {
      const name = escape(`${s.step}. ${s.what}`);
      if (s.ok) lines.push(`    <testcase classname="${escape(r.file)}" name="${name}"/>`);
      else {
        lines.push(`    <testcase classname="${escape(r.file)}" name="${name}">`);
        lines.push(`      <failure message="${escape(s.detail ?? 'failed')}">${escape(s.detail ?? '')}</failure>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
