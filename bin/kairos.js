#!/usr/bin/env node
// The `kairos` command: runs the compiled CLI (npm run build, or npm ci, builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('kairos: not built yet; run `npm run build` (or `npm ci`, which builds it)\n');
  process.exit(1);
}
const { main } = await import(cli.href);
await main(process.argv.slice(2));
