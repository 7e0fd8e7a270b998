import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';

/**
 * Every load-test script says what it does: `--help` prints its usage (what it measures, its
 * options, its last line) and exits 0 before doing anything; an unknown option is named on
 * stderr with exit 2, not a stack trace. Run on the built scripts (`npm run build`), as the npm
 * scripts run them.
 */

const here = join(packageRoot(), 'load-tests');
/** the files of load-tests/ that are libraries of the scripts, not scripts */
const libraries = new Set(['bench-args.ts', 'harness.ts', 'http-bench.ts', 'memory-cgroup.ts', 'seeded-snapshots.ts']);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !libraries.has(f))
  .sort();

const run = (script: string, arg: string) =>
  spawnSync(process.execPath, [join(packageRoot(), 'dist', 'load-tests', script.replace(/\.ts$/, '.js')), arg], { encoding: 'utf8', timeout: 20_000 });

describe('load-test scripts', () => {
  it('are all read with benchArgs (a new script without --help fails here)', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(17);
    for (const s of scripts) expect(readFileSync(join(here, s), 'utf8'), s).toMatch(/\bbenchArgs\(/);
  });

  it.each(scripts)('%s --help prints its usage and exits 0', (script) => {
    const r = run(script, '--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: (npm run|node dist\/load-tests\/)/);
    expect(r.stdout).toContain('--help, -h');
  });

  it.each(scripts)('%s names an unknown option and exits 2', (script) => {
    const r = run(script, '--no-such-option');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${script.replace(/\.ts$/, '')}: Unknown option '--no-such-option'`);
    expect(r.stderr).toContain('see --help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
