// Tokens are bound to their environment: in each environment auth signs with, and api and image verify, one issuer
// and one audience, and no two environments share either, so a dev token (signed with dev's public key material,
// carrying dev's iss/aud) is refused by prod's verifiers even if prod's JWKS were ever to hold that key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { components, environments, must, podTemplate, render, type Environment } from './lib/repo.ts';

const tokenServices = ['auth', 'api', 'image'];

/** The issuer and audience one service's rendered Deployment runs with. */
function tokenSettings(env: Environment, service: string): { issuer?: string; audience?: string } {
  const component = must(
    components().find((c) => c.component === service),
    service,
  );
  const deployment = must(
    render(env, component).find((o) => o.kind === 'Deployment'),
    `${service} Deployment`,
  );
  const variables = must(podTemplate(deployment)).spec.containers.flatMap((c) => c.env ?? []);
  const value = (name: string) => variables.find((v) => v.name === name)?.value;
  return { issuer: value('JWT_ISSUER'), audience: value('JWT_AUDIENCE') };
}

describe('token issuer and audience per environment', () => {
  for (const env of environments) {
    test(`${env}: auth, api and image agree on an explicit issuer and audience`, () => {
      const settings = tokenServices.map((service) => ({ service, ...tokenSettings(env, service) }));
      for (const { service, issuer, audience } of settings) {
        // Unset means the services' built-in defaults, which are the same in every environment.
        assert.ok(issuer, `${env}/${service} sets JWT_ISSUER`);
        assert.ok(audience, `${env}/${service} sets JWT_AUDIENCE`);
      }
      const signer = must(settings.find((s) => s.service === 'auth'));
      for (const verifier of settings)
        assert.deepEqual(
          { issuer: verifier.issuer, audience: verifier.audience },
          { issuer: signer.issuer, audience: signer.audience },
          `${env}/${verifier.service} verifies what ${env}/auth signs`,
        );
    });
  }

  test("no environment accepts another's tokens: issuers and audiences differ", () => {
    const issuers = environments.map((env) => tokenSettings(env, 'auth').issuer);
    const audiences = environments.map((env) => tokenSettings(env, 'auth').audience);
    assert.equal(new Set(issuers).size, environments.length, `issuers: ${issuers.join(', ')}`);
    assert.equal(new Set(audiences).size, environments.length, `audiences: ${audiences.join(', ')}`);
  });
});
