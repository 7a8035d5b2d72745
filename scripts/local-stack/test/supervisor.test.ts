import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlive } from '../../lib/processes.ts';
import { dependencyWaves, startComponents, type Component } from '../supervisor.ts';

const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const folders = (name: string) => ({
  logsDir: join(dir, name, 'logs'),
  pidsDir: join(dir, name, 'pids'),
  onProgress: () => undefined,
});

/** An in-process component that records when it starts and stops. */
const recorded = (events: string[], name: string, needs: string[] = []): Component => ({
  name,
  needs,
  inProcess: {
    start: () => {
      events.push(`start ${name}`);
      return Promise.resolve();
    },
    stop: () => {
      events.push(`stop ${name}`);
      return Promise.resolve();
    },
  },
});

/** A Node process running `code`. */
const node = (name: string, code: string, extra: Partial<Component> = {}): Component => ({
  name,
  process: { command: process.execPath, args: ['-e', code] },
  ...extra,
});

describe('dependency order', () => {
  it('groups components into waves that need only earlier waves', () => {
    const events: string[] = [];
    const waves = dependencyWaves([
      recorded(events, 'api', ['auth', 'image']),
      recorded(events, 'auth', ['database']),
      recorded(events, 'image', ['database', 's3']),
      recorded(events, 'database', ['postgres']),
      recorded(events, 'postgres'),
      recorded(events, 's3'),
    ]);
    assert.deepEqual(
      waves.map((wave) => wave.map(({ name }) => name)),
      [['postgres', 's3'], ['database'], ['auth', 'image'], ['api']],
    );
  });

  it('refuses unknown needs and cycles, naming them', () => {
    assert.throws(() => dependencyWaves([recorded([], 'a', ['b'])]), /a needs unknown components: b/);
    assert.throws(() => dependencyWaves([recorded([], 'a', ['b']), recorded([], 'b', ['a'])]), /need each other: a, b/);
  });

  it('starts dependencies first and stops them last', async () => {
    const events: string[] = [];
    const supervisor = await startComponents(
      [recorded(events, 'api', ['store']), recorded(events, 'store'), recorded(events, 'ingress', ['api'])],
      folders('order'),
    );
    await supervisor.stop();
    assert.deepEqual(events, ['start store', 'start api', 'start ingress', 'stop ingress', 'stop api', 'stop store']);
  });

  it('leaves skipped components out, and what needs them still starts', async () => {
    const events: string[] = [];
    const supervisor = await startComponents(
      [{ ...recorded(events, 'postgres'), skipped: 'external' }, recorded(events, 'database', ['postgres'])],
      folders('skipped'),
    );
    await supervisor.stop();
    assert.deepEqual(events, ['start database', 'stop database']);
  });
});

describe('stopping', () => {
  it('kills a process that ignores the stop signal once its grace is over', async () => {
    const log = join(dir, 'stubborn', 'logs', 'stubborn.log');
    const stubborn = node(
      'stubborn',
      "process.on('SIGTERM', () => {}); console.log('ignoring SIGTERM'); setInterval(() => {}, 1000)",
      {
        stopGraceMs: 300,
        ready: () => Promise.resolve(existsSync(log) && readFileSync(log, 'utf8').includes('ignoring')),
      },
    );
    const supervisor = await startComponents([stubborn], folders('stubborn'));
    const pid = supervisor.pid('stubborn');
    assert.ok(pid !== undefined && isAlive(pid));
    const started = Date.now();
    await supervisor.stop();
    const took = Date.now() - started;
    assert.ok(took >= 300 && took < 3_000, `stopped after ${took} ms`);
    assert.equal(isAlive(pid), false);
  });

  it('returns at once for a process that already exited by itself', async () => {
    const supervisor = await startComponents([node('short-lived', 'setTimeout(() => {}, 50)')], folders('exited'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    await supervisor.stop();
    assert.ok(Date.now() - started < 500, `stopped after ${Date.now() - started} ms`);
  });

  it('removes the pid file when the process exits', async () => {
    const supervisor = await startComponents([node('sleeper', 'setInterval(() => {}, 1000)')], folders('pids'));
    const pidFile = join(dir, 'pids', 'pids', 'sleeper.json');
    assert.equal((JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid, supervisor.pid('sleeper'));
    await supervisor.stop();
    assert.equal(existsSync(pidFile), false);
  });
});

describe('start-up failures', () => {
  it('names a component that exits before it is ready, and stops what had started', async () => {
    const events: string[] = [];
    const failing = node('crashing', 'process.exit(3)', { needs: ['store'], ready: () => Promise.resolve(false) });
    await assert.rejects(
      startComponents([recorded(events, 'store'), failing], folders('crash')),
      /crashing is not ready.*exited \(code 3\)/s,
    );
    assert.deepEqual(events, ['start store', 'stop store']);
  });

  it('gives up when asked to stop during start-up', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const never = node('never-ready', 'setInterval(() => {}, 1000)', {
      needs: ['store'],
      ready: () => Promise.resolve(false),
    });
    const starting = startComponents([recorded(events, 'store'), never], {
      ...folders('abort'),
      signal: controller.signal,
    });
    setTimeout(() => {
      controller.abort();
    }, 300);
    await assert.rejects(starting, /stop requested/);
    assert.deepEqual(events, ['start store', 'stop store']);
  });
});

describe('restarting one component', () => {
  it('starts it again with the changed environment', async () => {
    const log = join(dir, 'restart', 'logs', 'printer.log');
    const printed = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    let expectedLines = 1;
    const printer: Component = {
      name: 'printer',
      process: {
        command: process.execPath,
        args: ['-e', 'console.log(process.env.GREETING); setInterval(() => {}, 1000)'],
        env: () => ({ GREETING: 'hello' }),
      },
      ready: () => Promise.resolve(printed().length === expectedLines),
    };
    const supervisor = await startComponents([printer], folders('restart'));
    await supervisor.stopComponent('printer');
    expectedLines = 2;
    await supervisor.startComponent('printer', { GREETING: 'again' });
    assert.equal(supervisor.env('printer')['GREETING'], 'again');
    await assert.rejects(supervisor.startComponent('printer'), /already running/);
    await supervisor.stop();
    assert.deepEqual(printed(), ['hello', 'again']);
  });
});
