import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { fixtureImage, multipart, uniqueUsername } from '@platform/test-client';
import { base64url, importPKCS8, SignJWT } from 'jose';
import { expectContract } from '../support/contract.ts';
import { expectProblem, expectStackHealthy, randomClientAddress, rawRequest } from '../support/hostile.ts';
import { apiClient, runningStack } from '../support/stack.ts';

// Hostile input at every public endpoint. Each case asserts the exact status and a problem+json
// body; after each, every service must still be ready and a legitimate download still work.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const json = { 'Content-Type': 'application/json' };

let owner: { token: string; filename: string };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

test.beforeAll(async () => {
  const client = apiClient();
  const { token } = await client.newAccount('owner');
  owner = { token, filename: (await client.upload(token)).filename };
});

test.afterEach(async ({ request }) => {
  await expectStackHealthy(request);
  const download = await request.get(`/images/${owner.filename}`, { headers: bearer(owner.token) });
  expect(download.status()).toBe(200);
  expect(sha256(await download.body())).toBe(sha256(fixtureImage));
});

test.describe('register and login bodies', () => {
  const malformedBodies: Array<[string, string, number]> = [
    ['malformed JSON', '{"username": "a", ', 400],
    ['an empty body', '', 400],
    ['a JSON array', '[]', 400],
    ['a JSON string', '"username"', 400],
    ['JSON null', 'null', 400],
    ['wrong types', '{"username": 12345, "password": true}', 400],
    ['operator objects', '{"username": {"$ne": null}, "password": {"$gt": ""}}', 400],
    ['fields only on __proto__', '{"__proto__": {"username": "admin", "password": "correct horse battery"}}', 400],
    ['fields only on constructor.prototype', '{"constructor": {"prototype": {"username": "admin"}}}', 400],
  ];
  for (const [name, body, status] of malformedBodies) {
    test(`register with ${name} answers ${status}`, async ({ request }) => {
      const response = await request.post('/register', { headers: json, data: body });
      await expectProblem(response, status);
      await expectContract(response, 'post', '/register');
    });
  }

  test('login with an operator object as the password answers 400, not a login', async ({ request }) => {
    const { username } = await apiClient().newAccount();
    const response = await request.post('/login', {
      headers: json,
      data: JSON.stringify({ username, password: { $ne: null } }),
    });
    await expectProblem(response, 400);
  });

  test('a __proto__ key next to valid fields pollutes nothing and is not echoed', async ({ request }) => {
    const username = uniqueUsername('proto');
    const response = await request.post('/register', {
      headers: json,
      data: `{"username": "${username}", "password": "correct horse battery", "__proto__": {"isAdmin": true}}`,
    });
    expect(response.status()).toBe(201);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['id', 'username']);
  });

  test('an over-long username answers 400 naming the field', async ({ request }) => {
    const problem = await expectProblem(
      await request.post('/register', { data: { username: 'a'.repeat(300), password: 'correct horse battery' } }),
      400,
    );
    expect(problem.errors?.map((error) => error.field)).toEqual(['username']);
  });

  test('an over-long password answers 400 naming the field', async ({ request }) => {
    const problem = await expectProblem(
      await request.post('/register', { data: { username: uniqueUsername(), password: 'p'.repeat(2_000) } }),
      400,
    );
    expect(problem.errors?.map((error) => error.field)).toEqual(['password']);
  });

  test('a body over 4 KiB answers 413', async ({ request }) => {
    const response = await request.post('/register', {
      headers: json,
      data: JSON.stringify({ username: uniqueUsername(), password: 'x'.repeat(8_000) }),
    });
    await expectProblem(response, 413);
    await expectContract(response, 'post', '/register');
  });

  test('text/plain answers 415', async ({ request }) => {
    const response = await request.post('/register', {
      headers: { 'Content-Type': 'text/plain' },
      data: '{"username":"abc","password":"correct horse"}',
    });
    await expectProblem(response, 415);
  });

  test('multipart credentials answer 415', async ({ request }) => {
    await expectProblem(
      await request.post('/login', { multipart: { username: 'abc', password: 'correct horse' } }),
      415,
    );
  });
});

