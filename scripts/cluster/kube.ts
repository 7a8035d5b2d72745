// kubectl and helm against the local cluster (the tools' own CLIs, pinned and built by scripts/tools/install.sh).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { binary } from './settings.ts';

const execFileAsync = promisify(execFile);

export interface Kube {
  kubeconfig: string;
  kubectl: (args: string[], input?: string) => Promise<string>;
  /** `signal` stops it (e.g. a wait that is no longer worth it). */
  helm: (args: string[], signal?: AbortSignal) => Promise<string>;
  /** `kubectl get -o json`, parsed. */
  getJson: <T>(args: string[]) => Promise<T>;
}

export function kube(kubeconfig: string): Kube {
  const run = async (command: string, args: string[], input?: string, signal?: AbortSignal): Promise<string> => {
    const child = execFileAsync(binary(command), args, {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
      ...(signal === undefined ? {} : { signal }),
    });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    try {
      return (await child).stdout;
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; code?: number };
      throw new Error(
        `${command} ${args.join(' ')} failed (${e.code ?? '?'}):\n${(e.stderr ?? '').trim() || (e.stdout ?? '').trim()}`,
        { cause: error },
      );
    }
  };
  return {
    kubeconfig,
    kubectl: (args, input) => run('kubectl', args, input),
    helm: (args, signal) => run('helm', args, undefined, signal),
    getJson: async <T>(args: string[]) => JSON.parse(await run('kubectl', ['get', ...args, '-o', 'json'])) as T,
  };
}
