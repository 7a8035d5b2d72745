// Shared plumbing for the Kubernetes delivery tests: tool lookup, helm rendering, SOPS decryption,
// YAML parsing, and the ApplicationSet expansion that says what each environment deploys.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const toolsBin = join(
  process.env['PLATFORM_TOOLS_DIR'] ?? join(process.env['HOME'] ?? '/root', '.cache/platform-tools'),
  'bin',
);
export const devAgeKeyFile = join(repoRoot, 'helm/secrets/dev.agekey');

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

/** Runs a tool from the cached tools directory (scripts/tools/install.sh builds them). */
export function tool(name: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const path = join(toolsBin, name);
  const command = existsSync(path) ? path : name;
  try {
    return execFileSync(command, args, {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...options.env },
      input: options.input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; status?: number };
    throw Object.assign(
      new Error(`${name} ${args.join(' ')} exited ${e.status}:\n${e.stderr ?? ''}${e.stdout ?? ''}`),
      { stdout: e.stdout, stderr: e.stderr },
    );
  }
}

/** Runs a tool expecting failure; returns its stderr+stdout. */
export function toolFails(name: string, args: string[]): string {
  try {
    tool(name, args);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  throw new Error(`${name} ${args.join(' ')} succeeded, expected a failure`);
}

export const readText = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it expects
export const readYaml = <T = unknown>(path: string): T => parse(readText(path)) as T;

export function parseDocuments(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && typeof object === 'object');
}

export const environments = ['dev', 'prod'] as const;
export type Environment = (typeof environments)[number];

export type Component = { component: string; namespace: string; wave: string; valuesScheme: string };

type ApplicationSetFile = {
  spec: {
    generators: [
      {
        matrix: {
          generators: [{ list: { elements: Record<string, unknown>[] } }, { list: { elements: Component[] } }];
        };
      },
    ];
    template: unknown;
    templatePatch?: string;
  };
};

export const applicationSet = (): ApplicationSetFile => readYaml<ApplicationSetFile>('argocd/applicationset.yaml');
export const components = (): Component[] => applicationSet().spec.generators[0].matrix.generators[1].list.elements;

/**
 * Decrypted values of an environment's secrets file. dev decrypts with the committed dev-only age key;
 * prod's key is not in git, so prod gets the same shape with every value replaced by a placeholder
 * (SOPS leaves keys readable), enough to render and check the Secret objects.
 */
export function secretValues(env: Environment): string {
  const path = `helm/env/${env}/secrets.yaml`;
  if (env === 'dev') return tool('sops', ['decrypt', path], { env: { SOPS_AGE_KEY_FILE: devAgeKeyFile } });
  const encrypted = readYaml<Record<string, unknown>>(path);
  delete encrypted['sops'];
  const redact = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(redact)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]))
        : typeof value === 'string' && value.startsWith('ENC[')
          ? 'placeholder'
          : value;
  return JSON.stringify(redact(encrypted));
}

let scratch: string | undefined;
const scratchDir = (): string => (scratch ??= mkdtempSync(join(tmpdir(), 'helm-test-')));

const renderCache = new Map<string, K8sObject[]>();

/** The values file ArgoCD gives a component in an environment (decrypted, as helm-secrets would, for secrets://). */
export function valuesFile(env: Environment, component: Component): string {
  if (component.valuesScheme !== 'secrets://') return join(repoRoot, `helm/env/${env}/${component.component}.yaml`);
  const path = join(scratchDir(), `${env}-${component.component}.yaml`);
  if (!existsSync(path)) writeFileSync(path, secretValues(env), { mode: 0o600 });
  return path;
}

/** `helm template` of one component with an environment's values, as ArgoCD would render it. */
export function render(env: Environment, component: Component, extraArgs: string[] = []): K8sObject[] {
  const key = `${env}/${component.component}/${extraArgs.join(' ')}`;
  const cached = renderCache.get(key);
  if (cached) return cached;
  const output = tool('helm', [
    'template',
    component.component,
    `helm/charts/${component.component}`,
    '--namespace',
    component.namespace,
    '--values',
    valuesFile(env, component),
    ...extraArgs,
  ]);
  const objects = parseDocuments(output);
  renderCache.set(key, objects);
  return objects;
}

/** Everything one environment deploys from this repository's charts. */
export const renderEnvironment = (env: Environment): K8sObject[] =>
  components().flatMap((component) => render(env, component));

/** Pod template of a workload, or undefined for other kinds. */
export function podTemplate(
  object: K8sObject,
): { metadata: { labels: Record<string, string> }; spec: PodSpec } | undefined {
  type Template = { metadata: { labels: Record<string, string> }; spec: PodSpec };
  const spec = object['spec'] as { template?: Template; jobTemplate?: { spec: { template: Template } } } | undefined;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind)) return spec?.template;
  if (object.kind === 'CronJob') return spec?.jobTemplate?.spec.template;
  return undefined;
}

export type Container = {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  env?: { name: string; value?: string }[];
};
export type SecurityContext = {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
};
export type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  [k: string]: unknown;
};

/** The value, or a failure naming what was missing (instead of a non-null assertion). */
export function must<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, found none`);
  return value;
}
