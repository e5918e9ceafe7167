import { ActionDefinitionSchema } from '../shared/actions/action';
import type { JsonObject } from '../shared/json';
import {
  ActionListSchema,
  ActionViewSchema,
  ApiAnswerError,
  ChatbotViewSchema,
  CliError,
  ConversationListSchema,
  LogListSchema,
  SaveAnswerSchema,
  SecretListSchema,
  segment,
  TestResultSchema,
  type AdminClient,
} from './admin-client';
import { readConfigFolder, writeChatbotFolder } from './config-folder';
import { desiredState } from './desired-state';
import { exportFiles, secretEnvName } from './export-files';
import type { ConfigFormat } from './layout';
import { testParameters } from './parameters';
import { planApply, visibleChanges, type Change, type CurrentChatbot } from './plan';
import { planText } from './plan-text';
import { describeProblem, type ConfigProblem } from './problems';
import { conversationText, logText, testResultText } from './report-text';

/** The CLI's commands: each reads from the API and the disk, decides with the pure modules, and prints. */

/** What every command gets: the API, where output and complaints go, and (for secrets) the environment. */
export type CommandContext = {
  client: AdminClient;
  out: (line: string) => void;
  err: (line: string) => void;
  environment: Readonly<Record<string, string | undefined>>;
};

/** A command's exit code: 0 done, 1 refused or failed. */
export type ExitCode = 0 | 1;

function reportProblems(problems: readonly ConfigProblem[], context: CommandContext): ExitCode {
  for (const problem of problems) context.err(describeProblem(problem));
  context.err(`${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed`);
  return 1;
}

/** A chatbot, its actions and its secrets' names as the API holds them; null when it has no such chatbot. */
export async function readCurrent(client: AdminClient, chatbotId: string): Promise<CurrentChatbot | null> {
  const path = `/v1/chatbots/${segment(chatbotId)}`;
  const chatbot = await client.readOrNull(ChatbotViewSchema, path);
  if (!chatbot) return null;
  const [{ actions }, { secrets }] = await Promise.all([
    client.read(ActionListSchema, 'GET', `${path}/actions`),
    client.read(SecretListSchema, 'GET', `${path}/secrets`),
  ]);
  return {
    chatbot: chatbot as JsonObject,
    actions: actions.map(({ name, version, definition }) => ({ name, version, definition })),
    secrets: secrets.map(({ name, hosts }) => ({ name, hosts })),
  };
}

/** `apply <dir>`: validate the files, show what would change, then change it (unless a dry run). */
export async function applyCommand(
  dir: string,
  options: { dryRun: boolean; prune: boolean; setSecrets: boolean },
  context: CommandContext,
): Promise<ExitCode> {
  const { documents, problems: unreadable } = readConfigFolder(dir);
  const { chatbots, problems } = desiredState(documents);
  if (unreadable.length + problems.length > 0) return reportProblems([...unreadable, ...problems], context);

  const current = new Map<string, CurrentChatbot | null>();
  for (const chatbot of chatbots) current.set(chatbot.id, await readCurrent(context.client, chatbot.id));
  const plan = planApply(chatbots, current, { ...options, environment: context.environment });
  if (plan.problems.length > 0) return reportProblems(plan.problems, context);

  for (const line of planText(plan)) context.out(line);
  const shown = visibleChanges(plan);
  if (shown.length === 0) return 0;
  if (options.dryRun) {
    context.out('dry run: nothing was changed');
    return 0;
  }
  let done = 0;
  for (const change of plan.changes) {
    try {
      const warnings = await applyChange(context.client, change);
      for (const warning of warnings) context.out(`  warning (${change.chatbot}): ${warning}`);
    } catch (error) {
      const where = 'file' in change ? change.file : `action ${change.chatbot}/${change.name}`;
      if (error instanceof ApiAnswerError) context.err(`${where}: ${error.apiMessage}`);
      else throw error;
      context.err(`stopped: ${done} of ${shown.length} changes were applied before this one failed`);
      return 1;
    }
    if (change.kind !== 'set-handoff') done += 1;
  }
  context.out(`applied ${done} change${done === 1 ? '' : 's'}`);
  return 0;
}

