import { z } from 'zod';
import type { ActionDefinition } from '../actions/action';
import type { ParameterDefinition } from '../actions/parameter-schema';
import { isJsonObject, type Json } from '../json';
import { FailureType } from '../failures';

/**
 * The optional LLM (any OpenAI-compatible chat-completions API): request bodies for the router, the extractor
 * and the composer, and the parsing of their answers. Pure; the activities in `activities/llm.ts` do the I/O.
 * Everything the LLM proposes is a suggestion: the workflow validates it and falls back to the deterministic
 * path when the LLM fails.
 */

/** Where the LLM is and how long Parley waits for it; null settings mean the LLM is off. */
export type LlmSettings = { baseUrl: string; model: string; apiKey: string | null; timeoutMs: number };

/** The LLM activities' failure types (from the catalogue); the workflow falls back to the deterministic path on any of them. */
export const LlmFailureType = {
  disabled: FailureType.llmDisabled,
  unavailable: FailureType.llmUnavailable,
  badResponse: FailureType.llmBadResponse,
} as const;
export type LlmFailureTypeName = (typeof LlmFailureType)[keyof typeof LlmFailureType];

/** One line of the conversation transcript, as the router sees it. */
export type TranscriptLine = { from: 'visitor' | 'bot'; text: string };

/** What the router decided: the action the visitor asks for (or null) and the parameter values it found. */
export type LlmRoute = { action: string | null; arguments: Record<string, Json> };

/** How many transcript lines before the current message the router sees. */
export const ROUTER_HISTORY_LINES = 6;
const MAX_EXAMPLES = 10;
const MAX_TOOL_DESCRIPTION_CHARS = 1024;
const MAX_LINE_CHARS = 2000;
const MAX_DATA_CHARS = 16_000;
/** The extractor's one tool. */
export const EXTRACT_TOOL = 'extract';

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function describeParameter(param: ParameterDefinition): string {
  const parts: string[] = [];
  if (param.description) parts.push(param.description);
  if (param.type === 'date') parts.push('A calendar date as YYYY-MM-DD.');
  if (param.type === 'email') parts.push('An email address.');
  if (param.type === 'phone') parts.push('A phone number: digits, with a leading + and country code when given.');
  if (param.type === 'enum' && param.synonyms) {
    for (const [value, words] of Object.entries(param.synonyms)) {
      if (words.length) parts.push(`"${value}" is also called ${words.map((word) => `"${word}"`).join(', ')}.`);
    }
  }
  if (param.array) parts.push('A list: every value the visitor names.');
  parts.push('null when the visitor has not given it.');
  return parts.join(' ');
}

/** The JSON schema of one value of a parameter (one element, for list parameters). */
function valueSchema(param: ParameterDefinition): Record<string, unknown> {
  switch (param.type) {
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'email':
      return { type: 'string', format: 'email' };
    case 'phone':
      return { type: 'string' };
    case 'enum':
      return { type: 'string', enum: [...(param.values ?? [])] };
    case 'text':
      return param.pattern === undefined ? { type: 'string' } : { type: 'string', pattern: param.pattern };
  }
}

/** A schema that also accepts null: `type` becomes a list with "null", and an enum gains null. */
function nullable(schema: Record<string, unknown>): Record<string, unknown> {
  const type = schema['type'];
  const result: Record<string, unknown> = { ...schema, type: [...(Array.isArray(type) ? type : [type]), 'null'] };
  if (Array.isArray(schema['enum'])) result['enum'] = [...(schema['enum'] as unknown[]), null];
  return result;
}

/**
 * JSON schema (strict-mode compatible: every property required, additionalProperties false; optional params
 * become nullable types) for an action's parameters. Every property is nullable, in fact: a visitor's message
 * rarely holds every value, and the model must be able to say "not given" instead of inventing one.
 */
export function parametersJsonSchema(params: ParameterDefinition[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const param of params) {
    const value = valueSchema(param);
    const schema = param.array ? { type: 'array', items: value } : value;
    properties[param.name] = { ...nullable(schema), description: describeParameter(param) };
  }
  return { type: 'object', properties, required: params.map((param) => param.name), additionalProperties: false };
}

/** The description of an action's tool: what the action does, then some phrasings visitors use. */
function toolDescription(action: ActionDefinition): string {
  const examples = action.examples.slice(0, MAX_EXAMPLES);
  const text = examples.length
    ? `${action.description}\nVisitors say things like: ${examples.map((example) => `"${example}"`).join('; ')}`
    : action.description;
  return clip(text, MAX_TOOL_DESCRIPTION_CHARS);
}

const ROUTER_PROMPT = [
  "You route a website visitor's chat message to the chatbot's actions, offered as tools.",
  'Call at most one tool, and only when the visitor clearly asks for what that tool does.',
  'Otherwise answer nothing: no tool call and no text.',
  'Fill in only values the visitor actually stated; use null for anything not stated. Never guess values.',
].join('\n');

/**
 * Chat-completions body offering each action as a function tool (name = action name, description = action
 * description + examples), `tool_choice: 'auto'`, `strict: true` on each function, a system prompt telling the
 * model to call at most one tool only when the visitor clearly asks for that action and otherwise answer
 * nothing. The last few transcript lines come before the visitor's message.
 */
