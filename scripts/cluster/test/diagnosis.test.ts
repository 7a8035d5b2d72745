// scripts/cluster/diagnosis.ts: when a wait for pods times out, the failure says what each pod that is not
// ready waits for, and why an Argo CD Application is not synced. A stand-in Kube answers with the pods and
// events a real API server would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeApplications, unreadyPods } from '../diagnosis.ts';
import type { Application } from '../gitops.ts';
import type { Kube } from '../kube.ts';

const ready = {
  metadata: { name: 'api-0' },
  spec: { nodeName: 'node1' },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [] },
};
const completedJob = { metadata: { name: 'migrate-x' }, spec: { nodeName: 'node1' }, status: { phase: 'Succeeded' } };
const waitingForApi = {
  metadata: { name: 'coredns-1' },
  spec: { nodeName: 'node1' },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [coredns]',
      },
    ],
    containerStatuses: [{ name: 'coredns', restartCount: 0, state: { running: { startedAt: 'x' } }, lastState: {} }],
  },
};
const unscheduled = {
  metadata: { name: 'coredns-2' },
  spec: {},
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
};
const event = (name: string, reason: string, at: string, count = 1) => ({
  involvedObject: { name },
  reason,
  message: `${reason} message`,
  count,
  lastTimestamp: at,
});

function standIn(pods: object[], events: object[]): Kube {
  return {
    kubeconfig: '/nowhere',
    helm: () => Promise.reject(new Error('not used')),
    kubectl: (args) =>
      args[0] === 'logs'
        ? Promise.resolve(`[INFO] plugin/ready: Still waiting on: "kubernetes"\n`)
        : Promise.reject(new Error('unexpected')),
    getJson: <T>(args: string[]) => Promise.resolve({ items: args[0] === 'pods' ? pods : events } as T),
  };
}

describe('unreadyPods', () => {
  it('is undefined when every pod is ready or has completed', async () => {
    assert.equal(await unreadyPods(standIn([ready, completedJob], []), 'ns'), undefined);
  });

  it('names each pod that is not ready, its unmet conditions, containers, latest events and logs', async () => {
    const events = [
      event('coredns-1', 'Unhealthy', '2026-01-01T00:00:09Z', 12),
      ...['Scheduled', 'Pulled', 'Created', 'Started', 'Killing'].map((r, i) =>
        event('coredns-1', r, `2026-01-01T00:00:0${i}Z`),
      ),
      event('api-0', 'Started', '2026-01-01T00:00:08Z'),
      event('coredns-2', 'FailedScheduling', '2026-01-01T00:00:05Z'),
    ];
    const report = await unreadyPods(standIn([ready, waitingForApi, unscheduled], events), 'kube-system');
    assert.ok(report !== undefined);
    assert.doesNotMatch(report, /api-0/);
    assert.match(report, /^kube-system\/coredns-1: Running on node1\n/);
    assert.match(report, /not met: Ready \(ContainersNotReady: containers with unready status: \[coredns\]\)\n/);
    assert.match(report, /containers: coredns running, 0 restarts\n/);
    // The five latest, oldest first: Scheduled (the oldest) is left out, the repeated Unhealthy comes last.
    assert.match(
      report,
      /latest events:\n {4}Pulled: .*\n {4}Created: .*\n {4}Started: .*\n {4}Killing: .*\n {4}Unhealthy: Unhealthy message \(x12\)\n/,
    );
    assert.match(report, /last log lines of coredns:\n {4}\[INFO\] plugin\/ready: Still waiting on: "kubernetes"/);
    assert.match(
      report,
      /kube-system\/coredns-2: Pending on no node\n {2}not met: PodScheduled \(Unschedulable\)\n {2}containers: none yet\n {2}latest events:\n {4}FailedScheduling/,
    );
  });
});

describe('describeApplications', () => {
  const minio: Application = {
    metadata: { name: 'minio-dev' },
    spec: { project: 'platform', destination: { name: 'in-cluster', namespace: 'data-ns' } },
    status: {
      sync: { status: 'OutOfSync' },
      health: { status: 'Progressing' },
      operationState: {
        phase: 'Running',
        retryCount: 3,
        message: 'waiting for completion of hook batch/Job/minio-provision',
      },
      conditions: [{ type: 'SyncError', message: 'secret "minio-credentials" not found' }],
      resources: [
        { kind: 'ConfigMap', namespace: 'data-ns', name: 'minio-provision', status: 'Synced' },
        {
          kind: 'StatefulSet',
          namespace: 'data-ns',
          name: 'minio',
          status: 'Synced',
          health: { status: 'Progressing', message: 'Waiting for 1 pods to be ready...' },
        },
        { kind: 'Service', namespace: 'data-ns', name: 'minio', status: 'OutOfSync', health: { status: 'Healthy' } },
      ],
    },
  };

  it("gives each Application's operation, conditions and the resources holding it back", () => {
    const report = describeApplications([minio, { ...minio, metadata: { name: 'image-dev' }, status: {} }]);
    assert.equal(
      report,
      [
        'minio-dev: OutOfSync/Progressing',
        '  operation: Running after 3 retries: waiting for completion of hook batch/Job/minio-provision',
        '  SyncError: secret "minio-credentials" not found',
        '  StatefulSet data-ns/minio: Synced/Progressing (Waiting for 1 pods to be ready...)',
        '  Service data-ns/minio: OutOfSync/Healthy',
        'image-dev: ?/?',
        '  operation: none',
      ].join('\n'),
    );
  });
});
