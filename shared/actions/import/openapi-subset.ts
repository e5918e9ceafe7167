import { ImportRefusal } from './draft';
import { chooseOperations, listOperations, readOpenApiDocument } from './openapi';
import { createRefResolver, isRecord } from './refs';

/**
 * The part of an OpenAPI document an import of some of its operations reads: those operations (without their
 * responses), the servers, the security, and the components their `$ref`s reach. Large documents (a payment
 * provider's runs to megabytes) shrink to a few kilobytes, so the CLI can send them within the API's body limit.
 */
export function openApiSubset(source: unknown, operationIds: readonly string[] | undefined): Record<string, unknown> {
  const document = readOpenApiDocument(source);
  const refs = createRefResolver(document);
  const chosen = chooseOperations(listOperations(document, refs), operationIds);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { path, method, pathItem, operation } of chosen) {
    const { responses: _responses, callbacks: _callbacks, ...kept } = operation;
    const {
      get: _g,
      put: _pu,
      post: _po,
      delete: _d,
      patch: _pa,
      head: _h,
      options: _o,
      trace: _t,
      ...shared
    } = pathItem;
    paths[path] = { ...shared, ...paths[path], [method]: { ...kept, responses: {} } };
  }
  const subset: Record<string, unknown> = {
    openapi: document['openapi'],
    info: document['info'] ?? { title: 'subset', version: '0' },
    ...(document['servers'] !== undefined ? { servers: document['servers'] } : {}),
    ...(document['security'] !== undefined ? { security: document['security'] } : {}),
    paths,
  };
  const components: Record<string, Record<string, unknown>> = {};
  const sourceComponents = isRecord(document['components']) ? document['components'] : {};
  if (isRecord(sourceComponents['securitySchemes']))
    components['securitySchemes'] = sourceComponents['securitySchemes'];
  // Every local $ref reachable from what is kept, followed through what it points at.
  const seen = new Set<string>();
  const pending: unknown[] = [subset];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (isRecord(node)) {
      const ref = node['$ref'];
      if (typeof ref === 'string' && !seen.has(ref)) {
        seen.add(ref);
        if (!ref.startsWith('#'))
          throw new ImportRefusal('openapi', `"${ref}" points outside the document: bundle it first`);
        const tokens = ref
          .slice(1)
          .split('/')
          .slice(1)
          .map((token) => decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~'));
        const [top, kind, name] = tokens;
        if (top === 'components' && kind !== undefined && name !== undefined) {
          const group = sourceComponents[kind];
          if (isRecord(group) && group[name] !== undefined) {
            components[kind] = { ...components[kind], [name]: group[name] };
            pending.push(group[name]);
          }
        } else if (top !== undefined && top !== 'paths' && subset[top] === undefined && document[top] !== undefined) {
          subset[top] = document[top];
          pending.push(document[top]);
        } else if (top === 'paths' && kind !== undefined && paths[kind] === undefined) {
          // A reference into another path: keep that path whole.
          const item = (document['paths'] as Record<string, unknown>)[kind];
          if (isRecord(item)) {
            paths[kind] = item;
            pending.push(item);
          }
        }
      }
      for (const [key, value] of Object.entries(node)) if (key !== '$ref') pending.push(value);
    }
  }
  if (Object.keys(components).length > 0) subset['components'] = components;
  return subset;
}
