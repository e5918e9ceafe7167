import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import type { Response as TestResponse } from 'supertest';

type JsonObject = Record<string, unknown>;

/** A route the app registered: its method (lower case; `_all` for app.all) and path as Express declares it. */
export type RegisteredRoute = { method: string; path: string };

type Layer = {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
};

/**
 * Every route registered on an Express 5 app, found by walking its router stack (mounted routers included, their
 * mount path prefixed), so a route added anywhere shows up.
 */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const full = (prefix: string, path: string) => (prefix + path).replace(/\/+$/, '') || '/';
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const method of Object.keys(layer.route.methods)) routes.push({ method, path: full(prefix, path) });
        }
      } else if (layer.handle?.stack) {
        if (typeof layer.rawPath !== 'string') throw new Error('a router is mounted on a path this walk cannot read');
        walk(layer.handle.stack, layer.rawPath === '/' ? prefix : prefix + layer.rawPath);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return routes;
}

/** An OpenAPI path template (`/v1/conversations/{id}/messages`) as Express writes it (`/:id`). */
export const expressPath = (template: string) => template.replace(/\{([^}]+)\}/g, ':$1');

/**
 * Checks real answers against the OpenAPI document: the method, path and status are documented, the body
 * validates against the documented JSON Schema (ajv, draft 2020-12, formats checked) and 429/503 carry Retry-After.
 */
export function documentChecker(document: JsonObject) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const paths = document['paths'] as Record<string, Record<string, JsonObject>>;
  const componentResponses = (document['components'] as JsonObject)['responses'] as Record<string, JsonObject>;
  const templates = Object.keys(paths).map((template) => ({
    template,
    literal: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const pointer = (...segments: string[]) =>
    segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

  /** The problems with one answer (empty when it is as documented). */
  function problems(
    method: string,
    url: string,
    answer: { status: number; contentType: string | null; retryAfter: string | null; body: unknown },
  ): string[] {
    const path = new URL(url, 'http://parley.test').pathname;
    const match = templates
      .filter((candidate) => candidate.pattern.test(path))
      .sort((a, b) => b.literal - a.literal)[0];
    if (!match) return [`${method} ${path} is not in the document`];
    const verb = method.toLowerCase();
    const operation = paths[match.template]?.[verb];
    if (!operation) return [`${method} ${match.template} is not in the document`];
    const responses = operation['responses'] as Record<string, JsonObject>;
    let response = responses[String(answer.status)];
    let at = pointer('paths', match.template, verb, 'responses', String(answer.status));
    if (!response) return [`${method} ${match.template} does not document status ${answer.status}`];
    if (typeof response['$ref'] === 'string') {
      const name = response['$ref'].replace('#/components/responses/', '');
      response = componentResponses[name] as JsonObject;
      at = pointer('components', 'responses', name);
    }
    const found: string[] = [];
    if ((answer.status === 429 || answer.status === 503) && !/^\d+$/.test(answer.retryAfter ?? '')) {
      found.push(`${answer.status} without Retry-After`);
    }
    const content = response['content'] as Record<string, JsonObject> | undefined;
    if (!content) {
      if (answer.body !== undefined && answer.body !== '' && Object.keys(answer.body ?? {}).length > 0) {
        found.push(`status ${answer.status} documents no body, got one`);
      }
      return found;
    }
    const type = (answer.contentType ?? '').split(';')[0]?.trim() ?? '';
    if (!content[type]) return [...found, `content type ${type} is not documented for ${answer.status}`];
    if (type !== 'application/json') return found;
    const ref = `openapi.json#/${at}/${pointer('content', type, 'schema')}`;
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: ref });
      validators.set(ref, validate);
    }
    if (!validate(answer.body)) {
      found.push(
        `${method} ${match.template} ${answer.status} body does not match the document: ${ajv.errorsText(validate.errors)}`,
      );
    }
    return found;
  }

  return {
    problems,
    /** Throws unless a supertest answer is as the document says; answers it, to chain. */
    expectDocumented(response: TestResponse): TestResponse {
      const request = (response as unknown as { req: { method: string; path: string } }).req;
      const found = problems(request.method, request.path, {
        status: response.status,
        contentType: response.get('content-type') ?? null,
        retryAfter: response.get('retry-after') ?? null,
        body: response.body,
      });
      if (found.length > 0) throw new Error(`${found.join('\n')}\nbody: ${JSON.stringify(response.body)}`);
      return response;
    },
    /**
     * A fetch that checks every answer it gets against the document before handing it on (to test clients that
     * use fetch, such as client/): each answer goes into `log.seen`, each mismatch into `log.problems` (a client
     * would take a thrown error for a network failure, so nothing is thrown here).
     */
    checkingFetch(log: { seen: string[]; problems: string[] }, inner: typeof fetch = fetch): typeof fetch {
      return async (input, init) => {
        const response = await inner(input, init);
        const text = await response.clone().text();
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        const method = init?.method ?? 'GET';
        log.seen.push(`${method} ${new URL(url).pathname} ${response.status}`);
        log.problems.push(
          ...problems(method, url, {
            status: response.status,
            contentType: response.headers.get('content-type'),
            retryAfter: response.headers.get('retry-after'),
            body: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
        return response;
      };
    },
  };
}
