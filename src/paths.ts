import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KairosError } from './errors.js';

/**
 * The Kairos package root (where package.json and demo/ live), found by walking up from
 * this module: the same from `src/` under vitest and from `dist/src/` when built.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
      if (parsed.name === 'kairos') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new KairosError('internal', 'cannot find the kairos package root');
    dir = up;
  }
}

/** The UCI bank-full data set shipped with the demo. */
export function demoCsvPath(): string {
  return join(packageRoot(), 'demo', 'bank-full.csv');
}

/** The demo bank's catalog file. */
export function demoCatalogPath(): string {
  return join(packageRoot(), 'demo', 'catalog.yaml');
}

export function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}
