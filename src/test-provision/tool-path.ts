import { accessSync, constants, statSync } from 'node:fs';
import { locate, testTools } from './test-tools.js';

/** Whether a file is there and this process may execute it. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Where a program the tests start is, as `npm test`'s provisioning looked for it (test-tools.ts):
 * its variable's path when set, else the first on PATH; `/usr/bin/<binary>` (where Debian puts
 * it) when it is nowhere, for the tests' message that it is missing.
 */
export function toolPath(binary: string): string {
  const tool = testTools.find((t) => t.binary === binary);
  return locate(binary, process.env, isExecutable, tool?.envVar).path ?? process.env[tool?.envVar ?? ''] ?? `/usr/bin/${binary}`;
}
