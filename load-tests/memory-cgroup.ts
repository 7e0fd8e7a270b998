import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A memory cgroup to run Kairos under a memory limit, as a container would (`docker run
 * --memory`, a Kubernetes limit): the kernel then keeps the process's anonymous memory and the
 * page cache it uses (the LMDB file's pages) within the limit, reclaiming cached pages first
 * and killing the process only when what it allocated itself does not fit. Linux only, as root:
 * cgroup v2 (`/sys/fs/cgroup/cgroup.controllers`) or v1's memory hierarchy.
 */
export interface MemoryCgroup {
  path: string;
  version: 1 | 2;
  limitBytes: number;
  /** wraps a command so that it joins the cgroup before it starts */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** the cgroup's peak charge (anonymous memory and page cache) and how often it hit the limit */
  peak(): { peakBytes: number; limitHits: number; oomKills: number };
  remove(): void;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

function read(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

function statField(text: string, field: string): number {
  const m = new RegExp(`^${field} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

export function createMemoryCgroup(name: string, limitMb: number): MemoryCgroup {
  if (!Number.isInteger(limitMb) || limitMb < 64) throw new Error(`memory limit: expected a whole number of MB, at least 64, got ${limitMb}`);
  const limitBytes = limitMb * 1024 * 1024;
  const v2 = existsSync(join(V2_ROOT, 'cgroup.controllers'));
  const base = v2 ? V2_ROOT : V1_ROOT;
  if (!v2 && !existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) throw new Error('memory limit: no cgroup memory controller here (neither cgroup v2 nor v1 memory)');
  const path = join(base, name);
  try {
    mkdirSync(path);
    if (v2) {
      writeFileSync(join(path, 'memory.max'), String(limitBytes));
      writeFileSync(join(path, 'memory.swap.max'), '0');
    } else {
      writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    }
  } catch (err) {
    throw new Error(`memory limit: cannot create the cgroup ${path} (run as root, with the memory controller enabled): ${(err as Error).message}`);
  }
  return {
    path,
    version: v2 ? 2 : 1,
    limitBytes,
    wrap(command, args) {
      // The shell moves itself into the cgroup, then becomes the command: every page the
      // command touches is charged there.
      return { command: '/bin/sh', args: ['-c', `echo $$ > ${join(path, 'cgroup.procs')} && exec "$0" "$@"`, command, ...args] };
    },
    peak() {
      if (v2) {
        const events = read(join(path, 'memory.events'));
        const peakFile = join(path, 'memory.peak');
        return {
          peakBytes: existsSync(peakFile) ? Number(read(peakFile)) : Number(read(join(path, 'memory.current'))),
          limitHits: statField(events, 'max'),
          oomKills: statField(events, 'oom_kill'),
        };
      }
      const oom = read(join(path, 'memory.oom_control'));
      return {
        peakBytes: Number(read(join(path, 'memory.max_usage_in_bytes'))),
        limitHits: Number(read(join(path, 'memory.failcnt'))),
        oomKills: statField(oom, 'oom_kill'),
      };
    },
    remove() {
      try {
        rmdirSync(path);
      } catch {
        // still has a process (it is being killed): the directory stays, named for this run
      }
    },
  };
}
