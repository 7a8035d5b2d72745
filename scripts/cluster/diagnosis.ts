// Why a chart is not becoming ready: pods that cannot start (image missing, bad configuration, crash
// loops) or that failed, named with their reason and the last lines of their logs, so an install fails
// fast and says why instead of waiting out helm's timeout; and, when a wait times out anyway, what each
// pod that is not ready is waiting for (unmet conditions, container states, latest events); and for Argo CD,
// why an Application is not synced and healthy, in its own words.
import type { Application } from './gitops.ts';
import type { Kube } from './kube.ts';

interface PodStatus {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: {
    phase: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

interface ContainerStatus {
  name: string;
  restartCount: number;
  state: {
    running?: { startedAt: string };
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode: number };
  };
  lastState: { terminated?: { reason?: string; exitCode: number } };
}

/** Reasons a container does not get past on its own. */
const stuck = new Set([
  'ErrImageNeverPull',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * A description of the first pod in `namespace` that cannot become ready, or undefined. A failed pod
 * counts only with `includeFailed`: a Job retries those (its own failure ends helm's wait).
 */
export async function podFailure(cluster: Kube, namespace: string, includeFailed = false): Promise<string | undefined> {
  const pods = (await cluster.getJson<{ items: PodStatus[] }>(['pods', '--namespace', namespace])).items;
  for (const pod of pods) {
    for (const container of [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]) {
      const waiting = container.state.waiting;
      const crashing = waiting?.reason === 'CrashLoopBackOff' && container.restartCount >= 2;
      const failed = includeFailed && pod.status.phase === 'Failed';
      if ((waiting?.reason !== undefined && stuck.has(waiting.reason)) || crashing || failed) {
        const why = waiting?.reason ?? container.state.terminated?.reason ?? pod.status.phase;
        const logs = await cluster
          .kubectl([
            'logs',
            '--namespace',
            namespace,
            pod.metadata.name,
            '--container',
            container.name,
            '--tail=20',
            ...(crashing ? ['--previous'] : []),
          ])
          .catch(() => '(no logs)');
        return `${namespace}/${pod.metadata.name} (${container.name}): ${why}${waiting?.message === undefined ? '' : `: ${waiting.message}`}\n--- last log lines:\n${logs.trimEnd()}`;
      }
    }
  }
  return undefined;
}

interface Event {
  involvedObject: { name: string };
  reason: string;
  message: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
}

/** What each pod of `namespace` that is not ready waits for, or undefined when all are ready. */
export async function unreadyPods(cluster: Kube, namespace: string): Promise<string | undefined> {
  const pods = (await cluster.getJson<{ items: PodStatus[] }>(['pods', '--namespace', namespace])).items;
  const events = (await cluster.getJson<{ items: Event[] }>(['events', '--namespace', namespace])).items;
  const unready = pods.filter(
    (pod) =>
      pod.status.phase !== 'Succeeded' &&
      !pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (unready.length === 0) return undefined;
  const described = await Promise.all(
    unready.map(async (pod) => {
      const unmet = (pod.status.conditions ?? [])
        .filter((c) => c.status !== 'True')
        .map(
          (c) =>
            `${c.type}${c.reason === undefined ? '' : ` (${c.reason}${c.message === undefined ? '' : `: ${c.message}`})`}`,
        );
      const containers = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].map(
        (c) =>
          `${c.name} ${Object.keys(c.state)[0] ?? '?'}${c.state.waiting?.reason === undefined ? '' : ` (${c.state.waiting.reason})`}, ${c.restartCount} restarts`,
      );
      const latest = events
        .filter((e) => e.involvedObject.name === pod.metadata.name)
        .sort((a, b) => (a.lastTimestamp ?? a.eventTime ?? '').localeCompare(b.lastTimestamp ?? b.eventTime ?? ''))
        .slice(-5)
        .map((e) => `    ${e.reason}: ${e.message}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`);
      // A container that runs but is not ready often says why (e.g. a dependency it cannot reach).
      const running = (pod.status.containerStatuses ?? []).filter((c) => c.state.running !== undefined);
      const logs = await Promise.all(
        running.map(async (c) => {
          const lines = await cluster
            .kubectl(['logs', '--namespace', namespace, pod.metadata.name, '--container', c.name, '--tail=10'])
            .catch(() => '(no logs)');
          return `  last log lines of ${c.name}:\n${lines.trimEnd().replace(/^/gm, '    ')}`;
        }),
      );
      return [
        `${namespace}/${pod.metadata.name}: ${pod.status.phase} on ${pod.spec.nodeName ?? 'no node'}`,
        `  not met: ${unmet.join('; ') || 'none'}`,
        `  containers: ${containers.join('; ') || 'none yet'}`,
        `  latest events:${latest.length === 0 ? ' none' : `\n${latest.join('\n')}`}`,
        ...logs,
      ].join('\n');
    }),
  );
  return described.join('\n');
}

/**
 * Argo CD's account of each Application: sync and health, its sync operation (phase, retries, message), its
 * conditions, and each resource that is out of sync or not healthy with the health check's message.
 */
export function describeApplications(applications: Application[]): string {
  return applications
    .map(({ metadata, status }) => {
      const operation = status?.operationState;
      const resources = (status?.resources ?? [])
        .filter((r) => r.status !== 'Synced' || (r.health?.status !== undefined && r.health.status !== 'Healthy'))
        .map(
          (r) =>
            `  ${r.kind} ${r.namespace === undefined ? '' : `${r.namespace}/`}${r.name}: ${r.status ?? '?'}/${r.health?.status ?? '-'}${r.health?.message === undefined ? '' : ` (${r.health.message})`}`,
        );
      return [
        `${metadata.name}: ${status?.sync?.status ?? '?'}/${status?.health?.status ?? '?'}`,
        `  operation: ${operation === undefined ? 'none' : `${operation.phase ?? '?'}${operation.retryCount ? ` after ${operation.retryCount} retries` : ''}: ${operation.message ?? ''}`}`,
        ...(status?.conditions ?? []).map((c) => `  ${c.type}: ${c.message}`),
        ...resources,
      ].join('\n');
    })
    .join('\n');
}
