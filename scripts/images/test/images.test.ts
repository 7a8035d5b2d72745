// The images scripts/images/build.sh saved, smoke-tested with podman instead of a cluster. Each runs with the security
// settings its chart gives it (the chart's user, a read-only root with only the chart's writable mounts, no
// capabilities, no privilege escalation, host network on ports 4100-4199) and does its job: the services serve and
// exit 0 on SIGTERM, PostgreSQL initialises from the official image's variables and takes SCRAM logins, the migration
// image migrates it with the Job's own command and auth becomes ready on it, MinIO serves S3 with the root user from
// its files, Traefik and CoreDNS serve, pause stops on SIGTERM, busybox has the probe applets. Last, every archive is
// imported into a throwaway containerd 1.6 (Debian's, as the cluster runs), which must store it under the name pods
// use. Run after build.sh:
//   node --test scripts/images/test/images.test.ts
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { waitFor } from '../../lib/wait.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const imagesDir = join(
  process.env['PLATFORM_TOOLS_DIR'] ?? join(process.env['HOME'] ?? '/root', '.cache/platform-tools'),
  'images',
);
const scratch = mkdtempSync(join(tmpdir(), 'images-test-'));

type IndexEntry = { name: string; ref: string; archive: string; size: number; inputs: string };
const indexFile = join(imagesDir, 'index.json');
assert.ok(existsSync(indexFile), `${indexFile} is missing: run scripts/images/build.sh first`);
const index = JSON.parse(readFileSync(indexFile, 'utf8')) as IndexEntry[];
const refOf = (name: string): string => {
  const entry = index.find((image) => image.name === name);
  assert.ok(entry, `${name} is not in ${indexFile}: run scripts/images/build.sh`);
  return entry.ref;
};

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const podman = (...args: string[]) => run('bash', [join(repoRoot, 'scripts/images/podman.sh'), ...args]);
function podmanOk(...args: string[]): string {
  const result = podman(...args);
  assert.equal(result.status, 0, `podman ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

// What every chart's securityContext says, as podman options: no capabilities, no privilege escalation, a read-only
// root without podman's own tmpfs on /run, /tmp and /var/tmp, and /tmp plus the chart's other volumes as tmpfs. podman
// gives such a tmpfs root's ownership and the image directory's mode, where Kubernetes gives a volume the pod's
// fsGroup: an image passes here only if its writable directories are world-writable, as the official images make them.
const restricted = (user: string, ...writable: string[]) => [
  '--user',
  user,
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--read-only',
  '--read-only-tmpfs=false',
  '--network',
  'host',
  ...['/tmp', ...writable].flatMap((path) => ['--tmpfs', `${path}:rw,nosuid,nodev`]),
];

const containers: string[] = [];
/** Starts a detached container (removed after the tests); returns its name. */
function start(name: string, options: string[], image: string, ...args: string[]): string {
  const container = `images-test-${name}-${process.pid}`;
  containers.push(container);
  podmanOk('run', '--detach', '--name', container, ...options, image, ...args);
  return container;
}
const logs = (container: string) => {
  const r = podman('logs', container);
  return `${r.stdout}${r.stderr}`;
};

/** Sends the signal and returns the container's exit code. */
function stopWith(container: string, signal: string): number {
  podmanOk('kill', '--signal', signal, container);
  return Number(podmanOk('wait', container));
}

/** Polls until the URL answers (with a status that `settled` accepts); returns the response, or the last one. */
async function answer(url: string, container: string, settled = (_: Response) => true): Promise<Response> {
  let last: Response | undefined;
  try {
    return await waitFor(
      `${url} never answered as expected`,
      async () => {
        last = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        return settled(last) && last;
      },
      { timeoutMs: 30_000 },
    );
  } catch (error) {
    if (last !== undefined) return last;
    throw new Error(`${url} never answered\n${logs(container)}`, { cause: error });
  }
}

/** A directory of secret files, as a Secret volume mounts them. */
function secrets(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  for (const [file, value] of Object.entries(files)) writeFileSync(join(dir, file), value, { mode: 0o644 });
  return dir;
}

const ports = {
  api: 4110,
  auth: 4120,
  authReady: 4125,
  image: 4130,
  postgres: 4140,
  minio: 4150,
  coredns: 4160,
  traefik: 4170,
  nothing: 4199,
};
const nowhere = `http://127.0.0.1:${ports.nothing}`;
// The images listen on every address (HOST=0.0.0.0, for pods); on the host network the tests keep them on loopback.
const loopback = ['--env', 'HOST=127.0.0.1'];
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

after(() => {
  for (const container of containers) podman('rm', '--force', '--time', '0', container);
  rmSync(scratch, { recursive: true, force: true });
});

describe('image configuration', () => {
  const expected: Record<string, string> = {
    api: '1000:1000',
    auth: '1000:1000',
    image: '1000:1000',
    migrate: '1000:1000',
    postgres: '999:999',
    minio: '1000:1000',
    traefik: '65532:65532',
    coredns: '65532:65532',
    pause: '65535:65535',
  };
  for (const [name, user] of Object.entries(expected)) {
    it(`${name} runs as ${user} by default, never as root`, () => {
      assert.equal(podmanOk('image', 'inspect', '--format', '{{.Config.User}}', refOf(name)), user);
    });
  }
});

describe('the services', () => {
  it('api serves /healthz and exits 0 on SIGTERM', async () => {
    const api = start(
      'api',
      [
        ...restricted('1000:1000'),
        ...loopback,
        '--env',
        `PORT=${ports.api}`,
        '--env',
        `METRICS_PORT=${ports.api + 1}`,
        '--env',
        `AUTH_URL=${nowhere}`,
        '--env',
        `IMAGE_URL=${nowhere}`,
        '--env',
        `JWKS_URL=${nowhere}/.well-known/jwks.json`,
      ],
      refOf('api'),
    );
    const response = await answer(`http://127.0.0.1:${ports.api}/healthz`, api);
    assert.equal(response.status, 200, logs(api));
    assert.equal(stopWith(api, 'TERM'), 0, logs(api));
  });

  it('auth starts without PostgreSQL, and /readyz answers 503 naming it', async () => {
    const keys = secrets('auth-keys', { 'private.pem': signingKey });
    const auth = start(
      'auth',
      [
        ...restricted('1000:1000'),
        ...loopback,
        '--volume',
        `${keys}:/run/secrets/jwt:ro`,
        '--env',
        `PORT=${ports.auth}`,
        '--env',
        `METRICS_PORT=${ports.auth + 1}`,
        '--env',
        `DATABASE_URL=postgresql://auth_service:unused@127.0.0.1:${ports.nothing}/platform`,
        '--env',
        'JWT_SIGNING_KEY_FILE=/run/secrets/jwt/private.pem',
      ],
      refOf('auth'),
    );
    const response = await answer(`http://127.0.0.1:${ports.auth}/readyz`, auth);
    assert.equal(response.status, 503, logs(auth));
    assert.match(await response.text(), /postgres/i);
    assert.equal((await fetch(`http://127.0.0.1:${ports.auth}/.well-known/jwks.json`)).status, 200, 'serves its JWKS');
    assert.equal(stopWith(auth, 'TERM'), 0, logs(auth));
  });

  it('image serves /healthz without its dependencies and exits 0 on SIGTERM', async () => {
    const image = start(
      'image',
      [
        ...restricted('1000:1000'),
        ...loopback,
        '--env',
        `PORT=${ports.image}`,
        '--env',
        `METRICS_PORT=${ports.image + 1}`,
        '--env',
        `DATABASE_URL=postgresql://image_service:unused@127.0.0.1:${ports.nothing}/platform`,
        '--env',
        `JWKS_URL=${nowhere}/.well-known/jwks.json`,
        '--env',
        `S3_ENDPOINT=${nowhere}`,
        '--env',
        'S3_ACCESS_KEY_ID=unused',
        '--env',
        'S3_SECRET_ACCESS_KEY=unused',
      ],
      refOf('image'),
    );
    const response = await answer(`http://127.0.0.1:${ports.image}/healthz`, image);
    assert.equal(response.status, 200, logs(image));
    assert.equal(stopWith(image, 'TERM'), 0, logs(image));
  });

  it('api carries no database package; auth and image carry the generated Prisma client', () => {
    const listing = (name: string) =>
      podmanOk(
        'run',
        '--rm',
        '--network',
        'host',
        refOf(name),
        'sh',
        '-c',
        'ls /app/packages; ls /app/packages/database/src/generated 2>/dev/null | head -1',
      );
    assert.equal(listing('api'), 'runtime');
    for (const name of ['auth', 'image']) assert.match(listing(name), /^database\nruntime\n\S+/);
  });
});

describe('postgres, the migration image and auth on it', () => {
  const admin = { user: 'platform_admin', password: randomBytes(18).toString('base64url'), database: 'platform' };
  const servicePasswords = {
    auth: randomBytes(18).toString('base64url'),
    image: randomBytes(18).toString('base64url'),
  };
  const connect = async (user: string, password: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port: ports.postgres, user, password, database: admin.database });
    await client.connect();
    return client;
  };
  let postgres = '';

  before(async () => {
    const credentials = secrets('postgres', { username: admin.user, password: admin.password });
    // helm/charts/postgres: uid 999, the data volume, /var/run/postgresql and /tmp writable, credentials as files.
    postgres = start(
      'postgres',
      [
        ...restricted('999:999', '/var/run/postgresql', '/var/lib/postgresql/data'),
        '--volume',
        `${credentials}:/run/secrets/postgres:ro`,
        '--env',
        `POSTGRES_DB=${admin.database}`,
        '--env',
        'POSTGRES_USER_FILE=/run/secrets/postgres/username',
        '--env',
        'POSTGRES_PASSWORD_FILE=/run/secrets/postgres/password',
        '--env',
        'PGDATA=/var/lib/postgresql/data/pgdata',
        '--env',
        `PGPORT=${ports.postgres}`,
      ],
      refOf('postgres'),
    );
    // The chart's probe, verbatim.
    const probe = `pg_isready -h 127.0.0.1 -U "$(cat /run/secrets/postgres/username)" -d ${admin.database}`;
    await waitFor('pg_isready never succeeded', () => podman('exec', postgres, 'sh', '-c', probe).status === 0, {
      timeoutMs: 60_000,
    }).catch((error: unknown) => assert.fail(`${(error as Error).message}:\n${logs(postgres)}`));
  });

  it('initialises PGDATA with the superuser and database from the files, SCRAM on every TCP connection', async () => {
    const client = await connect(admin.user, admin.password);
    try {
      const session = await client.query<{ user: string; db: string; version: string }>(
        'SELECT current_user AS user, current_database() AS db, version()',
      );
      const row = must(session.rows[0]);
      assert.equal(row.user, admin.user);
      assert.equal(row.db, admin.database);
      assert.match(row.version, /^PostgreSQL 18\./);
      const methods = await client.query<{ auth_method: string }>(
        "SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'host'",
      );
      assert.deepEqual(
        methods.rows.map((r) => r.auth_method),
        ['scram-sha-256'],
      );
      const verifier = await client.query<{ scram: boolean }>(
        "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = current_user",
      );
      assert.equal(verifier.rows[0]?.scram, true);
      const listen = await client.query<{ listen_addresses: string }>('SHOW listen_addresses');
      assert.equal(listen.rows[0]?.listen_addresses, '*', 'listens on every address of the pod');
    } finally {
      await client.end();
    }
    await assert.rejects(connect(admin.user, 'wrong password'), { code: '28P01' });
  });

  it("the migrate image runs the Job's command: migrations, then the service roles", () => {
    const job = readFileSync(join(repoRoot, 'helm/charts/migrations/templates/job.yaml'), 'utf8');
    const command = JSON.parse((/^\s*command: (\[.*\])$/m.exec(job) ?? [])[1] ?? 'null') as string[];
    const database = secrets('database', {
      url: `postgresql://${admin.user}:${admin.password}@127.0.0.1:${ports.postgres}/${admin.database}`,
      'auth-service-password': servicePasswords.auth,
      'image-service-password': servicePasswords.image,
    });
    const result = podman(
      'run',
      '--rm',
      ...restricted('1000:1000'),
      '--volume',
      `${database}:/run/secrets/database:ro`,
      '--env',
      'HOME=/tmp',
      '--env',
      'DATABASE_URL_FILE=/run/secrets/database/url',
      '--env',
      'AUTH_SERVICE_PASSWORD_FILE=/run/secrets/database/auth-service-password',
      '--env',
      'IMAGE_SERVICE_PASSWORD_FILE=/run/secrets/database/image-service-password',
      '--entrypoint',
      must(command[0]),
      refOf('migrate'),
      ...command.slice(1),
    );
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /database roles applied: auth_service, image_service/);
  });

  it('auth, connected as auth_service, is ready', async () => {
    const keys = secrets('auth-ready-keys', { 'private.pem': signingKey });
    const url = `postgresql://auth_service:${servicePasswords.auth}@127.0.0.1:${ports.postgres}/${admin.database}`;
    const auth = start(
      'auth-ready',
      [
        ...restricted('1000:1000'),
        ...loopback,
        '--volume',
        `${keys}:/run/secrets/jwt:ro`,
        '--env',
        `PORT=${ports.authReady}`,
        '--env',
        `METRICS_PORT=${ports.authReady + 1}`,
        '--env',
        `DATABASE_URL=${url}`,
        '--env',
        'JWT_SIGNING_KEY_FILE=/run/secrets/jwt/private.pem',
      ],
      refOf('auth'),
    );
    const response = await answer(`http://127.0.0.1:${ports.authReady}/readyz`, auth);
    assert.equal(response.status, 200, `${await response.text()}\n${logs(auth)}`);
    assert.equal(stopWith(auth, 'TERM'), 0, logs(auth));
  });

  it("stops cleanly on the image's stop signal (SIGINT: fast shutdown)", () => {
    assert.equal(podmanOk('image', 'inspect', '--format', '{{.Config.StopSignal}}', refOf('postgres')), 'SIGINT');
    podmanOk('stop', '--time', '30', postgres);
    assert.equal(Number(podmanOk('wait', postgres)), 0, logs(postgres));
  });
});

