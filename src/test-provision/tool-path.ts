import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { TestTool } from './test-tools.js';
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

/** Whether the file at `path` serves as `tool`: executable, and importing the tool's Python module when it names one. */
export function isUsable(tool: TestTool | undefined, path: string): boolean {
  if (!isExecutable(path)) return false;
  const module = tool?.pythonModule;
  return module === undefined || spawnSync(path, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Where a program the tests start is, as `npm test`'s provisioning looked for it (test-tools.ts):
 * its variable's path when set, else the first on PATH (for Python modules, the first python3
 * that imports them all: not a pyenv shim without Debian's packages); `/usr/bin/<binary>` (where Debian puts
 * it) when it is nowhere, for the tests' message that it is missing.
 */
export function toolPath(binary: string): string {
  // A program listed more than once (python3, for each module) must serve every listing.
  const tools = testTools.filter((t) => t.binary === binary);
  const envVar = tools[0]?.envVar;
  const usable = (path: string): boolean => (tools.length === 0 ? isUsable(undefined, path) : tools.every((t) => isUsable(t, path)));
  return locate(binary, process.env, usable, envVar).path ?? process.env[envVar ?? ''] ?? `/usr/bin/${binary}`;
}
