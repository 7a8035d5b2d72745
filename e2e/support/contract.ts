import { readFileSync } from 'node:fs';
import { expect, type APIResponse } from '@playwright/test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }>; $ref?: string }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, { schema?: object }> }> };
}

const document = parse(
  readFileSync(new URL('../../services/api/openapi.yaml', import.meta.url), 'utf8'),
) as OpenApiDocument;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ ...document, $id: 'openapi' });

/**
 * Asserts a response is one the OpenAPI document promises for that operation: a documented
 * status, a documented content type, and a body that validates against the schema.
 */
export async function expectContract(response: APIResponse, method: string, path: string): Promise<void> {
  const operation = document.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is not in openapi.yaml`).toBeDefined();
  const status = String(response.status());
  const declared = operation?.responses[status];
  expect(declared, `${method} ${path} answered ${status}, which openapi.yaml does not document`).toBeDefined();
  const content =
    declared?.$ref === undefined
      ? declared?.content
      : document.components.responses[declared.$ref.split('/').pop() ?? '']?.content;
  if (content === undefined) return;
  const contentType = (response.headers()['content-type'] ?? '').split(';')[0] ?? '';
  expect(Object.keys(content), `content type of ${method} ${path} ${status}`).toContain(contentType);
  const schema = content[contentType]?.schema;
  if (schema === undefined || !contentType.includes('json')) return;
  const validate = validatorFor(`${method} ${path} ${status} ${contentType}`, schema);
  const body: unknown = await response.json();
  expect(
    validate(body),
    `${method} ${path} ${status} body: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
  ).toBe(true);
}

const validators = new Map<string, ValidateFunction>();

/**
 * Compiles a response schema once per operation, status and content type. Schemas in the document
 * refer to '#/components/...'; compiled on their own they must point into the registered document.
 */
function validatorFor(key: string, schema: object): ValidateFunction {
  let validate = validators.get(key);
  if (validate === undefined) {
    const ref = (schema as { $ref?: string }).$ref;
    validate = ajv.compile(
      ref === undefined
        ? (JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object)
        : { $ref: `openapi${ref}` },
    );
    validators.set(key, validate);
  }
  return validate;
}
