#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { createAdminClient } from './admin-client';
import {
  apiFailureText,
  applyCommand,
  conversationsCommand,
  exportCommand,
  logsCommand,
  testCommand,
  type CommandContext,
  type ExitCode,
} from './commands';
import { importCommand, type ImportOptions } from './import-command';

/**
 * `parley`, the operator CLI: configuration as code (apply, export) and a look at actions and conversations (test,
 * logs, conversations) through the admin API. Composition root: reads its settings from the environment once.
 */

/** The CLI's settings: where the API is and the admin key. */
const CliSettingsSchema = z.object({
  PARLEY_API: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, like http://localhost:3000' })
      .default('http://localhost:3000'),
  ),
  PARLEY_ADMIN_KEY: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
});

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 200)
    throw new InvalidArgumentError('must be a whole number from 1 to 200');
  return number;
}

function program(run: (command: (context: CommandContext) => Promise<ExitCode>) => Promise<void>): Command {
  const cli = new Command('parley')
    .description(
      'Operate Parley through its admin API (PARLEY_API, default http://localhost:3000; key in PARLEY_ADMIN_KEY).',
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });

  cli
    .command('apply')
    .description(
      'make the API hold the chatbots and actions of <dir> (<chatbot>/chatbot.yaml, <chatbot>/actions/<name>.yaml): validate, show the changes, apply them',
    )
    .argument('<dir>', 'folder of chatbot folders, or one chatbot folder')
    .option('--dry-run', 'show the changes, change nothing', false)
    .option('--prune', "delete the chatbots' actions that no file defines", false)
    .option('--set-secrets', "write every secret's value from its environment variable, not only new ones", false)
    .action((dir: string, options: { dryRun: boolean; prune: boolean; setSecrets: boolean }) =>
      run((context) => applyCommand(dir, options, context)),
    );

  cli
    .command('export')
    .description('write a chatbot and its actions as files in <dir>/<bot>/ that apply reads back unchanged')
    .argument('<bot>', 'chatbot id')
    .argument('<dir>', 'folder to write the chatbot folder in')
    .addOption(new Option('--format <format>', 'file format').choices(['yaml', 'json']).default('yaml'))
    .action((bot: string, dir: string, options: { format: 'yaml' | 'json' }) =>
      run((context) => exportCommand(bot, dir, options, context)),
    );

  cli
    .command('import')
    .description(
      'draft actions from a cURL command or OpenAPI operations into <dir>/<bot>/actions/ (secrets by environment variable in the chatbot file), to review and apply',
    )
    .argument('<bot>', 'chatbot id')
    .argument('<dir>', 'configuration folder to write the drafts in')
    .option('--curl <command>', 'a curl command line, quoted as one argument')
    .option('--openapi <file>', 'an OpenAPI 3.0 or 3.1 document (YAML or JSON)')
    .option(
      '--operation <id>',
      'an operationId (or "GET /path") to import (repeat for more; default: every operation of a small document)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--server <url>', "the API's base URL, instead of the document's first server")
    .option('--name <name>', "the curl draft's action name")
    .addOption(new Option('--format <format>', 'file format').choices(['yaml', 'json']).default('yaml'))
    .option('--force', 'replace action files that exist', false)
    .action((bot: string, dir: string, options: ImportOptions) =>
      run((context) => importCommand(bot, dir, options, context)),
    );

  cli
    .command('test')
    .description(
      "run an action's real chain with sample parameters and print each call and the reply (exit 1 when it fails)",
    )
    .argument('<bot>', 'chatbot id')
    .argument('<action>', 'action name')
    .option(
      '-p, --param <name=value>',
      'a parameter value (repeat for more)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--message <text>', 'what user_message reads in the run')
    .option('--json', 'print the API answer as JSON', false)
    .action((bot: string, action: string, options: { param: string[]; message?: string; json: boolean }) =>
      run((context) => testCommand(bot, action, options, context)),
    );

  cli
    .command('logs')
    .description("print an action's latest call attempts, newest first (outcome: ok, failed, sending, interrupted)")
    .argument('<bot>', 'chatbot id')
    .argument('<action>', 'action name')
    .option('-n, --limit <n>', 'how many attempts', positiveInteger, 20)
    .option('--json', 'print the entries as JSON', false)
    .action((bot: string, action: string, options: { limit: number; json: boolean }) =>
      run((context) => logsCommand(bot, action, options, context)),
    );

  cli
    .command('conversations')
    .description("list a chatbot's recent conversations from Temporal's visibility")
    .argument('<bot>', 'chatbot id')
    .option('-n, --limit <n>', 'how many conversations', positiveInteger, 20)
    .option('--json', 'print the list as JSON', false)
    .action((bot: string, options: { limit: number; json: boolean }) =>
      run((context) => conversationsCommand(bot, options, context)),
    );
  return cli;
}

async function main(): Promise<void> {
  const settings = CliSettingsSchema.safeParse(process.env);
  const run = async (command: (context: CommandContext) => Promise<ExitCode>) => {
    if (!settings.success) {
      const [issue] = settings.error.issues;
      console.error(`parley: ${String(issue?.path[0])}: ${issue?.message}`);
      process.exitCode = 1;
      return;
    }
    const context: CommandContext = {
      client: createAdminClient({ api: settings.data.PARLEY_API, adminKey: settings.data.PARLEY_ADMIN_KEY }),
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      environment: process.env,
    };
    try {
      process.exitCode = await command(context);
    } catch (error) {
      const known = apiFailureText(error);
      if (known === null) throw error;
      console.error(`parley: ${known}`);
      process.exitCode = 1;
    }
  };
  await program(run).parseAsync(process.argv);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
