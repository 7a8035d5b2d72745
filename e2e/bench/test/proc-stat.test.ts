// /proc/<pid>/stat read as the benchmark reads it, checked against what Node knows of itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readProcStat } from '../proc-stat.ts';

describe('readProcStat', () => {
  it("reads this process's parent and a command whose name holds spaces and parentheses", async () => {
    assert.equal(readProcStat(process.pid).parentPid, process.ppid);
    // The command field is the executable's name: one with ') (' in it must not shift the fields.
    const dir = mkdtempSync(join(tmpdir(), 'proc-stat-'));
    const oddName = join(dir, 'odd ) ( name');
    copyFileSync('/bin/sleep', oddName);
    const child = spawn(oddName, ['5']);
    await once(child, 'spawn');
    try {
      assert.match(readFileSync(`/proc/${child.pid}/stat`, 'utf8'), /\(odd \) \( name\)/);
      assert.equal(readProcStat(child.pid ?? 0).parentPid, process.pid);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true });
    }
  });
});
