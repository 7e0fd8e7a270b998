import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';

/**
 * The Dockerfile, parsed (no Docker engine runs here): the build stage copies everything
 * `npm run build` needs (the server, the OpenAPI files, the console) and not the load tests;
 * the image runs in production mode as a non-root user, with a HEALTHCHECK on /health and a
 * SIGTERM stop (the drain). docs/deploy.md names the rules.
 */

interface Instruction {
  op: string;
  args: string;
}

/** The instructions of each stage: comments dropped, continuation lines joined. */
function stages(text: string): Instruction[][] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Instruction[][] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') out.push([]);
    out.at(-1)?.push({ op, args: m[2]!.trim() });
  }
  return out;
}

/** A COPY's sources (without --from: from the build context), its flags dropped. */
function copySources(i: Instruction): string[] {
  const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
  return words.slice(0, -1).map((w) => w.replace(/^\.\//, '').replace(/\/$/, ''));
}

const root = packageRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const [build = [], image = []] = stages(dockerfile);
const fromContext = (stage: Instruction[]): string[] => stage.filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !i.args.includes('--from=')).flatMap(copySources);

describe('Dockerfile', () => {
  it('has a build stage and an image stage on the same glibc Node 20 base', () => {
    expect(stages(dockerfile)).toHaveLength(2);
    expect(build[0]!.args).toMatch(/^node:20-bookworm-slim AS build$/);
    expect(image[0]!.args).toBe('node:20-bookworm-slim');
  });

  it('copies what npm run build needs into the build stage, and no load tests', () => {
    const copied = fromContext(build);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const buildConfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { extends: string; include: string[] };
    // The scripts' inputs: the lock file (npm ci), the server's tsconfig and what it extends and
    // includes, the console (tsc -p console, vite build console), and schemas/, where the OpenAPI
    // document is written (src/admin/write-openapi.ts) before the console is type-checked against it.
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(pkg.scripts['build:console']).toBe('tsc -p console && vite build console');
    const needed = ['package.json', 'package-lock.json', 'tsconfig.build.json', buildConfig.extends.replace(/^\.\//, ''), 'console', 'schemas'];
    // Every included folder that holds TypeScript the build compiles (not tests), but the load tests.
    const holdsTs = (dir: string): boolean => existsSync(join(root, dir)) && readdirSync(join(root, dir), { recursive: true }).some((f) => String(f).endsWith('.ts') && !String(f).endsWith('.test.ts'));
    for (const dir of buildConfig.include) if (dir !== 'load-tests' && holdsTs(dir)) needed.push(dir);
    expect(needed).toEqual(expect.arrayContaining(['src', 'actors']));
    for (const path of needed) expect(copied, `COPY ${path}`).toContain(path);
    expect(holdsTs('scenarios')).toBe(false);
    for (const path of fromContext(build).concat(fromContext(image))) {
      expect(path).not.toMatch(/^(\.|load-tests|scenarios)(\/|$)/);
      expect(existsSync(join(root, path)), path).toBe(true);
    }
    expect(build.find((i) => i.op === 'RUN' && i.args.includes('npm run build'))?.args).toMatch(/npm run build && npm prune --omit=dev && test -f dist\/console\/index\.html && test ! -e dist\/load-tests/);
  });

  it('runs in production mode as a non-root user, with a health check on /health and a SIGTERM stop', () => {
    const env = image.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bKAIROS_ENV=production\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    const user = image.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // The user is set before the process starts, and owns the data volume.
    expect(image.findIndex((i) => i.op === 'USER')).toBeLessThan(image.findIndex((i) => i.op === 'ENTRYPOINT'));
    expect(image.some((i) => i.op === 'RUN' && i.args.includes(`chown ${user}:${user} /data`))).toBe(true);
    const health = image.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(health).toContain("/health'");
    expect(health).not.toContain('/ready');
    expect(image.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    const port = /\bKAIROS_PORT=(\d+)/.exec(env)?.[1];
    expect(image.find((i) => i.op === 'EXPOSE')?.args).toBe(port);
    expect(image.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "bin/kairos.js"]');
    // The image holds the built server and what it reads at run time, nothing of the sources.
    expect(image.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual([
      '--from=build /app/package.json ./package.json',
      '--from=build /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
      'bin ./bin',
      'demo ./demo',
    ]);
  });
});
