import { basename } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';

/**
 * The command line of a load-test script, said once: its options with what each does, what it
 * measures and its last line. `--help` (or `-h`) prints that and exits 0; an unknown option or a
 * missing value prints the problem and a pointer to `--help` on stderr and exits 2, never a
 * stack trace. Positional arguments are taken only when the usage names them.
 */

type OptionSpec = { type: 'string'; default?: string; describe: string } | { type: 'boolean'; default?: boolean; describe: string };

export interface BenchUsage<O extends Record<string, OptionSpec>> {
  /** how it is run, e.g. `npm run bench -- [options]` */
  command: string;
  /** what it measures, a sentence or two */
  summary: string;
  options: O;
  /** the positional arguments, e.g. `[PORT] [DIR]`, with what they are */
  positionals?: string;
  /** the form of the last line printed, e.g. `bench: rate=R p99_ms=P ...` (none for a server) */
  lastLine?: string;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { type: 'boolean' } ? (O[K] extends { default: boolean } ? boolean : boolean | undefined) : O[K] extends { default: string } ? string : string | undefined;
};

/** The usage text `--help` prints. */
export function usageText<O extends Record<string, OptionSpec>>(usage: BenchUsage<O>): string {
  const rows = Object.entries(usage.options).map(([name, o]) => {
    const flag = o.type === 'string' ? `--${name} VALUE` : `--${name}`;
    const dflt = o.default === undefined || o.default === false ? '' : ` (default: ${String(o.default)})`;
    return `  ${flag.padEnd(26)} ${o.describe}${dflt}`;
  });
  return [
    `Usage: ${usage.command}`,
    '',
    usage.summary,
    '',
    ...(usage.positionals === undefined ? [] : [`Arguments: ${usage.positionals}`, '']),
    'Options:',
    ...rows,
    `  ${'--help, -h'.padEnd(26)} this text`,
    ...(usage.lastLine === undefined ? [] : ['', `Last line: ${usage.lastLine}`]),
  ].join('\n');
}

export interface BenchArgs<O extends Record<string, OptionSpec>> {
  values: Values<O>;
  positionals: string[];
}

/** Parses `argv` (the process's by default) by `usage`; answers `--help` and bad options itself (exiting). */
export function benchArgs<O extends Record<string, OptionSpec>>(usage: BenchUsage<O>, argv: string[] = process.argv.slice(2)): BenchArgs<O> {
  const name = basename(process.argv[1] ?? 'load-test', '.js');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usageText(usage)}\n`);
    process.exit(0);
  }
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [key, o] of Object.entries(usage.options)) options[key] = o.type === 'string' ? { type: 'string', ...(o.default === undefined ? {} : { default: o.default }) } : { type: 'boolean', ...(o.default === undefined ? {} : { default: o.default }) };
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: usage.positionals !== undefined });
    return { values: parsed.values as Values<O>, positionals: parsed.positionals };
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}; see --help\n`);
    process.exit(2);
  }
}
