import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHttpApp, createLogger, Readiness } from '@platform/runtime';
import { createCounterStore } from '../../src/data-access/counter-store.ts';
import type { User, UserRepository } from '../../src/data-access/user-repository.ts';
import { createAccounts } from '../../src/domain/accounts.ts';
import { createAttemptLimits } from '../../src/domain/attempt-limits.ts';
import { boundedHasher } from '../../src/domain/bounded-hasher.ts';
import type { PasswordHasher } from '../../src/domain/password-hasher.ts';
import { createTokenIssuer } from '../../src/domain/token-issuer.ts';
import { mountAuthRoutes } from '../../src/http/routes.ts';

// The auth routes in this process over users in memory and a stand-in hasher ("hash:<password>"),
// with the real limits, queue and trust-proxy setting, so each policy is seen as clients see it.

/** Hashing waits while `hold` is set: a stand-in for argon2 runs that take long. */
let hold: Promise<void> | undefined;
const fakeHasher: PasswordHasher = {
  hash: async (password) => {
    await hold;
    return `hash:${password}`;
  },
  verify: async (hash, password) => {
    await hold;
    return hash === `hash:${password}`;
  },
  verifyNothing: async () => {
    await hold;
    return false;
  },
};

function usersInMemory(): UserRepository {
  const users = new Map<string, User>();
  return {
    create: ({ username, passwordHash }) => {
      if (users.has(username)) return Promise.resolve(null);
      const user = { id: crypto.randomUUID(), username, passwordHash, createdAt: new Date() } as User;
      users.set(username, user);
      return Promise.resolve(user);
    },
    findByUsername: (username) => Promise.resolve(users.get(username) ?? null),
  };
}

const queue = { concurrency: 1, queueLimit: 2 };
/** Calls that reached the bounded hasher (running, waiting or refused). */
let hasherCalls = 0;
function counted(hasher: PasswordHasher): PasswordHasher {
  const count = <T>(work: () => Promise<T>) => {
    hasherCalls += 1;
    return work();
  };
  return {
    hash: (password) => count(() => hasher.hash(password)),
    verify: (hash, password) => count(() => hasher.verify(hash, password)),
    verifyNothing: (password) => count(() => hasher.verifyNothing(password)),
  };
}
let base: string;
let server: Server;

before(async () => {
  const logger = createLogger('auth', 'silent');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tokens = await createTokenIssuer({
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    issuer: 'platform-auth',
    audience: 'platform',
    ttlSeconds: 900,
  });
  const counters = createCounterStore({ redisUrl: undefined, commandTimeoutMs: 250, logger });
  const limits = createAttemptLimits(
    {
      failuresPerPair: 3,
      failureWindowSeconds: 900,
      slowdown: { afterFailures: 4, initialMs: 1, maxMs: 2 },
      attemptsPerClient: 100,
      attemptWindowSeconds: 60,
      registrationsPerClient: 5,
      registrationWindowSeconds: 3_600,
    },
    counters.counter,
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  const app = createHttpApp({
    service: 'auth',
    logger,
    readiness: new Readiness([], 1_000),
    trustProxy: 'loopback',
    routes: (routes) => {
      mountAuthRoutes(routes, {
        accounts: createAccounts(usersInMemory(), counted(boundedHasher(fakeHasher, queue))),
        tokens,
        commonPasswords: new Set(),
        limits,
      });
    },
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
});

let clients = 0;
/** A client address of its own, as the gateway would forward it. */
const newClient = () => `192.0.2.${(clients += 1)}`;

const post = (path: '/register' | '/login', client: string, body: { username: string; password: string }) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify(body),
  });

async function registered(username: string) {
  const credentials = { username, password: 'correct horse battery staple' };
  assert.equal((await post('/register', newClient(), credentials)).status, 201);
  return credentials;
}

async function expectProblem(response: Response, status: number) {
  assert.equal(response.status, status, await response.clone().text());
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(((await response.json()) as { status: number }).status, status);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter > 0, `Retry-After: ${response.headers.get('retry-after')}`);
}

describe('POST /login', () => {
  it('answers a token with Cache-Control: no-store and Pragma: no-cache', async () => {
    const alice = await registered('alice');
    const response = await post('/login', newClient(), alice);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
  });

  it("locks out the guessing client's pair with 429 and Retry-After, while the owner logs in from their own", async () => {
    const bob = await registered('bob');
    const attacker = newClient();
    for (let guess = 0; guess < 3; guess += 1) {
      assert.equal((await post('/login', attacker, { ...bob, password: `guess ${guess}` })).status, 401);
    }
    await expectProblem(await post('/login', attacker, { ...bob, password: 'guess 3' }), 429);
    await expectProblem(await post('/login', attacker, bob), 429);

    assert.equal((await post('/login', newClient(), bob)).status, 200);
  });

  it('counts clients by the forwarded address: guesses spread over addresses slow the username down, never lock it', async () => {
    const carol = await registered('carol');
    for (let guess = 0; guess < 8; guess += 1) {
      const response = await post('/login', newClient(), { ...carol, password: `guess ${guess}` });
      assert.equal(response.status, 401);
    }
    assert.equal((await post('/login', newClient(), carol)).status, 200);
  });
});

describe('POST /register', () => {
  it('answers the account with Cache-Control: no-store and Pragma: no-cache', async () => {
    const response = await post('/register', newClient(), { username: 'dave', password: 'correct horse battery' });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
  });

  it('refuses a flood from one client with 429 and Retry-After; another client still registers', async () => {
    const flood = newClient();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await post('/register', flood, { username: `flood-${attempt}`, password: 'correct horse' });
      assert.equal(response.status, 201);
    }
    await expectProblem(await post('/register', flood, { username: 'flood-5', password: 'correct horse' }), 429);
    assert.equal(
      (await post('/register', newClient(), { username: 'flood-5', password: 'correct horse' })).status,
      201,
    );
  });
});

describe('the password hashing queue', () => {
  it('answers 503 with Retry-After when full, instead of piling up hashes', { timeout: 30_000 }, async () => {
    const { promise, resolve: release } = Promise.withResolvers<undefined>();
    hold = promise;
    hasherCalls = 0;
    const admitted = [1, 2, 3].map((n) =>
      post('/register', newClient(), { username: `queued-${n}`, password: 'correct horse' }),
    );
    // One hashing and two waiting fill the queue: the next is refused at once.
    while (hasherCalls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await expectProblem(await post('/login', newClient(), { username: 'queued-1', password: 'correct horse' }), 503);
    hold = undefined;
    release(undefined);
    assert.deepEqual(
      (await Promise.all(admitted)).map((response) => response.status),
      [201, 201, 201],
    );
  });
});
