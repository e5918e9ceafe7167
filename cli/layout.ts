import { parseDocument, stringify } from 'yaml';
import { ACTION_NAME } from '../shared/actions/vocabulary';
import { ID_PATTERN } from '../shared/ids';
import type { ConfigProblem } from './problems';

/**
 * The layout of a configuration folder, as pure functions of paths and texts:
 *
 * ```
 * <dir>/<chatbot-id>/chatbot.yaml            the chatbot's settings, and its secrets by environment variable
 * <dir>/<chatbot-id>/actions/<name>.yaml     one action each
 * ```
 *
 * `.yml` and `.json` work as well. Paths are relative to `<dir>` with `/` separators.
 */

/** The file formats configuration is written in. */
export type ConfigFormat = 'yaml' | 'json';

const EXTENSIONS: Record<string, ConfigFormat> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

/** The format of a configuration file by its extension, or null when it is not one. */
export function configFormat(path: string): ConfigFormat | null {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? (EXTENSIONS[path.slice(dot).toLowerCase()] ?? null) : null;
}

/** One chatbot's files in a configuration folder. */
export type ChatbotFileSet = { id: string; chatbotFile: string; actionFiles: { name: string; file: string }[] };

function stem(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.slice(0, base.lastIndexOf('.'));
}

/**
 * Which chatbots and actions the files of a folder hold (`files`: every file under it, relative paths), and what
 * does not fit the layout. Files that are not YAML or JSON (a README, .gitkeep) are left alone.
 */
export function chatbotFileSets(files: readonly string[]): { chatbots: ChatbotFileSet[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const byId = new Map<string, { chatbotFiles: string[]; actionFiles: string[] }>();
  const entry = (id: string) => {
    let found = byId.get(id);
    if (!found) byId.set(id, (found = { chatbotFiles: [], actionFiles: [] }));
    return found;
  };
  for (const file of [...files].sort()) {
    if (configFormat(file) === null) continue;
    const parts = file.split('/');
    const [id = '', second, third] = parts;
    if (parts.length === 2 && stem(file) === 'chatbot') entry(id).chatbotFiles.push(file);
    else if (parts.length === 3 && second === 'actions' && third !== undefined) entry(id).actionFiles.push(file);
    else
      problems.push({
        file,
        path: '',
        message: 'not part of the layout: expected <chatbot>/chatbot.yaml or <chatbot>/actions/<name>.yaml',
      });
  }
  const chatbots: ChatbotFileSet[] = [];
  for (const [id, found] of byId) {
    if (!ID_PATTERN.test(id)) {
      problems.push({
        file: `${id}/`,
        path: '',
        message: 'the folder name is the chatbot id: 1-64 letters, digits, _ or -, starting with a letter or digit',
      });
      continue;
    }
    const [chatbotFile, ...others] = found.chatbotFiles;
    if (chatbotFile === undefined) {
      problems.push({ file: `${id}/chatbot.yaml`, path: '', message: 'missing: every chatbot folder needs one' });
      continue;
    }
    for (const other of others)
      problems.push({ file: other, path: '', message: `a second chatbot file (${chatbotFile} is the first)` });
    const actionFiles: ChatbotFileSet['actionFiles'] = [];
    for (const file of found.actionFiles) {
      const name = stem(file);
      const first = actionFiles.find((action) => action.name === name);
      if (!ACTION_NAME.test(name))
        problems.push({
          file,
          path: '',
          message: 'the file name is the action name: must match ^[A-Za-z][A-Za-z0-9_]{0,63}$',
        });
      else if (first) problems.push({ file, path: '', message: `a second file for action ${name} (${first.file})` });
      else actionFiles.push({ name, file });
    }
    chatbots.push({ id, chatbotFile, actionFiles });
  }
  return { chatbots, problems };
}

/** Where export writes a chatbot's files. */
export function chatbotFilePath(chatbotId: string, format: ConfigFormat): string {
  return `${chatbotId}/chatbot.${format}`;
}

/** Where export writes an action's file. */
export function actionFilePath(chatbotId: string, actionName: string, format: ConfigFormat): string {
  return `${chatbotId}/actions/${actionName}.${format}`;
}

/** The value a configuration file holds, or the problem that keeps it from being read. */
export function parseConfigText(file: string, text: string): { value: unknown } | { problem: ConfigProblem } {
  if (configFormat(file) === 'json') {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { problem: { file, path: '', message: `not valid JSON: ${(error as Error).message}` } };
    }
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [error] = document.errors;
  if (error)
    return {
      problem: { file, path: '', message: `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}` },
    };
  return { value: document.toJS() as unknown };
}

/** A value as the text of a configuration file. */
export function configText(value: unknown, format: ConfigFormat): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 120 });
}
