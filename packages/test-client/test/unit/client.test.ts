import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../src/client.ts';
import { newCredentials } from '../../src/fixtures.ts';
import { UnexpectedStatus } from '../../src/unexpected-status.ts';

/**
 * The typed calls are what suites trust to have exercised the API: each must throw on any answer
 * but the one it expects, a failure as much as a success with another status.
 */
describe('ApiClient', () => {
  let answer = { status: 503, body: '{"title":"Service unavailable"}' };
  let server: Server;
  let client: ApiClient;

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const calls: Record<string, (client: ApiClient) => Promise<unknown>> = {
    register: (api) => api.register(newCredentials()),
    login: (api) => api.login(newCredentials()),
    newAccount: (api) => api.newAccount(),
    upload: (api) => api.upload('token'),
    download: (api) => api.download('token', 'image.png'),
    list: (api) => api.list('token'),
    delete: (api) => api.delete('token', 'image.png'),
  };

  for (const [name, call] of Object.entries(calls)) {
    it(`${name} throws on a failed answer, with its status and problem`, async () => {
      answer = { status: 503, body: '{"title":"Service unavailable"}' };
      await assert.rejects(call(client), (error: unknown) => {
        assert.ok(error instanceof UnexpectedStatus);
        assert.equal(error.status, 503);
        assert.match(error.problem, /Service unavailable/);
        return true;
      });
    });

    it(`${name} throws on a success of another kind than it expects`, async () => {
      answer = { status: 202, body: '{}' };
      await assert.rejects(call(client), UnexpectedStatus);
    });
  }
});
