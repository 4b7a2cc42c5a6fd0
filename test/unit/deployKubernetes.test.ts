import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';
import { ruleGroups } from '../support/deployQueries.js';
import { serveUnitCapabilities } from '../support/serveUnit.js';

const MANIFESTS = join(REPO_ROOT, 'deploy', 'kubernetes');

/** The schema of every kind deploy/kubernetes ships (Kubernetes' OpenAPI, prometheus-operator's CRD). */
const MODELS = { DaemonSet, PrometheusRule, Service, ServiceMonitor } as const;

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}

function manifests(): Manifest[] {
  return readdirSync(MANIFESTS)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8')).map((doc) => {
        assert.deepEqual(doc.errors, [], file);
        return { file, ...(doc.toJS() as Omit<Manifest, 'file'>) } as Manifest;
      }),
    );
}

function only(kind: keyof typeof MODELS): Manifest {
  const found = manifests().filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}

describe('deploy/kubernetes', () => {
  it('every manifest is valid against its kind’s schema', () => {
    const all = manifests();
    assert.deepEqual(all.map((m) => m.kind).sort(), [
      'DaemonSet',
      'PrometheusRule',
      'Service',
      'ServiceMonitor',
    ]);
    for (const { file, ...manifest } of all) {
      const Model = MODELS[manifest.kind as keyof typeof MODELS];
      assert.equal(manifest.apiVersion, Model.apiVersion, file);
      // biome-ignore lint/suspicious/noExplicitAny: each model takes its own kind's data; the schema decides.
      assert.doesNotThrow(() => new Model(manifest as any).validate(), file);
    }
  });

  it('a schema error is caught (the validation is real)', () => {
    const { file, ...daemonSet } = only('DaemonSet');
    const broken = structuredClone(daemonSet) as unknown as {
      spec: { template: { spec: { hostPID: unknown } } };
    };
    broken.spec.template.spec.hostPID = 'yes';
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong data.
    assert.throws(() => new DaemonSet(broken as any).validate(), /hostPID must be boolean/, file);
  });

  // The schemas accept unknown fields (a misspelt one is silently ignored by them): the fields that
  // make the pod safe and able to see every namespace are held here by name.
  it('the DaemonSet sees the host (network, processes, /proc and /sys read-only) as serve is told to', () => {
    const pod = (only('DaemonSet') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
      .spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.hostPID, true);
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    const [container] = pod.containers;
    const args = container!.args.join(' ');
    const mountOf = (path: string) => {
      const volume = pod.volumes.find((v) => v.hostPath?.path === path);
      const mount = container!.volumeMounts.find((m) => m.name === volume?.name);
      assert.equal(mount?.readOnly, true, `${path} is mounted read-only`);
      return mount!.mountPath;
    };
    assert.match(args, new RegExp(`--proc-root ${mountOf('/proc')}( |$)`));
    assert.match(args, new RegExp(`--sys-root ${mountOf('/sys')}( |$)`));
    assert.equal(mountOf('/run/netns'), '/run/netns');
    assert.match(args, /^serve .*--listen 0\.0\.0\.0:9466/);
    const port = container!.ports.find((p) => p.name === 'metrics');
    assert.equal(port?.containerPort, 9466);
    // /healthz needs no token (--token-file guards /metrics) and fails when sampling stalls.
    for (const probe of [container!.readinessProbe, container!.livenessProbe])
      assert.equal(probe.httpGet.path, '/healthz');
    assert.ok(container!.resources.limits.memory && container!.resources.requests.cpu);
  });

  it('the DaemonSet drops every capability but the systemd unit’s, on a read-only root file system', () => {
    const pod = (only('DaemonSet') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
      .spec;
    const context = pod.containers[0]!.securityContext;
    assert.equal(context.readOnlyRootFilesystem, true);
    assert.equal(context.allowPrivilegeEscalation, false);
    assert.equal(context.privileged, false);
    assert.deepEqual(context.capabilities.drop, ['ALL']);
    assert.deepEqual(
      [...context.capabilities.add].sort(),
      serveUnitCapabilities()
        .map((c) => c.replace(/^CAP_/, ''))
        .sort(),
    );
  });

  it('the Service and ServiceMonitor reach the DaemonSet’s port and name each target by its node', () => {
    const podLabels = (
      only('DaemonSet') as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }
    ).spec.template.metadata.labels;
    const service = only('Service') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    };
    for (const [label, value] of Object.entries(service.spec.selector)) assert.equal(podLabels[label], value);
    assert.equal(service.spec.ports[0]?.targetPort, 'metrics');
    const monitor = only('ServiceMonitor') as unknown as {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; relabelings: { sourceLabels: string[]; targetLabel: string }[] }[];
      };
    };
    for (const [label, value] of Object.entries(monitor.spec.selector.matchLabels))
      assert.equal(service.metadata.labels[label], value);
    assert.equal(monitor.spec.endpoints[0]?.port, service.spec.ports[0]?.name);
    assert.ok(
      monitor.spec.endpoints[0]?.relabelings.some(
        (r) => r.targetLabel === 'instance' && r.sourceLabels[0] === '__meta_kubernetes_pod_node_name',
      ),
    );
  });

  it("the PrometheusRule carries deploy/prometheus's rules unchanged", () => {
    const rule = only('PrometheusRule') as unknown as { spec: { groups: unknown } };
    assert.deepEqual(rule.spec.groups, ruleGroups());
  });
});

interface PodSpec {
  hostNetwork: boolean;
  hostPID: boolean;
  tolerations: object[];
  volumes: { name: string; hostPath?: { path: string } }[];
  containers: {
    args: string[];
    ports: { name: string; containerPort: number }[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    readinessProbe: { httpGet: { path: string } };
    livenessProbe: { httpGet: { path: string } };
    resources: { requests: { cpu?: string }; limits: { memory?: string } };
    securityContext: {
      readOnlyRootFilesystem: boolean;
      allowPrivilegeEscalation: boolean;
      privileged: boolean;
      capabilities: { drop: string[]; add: string[] };
    };
  }[];
}
