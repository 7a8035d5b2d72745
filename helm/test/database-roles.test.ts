// Least-privilege database roles in the deployed system: the migration Job applies prisma/roles.sql after the
// migrations, with the passwords that auth's and image's DATABASE_URL Secrets carry, and each service connects
// as its own role, never as the schema owner and never as the other service.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { serviceRoles } from '../../packages/database/src/roles.ts';
import {
  components,
  environments,
  must,
  podTemplate,
  readText,
  render,
  secretValues,
  type Container,
  type Environment,
} from './lib/repo.ts';

type SecretsFile = { secrets: { name: string; namespace: string; data: Record<string, string> }[] };
const secretData = (env: Environment, namespace: string, name: string): Record<string, string> =>
  must(
    (parse(secretValues(env)) as SecretsFile).secrets.find((s) => s.name === name && s.namespace === namespace),
    `${namespace}/${name}`,
  ).data;

const migrationsComponent = must(
  components().find((c) => c.component === 'migrations'),
  'the migrations component',
);
const jobContainer = (env: Environment) => {
  const job = must(
    render(env, migrationsComponent).find((o) => o.kind === 'Job'),
    'the migrate Job',
  );
  const pod = must(podTemplate(job), 'its pod template');
  type JobContainer = Container & {
    command: string[];
    env: { name: string; value?: string }[];
    volumeMounts: { name: string; mountPath: string }[];
  };
  return { pod, container: must(pod.spec.containers[0], 'its container') as JobContainer };
};

describe('database roles (prisma/roles.sql)', () => {
  for (const env of environments) {
    test(`${env}: the migrate Job applies the roles after the migrations, with the passwords from its Secret`, () => {
      const { pod, container } = jobContainer(env);
      const script = must(container.command.at(-1));
      assert.match(script, /prisma\/build\/index\.js migrate deploy && exec node packages\/database\/src\/roles\.ts$/);
      const mounts = new Map(container.volumeMounts.map((m) => [m.mountPath, m.name]));
      const volumes = pod.spec['volumes'] as { name: string; secret?: { secretName: string } }[];
      const secretName = must(volumes.find((v) => v.name === mounts.get('/run/secrets/database'))?.secret).secretName;
      const data = secretData(env, migrationsComponent.namespace, secretName);
      const files = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
      for (const variable of ['DATABASE_URL_FILE', 'AUTH_SERVICE_PASSWORD_FILE', 'IMAGE_SERVICE_PASSWORD_FILE']) {
        const file = must(files[variable], variable);
        assert.ok(file.startsWith('/run/secrets/database/'), `${variable} is read from the mounted Secret`);
        assert.ok(file.replace('/run/secrets/database/', '') in data, `${secretName} provides ${file}`);
      }
    });
  }

  test("the migration image carries the roles SQL and every script the Job runs (the Dockerfile's migrate target)", () => {
    const dockerfile = readText('Dockerfile');
    const build = dockerfile.slice(dockerfile.indexOf(' AS build\n'), dockerfile.indexOf(' AS migrate\n'));
    assert.match(build, /^COPY prisma prisma$/m);
    const copied =
      /^COPY ((?:packages\/database\/src\/\S+ )+)packages\/database\/src\/$/m.exec(build)?.[1]?.trim().split(' ') ?? [];
    const run =
      readText('helm/charts/migrations/templates/job.yaml').match(/packages\/database\/src\/[\w-]+\.ts/g) ?? [];
    assert.deepEqual([...new Set(run)].sort(), [
      'packages/database/src/roles.ts',
      'packages/database/src/wait-for-database.ts',
    ]);
    assert.deepEqual(copied.sort(), [...new Set(run)].sort());
    assert.match(dockerfile, /FROM \$\{NODE_IMAGE\} AS migrate\n(?:(?!FROM ).*\n)*COPY --from=build \/app \/app$/m);
  });

  test('dev: each service connects as its own role, with the password the migrate Job sets', () => {
    const admin = new URL(must(secretData('dev', 'data-ns', 'migrate-database')['url']));
    const passwords = secretData('dev', 'data-ns', 'migrate-database');
    const urls = {
      auth: new URL(must(secretData('dev', 'auth-ns', 'auth-database')['url'])),
      image: new URL(must(secretData('dev', 'image-ns', 'image-database')['url'])),
    };
    assert.equal(
      admin.username,
      secretData('dev', 'data-ns', 'postgres-credentials')['username'],
      'migrations run as the schema owner',
    );
    for (const service of ['auth', 'image'] as const) {
      const url = urls[service];
      assert.equal(url.username, serviceRoles[service]);
      assert.equal(
        decodeURIComponent(url.password),
        passwords[`${service}-service-password`],
        `${service}: the password the Job gives ${serviceRoles[service]}`,
      );
      assert.ok(url.password.length >= 24, `${service}: a long password`);
      assert.equal(
        `${url.host}${url.pathname}`,
        `${admin.host}${admin.pathname}`,
        `${service}: the same server and database`,
      );
    }
    const all = [admin.href, urls.auth.href, urls.image.href];
    assert.equal(new Set(all).size, 3, 'the three DATABASE_URLs differ');
    assert.notEqual(urls.auth.password, urls.image.password);
  });

  test('prod: the secrets file has the same shape (values cannot be read here)', () => {
    assert.deepEqual(Object.keys(secretData('prod', 'data-ns', 'migrate-database')).sort(), [
      'auth-service-password',
      'image-service-password',
      'url',
    ]);
    assert.ok('url' in secretData('prod', 'auth-ns', 'auth-database'));
    assert.ok('url' in secretData('prod', 'image-ns', 'image-database'));
  });
});
