import { failureLimit, invalidCredentials, jsonBody, platformMetrics, validateBody } from '@platform/runtime';
import type { Express, RequestHandler } from 'express';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { z } from 'zod';
import type { Account, Accounts } from '../domain/accounts.ts';
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
  /** Failed logins allowed per username and window, against password guessing spread over clients. */
  loginFailures: { limit: number; windowSeconds: number };
}

export function mountAuthRoutes(
  app: Express,
  { accounts, tokens, commonPasswords, loginFailures }: AuthRoutesDependencies,
): void {
  const registration = z.object({ username: usernameSchema, password: newPasswordSchema(commonPasswords) });
  const credentialsBody = jsonBody('4kb');
  const { loginAttempts } = platformMetrics();
  const perUsername = failureLimit({
    ...loginFailures,
    // The body is validated first, so this is the normalised name: look-alikes share one counter.
    key: (req) => `username:${(req.body as z.infer<typeof login>).username}`,
    onRefused: () => {
      loginAttempts.add(1, { outcome: 'rate_limited' });
    },
  });

  app.post('/register', ...credentialsBody, validateBody(registration), async (req, res) => {
    const { username, password } = req.body as z.infer<typeof registration>;
    res.status(201).json(await accounts.register(username, password));
  });

  app.post(
    '/login',
    ...credentialsBody,
    validateBody(login),
    perUsername,
    passwordLogin(accounts),
    async (req, res) => {
      res.json(await tokens.issue(req.user as Account));
    },
  );

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(tokens.keySet);
  });
}

/** passport-local over the account service: sets req.user, or answers 401 whatever the reason. */
function passwordLogin(accounts: Accounts): RequestHandler {
  const { loginAttempts } = platformMetrics();
  const passport = new Passport();
  passport.use(
    new LocalStrategy({ session: false }, (username, password, done) => {
      accounts.authenticate(username, password).then((account) => {
        done(null, account ?? false);
      }, done);
    }),
  );
  return (req, res, next) => {
    const authenticate = passport.authenticate(
      'local',
      { session: false },
      (error: unknown, account: Account | false) => {
        if (error !== null && error !== undefined) {
          next(error);
          return;
        }
        if (account === false) {
          loginAttempts.add(1, { outcome: 'bad_credentials' });
          next(invalidCredentials());
          return;
        }
        loginAttempts.add(1, { outcome: 'success' });
        req.user = account;
        next();
      },
    ) as RequestHandler;
    authenticate(req, res, next);
  };
}