test.describe('username and password rules', () => {
  for (const [name, username] of [
    ['too short', 'ab'],
    ['with spaces and punctuation', 'bad name!'],
    ['with a right-to-left override', 'x\u202Eadmin'],
    ['in Cyrillic look-alike letters', 'аdmin'],
    ['with a path in it', '../admin'],
  ] as const) {
    test(`a username ${name} answers 400`, async ({ request }) => {
      const problem = await expectProblem(
        await request.post('/register', { data: { username, password: 'correct horse battery' } }),
        400,
      );
      expect(problem.errors?.map((error) => error.field)).toEqual(['username']);
    });
  }

  test('a look-alike of a taken name (full-width, upper case, ligature) answers 409', async ({ request }) => {
    const username = `fi${uniqueUsername('sh')}`;
    expect((await request.post('/register', { data: { username, password: 'correct horse battery' } })).status()).toBe(
      201,
    );
    for (const lookAlike of [username.toUpperCase(), `\uFB01${username.slice(2)}`]) {
      await expectProblem(
        await request.post('/register', { data: { username: lookAlike, password: 'correct horse battery' } }),
        409,
      );
    }
  });

  test('a password under 8 characters answers 400', async ({ request }) => {
    const problem = await expectProblem(
      await request.post('/register', { data: { username: uniqueUsername(), password: 'short1' } }),
      400,
    );
    expect(problem.errors?.map((error) => error.field)).toEqual(['password']);
  });

  for (const common of ['password', '12345678', 'iloveyou', 'Sunshine']) {
    test(`the common password "${common}" answers 400`, async ({ request }) => {
      const problem = await expectProblem(
        await request.post('/register', { data: { username: uniqueUsername(), password: common } }),
        400,
      );
      expect(problem.errors?.map((error) => error.field)).toEqual(['password']);
    });
  }
});

test.describe('login answers and limits', () => {
  test('unknown user and wrong password: the same body, and similar timing', async ({ request }) => {
    const { username } = await apiClient().newAccount();
    const timed = async (credentials: { username: string; password: string }) => {
      const started = performance.now();
      const response = await request.post('/login', {
        headers: { 'X-Forwarded-For': randomClientAddress() },
        data: credentials,
      });
      const elapsed = performance.now() - started;
      return { elapsed, body: (await expectProblem(response, 401)) as object };
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 7; round += 1) {
      const a = await timed({ username, password: `wrong password ${round}` });
      const b = await timed({ username: uniqueUsername('ghost'), password: 'wrong password' });
      expect(b.body).toEqual(a.body);
      wrong.push(a.elapsed);
      unknown.push(b.elapsed);
    }
    const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
    // Without the decoy hash an unknown user answers in ~1 ms against tens of ms for a real check
    // (a ratio near 0.05); the bounds are wide because a loaded machine makes single calls noisy.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(1 / 3);
    expect(median(unknown) / median(wrong)).toBeLessThan(3);
  });

  test('too many failed logins for one username from one client answer 429 with Retry-After, for that pair only', async ({
    request,
  }) => {
    const { username, password } = await apiClient().newAccount();
    const attacker = { 'X-Forwarded-For': randomClientAddress() };
    let response = await request.post('/login', { headers: attacker, data: { username, password: 'wrong password' } });
    for (let attempt = 1; response.status() === 401 && attempt <= 20; attempt += 1) {
      response = await request.post('/login', { headers: attacker, data: { username, password: 'wrong password' } });
    }
    await expectProblem(response, 429);
    await expectContract(response, 'post', '/login');
    expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
    // The lockout is the guessing client's: the owner's right password from another client logs in.
    const owner = await request.post('/login', {
      headers: { 'X-Forwarded-For': randomClientAddress() },
      data: { username, password },
    });
    expect(owner.status()).toBe(200);
  });

  test('a client locked out of one username still gets plain 401s for others', async ({ request }) => {
    const client = { 'X-Forwarded-For': randomClientAddress() };
    const username = uniqueUsername('ghost');
    let response = await request.post('/login', { headers: client, data: { username, password: 'wrong password' } });
    for (let attempt = 1; response.status() === 401 && attempt <= 40; attempt += 1) {
      response = await request.post('/login', { headers: client, data: { username, password: 'wrong password' } });
    }
    await expectProblem(response, 429);
    expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
    // Another username from the same client, and the same username from another client, are not affected.
    await expectProblem(
      await request.post('/login', {
        headers: client,
        data: { username: uniqueUsername('ghost'), password: 'wrong password' },
      }),
      401,
    );
    await expectProblem(
      await request.post('/login', {
        headers: { 'X-Forwarded-For': randomClientAddress() },
        data: { username, password: 'wrong password' },
      }),
      401,
    );
  });
});

