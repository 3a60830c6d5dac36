import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * Checks real API responses against the service's own OpenAPI document with an independent Ajv
 * (strict JSON Schema 2020-12, as OpenAPI 3.1 uses): every documented response must validate, and
 * a status the route does not document fails too.
 */
export function openApiContract(document: unknown) {
  const spec = document as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // The whole document as one schema: responses are reached by JSON pointer, $refs resolve inside it.
  ajv.addSchema({ $id: 'openapi.json', paths: spec.paths, components: spec.components });
  const routes = Object.keys(spec.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const pointer = (path: string, method: string, status: string) =>
    `/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${status}`;
  const checked = new Set<string>();

  return {
    /** Validates one response; returns the route template it matched. */
    check(method: string, url: string, status: number, contentType: string | null, body: unknown): string {
      const path = new URL(url, 'http://x').pathname;
      const route = routes.find((r) => r.pattern.test(path));
      if (!route) {
        // A route the API does not have: 404 with the documented error body, nothing else.
        assert.equal(status, 404, `${method} ${path} is not in the OpenAPI document but answered ${status}`);
        const validate = ajv.getSchema('openapi.json#/components/schemas/Error');
        assert.ok(validate?.(body), `${method} ${path}: ${ajv.errorsText(validate?.errors)}`);
        return '(unknown route)';
      }
      const operation = spec.paths[route.template]?.[method.toLowerCase()];
      if (!operation) {
        assert.ok(
          [404, 405].includes(status),
          `${method} ${route.template} is undocumented but answered ${status}`,
        );
        return '(unknown method)';
      }
      const documented = operation.responses[String(status)];
      assert.ok(documented, `${method} ${route.template} answered ${status}, which it does not document`);
      const media = (contentType ?? '').split(';')[0]?.trim() ?? '';
      const content = documented.content ?? {};
      assert.ok(media in content, `${method} ${route.template} ${status}: ${media} is not documented`);
      if (media === 'application/json') {
        const validate = ajv.getSchema(
          `openapi.json#${pointer(route.template, method.toLowerCase(), String(status))}/content/application~1json/schema`,
        );
        assert.ok(validate, `no schema for ${method} ${route.template} ${status}`);
        const valid = validate(body);
        assert.ok(
          valid,
          `${method} ${route.template} ${status} does not match its schema: ${ajv.errorsText(validate.errors)}`,
        );
      }
      checked.add(`${method.toUpperCase()} ${route.template} ${status}`);
      return route.template;
    },
    /** Validates a value against a named component schema (for negative checks). */
    validComponent(name: string, value: unknown): boolean {
      const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
      assert.ok(validate, `no component ${name}`);
      return Boolean(validate(value));
    },
    checked: () => [...checked].sort(),
  };
}

export type OpenApiContract = ReturnType<typeof openApiContract>;
