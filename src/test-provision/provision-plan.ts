import type { TestTool } from './test-tools.js';
import { toolName } from './test-tools.js';

/**
 * Whether `npm test` may start, and what it must do first: a pure decision over facts the
 * runner (provision-tests.ts) gathers, so each case is tested without touching the system.
 */

/** What the runner found out about the machine. */
export interface ProvisionFacts {
  /** the tools not found, each with whether its variable named the path that is missing */
  missing: ReadonlyArray<{ tool: TestTool; fromEnv: boolean }>;
  /** KAIROS_TEST_PROVISION=0: never install, name the command */
  optedOut: boolean;
  /** running as root (uid 0) */
  root: boolean;
  /** apt-get is on PATH */
  aptGet: boolean;
  /** `sudo -n true` succeeds (passwordless sudo); only asked when not root */
  sudo: boolean;
}

export type ProvisionPlan =
  /** everything is there: run the tests */
  | { kind: 'ready' }
  /** run `install`; if it fails, `update` and then `install` once more */
  | { kind: 'install'; packages: string[]; install: string[]; update: string[] }
  /** do not run the tests: print `message` (it names `command` when there is one) and exit non-zero */
  | { kind: 'stop'; message: string; command?: string };

/** The packages that install the missing tools, each once, in the list's order. */
export function packagesFor(missing: ProvisionFacts['missing']): string[] {
  return [...new Set(missing.map((m) => m.tool.debianPackage))];
}

/** The command a person runs to install the packages (what the stop message names). */
export function installCommand(packages: readonly string[], root: boolean): string {
  return `${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

export function planProvision(facts: ProvisionFacts): ProvisionPlan {
  if (facts.missing.length === 0) return { kind: 'ready' };
  const needs = facts.missing.map((m) => `  ${toolName(m.tool)} (Debian package ${m.tool.debianPackage}${m.tool.envVar === undefined ? '' : `, or ${m.tool.envVar}=its path`}), for ${m.tool.usedBy}`).join('\n');
  // A variable naming a path that is not there: installing would not put the program there.
  const misnamed = facts.missing.filter((m) => m.fromEnv && m.tool.envVar !== undefined);
  if (misnamed.length > 0) {
    const which = misnamed.map((m) => `${m.tool.envVar} names no executable ${toolName(m.tool)}`).join('; ');
    return { kind: 'stop', message: `npm test needs these programs, which are missing:\n${needs}\n${which}: point it at the program, or unset it to use the one on PATH.` };
  }
  const packages = packagesFor(facts.missing);
  const command = installCommand(packages, facts.root);
  const permitted = facts.aptGet && (facts.root || facts.sudo);
  if (!facts.optedOut && permitted) {
    const prefix = facts.root ? [] : ['sudo', '-n'];
    // `env` sets the variable for apt-get under sudo too (sudo resets the environment).
    const apt = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
    return { kind: 'install', packages, install: [...apt, 'install', '-y', '--no-install-recommends', ...packages], update: [...apt, 'update'] };
  }
  const why = facts.optedOut
    ? 'KAIROS_TEST_PROVISION=0 says not to install them'
    : !facts.aptGet
      ? 'there is no apt-get here to install them with (install the same programs with your system’s packages; the variables above name them when they are not on PATH)'
      : 'installing needs root or passwordless sudo';
  return { kind: 'stop', command, message: `npm test needs these programs, which are missing:\n${needs}\nNot installing them: ${why}. Run:\n  ${command}\nthen npm test again.` };
}

/** The tests' KAIROS_TEST_PROVISION value as the opt-out flag: "0", "false", "no" and "off" opt out. */
export function optedOut(value: string | undefined): boolean {
  return value !== undefined && ['0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}
