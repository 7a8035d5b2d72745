import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Prober } from '../../src/domain/prober.ts';
import { mountProberRoutes } from '../../src/http/routes.ts';

// GET /journeys/last as an operator's curl reads it, from a prober whose last results are set by the test.

const results: { journey?: ReturnType<Prober['last']>; largeUpload?: ReturnType<Prober['lastLargeUpload']> } = {};
const prober: Prober = {
  last: () => results.journey,
  lastLargeUpload: () => results.largeUpload,
  stop: () => Promise.resolve(),
};
let server: Server;
let url: string;

before(async () => {
  const app = express();
  mountProberRoutes(app, prober);
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/journeys/last`;
});
after(() => server.close());

const finishedAt = '2026-12-05T21:00:00.000Z';

describe('GET /journeys/last', () => {
  it('says so before the first journey ends', async () => {
    assert.deepEqual(await (await fetch(url)).json(), { status: 'no journey has finished yet' });
  });

  it("gives the last journey and, once one has run, the last large upload's outcome and throughput", async () => {
    results.journey = { outcome: 'success', durationSeconds: 0.2, finishedAt, leftoverSuspected: false };
    assert.deepEqual(await (await fetch(url)).json(), { outcome: 'success', durationSeconds: 0.2, finishedAt });

    results.largeUpload = {
      outcome: 'failed',
      bytes: 8 * 1024 * 1024,
      uploadSeconds: 0.1,
      mibPerSecond: 0,
      error: 'upload answered 503',
      leftoverSuspected: true,
      finishedAt,
    };
    assert.deepEqual(await (await fetch(url)).json(), {
      outcome: 'success',
      durationSeconds: 0.2,
      finishedAt,
      largeUpload: {
        outcome: 'failed',
        bytes: 8 * 1024 * 1024,
        uploadSeconds: 0.1,
        mibPerSecond: 0,
        error: 'upload answered 503',
        finishedAt,
      },
    });
  });
});
