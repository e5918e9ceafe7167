import { z } from 'zod';
import { JsonSchema } from '../../json-schema';
import { ACTION_NAME } from '../vocabulary';
import { importCurl } from './curl';
import type { ImportOutcome } from './draft';
import { importOpenApi } from './openapi';

/**
 * Imports: a cURL command line or chosen operations of an OpenAPI 3.x document, as action drafts an operator reviews
 * and saves (`POST /v1/chatbots/:botId/actions/import`, `parley import`). Nothing is saved, fetched or echoed back
 * that was a credential.
 */

export type { ImportedSecret, ImportOutcome, ImportResult } from './draft';

/** `POST …/actions/import`: a cURL command line, or an OpenAPI document and the operations to import from it. */
export const ImportRequestSchema = z
  .object({
    curl: z.string().min(1).max(100_000).optional().describe('A curl command line, as API docs print it'),
    openapi: z
      .union([z.string().min(1), z.record(z.string(), JsonSchema)])
      .optional()
      .describe('An OpenAPI 3.0 or 3.1 document: the object, or its YAML or JSON text'),
    operations: z
      .array(z.string().min(1).max(300))
      .min(1)
      .max(100)
      .optional()
      .describe('operationIds (or "GET /path") to import; every operation of a document with at most 20 when left out'),
    server: z
      .string()
      .max(2048)
      .optional()
      .describe("The API's base URL, instead of the document's first server (needed when that is relative)"),
    name: z
      .string()
      .regex(ACTION_NAME, 'must match ^[A-Za-z][A-Za-z0-9_]{0,63}$')
      .optional()
      .describe("The draft's action name (curl; default: from the method and path)"),
  })
  .strict()
  .superRefine((request, ctx) => {
    if ((request.curl === undefined) === (request.openapi === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give either "curl" (a command line) or "openapi" (a document)',
      });
    if (request.curl !== undefined) {
      for (const key of ['operations', 'server'] as const)
        if (request[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'applies to an OpenAPI import, not curl' });
    }
    if (request.openapi !== undefined && request.name !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'applies to a curl import (operations name OpenAPI drafts)',
      });
  });
export type ImportRequest = z.infer<typeof ImportRequestSchema>;

/** Drafts from an import request, or the field at fault and why. */
export function importActions(request: ImportRequest): ImportOutcome {
  if (request.curl !== undefined)
    return importCurl(request.curl, request.name === undefined ? {} : { name: request.name });
  return importOpenApi(request.openapi, {
    ...(request.operations ? { operations: request.operations } : {}),
    ...(request.server !== undefined ? { server: request.server } : {}),
  });
}
