// `npm run dev` always ends after SIGTERM (or Ctrl-C), whatever its components do: started and stopped
// several times in a row on the real minimal stack (PostgreSQL, S3, the three services).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { waitFor } from '../../../lib/wait.ts';
import { isAlive } from '../../../lib/processes.ts';
import { repoRoot } from '../../paths.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'dev-stop-test-'));
const pidsDir = join(stateDir, 'pids');
/** Ports of their own, away from a developer's stack and the test stages' stacks. */
const portOffset = '700';
/** A stop's bound: the services drain in a moment when idle; SIGKILL comes after 15 s. */
const stopBoundMs = 20_000;
after(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

interface Dev {
  child: ChildProcess;
  output: () => string;
}

function startDev(): Dev {
  const child = spawn(
    process.execPath,
    ['scripts/local-stack/cli.ts', '--minimal', '--no-watch', '--embedded-s3', '--quiet', '--state-dir', stateDir],
    {
      cwd: repoRoot,
      env: { ...process.env, STACK_PORT_OFFSET: portOffset },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

const untilPrinted = (dev: Dev, text: string) =>
  waitFor(`npm run dev did not print "${text}"`, () => dev.output().includes(text), {
    timeoutMs: 90_000,
    giveUpIf: () => (dev.child.exitCode === null ? undefined : `it exited:\n${dev.output()}`),
  });

/** The pids the stack recorded for its processes. */
const recordedPids = () =>
  existsSync(pidsDir)
    ? readdirSync(pidsDir).map((file) => (JSON.parse(readFileSync(join(pidsDir, file), 'utf8')) as { pid: number }).pid)
    : [];
const recordedNames = () =>
  existsSync(pidsDir) ? readdirSync(pidsDir).map((file) => file.replace(/\.json$/, '')) : [];

// --minimal still runs Redis (auth's login counters) where redis-server is installed; S3 runs in-process.
const withRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined;
const expectedProcesses = ['api', 'auth', 'image', 'postgres', ...(withRedis ? ['redis'] : [])];

async function stopAndCheck(dev: Dev, pids: number[]): Promise<void> {
  const started = Date.now();
  const exited = once(dev.child, 'exit');
  dev.child.kill('SIGTERM');
  const [code] = (await Promise.race([
    exited,
    new Promise((resolve) => setTimeout(resolve, stopBoundMs, ['timeout'])),
  ])) as [number | string];
  if (code === 'timeout') dev.child.kill('SIGKILL');
  assert.equal(
    code,
    0,
    `npm run dev did not exit 0 within ${stopBoundMs / 1000} s (${String(code)}):\n${dev.output()}`,
  );
  assert.ok(Date.now() - started < stopBoundMs);
  assert.deepEqual(pids.filter(isAlive), [], 'processes left running');
  assert.deepEqual(recordedPids(), [], 'pid files left behind');
  assert.equal(existsSync(join(stateDir, 'stack.lock')), false, 'the lock was not released');
}

describe('npm run dev stops, every time', { timeout: 300_000 }, () => {
  it('during start-up', async () => {
    const dev = startDev();
    await untilPrinted(dev, 'starting postgres');
    await stopAndCheck(dev, recordedPids());
  });

  for (const round of [1, 2]) {
    it(`once the platform is up (round ${round})`, async () => {
      const dev = startDev();
      await untilPrinted(dev, 'The platform is up');
      const [pids, names] = [recordedPids(), recordedNames().sort()];
      await stopAndCheck(dev, pids);
      assert.deepEqual(names, expectedProcesses);
      const waves = /stopping api\n.*stopping auth, image\n.*stopping ([a-z0-9, ]+)\n/s.exec(dev.output());
      assert.ok(waves, `dependents stop first:\n${dev.output()}`);
      assert.deepEqual(waves[1]?.split(', ').sort(), ['postgres', ...(withRedis ? ['redis'] : []), 's3']);
    });
  }

  it('when PostgreSQL has already gone behind its back (it used to hang there)', async () => {
    const dev = startDev();
    await untilPrinted(dev, 'The platform is up');
    const pids = recordedPids();
    const postgres = (JSON.parse(readFileSync(join(pidsDir, 'postgres.json'), 'utf8')) as { pid: number }).pid;
    process.kill(postgres, 'SIGKILL');
    await waitFor('postgres did not die', () => !isAlive(postgres), { timeoutMs: 5_000 });
    await stopAndCheck(dev, pids);
  });
});
