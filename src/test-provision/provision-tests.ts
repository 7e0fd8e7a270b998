import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProvisionFacts } from './provision-plan.js';
import { optedOut, planProvision } from './provision-plan.js';
import { locate, testTools, toolName } from './test-tools.js';
import { isExecutable, isUsable } from './tool-path.js';

/**
 * `npm test`'s provisioning step (package.json "pretest", after the build): finds the programs
 * the tests need (test-tools.ts), installs the missing ones with apt-get when permitted (root,
 * or passwordless sudo; not with KAIROS_TEST_PROVISION=0), and otherwise stops before any test
 * runs, naming the command to run. The decision is planProvision's; this only gathers the
 * facts and runs what it says.
 *
 *   node dist/src/test-provision/provision-tests.js
 */

type Env = Readonly<Record<string, string | undefined>>;

function missingTools(env: Env): ProvisionFacts['missing'] {
  return testTools.flatMap((tool) => {
    const found = locate(tool.binary, env, (path) => isUsable(tool, path), tool.envVar);
    return found.path === undefined ? [{ tool, fromEnv: found.fromEnv }] : [];
  });
}

function gather(env: Env): ProvisionFacts {
  const missing = missingTools(env);
  const root = process.getuid?.() === 0;
  const aptGet = locate('apt-get', env, isExecutable).path !== undefined;
  const out = optedOut(env.KAIROS_TEST_PROVISION);
  // Only asked when it could matter: sudo -n never prompts, it fails without a password rule.
  const sudoPath = missing.length > 0 && aptGet && !root && !out ? locate('sudo', env, isExecutable).path : undefined;
  const sudo = sudoPath !== undefined && spawnSync(sudoPath, ['-n', 'true'], { stdio: 'ignore', env }).status === 0;
  return { missing, optedOut: out, root, aptGet, sudo };
}

function run(argv: readonly string[], env: Env): boolean {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return false;
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  return r.status === 0;
}

/** Provisions what the tests need; the process's exit code (0: the tests may run). */
export function provisionTests(env: Env = process.env): number {
  const plan = planProvision(gather(env));
  switch (plan.kind) {
    case 'ready':
      return 0;
    case 'stop':
      process.stderr.write(`\n${plan.message}\n\n`);
      return 1;
    case 'install': {
      process.stderr.write(`npm test: installing ${plan.packages.join(', ')} for the tests (${plan.install.join(' ')}; KAIROS_TEST_PROVISION=0 not to)\n`);
      if (!run(plan.install, env)) {
        process.stderr.write('npm test: apt-get install failed; updating the package lists and trying again\n');
        if (!run(plan.update, env) || !run(plan.install, env)) {
          process.stderr.write(`\nnpm test: installing ${plan.packages.join(', ')} failed (above); install them and run npm test again.\n\n`);
          return 1;
        }
      }
      // What the install was to bring must be there now.
      const still = missingTools(env);
      if (still.length === 0) return 0;
      process.stderr.write(`\nnpm test: apt-get installed ${plan.packages.join(', ')}, yet ${still.map((m) => toolName(m.tool)).join(', ')} still cannot be found on PATH.\n\n`);
      return 1;
    }
    default: {
      const never: never = plan;
      return never;
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = provisionTests();
