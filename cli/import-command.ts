import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ImportRefusal } from '../shared/actions/import/draft';
import { openApiSubset } from '../shared/actions/import/openapi-subset';
import { CliError, segment } from './admin-client';
import { readCurrent, type CommandContext, type ExitCode } from './commands';
import { chatbotDocument, secretEnvName } from './export-files';
import { draftFile, withSecrets, type Draft } from './import-files';
import { chatbotFilePath, configText, type ConfigFormat } from './layout';

/**
 * `import <bot> <dir>`: drafts from a cURL command or an OpenAPI document (through the API's import route), written
 * as action files in the layout `apply` reads, with their secrets added to the chatbot file by environment variable,
 * so that import → review → apply works. Nothing is saved in the API until `apply`.
 */

/** `POST …/actions/import`. */
const ImportAnswerSchema = z.object({
  actions: z.array(z.looseObject({ name: z.string() })),
  secrets: z.array(z.object({ name: z.string(), hosts: z.array(z.string()), from: z.string() })),
  warnings: z.array(z.string()),
  samples: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

export type ImportOptions = {
  curl?: string;
  openapi?: string;
  operation: string[];
  server?: string;
  name?: string;
  format: ConfigFormat;
  force: boolean;
};

function requestBody(options: ImportOptions): Record<string, unknown> {
  if ((options.curl === undefined) === (options.openapi === undefined))
    throw new CliError('give either --curl <command line> or --openapi <file>');
  if (options.curl !== undefined) {
    if (options.operation.length > 0 || options.server !== undefined)
      throw new CliError('--operation and --server apply to --openapi');
    return { curl: options.curl, ...(options.name === undefined ? {} : { name: options.name }) };
  }
  if (options.name !== undefined) throw new CliError('--name applies to --curl (operations name OpenAPI drafts)');
  const file = options.openapi as string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  // Only what the chosen operations read goes to the API: a large document fits its body limit.
  let subset: Record<string, unknown>;
  try {
    subset = openApiSubset(text, options.operation.length > 0 ? options.operation : undefined);
  } catch (error) {
    if (error instanceof ImportRefusal) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
  return {
    openapi: JSON.stringify(subset),
    ...(options.operation.length > 0 ? { operations: options.operation } : {}),
    ...(options.server === undefined ? {} : { server: options.server }),
  };
}

/** The chatbot file of a chatbot folder, if there is one (any format). */
function chatbotFileIn(root: string, chatbotId: string): { path: string; format: ConfigFormat } | null {
  for (const [name, format] of [
    ['chatbot.yaml', 'yaml'],
    ['chatbot.yml', 'yaml'],
    ['chatbot.json', 'json'],
  ] as const) {
    const path = join(root, chatbotId, name);
    if (existsSync(path)) return { path: `${chatbotId}/${name}`, format };
  }
  return null;
}

/** `import <bot> <dir>`: asks the API for drafts and writes them, and their secrets, into the configuration folder. */
export async function importCommand(
  chatbotId: string,
  dir: string,
  options: ImportOptions,
  context: CommandContext,
): Promise<ExitCode> {
  const body = requestBody(options);
  const answer = await context.client.read(
    ImportAnswerSchema,
    'POST',
    `/v1/chatbots/${segment(chatbotId)}/actions/import`,
    body,
  );
  const root = resolve(dir);
  const files = answer.actions.map((draft) => draftFile(chatbotId, draft as Draft, options.format));
  const taken = files.filter((file) => existsSync(join(root, file.path)));
  if (taken.length > 0 && !options.force) {
    for (const file of taken) context.err(`${file.path}: exists (--force replaces it)`);
    context.err('nothing was written');
    return 1;
  }

  // The chatbot file apply needs: the one in the folder, or the chatbot as the API holds it (as export writes it).
  let chatbotFile = chatbotFileIn(root, chatbotId);
  let chatbotText: string;
  let createdChatbotFile = false;
  if (chatbotFile) chatbotText = readFileSync(join(root, chatbotFile.path), 'utf8');
  else {
    const current = await readCurrent(context.client, chatbotId);
    if (!current) throw new CliError(`the API at ${context.client.base} has no chatbot ${chatbotId}`);
    chatbotFile = { path: chatbotFilePath(chatbotId, options.format), format: options.format };
    chatbotText = configText(chatbotDocument(current), options.format);
    createdChatbotFile = true;
  }
  let secrets: ReturnType<typeof withSecrets>;
  try {
    secrets = withSecrets(chatbotText, chatbotFile.format, answer.secrets);
  } catch (error) {
    throw new CliError(`${chatbotFile.path}: cannot add the secrets (${(error as Error).message})`);
  }

  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const file of files) {
    write(file.path, file.text);
    context.out(`wrote ${file.path}`);
  }
  if (createdChatbotFile || secrets.added.length > 0) {
    write(chatbotFile.path, secrets.text);
    if (createdChatbotFile) context.out(`wrote ${chatbotFile.path} (the chatbot as the API holds it)`);
  }
  for (const secret of secrets.added)
    context.out(
      `secret ${secret.name} (${secret.from}): added to ${chatbotFile.path}; apply reads its value from $${secretEnvName(secret.name)}`,
    );
  for (const warning of answer.warnings) context.out(`warning: ${warning}`);
  for (const [action, parameters] of Object.entries(answer.samples)) {
    const params = Object.entries(parameters)
      .map(([name, value]) => `--param ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    context.out(`once applied, try: parley test ${chatbotId} ${action} ${params}`);
  }
  const envs = secrets.added.map((secret) => `${secretEnvName(secret.name)}=…`);
  context.out(`review the drafts, then: ${envs.length > 0 ? `${envs.join(' ')} ` : ''}parley apply ${dir}`);
  return 0;
}
