// Strict validation of Gateway API objects against the CRDs of the release the edge implements (sigs.k8s.io/gateway-api
// v1.4.0, standard channel: the same files as its standard-install.yaml), taken from the Go module proxy. Each served
// version's OpenAPI schema is checked with unknown fields forbidden, as the API server's strict field validation does;
// the CEL rules (x-kubernetes-validations) are not evaluated.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { K8sObject } from './repo.ts';

/** The version argocd/addons/gateway-api.yaml installs. */
export const gatewayApiVersion = 'v1.4.0';

type Schema = {
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  [keyword: string]: unknown;
};
type Crd = {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
};

/** The module in the Go module cache (go mod download fetches it once through the module proxy). */
export function gatewayApiModuleDir(): string {
  const output = execFileSync('go', ['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${gatewayApiVersion}`], {
    cwd: tmpdir(),
    encoding: 'utf8',
  });
  return (JSON.parse(output) as { Dir: string }).Dir;
}

/** Forbids unknown fields wherever the schema lists the fields and does not say to keep unknown ones. */
function strict(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, strict(value)]));
    if (schema.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true)
      out.additionalProperties = false;
  }
  if (schema.items) out.items = strict(schema.items);
  if (typeof schema.additionalProperties === 'object') out.additionalProperties = strict(schema.additionalProperties);
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[keyword] as Schema[] | undefined;
    if (list) out[keyword] = list.map(strict);
  }
  return out;
}

let validators: Map<string, ValidateFunction> | undefined;

function load(): Map<string, ValidateFunction> {
  // strictTypes off: upstream's schemas put `format` in anyOf branches that inherit their parent's type.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  addFormats.default(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
  // Kubernetes' own schema keywords: list and map semantics for server-side apply, and CEL rules (not evaluated here).
  for (const keyword of [
    'x-kubernetes-validations',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-preserve-unknown-fields',
  ]) {
    ajv.addKeyword({ keyword });
  }
  const dir = join(gatewayApiModuleDir(), 'config/crd/standard');
  const loaded = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(dir, file), 'utf8')) as Crd;
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      loaded.set(
        `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`,
        ajv.compile(strict(version.schema.openAPIV3Schema)),
      );
    }
  }
  return loaded;
}

/** The API versions and kinds the standard channel serves, as "group/version/Kind". */
export const gatewayApiKinds = (): string[] => [...(validators ??= load()).keys()];

/** Throws with every schema violation of a Gateway API object. */
export function validateGatewayApiObject(object: K8sObject): void {
  const validate = (validators ??= load()).get(`${object.apiVersion}/${object.kind}`);
  if (!validate)
    throw new Error(
      `${object.apiVersion} ${object.kind} is not served by Gateway API ${gatewayApiVersion} (standard channel)`,
    );
  const id = `${object.kind} ${object.metadata.name}`;
  if (!validate(object)) {
    throw new Error(
      `${id}: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ')}`,
    );
  }
}
