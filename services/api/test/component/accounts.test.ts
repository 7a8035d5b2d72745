import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { fetch, type Response } from 'undici';
import { authOrigin, json, problem, problemJson, startGateway, type Gateway } from './gateway.ts';

let gateway: Gateway;
before(async () => {
  gateway = await startGateway();
});
afterEach(() => {
  assert.deepEqual(gateway.unusedAnswers(), []);
});
after(async () => {
  await gateway.stop();
});

const credentials = { username: 'alice', password: 'correct horse battery staple' };
const account = { id: '3b241101-e2bb-4255-8caf-4136c566a962', username: 'alice' };

const post = (path: '/register' | '/login') =>
  fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });

/** The auth service's next answer to POST `path`, given only if the credentials were forwarded as sent. */
const authAnswers = (path: '/register' | '/login') =>
  gateway.upstreams.get(authOrigin).intercept({ method: 'POST', path, body: JSON.stringify(credentials) });

describe('POST /register and POST /login', () => {
  it('When registering, Then the account the auth service created is answered 201', async () => {
    authAnswers('/register').reply(201, account, { headers: json });

    const response = await post('/register');

    assert.equal(response.status, 201);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    assert.deepEqual(await response.json(), account);
  });

  it('When logging in, Then the token the auth service issued is answered 200', async () => {
    const token = { token: 'header.payload.signature', expiresIn: 900 };
    authAnswers('/login').reply(200, token, { headers: json });

    const response = await post('/login');

    assert.equal(response.status, 200);
    // A token must not be kept by any cache on the way.
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    assert.deepEqual(await response.json(), token);
  });

  it('When the auth service answers a 4xx problem, Then its status and body reach the client unchanged', async () => {
    const invalid = {
      ...problem(400, 'invalid-request', 'Invalid request', 'The request body is invalid.'),
      errors: [{ field: 'password', message: 'is too common' }],
    };
    authAnswers('/register').reply(400, invalid, { headers: problemJson });

    const response = await post('/register');

    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(await response.json(), invalid);
  });

  it('When the auth service answers 503 with Retry-After, Then the client gets all three', async () => {
    const unavailable = problem(503, 'service-unavailable', 'Service unavailable', 'The database is unavailable.');
    authAnswers('/login').reply(503, unavailable, { headers: { ...problemJson, 'retry-after': '7' } });

    const response = await post('/login');

    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.deepEqual(await response.json(), unavailable);
  });

  it('When the auth service answers 401 with WWW-Authenticate, Then the header comes with the problem', async () => {
    const rejected = problem(401, 'invalid-credentials', 'Invalid credentials', 'The password is incorrect.');
    authAnswers('/login').reply(401, rejected, { headers: { ...problemJson, 'www-authenticate': 'Basic' } });

    const response = await post('/login');

    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic');
    assert.deepEqual(await response.json(), rejected);
  });
});

describe('what auth needs for its limits', () => {
  const from = (forwardedFor: string) =>
    fetch(`${gateway.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify(credentials),
    });
  const authSees = (clientAddress: string) =>
    gateway.upstreams.get(authOrigin).intercept({
      method: 'POST',
      path: '/login',
      body: JSON.stringify(credentials),
      headers: { 'x-forwarded-for': clientAddress },
    });
  const token = { token: 'header.payload.signature', expiresIn: 900 };

  it('When a client calls through the trusted proxy, Then auth gets its address as the only X-Forwarded-For entry', async () => {
    authSees('203.0.113.9').reply(200, token, { headers: json });

    // The local ingress on loopback is trusted: the entry before it is the client. Whatever the
    // client itself put first is not passed on.
    const response = await from('198.51.100.1, 203.0.113.9');

    assert.equal(response.status, 200);
  });

  it('When no proxy forwarded the call, Then auth gets the peer address itself', async () => {
    authSees('127.0.0.1').reply(200, token, { headers: json });
    const response = await post('/login');
    assert.equal(response.status, 200);
  });

  it('When auth refuses with 429 and Retry-After, Then the client gets both', async () => {
    const limited = problem(429, 'too-many-requests', 'Too many requests', 'Too many failed logins.');
    authAnswers('/login').reply(429, limited, { headers: { ...problemJson, 'retry-after': '840' } });

    const response = await post('/login');

    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '840');
    assert.deepEqual(await response.json(), limited);
  });
});

describe('an auth service that breaks its contract', () => {
  const expectBadGateway = async (response: Response) => {
    assert.equal(response.status, 502);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.partialDeepStrictEqual(await response.json(), {
      type: 'https://platform.example/problems/bad-gateway',
      title: 'Bad gateway',
      status: 502,
    });
  };

  it('When it answers malformed JSON, Then the client gets a 502 problem', async () => {
    authAnswers('/login').reply(200, '{"token": "abc", "expi', { headers: json });
    await expectBadGateway(await post('/login'));
  });

  it('When it answers JSON of an unexpected shape, Then the client gets a 502 problem', async () => {
    authAnswers('/register').reply(201, { id: 42, name: 'alice' }, { headers: json });
    await expectBadGateway(await post('/register'));
  });

  it('When it answers an error that is not a problem document, Then the client gets a 502 problem', async () => {
    authAnswers('/login').reply(500, '<html>Server Error</html>', { headers: { 'content-type': 'text/html' } });
    await expectBadGateway(await post('/login'));
  });

  it('When it answers a status the call does not expect, Then the client gets a 502 problem', async () => {
    authAnswers('/register').reply(200, account, { headers: json });
    await expectBadGateway(await post('/register'));
  });
});

describe('an unreachable auth service', () => {
  it('When the connection is refused, Then the client gets a 503 problem naming it, with Retry-After', async () => {
    authAnswers('/login').replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

    const response = await post('/login');

    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const detail = 'The auth service is unavailable.';
    assert.deepEqual(await response.json(), problem(503, 'service-unavailable', 'Service unavailable', detail));
  });
});
