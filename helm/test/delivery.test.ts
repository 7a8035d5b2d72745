// Dockerfiles, the .dockerignore and the delivery scripts (the promotion helper: promote.test.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { must, readText, repoRoot } from './lib/repo.ts';

describe('Dockerfile (one for the three services and the migration Job)', () => {
  const text = readText('Dockerfile');
  const instructions = text.split('\n').filter((line) => /^[A-Z]+\s/.test(line));
  const stage = (name: string): string => {
    const start = text.indexOf(` AS ${name}\n`);
    assert.ok(start >= 0, `stage ${name}`);
    const next = text.indexOf('\nFROM ', start);
    return text.slice(start, next < 0 ? undefined : next);
  };

  test('Node 24 slim base pinned to an exact version, multi-stage, every stage on it', () => {
    assert.match(text, /^ARG NODE_IMAGE=node:24\.\d+\.\d+-\w+-slim(@sha256:[0-9a-f]{64})?$/m);
    const stages = instructions.filter((l) => l.startsWith('FROM '));
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.ok(
      stages.every((l) => l.startsWith('FROM ${NODE_IMAGE} AS ')),
      'every stage uses the pinned base',
    );
  });

  test('one image per service, chosen by the SERVICE build argument; runtime is the default (last) target', () => {
    assert.match(stage('deps'), /^ARG SERVICE$/m);
    assert.match(
      stage('deps'),
      /case "\$SERVICE" in api\|auth\|image\|prober\)/,
      'an unknown or missing SERVICE fails the build',
    );
    assert.match(must(instructions.filter((l) => l.startsWith('FROM ')).at(-1)), / AS runtime$/);
  });

  test('production dependencies only, no install scripts, runs as a numeric non-root user', () => {
    assert.match(stage('deps'), /npm ci --omit=dev --ignore-scripts[^\n]*--workspace @platform\/\$\{SERVICE\}/);
    const runtime = stage('runtime');
    assert.match(runtime, /^USER 1000:1000$/m);
    assert.match(runtime, /^WORKDIR \/app\/services\/\$\{SERVICE\}$/m);
    assert.match(runtime, /^CMD \["node", "dist\/main\.mjs"\]$/m, 'exec form: node is PID 1 and gets SIGTERM');
    // It runs the service's bundle (scripts/bundle.ts), built in a stage of its own.
    assert.match(stage('bundle'), /^RUN node scripts\/bundle\.ts \$\{SERVICE\}$/m);
    assert.match(
      stage('app'),
      /^COPY --from=bundle \/app\/services\/\$\{SERVICE\}\/dist services\/\$\{SERVICE\}\/dist$/m,
    );
    // The deps stage's install, whole: workspaces keep the node_modules npm nested in them (busboy 1.x for image).
    assert.match(stage('app'), /^COPY --from=deps \/app \.\/$/m);
    assert.match(runtime, /^COPY --from=app \/app\/node_modules node_modules$/m);
    assert.doesNotMatch(
      runtime,
      /COPY --from=build \/app\/node_modules/,
      'no build-stage dependencies in the runtime image',
    );
    assert.match(runtime, /HOST=0\.0\.0\.0/);
  });

  test('every stage that installs starts from every workspace manifest, so npm ci sees the whole lockfile', () => {
    const workspaces = (JSON.parse(readText('package.json')) as { workspaces: string[] }).workspaces;
    const manifests = workspaces.flatMap((pattern) => {
      if (!pattern.endsWith('/*')) return [`${pattern}/package.json`];
      const dir = pattern.slice(0, -2);
      return readdirSync(join(repoRoot, dir))
        .filter((name) => existsSync(join(repoRoot, dir, name, 'package.json')))
        .map((name) => `${dir}/${name}/package.json`);
    });
    for (const manifest of manifests)
      assert.ok(
        stage('manifests').includes(`COPY ${manifest} ${manifest.replace(/package\.json$/, '')}`),
        `manifests copies ${manifest}`,
      );
    for (const name of ['deps', 'build']) {
      const text = stage(name);
      assert.match(text, /npm ci /);
      assert.match(text, /^COPY --from=manifests \/app \.\/$/m, `${name} starts from the manifests`);
    }
  });

  test('the Prisma client is generated in a build stage and ships only with the database package (auth, image)', () => {
    assert.match(stage('build'), /^RUN npx prisma generate$/m);
    const app = stage('app');
    assert.match(
      app,
      /^COPY --from=build \/app\/packages\/database\/src\/generated packages\/database\/src\/generated$/m,
    );
    // Workspace packages npm did not link for the service (api: packages/database) are removed with what they hold.
    assert.match(app, /\[ -e "node_modules\/@platform\/\$\{package#packages\/\}" \] \|\| rm -r "\$package"/);
    for (const service of ['auth', 'image'])
      assert.ok(
        '@platform/database' in
          (JSON.parse(readText(`services/${service}/package.json`)) as { dependencies: Record<string, string> })
            .dependencies,
        service,
      );
    assert.ok(
      !(
        '@platform/database' in
        (JSON.parse(readText('services/api/package.json')) as { dependencies: Record<string, string> }).dependencies
      ),
      'api',
    );
  });

  test('.dockerignore keeps node_modules, git, generated code and secrets out of the build context', () => {
    const ignore = readText('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '.git', '**/generated', '**/*.pem', 'helm', '.dev'])
      assert.ok(ignore.includes(pattern), pattern);
  });
});

describe('scripts', () => {
  test('setup-kind.sh, bootstrap-argocd.sh, promote and the image build scripts are valid bash', () => {
    for (const script of [
      'scripts/setup-kind.sh',
      'scripts/bootstrap-argocd.sh',
      'scripts/promote',
      'scripts/release-prod',
      'scripts/images/build.sh',
      'scripts/images/podman.sh',
    ]) {
      execFileSync('bash', ['-n', join(repoRoot, script)]);
    }
  });

  test('setup-kind.sh installs the add-ons at the versions the ArgoCD Applications pin', () => {
    const script = readText('scripts/setup-kind.sh');
    for (const addon of ['gateway-api', 'cert-manager', 'kube-prometheus-stack']) {
      assert.ok(script.includes(`addon_version ${addon}`), addon);
      assert.match(readText(`argocd/addons/${addon}.yaml`), /^ +targetRevision: v?\d+\.\d+\.\d+$/m);
    }
    assert.match(script, /disableDefaultCNI: true/, 'Calico, not kindnet, so NetworkPolicies are enforced');
    const podCIDR = must(/POD_CIDR=(\S+)/.exec(script))[1];
    assert.ok(
      readText('helm/charts/platform/values.yaml').includes(`podCIDR: ${podCIDR}`),
      'the policies know the pod CIDR',
    );
    assert.doesNotMatch(script, /ingress-nginx|hostPort: *true/);
  });

  test(`setup-kind.sh maps host ports 80/443 to the edge's node ports and installs the edge after the CRDs it needs`, () => {
    const script = readText('scripts/setup-kind.sh');
    const values = parse(readText('helm/charts/edge/values.yaml')) as { nodePorts: { http: number; https: number } };
    // The script reads the node ports from the chart's values: evaluate its reader the way bash will.
    const reader = must(/^node_port\(\) \{.*\}$/m.exec(script))[0];
    const ports = execFileSync('bash', ['-c', `${reader}; echo $(node_port http) $(node_port https)`], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    assert.equal(ports, `${values.nodePorts.http} ${values.nodePorts.https}`);
    assert.match(script, /\{ containerPort: \$HTTP_NODE_PORT, hostPort: 80, protocol: TCP \}/);
    assert.match(script, /\{ containerPort: \$HTTPS_NODE_PORT, hostPort: 443, protocol: TCP \}/);
    const at = (pattern: RegExp): number => must(pattern.exec(script), String(pattern)).index;
    const crds = at(
      /kubectl apply --server-side -f "https:\/\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/\$\(addon_version gateway-api\)\/standard-install\.yaml"/,
    );
    const edge = at(/helm upgrade --install edge helm\/charts\/edge -n ingress-ns -f helm\/env\/dev\/edge\.yaml/);
    for (const before of [
      crds,
      at(/helm upgrade --install cert-manager/),
      at(/helm upgrade --install platform /),
      at(/helm upgrade --install kps/),
    ])
      assert.ok(before < edge);
  });
});