test.describe('bearer tokens', () => {
  const claims = { issuer: 'platform-auth', audience: 'platform' };
  const signingKey = async () =>
    importPKCS8(readFileSync(runningStack().services.auth.env['JWT_SIGNING_KEY_FILE'] ?? '', 'utf8'), 'ES256');
  const realKid = async (request: APIRequestContext) =>
    (
      (await (await request.get(`${runningStack().services.auth.url}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      }
    ).keys[0]?.kid ?? '';
  const signed = async (
    request: APIRequestContext,
    change: (jwt: SignJWT) => SignJWT,
    key?: Parameters<SignJWT['sign']>[0],
    kid?: string,
  ) =>
    change(
      new SignJWT({ username: 'someone' })
        .setProtectedHeader({ alg: 'ES256', kid: kid ?? (await realKid(request)) })
        .setSubject('00000000-0000-4000-8000-000000000000')
        .setIssuedAt(),
    ).sign(key ?? (await signingKey()));

  const forgeries: Array<[string, (request: APIRequestContext) => Promise<Record<string, string>>]> = [
    ['no Authorization header', () => Promise.resolve({})],
    ['an empty bearer token', () => Promise.resolve({ Authorization: 'Bearer ' })],
    ['the wrong scheme', () => Promise.resolve({ Authorization: `Token ${owner.token}` })],
    ['a malformed token', () => Promise.resolve({ Authorization: 'Bearer abc.def' })],
    [
      'alg: none',
      () => {
        const part = (value: object) => base64url.encode(JSON.stringify(value));
        return Promise.resolve({
          Authorization: `Bearer ${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'x', iss: claims.issuer, aud: claims.audience, exp: 4_102_444_800 })}.`,
        });
      },
    ],
    [
      'HS256 signed with a guessed secret',
      async (request) =>
        bearer(
          await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256', kid: await realKid(request) })
            .setSubject('x')
            .setIssuer(claims.issuer)
            .setAudience(claims.audience)
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode('secret')),
        ),
    ],
    [
      'tampered claims',
      () => {
        const [header, payload, signature] = owner.token.split('.') as [string, string, string];
        const claimsSet = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
        return Promise.resolve(
          bearer(
            `${header}.${base64url.encode(JSON.stringify({ ...claimsSet, sub: '00000000-0000-4000-8000-000000000000' }))}.${signature}`,
          ),
        );
      },
    ],
    [
      'an expired token',
      async (request) =>
        bearer(
          await signed(request, (jwt) =>
            jwt.setIssuer(claims.issuer).setAudience(claims.audience).setIssuedAt('-2h').setExpirationTime('-1h'),
          ),
        ),
    ],
    [
      'the wrong issuer',
      async (request) =>
        bearer(
          await signed(request, (jwt) =>
            jwt.setIssuer('someone-else').setAudience(claims.audience).setExpirationTime('5m'),
          ),
        ),
    ],
    [
      'the wrong audience',
      async (request) =>
        bearer(
          await signed(request, (jwt) =>
            jwt.setIssuer(claims.issuer).setAudience('another-api').setExpirationTime('5m'),
          ),
        ),
    ],
    [
      'no expiry',
      async (request) =>
        bearer(await signed(request, (jwt) => jwt.setIssuer(claims.issuer).setAudience(claims.audience))),
    ],
    [
      'an unknown kid',
      async (request) =>
        bearer(
          await signed(
            request,
            (jwt) => jwt.setIssuer(claims.issuer).setAudience(claims.audience).setExpirationTime('5m'),
            generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
            'not-a-known-kid',
          ),
        ),
    ],
  ];

  for (const [name, headers] of forgeries) {
    test(`${name} answers 401 with the one unauthorized body`, async ({ request }) => {
      const baseline = (await request.get('/images')).json();
      const response = await request.get('/images', { headers: await headers(request) });
      await expectProblem(response, 401);
      expect(response.headers()['www-authenticate']).toBe('Bearer');
      expect(await response.json()).toEqual(await baseline);
      await expectContract(response, 'get', '/images');
    });
  }

  test('a token signed with the real key and the right claims is accepted (the forgeries differ only in what they break)', async ({
    request,
  }) => {
    const response = await request.get('/images', {
      headers: bearer(
        await signed(request, (jwt) =>
          jwt.setIssuer(claims.issuer).setAudience(claims.audience).setExpirationTime('5m'),
        ),
      ),
    });
    expect(response.status()).toBe(200);
  });
});

test.describe('uploads', () => {
  const upload = (request: APIRequestContext, body: { body: Buffer; contentType: string }) =>
    request.post('/upload', { headers: { ...bearer(owner.token), 'Content-Type': body.contentType }, data: body.body });

  test('no file, only a text field, answers 400', async ({ request }) => {
    await expectProblem(await upload(request, multipart([{ name: 'note', content: 'hello' }])), 400);
  });

  test('the file in the wrong field answers 400', async ({ request }) => {
    await expectProblem(
      await upload(
        request,
        multipart([{ name: 'image', filename: 'image.png', contentType: 'image/png', content: fixtureImage }]),
      ),
      400,
    );
  });

  test('two files answer 400 and store neither', async ({ request }) => {
    const before = await listNames(request, owner.token);
    const file = { name: 'file', filename: 'image.png', contentType: 'image/png', content: fixtureImage };
    await expectProblem(await upload(request, multipart([file, file])), 400);
    expect(await listNames(request, owner.token)).toEqual(before);
  });

  test('a zero-byte file answers 400', async ({ request }) => {
    await expectProblem(
      await upload(
        request,
        multipart([{ name: 'file', filename: 'empty.png', contentType: 'image/png', content: Buffer.alloc(0) }]),
      ),
      400,
    );
  });

  test('a truncated multipart body answers 400 and stores nothing', async ({ request }) => {
    const before = await listNames(request, owner.token);
    const whole = multipart([{ name: 'file', filename: 'image.png', contentType: 'image/png', content: fixtureImage }]);
    await expectProblem(
      await upload(request, { ...whole, body: whole.body.subarray(0, whole.body.length - 200) }),
      400,
    );
    expect(await listNames(request, owner.token)).toEqual(before);
  });

  test('multipart without a boundary answers 400', async ({ request }) => {
    await expectProblem(
      await upload(request, {
        ...multipart([{ name: 'file', filename: 'image.png', content: fixtureImage }]),
        contentType: 'multipart/form-data',
      }),
      400,
    );
  });

  test('a JSON body answers 415', async ({ request }) => {
    await expectProblem(
      await request.post('/upload', { headers: { ...bearer(owner.token), ...json }, data: '{"file": "image.png"}' }),
      415,
    );
  });

  for (const [name, content] of [
    ['HTML named image.png', Buffer.from('<html><script>alert(1)</script></html>')],
    [
      'an SVG (script-capable) named image.png',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
    ['a PDF named image.png', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000, 0x20)])],
  ] as const) {
    test(`${name}, declared image/png, answers 415`, async ({ request }) => {
      await expectProblem(
        await upload(request, multipart([{ name: 'file', filename: 'image.png', contentType: 'image/png', content }])),
        415,
      );
    });
  }

  test('the stored content type is the sniffed one, not the declared one', async ({ request }) => {
    const gif = Buffer.concat([
      Buffer.from('GIF89a'),
      Buffer.from([1, 0, 1, 0, 0, 0, 0]),
      Buffer.from(',\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;', 'latin1'),
    ]);
    const response = await upload(
      request,
      multipart([{ name: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', content: gif }]),
    );
    expect(response.status()).toBe(201);
    const { filename } = (await response.json()) as { filename: string };
    const download = await request.get(`/images/${filename}`, { headers: bearer(owner.token) });
    expect(download.headers()['content-type']).toBe('image/gif');
  });

  test('a declared Content-Length over the limit answers 413 before any byte is stored', async ({ request }) => {
    const before = await listNames(request, owner.token);
    const response = await rawRequest(
      `POST /upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${owner.token}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${2 ** 40}\r\nConnection: close\r\n\r\n--x\r\n`,
    );
    expect(response.status).toBe(413);
    expect(response.headers.toLowerCase()).toContain('content-type: application/problem+json');
    expect(await listNames(request, owner.token)).toEqual(before);
  });

  for (const [name, hostile] of [
    ['path separators and ..', '../../etc/passwd.png'],
    ['Windows separators', '..\\..\\windows\\system32\\evil.png'],
    ['control characters and terminal escapes', 'evil\u0001\u0007\u001b[31m\ttab.png'],
    ['a right-to-left override', 'image\u202Egnp.exe'],
    ['a very long name', `${'a'.repeat(1_000)}.png`],
    ['non-Latin Unicode', '写真 ☃.png'],
  ] as const) {
    test(`a file name with ${name} is stored under a safe name`, async ({ request }) => {
      const response = await upload(
        request,
        multipart([{ name: 'file', filename: hostile, contentType: 'image/png', content: fixtureImage }]),
      );
      expect(response.status()).toBe(201);
      const { filename } = (await response.json()) as { filename: string };
      expect(filename).toMatch(/^[0-9a-f-]{36}_[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/);
      expect(filename).not.toContain('..');
      expect(
        (await request.get(`/images/${encodeURIComponent(filename)}`, { headers: bearer(owner.token) })).status(),
      ).toBe(200);
    });
  }
});

test.describe('retrieval', () => {
  for (const path of [
    '/images/../../etc/passwd',
    '/images/..%2F..%2Fetc%2Fpasswd',
    '/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/images/..%5c..%5cwindows%5cwin.ini',
  ]) {
    test(`traversal ${path} answers 404`, async () => {
      const response = await rawRequest(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${owner.token}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(404);
      expect(response.headers.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(response.body)).toMatchObject({ status: 404 });
    });
  }

  test('an unknown name answers 404', async ({ request }) => {
    const response = await request.get(`/images/${owner.filename.replace(/^[0-9a-f]{8}/, 'ffffffff')}`, {
      headers: bearer(owner.token),
    });
    await expectProblem(response, 404);
    await expectContract(response, 'get', '/images/{filename}');
  });

  test("HEAD answers the owner's headers without a body, and 404 to anyone else", async ({ request }) => {
    const own = await request.head(`/images/${owner.filename}`, { headers: bearer(owner.token) });
    expect(own.status()).toBe(200);
    expect(own.headers()['content-length']).toBe(String(fixtureImage.length));
    expect((await own.body()).length).toBe(0);
    const intruder = await apiClient().newAccount('intruder');
    expect((await request.head(`/images/${owner.filename}`, { headers: bearer(intruder.token) })).status()).toBe(404);
  });

  test('oversized headers answer 431 problem+json', async () => {
    const response = await rawRequest(
      `GET /images HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(32 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(431);
    expect(response.headers.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ status: 431 });
  });
});

test.describe('response headers', () => {
  test('security headers are set on API answers', async ({ request }) => {
    const headers = (await request.get('/images', { headers: bearer(owner.token) })).headers();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['x-powered-by']).toBeUndefined();
  });

  test('no CORS headers unless origins are configured, not even for a preflight', async ({ request }) => {
    const origin = { Origin: 'https://evil.example' };
    expect(
      (await request.get('/images', { headers: { ...origin, ...bearer(owner.token) } })).headers()[
        'access-control-allow-origin'
      ],
    ).toBeUndefined();
    const preflight = await request.fetch('/images', {
      method: 'OPTIONS',
      headers: { ...origin, 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.headers()['access-control-allow-origin']).toBeUndefined();
  });
});

async function listNames(request: APIRequestContext, token: string): Promise<string[]> {
  const response = await request.get('/images?limit=100', { headers: bearer(token) });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { images: Array<{ filename: string }> }).images
    .map((image) => image.filename)
    .sort();
}
