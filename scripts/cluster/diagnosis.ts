// Why a chart is not becoming ready: pods that cannot start (image missing, bad configuration, crash
// loops) or that failed, named with their reason and the last lines of their logs, so an install fails
// fast and says why instead of waiting out helm's timeout.
import type { Kube } from './kube.ts';

interface PodStatus {
  metadata: { name: string };
  status: {
    phase: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

interface ContainerStatus {
  name: string;
  restartCount: number;
  state: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode: number } };
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
