import { AppError, invalidCredentials, jsonBody, platformMetrics, validateBody } from '@platform/runtime';
import type { Express, Request, RequestHandler, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { z } from 'zod';
import type { Account, Accounts } from '../domain/accounts.ts';
import type { AttemptLimits } from '../domain/attempt-limits.ts';
import { newPasswordSchema, normaliseUsername, usernameSchema } from '../domain/credentials.ts';
import type { TokenIssuer } from '../domain/token-issuer.ts';

/** Login checks shape only: a name that could never be registered simply fails to authenticate. */
const login = z.object({
  username: z.string().min(1, 'is required').max(256, 'is too long').transform(normaliseUsername),
  password: z.string().min(1, 'is required').max(1024, 'is too long'),
});

export interface AuthRoutesDependencies {
  accounts: Accounts;
  tokens: TokenIssuer;
  /** Passwords refused at registration because they are among the most common. */
  commonPasswords: ReadonlySet<string>;
  /** The login and registration limits, per client address, (username, client) pair and username. */
  limits: AttemptLimits;
}

/**
 * The client address the limits count against: the gateway's X-Forwarded-For, read under this
 * service's trust-proxy setting (the gateway is the one trusted hop), else the peer's address.
 */
const clientOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Answers carrying a token or an account are for the client alone: never stored by any cache. */
const noStore = (res: Response): Response => res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });

export function mountAuthRoutes(
  app: Express,
  { accounts, tokens, commonPasswords, limits }: AuthRoutesDependencies,
): void {
  const registration = z.object({ username: usernameSchema, password: newPasswordSchema(commonPasswords) });
  const credentialsBody = jsonBody('4kb');

  app.post('/register', ...credentialsBody, validateBody(registration), async (req, res) => {
    const { username, password } = req.body as z.infer<typeof registration>;
    const account = await limits.register(clientOf(req), () => accounts.register(username, password));
    noStore(res).status(201).json(account);
  });

  app.post('/login', ...credentialsBody, validateBody(login), passwordLogin(accounts, limits), async (req, res) => {
    noStore(res).json(await tokens.issue(req.user as Account));
  });

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(tokens.keySet);
  });
}

const slowedDown = 'slowed down';

/**
 * passport-local over the account service, under the attempt limits: sets req.user, or answers 401
 * whatever the reason, 429 when a limit refuses the attempt.
 */
function passwordLogin(accounts: Accounts, limits: AttemptLimits): RequestHandler {
  const { loginAttempts } = platformMetrics();
  const passport = new Passport();
  passport.use(
    new LocalStrategy({ session: false, passReqToCallback: true }, (req, username, password, done) => {
      limits
        .login({ username, client: clientOf(req) }, () => accounts.authenticate(username, password))
        .then(({ account, delayMs }) => {
          // Whether the attempt was slowed down travels as passport's "info", to the callback below.
          done(null, account ?? false, { message: delayMs > 0 ? slowedDown : 'checked' });
        }, done);
    }),
  );
  return (req, res, next) => {
    const authenticate = passport.authenticate(
      'local',
      { session: false },
      (error: unknown, account: Account | false, info: { message?: string } | undefined) => {
        if (error !== null && error !== undefined) {
          if (error instanceof AppError && error.status === 429) loginAttempts.add(1, { outcome: 'rate_limited' });
          next(error);
          return;
        }
        const slowed = info?.message === slowedDown;
        if (account === false) {
          loginAttempts.add(1, { outcome: slowed ? 'slowed_bad_credentials' : 'bad_credentials' });
          next(invalidCredentials());
          return;
        }
        loginAttempts.add(1, { outcome: slowed ? 'slowed_success' : 'success' });
        req.user = account;
        next();
      },
    ) as RequestHandler;
    authenticate(req, res, next);
  };
}