/** Makes one change through the admin API; answers the API's warnings about it. */
async function applyChange(client: AdminClient, change: Change): Promise<string[]> {
  const bot = `/v1/chatbots/${segment(change.chatbot)}`;
  const save = (method: string, path: string, body: unknown) =>
    client.read(SaveAnswerSchema, method, path, body).then((answer) => answer.warnings);
  switch (change.kind) {
    case 'create-chatbot':
      return save('POST', '/v1/chatbots', change.body);
    case 'update-chatbot':
    case 'set-handoff':
      return Object.keys(change.patch).length === 0 ? [] : save('PATCH', bot, change.patch);
    case 'set-secret':
      await client.call('PUT', `${bot}/secrets/${segment(change.name)}`, { value: change.value, hosts: change.hosts });
      return [];
    case 'create-action':
    case 'update-action':
      return save('PUT', `${bot}/actions/${segment(change.name)}`, change.definition);
    case 'delete-action':
      await client.call('DELETE', `${bot}/actions/${segment(change.name)}`);
      return [];
  }
}

/** `export <bot> <dir>`: the chatbot as files `apply` reads back with no changes. */
export async function exportCommand(
  chatbotId: string,
  dir: string,
  options: { format: ConfigFormat },
  context: CommandContext,
): Promise<ExitCode> {
  const current = await readCurrent(context.client, chatbotId);
  if (!current) throw new CliError(`the API at ${context.client.base} has no chatbot ${chatbotId}`);
  const { written, removed } = writeChatbotFolder(dir, chatbotId, exportFiles(chatbotId, current, options.format));
  for (const file of written) context.out(`wrote ${file}`);
  for (const file of removed) context.out(`removed ${file} (the API has no such action)`);
  if (current.secrets.length > 0)
    context.out(
      `secrets are not exported; apply reads a new secret's value from ${current.secrets.map((secret) => `$${secretEnvName(secret.name)}`).join(', ')}`,
    );
  return 0;
}

/** `test <bot> <action>`: runs the test button and prints each call's request, response and fields, and the reply. */
export async function testCommand(
  chatbotId: string,
  actionName: string,
  options: { param: string[]; message?: string; json: boolean },
  context: CommandContext,
): Promise<ExitCode> {
  const path = `/v1/chatbots/${segment(chatbotId)}/actions/${segment(actionName)}`;
  const action = await context.client.read(ActionViewSchema, 'GET', path);
  const parsed = ActionDefinitionSchema.safeParse(action.definition);
  const typed = testParameters(parsed.success ? parsed.data.parameters : [], options.param);
  if ('problem' in typed) throw new CliError(typed.problem);
  const body = { parameters: typed.parameters, ...(options.message === undefined ? {} : { message: options.message }) };
  const result = await context.client.read(TestResultSchema, 'POST', `${path}/test`, body);
  if (options.json) context.out(JSON.stringify(result, null, 2));
  else for (const line of testResultText(result)) context.out(line);
  return result.ok ? 0 : 1;
}

/** `logs <bot> <action>`: the action's latest call attempts. */
export async function logsCommand(
  chatbotId: string,
  actionName: string,
  options: { limit: number; json: boolean },
  context: CommandContext,
): Promise<ExitCode> {
  const path = `/v1/chatbots/${segment(chatbotId)}/actions/${segment(actionName)}/logs?limit=${options.limit}`;
  const { logs } = await context.client.read(LogListSchema, 'GET', path);
  if (options.json) context.out(JSON.stringify(logs, null, 2));
  else for (const line of logText(logs)) context.out(line);
  return 0;
}

/** `conversations <bot>`: the chatbot's recent conversations, from Temporal's visibility. */
export async function conversationsCommand(
  chatbotId: string,
  options: { limit: number; json: boolean },
  context: CommandContext,
): Promise<ExitCode> {
  const path = `/v1/chatbots/${segment(chatbotId)}/conversations?limit=${options.limit}`;
  const { conversations } = await context.client.read(ConversationListSchema, 'GET', path);
  if (options.json) context.out(JSON.stringify(conversations, null, 2));
  else for (const line of conversationText(conversations)) context.out(line);
  return 0;
}

/** The message of an answer of the API, for commands that report it as it is. */
export function apiFailureText(error: unknown): string | null {
  if (error instanceof ApiAnswerError) return `${error.apiMessage} (${error.status} ${error.code})`;
  if (error instanceof CliError) return error.message;
  return null;
}
