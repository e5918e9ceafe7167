import type { StepDefinition } from './action';
import type { JsonObject } from './json';
import { renderHeaderValue, renderJson, renderText, renderUrl, TemplateError, type TemplateContext } from './template';

/** An HTTP request ready to send, built from a step's templates. Holds secret values: never log or return it. */
export type RenderedRequest = {
  method: StepDefinition['request']['method'];
  url: string;
  headers: Record<string, string>;
  body: string | null;
};

/** The values a step's templates read; `secrets` is only ever filled inside the HTTP activity. */
export type RequestContext = TemplateContext & { secrets?: Record<string, string> };

/**
 * Builds the request of a step: URL path values percent-encoded, query values through URLSearchParams,
 * headers checked for CR/LF/NUL, JSON bodies built structurally. Throws TemplateError naming the problem,
 * including a template variable that is empty at run time.
 */
export function renderRequest(
  step: StepDefinition,
  context: RequestContext,
  extraHeaders: Record<string, string> = {},
): RenderedRequest {
  const missing = new Set<string>();
  const onMissing = (path: string) => missing.add(path);
  const { request } = step;

  const url = renderUrl(request.url, context, onMissing);
  for (const [key, template] of Object.entries(request.query)) {
    url.searchParams.append(
      key,
      renderText(template, context, (text) => text, onMissing),
    );
  }

  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = renderHeaderValue(name, template, context, onMissing);
  }
  if (request.auth.type === 'bearer') {
    const secret = context.secrets?.[request.auth.secret];
    if (!secret) throw new TemplateError(`secret "${request.auth.secret}" is not set for this chatbot`);
    headers['authorization'] = `Bearer ${secret}`;
  }
  for (const [name, value] of Object.entries(extraHeaders)) headers[name.toLowerCase()] = value;

  let body: string | null = null;
  if (request.body !== null && request.method !== 'GET' && request.method !== 'HEAD') {
    body = JSON.stringify(renderJson(request.body, context, onMissing));
    headers['content-type'] ??= 'application/json';
  }
  headers['accept'] ??= 'application/json';

  const secretRefs = [...missing].filter((path) => path.startsWith('secrets.'));
  if (secretRefs.length) throw new TemplateError(`secret "${secretRefs[0]?.slice(8)}" is not set for this chatbot`);
  if (missing.size)
    throw new TemplateError(`template variable ${[...missing].map((p) => `{{${p}}}`).join(', ')} is empty`);
  return { method: request.method, url: url.toString(), headers, body };
}

/** Replaces every occurrence of each secret value (raw, base64 and percent-encoded) with a mask, for logs and errors. */
export function redactSecrets(text: string, secrets: Record<string, string>): string {
  let out = text;
  for (const value of Object.values(secrets)) {
    if (value.length < 4) continue;
    for (const form of new Set([value, base64(value), encodeURIComponent(value)])) out = out.split(form).join('***');
  }
  return out;
}

function base64(value: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Reads the conventions of Parley's response model off a JSON body. */
export function responseConventions(body: unknown): { message?: string; attributes?: JsonObject; success?: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const record = body as Record<string, unknown>;
  const out: { message?: string; attributes?: JsonObject; success?: boolean } = {};
  if (typeof record['message'] === 'string') out.message = record['message'];
  const attributes = record['attributes'];
  if (typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)) {
    out.attributes = attributes as JsonObject;
  }
  if (typeof record['success'] === 'boolean') out.success = record['success'];
  return out;
}
