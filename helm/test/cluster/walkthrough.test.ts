// The seed README's four curl commands, run with curl through the cluster's edge (Traefik, Gateway API)
// over TLS: the only change is the address (the Gateway's host on the node's HTTPS port, trusting the
// edge CA). The downloaded bytes must be the uploaded ones.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../lib/repo.ts';
import { description, report } from './support.ts';

const run = promisify(execFile);
const workdir = mkdtempSync(join(tmpdir(), 'cluster-walkthrough-'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const base = description.edge.url;

/** curl as in the seed, pointed at the edge: --resolve sends the Gateway's host name to the node address. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run(
    'curl',
    [
      '--silent',
      '--show-error',
      '--cacert',
      description.edge.caCertificate,
      '--resolve',
      `${description.edge.host}:${description.edge.port}:${description.edge.address}`,
      '--write-out',
      '\n%{http_code}',
      ...args,
    ],
    { cwd: workdir },
  );
  const lines = stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

describe('the seed walk-through through the edge', () => {
  test('register, login, upload image.png and download it byte for byte, over TLS', async () => {
    const image = join(repoRoot, 'e2e/fixtures/image.png');
    const credentials = '{"username":"testuser","password":"password123"}';

    const registered = await curl([
      '-X',
      'POST',
      `${base}/register`,
      '-H',
      'Content-Type: application/json',
      '-d',
      credentials,
    ]);
    assert.equal(registered.status, 201, registered.body);

    const login = await curl([
      '-X',
      'POST',
      `${base}/login`,
      '-H',
      'Content-Type: application/json',
      '-d',
      credentials,
    ]);
    assert.equal(login.status, 200, login.body);
    const { token } = JSON.parse(login.body) as { token: string };

    const upload = await curl([
      '-X',
      'POST',
      `${base}/upload`,
      '-H',
      `Authorization: Bearer ${token}`,
      '-F',
      `file=@${image}`,
    ]);
    assert.equal(upload.status, 201, upload.body);
    const receipt = JSON.parse(upload.body) as { message: string; filename: string; url: string };
    assert.equal(receipt.message, 'Uploaded successfully');
    assert.equal(receipt.url, `${base}/images/${receipt.filename}`);

    const download = await curl([
      '-X',
      'GET',
      `${base}/images/${receipt.filename}`,
      '-H',
      `Authorization: Bearer ${token}`,
      '-o',
      'downloaded.png',
    ]);
    assert.equal(download.status, 200);
    assert.equal(sha256(join(workdir, 'downloaded.png')), sha256(image));
    report('walkthrough', { edge: 'Traefik Gateway' });
  });

  test("plain HTTP is redirected to HTTPS, and the certificate is the edge CA's for the Gateway host", async () => {
    const { stdout } = await run('curl', [
      '--silent',
      '--output',
      '/dev/null',
      '--write-out',
      '%{http_code} %{redirect_url}',
      '--resolve',
      `${description.edge.host}:30080:${description.edge.address}`,
      `http://${description.edge.host}:30080/healthz`,
    ]);
    assert.match(stdout, /^30[18] https:\/\/platform\.localtest\.me/);
    await assert.rejects(
      run('curl', [
        '--silent',
        '--show-error',
        '--resolve',
        `${description.edge.host}:${description.edge.port}:${description.edge.address}`,
        `${base}/healthz`,
      ]),
      /certificate/,
    );
  });
});
