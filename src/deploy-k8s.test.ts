import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configVariables, loadConfig, secretVariables } from './config.js';
import { packageRoot } from './paths.js';

/**
 * The Kubernetes manifests (deploy/k8s), offline (no cluster here; they were also checked
 * against the Kubernetes schemas with npm's kubernetes-models, docs/deploy.md): parsed, and
 * the invariants held: one owner per LMDB volume (a StatefulSet of one replica with a
 * volume claim template), probes on /ready and /health, a disruption budget over the pod,
 * the settings Kairos loads in production with the Secret's keys as files, and a grace
 * period longer than the drain and the shutdown.
 */

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  image: string;
  ports: Array<{ name: string; containerPort: number }>;
  envFrom: Array<{ configMapRef?: { name: string } }>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe & { periodSeconds: number };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean };
}
interface StatefulSet extends Manifest {
  spec: {
    serviceName: string;
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroup: number };
        containers: Container[];
        volumes: Array<{ name: string; secret?: { secretName: string; defaultMode?: number } }>;
      };
    };
    volumeClaimTemplates: Array<{ metadata: { name: string }; spec: { accessModes: string[] } }>;
  };
}

const dir = join(packageRoot(), 'deploy', 'k8s');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const manifests: Manifest[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest));
const one = <T extends Manifest>(kind: string, name?: string): T => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as T;
};
const sts = one<StatefulSet>('StatefulSet');
const pod = sts.spec.template;
const container = pod.spec.containers[0]!;
const configMap = one<Manifest & { data: Record<string, string> }>('ConfigMap');
const secret = one<Manifest & { stringData: Record<string, string> }>('Secret');
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/k8s', () => {
  it('lists every manifest in its kustomization, and each has an API version, kind and name', () => {
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
    for (const m of manifests) {
      expect(m.apiVersion).toMatch(/^(v1|apps\/v1|policy\/v1)$/);
      expect(m.metadata.name).toMatch(/^[a-z0-9-]+$/);
    }
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'StatefulSet']);
  });

  it('gives the LMDB volume one owner: a StatefulSet of one replica with a ReadWriteOnce claim template, no Deployment', () => {
    expect(configMap.data.KAIROS_STORE).toBe('lmdb');
    expect(manifests.some((m) => m.kind === 'Deployment' || m.kind === 'ReplicaSet')).toBe(false);
    expect(sts.spec.replicas).toBe(1);
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim!.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(container.volumeMounts.find((v) => v.name === claim!.metadata.name)?.mountPath).toBe(configMap.data.KAIROS_DATA_DIR);
    expect(matches(sts.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const governing = one<Manifest & { spec: { clusterIP?: string } }>('Service', sts.spec.serviceName);
    expect(governing.spec.clusterIP).toBe('None');
  });

  it('probes readiness on /ready and liveness on /health, on the port Kairos listens on, and Services that select the pod', () => {
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.startupProbe.httpGet.path).toBe('/health');
    const port = container.ports.find((p) => p.name === container.readinessProbe.httpGet.port);
    expect(port?.containerPort).toBe(Number(configMap.data.KAIROS_PORT));
    expect(container.livenessProbe.httpGet.port).toBe(port!.name);
    for (const s of manifests.filter((m) => m.kind === 'Service') as Array<Manifest & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } }>) {
      expect(matches(s.spec.selector, pod.metadata.labels), s.metadata.name).toBe(true);
      expect(s.spec.ports[0]!.targetPort).toBe(port!.name);
    }
  });

  it('keeps the pod from eviction by a voluntary disruption (the budget selects it)', () => {
    const pdb = one<Manifest & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBe(sts.spec.replicas);
  });

  it('configures Kairos for production from the ConfigMap, the keys as files from the Secret (committed empty)', () => {
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    const secretVolume = pod.spec.volumes.find((v) => v.secret?.secretName === secret.metadata.name);
    const secretMount = container.volumeMounts.find((v) => v.name === secretVolume?.name);
    expect(secretMount?.readOnly).toBe(true);
    // The key files are root's with the fsGroup as their group: the group must read them, no one else.
    expect((secretVolume!.secret!.defaultMode ?? 0o644).toString(8)).toBe('440');
    const known = new Set(configVariables.map((v) => v.env));
    const files = Object.entries(configMap.data).filter(([k]) => k.endsWith('_FILE'));
    for (const name of Object.keys(configMap.data)) expect(known.has(name) || (name.endsWith('_FILE') && secretVariables.has(name.slice(0, -5))), name).toBe(true);
    // Every key file is in the Secret's mount, and the Secret has that key; no value is committed.
    for (const [, path] of files) {
      expect(dirname(path)).toBe(secretMount!.mountPath);
      expect(secret.stringData).toHaveProperty(basename(path));
    }
    expect(Object.values(secret.stringData).every((v) => v === '')).toBe(true);
    // With values in the files, the ConfigMap loads in production (and refuses without them).
    const tmp = mkdtempSync(join(tmpdir(), 'kairos-k8s-'));
    try {
      const values: Record<string, string> = { 'gateway-tokens': 'gw-east-secret:sms', 'admin-keys': 'admin-key-0001', 'stop-list-secret': 'stop-list-secret-0001' };
      const env = Object.fromEntries(
        Object.entries(configMap.data).map(([k, v]) => {
          if (!k.endsWith('_FILE')) return [k, v];
          const local = join(tmp, basename(v));
          writeFileSync(local, values[basename(v)] ?? '');
          return [k, local];
        }),
      );
      const config = loadConfig(env);
      expect(config).toMatchObject({ env: 'production', store: 'lmdb', demo: false, demoCredentials: false, port: 8080 });
      // More than the drain and the shutdown timeout, with room for the flush.
      expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.drainMs + config.shutdownTimeoutMs);
      // The drain outlasts a readiness probe's period, so the probe sees the 503 while the pod serves.
      expect(config.drainMs).toBeGreaterThan(container.readinessProbe.periodSeconds * 1000);
      for (const f of readdirSync(tmp)) writeFileSync(join(tmp, f), '');
      expect(() => loadConfig(env)).toThrow(/KAIROS_GATEWAY_TOKENS: unset/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("runs as the image's non-root user, read-only, without privilege escalation", () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(readFileSync(join(packageRoot(), 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });
});