export function routerRequest(input: {
  model: string;
  message: string;
  history: TranscriptLine[];
  actions: ActionDefinition[];
}): Record<string, unknown> {
  const history = [...input.history];
  const last = history[history.length - 1];
  if (last && last.from === 'visitor' && last.text === input.message) history.pop();
  const transcript = history.slice(-ROUTER_HISTORY_LINES).map((line) => ({
    role: line.from === 'visitor' ? 'user' : 'assistant',
    content: clip(line.text, MAX_LINE_CHARS),
  }));
  return {
    model: input.model,
    temperature: 0,
    messages: [
      { role: 'system', content: ROUTER_PROMPT },
      ...transcript,
      { role: 'user', content: clip(input.message, MAX_LINE_CHARS) },
    ],
    tools: input.actions.map((action) => ({
      type: 'function',
      function: {
        name: action.name,
        description: toolDescription(action),
        strict: true,
        parameters: parametersJsonSchema(action.parameters),
      },
    })),
    tool_choice: 'auto',
  };
}

const ToolCallSchema = z.object({
  type: z.string().optional(),
  function: z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]) }),
});

const ChatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          tool_calls: z.array(ToolCallSchema).nullable().optional(),
        }),
      }),
    )
    .min(1, 'has no choices'),
});
type ChatMessage = z.infer<typeof ChatCompletionSchema>['choices'][number]['message'];

/** The first choice's message of a chat-completions answer; throws when the answer does not have that shape. */
function messageOf(body: unknown): ChatMessage {
  const parsed = ChatCompletionSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new Error(`the LLM's answer is not a chat completion${where}: ${issue?.message ?? 'unexpected shape'}`);
  }
  const first = parsed.data.choices[0];
  if (!first) throw new Error("the LLM's answer has no choices");
  return first.message;
}

/** A tool call's arguments as an object without the null values (null means "not given"). */
function argumentsOf(call: z.infer<typeof ToolCallSchema>): Record<string, Json> {
  let args: unknown = call.function.arguments;
  if (typeof args === 'string') {
    try {
      args = args.trim() === '' ? {} : JSON.parse(args);
    } catch {
      throw new Error(`the LLM's arguments for ${call.function.name} are not valid JSON`);
    }
  }
  if (!isJsonObject(args)) throw new Error(`the LLM's arguments for ${call.function.name} are not a JSON object`);
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== null && value !== undefined));
}

/**
 * Reads the router's tool call (if any): the action it chose and its arguments without nulls. A tool that was
 * not offered counts as no choice. Throws an Error saying what is wrong when the answer is malformed.
 */
export function parseRouterResponse(body: unknown, offered: string[]): LlmRoute {
  const call = messageOf(body).tool_calls?.[0];
  if (!call) return { action: null, arguments: {} };
  if (!offered.includes(call.function.name)) return { action: null, arguments: {} };
  return { action: call.function.name, arguments: argumentsOf(call) };
}

/** Extractor: one forced tool `extract` whose parameters are parametersJsonSchema(params). */
export function extractorRequest(input: {
  model: string;
  message: string;
  params: ParameterDefinition[];
  now: string;
}): Record<string, unknown> {
  const system = [
    "You extract values from a website visitor's chat message for the parameters of the extract tool.",
    'Use only what the message states; use null for anything it does not state. Never guess values.',
    `The current time is ${input.now} (UTC): resolve relative dates such as "tomorrow" against it.`,
  ].join('\n');
  return {
    model: input.model,
    temperature: 0,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: clip(input.message, MAX_LINE_CHARS) },
    ],
    tools: [
      {
        type: 'function',
        function: {
          name: EXTRACT_TOOL,
          description: "Record the parameter values stated in the visitor's message.",
          strict: true,
          parameters: parametersJsonSchema(input.params),
        },
      },
    ],
    tool_choice: { type: 'function', function: { name: EXTRACT_TOOL } },
  };
}

/** The values the extractor found (nulls dropped); throws when the answer has no `extract` call or is malformed. */
export function parseExtractorResponse(body: unknown): Record<string, Json> {
  const call = messageOf(body).tool_calls?.find((candidate) => candidate.function.name === EXTRACT_TOOL);
  if (!call) throw new Error(`the LLM did not call the ${EXTRACT_TOOL} tool`);
  return argumentsOf(call);
}

/**
 * Composer: the system prompt carries the action's response instructions, the user content the draft reply and
 * the data (JSON) it may draw on; temperature 0 so the same data gives the same wording.
 */
export function composerRequest(input: {
  model: string;
  instructions: string;
  draft: string;
  data: Json;
}): Record<string, unknown> {
  const system = [
    "You write a chatbot's reply to a website visitor after the chatbot ran an action for them.",
    'Follow these instructions from the chatbot operator:',
    input.instructions,
    '',
    'Use only facts from the draft reply and the data; never invent details. Answer with the reply text only.',
  ].join('\n');
  const user = `Draft reply:\n${input.draft}\n\nData (JSON):\n${clip(JSON.stringify(input.data), MAX_DATA_CHARS)}`;
  return {
    model: input.model,
    temperature: 0,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
  };
}

/** The composer's reply: the assistant message content, trimmed; throws when it is empty. */
export function parseComposerResponse(body: unknown): string {
  const text = messageOf(body).content?.trim() ?? '';
  if (!text) throw new Error('the LLM answered with an empty reply');
  return text;
}
