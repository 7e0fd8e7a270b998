import type { Config } from '../config.js';
import { loadConfig } from '../config.js';

/**
 * A data-dir command's configuration (`kairos import`, `kairos segments`): the environment with
 * `--data-dir` laid over it, checked like the server's; undefined after writing the problem,
 * named for the command, to `err` (the command exits 2).
 */
export function commandConfig(command: string, env: Readonly<Record<string, string | undefined>>, dataDir: string | undefined, err: (text: string) => void): Config | undefined {
  const withDir = { ...env };
  if (dataDir !== undefined) withDir.KAIROS_DATA_DIR = dataDir;
  try {
    return loadConfig(withDir);
  } catch (e) {
    err(`kairos ${command}: ${(e as Error).message}\n`);
    return undefined;
  }
}
