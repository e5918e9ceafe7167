import { z } from 'zod';
import { ActionDefinitionSchema, type ActionDefinition } from '../shared/actions/action';
import { ChatbotInputSchema, SECRET_NAME, SecretInputSchema, type ChatbotInput } from '../shared/chatbot';
import { isJsonObject } from '../shared/json';
import { issueProblems, type ConfigProblem } from './problems';

/**
 * What a configuration folder says Parley should hold, validated with the API's own schemas. Secrets are named
 * with the environment variable their value comes from, never written in a file.
 */

/** An environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A secret as a chatbot file names it: `acme_token: { env: ACME_TOKEN, hosts: [api.acme.test] }`. */
export const SecretReferenceSchema = z
  .object({
    env: z.string().regex(ENV_NAME, 'must be an environment variable name'),
    hosts: SecretInputSchema.shape.hosts,
  })
  .strict();
export type SecretReference = z.infer<typeof SecretReferenceSchema>;

/** The `secrets` of a chatbot file, by secret name. */
export const SecretReferencesSchema = z.record(
  z.string().regex(SECRET_NAME, 'must be a secret name (a letter, then letters, digits or _)'),
  SecretReferenceSchema,
);

/** A chatbot's settings as compared and saved: the chatbot input without its id. */
export type ChatbotSettings = Omit<ChatbotInput, 'id'>;

/** One action of a chatbot as its file defines it. */
export type DesiredAction = { name: string; file: string; definition: ActionDefinition };

/** One chatbot as its files define it. */
export type DesiredChatbot = {
  id: string;
  file: string;
  settings: ChatbotSettings;
  secrets: (SecretReference & { name: string })[];
  actions: DesiredAction[];
};

/** A chatbot's files, read: each file's path and the value it holds. */
export type ChatbotDocuments = {
  id: string;
  chatbot: { file: string; value: unknown };
  actions: { name: string; file: string; value: unknown }[];
};

/** A chatbot file's settings and secrets, validated (the folder name is the id; an `id` in the file must match). */
export function readChatbotDocument(
  id: string,
  file: string,
  value: unknown,
): { settings: ChatbotSettings; secrets: DesiredChatbot['secrets'] } | { problems: ConfigProblem[] } {
  if (!isJsonObject(value))
    return { problems: [{ file, path: '', message: 'must hold an object of chatbot settings' }] };
  const { secrets: secretsValue, id: fileId, ...rest } = value;
  const problems: ConfigProblem[] = [];
  if (fileId !== undefined && fileId !== id)
    problems.push({ file, path: 'id', message: `"${String(fileId)}" does not match the folder name "${id}"` });
  const settings = ChatbotInputSchema.safeParse({ ...rest, id });
  if (!settings.success) problems.push(...issueProblems(file, settings.error));
  const secrets = SecretReferencesSchema.safeParse(secretsValue ?? {});
  if (!secrets.success) problems.push(...issueProblems(file, secrets.error, ['secrets']));
  if (problems.length > 0 || !settings.success || !secrets.success) return { problems };
  const { id: _id, ...chatbotSettings } = settings.data;
  return {
    settings: chatbotSettings,
    secrets: Object.entries(secrets.data).map(([name, reference]) => ({ name, ...reference })),
  };
}

/** An action file's definition, validated (the file name is the action name; a `name` in the file must match). */
export function readActionDocument(
  name: string,
  file: string,
  value: unknown,
): { definition: ActionDefinition } | { problems: ConfigProblem[] } {
  if (!isJsonObject(value)) return { problems: [{ file, path: '', message: 'must hold an action definition object' }] };
  if (value['name'] !== undefined && value['name'] !== name)
    return {
      problems: [{ file, path: 'name', message: `"${String(value['name'])}" does not match the file name "${name}"` }],
    };
  const parsed = ActionDefinitionSchema.safeParse({ ...value, name });
  return parsed.success ? { definition: parsed.data } : { problems: issueProblems(file, parsed.error) };
}

/** Every chatbot the documents define, validated; any problem in any file is reported, each with file and field. */
export function desiredState(documents: readonly ChatbotDocuments[]): {
  chatbots: DesiredChatbot[];
  problems: ConfigProblem[];
} {
  const chatbots: DesiredChatbot[] = [];
  const problems: ConfigProblem[] = [];
  for (const document of documents) {
    const chatbot = readChatbotDocument(document.id, document.chatbot.file, document.chatbot.value);
    const actions: DesiredAction[] = [];
    for (const action of document.actions) {
      const read = readActionDocument(action.name, action.file, action.value);
      if ('problems' in read) problems.push(...read.problems);
      else actions.push({ name: action.name, file: action.file, definition: read.definition });
    }
    if ('problems' in chatbot) problems.push(...chatbot.problems);
    else chatbots.push({ id: document.id, file: document.chatbot.file, ...chatbot, actions });
  }
  return { chatbots, problems };
}
