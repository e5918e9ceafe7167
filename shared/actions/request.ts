import type { RequestDefinition } from './step-schema';
import { isJsonObject, type Json, type JsonObject } from '../json';
import {
  renderHeaderValue,
  renderJson,
  renderText,
  renderUrl,
  TemplateError,
  unsendableHeaderCharacter,
  type TemplateContext,
} from './template';

/** An HTTP request ready to send, built from a step's templates. Holds secret values: never log or return it. */
export type RenderedRequest = {
  method: RequestDefinition['method'];
  url: string;
  headers: Record<string, string>;
  body: string | null;
};

/** The values a step's templates read; `secrets` is only ever filled inside the HTTP activity. */
export type RequestContext = TemplateContext & { secrets?: Record<string, string> };

/** What the envelope and the visitor profile body say about the conversation. */
export type RequestMeta = {
  actionId: string;
  conversationId: string;
  chatbotId: string;
  trigger: string;
  timestamp: string;
  visitor: {
    id: string | null;
    name: string | null;
    email: string | null;
    phone: string | null;
    locale: string | null;
    last_message: string | null;
    attributes: JsonObject;
  };
};

/** The base64 of a string's UTF-8 bytes, as Basic auth sends `user:secret`. */
export function base64(value: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The JSON payload: the rendered body, plus the visitor profile, wrapped in the envelope when asked. */
function jsonPayload(
  request: RequestDefinition,
  context: RequestContext,
  meta: RequestMeta | undefined,
  onMissing: (path: string) => void,
): Json | null {
  let payload: Json | null = request.body === null ? null : renderJson(request.body, context, onMissing);
  if (request.visitorProfile && meta) {
    const base: JsonObject = isJsonObject(payload) ? payload : payload === null ? {} : { value: payload };
    payload = { ...base, visitor: meta.visitor };
  }
  if (request.envelope && meta) {
    payload = {
      action_id: meta.actionId,
      conversation_id: meta.conversationId,
      chatbot_id: meta.chatbotId,
      trigger: meta.trigger,
      payload,
      metadata: { visitor_id: meta.visitor.id, timestamp: meta.timestamp },
    };
  }
  return payload;
}

/** Whether a content type is XML: `application/xml`, `text/xml` or any `…/…+xml`. */
export function isXmlContentType(contentType: string): boolean {
  return /^\s*[\w.+-]+\/(?:[\w.+-]*\+)?xml\s*(?:;|$)/i.test(contentType);
}

/** Escapes text for XML content and attribute values, so a value can never open or close an element. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/**
 * Builds a request from its templates: URL path values percent-encoded, query values through URLSearchParams,
 * headers checked for CR/LF/NUL, JSON bodies built structurally, form bodies urlencoded, raw bodies as text (values XML-escaped when the
 * body is XML, or as `escape` says);
 * auth presets read secrets from `context.secrets`. Throws TemplateError naming the problem, including a
 * template variable that is empty at run time or a secret that is not set.
 */
export function renderRequest(
  request: RequestDefinition,
  context: RequestContext,
  options: { extraHeaders?: Record<string, string>; meta?: RequestMeta } = {},
): RenderedRequest {
  const missing = new Set<string>();
  const onMissing = (path: string) => missing.add(path);
  const secret = (name: string) => {
    const value = context.secrets?.[name];
    if (!value) throw new TemplateError(`secret "${name}" is not set for this chatbot`);
    return value;
  };

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
  const auth = request.auth;
  if (auth.type === 'bearer') headers['authorization'] = `Bearer ${secret(auth.secret)}`;
  if (auth.type === 'basic') {
    const username = renderHeaderValue('username', auth.username, context, onMissing, { encoded: true });
    headers['authorization'] = `Basic ${base64(`${username}:${secret(auth.secret)}`)}`;
  }
  if (auth.type === 'api_key') {
    if (auth.in === 'query') url.searchParams.append(auth.name, secret(auth.secret));
    else {
      const value = secret(auth.secret);
      if (/[\r\n\0]/.test(value))
        throw new TemplateError(`secret "${auth.secret}" contains a line break or NUL character`);
      headers[auth.name.toLowerCase()] = value;
    }
  }
  for (const [name, value] of Object.entries(options.extraHeaders ?? {})) headers[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(headers)) {
    // Templated values were checked as they rendered; what is left here came from a secret: never quote it.
    if (unsendableHeaderCharacter(value)) {
      throw new TemplateError(`header ${name} would contain a character an HTTP header cannot carry (from a secret)`);
    }
  }

  let body: string | null = null;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    if (request.bodyType === 'json') {
      const payload = jsonPayload(request, context, options.meta, onMissing);
      if (payload !== null) {
        body = JSON.stringify(payload);
        headers['content-type'] ??= 'application/json';
      }
    } else if (request.bodyType === 'form' && isJsonObject(request.body)) {
      const form = new URLSearchParams();
      for (const [key, template] of Object.entries(request.body)) {
        form.append(
          key,
          renderText(String(template), context, (text) => text, onMissing),
        );
      }
      body = form.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (request.bodyType === 'raw' && typeof request.body === 'string') {
      headers['content-type'] ??= request.contentType ?? 'text/plain; charset=utf-8';
      const escaping = request.escape ?? (isXmlContentType(headers['content-type']) ? 'xml' : 'none');
      body = renderText(request.body, context, escaping === 'xml' ? escapeXml : (text) => text, onMissing);
    }
  }
  headers['accept'] ??= 'application/json';

  const secretRefs = [...missing].filter((path) => path.startsWith('secrets.'));
  if (secretRefs.length) throw new TemplateError(`secret "${secretRefs[0]?.slice(8)}" is not set for this chatbot`);
  if (missing.size) {
    throw new TemplateError(`template variable ${[...missing].map((p) => `{{${p}}}`).join(', ')} is empty`);
  }
  return { method: request.method, url: url.toString(), headers, body };
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