describe('third-party stand-ins', () => {
  it('minio serves /minio/health/live and S3 with the root user from its files', async () => {
    const root = { user: 'images-test', password: randomBytes(18).toString('base64url') };
    const credentials = secrets('minio', { 'root-user': root.user, 'root-password': root.password });
    // helm/charts/minio's args, on a test port.
    const minio = start(
      'minio',
      [
        ...restricted('1000:1000', '/data'),
        '--volume',
        `${credentials}:/run/secrets/minio:ro`,
        '--env',
        'MINIO_ROOT_USER_FILE=/run/secrets/minio/root-user',
        '--env',
        'MINIO_ROOT_PASSWORD_FILE=/run/secrets/minio/root-password',
        '--env',
        'MINIO_BROWSER=off',
        '--env',
        'HOME=/tmp',
      ],
      refOf('minio'),
      'server',
      '/data',
      '--address',
      `127.0.0.1:${ports.minio}`,
      '--console-address',
      `127.0.0.1:${ports.minio + 1}`,
    );
    const response = await answer(`http://127.0.0.1:${ports.minio}/minio/health/live`, minio);
    assert.equal(response.status, 200, logs(minio));
    const s3 = (secretAccessKey: string) =>
      new S3Client({
        endpoint: `http://127.0.0.1:${ports.minio}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: root.user, secretAccessKey },
      });
    await s3(root.password).send(new ListBucketsCommand({}));
    await assert.rejects(s3('not-the-password').send(new ListBucketsCommand({})), { name: 'SignatureDoesNotMatch' });
    assert.equal(stopWith(minio, 'TERM'), 0, logs(minio));
  });

  it('traefik prints the version its tag names and serves its ping endpoint as 65532', async () => {
    const tag = must(refOf('traefik').split(':').at(-1)).replaceAll('.', '\\.');
    assert.match(
      podmanOk('run', '--rm', ...restricted('65532:65532'), refOf('traefik'), 'version'),
      new RegExp(`^Version:\\s+${tag}$`, 'm'),
    );
    const traefik = start(
      'traefik',
      restricted('65532:65532'),
      refOf('traefik'),
      `--entryPoints.ping.address=127.0.0.1:${ports.traefik}`,
      '--ping=true',
      '--ping.entryPoint=ping',
    );
    // The entry point answers 404 until the first configuration, with the ping router, is loaded.
    const response = await answer(`http://127.0.0.1:${ports.traefik}/ping`, traefik, (r) => r.status !== 404);
    assert.equal(response.status, 200, logs(traefik));
    assert.equal(stopWith(traefik, 'TERM'), 0, logs(traefik));
  });

  it('coredns prints the version its tag names and answers queries from a Corefile as 65532', async () => {
    const tag = must(refOf('coredns').split(':').at(-1)).replaceAll('.', '\\.');
    assert.match(
      podmanOk('run', '--rm', ...restricted('65532:65532'), refOf('coredns'), '-version'),
      new RegExp(`^CoreDNS-${tag}$`, 'm'),
    );
    const config = secrets('coredns', {
      Corefile: `.:${ports.coredns} {\n  hosts {\n    192.0.2.10 images-test.example\n  }\n}\n`,
    });
    const coredns = start(
      'coredns',
      [...restricted('65532:65532'), '--volume', `${config}:/etc/coredns:ro`],
      refOf('coredns'),
      '-conf',
      '/etc/coredns/Corefile',
    );
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${ports.coredns}`]);
    const addresses = await waitFor(
      'no answer',
      async () => {
        const answer = await resolver.resolve4('images-test.example').catch(() => []);
        return answer.length > 0 && answer;
      },
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => assert.fail(`${(error as Error).message}:\n${logs(coredns)}`));
    assert.deepEqual(addresses, ['192.0.2.10']);
    assert.equal(stopWith(coredns, 'TERM'), 0, logs(coredns));
  });

  it('pause exits 0 on SIGTERM and on SIGINT', () => {
    for (const signal of ['TERM', 'INT']) {
      const pause = start(`pause-${signal.toLowerCase()}`, restricted('65535:65535'), refOf('pause'));
      assert.equal(stopWith(pause, signal), 0, logs(pause));
    }
  });

  it('busybox has the applets probe pods use, and a world-writable /tmp', () => {
    const applets = ['sh', 'nc', 'wget', 'sleep', 'cat', 'echo', 'ls', 'nslookup', 'timeout'];
    const script = `for a in ${applets.join(' ')}; do command -v $a >/dev/null || echo "missing $a"; done; stat -c %a /tmp; echo ok > /tmp/probe && cat /tmp/probe`;
    assert.equal(
      podmanOk('run', '--rm', '--network', 'host', '--user', '65534:65534', refOf('busybox'), 'sh', '-c', script),
      '1777\nok',
    );
  });
});

describe('containerd', () => {
  // containerd 1.6.20 from Debian, unpacked (not installed) and run with its own root, state and socket.
  const containerdDir = join(scratch, 'containerd');
  let containerd: ReturnType<typeof spawn> | undefined;
  const ctr = (...args: string[]) =>
    run(join(containerdDir, 'usr/bin/ctr'), [
      '--address',
      join(containerdDir, 'containerd.sock'),
      '--namespace',
      'k8s.io',
      ...args,
    ]);

  before(async () => {
    const downloads = join(imagesDir, 'work/downloads');
    mkdirSync(downloads, { recursive: true });
    let deb = readdirSync(downloads).find((file) => file.startsWith('containerd_'));
    if (deb === undefined) {
      const download = spawnSync('apt-get', ['download', '-qq', 'containerd'], { cwd: downloads, encoding: 'utf8' });
      assert.equal(download.status, 0, download.stderr);
      deb = must(readdirSync(downloads).find((file) => file.startsWith('containerd_')));
    }
    assert.equal(run('dpkg', ['-x', join(downloads, deb), containerdDir]).status, 0);
    const config = join(containerdDir, 'config.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${containerdDir}/root"`,
        `state = "${containerdDir}/state"`,
        // Only images and content: no CRI, no other snapshotters probed.
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",',
        '  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
        `[grpc]\n  address = "${containerdDir}/containerd.sock"`,
        `[ttrpc]\n  address = "${containerdDir}/containerd-ttrpc.sock"`,
        '[debug]\n  address = ""',
        '[metrics]\n  address = ""',
        '',
      ].join('\n'),
    );
    containerd = spawn(join(containerdDir, 'usr/bin/containerd'), ['--config', config], { stdio: 'ignore' });
    await waitFor('containerd did not start', () => ctr('version').status === 0, { timeoutMs: 30_000 });
  });

  after(async () => {
    if (containerd?.exitCode === null) {
      const exited = new Promise((done) => containerd?.once('exit', done));
      containerd.kill('SIGTERM');
      await exited;
    }
  });

  it('imports every archive under the name pods use (platform/api:dev is docker.io/platform/api:dev)', () => {
    assert.match(
      must(
        ctr('version')
          .stdout.split('\n')
          .find((line) => line.includes('Version')),
      ),
      /1\.6\./,
    );
    for (const image of index) {
      const result = ctr('images', 'import', image.archive);
      assert.equal(result.status, 0, `${image.name}: ${result.stderr}`);
    }
    const stored = ctr('images', 'list', '--quiet').stdout.trim().split('\n').sort();
    assert.deepEqual(stored, index.map((image) => image.ref).sort());
    for (const service of ['api', 'auth', 'image', 'migrate'])
      assert.ok(stored.includes(`docker.io/platform/${service}:dev`), service);
  });
});

function must<T>(value: T | undefined | null): T {
  assert.ok(value !== undefined && value !== null);
  return value;
}
